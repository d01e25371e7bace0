"""`sluice` command line. Each subcommand is a thin shell over a flow or the Prefect API."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

import yaml
from pydantic import ValidationError

import flows  # noqa: F401 - sets Prefect defaults before Prefect is imported
from flows.cli_jobs import add_job_commands
from flows.cli_store import add_store_commands
from sluice import redact
from sluice.config import ENV_REF, RunParams, load_config
from sluice.errors import SluiceError

LOCAL_STORE_ENV = "SLUICE_STORE_URL"  # where `sluice run` keeps a store URL's password
PARKED_EXIT = 3  # the job ran, but some batches wait in the outbox for `sluice replay`


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except (SluiceError, ValidationError) as exc:
        print(f"sluice: error: {redact.scrub(str(exc))}", file=sys.stderr)
        return 2


def build_parser() -> argparse.ArgumentParser:
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
    from flows.pipeline import pipeline

    params = job_params(args)
    install()  # the temporary Prefect server dies with this process; concurrent starts queue
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


if __name__ == "__main__":
    sys.exit(main())
