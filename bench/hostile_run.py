"""Runs one `sluice run` for bench/hostile.py in a child process with a memory limit, a wall-time
limit and a watchdog that measures the RSS of its whole process tree from /proc."""

from __future__ import annotations

import argparse
import ctypes
import os
import re
import resource
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE_MB = os.sysconf("SC_PAGE_SIZE") / (1 << 20)
PR_CAPBSET_DROP, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 24, 1, 2


@dataclass
class JobRun:
    exit_code: int | None = None
    state: str = "unknown"
    killed: str = ""  # "timeout" or "memory" when the watchdog stopped the job
    wall_s: float = 0.0
    peak_tree_mb: int = 0  # the sum over the job's process tree, Prefect server included
    peak_job_mb: int = 0  # the same without the temporary Prefect server (uvicorn)
    maxrss_mb: int = 0  # the largest single process (RUSAGE_CHILDREN)
    orphans: int = 0  # processes of the job still alive after it ended (then killed here)
    peak_at: str = ""  # the wall-clock time of the job's peak, to find it in the job's log
    seen: dict[int, str] = field(default_factory=dict)
    peaks: dict[int, int] = field(default_factory=dict)  # MB, per process
    at_peak: dict[int, int] = field(default_factory=dict)  # MB, per job process at its peak


def top_processes(job: JobRun, n: int = 3) -> list[str]:
    """The processes with the highest peak RSS: 'MB command'."""
    top = sorted(job.peaks.items(), key=lambda item: -item[1])[:n]
    return [f"{mb} MB {job.seen[pid][:90]}" for pid, mb in top]


def peak_parts(job: JobRun) -> list[str]:
    """What made up the job's peak: 'MB command' of each process alive at that moment."""
    parts = sorted(job.at_peak.items(), key=lambda item: -item[1])
    return [f"{mb} MB {job.seen.get(pid, '?')[:90]}" for pid, mb in parts]


def _limits(as_limit_mb: int) -> None:
    """In the child before exec: a memory limit, and no reading past file permissions."""
    limit = as_limit_mb << 20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    if os.geteuid() == 0:
        libc = ctypes.CDLL(None, use_errno=True)
        for cap in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
            if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
                raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def command(work: Path, args: argparse.Namespace) -> list[str]:
    cmd = [sys.executable, "-m", "flows.cli", "run", str(work / "input"),
           "--store", f"sqlite:///{work}/store.db", "--out", str(work / "out"),
           "--batch-size", str(args.batch_size), "--set", "max_error_rate=1.0"]
    for item in args.set:
        cmd += ["--set", item]
    return cmd


def run_job(work: Path, args: argparse.Namespace) -> JobRun:
    env = {**os.environ, "PREFECT_HOME": str(work / "prefect-home"), "HOME": str(work),
           "SLUICE_OUTBOX": str(work / "outbox.db"), "PYTHONPATH": str(ROOT)}
    job = JobRun()
    started = time.perf_counter()
    with open(work / "job.log", "wb") as log:
        proc = subprocess.Popen(command(work, args), cwd=ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True,
                                preexec_fn=lambda: _limits(args.as_limit_mb))
        watch = threading.Thread(target=_watch, args=(proc, job, args), daemon=True)
        watch.start()
        job.exit_code = proc.wait()
        job.wall_s = time.perf_counter() - started
        watch.join()
    job.maxrss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
    job.orphans = _kill_survivors(job.seen)
    states = re.findall(rb"Finished in state (\w+)", (work / "job.log").read_bytes())
    job.state = states[-1].decode() if states else "no final state"
    return job


def _watch(proc: subprocess.Popen[bytes], job: JobRun, args: argparse.Namespace) -> None:
    deadline = time.monotonic() + args.timeout
    while proc.poll() is None:
        tree = _tree(proc.pid)
        for pid, (cmd, rss) in tree.items():
            job.seen.setdefault(pid, cmd)
            job.peaks[pid] = max(job.peaks.get(pid, 0), int(rss))
        total = sum(rss for _, rss in tree.values())
        server = sum(rss for cmd, rss in tree.values() if "uvicorn" in cmd)
        job.peak_tree_mb = max(job.peak_tree_mb, int(total))
        if total - server > job.peak_job_mb:
            job.peak_job_mb, job.peak_at = int(total - server), time.strftime("%H:%M:%S")
            job.at_peak = {pid: int(rss) for pid, (cmd, rss) in tree.items()
                           if "uvicorn" not in cmd}
        if total > args.kill_rss_mb or time.monotonic() > deadline:
            job.killed = "memory" if total > args.kill_rss_mb else "timeout"
            _stop(proc)
            return
        time.sleep(0.2)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _tree(root: int) -> dict[int, tuple[str, float]]:
    """Command line and RSS (MB) of `root` and its descendants, from /proc."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    members, grew = {root}, True
    while grew:
        more = {pid for pid, ppid in parents.items() if ppid in members} - members
        members |= more
        grew = bool(more)
    tree = {}
    for pid in members:
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(
                errors="replace")
            rss = int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_MB
        except (OSError, IndexError):
            continue
        tree[pid] = (cmd, rss)
    return tree


def _kill_survivors(seen: dict[int, str]) -> int:
    """Processes of the job alive after it ended (such as an orphaned Prefect server)."""
    left = 0
    for pid, cmd in seen.items():
        try:
            alive = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(
                errors="replace") == cmd
        except OSError:
            continue
        if alive:
            left += 1
            print(f"left running after the job: pid {pid} {cmd[:100]}")
            os.kill(pid, signal.SIGKILL)
    return left
