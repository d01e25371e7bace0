"""Caches built apart: a missing lexicon is built once in a process of its own before the NER
workers start, not by each worker (each build peaks at about 500 MB)."""

from __future__ import annotations

from sluice import known_words, spawn
from sluice.caches import build_missing_apart


def test_a_missing_lexicon_is_built_in_a_process_of_its_own(tmp_path, monkeypatch):
    monkeypatch.setenv("SLUICE_CACHE_DIR", str(tmp_path))

    def not_here() -> None:
        raise AssertionError("the lexicon was built in the job's process")

    monkeypatch.setattr(known_words, "build_arrays", not_here)
    assert not known_words.lexicon_path().exists()
    assert build_missing_apart()
    assert known_words.lexicon_path().exists()
    # read from the cache: build_arrays would raise
    assert isinstance(known_words.load_lexicon(), known_words.Lexicon)


def test_a_present_lexicon_starts_no_process(tmp_path, monkeypatch):
    monkeypatch.setenv("SLUICE_CACHE_DIR", str(tmp_path))
    known_words.lexicon_path().parent.mkdir(parents=True)
    known_words.lexicon_path().write_bytes(b"")  # present: its contents are load_lexicon's

    def no_process(*args: object, **kwargs: object) -> None:
        raise AssertionError("a process was started for a cache that is there")

    monkeypatch.setattr(spawn, "spawn", no_process)
    assert build_missing_apart()

