"""Every error Sluice raises on purpose.

`DocumentError`s are per-document: a stage catches them and writes a `Failure` named after the
class, so one bad document never sinks a batch. Other `SluiceError`s stop the job: they mean the
job itself is misconfigured.
"""

from __future__ import annotations

from sluice.records import Failure


class SluiceError(Exception):
    """Base of every error Sluice raises on purpose."""


class SourceNotFound(SluiceError, FileNotFoundError):
    """The folder or file given as a job's source does not exist."""


class DocumentError(SluiceError):
    """One document cannot pass a stage; its class name becomes `Failure.error_class`."""


class UnsupportedFormat(DocumentError):
    """No parser for this file type."""


class EmptyDocument(DocumentError):
    """The document has no text once parsed."""


class BadRecord(DocumentError):
    """A JSONL line is not a JSON object holding the text field."""


class CorruptPDF(DocumentError):
    """pypdf cannot read the file."""


class EncryptedPDF(DocumentError):
    """The PDF needs a password."""


class NoTextLayer(DocumentError):
    """The PDF has pages but no extractable text (a scan)."""


class NoTextPart(DocumentError):
    """An e-mail without a text/plain or text/html body."""


class LineNotFound(DocumentError):
    """A JSONL line that is no longer in its file (the file changed since discovery)."""


def failure_from(exc: BaseException, stage: str, source: str, doc_id: str | None) -> Failure:
    """A ledger entry for `exc`; other exceptions keep their class in the message, as their
    text alone is often terse (a KeyError's is just the key)."""
    name, message = type(exc).__name__, str(exc)
    if not message:
        message = name
    elif not isinstance(exc, DocumentError):
        message = f"{name}: {message}"
    return Failure(source=source, stage=stage, error_class=name, message=message, doc_id=doc_id)


class ConfigError(SluiceError):
    """A configuration value or file is invalid; raised before any document is touched."""


class UnsupportedStoreURL(ConfigError):
    """The store URL names a database Sluice cannot write to (only SQLite and PostgreSQL)."""


class CorruptOutput(SluiceError):
    """A line of a JSONL output file is not a document record; the file was edited by hand."""


class ErrorRateExceeded(SluiceError):
    """More documents failed than the job's max_error_rate allows."""


class DeviceError(SluiceError):
    """The requested compute device (a GPU) is not usable; never silently replaced."""
