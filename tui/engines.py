"""The engine hub: starts the health, log and database engines for a config and hands
their latest results to a sink (the app) without knowing anything about Textual.

Health probes every environment (the dashboard says at a glance which one is down);
logs and the database follow the environment being shown, so onduty holds one database
connection per shown environment and never more.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from tui.config import Config, Environment

if TYPE_CHECKING:
    from tui.db.monitor import DbMonitor, DbSnapshot
    from tui.health.model import EndpointState
    from tui.health.monitor import HealthMonitor
    from tui.logs.parse import LogLine
    from tui.logs.tail import LogBatch, LogTail
    from tui.secrets import SecretStore

_FAILING_STATES = ("failed", "never connected")


class Publisher(Protocol):
    def publish(self, data: Any) -> None: ...


class Sink(Protocol):
    """What the hub needs from its owner (the app, or a test double)."""

    config: Config
    health_changed: Publisher
    logs_changed: Publisher
    db_changed: Publisher

    @property
    def environment(self) -> Environment | None: ...

    def set_problem(self, pane: str, text: str | None) -> None: ...


@dataclass(frozen=True)
class LogViewData:
    """What the log pane shows: the buffer's lines and each source's state in words."""

    sources: tuple[tuple[str, str], ...]
    lines: Sequence[LogLine]
    total: int
    dropped: int

    def is_failing(self, name: str) -> bool:
        return any(n == name and s.startswith(_FAILING_STATES) for n, s in self.sources)


class Engines:
    """Owns the running engines; every start and stop is bounded and never raises to the UI."""

    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self._health: HealthMonitor | None = None
        self._health_states: dict[str, EndpointState] = {}
        self._tail: LogTail | None = None
        self._log_view: LogViewData | None = None
        self._db: DbMonitor | None = None
        self._db_snapshot: DbSnapshot | None = None
        self._db_visible = True
        self._secrets: SecretStore | None = None

    # ---------------------------------------------------------------- results

    def health_states(self) -> tuple[EndpointState, ...]:
        return tuple(self._health_states.values())

    def log_view(self) -> LogViewData | None:
        return self._log_view

    def db_snapshot(self) -> DbSnapshot | None:
        return self._db_snapshot

    # ---------------------------------------------------------------- life cycle

    async def start(self) -> None:
        self._start_health()
        self._start_environment()

    async def stop(self) -> None:
        await self._stop_environment()
        if self._health is not None:
            await self._health.stop()
            self._health = None

    def kill_children(self) -> None:
        """Kill every child process group now (SIGHUP/SIGTERM path; must not await)."""
        if self._tail is not None:
            self._tail.kill_now()

    def environment_changed(self) -> None:
        asyncio.get_running_loop().create_task(self._switch_environment())

    def screen_shown(self, name: str) -> None:
        self._db_visible = name in ("dashboard", "database")
        if self._db is not None:
            self._db.set_visible(self._db_visible)

    async def _switch_environment(self) -> None:
        await self._stop_environment()
        self._start_environment()

    def _start_environment(self) -> None:
        env = self.sink.environment
        self._start_logs(env)
        self._start_db(env)

    async def _stop_environment(self) -> None:
        if self._tail is not None:
            tail, self._tail = self._tail, None
            await tail.stop()
        if self._db is not None:
            db, self._db = self._db, None
            await db.stop()
        self._log_view = None
        self._db_snapshot = None
        self.sink.logs_changed.publish(None)
        self.sink.db_changed.publish(None)
        for pane in ("logs", "db"):
            self.sink.set_problem(pane, None)

    # ---------------------------------------------------------------- secrets

    async def resolve_secret(self, name: str) -> str:
        """A secret's value by name, from the environment fallback or the OS keyring."""
        if self._secrets is None:
            from tui.secrets import SecretStore

            self._secrets = SecretStore()
        return await self._secrets.get(name)

    async def _resolve_token(self, name: str) -> str | None:
        return await self.resolve_secret(name)

    # ---------------------------------------------------------------- health

    def _start_health(self) -> None:
        endpoints = [
            (env.name, endpoint, env.thresholds)
            for env in self.sink.config.environments
            for endpoint in env.health
        ]
        if not endpoints:
            return
        from tui.health.monitor import HealthMonitor

        self._health = HealthMonitor(
            endpoints, on_state=self._on_health, resolve_token=self._resolve_token
        )
        self._health.start()

    def _on_health(self, state: EndpointState) -> None:
        self._health_states[state.key] = state
        self.sink.health_changed.publish(self.health_states())

    # ---------------------------------------------------------------- logs

    def _start_logs(self, env: Environment | None) -> None:
        if env is None or not env.logs:
            return
        from tui.logs.tail import LogTail

        self._tail = LogTail(list(env.logs), on_batch=self._on_logs)
        self._tail.start()

    def _on_logs(self, batch: LogBatch) -> None:
        tail = self._tail
        if tail is None:
            return
        view = LogViewData(
            sources=tuple((s.name, s.describe()) for s in batch.statuses),
            lines=tail.buffer.lines,
            total=tail.buffer.total,
            dropped=tail.buffer.dropped,
        )
        self._log_view = view
        failing = [f"{n} {s}" for n, s in view.sources if view.is_failing(n)]
        self.sink.set_problem("logs", "; ".join(failing) or None)
        self.sink.logs_changed.publish(view)

    # ---------------------------------------------------------------- database

    def _start_db(self, env: Environment | None) -> None:
        if env is None or env.database_secret is None:
            return
        from tui.db.monitor import DbMonitor

        secret = env.database_secret

        async def dsn() -> str:
            return await self.resolve_secret(secret)

        self._db = DbMonitor(dsn, interval=env.db_poll_interval, on_snapshot=self._on_db)
        self._db.set_visible(self._db_visible)
        self._db.start()

    def _on_db(self, snapshot: DbSnapshot) -> None:
        self._db_snapshot = snapshot
        self.sink.set_problem("db", snapshot.message if snapshot.status == "error" else None)
        self.sink.db_changed.publish(snapshot)
