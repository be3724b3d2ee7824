"""The database pane: slow statements, live activity with the blocking tree, health checks,
and the actions an on-call engineer takes on a database (each confirmed, each reported).

The pane owns no state the engine does not: view, sort and delta mode come back in every
snapshot; keys post ``DbPane.Control`` and the screen hands them to the hub. Actions are
described exactly (the SQL that will run, on which environment) in a dialog, posted as
``DbPane.ActionRequested`` once confirmed, and end with ``DbPane.ActionDone`` carrying
the real outcome, which the incident timeline records.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.widget import Widget
from textual.widgets import DataTable, Static

from tui.db.actions import (
    GENERIC_PLAN_SINCE,
    ActionOutcome,
    ActionRequest,
    ExplainRefused,
    cancel_request,
    explain_request,
    placeholders,
    terminate_request,
)
from tui.db.activity import BackendInfo, blocking_tree
from tui.db.delta import DeltaMode
from tui.db.monitor import DbSnapshot, DbView
from tui.db.statements import SortKey, StatementsState, StatementStats
from tui.redact import redact, redacted_text
from tui.sanitize import safe_text, sanitize
from widgets.db_dialogs import ConfirmDialog, ParamsDialog, TextDialog, TypedConfirmDialog
from widgets.db_format import (
    BAD,
    MUTED,
    WARN,
    activity_line,
    age,
    clock,
    duration_ms,
    health_view,
    ordered_sessions,
    privileges_lines,
    seconds,
    session_age,
    session_detail,
    session_style,
    statement_detail,
    tls_title,
)
from widgets.pane import Pane

_FULL = ("mean", "calls", "total", "max", "share", "rows/call", "hit %", "query")
_FULL_DELTA = ("mean", "before", "change", "calls", "total", "share", "rows/call", "query")
_COMPACT = ("mean", "calls", "share", "query")
_COMPACT_DELTA = ("mean", "before", "calls", "query")
_SESSIONS = ("pid", "state", "age", "wait", "user", "application", "client", "query")
_COMPACT_SESSIONS = ("pid", "state", "age", "query")
_SORTED_COLUMN = {SortKey.MEAN: "mean", SortKey.TOTAL: "total", SortKey.CALLS: "calls"}
_QUERY_CHARS = 300


class DbPane(Pane):
    """Statements, activity or health of the current environment's database."""

    DEFAULT_CSS = """
    DbPane #db-banner { height: auto; color: $warning; }
    DbPane #db-activity { height: auto; }
    DbPane #db-health { height: 1fr; }
    DbPane #db-help { height: auto; color: $text-muted; }
    """
    BINDINGS = [
        Binding("r", "control('refresh')", "Refresh", id="db.refresh"),
        Binding("o", "control('sort')", "Sort", id="db.sort"),
        Binding("d", "control('delta')", "Delta", id="db.delta"),
        Binding("m", "control('mark')", "Mark", id="db.mark"),
        Binding("b", "control('slower')", "Slower since mark", id="db.slower"),
        Binding("a", "control('activity')", "Activity", id="db.activity"),
        Binding("v", "control('view')", "Next view", id="db.view"),
        Binding("p", "privileges", "Privileges", id="db.privileges"),
        Binding("E", "explain", "EXPLAIN", id="db.explain"),
        Binding("A", "explain_analyze", "EXPLAIN ANALYZE", id="db.explain_analyze"),
        Binding("K", "cancel_backend", "Cancel query", id="db.cancel"),
        Binding("X", "terminate_backend", "Terminate backend", id="db.terminate"),
    ]
    _ACTIONS = frozenset({"explain", "explain_analyze", "cancel_backend", "terminate_backend"})

    class Control(Message):
        """The user changed a setting: refresh, sort, delta, mark, slower, activity or view."""

        def __init__(self, setting: str) -> None:
            super().__init__()
            self.setting = setting

    class ActionRequested(Message):
        """A confirmed action, to run on the environment's database; ``pane`` gets the outcome."""

        def __init__(self, pane: DbPane, request: ActionRequest) -> None:
            super().__init__()
            self.pane = pane
            self.request = request

        @property
        def control(self) -> DbPane:
            return self.pane

    class ActionDone(Message):
        """An action ended. ``description`` says what ran where (the SQL included),
        ``outcome`` what really happened; both are redacted. ``result`` has every detail."""

        def __init__(self, description: str, outcome: str, result: ActionOutcome) -> None:
            super().__init__()
            self.description = description
            self.outcome = outcome
            self.result = result

    def __init__(self, *, compact: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self.compact = compact
        self._snapshot: DbSnapshot | None = None
        self._stats: dict[str, StatementStats] = {}
        self._row_pids: dict[str, int] = {}
        self._last_action: Text | None = None

    def compose(self) -> ComposeResult:
        yield Static(safe_text("no database configured for this environment"),
                     classes="pane-message", id="db-message")
        yield Static(Text(), id="db-banner")
        yield Static(Text(), id="db-activity")
        yield DataTable(id="db-statements", cursor_type="row", zebra_stripes=True)
        yield DataTable(id="db-sessions", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="db-health"):
            yield Static(Text(), id="db-health-body")
        yield Static(Text(), id="db-help")

    def on_mount(self) -> None:
        self.title = "database"
        for widget_id in ("#db-banner", "#db-activity", "#db-statements", "#db-sessions",
                          "#db-health"):
            self.query_one(widget_id).display = False
        self.query_one("#db-help").display = not self.compact
        self._show_help()

    # ------------------------------------------------------------------ state

    @property
    def snapshot(self) -> DbSnapshot | None:
        return self._snapshot

    def _environment(self) -> Any:
        return getattr(self.app, "environment", None)

    def read_only(self) -> bool:
        """Actions are hidden unless both the app and the environment allow them."""
        env = self._environment()
        return bool(getattr(self.app, "read_only", False)) or env is None or env.read_only

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (action in self._ACTIONS and self.read_only())

    # ------------------------------------------------------------------ rendering

    def show_snapshot(self, snapshot: DbSnapshot | None) -> None:
        """Show the latest snapshot; an error keeps the last good rows, marked stale."""
        message = self.query_one("#db-message", Static)
        if snapshot is None:
            self._snapshot = None
            message.update(safe_text("no database configured for this environment"))
            message.display = True
            for widget_id in ("#db-banner", "#db-activity", "#db-statements", "#db-sessions",
                              "#db-health"):
                self.query_one(widget_id).display = False
            self.title, self.subtitle, self.problem = "database", "", ""
            return
        ok = snapshot.status == "ok"
        if ok or self._snapshot is None:
            self._snapshot = snapshot
        self._show_title(snapshot)
        self._show_notes(snapshot)
        self.problem = redact(snapshot.message) if snapshot.status == "error" else ""
        if not ok:
            return
        self._show_banner(snapshot)
        activity = self.query_one("#db-activity", Static)
        activity.display = snapshot.activity is not None
        if snapshot.activity is not None:
            activity.update(activity_line(snapshot.activity, compact=self.compact))
        view = snapshot.settings.view
        self._show_view(view)
        if view is DbView.STATEMENTS:
            self._fill_statements(snapshot)
        elif view is DbView.ACTIVITY:
            self._fill_sessions(snapshot)
        else:
            self.query_one("#db-health-body", Static).update(
                health_view(snapshot.health, snapshot.health_error))
        self._show_help()

    def _show_title(self, snapshot: DbSnapshot) -> None:
        settings = snapshot.settings
        if snapshot.status == "ok":
            what = {DbView.STATEMENTS: f"statements {settings.label}",
                    DbView.ACTIVITY: "activity", DbView.HEALTH: "health"}[settings.view]
            if (settings.view is DbView.STATEMENTS and snapshot.mark is not None
                    and (settings.slower or settings.delta is DeltaMode.MARK)):
                what += f" {snapshot.mark.label!r} ({clock(snapshot.mark.taken_at)})"
            tls = f" · {tls_title(snapshot.tls_label)}" if snapshot.tls_label else ""
            self.title = f"database · ok · {what}{tls}"
            statements = (f" (statements {seconds(snapshot.statements_interval)}, r now)"
                          if settings.view is DbView.STATEMENTS else "")
            self.subtitle = (f"every {seconds(snapshot.interval)}{statements} · "
                             f"{seconds(snapshot.hidden_interval)} while hidden")
        elif snapshot.status == "error" and snapshot.reconnect_in is not None:
            self.title = "database · reconnecting"
            stale = " · showing the last good reading" if self._snapshot else ""
            self.subtitle = (f"next attempt in {seconds(snapshot.reconnect_in)} "
                             f"(attempt {snapshot.attempt}){stale}")
        elif snapshot.status == "connecting":
            self.title = "database · connecting"
            self.subtitle = f"attempt {snapshot.attempt}" if snapshot.attempt > 1 else ""
        else:
            self.title = f"database · {snapshot.status}"
            self.subtitle = ""

    def _show_notes(self, snapshot: DbSnapshot) -> None:
        message = self.query_one("#db-message", Static)
        text = Text()
        if snapshot.status != "ok":
            text.append_text(redacted_text(snapshot.message,
                                           BAD if snapshot.status == "error" else MUTED))
        else:
            status = snapshot.statements_status
            if snapshot.settings.view is DbView.STATEMENTS and status.message and (
                    status.state is not StatementsState.LIMITED):
                bad = status.state is not StatementsState.OK
                text.append_text(redacted_text(status.message, WARN if bad else MUTED))
                if status.fix:
                    text.append_text(redacted_text(f"\nfix: {status.fix}", "bold"))
            if snapshot.settings.view is DbView.HEALTH and snapshot.health_error:
                text.append_text(redacted_text(snapshot.health_error, BAD))
        if self._last_action is not None:
            if text.plain:
                text.append("\n")
            text.append_text(self._last_action)
        message.update(text)
        message.set_class(snapshot.status == "error", "-error")
        message.display = bool(text.plain)

    def _show_banner(self, snapshot: DbSnapshot) -> None:
        banner = self.query_one("#db-banner", Static)
        report = snapshot.privileges
        limited_statements = snapshot.statements_status.state is StatementsState.LIMITED
        if not limited_statements and (report is None or not report.limited):
            banner.display = False
            return
        views = sorted({d.view for d in report.degraded}) if report else ["statements"]
        text = Text("⚠ limited privileges: ", WARN)
        if limited_statements:
            text.append_text(redacted_text(snapshot.statements_status.message + "; "))
        text.append(f"degraded: {', '.join(views)} — press p for the GRANT that restores them")
        banner.update(text)
        banner.display = True

    def _show_view(self, view: DbView) -> None:
        focused = self.app.focused
        had_focus = focused is None or self in focused.ancestors_with_self
        widgets: dict[DbView, Widget] = {
            DbView.STATEMENTS: self.query_one("#db-statements"),
            DbView.ACTIVITY: self.query_one("#db-sessions"),
            DbView.HEALTH: self.query_one("#db-health"),
        }
        for key, widget in widgets.items():
            widget.display = key is view
        if had_focus and self.app.focused is not widgets[view] and not self.compact:
            widgets[view].focus()

    def _show_help(self) -> None:
        if self.compact:
            return
        keys = ("o sort · d delta · m mark · b slower since mark · a activity · v view · "
                "p privileges · enter detail · r refresh")
        text = Text(keys)
        if self.read_only():
            env = self._environment()
            if getattr(self.app, "read_only", False):
                why = "onduty was started with --read-only"
            elif env is None:
                why = "no environment"
            else:
                why = (f"environment {env.name} is read-only (set read_only = false under "
                       f"[environments.{env.name}] to allow them)")
            text.append("\n")
            text.append_text(safe_text(f"actions (EXPLAIN, cancel, terminate) are hidden: "
                                       f"{why}", MUTED))
        else:
            text.append("\nE explain · A explain analyze · K cancel query · X terminate backend")
        self.query_one("#db-help", Static).update(text)

    def _statement_columns(self, snapshot: DbSnapshot) -> tuple[str, ...]:
        delta = snapshot.settings.slower or snapshot.settings.delta is not DeltaMode.CUMULATIVE
        if self.compact:
            return _COMPACT_DELTA if delta else _COMPACT
        return _FULL_DELTA if delta else _FULL

    def _fill_statements(self, snapshot: DbSnapshot) -> None:
        table: DataTable[Text] = self.query_one("#db-statements", DataTable)
        columns = self._statement_columns(snapshot)
        settings = snapshot.settings
        marked = "change" if settings.slower else _SORTED_COLUMN.get(settings.sort)
        labels = [f"{c} ▼" if c == marked else c for c in columns]
        if [str(c.label) for c in table.columns.values()] != labels:
            table.clear(columns=True)
            for column, label in zip(columns, labels, strict=True):
                table.add_column(label, key=column)
        cursor = table.cursor_row
        table.clear()
        self._stats = {}
        for stat in snapshot.statements:
            key = str(stat.queryid)
            self._stats[key] = stat
            table.add_row(*(_statement_cell(stat, c) for c in columns), key=key)
        if snapshot.statements:
            table.move_cursor(row=min(max(cursor, 0), len(snapshot.statements) - 1),
                              animate=False)

    def _fill_sessions(self, snapshot: DbSnapshot) -> None:
        table: DataTable[Text] = self.query_one("#db-sessions", DataTable)
        columns = _COMPACT_SESSIONS if self.compact else _SESSIONS
        if not table.columns:
            for column in columns:
                table.add_column(column, key=column)
        activity = snapshot.activity
        cursor = table.cursor_row
        table.clear()
        self._row_pids = {}
        if activity is None:
            return
        rows: list[tuple[str, BackendInfo | None, int, int]] = []
        tree = blocking_tree(activity)
        for index, row in enumerate(tree):
            rows.append((f"t{index}", row.backend, row.pid, row.depth))
        for backend in ordered_sessions(activity, tree):
            rows.append((f"s{backend.pid}", backend, backend.pid, -1))
        for key, backend, pid, depth in rows:
            self._row_pids[key] = pid
            table.add_row(*_session_cells(backend, pid, depth, columns, activity), key=key)
        if rows:
            table.move_cursor(row=min(max(cursor, 0), len(rows) - 1), animate=False)

    # ------------------------------------------------------------------ selection

    def selected_statement(self) -> StatementStats | None:
        table: DataTable[Text] = self.query_one("#db-statements", DataTable)
        if not table.row_count or not table.display:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self._stats.get(str(key))

    def selected_backend(self) -> tuple[int, BackendInfo | None] | None:
        table: DataTable[Text] = self.query_one("#db-sessions", DataTable)
        if not table.row_count or not table.display or self._snapshot is None:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        pid = self._row_pids.get(str(key))
        if pid is None:
            return None
        activity = self._snapshot.activity
        return pid, activity.session(pid) if activity else None

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.data_table.id == "db-statements":
            stat = self.selected_statement()
            if stat is not None:
                self.app.push_screen(TextDialog("Statement",
                                                statement_detail(stat, self._snapshot)))
        else:
            selected = self.selected_backend()
            if selected is not None and selected[1] is not None:
                self.app.push_screen(TextDialog(f"Session {selected[0]}",
                                                session_detail(selected[1])))

    # ------------------------------------------------------------------ keys

    def action_control(self, control: str) -> None:
        self.post_message(self.Control(control))

    def action_privileges(self) -> None:
        snapshot = self._snapshot
        fix = snapshot.statements_status.fix if snapshot else ""
        report = snapshot.privileges if snapshot else None
        self.app.push_screen(TextDialog("Privileges", privileges_lines(report, fix)))

    def action_cancel_backend(self) -> None:
        selected = self._backend_for("K cancels the running query of a session")
        if selected is None:
            return
        pid, backend = selected
        request = cancel_request(pid)
        lines = [*self._where(request),
                 *self._backend_lines(pid, backend),
                 Text(""),
                 Text("pg_cancel_backend stops the running query; the session stays connected. "
                      "Afterwards onduty reads pg_stat_activity again and reports what really "
                      "happened.", MUTED)]
        self._confirm(ConfirmDialog(f"Cancel the query of backend {pid}?", lines,
                                    "Cancel the query"), request)

    def action_terminate_backend(self) -> None:
        selected = self._backend_for("X terminates a session")
        if selected is None:
            return
        pid, backend = selected
        request = terminate_request(pid)
        env = self._environment()
        lines = [*self._where(request),
                 *self._backend_lines(pid, backend),
                 Text(""),
                 Text("pg_terminate_backend ends the whole session: its open transaction is "
                      "rolled back and the client is disconnected (a pool will reconnect).",
                      WARN)]
        self._confirm(TypedConfirmDialog(f"Terminate backend {pid}?", lines,
                                         [str(pid), getattr(env, "name", "")]), request)

    def action_explain(self) -> None:
        self._explain(analyze=False)

    def action_explain_analyze(self) -> None:
        self._explain(analyze=True)

    # ------------------------------------------------------------------ outcomes

    def action_finished(self, outcome: ActionOutcome) -> None:
        """Show what an action really did, and post ``ActionDone`` for the timeline."""
        summary = f"{outcome.request.description}: {outcome.outcome}"
        self._last_action = redacted_text(f"last action: {summary}", "" if outcome.ok else BAD)
        self._notify(summary, "information" if outcome.ok else "error", 8)
        if self._snapshot is not None:
            self._show_notes(self._snapshot)
        if outcome.plan:
            lines = [redacted_text(outcome.request.sql, MUTED, multiline=True),
                     redacted_text(outcome.outcome, MUTED), Text("")]
            lines += [redacted_text(line) for line in outcome.plan]
            self.app.push_screen(TextDialog(outcome.request.kind.value.upper(), lines))
        self.post_message(self.ActionDone(redact(outcome.description), redact(outcome.outcome),
                                          outcome))

    # ------------------------------------------------------------------ helpers

    def _notify(self, text: str, severity: SeverityLevel = "information",
                timeout: float = 4) -> None:
        """A toast of untrusted text: redacted, sanitised, never parsed as markup.

        (Textual's notify takes a str; a rich Text makes the toast fail to render.)
        """
        self.app.notify(sanitize(redact(text)), severity=severity, timeout=timeout,
                        markup=False)

    def _backend_for(self, what: str) -> tuple[int, BackendInfo | None] | None:
        snapshot = self._snapshot
        if snapshot is None or snapshot.settings.view is not DbView.ACTIVITY:
            self._notify(f"{what}: press a for the activity view and select it.")
            return None
        selected = self.selected_backend()
        if selected is None:
            self._notify(f"{what}: no session selected.")
        return selected

    def _where(self, request: ActionRequest) -> list[Text]:
        env = self._environment()
        target = self._snapshot.target if self._snapshot else ""
        return [
            Text.assemble(("Runs:  ", "bold"), redacted_text(request.sql, multiline=True)),
            Text.assemble(("On:    ", "bold"),
                          redacted_text(f"{getattr(env, 'name', '?')} — {target}")),
        ]

    @staticmethod
    def _backend_lines(pid: int, backend: BackendInfo | None) -> list[Text]:
        if backend is None:
            return [Text(f"Backend {pid} is not a client session onduty can describe.")]
        return [
            Text.assemble(("Session: ", "bold"), safe_text(
                f"pid {pid} · {backend.user} · {backend.application or '—'} · {backend.state} "
                f"for {age(session_age(backend))}")),
            Text.assemble(("Query: ", "bold"),
                          redacted_text(backend.summary[:_QUERY_CHARS] or "—")),
        ]

    def _confirm(self, dialog: ConfirmDialog | TypedConfirmDialog,
                 request: ActionRequest) -> None:
        def chosen(confirmed: bool | None) -> None:
            if confirmed:
                self.post_message(self.ActionRequested(self, request))

        self.app.push_screen(dialog, chosen)

    def _explain(self, *, analyze: bool) -> None:
        snapshot = self._snapshot
        stat = self.selected_statement()
        if snapshot is None or snapshot.settings.view is not DbView.STATEMENTS or stat is None:
            self._notify("Select a statement in the statements view first.")
            return
        numbers = placeholders(stat.query)
        version = snapshot.server_version_num
        if numbers and (analyze or version < GENERIC_PLAN_SINCE):
            why = ("EXPLAIN ANALYZE runs the statement, so it needs real values."
                   if analyze else
                   f"PostgreSQL {version // 10000} has no EXPLAIN (GENERIC_PLAN) (it arrived in "
                   f"16): fill in values to plan it, or press Escape.")
            lines = [Text(why), Text(""), redacted_text(stat.query, multiline=True)]

            def filled(values: tuple[str, ...] | None) -> None:
                if values is not None:
                    self._confirm_explain(stat, analyze, values)

            self.app.push_screen(ParamsDialog("Parameters", lines, numbers), filled)
            return
        self._confirm_explain(stat, analyze, None)

    def _confirm_explain(self, stat: StatementStats, analyze: bool,
                         values: tuple[str, ...] | None) -> None:
        snapshot = self._snapshot
        version = snapshot.server_version_num if snapshot else 0
        try:
            request = explain_request(stat.query, server_version_num=version, params=values,
                                      analyze=analyze)
        except ExplainRefused as exc:
            self._notify(str(exc), "error", 8)
            return
        lines = self._where(request)
        timeout = seconds(snapshot.statement_timeout) if snapshot else "the statement timeout"
        if not analyze:
            lines.append(Text(f"Plans the statement without running it (timeout {timeout}).",
                              MUTED))
            self._confirm(ConfirmDialog("EXPLAIN this statement?", lines, "Explain"), request)
            return
        if request.rolled_back:
            lines.append(Text(
                f"This RUNS the statement inside a transaction that is then ROLLED BACK, under "
                f"a {timeout} timeout: rows are locked while it runs, triggers fire and "
                f"sequences advance (not rolled back).", BAD))
        else:
            lines.append(Text(f"This RUNS the statement in a read-only transaction, under a "
                              f"{timeout} timeout, then rolls it back.", WARN))
        env = self._environment()
        self._confirm(TypedConfirmDialog("EXPLAIN ANALYZE this statement?", lines,
                                         [getattr(env, "name", "")]), request)


def _statement_cell(stat: StatementStats, column: str) -> Text:
    right: dict[str, Callable[[], str]] = {
        "mean": lambda: duration_ms(stat.mean_ms),
        "calls": lambda: f"{stat.calls:,}",
        "total": lambda: duration_ms(stat.total_ms),
        "max": lambda: duration_ms(stat.max_ms),
        "share": lambda: f"{stat.share_of_total:.1f}%",
        "rows/call": lambda: f"{stat.rows_per_call:.1f}",
        "hit %": lambda: ("—" if stat.cache_hit_ratio is None
                          else f"{stat.cache_hit_ratio * 100:.1f}"),
        "before": lambda: ("new" if stat.before_mean_ms is None
                           else duration_ms(stat.before_mean_ms)),
        "change": lambda: _change(stat),
    }
    if column == "query":
        return redacted_text(stat.summary[:_QUERY_CHARS])
    style = WARN if column == "change" and (stat.extra_ms or 0) > 0 else ""
    return Text(right[column](), style, justify="right")


def _change(stat: StatementStats) -> str:
    if stat.before_mean_ms is None:
        return "new"
    if not stat.before_mean_ms:
        return "—"
    return f"×{stat.mean_ms / stat.before_mean_ms:.1f}"


def _session_cells(backend: BackendInfo | None, pid: int, depth: int,
                   columns: tuple[str, ...], activity: Any) -> list[Text]:
    indent = "" if depth <= 0 else "  " * (depth - 1) + "└─ "
    if backend is None:
        cells = {"pid": Text(f"{indent}{pid}", BAD), "state": Text("not a client", MUTED)}
        return [cells.get(c, Text("")) for c in columns]
    style = session_style(backend, activity)
    cells = {
        "pid": Text(f"{indent}{pid}", BAD if depth >= 0 else style),
        "state": safe_text(backend.state, style),
        "age": Text(age(session_age(backend)), style, justify="right"),
        "wait": safe_text(backend.waiting, BAD if backend.blocked_by else ""),
        "user": redacted_text(backend.user),
        "application": redacted_text(backend.application),
        "client": safe_text(backend.client),
        "query": redacted_text(backend.summary[:_QUERY_CHARS]),
    }
    return [cells[c] for c in columns]
