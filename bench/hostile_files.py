"""File-system oddities for bench/hostile.py (names, permissions, FIFOs, links, devices) and the
good documents. Permissions: see `unreadable`; the bench runs the job without the capabilities
that let root read any file, so a mode-000 file is unreadable to it as to any user."""

from __future__ import annotations

import os
from pathlib import Path

from bench.hostile_inputs import GOOD_FROM, Corpora, Folder, Input, Sizes

ODD_NAMES: tuple[bytes, ...] = (
    b"caf\xe9.txt", b"\xff\xfe-bytes.txt", b"na\xefve.html", b"line\nbreak.txt", b"tab\tname.txt",
    b"cr\rname.md", b"-rf.txt", b"--help.txt", b"-", b" leading space.txt", b"trailing .txt",
    "ünïcödé-名前.txt".encode(), "\u202egnp.txt".encode(), "emoji-\U0001f4a5.txt".encode(),
    b"*.txt", b"'quote\".txt", b"$(id).txt", b"back\\slash.txt", b"semi;colon:.txt",
    b"UPPER.TXT", b"double.txt.pdf", b"percent%23L1.txt", b"a" * 251 + b".txt",
)


def make_good(f: Folder, c: Corpora) -> None:
    for rid, body in c.reuters[GOOD_FROM:]:
        path = f.path("good", f"reuters-{rid}.txt")
        Path(os.fsdecode(path)).write_text(body, encoding="utf-8")
        f.inputs.append(Input("good", (path,), good=rid))


def make_odd_names(f: Folder, c: Corpora, s: Sizes) -> None:
    for i, name in enumerate(ODD_NAMES[: max(3, round(len(ODD_NAMES) * min(1.0, s.scale * 2)))]):
        f.file("odd_names", name, f"{c.body(1000 + i)}\n(odd name {i})".encode())
    # "x.jsonl#L1" is also how line 1 of x.jsonl is labelled: both fail at parse here.
    f.jsonl("odd_names_jsonl_label", "x.jsonl", [b"{broken", b'{"text": "second line"}'])
    f.file("odd_names_jsonl_label", "x.jsonl#L1", b"a file named like a JSONL line, unknown type")
    try:
        f.inputs.append(Input("deep_path_over_path_max", (_deep_file(f, c),), within=True))
    except OSError as exc:  # a file system that refuses: say so rather than count it
        print(f"deep_path_over_path_max not made: {exc}")


def _deep_file(f: Folder, c: Corpora) -> bytes:
    """A file 260 folders down, past PATH_MAX (4096): opening it by its full path fails."""
    path = os.fsencode(f.root / "deep_path_over_path_max")
    os.mkdir(path)
    fd = os.open(path, os.O_RDONLY)
    for level in range(260):  # made relative to an open folder: full paths are too long
        name = b"d%03d-padding-padding" % level
        os.mkdir(name, dir_fd=fd)
        fd, parent = os.open(name, os.O_RDONLY, dir_fd=fd), fd
        os.close(parent)
        path = os.path.join(path, name)
    made = os.open(b"deep.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
    os.write(made, f"{c.body(1100)}\n(deep)".encode())
    os.close(made)
    os.close(fd)
    return os.path.join(path, b"deep.txt")


def make_hidden(f: Folder, c: Corpora, s: Sizes) -> None:
    for i in range(s.n(6)):
        name = (f".hidden-{i}.txt", f".cache/entry-{i}.txt", f".git/objects/o{i}.txt")[i % 3]
        path = f.path("hidden", name.rsplit("/", 1)[0] if "/" in name else "")
        path = os.path.join(path, os.fsencode(name.rsplit("/", 1)[-1]))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        Path(os.fsdecode(path)).write_text(f"{c.body(1200 + i)} hidden {i}", encoding="utf-8")
        f.inputs.append(Input("hidden", (path,), skip="hidden name (README: hidden names skipped)"))


def make_unreadable(f: Folder, c: Corpora, s: Sizes) -> list[bytes]:
    """Mode-000 files and directories; returns what to chmod once everything is written."""
    locked = []
    for i in range(s.n(20)):
        locked.append(f.file("unreadable_file", f"locked-{i}.txt", f"{c.body(1300 + i)}".encode()))
    for i in range(s.n(6)):
        folder = f.path("unreadable_dir", f"locked-dir-{i}")
        os.makedirs(folder)
        inner = os.path.join(folder, b"inside.txt")
        Path(os.fsdecode(inner)).write_text(f"{c.body(1400 + i)} inside {i}", encoding="utf-8")
        f.inputs.append(Input("unreadable_dir", (inner, folder)))
        locked.append(folder)
    return locked


def make_special(f: Folder, c: Corpora, s: Sizes) -> None:
    for i in range(s.n(6)):
        path = f.path("fifo", f"fifo-{i}.txt")
        os.mkfifo(path)
        f.inputs.append(Input("fifo", (path,)))
    for name, dev in (("zero.txt", (1, 5)), ("urandom.txt", (1, 9))):
        path = f.path("device_file", name)
        try:
            os.mknod(path, 0o644 | 0o020000, os.makedev(*dev))
        except OSError as exc:
            print(f"device_file {name} not made: {exc}")
            continue
        f.inputs.append(Input("device_file", (path,)))
    secret = f.outside / "secret.txt"
    secret.write_text(f"outside the source root: {os.environ.get('SLUICE_BENCH_CANARY', '')}")
    targets = ["/etc/passwd", "/etc/shadow", "/proc/self/environ", "/etc/hostname", str(secret),
               "../../outside/secret.txt", "/dev/zero", str(f.outside)]
    for i in range(s.n(16)):
        path = f.path("symlink_out_of_root", f"link-{i}.txt")
        os.symlink(targets[i % len(targets)], path)
        f.inputs.append(Input("symlink_out_of_root", (path,)))
    loops = f.path("symlink_loop", "")
    for i in range(s.n(6)):
        a, b = os.path.join(loops, b"a%d.txt" % i), os.path.join(loops, b"b%d.txt" % i)
        os.symlink(b if i % 2 else a, a)  # a self-loop, or a -> b -> a
        f.inputs.append(Input("symlink_loop", (a,)))
        if i % 2:
            os.symlink(a, b)
            f.inputs.append(Input("symlink_loop", (b,)))
    dangling = f.path("symlink_dangling", "gone.txt")
    os.symlink("/nonexistent/gone.txt", dangling)
    f.inputs.append(Input("symlink_dangling", (dangling,)))
    up = f.path("symlink_dir_loop", "up")
    os.symlink("..", up)
    f.inputs.append(Input("symlink_dir_loop", (up,)))


def make_files(f: Folder, c: Corpora, s: Sizes) -> list[bytes]:
    make_good(f, c)
    make_odd_names(f, c, s)
    make_hidden(f, c, s)
    make_special(f, c, s)
    return make_unreadable(f, c, s)
