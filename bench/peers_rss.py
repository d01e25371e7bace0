"""Peak RSS of every process of a process tree (a `sluice run` and its server and workers),
read from /proc while the tree runs: bench/scaling.py's memory figures."""

from __future__ import annotations

import threading
from pathlib import Path

PROC = Path("/proc")


def parent_of(stat_text: str) -> int:
    """The parent pid in a /proc/PID/stat line; the command name in parentheses may itself
    hold spaces and parentheses, so the fields are counted after the last ')'."""
    return int(stat_text.rsplit(")", 1)[1].split()[1])


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
    kernel's own high-water mark, so a peak between two polls is not missed)};
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
            status = _read(PROC / str(pid) / "status")
            if status is None:
                continue
            total += status_kb(status, "VmRSS")
            seen = self.peaks.setdefault(pid, {"command": _command(pid), "peak_mb": 0.0})
            seen["peak_mb"] = max(seen["peak_mb"], status_kb(status, "VmHWM") / 1024)
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
