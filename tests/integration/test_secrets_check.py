""""Test a secret" against real servers, and secrets in exports and errors (FAULTS 42).

A real PostgreSQL cluster (the ``pg_cluster`` fixture) and a real HTTP server on
127.0.0.1; the secret is always loaded through SecretStore first, as the console does.
"""

from __future__ import annotations

import json
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.http import LocalServer, Reply, Seen
from tests.support.incidents import P2_POLICY
from tests.support.keyrings import MemoryKeyring
from tests.support.pg import dsn_for
from tui.config import parse_config
from tui.db.cluster import TempCluster
from tui.db.session import DbError, DbSession
from tui.incidents.export import export_postmortem
from tui.incidents.model import EntryKind
from tui.incidents.store import IncidentStore
from tui.redact import MASK, REDACTOR, crash_report
from tui.secret_check import check_bearer_token, check_database_url
from tui.secrets import SERVICE, SecretStore, bearer_endpoints

DB = "production/database_url"
TOKEN_NAME = "production/api_token"
TOKEN = "opaque-Value-4711-never-shown"


@pytest.fixture(autouse=True)
def _fresh_redactor() -> Iterator[None]:
    REDACTOR.forget_all()
    yield
    REDACTOR.forget_all()


async def loaded(tmp_path: Path, name: str, value: str) -> str:
    """Store ``value`` in a real in-process keyring and read it back through SecretStore."""
    backend = MemoryKeyring()
    backend.set_password(SERVICE, name, value)
    store = SecretStore(backend=backend, index_path=tmp_path / "names.json",
                        encrypted_path=tmp_path / "enc.json", environ={})
    return (await store.get(name)).value


async def test_database_url_test_says_who_where_version_and_tls(
    tmp_path: Path, pg_cluster: TempCluster
) -> None:
    dsn = await loaded(tmp_path, DB, dsn_for(pg_cluster.dsn, password="Db-Pw-8086"))
    check = await check_database_url(DB, dsn)
    assert check.ok, check.lines
    line = check.lines[0]
    assert line.startswith(f"connected: postgres@127.0.0.1:{pg_cluster.port}/postgres, "
                           "PostgreSQL 15")
    assert line.split(", ")[-1]  # the TLS label
    assert "Db-Pw-8086" not in check.summary


async def test_database_url_test_reports_failure_within_the_deadline(tmp_path: Path) -> None:
    dsn = await loaded(tmp_path, DB, "postgresql://app:Refused-Pw-1@127.0.0.1:9/app")
    started = time.monotonic()
    check = await check_database_url(DB, dsn, timeout=2)
    assert time.monotonic() - started < 3.5
    assert not check.ok and check.summary.startswith("cannot connect")
    assert "Refused-Pw-1" not in check.summary


async def test_db_errors_never_carry_the_password(tmp_path: Path, pg_cluster: TempCluster) -> None:
    dsn = await loaded(tmp_path, DB, dsn_for(pg_cluster.dsn, database="no_such_db",
                                             password="Err-Pw-2468"))
    with pytest.raises(DbError) as info:
        await DbSession.connect(dsn, connect_timeout=5)
    assert "Err-Pw-2468" not in str(info.value)
    assert "Err-Pw-2468" not in crash_report(info.value)


def _echo(seen: Seen) -> Reply:
    token = seen.headers.get("authorization", "").split()[-1]
    if token != TOKEN:
        return Reply(401, '{"error": "unauthorized"}')
    return Reply(200, json.dumps({"status": "ok", "echo": token}))


async def test_bearer_token_test_probes_every_endpoint_that_uses_it(tmp_path: Path) -> None:
    with LocalServer({"/health": _echo, "/ready": _echo}) as server:
        config = parse_config(f"""
[environments.production]
base_url = "{server.url('/')}"
[[environments.production.health]]
path = "/health"
auth = "{TOKEN_NAME}"
[[environments.production.health]]
path = "/ready"
auth = "{TOKEN_NAME}"
""", tmp_path / "config.toml")
        endpoints = bearer_endpoints(config, TOKEN_NAME)
        token = await loaded(tmp_path, TOKEN_NAME, TOKEN)
        check = await check_bearer_token(TOKEN_NAME, token, endpoints)
        assert check.ok
        assert check.lines == ("production /health: accepted (200, healthy)",
                               "production /ready: accepted (200, healthy)")
        refused = await check_bearer_token(TOKEN_NAME, "wrong-token-0000", endpoints)
        assert not refused.ok
        assert refused.lines[0] == "production /health: token REFUSED (401)"
        assert [s.headers["authorization"] for s in server.seen][:2] == [f"Bearer {TOKEN}"] * 2


async def test_exports_never_contain_a_loaded_secret(tmp_path: Path) -> None:
    token = await loaded(tmp_path, TOKEN_NAME, TOKEN)
    with IncidentStore(tmp_path / "incidents.sqlite3") as store:
        opened = store.open_incident("API down", P2_POLICY)
        store.append(opened.incident_id, EntryKind.NOTE,
                     {"text": f"curl answered with {token} in the body"})
        incident = store.load(opened.incident_id)
    path = export_postmortem(incident, tmp_path / "postmortem.md", now=time.time())
    text = path.read_text()
    assert f"curl answered with {MASK} in the body" in text
    assert TOKEN not in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
