from collections.abc import Sequence
from functools import partial

from prefect import task

from sluice.config import EmbedConfig
from sluice.embed import embed_documents, load_embedder
from sluice.isolate import isolate
from sluice.records import Chunk, Document, Failure
from tasks import STAGE


@task(name="embed_batch", **STAGE)
def embed_batch(docs: Sequence[Document], cfg: EmbedConfig) -> tuple[list[Chunk], list[Failure]]:
    if not cfg.enabled:
        return [], []
    embed = partial(embed_documents, embedder=load_embedder(cfg.model, cfg.dim),
                    max_chars=cfg.max_chars)
    return isolate("embed", embed, docs)
