"""URLs, e-mail addresses and phone numbers: keep, mask ("[URL]") or drop.

Masking is redaction, so it is not recorded as a correction: that would keep the value.
"""

from __future__ import annotations

import re

PATTERNS = {
    "email": re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
    "url": re.compile(r"\b(?:https?://|ftp://|www\.)[^\s<>\"')\]]+[^\s<>\"')\].,;:!?]"),
    "phone": re.compile(r"(?<![\w+])(?:\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}"
                        r"(?:[ .-]\d{2,4}){1,3}"
                        r"|\(\d{3}\) ?\d{3}-\d{4}|\d{3}[-.]\d{3}[-.]\d{4})(?![\w-])"),
}
MASKS = {"email": "[EMAIL]", "url": "[URL]", "phone": "[PHONE]"}


def handle_contacts(text: str, kind: str, mode: str) -> str:
    if mode == "keep":
        return text
    replacement = MASKS[kind] if mode == "mask" else ""
    out = PATTERNS[kind].sub(replacement, text)
    return re.sub(r"[ \t]{2,}", " ", out) if mode == "drop" else out
