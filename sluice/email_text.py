"""E-mail bodies without what the sender did not write: quoted replies, forwarded and
"Original Message" blocks, attribution lines and the signature after "-- "."""

from __future__ import annotations

import re

_QUOTED = re.compile(r"^\s*>")
# everything from one of these lines on is an older message or a signature
_CUT = re.compile(
    r"^(?:-- ?|_{5,}|-{3,} ?(?:Original|Forwarded) [Mm]essage ?-{3,}.*|On .{4,200} wrote:"
    r"|Le .{4,200} a écrit ?:|Am .{4,200} schrieb .{0,80}:|Sent from my \w+.*"
    r"|Begin forwarded message:)\s*$")
_HEADER_BLOCK = re.compile(r"^(?:From|Sent|To|Date|Subject): ")


def strip_email(text: str) -> str:
    kept: list[str] = []
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if _CUT.match(line) or _outlook_header(lines, i):
            break
        if not _QUOTED.match(line):
            kept.append(line)
    return "\n".join(kept).rstrip()


def _outlook_header(lines: list[str], i: int) -> bool:
    """A "From: ... / Sent: ..." block inside a body starts the quoted message."""
    if i == 0 or not lines[i].startswith("From: "):
        return False
    block = lines[i:i + 4]
    return sum(bool(_HEADER_BLOCK.match(line)) for line in block) >= 3
