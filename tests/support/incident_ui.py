"""Helpers for the incident UI tests: an app with a private store, engine data fed in.

The engines are replaced by :class:`FakeEngines`, which hold the same immutable results
the real hubs publish (``EndpointState``, ``LogViewData``, ``DbSnapshot``), so a test
decides exactly what the live evidence says.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, Select

from tests.support.incidents import wait_for
from tui.app import OnDutyApp, create_app
from tui.config import parse_config
from tui.db.activity import ActivitySummary
from tui.db.monitor import DbSnapshot
from tui.db.statements import STATUS_OK
from tui.health.model import EndpointState, ProbeResult, Verdict
from tui.hub.logs import LogViewData
from tui.logs.parse import Level, LineKind, LogLine

CONFIG = """
bell = true
[incidents]
store = "{store}"
[environments.production]
base_url = "https://api.example.com"
[[environments.production.health]]
path = "/health"
"""


def store_path(tmp_path: Path) -> Path:
    return tmp_path / "incidents.sqlite3"


def make_app(tmp_path: Path, *, incidents: bool = True,
             runbooks: Path | None = None) -> OnDutyApp:
    """The real app (engines off) with its incident store in ``tmp_path``."""
    source = CONFIG.format(store=store_path(tmp_path))
    if runbooks is not None:
        source += f'\n[runbooks]\npaths = ["{runbooks}"]\n'
    config = parse_config(source, tmp_path / "config.toml")
    return create_app(config, engines=False, incidents=incidents,
                      state_file=tmp_path / "state.json")


def screen_text(app: OnDutyApp) -> str:
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)


def endpoint_state(verdict: Verdict, *, endpoint: str = "/health", reason: str = "200 OK",
                   env: str = "production", cert_days: int | None = 40) -> EndpointState:
    """One probed endpoint as the health hub publishes it."""
    url = f"https://api.example.com{endpoint}"
    result = ProbeResult(endpoint=endpoint, url=url, final_url=url, started_at=time.time(),
                         verdict=verdict, reason=reason, latency_ms=42.0, status=200,
                         cert_days=cert_days)
    return EndpointState(key=f"{env}:{endpoint}", env=env, endpoint=endpoint, verdict=verdict,
                         previous=Verdict.HEALTHY, last=result, since=time.time(),
                         changed=False)


def log_view(texts: Sequence[str], *, age_s: float = 0.0) -> LogViewData:
    """A log view whose lines arrived ``age_s`` seconds ago."""
    received = time.time() - age_s
    lines = [LogLine(seq=i, source="api", received=received,
                     level=Level.ERROR if "ERROR" in t else Level.INFO, kind=LineKind.TEXT,
                     text=t) for i, t in enumerate(texts)]
    return LogViewData(sources=(("api", "following", "following"),), lines=lines,
                       total=len(lines), dropped=0, memory_bytes=0)


def db_snapshot(total: int = 12, max_connections: int = 100) -> DbSnapshot:
    activity = ActivitySummary(states=(("active", 3), ("idle", total - 3)), total=total,
                               max_connections=max_connections, long_running=(),
                               idle_in_transaction=(), blocking=(), sessions=())
    return DbSnapshot(status="ok", message="", tls_label="", statements=(),
                      statements_status=STATUS_OK, activity=activity, server_version="15",
                      interval=2.0, taken_at=datetime.now())


class FakeHealth:
    def __init__(self) -> None:
        self.on_change: list[Callable[[EndpointState], None]] = []
        self.current: tuple[EndpointState, ...] = ()

    def states(self) -> tuple[EndpointState, ...]:
        return self.current


class FakeLogs:
    def __init__(self) -> None:
        self.current: LogViewData | None = None

    def view(self) -> LogViewData | None:
        return self.current


class FakeDb:
    def __init__(self) -> None:
        self.current: DbSnapshot | None = None
        self.baselines = 0

    def snapshot(self) -> DbSnapshot | None:
        return self.current

    def mark_baseline(self) -> None:
        self.baselines += 1


class FakeEngines:
    """Stands in for tui.hub.Engines: the hubs' latest data, set by the test."""

    def __init__(self) -> None:
        self.health = FakeHealth()
        self.logs = FakeLogs()
        self.db = FakeDb()
        self.killed = 0

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def kill_children(self) -> None:
        self.killed += 1

    def screen_shown(self, name: str) -> None:
        return None

    def environment_changed(self) -> None:
        return None


def feed_engines(app: OnDutyApp) -> FakeEngines:
    """Give a running app fake engines whose data the test sets."""
    engines = FakeEngines()
    app.engines = engines  # type: ignore[assignment]
    app.incident_actions.listen_to_engines()
    return engines


async def started(app: OnDutyApp) -> None:
    """Wait until the incident store is open and the runbook library is read."""
    await wait_for(lambda: app.incidents.ready, message="the incident store to open")
    await app.incidents.library_ready()


async def open_incident(app: OnDutyApp, pilot: Pilot[Any], procedure: str,
                        title: str = "", severity: int = 0) -> None:
    """Press !, pick the procedure whose key contains ``procedure``, open it."""
    await started(app)
    await pilot.press("exclamation_mark")
    await wait_for(lambda: type(app.screen).__name__ == "OpenIncidentDialog",
                   message="the open dialog")
    dialog: Any = app.screen
    key = next(k for k in dialog._refs if procedure in k)
    dialog.query_one("#open-procedure", Select).value = key
    await pilot.pause()
    dialog.query_one("#open-severity", Select).value = str(severity)
    if title:
        dialog.query_one("#open-title", Input).value = title
    await pilot.click("#open-confirm")
    await wait_for(lambda: app.incidents.incident is not None, message="the incident to open")
    await pilot.pause()
