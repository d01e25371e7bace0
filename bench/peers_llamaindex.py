"""Peer of bench/peers.py: a LlamaIndex IngestionPipeline over a folder of .txt files.

Usage (in the peers' virtualenv): python bench/peers_llamaindex.py FOLDER WORKDIR
SimpleDirectoryReader -> SentenceSplitter -> spaCy NER and wordllama embedder (custom
TransformComponents) -> a docstore and a vector store, persisted under WORKDIR/llamaindex.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peers_models import Phases  # noqa: E402  (first: it times the rest)

PHASES = Phases()

from llama_index.core import SimpleDirectoryReader  # noqa: E402
from llama_index.core.ingestion import IngestionPipeline  # noqa: E402
from llama_index.core.node_parser import SentenceSplitter  # noqa: E402
from llama_index.core.schema import BaseNode, MetadataMode, TransformComponent  # noqa: E402
from llama_index.core.storage.docstore import SimpleDocumentStore  # noqa: E402
from llama_index.core.vector_stores import SimpleVectorStore  # noqa: E402
from peers_models import NER_BATCH, embed, entities, load_spacy, load_wordllama  # noqa: E402

TOKENS_PER_CHUNK = 256  # about 1,000 characters of Reuters text: Sluice's embed.max_chars


class SpacyEntities(TransformComponent):
    """NER-only spaCy over each node; the entities go into its metadata (kept out of the
    text that is embedded or sent to an LLM)."""

    def __call__(self, nodes: list[BaseNode], **kwargs) -> list[BaseNode]:
        texts = [n.get_content(metadata_mode=MetadataMode.NONE) for n in nodes]
        for node, doc in zip(nodes, load_spacy().pipe(texts, batch_size=NER_BATCH), strict=True):
            node.metadata["entities"] = entities(doc)
            node.excluded_embed_metadata_keys.append("entities")
            node.excluded_llm_metadata_keys.append("entities")
        return nodes


class WordLlamaEmbedding(TransformComponent):
    """The bundled wordllama model, 256 dimensions, as Sluice embeds its chunks."""

    def __call__(self, nodes: list[BaseNode], **kwargs) -> list[BaseNode]:
        vectors = embed([n.get_content(metadata_mode=MetadataMode.NONE) for n in nodes])
        for node, vector in zip(nodes, vectors, strict=True):
            node.embedding = vector.tolist()
        return nodes


def main() -> None:
    folder, work = Path(sys.argv[1]), Path(sys.argv[2]) / "llamaindex"
    PHASES.mark("imports")
    load_spacy()
    load_wordllama()
    PHASES.mark("load")
    reader = SimpleDirectoryReader(str(folder), recursive=True, required_exts=[".txt"])
    documents = reader.load_data()
    PHASES.mark("read")
    vectors = SimpleVectorStore()
    pipeline = IngestionPipeline(
        transformations=[SentenceSplitter(chunk_size=TOKENS_PER_CHUNK, chunk_overlap=0),
                         SpacyEntities(), WordLlamaEmbedding()],
        docstore=SimpleDocumentStore(), vector_store=vectors)
    nodes = pipeline.run(documents=documents)
    PHASES.mark("run")
    pipeline.persist(str(work))
    vectors.persist(str(work / "vector_store.json"))
    PHASES.mark("save")
    PHASES.report(chunks=len(nodes), documents=len({n.ref_doc_id for n in nodes}),
                  entities=sum(len(n.metadata["entities"]) for n in nodes))


if __name__ == "__main__":
    main()
