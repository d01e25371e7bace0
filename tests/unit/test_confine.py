"""sluice.confine and RunParams: a job's source and config under the source roots, a SQLite store
and JSONL output under the output roots, `..` and symlinks resolved before the check, the field
named in the error; `sluice run` confined when roots are set, unconfined when not."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from flows.cli import main
from sluice import confine
from sluice.config import RunParams


@pytest.fixture
def roots(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """tmp/in is the source root, tmp/out the output root; tmp/secret lies outside both."""
    for name in ("in", "out", "secret"):
        (tmp_path / name).mkdir()
    (tmp_path / "in" / "doc.txt").write_text("Reuters reported that Exxon raised prices.")
    (tmp_path / "secret" / "shadow").write_text("root:x:0:0")
    monkeypatch.setenv(confine.SOURCE_ROOTS_ENV, str(tmp_path / "in"))
    monkeypatch.setenv(confine.OUTPUT_ROOTS_ENV, str(tmp_path / "out"))
    return tmp_path


def params(root: Path, **fields: str) -> RunParams:
    given = {"source": str(root / "in"), "store": f"sqlite:///{root}/out/s.db",
             "out": str(root / "out" / "jsonl"), **fields}
    return RunParams(**given)


def test_confine_inside_the_roots_is_accepted(roots: Path) -> None:
    assert params(roots).source == str(roots / "in")
    params(roots, store="postgresql://sluice@db/sluice", out="s3://bucket/out")


@pytest.mark.parametrize(("field", "value"), [
    ("source", "{root}/in/../secret"),
    ("source", "{root}/in/../../../../../../etc"),
    ("source", "/etc"),
    ("config", "/etc/passwd"),
    ("out", "/etc/sluice-out"),
    ("out", "{root}/out/../secret"),
    ("store", "sqlite:////etc/x.db"),
    ("store", "sqlite:///{root}/out/../secret/x.db"),
    ("store", "sqlite:///file:/etc/x.db?uri=true"),
    ("source", "file:///etc"),
])
def test_confine_outside_the_roots_is_rejected_naming_the_field(
        roots: Path, field: str, value: str) -> None:
    with pytest.raises(ValidationError) as info:
        params(roots, **{field: value.format(root=roots)})
    [error] = info.value.errors()
    assert error["loc"] == (field,)
    assert "outside the" in error["msg"] or "neither a local path" in error["msg"]


def test_confine_rejects_before_telling_whether_the_path_exists(roots: Path) -> None:
    for missing in ("/etc/no-such-file", "/etc/passwd"):
        with pytest.raises(ValidationError, match="outside the source roots"):
            params(roots, source=missing)


def test_confine_symlinks_are_resolved_before_the_check(roots: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    (roots / "in" / "escape").symlink_to(roots / "secret")
    with pytest.raises(ValidationError, match="source"):
        params(roots, source=str(roots / "in" / "escape"))
    (roots / "out" / "link.db").symlink_to(roots / "secret" / "x.db")
    with pytest.raises(ValidationError, match="store"):
        params(roots, store=f"sqlite:///{roots}/out/link.db")
    # A root given through a symlink is the folder it points to.
    (roots / "in-link").symlink_to(roots / "in")
    monkeypatch.setenv(confine.SOURCE_ROOTS_ENV, str(roots / "in-link"))
    assert params(roots, source=str(roots / "in" / "doc.txt"))
    assert params(roots, source=str(roots / "in-link" / "doc.txt"))


def test_confine_relative_paths_resolve_from_the_working_directory(
        roots: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(roots / "in")
    assert params(roots, source="doc.txt")
    with pytest.raises(ValidationError, match="source"):
        params(roots, source="../secret")


def test_confine_unset_roots_leave_a_local_job_unconfined(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(confine.SOURCE_ROOTS_ENV, raising=False)
    monkeypatch.delenv(confine.OUTPUT_ROOTS_ENV, raising=False)
    RunParams(source=str(tmp_path), store="sqlite:////tmp/anywhere.db", out="/tmp/anywhere")
    assert confine.roots_from_env({}) == confine.Roots(None, None)
    default = confine.roots_from_env({}, default=tmp_path / "data")
    assert default.source == default.output == ((tmp_path / "data").resolve(),)


def test_confine_sqlite_paths() -> None:
    assert confine.sqlite_path("sqlite:///data/x.db") == "data/x.db"
    assert confine.sqlite_path("sqlite+pysqlite:////abs/x.db?timeout=3") == "/abs/x.db"
    assert confine.sqlite_path("sqlite:///file:/etc/x.db?uri=true") == "/etc/x.db"
    assert confine.sqlite_path("sqlite://") is None
    assert confine.sqlite_path("sqlite:///:memory:") is None
    assert confine.sqlite_path("postgresql://u@h/db") is None


def test_cli_run_with_roots_set_refuses_a_path_outside(roots: Path, capsys) -> None:
    code = main(["run", str(roots / "secret"), "--store", f"sqlite:///{roots}/out/s.db",
                 "--out", str(roots / "out")])
    assert code == 2
    err = capsys.readouterr().err
    assert "source" in err and "outside the source roots" in err
    code = main(["run", str(roots / "in"), "--store", f"sqlite:///{roots}/secret/s.db",
                 "--out", str(roots / "out")])
    assert code == 2 and "store" in capsys.readouterr().err
    assert not (roots / "secret" / "s.db").exists()
    assert os.listdir(roots / "out") == []


def test_store_with_inline_password_is_refused_env_reference_accepted(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="password") as info:
        RunParams(source=str(tmp_path), store="postgresql://u:Secret-1@h/db")
    assert "Secret-1" not in str(info.value.errors()[0]["msg"])
    assert RunParams(source=str(tmp_path), store="env:SLUICE_STORE_URL").store.startswith("env:")
    with pytest.raises(ValidationError, match="env:"):
        RunParams(source=str(tmp_path), store="env:not a name")


def test_resolved_store_goes_to_other_runs_as_given(tmp_path: Path) -> None:
    given = RunParams(source=str(tmp_path), store="env:SLUICE_STORE_URL")
    resolved = given.with_store("postgresql://u:Secret-1@h/db")
    assert resolved.store == "postgresql://u:Secret-1@h/db"
    sent = resolved.to_parameters()  # what start_shards sends each shard
    assert sent["store"] == "env:SLUICE_STORE_URL"
    assert RunParams.model_validate(sent).store == "env:SLUICE_STORE_URL"
