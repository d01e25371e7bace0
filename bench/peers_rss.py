"""Peak RSS and CPU time of every process of a process tree (a `sluice run` and its server and
workers), read from /proc while the tree runs: bench/scaling.py's memory and CPU figures."""

from __future__ import annotations

import os
import threading
from pathlib import Path

PROC = Path("/proc")
TICKS = os.sysconf("SC_CLK_TCK")


def parent_of(stat_text: str) -> int:
    """The parent pid in a /proc/PID/stat line; the command name in parentheses may itself
    hold spaces and parentheses, so the fields are counted after the last ')'."""
    return int(stat_text.rsplit(")", 1)[1].split()[1])


def cpu_seconds(stat_text: str) -> float:
    """User plus system CPU seconds of a process (all its threads) in a /proc/PID/stat line:
    utime and stime are the 14th and 15th fields, the 12th and 13th after the ')'."""
    fields = stat_text.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def status_kb(status_text: str, key: str) -> int:
    """A "Key:   1234 kB" field of /proc/PID/status, 0 when absent (a kernel thread)."""
    for line in status_text.splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def descendants(root: int, parents: dict[int, int]) -> set[int]:
    """root and every process below it, given each pid's parent."""
    children: dict[int, list[int]] = {}
    for pid, ppid in parents.items():
        children.setdefault(ppid, []).append(pid)
    found, todo = {root}, [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _read(path: Path) -> str | None:
    try:
        return path.read_text(errors="replace")
    except OSError:  # the process ended between listing and reading
        return None


def _parents() -> dict[int, int]:
    table = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit() and (stat := _read(entry / "stat")) is not None:
            table[int(entry.name)] = parent_of(stat)
    return table


class TreeWatch(threading.Thread):
    """Polls a process tree until stopped. peaks: pid -> {command, peak_mb (VmHWM, the
    kernel's own high-water mark, so a peak between two polls is not missed), cpu_s (its CPU
    seconds at the last poll that saw it: up to one poll's worth short for a process that
    ends)};
    tree_max_mb: the largest sum of the tree's current RSS seen at one poll."""

    def __init__(self, root: int, every: float = 0.25) -> None:
        super().__init__(daemon=True)
        self.root, self.every = root, every
        self.peaks: dict[int, dict] = {}
        self.tree_max_mb = 0.0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(self.every):
            self.poll()

    def poll(self) -> None:
        total = 0
        for pid in descendants(self.root, _parents()):
            status, stat = _read(PROC / str(pid) / "status"), _read(PROC / str(pid) / "stat")
            if status is None or stat is None:
                continue
            total += status_kb(status, "VmRSS")
            seen = self.peaks.setdefault(pid, {"command": _command(pid), "peak_mb": 0.0})
            seen["peak_mb"] = max(seen["peak_mb"], status_kb(status, "VmHWM") / 1024)
            seen["cpu_s"] = cpu_seconds(stat)
        self.tree_max_mb = max(self.tree_max_mb, total / 1024)

    def stop(self) -> None:
        self._done.set()
        self.join()


def _command(pid: int) -> str:
    """The command line, the program without its folder, whitespace collapsed (a -c script)."""
    parts = [p for p in (_read(PROC / str(pid) / "cmdline") or "").split("\0") if p]
    for i in range(min(2, len(parts))):  # the interpreter, then a script such as bin/sluice
        if parts[i].startswith("/"):
            parts[i] = parts[i].rsplit("/", 1)[-1]
    return " ".join(" ".join(parts).split())[:120]
