"""The database of the environment being shown: one DbMonitor, one connection.

The pane's choices (view, sort, delta mode) live here, so the dashboard and the database
screen show the same thing and the choices survive a switch of environment. A baseline
mark can be set from anywhere (``mark_baseline``; the incident work calls it when an
incident opens). Actions run through the monitor's connection and are refused here too
when the environment or the app is read-only.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from tui.config import Environment
from tui.hub.base import Sink, resolve_secret

if TYPE_CHECKING:
    from tui.db.actions import ActionOutcome, ActionRequest
    from tui.db.monitor import DbMonitor, DbSettings, DbSnapshot


class DbHub:
    """Polls the shown environment's database; slows down while no screen shows it."""

    def __init__(self, sink: Sink, *, database_notes: Mapping[str, str] | None = None) -> None:
        self.sink = sink
        self._notes = dict(database_notes or {})
        self._monitor: DbMonitor | None = None
        self._snapshot: DbSnapshot | None = None
        self._visible = True
        self._settings: DbSettings | None = None
        self._pending_mark: str | None = None

    def snapshot(self) -> DbSnapshot | None:
        return self._snapshot

    def set_visible(self, visible: bool) -> None:
        self._visible = visible
        if self._monitor is not None:
            self._monitor.set_visible(visible)

    def start(self, env: Environment | None) -> None:
        if env is None:
            return
        note = self._notes.get(env.name)
        if note is not None:
            self._on_snapshot(unavailable_snapshot(note))
            return
        if env.database_secret is None:
            return
        from tui.db.monitor import DbMonitor

        secret = env.database_secret

        async def dsn() -> str:
            return await resolve_secret(secret)

        self._monitor = DbMonitor(dsn, interval=env.db_poll_interval,
                                  on_snapshot=self._on_snapshot, settings=self._settings)
        self._monitor.set_visible(self._visible)
        if self._pending_mark is not None:
            self._monitor.mark(self._pending_mark)
            self._pending_mark = None
        self._monitor.start()

    async def stop(self) -> None:
        if self._monitor is not None:
            monitor, self._monitor = self._monitor, None
            await monitor.stop()
        self._snapshot = None
        self.sink.db_changed.publish(None)
        self.sink.set_problem("db", None)

    def refresh_now(self) -> None:
        if self._monitor is not None:
            self._monitor.refresh_now()

    @property
    def settings(self) -> DbSettings:
        """The pane's current choices (the defaults until the user changes one)."""
        from tui.db.monitor import DbSettings

        return self._settings or DbSettings()

    def change(self, control: str) -> None:
        """Apply one of the pane's controls: sort, delta, slower, view or activity.

        The hub computes the next settings from its own (not from a possibly stale
        snapshot), so two quick presses cycle twice. The next snapshot comes at once.
        """
        current = self.settings
        changes = {
            "sort": current.next_sort,
            "delta": current.next_delta,
            "slower": current.toggle_slower,
            "view": current.next_view,
            "activity": current.toggle_activity,
        }
        self._settings = changes[control]()
        if self._monitor is not None:
            self._monitor.apply(self._settings)

    def mark_baseline(self, label: str = "incident opened") -> None:
        """Keep every statement's counters now as the baseline ``label`` (e.g. when an
        incident opens), so "what got slower since" is one key; taken at the next poll,
        or as soon as the database is reachable."""
        if self._monitor is not None:
            self._monitor.mark(label)
        else:
            self._pending_mark = label

    def actions_allowed(self) -> bool:
        """Actions need both the app and the environment to allow them (read_only = false)."""
        env = self.sink.environment
        return env is not None and not env.read_only and not getattr(self.sink, "read_only", False)

    async def run(self, request: ActionRequest) -> ActionOutcome:
        """Run a confirmed action on the shown environment's database."""
        from tui.db.actions import ActionOutcome

        env = self.sink.environment
        name = env.name if env is not None else ""
        if not self.actions_allowed():
            return ActionOutcome(request, name, "", False,
                                 "refused: this environment is read-only (nothing was sent)")
        if self._monitor is None:
            return ActionOutcome(request, name, "", False,
                                 "no database is being monitored here (nothing was sent)")
        return await self._monitor.run(request, name)

    def _on_snapshot(self, snapshot: DbSnapshot) -> None:
        self._snapshot = snapshot
        self.sink.set_problem("db", snapshot.message if snapshot.status == "error" else None)
        self.sink.db_changed.publish(snapshot)


def unavailable_snapshot(reason: str) -> DbSnapshot:
    """A snapshot saying why there is no database to read (e.g. no PostgreSQL installed)."""
    from tui.db.monitor import DbSnapshot
    from tui.db.statements import STATUS_UNKNOWN

    return DbSnapshot(
        status="unavailable", message=reason, tls_label="", statements=(),
        statements_status=STATUS_UNKNOWN, activity=None, server_version="", interval=0.0,
        taken_at=datetime.now(),
    )
