"""Source labels in the escaped form of sluice.names: unambiguous failure keys.

Revision ID: 0005
Revises: 0004

The failures table is keyed by (source, stage), and a source is a file's path or a JSONL line's
`path#L<n>`. Before this revision a file literally named `x.jsonl#L1` had the label of line 1 of
`x.jsonl`, and a name that was not UTF-8 had no label that could be stored at all. Labels are now
written by sluice.names.escape_path: a backslash is doubled, an undecodable byte is `\\xNN`, and
a name ending in `#L<digits>` has its `#` written `\\x23`. This converts the rows written before:

- every source holding a backslash is escaped (documents and failures alike);
- a failure with `#L<n>` at the end of its source is a line, unless its class is
  UnsupportedFormat: JSONL is a supported format, so that row came from a file named so, and
  gets the file's escaped name. (A line's row that such a file overwrote is gone for good.)
"""

from __future__ import annotations

import re
from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

from sluice.names import escape_path, unescape_path

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_LINE = re.compile(r"(.*)(#L\d+)\Z", re.DOTALL)
DOCUMENTS = sa.table("documents", sa.column("id"), sa.column("source"), sa.column("format"))
FAILURES = sa.table(
    "failures", sa.column("source"), sa.column("stage"), sa.column("job_id"),
    sa.column("error_class"), sa.column("message"), sa.column("doc_id"), sa.column("at"),
)  # fmt: skip


def upgrade() -> None:
    bind = op.get_bind()
    for doc_id, source, fmt in bind.execute(
        sa.select(DOCUMENTS.c.id, DOCUMENTS.c.source, DOCUMENTS.c.format).where(
            DOCUMENTS.c.source.contains("\\", autoescape=True))
    ):
        new = _escaped(source, is_line=fmt == "jsonl")
        bind.execute(sa.update(DOCUMENTS).where(DOCUMENTS.c.id == doc_id).values(source=new))
    _rekey_failures(bind, lambda row: _escaped(row.source, row.error_class != "UnsupportedFormat"))


def downgrade() -> None:
    bind = op.get_bind()
    for doc_id, source in bind.execute(
        sa.select(DOCUMENTS.c.id, DOCUMENTS.c.source).where(
            DOCUMENTS.c.source.contains("\\", autoescape=True))
    ):
        bind.execute(sa.update(DOCUMENTS).where(DOCUMENTS.c.id == doc_id)
                     .values(source=unescape_path(source)))
    _rekey_failures(bind, lambda row: unescape_path(row.source))


def _escaped(source: str, is_line: bool) -> str:
    line = _LINE.match(source) if is_line else None
    if line:
        return escape_path(line.group(1)) + line.group(2)
    return escape_path(source)


def _rekey_failures(bind: sa.Connection, new_source: Callable[[sa.Row], str]) -> None:
    """Rows whose key changes are deleted, then inserted under the new key: one UPDATE could
    collide with a row not yet rewritten (PostgreSQL checks the key row by row)."""
    suspects = (FAILURES.c.source.contains("\\", autoescape=True)
                | FAILURES.c.source.contains("#L", autoescape=True))
    rows = list(bind.execute(sa.select(FAILURES).where(suspects)))
    moved = [(row, new_source(row)) for row in rows]
    moved = [(row, new) for row, new in moved if new != row.source]
    for row, _ in moved:
        bind.execute(sa.delete(FAILURES).where(
            (FAILURES.c.source == row.source) & (FAILURES.c.stage == row.stage)))
    if moved:
        bind.execute(sa.insert(FAILURES), [{**row._mapping, "source": new} for row, new in moved])
