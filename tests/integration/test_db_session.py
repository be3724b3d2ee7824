"""DbSession against the real cluster: read-only, timeouts, deadlines, TLS refusal, loss."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from tests.support.pg import blackhole_port, closed_port, connect, dsn_for, wait_for
from tui.db.session import DbError, DbErrorKind, DbSession


@pytest.fixture
async def session(pg_dsn: str) -> AsyncIterator[DbSession]:
    db = await DbSession.connect(pg_dsn)
    try:
        yield db
    finally:
        await db.close()


async def test_session_is_read_only_labelled_and_named_onduty(
    session: DbSession, pg_dsn: str
) -> None:
    assert session.tls_label == "local, no TLS"
    assert session.server_version_num >= 120000
    rows = await session.fetch(
        "SELECT current_setting('transaction_read_only') AS ro,"
        " current_setting('statement_timeout') AS st,"
        " current_setting('application_name') AS app, pg_backend_pid() AS pid"
    )
    assert (rows[0]["ro"], rows[0]["st"], rows[0]["app"]) == ("on", "5s", "onduty")
    with pytest.raises(DbError) as caught:
        await session.fetch("CREATE TABLE nope (id int)")
    assert caught.value.sqlstate == "25006"
    admin = await connect(pg_dsn)
    try:
        app = await admin.fetchval(
            "SELECT application_name FROM pg_stat_activity WHERE pid = $1", rows[0]["pid"]
        )
    finally:
        await admin.close()
    assert app == "onduty"


async def test_statement_timeout_stops_a_slow_query(pg_dsn: str) -> None:
    db = await DbSession.connect(pg_dsn, statement_timeout=0.3)
    try:
        started = time.monotonic()
        with pytest.raises(DbError) as caught:
            await db.fetch("SELECT pg_sleep(5)")
        assert time.monotonic() - started < 2
        assert caught.value.kind is DbErrorKind.TIMEOUT
        assert (await db.fetch("SELECT 1 AS one"))[0]["one"] == 1
    finally:
        await db.close()


async def test_connect_to_a_blackholed_port_fails_within_the_deadline(pg_dsn: str) -> None:
    with blackhole_port() as port:
        dsn = f"postgresql://app:hunter2secret@127.0.0.1:{port}/db"
        started = time.monotonic()
        with pytest.raises(DbError) as caught:
            await DbSession.connect(dsn, connect_timeout=0.5)
        elapsed = time.monotonic() - started
    assert elapsed < 2.0
    assert caught.value.kind is DbErrorKind.TIMEOUT
    assert "hunter2secret" not in str(caught.value)
    assert "0.5 s" in str(caught.value)


async def test_refused_and_unknown_database_are_distinct(pg_dsn: str) -> None:
    with pytest.raises(DbError) as refused:
        await DbSession.connect(f"postgresql://app@127.0.0.1:{closed_port()}/db")
    assert refused.value.kind is DbErrorKind.REFUSED
    missing = dsn_for(pg_dsn, database="no_such_db", password="hunter2secret")
    with pytest.raises(DbError) as no_db:
        await DbSession.connect(missing)
    assert no_db.value.kind is DbErrorKind.NO_DATABASE
    assert "hunter2secret" not in str(no_db.value)


async def _refuse_tls_server(
    host: str,
) -> tuple[asyncio.Server, list[bytes]]:
    """A fake server that answers 'N' (no TLS) to SSLRequest, then records what follows."""
    received: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await reader.readexactly(8)
        received.append(request)
        writer.write(b"N")
        await writer.drain()
        received.append(await reader.read(4096))
        writer.close()

    server = await asyncio.start_server(handle, host, 0)
    return server, received


@pytest.mark.parametrize("query", ["", "?sslmode=require", "?sslmode=verify-full"])
async def test_remote_host_never_falls_back_to_plaintext(query: str) -> None:
    server, received = await _refuse_tls_server("127.0.0.2")
    port = server.sockets[0].getsockname()[1]
    try:
        with pytest.raises(DbError) as caught:
            await DbSession.connect(
                f"postgresql://app:pw@127.0.0.2:{port}/db{query}", connect_timeout=2
            )
        await wait_for(lambda: len(received) == 2, what="the client to hang up")
    finally:
        server.close()
        await server.wait_closed()
    assert caught.value.kind is DbErrorKind.TLS
    assert received[0][4:8] == (80877103).to_bytes(4, "big")  # SSLRequest
    assert received[1] == b""  # no plaintext startup packet followed


async def test_a_stalled_tls_handshake_fails_within_the_deadline() -> None:
    async def accept_tls_then_stall(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await reader.readexactly(8)
        writer.write(b"S")
        await writer.drain()
        await reader.read(65536)  # the ClientHello, never answered

    server = await asyncio.start_server(accept_tls_then_stall, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        started = time.monotonic()
        with pytest.raises(DbError) as caught:
            await DbSession.connect(
                f"postgresql://app:pw@127.0.0.1:{port}/db?sslmode=require", connect_timeout=0.5
            )
        assert time.monotonic() - started < 2.0
    finally:
        server.close()
        await server.wait_closed()
    assert caught.value.kind is DbErrorKind.TIMEOUT


async def test_terminated_backend_is_reported_as_connection_lost(
    session: DbSession, pg_dsn: str
) -> None:
    pid = (await session.fetch("SELECT pg_backend_pid() AS pid"))[0]["pid"]
    admin = await connect(pg_dsn)
    try:
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await admin.close()
    with pytest.raises(DbError) as caught:
        await session.fetch("SELECT 1")
    assert caught.value.kind is DbErrorKind.CONNECTION_LOST
    assert session.is_closed
