"""Helpers for tests that use the throwaway PostgreSQL cluster."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import socket
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from urllib.parse import urlsplit, urlunsplit

import asyncpg


async def wait_for(
    condition: Callable[[], bool | Awaitable[bool]],
    timeout: float = 5.0,
    interval: float = 0.01,
    what: str = "condition",
) -> None:
    """Check ``condition`` every ``interval`` seconds until true; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(interval)


def dsn_for(dsn: str, *, database: str | None = None, user: str | None = None,
            password: str | None = None, host: str | None = None,
            query: str | None = None) -> str:
    """``dsn`` with its database, user, password, host or query string replaced."""
    parts = urlsplit(dsn)
    netloc_host = parts.netloc.rpartition("@")[2]
    old_user = parts.netloc.rpartition("@")[0].partition(":")[0]
    if host is not None:
        netloc_host = f"{host}:{parts.port}"
    userinfo = user or old_user
    if password is not None:
        userinfo += f":{password}"
    path = f"/{database}" if database is not None else parts.path
    return urlunsplit((parts.scheme, f"{userinfo}@{netloc_host}", path,
                       parts.query if query is None else query, ""))


async def connect(dsn: str) -> asyncpg.Connection:
    """A plain admin connection (not onduty's session) for setting up scenarios."""
    return await asyncpg.connect(dsn, timeout=5)


@contextlib.asynccontextmanager
async def scratch_database(
    dsn: str, *, extension: str | None = "public", encoding: str | None = None
) -> AsyncIterator[str]:
    """A fresh database (pg_stat_statements in schema ``extension``, None for none)."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = await connect(dsn)
    try:
        options = f" ENCODING '{encoding}' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0" if (
            encoding) else ""
        await admin.execute(f'CREATE DATABASE "{name}"{options}')
        db_dsn = dsn_for(dsn, database=name)
        if extension is not None:
            conn = await connect(db_dsn)
            try:
                await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{extension}"')
                await conn.execute(
                    f'CREATE EXTENSION pg_stat_statements SCHEMA "{extension}"'
                )
            finally:
                await conn.close()
        yield db_dsn
    finally:
        with contextlib.suppress(asyncpg.PostgresError, OSError):
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@contextlib.contextmanager
def blackhole_port() -> Iterator[int]:
    """A port on 127.0.0.1 that accepts TCP connections (kernel backlog) but never answers."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield int(sock.getsockname()[1])


def closed_port() -> int:
    """A port on 127.0.0.1 with nothing listening (connections are refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
