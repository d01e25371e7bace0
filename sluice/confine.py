"""Path confinement: where a job may read and write on the machine that runs it.

A job read from the API is anyone's input: without roots, `source: ../../../etc` reads the
system's files and `store: sqlite:////etc/x.db` writes there. With roots configured
(SLUICE_SOURCE_ROOTS and SLUICE_OUTPUT_ROOTS, colon-separated folders), a local source and a
config file must lie under a source root, and a SQLite store file and a local JSONL folder
under an output root. Paths are resolved first (`..`, symlinks, the working directory), so
neither a traversal nor a symlinked path leaves a root. URIs that are not local files
(s3://, postgresql://) are not paths and are not confined.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

SOURCE_ROOTS_ENV = "SLUICE_SOURCE_ROOTS"
OUTPUT_ROOTS_ENV = "SLUICE_OUTPUT_ROOTS"
REMOTE_SCHEMES = ("s3://",)  # what a source or an out may name besides a local path


class Roots(NamedTuple):
    """Folders a job may read from and write to; None: that side is not confined."""

    source: tuple[Path, ...] | None
    output: tuple[Path, ...] | None


def parse_roots(value: str) -> tuple[Path, ...]:
    return tuple(Path(part).resolve() for part in value.split(os.pathsep) if part.strip())


def roots_from_env(environ: Mapping[str, str] | None = None,
                   default: Path | None = None) -> Roots:
    """The configured roots; an unset side falls back to `default` (a deployment's working
    directory's data/ folder) when given, else stays unconfined."""
    env = os.environ if environ is None else environ
    fallback = (Path(default).resolve(),) if default is not None else None
    source, output = env.get(SOURCE_ROOTS_ENV), env.get(OUTPUT_ROOTS_ENV)
    return Roots(parse_roots(source) if source else fallback,
                 parse_roots(output) if output else fallback)


def inside(path: str | Path, roots: tuple[Path, ...]) -> bool:
    resolved = Path(path).resolve()
    return any(resolved.is_relative_to(root) for root in roots)


def check_source(field: str, value: str, roots: tuple[Path, ...] | None) -> None:
    """A local path to read (source, config) must be under a source root."""
    _check(field, value, roots, "source")


def check_output(field: str, value: str, roots: tuple[Path, ...] | None) -> None:
    """A local path to write (out) must be under an output root."""
    _check(field, value, roots, "output")


def check_store(value: str, roots: tuple[Path, ...] | None) -> None:
    """A SQLite store's file must be under an output root; server stores are not paths."""
    path = sqlite_path(value)
    if path is not None:
        _check("store", path, roots, "output")


def sqlite_path(url: str) -> str | None:
    """The file a sqlite:// URL opens (also `file:` URIs), or None (not SQLite, in memory)."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.split("+", 1)[0] != "sqlite":
        return None
    database = rest.split("?", 1)[0].removeprefix("/")
    if database.startswith("file:"):
        database = database.removeprefix("file:").removeprefix("//")
    return database if database and database != ":memory:" else None


def _check(field: str, value: str, roots: tuple[Path, ...] | None, kind: str) -> None:
    if roots is None:
        return
    if "://" in value:
        if value.startswith(REMOTE_SCHEMES) or field == "store":
            return
        raise ValueError(f"{field}: {value!r} is neither a local path nor an s3:// URI")
    if not inside(value, roots):
        where = os.pathsep.join(str(root) for root in roots)
        env = SOURCE_ROOTS_ENV if kind == "source" else OUTPUT_ROOTS_ENV
        raise ValueError(f"{field}: {value!r} is outside the {kind} roots ({where}); "
                         f"set {env} to allow it")
