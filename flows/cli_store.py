"""`sluice replay`, `sluice search`, `sluice events`: the store, outbox and event commands."""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Iterator
from typing import Any

DEFAULT_STORE = "sqlite:///data/sluice.db"


def add_store_commands(sub: Any) -> None:
    replay = sub.add_parser("replay", help="write a job's parked batches and events again; a "
                            "store whose URL has a password is kept with it masked and reached "
                            "with the URL from the environment (e.g. SLUICE_STORE_URL)")
    replay.add_argument("job", help="job id (the flow run id), or 'all'")
    replay.add_argument("--outbox", help="outbox file (default $SLUICE_OUTBOX or data/outbox.db)")
    replay.set_defaults(handler=cmd_replay)

    search = sub.add_parser("search", help="the stored chunks most similar to QUERY")
    search.add_argument("query")
    search.add_argument("--store", default=DEFAULT_STORE)
    search.add_argument("--top", type=int, default=5)
    search.add_argument("--config", help="YAML config file: its embed section picks the model")
    search.add_argument("--exact", action="store_true",
                        help="with pgvector: compare with every chunk instead of using the index")
    search.set_defaults(handler=cmd_search)

    index = sub.add_parser("vector-index", help="drop or build a pgvector store's HNSW indexes")
    index.add_argument("action", choices=["build", "drop"],
                       help="drop before a bulk load, build after it")
    index.add_argument("--store", default=DEFAULT_STORE)
    index.set_defaults(handler=cmd_vector_index)

    events = sub.add_parser("events", help="print the job events of the Redis stream")
    events.add_argument("--follow", action="store_true", help="keep printing new events")
    events.add_argument("--redis", help="Redis URL (default $SLUICE_EVENTS_REDIS or local)")
    events.add_argument("--stream", help="stream key (default $SLUICE_EVENTS_STREAM)")
    events.add_argument("--job", help="only the events of this job id")
    events.add_argument("--limit", type=int, help="stop after this many events")
    events.set_defaults(handler=cmd_events)


def cmd_replay(args: argparse.Namespace) -> int:
    from sluice.io import event_sinks, sinks

    job = None if args.job == "all" else args.job
    replayed, failing = sinks.replay(job, args.outbox)
    from tasks.events import event_targets

    waiting = event_sinks.deliver_pending(event_targets(), args.outbox)
    print(f"replayed {replayed} batch write(s); {failing} still failing; "
          f"{waiting} event(s) still waiting")
    return 1 if failing or waiting else 0


def cmd_search(args: argparse.Namespace) -> int:
    from sluice.config import load_config
    from sluice.embed import load_embedder
    from sluice.io.search import search_chunks
    from sluice.io.store import open_store

    cfg = load_config(args.config).embed
    embedder = load_embedder(cfg.model, cfg.dim)  # the model the chunks were embedded with
    query = embedder.embed([args.query])[0].tolist()
    hits = search_chunks(open_store(args.store), query, embedder.name, args.top, args.exact)
    for rank, hit in enumerate(hits, start=1):
        snippet = " ".join(hit.text.split())[:160]
        print(f"{rank}. {hit.score:.3f}  {hit.source}  [chunk {hit.index}]\n   {snippet}")
    if not hits:
        print(f"no chunks embedded with {embedder.name} in {args.store}")
    return 0


def cmd_vector_index(args: argparse.Namespace) -> int:
    from sluice.io.search import build_vector_indexes, drop_vector_indexes
    from sluice.io.store import open_store

    act = build_vector_indexes if args.action == "build" else drop_vector_indexes
    names = act(open_store(args.store))
    if not names:
        print(f"{args.store}: chunk vectors are not pgvector columns; no index to {args.action}")
        return 1
    print(f"{args.action}: {', '.join(names)}")
    return 0


def cmd_events(args: argparse.Namespace) -> int:
    from sluice import events

    printed = 0
    for _entry_id, body in _stream_entries(args):
        event = events.from_json(body)
        if args.job and event.get_subject() != args.job:
            continue
        print(f"{event.get_time():%Y-%m-%dT%H:%M:%S%z} {events.kind_of(event):<16} "
              f"{event.get_subject()} {json.dumps(event.get_data(), sort_keys=True)}", flush=True)
        printed += 1
        if printed == args.limit:
            break
    return 0


def _stream_entries(args: argparse.Namespace) -> Iterator[tuple[bytes, bytes]]:
    """The stream's entries from the start; with --follow, then new ones as they come."""
    from sluice.io import event_sinks

    url = args.redis or os.environ.get("SLUICE_EVENTS_REDIS") or event_sinks.RedisTarget().url
    stream = args.stream or os.environ.get("SLUICE_EVENTS_STREAM") or event_sinks.DEFAULT_STREAM
    client, last = event_sinks.redis_client(url), "0-0"
    while True:
        block = {"block": 5_000} if args.follow else {}
        replies = client.xread({stream: last}, count=500, **block) or []
        entries = [entry for _stream, batch in replies for entry in batch]
        for entry_id, fields in entries:
            last = entry_id
            yield entry_id, fields[b"event"]
        if not entries and not args.follow:
            return
