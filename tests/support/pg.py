"""Helpers for tests that use the throwaway PostgreSQL cluster, and the console on it."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import socket
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from tui.config import Config, Environment

if TYPE_CHECKING:  # the console helpers import Textual only when a UI test uses them
    from textual.message import Message
    from textual.pilot import Pilot

    from tui.app import OnDutyApp
    from tui.db.monitor import DbSnapshot
    from widgets.db_pane import DbPane


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


# --------------------------------------------------------------------------- the console

SECRET_NAME = "test/database_url"
PASSWORD = "hunter2-Pg-S3cret"


def with_password(dsn: str, password: str = PASSWORD) -> str:
    """``dsn`` carrying a password (the test cluster trusts local users and ignores it)."""
    return dsn_for(dsn, password=password)


def db_config(tmp_path: Path, *, read_only: bool = False, interval: float = 0.2) -> Config:
    """One environment, 'production', whose database is the secret SECRET_NAME."""
    env = Environment(name="production", database_secret=SECRET_NAME,
                      db_poll_interval=interval, read_only=read_only)
    return Config(environments=(env,), incident_store=tmp_path / "incidents.sqlite3")


@contextlib.asynccontextmanager
async def console(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    dsn: str,
    *,
    read_only: bool = False,
    env_read_only: bool = False,
    size: tuple[int, int] = (160, 45),
    messages: list[Message] | None = None,
) -> AsyncIterator[tuple[OnDutyApp, Pilot[int]]]:
    """The real console on the database screen, its engine polling ``dsn`` every 0.2 s."""
    from tui.app import create_app
    from tui.secrets import env_var_name

    monkeypatch.setenv(env_var_name(SECRET_NAME), dsn)
    monkeypatch.setenv("ONDUTY_KEYRING_BACKEND", "fail")
    app = create_app(db_config(tmp_path, read_only=env_read_only), read_only=read_only,
                     state_file=tmp_path / "state.json", initial_mode="database",
                     incidents=False)
    hook = messages.append if messages is not None else None
    async with app.run_test(size=size, message_hook=hook) as pilot:
        yield app, pilot


def db_pane(app: OnDutyApp) -> DbPane:
    """The database pane of the screen under any dialog."""
    from widgets.db_pane import DbPane

    return app.screen_stack[0].query_one(DbPane) if app.screen_stack else app.query_one(DbPane)


def screen_text(app: OnDutyApp) -> str:
    """Every character on the (top) screen, as the terminal would show it."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)


async def until(pilot: Pilot[int], condition: Callable[[], bool], what: str,
                timeout: float = 8.0) -> None:
    """Let the app run until ``condition`` holds (checked every few ms)."""

    async def check() -> bool:
        await pilot.pause()
        return condition()

    await wait_for(check, timeout=timeout, what=what)


async def until_snapshot(pilot: Pilot[int], app: OnDutyApp,
                         condition: Callable[[DbSnapshot], bool], what: str,
                         timeout: float = 8.0) -> DbSnapshot:
    """Wait until the pane shows a snapshot matching ``condition``; return it.

    Statements are re-read only every few polls; while waiting, a refresh is asked for
    every 0.2 s (what ``r`` does) so new statements show up at once.
    """
    asked = [time.monotonic()]

    def shown() -> bool:
        snapshot = db_pane(app).snapshot
        if snapshot is not None and snapshot.status == "ok" and condition(snapshot):
            return True
        if app.engines is not None and time.monotonic() - asked[0] > 0.2:
            asked[0] = time.monotonic()
            app.engines.db.refresh_now()
        return False

    await until(pilot, shown, what, timeout)
    snapshot = db_pane(app).snapshot
    assert snapshot is not None
    return snapshot
