"""The health pane: one row per environment x endpoint, worst first in words and colour."""

from __future__ import annotations

import time
from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import DataTable, Static

from tui.health.model import EndpointState, Verdict
from tui.sanitize import safe_text
from widgets.pane import Pane
from widgets.sparkline import sparkline

_GLYPH = {
    Verdict.HEALTHY: "● healthy",
    Verdict.DEGRADED: "▲ degraded",
    Verdict.DOWN: "✖ down",
    Verdict.UNKNOWN: "? unknown",
}
_FULL_COLUMNS = ("verdict", "endpoint", "latency", "trend", "uptime", "since", "reason")
_COMPACT_COLUMNS = ("verdict", "endpoint", "latency", "reason")


def ago(seconds: float) -> str:
    """``42s``, ``5m``, ``3h``: how long ago, short enough for a table cell."""
    seconds = max(0, int(seconds))
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    return f"{seconds // 3600}h"


_ORDER = {_GLYPH[v]: -v.severity for v in Verdict}


def _worst_first(verdict: Text) -> int:
    return _ORDER.get(verdict.plain, 0)


class HealthPane(Pane):
    """Verdict, latency, trend, uptime, since-when and the failing reason per endpoint."""

    COMPONENT_CLASSES = {
        "health-pane--healthy",
        "health-pane--degraded",
        "health-pane--down",
        "health-pane--unknown",
    }

    def __init__(self, *, compact: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self.compact = compact
        self._rows: set[str] = set()

    def compose(self) -> ComposeResult:
        yield Static(safe_text("waiting for the first probes…"), classes="pane-message",
                     id="health-message")
        yield DataTable(id="health-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="health-changes", classes="changes")

    def on_mount(self) -> None:
        self.title = "health"
        table = self.query_one(DataTable)
        for column in _COMPACT_COLUMNS if self.compact else _FULL_COLUMNS:
            table.add_column(column, key=column)

    def _style(self, verdict: Verdict) -> str:
        return str(self.get_component_rich_style(f"health-pane--{verdict.value}"))

    def show_states(self, states: Sequence[EndpointState]) -> None:
        """Show the latest state of every endpoint; rows are updated in place."""
        table = self.query_one(DataTable)
        message = self.query_one("#health-message", Static)
        message.display = not states
        now = time.time()
        counts = {v: 0 for v in Verdict}
        for state in states:
            counts[state.verdict] += 1
            cells = self._cells(state, now)
            if state.key in self._rows:
                for column, value in zip(table.columns, cells, strict=True):
                    table.update_cell(state.key, column, value)
            else:
                table.add_row(*cells, key=state.key)
                self._rows.add(state.key)
        table.sort("verdict", key=_worst_first)
        summary = ", ".join(f"{n} {v.value}" for v, n in counts.items() if n)
        self.title = f"health · {summary}" if summary else "health"
        bad = counts[Verdict.DOWN] + counts[Verdict.DEGRADED]
        self.problem = f"{bad} endpoint(s) not healthy" if bad else ""
        self._show_changes(states, now)

    def _cells(self, state: EndpointState, now: float) -> list[Text]:
        style = self._style(state.verdict)
        last = state.last
        latency = "—" if last is None or last.latency_ms is None else f"{last.latency_ms:.0f} ms"
        reason = last.reason if last is not None else "not probed yet"
        name = f"{state.env} {state.endpoint}"
        cells = {
            "verdict": Text(_GLYPH[state.verdict], style=style),
            "endpoint": safe_text(name),
            "latency": Text(latency, justify="right"),
            "trend": Text(sparkline([p.latency_ms for p in state.history], 12)),
            "uptime": Text("—" if state.uptime_pct is None else f"{state.uptime_pct:.1f}%",
                           justify="right"),
            "since": Text(ago(now - state.since)),
            "reason": safe_text(reason, style if state.verdict is not Verdict.HEALTHY else ""),
        }
        return [cells[c] for c in (_COMPACT_COLUMNS if self.compact else _FULL_COLUMNS)]

    def _show_changes(self, states: Sequence[EndpointState], now: float) -> None:
        changes = self.query_one("#health-changes", Static)
        recent = sorted(
            (s for s in states if s.previous is not s.verdict and now - s.since < 900),
            key=lambda s: s.since,
            reverse=True,
        )[:2]
        text = Text()
        for state in recent:
            text.append(f"{ago(now - state.since)} ago ", style="dim")
            text.append(f"{state.env} {state.endpoint} ")
            text.append(f"{state.previous.value} → {state.verdict.value}",
                        style=self._style(state.verdict))
            text.append("   ")
        changes.update(text)
        changes.display = bool(recent) and not self.compact
