from collections.abc import Callable, Sequence
from functools import partial

from prefect import get_run_logger, task
from prefect.utilities.annotations import quote

from sluice.config import PipelineConfig
from sluice.correct import load_speller
from sluice.device import DeviceChoice, select_device
from sluice.isolate import isolate
from sluice.ner import annotate_documents, ner_model
from sluice.ner_workers import pool_for, processes_for
from sluice.records import Document, Failure
from sluice.redact import redact_url
from tasks import STAGE
from tasks.limits import ner_slot

_CHOSEN: dict[tuple[str, str], DeviceChoice] = {}
NerResult = tuple[list[Document], list[Failure]]


def device_for(cfg: PipelineConfig, docs: Sequence[Document]) -> DeviceChoice:
    """Chosen once per process, on the first batch's own texts as the probe."""
    key = (cfg.ner.device, cfg.ner.model)
    if key not in _CHOSEN:
        probe = [doc.text[:2000] for doc in docs[:64]] or ["Sluice probes the device."]
        _CHOSEN[key] = select_device(cfg.ner.device, cfg.ner.model, probe)
        get_run_logger().info("NER device: %s (%s)", _CHOSEN[key].device, _CHOSEN[key].reason)
    return _CHOSEN[key]


def annotate_batch(docs: Sequence[Document],
                   cfg: PipelineConfig) -> tuple[list[Document], list[Failure], DeviceChoice]:
    """NER and the entity-protected correction: in the NER worker processes (CPU, under
    budgets.ner_seconds per document), or here on the device this process chose."""
    processes = processes_for(cfg)
    if processes:
        choice = DeviceChoice(device="cpu", reason=f"{processes} NER worker processes")
        done, failures = pool_for(cfg).annotate(docs, cfg)
    else:
        choice = device_for(cfg, docs)
        speller = load_speller() if cfg.correct.enabled else None
        annotate = partial(annotate_documents, nlp=ner_model(cfg.ner.model), speller=speller,
                           ner_cfg=cfg.ner, correct_cfg=cfg.correct)
        done, failures = isolate("ner", annotate, docs)
    marked = [d.model_copy(update={"metadata": {**d.metadata, "ner_device": choice.device}})
              for d in done]
    return marked, failures, choice


@task(name="ner_batch", **STAGE)
def ner_batch(docs: Sequence[Document],
              cfg: PipelineConfig) -> tuple[list[Document], list[Failure]]:
    """Under the NER concurrency limit (a deployment's run shares the machine)."""
    with ner_slot():
        done, failures, _ = annotate_batch(docs, cfg)
    return done, failures


def ner_ahead(docs: Sequence[Document], cfg: PipelineConfig) -> Callable[[], NerResult]:
    """NER of one batch started now on the flow's task runner (its work is in the NER
    worker processes); the returned call waits for its result."""
    if not docs:
        return lambda: ([], [])
    return ner_batch.submit(quote(docs), cfg).result


def ner_stages(batches: Sequence[Sequence[Document]], cfg: PipelineConfig, store: str,
               job_id: str, numbers: Sequence[int]) -> list[tuple[list[Document], list[Failure]]]:
    """In this process under the NER concurrency limit, one batch after the other; or on the
    NER deployment's pool, all the given batches in flight at once. `numbers`: the batches'
    numbers in the job's plan (a resumed job or a shard has gaps), naming their NER runs."""
    if cfg.ner.mode == "pool":
        futures = [ner_on_pool_batch.submit(quote(docs), cfg, store, job_id, number)
                   for docs, number in zip(batches, numbers, strict=True)]
        return [future.result() for future in futures]
    return [ner_batch(quote(docs), cfg) if docs else ([], []) for docs in batches]


@task(name="ner_on_pool", **STAGE)
def ner_on_pool_batch(docs: Sequence[Document], cfg: PipelineConfig, store: str, job_id: str,
                      batch_no: int) -> tuple[list[Document], list[Failure]]:
    """Stage the batch, run the NER deployment on it, read its output back."""
    from prefect.deployments import run_deployment

    from sluice.io.staging import batch_key, read_staged, stage_documents
    from tasks.store import engine_for

    if not docs:
        return [], []
    engine = engine_for(store)
    key_in = stage_documents(engine, batch_key(job_id, batch_no, "clean"), docs)
    key_out = batch_key(job_id, batch_no, "ner")
    run = run_deployment(
        cfg.ner.deployment, timeout=None, tags=[f"sluice-job:{job_id}"],
        # The store's password is masked: a parameter is kept in plain text by the server;
        # the NER run finds the URL again in its worker's environment (sluice.redact.unredact).
        parameters={"store": redact_url(store), "key_in": key_in, "key_out": key_out,
                    "config": cfg.model_dump(mode="json")},  # the device is the deployment's
        idempotency_key=f"{job_id}:{batch_no}:ner")  # a resumed parent reuses the child run
    if not run.state or not run.state.is_completed():
        raise RuntimeError(f"NER deployment run {run.id} ended {run.state and run.state.name}")
    return read_staged(engine, key_out)
