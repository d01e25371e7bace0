"""Peer of bench/peers.py: a plain Haystack indexing pipeline over a folder of .txt files.

Usage (in the peers' virtualenv): python bench/peers_haystack.py FOLDER WORKDIR
converter -> cleaner -> spaCy NER (custom component) -> splitter -> wordllama embedder (custom
component) -> writer into an InMemoryDocumentStore, saved to WORKDIR/haystack-store.json.
"""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")  # offline machine: no posthog calls
sys.path.insert(0, str(Path(__file__).resolve().parent))
from peers_models import Phases  # noqa: E402  (first: it times the rest)

PHASES = Phases()

from haystack import Document, Pipeline, component  # noqa: E402
from haystack.components.converters import TextFileToDocument  # noqa: E402
from haystack.components.preprocessors import DocumentCleaner, DocumentSplitter  # noqa: E402
from haystack.components.writers import DocumentWriter  # noqa: E402
from haystack.document_stores.in_memory import InMemoryDocumentStore  # noqa: E402
from peers_models import NER_BATCH, embed, entities, load_spacy, load_wordllama  # noqa: E402

WORDS_PER_CHUNK = 150  # about 1,000 characters of Reuters text: Sluice's embed.max_chars


@component
class SpacyEntities:
    """NER-only spaCy over whole documents; the entities go into each document's meta."""

    def warm_up(self) -> None:
        load_spacy()

    @component.output_types(documents=list[Document])
    def run(self, documents: list[Document]) -> dict[str, list[Document]]:
        docs = load_spacy().pipe((d.content or "" for d in documents), batch_size=NER_BATCH)
        return {"documents": [replace(d, meta={**d.meta, "entities": entities(sp)})
                              for d, sp in zip(documents, docs, strict=True)]}


@component
class WordLlamaEmbedder:
    """The bundled wordllama model, 256 dimensions, as Sluice embeds its chunks."""

    def warm_up(self) -> None:
        load_wordllama()

    @component.output_types(documents=list[Document])
    def run(self, documents: list[Document]) -> dict[str, list[Document]]:
        vectors = embed([d.content or "" for d in documents])
        return {"documents": [replace(d, embedding=v.tolist())
                              for d, v in zip(documents, vectors, strict=True)]}


def build(store: InMemoryDocumentStore) -> Pipeline:
    pipe = Pipeline()
    pipe.add_component("converter", TextFileToDocument())
    pipe.add_component("cleaner", DocumentCleaner())
    pipe.add_component("ner", SpacyEntities())
    pipe.add_component("splitter", DocumentSplitter(split_by="word",
                                                    split_length=WORDS_PER_CHUNK, split_overlap=0))
    pipe.add_component("embedder", WordLlamaEmbedder())
    pipe.add_component("writer", DocumentWriter(document_store=store))
    for a, b in [("converter", "cleaner"), ("cleaner", "ner"), ("ner", "splitter"),
                 ("splitter", "embedder"), ("embedder", "writer")]:
        pipe.connect(a, b)
    return pipe


def main() -> None:
    folder, work = Path(sys.argv[1]), Path(sys.argv[2])
    PHASES.mark("imports")
    store = InMemoryDocumentStore()
    pipe = build(store)
    pipe.warm_up()
    PHASES.mark("load")
    result = pipe.run({"converter": {"sources": sorted(folder.rglob("*.txt"))}})
    PHASES.mark("run")
    store.save_to_disk(str(work / "haystack-store.json"))
    PHASES.mark("save")
    chunks = store.filter_documents()
    firsts = [c for c in chunks if c.meta.get("split_id") == 0]  # a document's entities: once
    PHASES.report(chunks=result["writer"]["documents_written"], documents=len(firsts),
                  entities=sum(len(c.meta["entities"]) for c in firsts))


if __name__ == "__main__":
    main()
