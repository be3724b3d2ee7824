"""The statements view of the real console on the real cluster: sort, delta, mark, detail."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.pg import (
    PASSWORD,
    connect,
    console,
    db_pane,
    screen_text,
    until,
    until_snapshot,
    with_password,
)
from tui.db.delta import DeltaMode
from tui.db.statements import SortKey

SLOW = "SELECT pg_sleep($1::float8 / 1000) /* slow-marker */"
FREQUENT = "SELECT $1::int + 1 AS frequent_marker"
EVIL = "SELECT 1 AS evil /* [/] [bold]x[@click=app.quit] \x1b]52;c;ZXZpbA==\x07 \x1b[2J */"


async def run(dsn: str, sql: str, *args: object, times: int = 1) -> None:
    conn = await connect(dsn)
    try:
        for _ in range(times):
            await conn.fetch(sql, *args)
    finally:
        await conn.close()


async def test_sort_cycles_and_shows_in_the_title(
    pg_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await run(pg_dsn, SLOW, 30, times=2)
    await run(pg_dsn, FREQUENT, 1, times=60)
    async with console(tmp_path, monkeypatch, with_password(pg_dsn)) as (app, pilot):
        first = await until_snapshot(pilot, app, lambda s: bool(s.statements), "statements")
        assert "slow-marker" in first.statements[0].query
        assert "statements by mean" in db_pane(app).title
        assert "mean ▼" in screen_text(app)
        seen = []
        for key in (SortKey.TOTAL, SortKey.CALLS, SortKey.ROWS, SortKey.IO, SortKey.MEAN):
            await pilot.press("o")
            snap = await until_snapshot(pilot, app, lambda s, k=key: s.settings.sort is k,
                                        f"sort {key}")
            seen.append(db_pane(app).title)
            if key is SortKey.CALLS:
                assert "frequent_marker" in snap.statements[0].query
                assert "calls ▼" in screen_text(app)
        assert [t.split("statements by ")[1].split(" ")[0] for t in seen] == [
            "total", "calls", "rows", "io", "mean"]
        assert PASSWORD not in screen_text(app)


async def test_mark_delta_and_what_got_slower(
    pg_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await run(pg_dsn, SLOW, 1, times=5)  # fast before the mark
    async with console(tmp_path, monkeypatch, pg_dsn) as (app, pilot):
        await until_snapshot(pilot, app, lambda s: bool(s.statements), "statements")
        await pilot.press("b")
        empty = await until_snapshot(pilot, app, lambda s: s.settings.slower, "slower mode")
        assert "no mark set yet" in empty.statements_status.message
        assert "press m" in screen_text(app)
        await pilot.press("m")
        marked = await until_snapshot(pilot, app, lambda s: s.mark is not None, "the mark")
        assert marked.mark is not None and marked.mark.statements >= 1
        assert "slower since mark 'mark " in db_pane(app).title
        await run(pg_dsn, SLOW, 60, times=2)  # slower after the mark
        slower = await until_snapshot(
            pilot, app, lambda s: any("slow-marker" in st.query and st.calls == 2
                                      for st in s.statements), "the slowed statement")
        stat = next(st for st in slower.statements if "slow-marker" in st.query)
        assert stat.mean_ms >= 60
        assert stat.before_mean_ms is not None and stat.before_mean_ms < 30
        assert "before" in screen_text(app) and "change ▼" in screen_text(app)
        await pilot.press("b")  # back to the chosen order, still since the mark
        back = await until_snapshot(pilot, app, lambda s: not s.settings.slower, "slower off")
        assert back.settings.delta is DeltaMode.MARK
        await pilot.press("d")  # mark -> cumulative
        await until_snapshot(pilot, app, lambda s: s.settings.delta is DeltaMode.CUMULATIVE,
                             "cumulative")
        assert "mean ▼" in screen_text(app) and "before" not in screen_text(app)
        await pilot.press("d")  # cumulative -> since last refresh
        await until_snapshot(pilot, app, lambda s: s.settings.delta is DeltaMode.REFRESH,
                             "since last refresh")
        await run(pg_dsn, FREQUENT, 7, times=9)
        await until_snapshot(pilot, app, lambda s: any("frequent_marker" in st.query
                                                       for st in s.statements), "the burst")
        await run(pg_dsn, FREQUENT, 7, times=1)
        # Cumulative counters would say 10 (or 9): the window holds only the last call.
        await until_snapshot(
            pilot, app, lambda s: any("frequent_marker" in st.query and st.calls == 1
                                      for st in s.statements), "a window of one call")
        assert "since last refresh" in db_pane(app).title


async def test_enter_opens_the_full_sanitised_text_and_every_counter(
    pg_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await run(pg_dsn, EVIL)
    async with console(tmp_path, monkeypatch, pg_dsn) as (app, pilot):
        await pilot.press("o", "o")  # by calls: the evil statement is among the few
        snap = await until_snapshot(
            pilot, app, lambda s: s.settings.sort is SortKey.CALLS
            and any("evil" in st.query for st in s.statements), "the evil statement")
        table = db_pane(app).query_one("#db-statements")
        index = next(i for i, st in enumerate(snap.statements) if "evil" in st.query)
        table.move_cursor(row=index)
        assert "[@click=app.quit]" in screen_text(app)
        await pilot.press("enter")
        await until(pilot, lambda: type(app.screen).__name__ == "TextDialog", "the detail")
        text = screen_text(app)
        assert "[bold]x[@click=app.quit]" in text and "[/]" in text
        assert "␛]52;c;ZXZpbA==␇" in text and "␛[2J" in text
        assert "calls 1 · mean" in text and "shared blocks hit" in text and "queryid" in text
        await pilot.press("escape")
        assert type(app.screen).__name__ == "DatabaseScreen"
        assert app.is_running
