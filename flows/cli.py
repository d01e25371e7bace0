"""`sluice` command line. Each subcommand is a thin shell over a flow or the Prefect API."""

from __future__ import annotations

import argparse
import atexit
import contextlib
import logging
import os
import sys
import threading
from typing import Any

import yaml
from pydantic import ValidationError

import flows  # noqa: F401 - sets Prefect defaults before Prefect is imported
from flows.ephemeral import EarlyServer, without_heartbeats
from sluice import redact
from sluice.config import ENV_REF, PipelineConfig, RunParams, load_config
from sluice.errors import SluiceError

LOCAL_STORE_ENV = "SLUICE_STORE_URL"  # where `sluice run` keeps a store URL's password
PARKED_EXIT = 3  # the job ran, but some batches wait in the outbox for `sluice replay`
EXIT_CODE: list[int] = []  # what main returned, for exit_without_teardown


def main(argv: list[str] | None = None) -> int:
    command = argv is None  # the `sluice` command itself, not a caller inside a process
    argv = sys.argv[1:] if argv is None else argv
    if command and argv[:1] == ["run"]:
        atexit.register(exit_without_teardown)  # registered before Prefect's: runs after them
    # The server boots in its own process while this one imports Prefect (the parser's
    # subcommands do) and loads the models: see flows/ephemeral.py.
    early = EarlyServer() if starts_a_server(argv) else None
    parser = build_parser()
    args = parser.parse_args(argv)
    args.early_server = early
    try:
        code = args.handler(args)
    except (SluiceError, ValidationError) as exc:
        print(f"sluice: error: {redact.scrub(str(exc))}", file=sys.stderr)
        code = 2
    EXIT_CODE.append(code)
    return code


def exit_without_teardown() -> None:
    """The last exit hook of `sluice run`: end the process without the interpreter's teardown,
    which frees the models object by object (seconds). Nothing is left to write by then: the
    store is committed, the JSONL fsynced, Prefect's log and event workers drained (before any
    exit hook) and the server stopped (by its hook). Not after an uncaught exception."""
    if not EXIT_CODE:
        return
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a closed pipe: nothing left to flush into
            stream.flush()
    os._exit(EXIT_CODE[-1])


def starts_a_server(argv: list[str]) -> bool:
    """`sluice run` without a Prefect server named in the environment, in a process that has
    not imported Prefect yet (after that, starting early gains nothing)."""
    return (argv[:1] == ["run"] and not {"-h", "--help"} & set(argv)
            and not os.environ.get("PREFECT_API_URL") and "prefect" not in sys.modules)


def build_parser() -> argparse.ArgumentParser:
    from flows.cli_jobs import add_job_commands
    from flows.cli_store import add_store_commands

    parser = argparse.ArgumentParser(prog="sluice", description=__doc__)
    sub = parser.add_subparsers(required=True, metavar="COMMAND")
    run = sub.add_parser("run", help="run the pipeline on SOURCE now, in this process")
    add_job_arguments(run)
    run.set_defaults(handler=cmd_run)
    add_job_commands(sub)
    add_store_commands(sub)
    return parser


def add_job_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", help="a folder (recursive), a file, or a JSONL file")
    parser.add_argument("--store", default="sqlite:///data/sluice.db",
                        help="sqlite:///PATH (default), postgresql://USER@HOST/DB, or "
                             "env:VARIABLE (the URL, password and all, is in that variable)")
    parser.add_argument("--out", default="data/out", help="folder for the JSONL output")
    parser.add_argument("--config", help="YAML config file (see sluice.yaml)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a config key, e.g. --set batch_size=50 (repeatable)")
    parser.add_argument("--batch-size", type=int, help="documents per batch (default 200)")
    parser.add_argument("--text-field", help="JSONL field that holds the text (default text)")
    parser.add_argument("--reprocess", action="store_true",
                        help="process documents again even if stored unchanged")


