"""`sluice run`'s temporary Prefect server (flows/ephemeral.py): it never outlives the run, and
several runs started at once on one machine all start. Real `sluice run` processes, no mocks."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.integration.conftest import port_open, wait_until

ROOT = Path(__file__).resolve().parents[2]
SERVER = re.compile(r"Starting temporary server on http://127\.0\.0\.1:(\d+)")


def sluice_run(tmp: Path, name: str, source: Path, home: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API_URL")}
    env.update(PREFECT_HOME=str(home), SLUICE_OUTBOX=str(tmp / f"{name}-outbox.db"))
    log = open(tmp / f"{name}.log", "wb")  # the child keeps its own copy of the descriptor
    return subprocess.Popen(
        [sys.executable, "-m", "flows.cli", "run", str(source), "--store",
         f"sqlite:///{tmp}/{name}.db", "--out", str(tmp / f"{name}-out")],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def children(pid: int) -> dict[int, str]:
    found = {}
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found[int(entry.name)] = (entry / "cmdline").read_bytes().decode(errors="replace")
        except (OSError, ValueError):
            continue
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_ephemeral_server_dies_with_a_killed_sluice_run(tmp_path: Path) -> None:
    run = sluice_run(tmp_path, "killed", ROOT / "samples", tmp_path / "home")
    log, servers = tmp_path / "killed.log", []
    try:
        wait_until(lambda: SERVER.search(log.read_text(errors="replace")) is not None
                   or run.poll() is not None, "the temporary server's start", timeout_s=300)
        port = int(SERVER.search(log.read_text(errors="replace")).group(1))
        wait_until(lambda: port_open(port) or run.poll() is not None, "the server's port",
                   timeout_s=300)
        servers = [pid for pid, cmd in children(run.pid).items() if "uvicorn" in cmd]
        assert servers, f"no server process under sluice run: {log.read_text()[-2000:]}"
        run.send_signal(signal.SIGKILL)
        run.wait()
        killed_at = time.monotonic()
        wait_until(lambda: not any(alive(pid) for pid in servers), "the server's exit",
                   timeout_s=10)
        print(f"server gone {time.monotonic() - killed_at:.2f} s after the SIGKILL")
    finally:
        run.kill()
        for pid in servers:  # a survivor must not outlive the test either
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.slow
def test_concurrent_sluice_runs_all_start(tmp_path: Path) -> None:
    """Six runs at once: three with fresh homes of their own, three sharing one fresh home
    (whose first migration they must not race)."""
    shared = tmp_path / "shared-home"
    runs = {}
    started, load = time.monotonic(), os.getloadavg()[0]
    for n in range(6):
        source = tmp_path / f"in-{n}"
        source.mkdir()
        (source / "doc.txt").write_text(f"Run {n}: The Bank of England left rates unchanged on "
                                        "Thursday, traders in London said.\n")
        home = shared if n >= 3 else tmp_path / f"home-{n}"
        runs[n] = sluice_run(tmp_path, f"run-{n}", source, home)
    codes = {n: run.wait(timeout=900) for n, run in runs.items()}
    wall = time.monotonic() - started
    print(f"6 concurrent sluice run: wall {wall:.0f} s, load average {load:.2f} at the start, "
          f"{os.getloadavg()[0]:.2f} at the end")
    failed = {n: (tmp_path / f"run-{n}.log").read_text(errors="replace")[-1500:]
              for n, code in codes.items() if code != 0}
    assert not failed, f"exit codes {codes}; logs of the failed runs: {failed}"


def test_fast_start_sluice_run_leaves_everything_written(tmp_path: Path) -> None:
    """`sluice run` boots its server while it loads, and ends without the interpreter's
    teardown: the JSONL line, and on the server the Completed flow run with every task run
    and log line, must all be there when the command returns."""
    import sqlite3

    from sluice.io.jsonl import read_documents

    source = ROOT / "samples" / "txt" / "field_report_san_francisco.txt"
    run = sluice_run(tmp_path, "fast", source, tmp_path / "home")
    code = run.wait(timeout=600)
    log = (tmp_path / "fast.log").read_text(errors="replace")

    assert code == 0, log[-2000:]
    assert SERVER.search(log) and "Stopping temporary server" in log
    assert [d.source for d in read_documents(tmp_path / "fast-out")] == [str(source)]
    with sqlite3.connect(tmp_path / "home" / "prefect.db") as db:
        [(run_id, state)] = db.execute("SELECT id, state_type FROM flow_run").fetchall()
        tasks = db.execute("SELECT state_type FROM task_run WHERE flow_run_id = ?",
                           (run_id,)).fetchall()  # fmt: skip
        logs = [m for (m,) in db.execute("SELECT message FROM log WHERE flow_run_id = ?",
                                         (run_id,))]  # fmt: skip
    assert state == "COMPLETED"
    assert tasks and {s for (s,) in tasks} == {"COMPLETED"}
    assert any(m.startswith("Finished in state Completed") for m in logs)


def test_a_profile_that_names_a_server_wins_over_the_early_server(
        tmp_path: Path, prefect_harness: None) -> None:
    """`sluice run` puts its early server's address in PREFECT_API_URL before Prefect is
    imported; a Prefect profile that names a server must still win, as it does for Prefect."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    home = tmp_path / "home"
    home.mkdir()
    (home / "profiles.toml").write_text(
        f'active = "team"\n[profiles.team]\nPREFECT_API_URL = "{url}"\n'
        'PREFECT_SERVER_ANALYTICS_ENABLED = "false"\n')
    with get_client(sync_client=True) as client:
        before = {run.id for run in client.read_flow_runs()}
    source = ROOT / "samples" / "txt" / "field_report_san_francisco.txt"
    code = sluice_run(tmp_path, "profile", source, home).wait(timeout=600)
    log = (tmp_path / "profile.log").read_text(errors="replace")

    assert code == 0, log[-2000:]
    assert not SERVER.search(log), "the early server was used despite the profile"
    with get_client(sync_client=True) as client:
        new = [run for run in client.read_flow_runs() if run.id not in before]
    assert [run.state_type.value for run in new] == ["COMPLETED"]


