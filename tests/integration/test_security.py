"""Secrets, access and confinement on a real stack with auth on: Prefect's basic auth and CSRF
protection, the sluice-cpu pool, the pipeline deployment, a process worker, path roots.

- An unauthenticated client is refused (create_flow_run, a block read with its secrets);
  `sluice jobs` / `sluice submit` work with the secret in the environment.
- A flow run cannot choose the worker's command or environment (job_variables).
- A job from the REST API outside the roots fails before it starts, naming the fields.
- A real run with a password in its store URL, a webhook block with a secret, and the store
  down (so ERROR lines and the outbox): the password and the secret appear nowhere in what the
  server keeps (parameters, logs, artifacts, events, results: all of PREFECT_HOME), the
  output, the outbox, or the logs; `sluice replay` still reaches the store afterwards.
"""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from deployments import stack
from sluice import events

REPO = Path(__file__).resolve().parents[2]
PASSWORD = f"Store-Pw-{uuid.uuid4().hex[:12]}"
HOOK_SECRET = f"Hook-Secret-{uuid.uuid4().hex[:12]}"
ROLE = "sluice_secret_role"
pytestmark = pytest.mark.timeout(900)


class SecureStack:
    def __init__(self, env: dict[str, str], home: Path, root: Path) -> None:
        self.env, self.home, self.root = env, home, root
        self.api = env["PREFECT_API_URL"]
        self.secret = env["PREFECT_API_AUTH_STRING"]

    def client(self) -> httpx.Client:
        return stack.api_client(self.env)

    def deployment(self) -> dict:
        with self.client() as api:
            return api.get(f"deployments/name/{stack.FLOW}/pipeline").json()

    def wait_final(self, run_id: str, timeout_s: float = 300) -> dict:
        def read() -> dict:
            with self.client() as api:
                return api.get(f"flow_runs/{run_id}").json()
        return stack.wait_for(read, lambda r: r["state_type"] in (
            "COMPLETED", "FAILED", "CRASHED", "CANCELLED"), f"run {run_id} ending",
            timeout_s=timeout_s, every_s=1)


@pytest.fixture(scope="module")
def secure_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureStack]:
    from tests.integration.conftest import free_port

    root = tmp_path_factory.mktemp("secure")
    home = root / "prefect"
    for folder in ("in", "out"):
        (root / folder).mkdir()
    (root / "in" / "doc.txt").write_text("Reuters reported that Exxon raised prices in Houston.")
    env = stack.stack_env(free_port(), home, ui=False)
    env.update(stack.auth_env(stack.auth_secret(home)))
    env.update(stack.roots_env([root / "in"], [root / "out"]))
    for name in ("SLUICE_EVENTS_REDIS", "SLUICE_EVENTS_WEBHOOK", "SLUICE_STORE_URL"):
        env.pop(name, None)
    server = stack.start_server(env, home / "server.log")
    worker = None
    try:
        stack.wait_healthy(env["PREFECT_API_URL"])
        stack.create_pool(env)
        done = stack.prefect(env, "--no-prompt", "deploy", "--name", "pipeline", check=False)
        secure = SecureStack(env, home, root)
        assert secure.deployment().get("id"), done.stdout + done.stderr
        worker = stack.start_worker(env, home / "worker.log", name="secure-worker")
        yield secure
    finally:
        if worker is not None:
            stack.stop(worker)
        stack.stop(server)


def sluice(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "flows.cli", *args], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=600)


def test_auth_secret_file_is_private(secure_stack: SecureStack) -> None:
    path = secure_stack.home / stack.AUTH_FILE
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.read_text().strip() == secure_stack.secret
    assert stack.auth_secret(secure_stack.home) == secure_stack.secret  # kept, not regenerated


