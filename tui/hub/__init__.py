"""The engine hub: runs the engines for a config and hands their latest results to a sink
(the app) without knowing anything about Textual.

One module per area (health, logs, db) so each can grow on its own. Health probes every
environment (the dashboard says at a glance which one is down); logs and the database
follow the environment being shown, so onduty holds one database connection at a time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from tui.hub.base import Sink
from tui.hub.db import DbHub
from tui.hub.health import HealthHub
from tui.hub.logs import LogsHub, LogViewData

__all__ = ["Engines", "LogViewData", "Sink"]


class Engines:
    """Owns the running engines; every start and stop is bounded and never raises to the UI."""

    def __init__(self, sink: Sink, *, database_notes: Mapping[str, str] | None = None) -> None:
        self.sink = sink
        self.health = HealthHub(sink)
        self.logs = LogsHub(sink)
        self.db = DbHub(sink, database_notes=database_notes)

    async def start(self) -> None:
        self.health.start()
        self._start_environment()

    async def stop(self) -> None:
        await self._stop_environment()
        await self.health.stop()

    def kill_children(self) -> None:
        """Kill every child process group now (SIGHUP/SIGTERM path; must not await)."""
        self.logs.kill_children()

    def environment_changed(self) -> None:
        asyncio.get_running_loop().create_task(self._switch_environment())

    def screen_shown(self, name: str) -> None:
        self.db.set_visible(name in ("dashboard", "database"))

    async def _switch_environment(self) -> None:
        await self._stop_environment()
        self._start_environment()

    def _start_environment(self) -> None:
        env = self.sink.environment
        self.logs.start(env)
        self.db.start(env)

    async def _stop_environment(self) -> None:
        await self.logs.stop()
        await self.db.stop()
