"""Sluice's blocks against a real Prefect server: registered with one call, saved, loaded,
secrets kept out of the API's plain answers."""

from __future__ import annotations

import pytest

from blocks.definitions import CleaningProfile, SluiceRedis, SluiceStore, SluiceWebhook
from blocks.register import register
from sluice.config import load_config


@pytest.fixture(scope="module", autouse=True)
def registered(prefect_harness) -> list[str]:
    return register()


def test_blocks_register_every_type(registered: list[str]) -> None:
    assert {"sluice-store", "sluice-redis", "sluice-webhook", "sluice-cleaning-profile",
            "s3-bucket", "aws-credentials"} <= set(registered)
    assert register() == registered  # again: updates, no error


def test_blocks_store_password_is_secret_but_usable() -> None:
    from prefect.client.orchestration import get_client

    SluiceStore(url="postgresql://sluice@db:5432/sluice", password="p@ss").save(
        "prod", overwrite=True)
    assert SluiceStore.load("prod").connection_url() == "postgresql://sluice:p%40ss@db:5432/sluice"
    with get_client(sync_client=True) as client:
        stored = client.read_block_document_by_name("prod", "sluice-store", include_secrets=False)
    assert "p@ss" not in str(stored.data) and stored.data["url"].endswith("/sluice")


def test_blocks_event_targets_and_cleaning_profile() -> None:
    from blocks.use import event_targets

    SluiceRedis(url="redis://127.0.0.1:6379/0", stream="jobs").save("ev", overwrite=True)
    SluiceWebhook(url="http://127.0.0.1:9/hook", secret="k").save("hook", overwrite=True)
    redis_target, hook = event_targets(redis="ev", webhook="hook")
    assert (redis_target.url, redis_target.stream) == ("redis://127.0.0.1:6379/0", "jobs")
    assert hook.secret is not None and hook.secret.get_secret_value() == "k"

    CleaningProfile(steps=["unicode", "whitespace"], html_main_text=False).save(
        "light", overwrite=True)
    cfg = load_config(overrides=CleaningProfile.load("light").overrides())
    assert cfg.clean.steps == ("unicode", "whitespace") and cfg.clean.html_main_text is False


def test_blocks_named_in_flow_parameters_configure_the_job(tmp_path) -> None:
    from flows.pipeline import pipeline
    from sluice.config import RunParams
    from sluice.io import store

    url = f"sqlite:///{tmp_path}/from_block.db"
    SluiceStore(url=url).save("local", overwrite=True)
    CleaningProfile(steps=["unicode", "whitespace"]).save("raw-html", overwrite=True)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "page.html").write_text(
        "<html><body><p>Hello from Chicago.</p><p>Second paragraph.</p></body></html>")
    params = RunParams(source=str(tmp_path / "src"), out=str(tmp_path / "out"),
                       store_block="local", cleaning_profile="raw-html")
    summary = pipeline(params)
    assert summary.store == url and summary.totals.processed == 1
    (doc,) = store.read_documents(store.open_store(url))
    assert "<p>" in doc.text  # the profile left out the html_to_text step
