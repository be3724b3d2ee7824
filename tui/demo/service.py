"""The demo's HTTP service: an Express-like API's health endpoints as a raw ASGI app.

Production is served at ``/`` and follows the demo :class:`Scenario` (it gets slow, loses
its database and recovers); staging is served under ``/staging/`` and stays healthy. The
bodies have the shapes the seed runbooks show (``{"status": "ok"}``, ``{"healthy": true,
"status": "healthy"}``, ``{"alive": true}``, detailed ``checks``, metrics with
percentiles), so the console's probes read them as they would read a real service.
Slow responses really are slow: the handler sleeps before it answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import uvicorn

from tui.demo.contract import HEALTH_PATHS, STAGING_PREFIX
from tui.demo.scenario import Condition, Scenario
from tui.errors import OnDutyError

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
AsgiApp = Callable[[Scope, Receive, Send], Awaitable[None]]

VERSION = "2.14.3"
DB_FAILURE = "connect ETIMEDOUT 10.0.4.12:5432"
#: Endpoints that answer at once whatever the scenario (a liveness probe must).
_UNDELAYED = frozenset({"/api/health/live", "/api/health/metrics"})
_HEAP_TOTAL = 512 * 1024 * 1024
_RSS_LIMIT = 1024 * 1024 * 1024
_TRAFFIC_PER_SECOND = 14.0


@dataclass
class _Counters:
    """Requests this service really answered, by status (probes included)."""

    total: int = 0
    by_status: dict[str, int] = field(default_factory=dict)

    def count(self, status: int) -> None:
        self.total += 1
        self.by_status[str(status)] = self.by_status.get(str(status), 0) + 1


@dataclass(frozen=True)
class Snapshot:
    """Everything a response body is built from, so bodies are a pure function of it."""

    environment: str
    condition: Condition
    uptime: float
    now: datetime
    served: int = 0


def render(path: str, snap: Snapshot) -> tuple[int, dict[str, Any]] | None:
    """Status and JSON body for ``path`` (without the environment prefix); None if unknown."""
    builder = _BUILDERS.get(path)
    return None if builder is None else builder(snap)


def _stamp(now: datetime) -> str:
    return now.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _overall(cond: Condition) -> str:
    if not cond.database_up:
        return "unhealthy"
    if cond.delay_ms > 1000 or cond.heap_pct > 75:
        return "degraded"
    return "healthy"


def _memory(cond: Condition) -> dict[str, Any]:
    status = "critical" if cond.heap_pct > 90 else "warn" if cond.heap_pct > 75 else "up"
    return {
        "status": status,
        "heapUsed": int(_HEAP_TOTAL * cond.heap_pct / 100),
        "heapTotal": _HEAP_TOTAL,
        "rss": int(_RSS_LIMIT * cond.rss_pct / 100),
        "heapPercent": round(cond.heap_pct, 1),
        "rssPercent": round(cond.rss_pct, 1),
    }


def _legacy(snap: Snapshot) -> tuple[int, dict[str, Any]]:
    up = snap.condition.database_up
    return (200 if up else 503), {
        "status": "ok" if up else "error",
        "environment": snap.environment,
        "version": VERSION,
        "database": "connected" if up else "disconnected",
        "uptime": int(snap.uptime),
    }


def _quick(snap: Snapshot) -> tuple[int, dict[str, Any]]:
    status = _overall(snap.condition)
    return (503 if status == "unhealthy" else 200), {
        "healthy": status != "unhealthy",
        "status": status,
        "timestamp": _stamp(snap.now),
        "responseTime": round(snap.condition.delay_ms),
    }


def _live(snap: Snapshot) -> tuple[int, dict[str, Any]]:
    return 200, {"alive": True, "timestamp": _stamp(snap.now), "uptime": round(snap.uptime, 1)}


def _ready(snap: Snapshot) -> tuple[int, dict[str, Any]]:
    up = snap.condition.database_up
    body: dict[str, Any] = {
        "ready": up,
        "status": "ready" if up else "not_ready",
        "timestamp": _stamp(snap.now),
        "checks": {"database": "ok" if up else "down"},
    }
    if not up:
        body["error"] = f"Database connection failed: {DB_FAILURE}"
    return (200 if up else 503), body


def _detailed(snap: Snapshot) -> tuple[int, dict[str, Any]]:
    cond = snap.condition
    status = _overall(cond)
    database: dict[str, Any] = {
        "status": "up" if cond.database_up else "down",
        "responseTime": round(cond.db_latency_ms, 1),
        "pool": {"total": 10, "idle": 7 if cond.database_up else 0,
                 "waiting": 0 if cond.database_up else 14},
    }
    if not cond.database_up:
        database["error"] = f"Database connection failed: {DB_FAILURE}"
    body = {
        "status": status,
        "timestamp": _stamp(snap.now),
        "environment": snap.environment,
        "version": VERSION,
        "uptime": round(snap.uptime, 1),
        "responseTime": round(cond.delay_ms),
        "checks": {
            "database": database,
            "schema": {"status": "up" if cond.database_up else "unknown", "tables": 14,
                       "pendingMigrations": 0},
            "system": {
                "status": "up",
                "platform": "linux",
                "nodeVersion": "v20.11.1",
                "cpuUsage": round(12 + cond.delay_ms / 60, 1),
                "loadAverage": [round(0.4 + cond.delay_ms / 900, 2), 0.52, 0.47],
                "memory": _memory(cond),
            },
            "memory": _memory(cond),
        },
    }
    return (503 if status == "unhealthy" else 200), body


def _metrics_body(snap: Snapshot) -> dict[str, Any]:
    cond = snap.condition
    total = int(snap.uptime * _TRAFFIC_PER_SECOND) + snap.served
    errors = int(total * cond.error_rate_pct / 100)
    unauthorized = total // 60
    return {
        "timestamp": _stamp(snap.now),
        "uptime": round(snap.uptime, 1),
        "requests": {
            "total": total,
            "perSecond": _TRAFFIC_PER_SECOND,
            "byStatus": {"200": total - errors - unauthorized, "401": unauthorized,
                         "500": errors // 3, "503": errors - errors // 3},
        },
        "responseTime": {
            "avg": round(cond.avg_ms, 1),
            "p50": round(cond.p50_ms, 1),
            "p95": round(cond.p95_ms, 1),
            "p99": round(cond.p99_ms, 1),
            "min": 2.1,
            "max": round(cond.p99_ms * 1.6, 1),
        },
        "errors": {
            "total": errors,
            "rate": round(_TRAFFIC_PER_SECOND * cond.error_rate_pct / 100, 3),
            "percentage": round(cond.error_rate_pct, 2),
        },
        "memory": _memory(cond),
        "database": {
            "status": "connected" if cond.database_up else "disconnected",
            "avgQueryTime": round(cond.db_latency_ms, 1),
            "pool": {"total": 10, "idle": 7 if cond.database_up else 0,
                     "waiting": 0 if cond.database_up else 14},
        },
    }


def _metrics(snap: Snapshot) -> tuple[int, dict[str, Any]]:
    return 200, _metrics_body(snap)


def _status(snap: Snapshot) -> tuple[int, dict[str, Any]]:
    code, health = _detailed(snap)
    return code, {"status": health["status"], "health": health, "metrics": _metrics_body(snap)}


def _db_ping(snap: Snapshot) -> tuple[int, dict[str, Any]]:
    cond = snap.condition
    if not cond.database_up:
        return 503, {"status": "error", "database": "disconnected",
                     "error": f"Database connection failed: {DB_FAILURE}",
                     "timestamp": _stamp(snap.now)}
    return 200, {"status": "ok", "database": "connected",
                 "latency": round(cond.db_latency_ms, 1), "timestamp": _stamp(snap.now)}


def _index(snap: Snapshot) -> tuple[int, dict[str, Any]]:
    return 200, {"name": "orders-api", "environment": snap.environment, "version": VERSION,
                 "endpoints": list(HEALTH_PATHS)}


_BUILDERS: dict[str, Callable[[Snapshot], tuple[int, dict[str, Any]]]] = {
    "/": _index,
    "/health": _legacy,
    "/api/health/quick": _quick,
    "/api/health/detailed": _detailed,
    "/api/health/live": _live,
    "/api/health/ready": _ready,
    "/api/health/metrics": _metrics,
    "/api/health/status": _status,
    "/db/ping": _db_ping,
}


class DemoService:
    """The ASGI app: production at ``/`` on ``production``'s scenario, staging under
    ``/staging/`` on a steady one."""

    def __init__(
        self,
        production: Scenario,
        staging: Scenario | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clock = clock
        self._started = clock()
        self._scenarios = {"production": production,
                           "staging": staging or Scenario(steady=True)}
        self._counters = {name: _Counters() for name in self._scenarios}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        environment, path = _split(scope["path"])
        if scope["method"] not in ("GET", "HEAD"):
            await _respond(send, 405, {"error": "Method Not Allowed"}, scope["method"])
            return
        elapsed = self._clock() - self._started
        condition = self._scenarios[environment].at(elapsed)
        if path in _BUILDERS and path not in _UNDELAYED and path != "/":
            await asyncio.sleep(condition.delay_ms / 1000)
            elapsed = self._clock() - self._started
        counters = self._counters[environment]
        snap = Snapshot(environment, condition, elapsed, datetime.now(UTC), counters.total)
        answer = render(path, snap)
        status, body = answer if answer else (404, {"error": "Not Found", "path": path})
        counters.count(status)
        await _respond(send, status, body, scope["method"])


def _split(raw_path: str) -> tuple[str, str]:
    """(environment, path inside it); trailing slashes do not matter."""
    environment, path = "production", raw_path
    if raw_path == STAGING_PREFIX or raw_path.startswith(STAGING_PREFIX + "/"):
        environment, path = "staging", raw_path[len(STAGING_PREFIX):]
    return environment, path.rstrip("/") or "/"


async def _respond(send: Send, status: int, body: dict[str, Any], method: str) -> None:
    payload = json.dumps(body, separators=(",", ":")).encode()
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [
            (b"content-type", b"application/json; charset=utf-8"),
            (b"content-length", str(len(payload)).encode()),
            (b"cache-control", b"no-store"),
            (b"x-powered-by", b"Express"),
        ],
    })
    await send({"type": "http.response.body", "body": b"" if method == "HEAD" else payload})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


class _QuietServer(uvicorn.Server):
    """uvicorn without its own signal handlers: the sandbox process owns the signals."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class ServiceServer:
    """Serves an ASGI app (the demo's, or a seed-shaped one) with uvicorn on 127.0.0.1 and
    a free port."""

    def __init__(self, app: AsgiApp, host: str = "127.0.0.1") -> None:
        self.app = app
        self.host = host
        self.port = 0
        self._server: _QuietServer | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash)."""
        return f"http://{self.host}:{self.port}"

    async def start(self, timeout: float = 10.0) -> None:
        """Bind a free port and serve; returns once uvicorn accepts connections."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, 0))
        sock.set_inheritable(False)
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app, log_level="warning", access_log=False, lifespan="off", http="h11",
            ws="none", server_header=False, date_header=True, timeout_graceful_shutdown=2,
        )
        self._server = _QuietServer(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if self._task.done() or time.monotonic() > deadline:
                reason = "it exited" if self._task.done() else f"not serving after {timeout:g} s"
                await self.stop()
                raise OnDutyError(f"the demo HTTP service did not start on {self.host}: {reason}")
            await asyncio.sleep(0.01)

    async def stop(self, timeout: float = 5.0) -> None:
        """Stop serving; idempotent and bounded by ``timeout``."""
        if self._server is None or self._task is None:
            return
        self._server.should_exit = True
        try:
            await asyncio.wait_for(asyncio.shield(self._task), timeout)
        except Exception:
            self._server.force_exit = True
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        self._server = None
        self._task = None
