"""The health table with Pilot: rows redrawn one by one still show every change.

The table formats and draws a row only when the row is in view and its state (or its
cursor/zebra look) changed. These tests check that this saving never hides a change:
after incremental updates the screen equals a table shown the final rows at once, rows
out of view show their latest state when scrolled to, and the cursor keeps its row.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import App, ComposeResult

from tests.ui.test_shell import screen_text
from tui.health.model import EndpointState, ProbeResult, Verdict
from widgets.health_table import HealthTable, TableRow

ROWS = 200
SIZE = (60, 20)  # 19 rows in view under the header


def state(index: int, latency: float = 10.0) -> EndpointState:
    key = f"prod/api-{index:03d}"
    last = ProbeResult(endpoint=key, url="http://x", final_url="http://x", started_at=0.0,
                       verdict=Verdict.HEALTHY, reason="200", latency_ms=latency, status=200)
    return EndpointState(key=key, env="prod", endpoint=f"api-{index:03d}",
                         verdict=Verdict.HEALTHY, previous=Verdict.HEALTHY, last=last,
                         since=0.0, changed=False)


def rows(states: Sequence[EndpointState]) -> list[TableRow]:
    return [TableRow(s.key, s) for s in states]


class TableApp(App[None]):
    """One health table; ``formatted`` lists the keys of the rows formatted, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.formatted: list[str] = []
        self.selected: list[str] = []

    def compose(self) -> ComposeResult:
        yield HealthTable(self.cells)

    def on_mount(self) -> None:
        self.table.set_columns([("endpoint", 20), ("latency", 10)])

    @property
    def table(self) -> HealthTable:
        return self.query_one(HealthTable)

    def cells(self, state: EndpointState) -> list[Text]:
        self.formatted.append(state.key)
        assert state.last is not None and state.last.latency_ms is not None
        return [Text(state.endpoint), Text(f"{state.last.latency_ms:.0f} ms", justify="right")]

    def on_health_table_row_selected(self, event: HealthTable.RowSelected) -> None:
        self.selected.append(event.key)


async def test_updates_redraw_only_changed_rows_in_view_and_match_a_fresh_table() -> None:
    first = [state(i) for i in range(ROWS)]
    final = list(first)
    final[3] = state(3, latency=777)  # in view
    final[190] = state(190, latency=555)  # out of view
    incremental, fresh = TableApp(), TableApp()
    async with incremental.run_test(size=SIZE) as pilot:
        incremental.table.show_rows(rows(first))
        await pilot.pause()
        assert len(incremental.formatted) == SIZE[1] - 1  # only the rows in view
        incremental.formatted.clear()
        incremental.table.show_rows(rows(final))
        await pilot.pause()
        assert incremental.formatted == ["prod/api-003"]
        updated = screen_text(incremental)
        await pilot.press("end")
        await pilot.pause()
        assert "prod/api-190" in incremental.formatted
        bottom = screen_text(incremental)
    async with fresh.run_test(size=SIZE) as pilot:
        fresh.table.show_rows(rows(final))
        await pilot.pause()
        assert screen_text(fresh) == updated
        await pilot.press("end")
        await pilot.pause()
        assert screen_text(fresh) == bottom
    assert "api-003" in updated and "777 ms" in updated
    assert "api-190" in bottom and "555 ms" in bottom


async def test_cursor_redraws_two_rows_keeps_its_key_and_selects() -> None:
    app = TableApp()
    states = [state(i) for i in range(ROWS)]
    async with app.run_test(size=SIZE) as pilot:
        app.table.show_rows(rows(states))
        await pilot.pause()
        app.formatted.clear()
        await pilot.press("down")
        await pilot.pause()
        assert sorted(app.formatted) == ["prod/api-000", "prod/api-001"]
        assert app.table.cursor_key == "prod/api-001"
        app.table.show_rows(rows([states[1], states[0], *states[2:]]))  # worst-first reorder
        await pilot.pause()
        assert (app.table.cursor_row, app.table.cursor_key) == (0, "prod/api-001")
        await pilot.press("pagedown")
        await pilot.pause()
        assert app.table.cursor_row == SIZE[1] - 1
        assert f"api-{SIZE[1] - 1:03d}" in screen_text(app).splitlines()[-1]
        await pilot.press("enter")
        await pilot.click(HealthTable, offset=(2, 3))
        await pilot.pause()
        moved_to = app.table.cursor_key
        await pilot.click(HealthTable, offset=(2, 3))
        await pilot.pause()
    assert app.selected == [f"prod/api-{SIZE[1] - 1:03d}", moved_to]
    assert moved_to is not None and moved_to != app.selected[0]