def job_params(args: argparse.Namespace, local: bool = True) -> RunParams:
    """The job's parameters from the command line. `local` (sluice run): a store URL with a
    password moves into this process's environment, and the job names the variable; a job for
    the server (sluice submit) with one is refused by RunParams: the server keeps parameters
    in plain text, and the password is not this shell's to hand on to the worker."""
    overrides: dict[str, Any] = {}
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep:
            raise SluiceError(f"--set {item!r}: expected KEY=VALUE")
        overrides[key.strip()] = yaml.safe_load(value)
    for key in ("batch_size", "text_field"):
        if getattr(args, key) is not None:
            overrides[key] = getattr(args, key)
    if args.reprocess:
        overrides["reprocess"] = True
    store = hide_password(args.store) if local else args.store
    params = RunParams(source=args.source, store=store, out=args.out,
                       config=args.config, overrides=overrides)
    load_config(params.config, params.overrides)  # a bad config fails before the run
    return params


def hide_password(store: str) -> str:
    """`env:SLUICE_STORE_URL` for a store URL with a password (set in this process's
    environment, which the local run shares); any other store as it is."""
    if not redact.url_password(store):
        return store
    os.environ[LOCAL_STORE_ENV] = store
    return ENV_REF + LOCAL_STORE_ENV


def cmd_run(args: argparse.Namespace) -> int:
    from flows.ephemeral import install

    params = job_params(args)
    early: EarlyServer | None = getattr(args, "early_server", None)
    cfg = load_config(params.config, params.overrides)
    sandbox = start_sandbox(cfg, params) if early else None
    from flows.pipeline import pipeline

    own_server = False
    if early:
        load_models(cfg, params)  # while the server boots
        wake_ner_workers(cfg, params)
        own_server = early.adopt()
    install()  # a temporary server Prefect starts dies with this process; starts queue
    if sandbox:
        sandbox.join()
    with without_heartbeats() if own_server else contextlib.nullcontext():
        state = pipeline(params, return_state=True)
    if state.is_failed():
        print(f"sluice: job failed: {state.message}", file=sys.stderr)
        return 1
    parked = state.result().totals.parked
    if parked:
        print(f"sluice: {parked} processed documents are parked in the outbox, not stored "
              "everywhere yet (a sink was down); run `sluice replay` to write them",
              file=sys.stderr)
        return PARKED_EXIT
    return 0


def runs_batches_here(params: RunParams) -> bool:
    return params.shards <= 1  # a sharded job's coordinator: none (`sluice run` is no shard)


def start_sandbox(cfg: PipelineConfig, params: RunParams) -> threading.Thread | None:
    """Start the parse-and-clean worker process (it imports lxml, pypdf, ftfy...) in a thread
    now; the first batch then finds it idle and ready. A failure here is left for that batch,
    which starts a worker of its own and reports why it cannot."""
    if not (cfg.budgets.sandbox and runs_batches_here(params)):
        return None
    from sluice.sandbox import run_each

    def start() -> None:
        try:
            run_each(len, [b""], [60.0], cfg.budgets.memory_mb)
        except Exception:  # noqa: BLE001,S110 -- see above
            pass

    thread = threading.Thread(target=start, name="sluice-sandbox", daemon=True)
    thread.start()
    return thread


def load_models(cfg: PipelineConfig, params: RunParams) -> None:
    """The models the batches will use, from the loaders (cached per process) the stages call.
    A loader's error is left for the stage, where it is handled and reported."""
    if not runs_batches_here(params):
        return
    from sluice.models import model_loaders

    for load in model_loaders(cfg):
        try:
            load()
        except Exception:  # noqa: BLE001,S110 -- see above
            pass


def wake_ner_workers(cfg: PipelineConfig, params: RunParams) -> None:
    """A source with text enough for every NER worker starts them all now: they load their
    models on the core that the server's boot leaves idle (a 2,000-document folder on 2
    cores: the second worker loaded 2.5-3.5 s after the start, not 5-6 s, when the first
    batch woke it). A small source wakes none but the first, which `load_models` started."""
    from sluice.io.files import bytes_at_least
    from sluice.ner_workers import pool_for, processes_for

    if not runs_batches_here(params) or cfg.ner.mode != "local" or processes_for(cfg) < 2:
        return
    wanted = processes_for(cfg) * cfg.ner.batch_chars
    try:
        pool_for(cfg).wake(bytes_at_least(params.source, wanted), cfg.ner)
    except Exception:  # noqa: BLE001,S110 -- a worker that cannot start: the first batch says why
        pass


if __name__ == "__main__":
    sys.exit(main())
