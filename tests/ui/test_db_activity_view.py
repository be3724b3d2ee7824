"""Activity and health views, connection states and the password, in the real console."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import asyncpg
import pytest

from tests.support.pg import (
    PASSWORD,
    closed_port,
    connect,
    console,
    db_pane,
    dsn_for,
    scratch_database,
    screen_text,
    until,
    until_snapshot,
    with_password,
)
from tui.db.cluster import TempCluster
from tui.db.monitor import DbView

EVIL_ROLE = "evil\x1b[31mrole[/]"


async def test_blocking_tree_idle_transactions_and_the_interval(
    pg_dsn: str, pg_cluster: TempCluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    holder = await connect(pg_dsn)
    await holder.execute(f'CREATE ROLE "{EVIL_ROLE}" LOGIN;'
                         "CREATE TABLE accounts (id int PRIMARY KEY, balance int);"
                         f'GRANT ALL ON accounts TO "{EVIL_ROLE}";'
                         "INSERT INTO accounts VALUES (1, 100)")
    waiter = await asyncpg.connect(pg_dsn, user=EVIL_ROLE, timeout=5,
                                   server_settings={"application_name": "evil[bold]app[/]"})
    blocked: asyncio.Task[object] | None = None
    try:
        await holder.execute("BEGIN; UPDATE accounts SET balance = 0 WHERE id = 1")
        blocked = asyncio.create_task(waiter.execute(
            "UPDATE accounts SET balance = 1 WHERE id = 1 /* \x1b[2J[/] waiter */"))
        async with (scratch_database(pg_cluster.dsn, extension=None, encoding="LATIN1")
                    as latin_dsn, console(tmp_path, monkeypatch, pg_dsn) as (app, pilot)):
            latin = await connect(latin_dsn)
            try:
                await latin.execute("SELECT 'café' AS latin")
                await pilot.press("a")
                snap = await until_snapshot(
                    pilot, app, lambda s: s.settings.view is DbView.ACTIVITY
                    and s.activity is not None and bool(s.activity.blocking), "the lock wait")
                hpid, wpid = holder.get_server_pid(), waiter.get_server_pid()
                await until(pilot, lambda: f"└─ {wpid}" in screen_text(app), "the tree")
                text = screen_text(app)
                lines = text.splitlines()
                holder_line = next(i for i, line in enumerate(lines) if f" {hpid} " in line)
                assert f"└─ {wpid}" in lines[holder_line + 1]
                assert "idle in transaction" in lines[holder_line]
                assert "Lock/transactionid" in lines[holder_line + 1]
                assert f"/{snap.activity.max_connections} connections" in text
                assert "idle in tx 1 (oldest" in text and "1 blocked" in text
                assert "every 0.2s · 30s while hidden" in text
                assert "\x1b" not in text and "evil[bold]app[/]" in text
                assert "evil␛[31mrole[/]" in text
                assert "caf\\xe9" in text or "caf\\xe9" in "".join(
                    s.query for s in snap.activity.sessions)
                db_pane(app).query_one("#db-sessions").move_cursor(row=1)
                await pilot.press("enter")
                await until(pilot, lambda: type(app.screen).__name__ == "TextDialog", "detail")
                detail = screen_text(app)
                assert f"blocked by {hpid}" in detail and "␛[2J[/] waiter" in detail
                await pilot.press("escape")
                await pilot.press("3")  # hide the database: the poller slows down
                hub = app.engines.db
                await until(pilot, lambda: hub.snapshot().interval == 30.0, "the slow interval")
                await pilot.press("4")
                await until(pilot, lambda: hub.snapshot().interval == 0.2, "the fast interval")
            finally:
                await latin.close()
    finally:
        await holder.execute("ROLLBACK")
        if blocked is not None:
            with contextlib.suppress(asyncpg.PostgresError):
                await asyncio.wait_for(blocked, 5)
        await waiter.close()
        await holder.execute(f'DROP OWNED BY "{EVIL_ROLE}"; DROP ROLE "{EVIL_ROLE}"')
        await holder.close()


async def test_health_view_shows_the_runbook_checks(
    pg_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = await connect(pg_dsn)
    try:
        await admin.execute("CREATE TABLE orders (id int PRIMARY KEY, status text);"
                            "CREATE INDEX orders_status_idx ON orders (status);"
                            "INSERT INTO orders SELECT g, 'paid' FROM generate_series(1, 500) g")
    finally:
        await admin.close()
    async with console(tmp_path, monkeypatch, pg_dsn) as (app, pilot):
        await until_snapshot(pilot, app, lambda s: bool(s.statements), "statements")
        await pilot.press("v", "v")
        await until_snapshot(pilot, app, lambda s: s.health is not None, "health")
        await until(pilot, lambda: "orders_status_idx" in screen_text(app), "the index")
        text = screen_text(app)
        assert "database · ok · health" in text and "primary" in text and "cache hit" in text
        assert "Least-used indexes" in text and "Largest tables" in text
        assert "public.orders" in text
        assert "no standbys streaming" in text
        await pilot.press("v")
        await until_snapshot(pilot, app, lambda s: s.settings.view is DbView.STATEMENTS,
                             "back to statements")


async def test_lost_connection_shows_the_backoff_then_reconnects(
    pg_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with console(tmp_path, monkeypatch, with_password(pg_dsn)) as (app, pilot):
        await until_snapshot(pilot, app, lambda s: bool(s.statements), "statements")
        admin = await connect(pg_dsn)
        try:
            await admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                                " WHERE application_name = 'onduty'"
                                " AND datname = current_database()")
        finally:
            await admin.close()
        await until(pilot, lambda: "database · reconnecting" in screen_text(app),
                    "the reconnecting state")
        text = screen_text(app)
        assert "next attempt in 1s (attempt" in text
        assert "showing the last good reading" in text and "lost the connection" in text
        assert PASSWORD not in text
        await until(pilot, lambda: "database · ok · statements by mean" in screen_text(app),
                    "the reconnection", timeout=10)


async def test_the_password_never_reaches_the_screen_even_in_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dsn = with_password(dsn_for(f"postgresql://app@127.0.0.1:{closed_port()}/db"))
    async with console(tmp_path, monkeypatch, dsn) as (app, pilot):
        await until(pilot, lambda: "reconnecting" in db_pane(app).title, "the failure")
        await pilot.press("p")
        text = screen_text(app)
        await pilot.press("escape")
        everything = [text, screen_text(app), db_pane(app).title, db_pane(app).subtitle,
                      *(str(n.message) for n in app._notifications), *app.problems.values()]
        assert "connection refused by app@127.0.0.1" in screen_text(app)
        assert all(PASSWORD not in part for part in everything)
