"""The database of the environment being shown: one DbMonitor, one connection."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from tui.config import Environment
from tui.hub.base import Sink, resolve_secret

if TYPE_CHECKING:
    from tui.db.monitor import DbMonitor, DbSnapshot


class DbHub:
    """Polls the shown environment's database; slows down while no screen shows it."""

    def __init__(self, sink: Sink, *, database_notes: Mapping[str, str] | None = None) -> None:
        self.sink = sink
        self._notes = dict(database_notes or {})
        self._monitor: DbMonitor | None = None
        self._snapshot: DbSnapshot | None = None
        self._visible = True

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
                                  on_snapshot=self._on_snapshot)
        self._monitor.set_visible(self._visible)
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
