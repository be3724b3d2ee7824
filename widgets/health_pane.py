"""The health pane: one row per environment x endpoint, worst first in words and colour.

The table fits its width: verdict, name and the failing reason always show; latency,
time since the last change, uptime and the latency trend join as room allows, and the
name and reason share what is left (cut with an ellipsis, never wrapped). ``r`` asks
for a probe now and ``enter`` opens the endpoint's detail; both are messages for the
screen, which owns the engine.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.events import Resize
from textual.message import Message
from textual.widgets import Static

from tui.health.model import EndpointState, Verdict, VerdictChange
from tui.redact import redact
from tui.sanitize import sanitize
from widgets.health_table import HealthTable, TableRow
from widgets.pane import Pane
from widgets.sparkline import sparkline

GLYPH = {
    Verdict.HEALTHY: "●",
    Verdict.DEGRADED: "▲",
    Verdict.DOWN: "✖",
    Verdict.UNKNOWN: "?",
}
STRIP_WINDOW = 3600.0
STRIP_ENTRIES = 3
_PAD = 2  # cell padding in the table, one cell each side
_SCROLLBAR = 1


@dataclass(frozen=True)
class _Column:
    key: str
    label: str
    width: int  # fixed width; the minimum for a flexible column
    flexible: bool = False


_VERDICT = _Column("verdict", "verdict", len("▲ degraded"))
_VERDICT_COMPACT = _Column("verdict", "", 1)
_NAME = _Column("endpoint", "endpoint", 14, flexible=True)
_REASON = _Column("reason", "reason", 14, flexible=True)
_LATENCY = _Column("latency", "latency", len("99999 ms"))
_SINCE = _Column("since", "since", len("since"))
_UPTIME = _Column("uptime", "uptime", len("100.0%"))
_TREND = _Column("trend", "trend", 12)
# Left-to-right order on screen, and the order optional columns are given room.
_ORDER = ("verdict", "endpoint", "latency", "trend", "uptime", "since", "reason")
_OPTIONAL = (_LATENCY, _SINCE, _UPTIME, _TREND)
_COMPACT_TEXT = _Column("endpoint", "endpoint", 20, flexible=True)


def ago(seconds: float) -> str:
    """``42s``, ``5m``, ``3h``: how long ago, short enough for a table cell."""
    seconds = max(0, int(seconds))
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    return f"{seconds // 3600}h"


def fit_columns(width: int, name_width: int, *, compact: bool) -> dict[str, int]:
    """Column widths for a table ``width`` cells wide, by key, in screen order.

    Verdict, endpoint and reason always show (compact: the reason sits under the name,
    in the endpoint column). Optional columns (latency, trend, uptime, since) are added
    only while the whole name (up to 32 cells) and 24 cells of reason still fit; the
    endpoint then grows up to ``name_width`` and the reason takes the rest.
    """
    name_need = min(name_width, 32)
    if compact:
        chosen, optional, need = [_VERDICT_COMPACT, _COMPACT_TEXT], (_LATENCY,), name_need
    else:
        chosen, optional, need = [_VERDICT, _NAME, _REASON], _OPTIONAL, name_need + 24
    fixed = sum(c.width for c in chosen if not c.flexible) + _PAD * len(chosen)
    for column in optional:
        if fixed + column.width + _PAD + need <= width:
            chosen.append(column)
            fixed += column.width + _PAD
    flexible = max(0, width - fixed)
    widths = {c.key: c.width for c in chosen}
    if compact:
        widths["endpoint"] = max(_COMPACT_TEXT.width, flexible)
    else:
        widths["endpoint"] = max(_NAME.width, min(name_width, flexible - _REASON.width))
        widths["reason"] = max(_REASON.width, flexible - widths["endpoint"])
    return {key: widths[key] for key in _ORDER if key in widths}


def fit_name(env: str, endpoint: str, width: int, *, short_env: bool = False) -> str:
    """``production /api/health/ready`` in ``width`` cells: the environment is cut to
    four letters first (always, with ``short_env``, so that every row of a table that
    needs it reads the same), then the start of the path, since its end tells endpoints
    apart."""
    name = f"{env} {endpoint}"
    if len(name) <= width and not short_env:
        return name
    name = f"{env[:4]} {endpoint}"
    if len(name) <= width:
        return name
    keep = width - len(env[:4]) - 2
    if keep < 4:
        return name[: max(1, width - 1)] + "…"
    return f"{env[:4]} …{endpoint[-keep:]}"


def _changes(state: EndpointState) -> tuple[VerdictChange, ...]:
    """The state's verdict changes; a state made without them (by hand) still says
    what this update moved."""
    if state.changes or state.previous is state.verdict:
        return state.changes
    reason = state.last.reason if state.last is not None else ""
    return (VerdictChange(state.since, state.previous, state.verdict, reason),)


def _cut(text: Text, width: int) -> Text:
    text.truncate(width, overflow="ellipsis")
    return text


class HealthPane(Pane):
    """Verdict, latency, trend, uptime, since-when and the failing reason per endpoint."""

    COMPONENT_CLASSES = {
        "health-pane--healthy",
        "health-pane--degraded",
        "health-pane--down",
        "health-pane--unknown",
    }
    BINDINGS = [
        Binding("r", "refresh_now", "Refresh", id="health.refresh"),
    ]
    DEFAULT_CSS = """
    HealthPane > .changes { text-wrap: nowrap; text-overflow: ellipsis; }
    """

    class RefreshRequested(Message):
        """The user asked for every endpoint to be probed now."""

    @dataclass
    class DetailRequested(Message):
        """The user opened the detail of this endpoint (its latest state)."""

        state: EndpointState

    def __init__(self, *, compact: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self.compact = compact
        self._states: dict[str, EndpointState] = {}
        self._order: dict[str, int] = {}
        self._widths: dict[str, int] = {}
        self._short_env = False
        self._laid_out_for: tuple[int, int] = (-1, -1)
        self._changes_shown = Text()
        self._changes_lines = 0

    def compose(self) -> ComposeResult:
        yield Static(Text("waiting for the first probes…"), classes="pane-message",
                     id="health-message")
        yield HealthTable(self._cells, id="health-table")
        yield Static(id="health-changes", classes="changes")

    def on_mount(self) -> None:
        self.title = "health"

    def _style(self, verdict: Verdict) -> str:
        return str(self.get_component_rich_style(f"health-pane--{verdict.value}"))

    # ------------------------------------------------------------------ data

    def show_states(self, states: Sequence[EndpointState]) -> None:
        """Show the latest state of every endpoint; rows are updated in place."""
        for state in states:
            self._states[state.key] = state
        if len(states) == len(self._states):  # a full snapshot, in the config's order
            self._order = {state.key: position for position, state in enumerate(states)}
        else:
            for state in states:
                self._order.setdefault(state.key, len(self._order))
        self.query_one("#health-message", Static).display = not self._states
        self._render_rows()
        counts = {v: 0 for v in Verdict}
        for state in self._states.values():
            counts[state.verdict] += 1
        summary = ", ".join(f"{n} {v.value}" for v, n in counts.items() if n)
        self.title = f"health · {summary}" if summary else "health"
        bad = counts[Verdict.DOWN] + counts[Verdict.DEGRADED]
        self.problem = f"{bad} endpoint(s) not healthy" if bad else ""
        self._show_changes(time.time())

    def on_resize(self, _event: Resize) -> None:
        self.call_after_refresh(self._render_rows)

    def _render_rows(self) -> None:
        """Lay the table out for its width and hand it the rows worst first; the table
        redraws only the rows in view whose state changed."""
        table = self.query_one(HealthTable)
        width = table.size.width - _SCROLLBAR
        if width <= 0 or not self._states:
            return
        if self._laid_out_for != (width, len(self._states)):
            self._lay_out(table, width)
        order = sorted(self._states,
                       key=lambda k: (-self._states[k].verdict.severity, self._order[k]))
        table.show_rows([TableRow(key, self._states[key], self._height(self._states[key]))
                         for key in order])

    def _lay_out(self, table: HealthTable, width: int) -> None:
        names = max(len(f"{s.env} {s.endpoint}") for s in self._states.values())
        self._widths = fit_columns(width, names, compact=self.compact)
        self._short_env = names > self._widths["endpoint"]
        self._laid_out_for = (width, len(self._states))
        labels = {c.key: c.label for c in (_VERDICT_COMPACT if self.compact else _VERDICT,
                                           _NAME, _REASON, *_OPTIONAL)}
        table.set_columns([(labels[key], column_width)
                           for key, column_width in self._widths.items()])

    @property
    def selected_key(self) -> str | None:
        """The key (``env/endpoint``) of the row under the cursor, if any."""
        return self.query_one(HealthTable).cursor_key

    def _height(self, state: EndpointState) -> int:
        """Compact rows carry the reason on a second line when the endpoint is not healthy."""
        return 2 if self.compact and state.verdict is not Verdict.HEALTHY else 1

    def _cells(self, state: EndpointState) -> list[Text]:
        """One cell per laid-out column; the table calls this only for rows it draws."""
        now = time.time()
        style = self._style(state.verdict)
        last = state.last
        latency = "—" if last is None or last.latency_ms is None else f"{last.latency_ms:.0f} ms"
        reason = redact(last.reason) if last is not None else "not probed yet"
        label = GLYPH[state.verdict] + ("" if self.compact else f" {state.verdict.value}")
        widths = self._widths
        cells = {
            "verdict": Text(label, style=style),
            "endpoint": Text(fit_name(sanitize(state.env), sanitize(state.endpoint),
                                      widths["endpoint"], short_env=self._short_env)),
            "reason": _cut(Text(sanitize(reason),
                                style=style if state.verdict is not Verdict.HEALTHY else "dim"),
                           widths.get("reason", widths["endpoint"])),
            "latency": Text(latency, justify="right"),
            "trend": Text(sparkline([p.latency_ms for p in state.history], _TREND.width)),
            "uptime": Text("—" if state.uptime_pct is None else f"{state.uptime_pct:.1f}%",
                           justify="right"),
            "since": Text(ago(now - state.since), justify="right"),
        }
        if self._height(state) == 2:
            cells["endpoint"].append("\n").append_text(cells["reason"])
        return [cells[key] for key in widths]

    # ------------------------------------------------------------------ changes strip

    def _show_changes(self, now: float) -> None:
        changes = self.query_one("#health-changes", Static)
        recent = sorted(
            ((state, change) for state in self._states.values() for change in _changes(state)
             if change.alerting and now - change.at < STRIP_WINDOW),
            key=lambda pair: pair[1].at, reverse=True,
        )[: 1 if self.compact else STRIP_ENTRIES]
        text = Text(no_wrap=True, overflow="ellipsis")
        for state, change in recent:
            self._append_change(text, state, change, now)
        if text != self._changes_shown:  # most publishes change no line: skip the redraw
            lines = len(recent)
            changes.update(text, layout=lines != self._changes_lines)
            self._changes_shown, self._changes_lines = text, lines
        changes.display = bool(recent)

    def _append_change(self, text: Text, state: EndpointState, change: VerdictChange,
                       now: float) -> None:
        if text:
            text.append("\n")
        text.append(f"{ago(now - change.at)} ago  ".rjust(10), style="dim")
        text.append(f"{sanitize(state.env)} {sanitize(state.endpoint)}  ")
        text.append(f"{change.previous.value} → {change.verdict.value}",
                    style=self._style(change.verdict))

    # ------------------------------------------------------------------ keys

    def action_refresh_now(self) -> None:
        self.post_message(self.RefreshRequested())

    @on(HealthTable.RowSelected)
    def _open_detail(self, event: HealthTable.RowSelected) -> None:
        event.stop()
        state = self._states.get(event.key)
        if state is not None:
            self.post_message(self.DetailRequested(state))