def test_unauthenticated_client_is_refused(secure_stack: SecureStack) -> None:
    api, deployment = secure_stack.api, secure_stack.deployment()
    create = f"{api}/deployments/{deployment['id']}/create_flow_run"
    body = {"parameters": {"params": {"source": str(secure_stack.root / "in")}}}
    assert httpx.post(create, json=body).status_code in (401, 403)  # no password, no token
    assert httpx.get(f"{api}/csrf-token", params={"client": "x"}).status_code == 401
    with secure_stack.client() as client:  # a valid CSRF token, to reach the auth check
        csrf = {k: v for k, v in client.headers.items() if k.lower().startswith("prefect-csrf")}
    assert httpx.post(create, json=body, headers=csrf).status_code == 401
    assert httpx.post(create, json=body, headers=csrf, auth=("sluice", "wrong")).status_code == 401
    block_id = _save_webhook_block(secure_stack, "http://127.0.0.1:9/hook")
    read = httpx.get(f"{api}/block_documents/{block_id}", params={"include_secrets": "true"})
    assert read.status_code == 401 and HOOK_SECRET not in read.text
    # Authenticated but without a CSRF token: a state-changing request is refused too.
    user, password = secure_stack.secret.split(":", 1)
    assert httpx.post(create, json=body, auth=(user, password)).status_code == 403
    assert httpx.get(f"{api}/health").status_code == 200  # probes stay open
    with secure_stack.client() as client:  # with both, the same block read is answered
        assert client.get(f"block_documents/{block_id}").status_code == 200


def test_sluice_commands_work_with_the_secret_and_fail_clearly_without(
        secure_stack: SecureStack) -> None:
    env, root = secure_stack.env, secure_stack.root
    submitted = sluice(env, "submit", str(root / "in"), "--store", f"sqlite:///{root}/out/a.db",
                       "--out", str(root / "out" / "a"), "--wait")
    assert submitted.returncode == 0, submitted.stdout + submitted.stderr
    assert "Completed" in submitted.stdout
    job_id = submitted.stdout.split()[0]
    listed = sluice(env, "jobs")
    assert listed.returncode == 0 and job_id in listed.stdout
    anonymous = {k: v for k, v in env.items() if k != "PREFECT_API_AUTH_STRING"}
    refused = sluice(anonymous, "jobs")
    assert refused.returncode == 2 and "PREFECT_API_AUTH_STRING" in refused.stderr
    inline = sluice(env, "submit", str(root / "in"), "--store",
                    f"postgresql://u:{PASSWORD}@127.0.0.1/x")
    assert inline.returncode == 2 and "env:" in inline.stderr and not inline.stdout
    assert PASSWORD not in inline.stderr


def test_flow_run_cannot_choose_the_workers_command_or_environment(
        secure_stack: SecureStack) -> None:
    root, deployment = secure_stack.root, secure_stack.deployment()
    marker = Path(f"/tmp/pwned-{uuid.uuid4().hex}")
    # The environment, were it applied, would fail the run: SLUICE__* variables set config.
    hostile = {"command": f"touch {marker}", "env": {"SLUICE__BATCH_SIZE": "not-a-number"}}
    params = {"params": {"source": str(root / "in"), "store": f"sqlite:///{root}/out/c.db",
                         "out": str(root / "out" / "c")}}
    with secure_stack.client() as api:
        rejected = _post(api, f"deployments/{deployment['id']}/create_flow_run",
                         {"parameters": params, "job_variables": hostile})
        assert rejected.status_code == 422, rejected.text
        # The plain flow-run endpoint does not check job variables against the pool's
        # template: the worker gets them, and its template has nowhere to put them.
        created = _post(api, "flow_runs/", {
            "flow_id": deployment["flow_id"], "deployment_id": deployment["id"],
            "work_pool_name": stack.POOL, "work_queue_name": "default",
            "parameters": params, "job_variables": hostile, "state": {"type": "SCHEDULED"}})
        assert created.status_code == 201, created.text
    run = secure_stack.wait_final(created.json()["id"])
    assert run["state_type"] == "COMPLETED", run["state"]
    assert not marker.exists()