def test_an_early_server_that_died_hands_the_run_back_to_prefect(tmp_path: Path) -> None:
    """If the early server is gone by `adopt()`, its address leaves PREFECT_API_URL (the
    environment and Prefect's settings), so Prefect starts a temporary server of its own."""
    script = """
import contextlib
import os
from flows.ephemeral import EarlyServer
early = EarlyServer()
early._thread.join()
assert os.environ["PREFECT_API_URL"] == early.url
early.process.kill()
early.process.wait()
early.error = "killed by the test"
import prefect.settings
assert not early.adopt()
assert prefect.settings.PREFECT_API_URL.value() is None, prefect.settings.PREFECT_API_URL.value()
assert "PREFECT_API_URL" not in os.environ
print("handed back")
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API_URL")}
    env.update(PREFECT_HOME=str(tmp_path / "home"), PREFECT_SERVER_ANALYTICS_ENABLED="false")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "handed back" in done.stdout, done.stderr[-2000:]


def _server_environment(run: subprocess.Popen[bytes]) -> dict[str, str]:
    """The environment of the run's temporary server, read from /proc while it lives."""
    found: dict[str, str] = {}

    def read() -> bool:
        for pid, cmd in children(run.pid).items():
            if "uvicorn" in cmd:
                with contextlib.suppress(OSError):
                    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
                    found.update(e.decode().split("=", 1) for e in raw if b"=" in e)
        return bool(found) or run.poll() is not None

    wait_until(read, "the temporary server's process", timeout_s=300)
    return found


def test_block_types_are_registered_on_a_homes_first_start_only(tmp_path: Path) -> None:
    """A home's first server registers Prefect's block types; later ones skip the
    registration and the import of every collection that its memo needs (1.4 CPU-s)."""
    import sqlite3

    source = ROOT / "samples" / "txt" / "field_report_san_francisco.txt"
    home = tmp_path / "home"
    flags = []
    for name in ("first", "second"):
        run = sluice_run(tmp_path, name, source, home)
        flags.append(_server_environment(run).get("PREFECT_API_BLOCKS_REGISTER_ON_START"))
        assert run.wait(timeout=600) == 0, (tmp_path / f"{name}.log").read_text()[-2000:]
    with sqlite3.connect(home / "prefect.db") as db:
        [(types,)] = db.execute("SELECT count(*) FROM block_type").fetchall()
    assert flags == [None, "false"]
    assert types > 10  # Prefect's own and prefect-aws's, from the first start
