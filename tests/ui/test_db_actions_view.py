"""Actions from the console on the real cluster: hidden when read-only, confirmed exactly,
and reported with the real outcome (cancel, terminate, 42501, EXPLAIN, EXPLAIN ANALYZE)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from textual.message import Message
from textual.widgets import DataTable, Static

from tests.support.pg import (
    PASSWORD,
    connect,
    console,
    db_pane,
    dsn_for,
    screen_text,
    until,
    until_snapshot,
    with_password,
)
from tui.db.monitor import DbView
from widgets.db_pane import DbPane


@contextlib.asynccontextmanager
async def sleeper(dsn: str, marker: str) -> AsyncIterator[tuple[int, asyncio.Task[object]]]:
    """A session running a 30 s query; yields its pid and the task awaiting it."""
    conn = await connect(dsn)
    task: asyncio.Task[object] = asyncio.create_task(
        conn.fetch(f"SELECT pg_sleep(30) /* {marker} */"))
    try:
        yield conn.get_server_pid(), task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, asyncpg.PostgresError,
                                 asyncpg.InterfaceError):
            await task
        conn.terminate()


def done(messages: list[Message]) -> list[DbPane.ActionDone]:
    return [m for m in messages if isinstance(m, DbPane.ActionDone)]


async def select_session(pilot, app, pid: int) -> None:  # type: ignore[no-untyped-def]
    """Open the activity view and put the cursor on ``pid``'s row."""
    await pilot.press("a")
    await until_snapshot(pilot, app, lambda s: s.settings.view is DbView.ACTIVITY
                         and s.activity is not None and s.activity.session(pid) is not None
                         and s.activity.session(pid).state == "active", f"session {pid}")
    pane = db_pane(app)
    table = pane.query_one("#db-sessions", DataTable)

    def on_row() -> bool:
        rows = [key for key, row_pid in pane._row_pids.items() if row_pid == pid]
        if rows:
            table.move_cursor(row=table.get_row_index(rows[0]))
        selected = pane.selected_backend()
        return selected is not None and selected[0] == pid

    await until(pilot, on_row, "the cursor on the session")


@pytest.mark.parametrize(("flag", "env_read_only", "why"), [
    (True, False, "--read-only"),
    (False, True, "set read_only = false under [environments.production]"),
])
async def test_actions_are_hidden_when_read_only(
    pg_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    flag: bool, env_read_only: bool, why: str,
) -> None:
    async with console(tmp_path, monkeypatch, pg_dsn, read_only=flag,
                       env_read_only=env_read_only) as (app, pilot):
        await until_snapshot(pilot, app, lambda s: bool(s.statements), "statements")
        keys = set(app.screen.active_bindings)
        assert {"o", "d", "m", "b", "a", "v", "p"} <= keys
        assert not {"E", "A", "K", "X"} & keys
        help_text = str(db_pane(app).query_one("#db-help", Static).content)
        assert "actions (EXPLAIN, cancel, terminate) are hidden" in help_text
        assert why in help_text and "are hidden" in screen_text(app)
        for key in ("E", "A"):
            await pilot.press(key)
            assert type(app.screen).__name__ == "DatabaseScreen"
        await pilot.press("a")
        await until_snapshot(pilot, app, lambda s: s.settings.view is DbView.ACTIVITY, "activity")
        for key in ("K", "X"):
            await pilot.press(key)
            assert type(app.screen).__name__ == "DatabaseScreen"
        await pilot.press("question_mark")
        keys_text = screen_text(app)
        assert "Sort" in keys_text and "db.sort" in keys_text
        assert "Cancel query" not in keys_text and "Terminate" not in keys_text
        from tui.db.actions import cancel_request

        refused = await app.engines.db.run(cancel_request(1))
        assert not refused.ok and "read-only" in refused.outcome


