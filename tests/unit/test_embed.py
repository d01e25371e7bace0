import numpy as np
import pytest

from sluice.embed import chunk_spans, embed_documents, load_embedder
from sluice.records import Document


@pytest.mark.parametrize("max_chars", [100, 300, 1000])
def test_embed_chunks_cover_text_within_bound(max_chars):
    text = "First paragraph. Short.\n\n" + "A sentence that repeats itself. " * 60 + "\nEnd."
    spans = chunk_spans(text, max_chars)
    assert all(e - s <= max_chars for s, e in spans)
    assert all(s1 <= s2 for (s1, _), (s2, _) in zip(spans, spans[1:], strict=False))
    covered = "".join(text[s:e] for s, e in spans)
    assert covered.replace(" ", "").replace("\n", "") == text.replace(" ", "").replace("\n", "")


def test_embed_vectors_have_recorded_dimension_and_meaning():
    embedder = load_embedder("wordllama", 256)
    docs = [Document(id=str(i), source="s", format="txt", text=t) for i, t in enumerate(
        ["Oil prices rose sharply on OPEC supply cuts.",
         "Crude oil climbed after OPEC cut output.",
         "The football team won the championship game."])]
    chunks = embed_documents(docs, embedder, 1000)
    assert [c.dim for c in chunks] == [256] * 3
    v = np.array([c.vector for c in chunks])
    assert v.shape == (3, 256)
    assert v[0] @ v[1] > v[0] @ v[2]  # related texts are closer


def test_embed_empty_batch():
    assert embed_documents([], load_embedder(), 500) == []


@pytest.mark.parametrize("text", [
    "x" * 2_000_000,  # one token as long as budgets.max_chars allows
    "& " * 1_000_000,  # the punctuation run that made spaCy's tokenizer crawl
    "Shell traded the cargo in London on Tuesday.\n" * 44_000,  # plain prose, 2 MB
], ids=["one-token", "ampersands", "prose"])
def test_embed_of_a_document_at_max_chars_is_bounded(text):
    # The embed stage has no time budget of its own (it runs in the job's process): its
    # input is bounded by budgets.max_chars (2,000,000) and its cost is linear, about 1 s
    # for such a document here, far inside the 60 s a stage task may take per document.
    import time

    from sluice.config import BudgetConfig

    assert len(text) <= BudgetConfig().max_chars
    doc = Document(id="big", source="big", format="txt", text=text, content_type="text/plain")
    began = time.monotonic()
    chunks = embed_documents([doc], load_embedder("wordllama", 256), 1000)
    assert len(chunks) >= 2000 and time.monotonic() - began < 20
