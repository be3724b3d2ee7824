"""The database pane: slow statements from pg_stat_statements and live activity."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import DataTable, Static

from tui.sanitize import safe_text
from widgets.pane import Pane

if TYPE_CHECKING:  # the engine's types only: importing them loads asyncpg, not needed to draw
    from tui.db.activity import ActivitySummary
    from tui.db.monitor import DbSnapshot

_COLUMNS = ("mean", "calls", "total", "share", "rows/call", "hit %", "query")
_COMPACT_COLUMNS = ("mean", "calls", "share", "query")


def duration_ms(ms: float | None) -> str:
    """``12.3 ms``, ``1.84 s``, ``3.1 min``: readable at a glance."""
    if ms is None:
        return "—"
    if ms < 1000:
        return f"{ms:.1f} ms"
    if ms < 120_000:
        return f"{ms / 1000:.2f} s"
    return f"{ms / 60_000:.1f} min"


def activity_line(activity: ActivitySummary) -> Text:
    """Sessions by state against max_connections, the pool-exhaustion check of the runbooks."""
    text = Text()
    pct = activity.usage_pct
    style = "bold red" if pct >= 90 else ("bold yellow" if pct >= 75 else "")
    text.append(f"{activity.total}/{activity.max_connections} connections ({pct:.0f}%)", style)
    for state, count in activity.states:
        text.append(f"  {state} {count}")
    if activity.idle_in_transaction:
        oldest = max((s.xact_age_s or 0) for s in activity.idle_in_transaction)
        text.append(f"  · idle in tx {len(activity.idle_in_transaction)} (oldest {oldest:.0f}s)",
                    "yellow")
    if activity.blocking:
        text.append(f"  · {len(activity.blocking)} blocked", "bold red")
    if activity.long_running:
        text.append(f"  · {len(activity.long_running)} long-running", "yellow")
    return text


class DbPane(Pane):
    """Connection state, activity summary and the top statements of the current environment."""

    def __init__(self, *, compact: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self.compact = compact

    def compose(self) -> ComposeResult:
        yield Static(safe_text("no database configured for this environment"),
                     classes="pane-message", id="db-message")
        yield Static(id="db-activity")
        yield DataTable(id="db-statements", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self.title = "database"
        table = self.query_one(DataTable)
        for column in _COMPACT_COLUMNS if self.compact else _COLUMNS:
            table.add_column(column, key=column)

    def show_snapshot(self, snapshot: DbSnapshot | None) -> None:
        message = self.query_one("#db-message", Static)
        activity = self.query_one("#db-activity", Static)
        table = self.query_one(DataTable)
        if snapshot is None:
            message.display, activity.display, table.display = True, False, False
            self.title, self.problem = "database", ""
            return
        self.title = f"database · {snapshot.status}" + (
            f" · {snapshot.tls_label}" if snapshot.tls_label else ""
        )
        self.subtitle = f"every {snapshot.interval:g}s"
        notes = []
        if snapshot.message:
            notes.append(snapshot.message)
        status = snapshot.statements_status
        if snapshot.status == "ok" and status.message:
            notes.append(status.message + (f" Fix: {status.fix}" if status.fix else ""))
        message.update(safe_text("\n".join(notes), multiline=True))
        message.set_class(snapshot.status == "error", "-error")
        message.display = bool(notes)
        self.problem = snapshot.message if snapshot.status == "error" else ""
        if snapshot.status != "ok":
            # An error snapshot carries no rows: keep the last good ones on screen, marked stale.
            self.subtitle = "showing the last good reading" if table.row_count else ""
            return
        activity.display = snapshot.activity is not None
        if snapshot.activity is not None:
            activity.update(activity_line(snapshot.activity))
        table.display = bool(snapshot.statements)
        self._fill(table, snapshot)

    def _fill(self, table: DataTable[Text], snapshot: DbSnapshot) -> None:
        cursor = table.cursor_row
        table.clear()
        for stat in snapshot.statements:
            cells = {
                "mean": Text(duration_ms(stat.mean_ms), justify="right"),
                "calls": Text(f"{stat.calls:,}", justify="right"),
                "total": Text(duration_ms(stat.total_ms), justify="right"),
                "share": Text(f"{stat.share_of_total:.1f}%", justify="right"),
                "rows/call": Text(f"{stat.rows_per_call:.1f}", justify="right"),
                "hit %": Text("—" if stat.cache_hit_ratio is None
                              else f"{stat.cache_hit_ratio * 100:.1f}", justify="right"),
                "query": safe_text(" ".join(stat.query.split())[:300]),
            }
            columns = _COMPACT_COLUMNS if self.compact else _COLUMNS
            table.add_row(*(cells[c] for c in columns), key=str(stat.queryid))
        if snapshot.statements:
            table.move_cursor(row=min(cursor, len(snapshot.statements) - 1), animate=False)