def test_rest_job_outside_the_roots_fails_before_it_starts_naming_the_fields(
        secure_stack: SecureStack) -> None:
    deployment = secure_stack.deployment()
    params = {"source": "../../../../../../../etc", "store": "sqlite:////etc/sluice-x.db",
              "out": "/etc/sluice-out"}
    with secure_stack.client() as api:
        created = _post(api, f"deployments/{deployment['id']}/create_flow_run",
                        {"parameters": {"params": params}})
        assert created.status_code == 201, created.text
    run = secure_stack.wait_final(created.json()["id"])
    message = run["state"]["message"] or ""
    assert run["state_type"] == "FAILED", message
    for field in ("source", "store", "out"):
        assert field in message and "outside the" in message, message
    assert not Path("/etc/sluice-x.db").exists() and not Path("/etc/sluice-out").exists()
    with secure_stack.client() as api:
        tasks = api.post("task_runs/filter", json={
            "flow_runs": {"id": {"any_": [run["id"]]}}}).json()
    assert tasks == []  # not one task ran: nothing was read


@pytest.fixture
def store_role(private_pg) -> Iterator[str]:
    """A role with a password on a PostgreSQL of the test's own (trust auth: the password is
    never checked; what matters is the string), stopped and started by the test."""
    admin = sa.create_engine(private_pg.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE ROLE {ROLE} LOGIN SUPERUSER PASSWORD '{PASSWORD}'")
    admin.dispose()
    yield f"postgresql+psycopg2://{ROLE}:{PASSWORD}@127.0.0.1:{private_pg.port}/postgres"


def test_secrets_appear_nowhere_after_a_run_with_a_store_outage(
        secure_stack: SecureStack, store_role: str, private_pg, webhook) -> None:
    root, env = secure_stack.root, dict(secure_stack.env)
    _save_webhook_block(secure_stack, webhook.url, name="signed-hook")
    outbox_file = root / "out" / "outbox.db"
    env.update({"SLUICE_WEBHOOK_BLOCK": "signed-hook", "SLUICE_OUTBOX": str(outbox_file),
                "SLUICE_SINK_RETRY_DELAYS": "0.2,0.2"})
    private_pg.stop()  # the store is down for the whole run: its batches go to the outbox
    try:
        ran = sluice(env, "run", str(root / "in"), "--store", store_role,
                     "--out", str(root / "out" / "e"))
    finally:
        private_pg.start()
    output = ran.stdout + ran.stderr
    found = re.search(r"\bjob ([0-9a-f-]{36})$", output, re.MULTILINE)  # the summary's 1st line
    assert found, output
    job_id = found.group(1)
    assert "store: postgresql+psycopg2://sluice_secret_role:***@" in output, output
    errors = [line for line in output.splitlines() if "ERROR" in line and "outbox" in line]
    assert any(f"{ROLE}:***@" in line for line in errors), output  # the outage's ERROR line

    kept = _server_views(secure_stack, job_id)
    assert kept["parameters"]["params"]["store"] == "env:SLUICE_STORE_URL"
    assert kept["logs"] and kept["events"] and kept["artifacts"]
    assert webhook.requests, "no event reached the webhook"
    for headers, body in webhook.requests:  # signed at sending, within the window
        assert events.verify_signature(HOOK_SECRET, headers["X-Sluice-Signature"], body)
        stamp = int(headers["X-Sluice-Signature"].split(",")[0].removeprefix("t="))
        assert not events.verify_signature(HOOK_SECRET, headers["X-Sluice-Signature"], body,
                                           now=stamp + events.TOLERANCE_S + 1)
    user_password = secure_stack.secret.split(":", 1)[1]
    texts = {"output": output, "server views": repr(kept),
             "webhook bodies": repr(webhook.requests)}
    for name, text in texts.items():
        for secret in (PASSWORD, HOOK_SECRET, user_password):
            assert secret not in text, f"{secret} in {name}"
    for path in _files(root, secure_stack.home):
        data = path.read_bytes()
        assert PASSWORD.encode() not in data, f"store password in {path}"
        assert HOOK_SECRET.encode() not in data, f"webhook secret in {path}"
        if path.name != stack.AUTH_FILE:
            assert user_password.encode() not in data, f"API password in {path}"
    assert outbox_file.stat().st_mode & 0o077 == 0

    # The outbox names the store without its password; with the URL in the environment,
    # as where the job ran, `sluice replay` reaches the store again.
    replayed = sluice({**env, "SLUICE_STORE_URL": store_role}, "replay", "all")
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    engine = sa.create_engine(store_role)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM documents").scalar() == 1
    engine.dispose()


def _post(api: httpx.Client, path: str, body: dict) -> httpx.Response:
    """As `curl --retry` does: a busy server's SQLite answers 503 for a moment."""
    for _ in range(5):
        response = api.post(path, json=body)
        if response.status_code != 503:
            break
        time.sleep(2)
    return response


def _save_webhook_block(secure: SecureStack, url: str, name: str = "hook") -> str:
    """A SluiceWebhook block with HOOK_SECRET, saved through Prefect's own client."""
    from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL, temporary_settings

    from blocks.definitions import SluiceWebhook

    with temporary_settings(updates={PREFECT_API_URL: secure.api,
                                     PREFECT_API_AUTH_STRING: secure.secret}):
        SluiceWebhook.register_type_and_schema()
        return str(SluiceWebhook(url=url, secret=HOOK_SECRET).save(name, overwrite=True))


def _server_views(secure: SecureStack, job_id: str) -> dict:
    """What the server keeps of the run, through its API, once its last log is in."""
    time.sleep(3)  # logs and events are sent in batches
    ids = {"any_": [job_id]}
    with secure.client() as api:
        return {
            "parameters": api.get(f"flow_runs/{job_id}").json()["parameters"],
            "state": api.get(f"flow_runs/{job_id}").json()["state"],
            "logs": api.post("logs/filter", json={"logs": {"flow_run_id": ids}}).json(),
            "artifacts": api.post("artifacts/filter",
                                  json={"artifacts": {"flow_run_id": ids}}).json(),
            "events": api.post("events/filter", json={"filter": {"resource": {
                "id": [f"sluice.job.{job_id}"]}}, "limit": 50}).raise_for_status().json()["events"],
        }


def _files(*folders: Path) -> list[Path]:
    """Every file of the folders (PREFECT_HOME holds the server's database, its logs, the
    worker's log and the runs' persisted results)."""
    return [path for folder in folders for path in folder.rglob("*") if path.is_file()]


SHORT = "Q7z"  # shorter than redact.MIN_SECRET_LEN: masked by its place in the URL alone


def test_a_three_character_store_password_is_masked_by_its_place(
        secure_stack: SecureStack, private_pg) -> None:
    admin = sa.create_engine(private_pg.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE ROLE short_pw_role LOGIN SUPERUSER PASSWORD '{SHORT}'")
    admin.dispose()
    url = f"postgresql+psycopg2://short_pw_role:{SHORT}@127.0.0.1:{private_pg.port}/postgres"
    env, out = dict(secure_stack.env), secure_stack.root / "out" / "short"
    env.update({"SLUICE_OUTBOX": str(out / "outbox.db"), "SLUICE_SINK_RETRY_DELAYS": "0.2"})
    private_pg.stop()  # its ERROR lines name the store: the run most likely to leak
    try:
        ran = sluice(env, "run", str(secure_stack.root / "in"), "--store", url, "--out", str(out))
    finally:
        private_pg.start()
    output = ran.stdout + ran.stderr
    found = re.search(r"\bjob ([0-9a-f-]{36})$", output, re.MULTILINE)
    assert found and "short_pw_role:***@" in output, output
    job_id = found.group(1)
    kept = _server_views(secure_stack, job_id)
    assert kept["logs"] and kept["parameters"]
    for name, text in {"output": output, "server views": repr(kept)}.items():
        assert SHORT not in text, f"{SHORT} in {name}"
    with sqlite3.connect(out / "outbox.db") as conn:
        stored = repr(conn.execute("SELECT sink, last_error FROM writes").fetchall())
    assert "short_pw_role:***@" in stored and SHORT not in stored
