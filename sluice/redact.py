"""Keep secrets out of what Sluice prints, logs, stores and sends.

Secrets are masked as `***` in two ways. By position, whatever their length: the password of
any URL (`scheme://user:PASSWORD@host`, up to the authority's last "@", as urllib reads it), and
the value of a `password=`/`secret=`/`token=` setting (a libpq conninfo, a URL's query, an
environment dump). By value: the values registered as secrets (webhook keys, S3 keys, a store's
password) or found in the environment under secret-looking names, wherever they appear, once
they are MIN_SECRET_LEN long (a shorter value would mask ordinary words all over the text).
`install()` puts the masking into every log record this process creates, before any handler
(console, Prefect's API log handler, a file) sees it.

Both patterns are anchored on a literal (`://`, a keyword) and their parts are bounded, so
masking a hostile 10 MB log line costs linear time.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, unquote

MASK = "***"
MIN_SECRET_LEN = 4  # shorter values would mask ordinary words all over the text
# Bounded parts anchored on a literal: each "://" costs at most 256 steps (a "/" or space ends
# the authority), so the scan stays linear on hostile text.
URL_PASSWORD = re.compile(r"://([^\s:/@]{0,256}+):([^\s/]{1,256})@")
# A setting's value after its name (`password=`, `PGPASSWORD=`, `"secret": "..."`), quoted or
# bare; the name is matched from its keyword on, so "tokens=5" or "secret_count" are no match.
SETTING = re.compile(
    r"(?i)((?:password|passwd|secret|token|auth_string|access_key|api_key)['\"]?"
    r"\s{0,8}+[=:]\s{0,8}+)('[^']{0,256}+'|\"[^\"]{0,256}+\"|[^\s&;,'\"]{1,256}+)")
SECRET_NAMES = ("SECRET", "PASSWORD", "TOKEN", "AUTH_STRING", "ACCESS_KEY")
_secrets: set[str] = set()
_lock = threading.Lock()
_urls: dict[str, str] = {}  # redacted URL -> the URL, for what a redacted key must reach again


def url_password(url: str) -> str | None:
    """The password of `url` as written (percent-encoded), or None."""
    match = URL_PASSWORD.search(url)
    return match.group(2) if match else None


def redact_url(url: str) -> str:
    """`url` with its password (and any registered secret) replaced by ***."""
    return scrub(url)


def add_secret(value: str | None) -> None:
    """Mask `value` (and its percent-encoded form) from now on, wherever it appears."""
    if not value or len(value) < MIN_SECRET_LEN:
        return
    with _lock:
        _secrets.update({value, quote(value, safe="")})


def add_url(url: str) -> str:
    """Register `url`'s password as a secret and remember the URL, so that `unredact` can
    turn its redacted form back into it; returns the redacted form."""
    password = url_password(url)
    if password:
        add_secret(unquote(password))
        add_secret(password)
    redacted = redact_url(url)
    if redacted != url:
        with _lock:
            _urls[redacted] = url
    return redacted


def unredact(key: str, environ: Mapping[str, str] | None = None) -> str:
    """The URL whose redacted form is `key`: one registered in this process, or the value of
    an environment variable; without either, `key` without its password (libpq then takes the
    password from PGPASSWORD or ~/.pgpass)."""
    if MASK not in key:
        return key
    if key in _urls:
        return _urls[key]
    env = os.environ if environ is None else environ
    for value in env.values():
        if "://" in value and redact_url(value) == key:
            return value
    return key.replace(f":{MASK}@", "@", 1)


def secrets_from_env(environ: Mapping[str, str] | None = None) -> None:
    """Register the secrets this process was given in its environment: variables named like
    secrets (…_SECRET, …_PASSWORD, …_TOKEN, PREFECT_API_AUTH_STRING, …) and URL passwords."""
    env = os.environ if environ is None else environ
    for name, value in env.items():
        if "://" in value:
            add_url(value)
        elif any(part in name.upper() for part in SECRET_NAMES):
            add_secret(value)
            if name.upper().endswith("AUTH_STRING") and ":" in value:  # user:password
                add_secret(value.split(":", 1)[1])


def scrub(text: str) -> str:
    """`text` with URL passwords and registered secrets masked."""
    if "@" in text:  # no URL password without one; most text is spared the pattern
        text = URL_PASSWORD.sub(rf"://\1:{MASK}@", text)
    if "=" in text or ":" in text:
        text = SETTING.sub(_masked_setting, text)
    for secret in sorted(_secrets, key=len, reverse=True):  # longest first: no half masks
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def _masked_setting(match: re.Match[str]) -> str:
    value = match.group(2)
    quote_ = value[0] if value[0] in "'\"" else ""  # a quoted value stays quoted (JSON stays JSON)
    return f"{match.group(1)}{quote_}{MASK}{quote_}"


def scrub_data(value: Any) -> Any:
    """`value` (JSON-like: dicts, lists, strings) with every string scrubbed."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, Mapping):
        return {key: scrub_data(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [scrub_data(item) for item in value]
    return value


class RedactingFilter(logging.Filter):
    """Scrubs a record's message, traceback and stack in place; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        scrub_record(record)
        return True


def scrub_record(record: logging.LogRecord) -> logging.LogRecord:
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 -- a bad format string is logging's to report, not ours
        return record
    record.msg, record.args = scrub(message), None
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = scrub(record.exc_text)
    if record.stack_info:
        record.stack_info = scrub(record.stack_info)
    return record


_installed = False


def install() -> None:
    """Scrub every log record of this process from now on (idempotent): a record factory
    reaches the records of every logger, where a filter on one logger would miss its
    children's. Also registers the secrets of the environment."""
    global _installed
    secrets_from_env()
    with _lock:
        if _installed:
            return
        _installed = True
    make = logging.getLogRecordFactory()

    def scrubbed_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return scrub_record(make(*args, **kwargs))

    logging.setLogRecordFactory(scrubbed_record)
