"""`sluice` command line. Each subcommand is a thin shell over a flow or the Prefect API."""

from __future__ import annotations

import argparse
import sys
from typing import Any

import yaml
from pydantic import ValidationError

import flows  # noqa: F401 - sets Prefect defaults before Prefect is imported
from flows.cli_jobs import add_job_commands
from flows.cli_store import add_store_commands
from sluice.config import RunParams, load_config
from sluice.errors import SluiceError


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except (SluiceError, ValidationError) as exc:
        print(f"sluice: error: {exc}", file=sys.stderr)
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
                        help="sqlite:///PATH (default) or postgresql://USER@HOST/DB")
    parser.add_argument("--out", default="data/out", help="folder for the JSONL output")
    parser.add_argument("--config", help="YAML config file (see sluice.yaml)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a config key, e.g. --set batch_size=50 (repeatable)")
    parser.add_argument("--batch-size", type=int, help="documents per batch (default 200)")
    parser.add_argument("--text-field", help="JSONL field that holds the text (default text)")
    parser.add_argument("--reprocess", action="store_true",
                        help="process documents again even if stored unchanged")


def job_params(args: argparse.Namespace) -> RunParams:
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
    params = RunParams(source=args.source, store=args.store, out=args.out,
                       config=args.config, overrides=overrides)
    load_config(params.config, params.overrides)  # a bad config fails before the run
    return params


def cmd_run(args: argparse.Namespace) -> int:
    from flows.pipeline import pipeline

    params = job_params(args)
    state = pipeline(params, return_state=True)
    if state.is_failed():
        print(f"sluice: job failed: {state.message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
