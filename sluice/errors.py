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
    """A ledger entry for `exc`. A `DocumentError` is named after its class; any other exception
    gets its stage's Sluice class (`STAGE_ERRORS`: ParseError, NerError, ...) and keeps its own
    class and text in the message, as "UnicodeDecodeError: 'utf-8' codec can't ...". The
    message is made valid Unicode: an exception's text may quote a file name's raw bytes."""
    name, message = type(exc).__name__, str(exc)
    if not isinstance(exc, DocumentError):
        message = f"{name}: {message}" if message else name
        name = STAGE_ERRORS.get(stage, StageError).__name__
    message = (message or name).encode("utf-8", "backslashreplace").decode("utf-8")
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


class OverBudget(DocumentError):
    """A document exceeds a per-document budget (`budgets.*`: size, characters, MIME depth or
    parts, PDF pages, wall time, memory); the message names the budget and both numbers."""


class Unreadable(DocumentError):
    """The input cannot be read (permission denied on the file, or on the folder holding it:
    then the failure names the folder, whose files were never listed)."""


class NotRegularFile(DocumentError):
    """The input is a FIFO, socket, device or folder: never opened, so a FIFO cannot block."""


class OutsideSourceRoot(DocumentError):
    """A symlink (to a file or a folder) whose target is outside the job's source folder;
    never read, so a link to /etc/shadow or /proc/self/environ stores nothing."""


class UnwritableRecord(DocumentError):
    """A finished document that a sink cannot store even after its text was made valid
    Unicode (a value JSON or the database rejects); the rest of its batch is stored."""


class StageError(DocumentError):
    """An unexpected error of a library inside a stage; the message starts with its class."""


class IngestError(StageError):
    """Reading an input failed unexpectedly (a vanished file, a broken gzip stream, ...)."""


class ParseError(StageError):
    """Parsing failed unexpectedly (a decoder, a parser, recursion too deep, ...)."""


class CleanError(StageError):
    """A cleaning step failed unexpectedly on this document."""


class NerError(StageError):
    """Named-entity recognition failed unexpectedly on this document."""


class EmbedError(StageError):
    """Embedding failed unexpectedly on this document."""


class StoreError(StageError):
    """The store rejected this document's rows (a value the database cannot hold)."""


# The class a non-Sluice exception is recorded under, by the stage it escaped from.
STAGE_ERRORS: dict[str, type[StageError]] = {
    "ingest": IngestError, "parse": ParseError, "clean": CleanError, "ner": NerError,
    "embed": EmbedError, "store": StoreError,
}  # fmt: skip


class CorruptArchive(DocumentError):
    """A compressed input (.jsonl.gz) that is cut short or not in the format its name says."""
