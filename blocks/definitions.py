"""Custom Prefect blocks: the configuration that a deployment's runs share, with secrets as
SecretStr (stored encrypted by the server, masked in the UI and in logs).

Register the types once per server: `python -m blocks.register`. Then save an instance, e.g.
`SluiceStore(url="postgresql://sluice@db:5432/sluice", password="...").save("prod")`.
"""

from __future__ import annotations

import sqlalchemy as sa
from prefect.blocks.core import Block
from pydantic import Field, SecretStr, field_validator

from sluice import redact
from sluice.config import CleanConfig
from sluice.io.event_sinks import DEFAULT_STREAM, RedisTarget, WebhookTarget


def _without_password(url: str) -> str:
    """A block's `url` is kept in plain text (only SecretStr fields are encrypted and masked)."""
    if redact.url_password(url):
        raise ValueError("the URL holds a password: give it in the `password` field, which the "
                         "server keeps encrypted")
    return url


class SluiceStore(Block):
    """Where documents are stored: a SQLAlchemy URL without its password, and the password."""

    _block_type_name = "Sluice Store"
    _block_type_slug = "sluice-store"
    url: str = Field("sqlite:///data/sluice.db", description="sqlite:/// or postgresql:// URL")
    password: SecretStr | None = Field(None, description="database password, if any")

    _no_password_in_url = field_validator("url")(lambda url: _without_password(url))

    def connection_url(self) -> str:
        url = sa.make_url(self.url)
        if self.password is not None:
            url = url.set(password=self.password.get_secret_value())
        return url.render_as_string(hide_password=False)


class SluiceRedis(Block):
    """The Redis stream that job events go to."""

    _block_type_name = "Sluice Redis"
    _block_type_slug = "sluice-redis"
    url: str = Field("redis://127.0.0.1:6379/0", description="redis:// URL without password")
    password: SecretStr | None = None

    _no_password_in_url = field_validator("url")(lambda url: _without_password(url))
    stream: str = DEFAULT_STREAM

    def target(self) -> RedisTarget:
        url = sa.make_url(self.url)  # parses redis:// too: scheme://user:password@host/db
        if self.password is not None:
            url = url.set(password=self.password.get_secret_value())
        return RedisTarget(url=url.render_as_string(hide_password=False), stream=self.stream)


class SluiceWebhook(Block):
    """An HTTP endpoint for job events, signed with HMAC-SHA256 over the body."""

    _block_type_name = "Sluice Webhook"
    _block_type_slug = "sluice-webhook"
    url: str
    secret: SecretStr | None = Field(None, description="HMAC key; unsigned without one")
    timeout_s: float = 5.0

    def target(self) -> WebhookTarget:
        return WebhookTarget(url=self.url, secret=self.secret, timeout_s=self.timeout_s)


class CleaningProfile(Block):
    """A named set of cleaning options, the `clean` section of the pipeline config."""

    _block_type_name = "Sluice Cleaning Profile"
    _block_type_slug = "sluice-cleaning-profile"
    steps: list[str] = Field(default_factory=lambda: list(CleanConfig().steps))
    html_main_text: bool = True
    unicode_form: str = "NFKC"

    def config(self) -> CleanConfig:
        return CleanConfig(steps=tuple(self.steps), html_main_text=self.html_main_text,
                           unicode_form=self.unicode_form)  # type: ignore[arg-type]

    def overrides(self) -> dict[str, object]:
        """As RunParams overrides: {"clean": {...}}."""
        return {"clean": self.config().model_dump(mode="json")}


SLUICE_BLOCKS: tuple[type[Block], ...] = (SluiceStore, SluiceRedis, SluiceWebhook, CleaningProfile)
