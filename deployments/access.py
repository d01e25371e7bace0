"""Who may use a stack's API, and where its jobs may read and write.

The server asks for Prefect's basic auth and a CSRF token; the secret is generated once per
stack home (mode 0600) and given to the stack's own processes. Path roots are sluice.confine's.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping, Sequence
from pathlib import Path

import httpx

LOOPBACK = ("127.0.0.1", "localhost", "::1")
AUTH_FILE = "api-auth"  # under the stack's home: user:password for Prefect's basic auth


def auth_secret(home: Path) -> str:
    """The stack's `user:password` for Prefect's basic auth: generated once, then read from
    HOME/api-auth, a file only its owner can read."""
    path = home / AUTH_FILE
    if not path.exists():
        home.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(f"sluice:{secrets.token_urlsafe(32)}\n")
    return path.read_text(encoding="utf-8").strip()


def auth_env(secret: str) -> dict[str, str]:
    """Basic auth and CSRF protection on: the server asks, the clients (Prefect's and the
    `sluice` commands, which use Prefect's client) answer."""
    return {"PREFECT_SERVER_API_AUTH_STRING": secret, "PREFECT_API_AUTH_STRING": secret,
            "PREFECT_SERVER_CSRF_PROTECTION_ENABLED": "true",
            "PREFECT_CLIENT_CSRF_SUPPORT_ENABLED": "true"}


def roots_env(source: Sequence[Path], output: Sequence[Path]) -> dict[str, str]:
    """Where the stack's jobs may read and write (sluice.confine)."""
    return {"SLUICE_SOURCE_ROOTS": os.pathsep.join(str(p) for p in source),
            "SLUICE_OUTPUT_ROOTS": os.pathsep.join(str(p) for p in output)}


def api_client(env: Mapping[str, str] | str) -> httpx.Client:
    """An HTTP client of the stack's API, with its basic auth and, where the server wants one,
    a CSRF token (what Prefect's own client does)."""
    env = {"PREFECT_API_URL": env} if isinstance(env, str) else env
    secret = env.get("PREFECT_API_AUTH_STRING")
    auth = tuple(secret.split(":", 1)) if secret else None
    name = f"sluice-stack-{secrets.token_hex(8)}"
    token = httpx.get(f"{env['PREFECT_API_URL']}/csrf-token", params={"client": name}, auth=auth,
                      timeout=30)
    headers = {}
    if token.status_code == 200:  # 422: CSRF protection is off
        headers = {"Prefect-Csrf-Token": token.json()["token"], "Prefect-Csrf-Client": name}
    return httpx.Client(base_url=env["PREFECT_API_URL"] + "/", auth=auth, headers=headers,
                        timeout=30)