async def test_cancel_asks_with_the_exact_sql_and_reports_the_real_outcome(
    pg_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    messages: list[Message] = []
    async with (sleeper(pg_dsn, "victim-marker") as (pid, task),
                console(tmp_path, monkeypatch, with_password(pg_dsn),
                        messages=messages) as (app, pilot)):
        await select_session(pilot, app, pid)
        assert "Cancel query" in {b.binding.description for b in
                                  app.screen.active_bindings.values()}
        await pilot.press("K")
        await until(pilot, lambda: type(app.screen).__name__ == "ConfirmDialog", "the dialog")
        text = screen_text(app)
        assert f"SELECT pg_catalog.pg_cancel_backend({pid})" in text
        assert "production" in text and "victim-marker" in text
        assert PASSWORD not in text
        await pilot.press("enter")  # the focus is on Back: Enter alone does not confirm
        assert type(app.screen).__name__ == "DatabaseScreen" and not task.done()
        await pilot.press("K")
        await until(pilot, lambda: type(app.screen).__name__ == "ConfirmDialog", "the dialog")
        await pilot.press("y")
        await until(pilot, lambda: bool(done(messages)), "ActionDone")
        with pytest.raises(asyncpg.QueryCanceledError):
            await asyncio.wait_for(task, 5)
        event = done(messages)[0]
        assert event.result.ok, event.outcome
        assert event.outcome.startswith(f"query cancelled: backend {pid} is now idle")
        assert f"pg_cancel_backend({pid})" in event.description
        assert "production" in event.description and PASSWORD not in event.description
        await until(pilot, lambda: "last action: cancel backend" in screen_text(app),
                    "the outcome in the pane")
        # The toast too, as a plain str without markup (a rich Text fails to render).
        await until(pilot, lambda: any(
            isinstance(n.message, str) and not n.markup and "query cancelled" in n.message
            for n in app._notifications), "the notification")
        assert app.is_running


async def test_terminate_needs_the_pid_typed_and_checks_the_backend_is_gone(
    pg_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    messages: list[Message] = []
    async with (sleeper(pg_dsn, "terminate-marker") as (pid, task),
                console(tmp_path, monkeypatch, pg_dsn, messages=messages) as (app, pilot)):
        await select_session(pilot, app, pid)
        await pilot.press("X")
        await until(pilot, lambda: type(app.screen).__name__ == "TypedConfirmDialog",
                    "the typed confirmation")
        assert f"SELECT pg_catalog.pg_terminate_backend({pid})" in screen_text(app)
        await pilot.press("enter")
        await until(pilot, lambda: "Nothing typed" in screen_text(app), "the refusal")
        await pilot.press(*"12345x", "enter")
        await until(pilot, lambda: "does not match" in screen_text(app), "the mismatch")
        assert type(app.screen).__name__ == "TypedConfirmDialog" and not task.done()
        dialog = app.screen
        dialog.query_one("Input").value = ""
        await pilot.press(*str(pid), "enter")
        await until(pilot, lambda: bool(done(messages)), "ActionDone")
        event = done(messages)[0]
        assert event.result.ok and "gone from pg_stat_activity" in event.outcome
        admin = await connect(pg_dsn)
        try:
            assert await admin.fetchval("SELECT count(*) FROM pg_stat_activity WHERE pid = $1",
                                        pid) == 0
        finally:
            await admin.close()


async def test_terminate_without_pg_signal_backend_shows_the_server_error(
    pg_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    limited, victim = f"lim_{uuid.uuid4().hex[:8]}", f"vic_{uuid.uuid4().hex[:8]}"
    admin = await connect(pg_dsn)
    await admin.execute(f"CREATE ROLE {limited} LOGIN; CREATE ROLE {victim} LOGIN")
    messages: list[Message] = []
    try:
        async with (sleeper(dsn_for(pg_dsn, user=victim), "other-user") as (pid, task),
                    console(tmp_path, monkeypatch, dsn_for(pg_dsn, user=limited),
                            messages=messages) as (app, pilot)):
            await pilot.press("a")
            await until_snapshot(pilot, app, lambda s: s.activity is not None
                                 and s.activity.session(pid) is not None, "the victim")
            assert "limited privileges" in screen_text(app)
            await pilot.press("p")
            await until(pilot, lambda: type(app.screen).__name__ == "TextDialog", "privileges")
            report = screen_text(app)
            assert f"GRANT pg_read_all_stats TO \"{limited}\";" in report
            assert f"GRANT pg_signal_backend TO \"{limited}\";" in report
            assert "cancel/terminate" in report and "activity" in report
            await pilot.press("escape")
            pane = db_pane(app)
            key = next(k for k, p in pane._row_pids.items() if p == pid)
            table = pane.query_one("#db-sessions", DataTable)
            table.move_cursor(row=table.get_row_index(key))
            await pilot.press("X")
            await until(pilot, lambda: type(app.screen).__name__ == "TypedConfirmDialog",
                        "the typed confirmation")
            await pilot.press(*"production", "enter")
            await until(pilot, lambda: bool(done(messages)), "ActionDone")
            event = done(messages)[0]
            assert not event.result.ok and not task.done()
            assert "SQLSTATE 42501" in event.outcome
            assert "pg_signal_backend" in event.result.server_error  # the server's own words
            assert event.result.server_error in event.outcome
            await until(pilot, lambda: "SQLSTATE 42501" in screen_text(app), "the error shown")
    finally:
        await admin.execute(f"DROP ROLE IF EXISTS {limited}; DROP ROLE IF EXISTS {victim}")
        await admin.close()


async def test_explain_fills_parameters_on_pg15_and_sanitises(
    pg_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = await connect(pg_dsn)
    try:
        await admin.execute("CREATE TABLE accounts (id int PRIMARY KEY, balance int)")
        await admin.execute("INSERT INTO accounts SELECT g, 100 FROM generate_series(1, 50) g")
        await admin.fetch("SELECT balance FROM accounts WHERE id = $1 /* \x1b]0;pwn\x07 */", 3)
    finally:
        await admin.close()
    messages: list[Message] = []
    async with console(tmp_path, monkeypatch, pg_dsn, messages=messages) as (app, pilot):
        snap = await until_snapshot(pilot, app, lambda s: any(
            "FROM accounts" in st.query for st in s.statements), "the statement")
        assert snap.server_version_num < 160000
        index = next(i for i, st in enumerate(snap.statements) if "FROM accounts" in st.query)
        db_pane(app).query_one("#db-statements", DataTable).move_cursor(row=index)
        await pilot.press("E")
        await until(pilot, lambda: type(app.screen).__name__ == "ParamsDialog", "parameters")
        text = screen_text(app)
        assert "no EXPLAIN (GENERIC_PLAN)" in text and "␛]0;pwn␇" in text
        await pilot.press("enter")
        await until(pilot, lambda: "$1 needs a value" in screen_text(app), "the empty value")
        await pilot.press("7", "enter")
        await until(pilot, lambda: type(app.screen).__name__ == "ConfirmDialog", "confirm")
        assert "EXPLAIN SELECT balance FROM accounts WHERE id = '7'" in screen_text(app)
        await pilot.press("y")
        await until(pilot, lambda: bool(done(messages)), "ActionDone")
        await until(pilot, lambda: type(app.screen).__name__ == "TextDialog", "the plan")
        plan = screen_text(app)
        assert "Index Scan using accounts_pkey" in plan or "Seq Scan on accounts" in plan
        assert "\x1b" not in plan
        assert done(messages)[0].outcome == "plan read"


async def test_explain_analyze_of_a_write_is_typed_and_rolled_back(
    pg_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = await connect(pg_dsn)
    try:
        await admin.execute("CREATE TABLE accounts (id int PRIMARY KEY, balance int)")
        await admin.execute("INSERT INTO accounts VALUES (1, 100)")
        await admin.execute("UPDATE accounts SET balance = $1 WHERE id = $2", 100, 1)
    finally:
        await admin.close()
    messages: list[Message] = []
    async with console(tmp_path, monkeypatch, pg_dsn, messages=messages) as (app, pilot):
        snap = await until_snapshot(pilot, app, lambda s: any(
            st.query.startswith("UPDATE accounts") for st in s.statements), "the UPDATE")
        index = next(i for i, st in enumerate(snap.statements)
                     if st.query.startswith("UPDATE accounts"))
        db_pane(app).query_one("#db-statements", DataTable).move_cursor(row=index)
        await pilot.press("A")
        await until(pilot, lambda: type(app.screen).__name__ == "ParamsDialog", "parameters")
        await pilot.press("0", "tab", "1", "enter")
        await until(pilot, lambda: type(app.screen).__name__ == "TypedConfirmDialog",
                    "the typed confirmation")
        text = screen_text(app)
        assert "EXPLAIN (ANALYZE, BUFFERS) UPDATE accounts SET balance = '0' WHERE id = '1'" \
            in text
        assert "ROLLED BACK" in text and "5s timeout" in text
        await pilot.press("enter")
        assert type(app.screen).__name__ == "TypedConfirmDialog"
        await pilot.press(*"production", "enter")
        await until(pilot, lambda: bool(done(messages)), "ActionDone")
        event = done(messages)[0]
        assert event.result.ok and event.outcome == "statement ran and was rolled back"
        assert any("actual time" in line for line in event.result.plan)
    admin = await connect(pg_dsn)
    try:
        assert await admin.fetchval("SELECT balance FROM accounts WHERE id = 1") == 100
    finally:
        await admin.close()
