"""The demo's log stream: an Express API's logs, appended to a file a few lines a second.

Real Node services log in several shapes at once, so this does too: pino JSON (numeric
levels 30/40/50, epoch-ms ``time``, ``req``/``res``, ``responseTime``), morgan access
lines (``GET /api/orders 200 12.345 ms - 1532``), plain ``ERROR``/``WARN`` lines,
multi-line exception stacks, auth failures, slow requests and pool messages. The error
share follows the :class:`Scenario`. Now and then a line carries hostile text (markup
brackets, a click action, terminal escape sequences) because real logs do, and the
console must show it literally.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from tui.demo.scenario import Condition, Scenario
from tui.demo.service import DB_FAILURE

HOSTNAME = "orders-api-7f9c4d"
PID = 4821
_ROUTES = (
    ("GET", "/api/orders"),
    ("GET", "/api/orders/{id}"),
    ("POST", "/api/orders"),
    ("GET", "/api/users/{id}"),
    ("GET", "/api/products?page={n}"),
    ("PATCH", "/api/orders/{id}/status"),
    ("GET", "/api/health/quick"),
)
_SLOW_ROUTES = ("/api/reports/sales", "/api/orders/export", "/api/analytics/daily")
_STACKS = (
    ("TypeError: Cannot read properties of undefined (reading 'total')",
     ("OrderService.calculateTotals (/app/src/services/orders.js:142:31)",
      "async /app/src/routes/orders.js:58:19",
      "async Layer.handle [as handle_request] "
      "(/app/node_modules/express/lib/router/layer.js:95:5)")),
    ("Error: Connection terminated unexpectedly",
     ("Connection.<anonymous> (/app/node_modules/pg/lib/client.js:132:73)",
      "Object.onceWrapper (node:events:632:28)",
      "Connection.emit (node:events:518:28)")),
)
#: Text that must reach the screen as text: markup, a click action, escape sequences.
HOSTILE_SAMPLES = (
    "GET /search?q=[/] 404 2.114 ms - 9",
    "[@click=app.quit]",
    "\x1b]0;pwned\x07\x1b[2J",
    "\x1b]52;c;ZWNobyBwd25lZA==\x07",
    "[bold red]FAKE ALERT[/]",
)


def _iso(ms: int) -> str:
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class LogLineFactory:
    """Makes the log lines of one moment; deterministic for a given seed."""

    def __init__(self, seed: int | None = None, *, hostile_every: int = 45) -> None:
        self._rng = random.Random(seed)
        self._hostile_every = hostile_every
        self._count = 0
        self._request_id = 1000

    def lines(self, condition: Condition, now_ms: int, count: int = 1) -> list[str]:
        """``count`` log records for ``condition`` at ``now_ms`` (a stack adds lines)."""
        out: list[str] = []
        for _ in range(count):
            self._count += 1
            if self._count % self._hostile_every == 0:
                out.append(self.hostile(now_ms))
            else:
                out.extend(self._one(condition, now_ms))
        return out

    def _one(self, cond: Condition, now_ms: int) -> list[str]:
        rng = self._rng
        p_error = min(0.03 + cond.error_rate_pct / 70, 0.6)
        p_slow = 0.5 if cond.delay_ms > 1000 else 0.15 if cond.degraded else 0.04
        roll = rng.random()
        if roll < p_error:
            return self.error(cond, now_ms)
        roll -= p_error
        if roll < p_slow:
            return [self.slow(now_ms, cond)]
        roll -= p_slow
        if roll < 0.06:
            return [self.auth_failure(now_ms)]
        roll -= 0.06
        if roll < 0.04:
            return [self.pool(cond, now_ms)]
        return [self.access(now_ms, cond)]

    # -- one kind of record each

    def _pino(self, level: int, now_ms: int, msg: str, **fields: Any) -> str:
        record = {"level": level, "time": now_ms, "pid": PID, "hostname": HOSTNAME, **fields,
                  "msg": msg}
        return json.dumps(record, separators=(",", ":"), ensure_ascii=False)

    def _request(self, method: str, url: str) -> dict[str, Any]:
        self._request_id += 1
        return {"id": self._request_id, "method": method, "url": url,
                "remoteAddress": f"10.0.{self._rng.randint(1, 9)}.{self._rng.randint(2, 250)}"}

    def _route(self) -> tuple[str, str]:
        method, template = self._rng.choice(_ROUTES)
        url = template.replace("{id}", str(self._rng.randint(1, 6000)))
        return method, url.replace("{n}", str(self._rng.randint(1, 40)))

    def access(self, now_ms: int, cond: Condition) -> str:
        """A successful request: a morgan line or a pino "request completed"."""
        method, url = self._route()
        ms = max(cond.p50_ms * self._rng.uniform(0.2, 1.6), 1.0)
        status = 201 if method == "POST" else 200
        if self._rng.random() < 0.5:
            return f"{method} {url} {status} {ms:.3f} ms - {self._rng.randint(80, 4200)}"
        return self._pino(30, now_ms, "request completed", req=self._request(method, url),
                          res={"statusCode": status}, responseTime=round(ms))

    def slow(self, now_ms: int, cond: Condition) -> str:
        """A request over the 1 s threshold."""
        url = self._rng.choice(_SLOW_ROUTES)
        ms = max(int(cond.delay_ms * self._rng.uniform(1.0, 1.8)), 1000 + self._rng.randint(1, 900))
        if self._rng.random() < 0.5:
            return (f"{_iso(now_ms)} WARN slow request method=GET path={url} status=200 "
                    f"response_time={ms}")
        return self._pino(40, now_ms, "slow request", req=self._request("GET", url),
                          res={"statusCode": 200}, responseTime=ms)

    def auth_failure(self, now_ms: int) -> str:
        """A 401: an expired token, a bad bearer token, or the access line of one."""
        pick = self._rng.randrange(3)
        if pick == 0:
            return self._pino(40, now_ms, "auth token expired",
                              req=self._request("GET", "/api/orders"), res={"statusCode": 401},
                              userId=self._rng.randint(1, 2000))
        if pick == 1:
            return f"{_iso(now_ms)} WARN 401 Unauthorized: invalid bearer token for /api/orders"
        return f"POST /api/auth/refresh 401 {self._rng.uniform(1, 9):.3f} ms - 46"

    def pool(self, cond: Condition, now_ms: int) -> str:
        """A pg pool message: routine when healthy, exhaustion when the database is down."""
        if not cond.database_up:
            return self._pino(50, now_ms,
                              "pg pool exhausted: timeout exceeded when trying to connect",
                              pool={"total": 10, "idle": 0, "waiting": self._rng.randint(8, 20)})
        idle = self._rng.randint(2, 8)
        return self._pino(30, now_ms, "pg pool: client acquired",
                          pool={"total": 10, "idle": idle, "waiting": 0})

    def error(self, cond: Condition, now_ms: int) -> list[str]:
        """A failure: a database error, a pino level-50 record, or an exception with a stack."""
        pick = self._rng.randrange(4)
        if not cond.database_up or pick == 0:
            method, url = self._route()
            if self._rng.random() < 0.5:
                return [f"{_iso(now_ms)} ERROR Database connection failed: {DB_FAILURE}"]
            return [f"{method} {url} 503 {cond.delay_ms:.3f} ms - 61"]
        if pick == 1:
            return [self._pino(50, now_ms, "request failed", req=self._request(*self._route()),
                               res={"statusCode": 500}, responseTime=round(cond.avg_ms),
                               err={"type": "Error", "message": "upstream payment service 502"})]
        message, frames = self._rng.choice(_STACKS)
        return [f"{_iso(now_ms)} ERROR Unhandled exception in /api/orders: {message}",
                message, *(f"    at {frame}" for frame in frames)]

    def hostile(self, now_ms: int) -> str:
        """A line whose text would be markup, an action or an escape sequence if trusted."""
        sample = self._rng.choice(HOSTILE_SAMPLES)
        if sample.startswith("GET "):
            return sample
        if self._rng.random() < 0.5:
            return self._pino(40, now_ms, f"rejected header value {sample}",
                              req=self._request("GET", "/api/orders"))
        return f"{_iso(now_ms)} WARN rejected header value {sample} from 10.0.9.9"

    def backlog(self, condition: Condition, now_ms: int) -> list[str]:
        """Recent history written at start: one record of every kind, oldest first."""
        stamps = [now_ms - (30_000 - i * 1_500) for i in range(20)]
        lines: list[str] = []
        for i, stamp in enumerate(stamps):
            if i == 3:
                lines.extend(self.error(condition, stamp))
            elif i == 5:
                lines.append(f"{_iso(stamp)} ERROR Database connection failed: {DB_FAILURE}")
            elif i == 7:
                lines.append(self.auth_failure(stamp))
            elif i == 8:
                lines.append(self._pino(40, stamp, "auth token expired",
                                        req=self._request("GET", "/api/orders"),
                                        res={"statusCode": 401}))
            elif i == 10:
                lines.append(f"{_iso(stamp)} WARN slow request method=GET "
                             f"path=/api/reports/sales status=200 response_time=1834")
            elif i == 12:
                lines.append(self.pool(condition, stamp))
            elif i == 14:
                message, frames = _STACKS[0]
                lines.extend([f"{_iso(stamp)} ERROR Unhandled exception: {message}", message,
                              *(f"    at {frame}" for frame in frames)])
            elif i == 16:
                lines.append(self.hostile(stamp))
            else:
                lines.append(self.access(stamp, condition))
        return lines


class LogWriter:
    """Appends the factory's lines to ``path`` every ``interval`` seconds until stopped."""

    def __init__(
        self,
        path: Path,
        scenario: Scenario,
        *,
        interval: float = 0.5,
        seed: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = path
        self._scenario = scenario
        self._interval = interval
        self._factory = LogLineFactory(seed)
        self._rng = random.Random(seed)
        self._clock = clock
        self._started = clock()
        self._file: IO[bytes] | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Create the file with a short backlog, then keep appending in the background."""
        self._file = await asyncio.to_thread(self.path.open, "ab")
        backlog = self._factory.backlog(self._scenario.at(0), _now_ms())
        await self._write(backlog)
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval * self._rng.uniform(0.6, 1.4))
            condition = self._scenario.at(self._clock() - self._started)
            count = self._rng.choice((1, 1, 2, 2, 3))
            with contextlib.suppress(OSError, TimeoutError):
                await self._write(self._factory.lines(condition, _now_ms(), count))

    async def _write(self, lines: list[str]) -> None:
        handle = self._file
        if handle is None or not lines:
            return
        data = "".join(line + "\n" for line in lines).encode("utf-8")
        await asyncio.wait_for(asyncio.to_thread(_append, handle, data), timeout=5)

    async def stop(self) -> None:
        """Stop writing and close the file; idempotent."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._file is not None:
            handle, self._file = self._file, None
            await asyncio.to_thread(handle.close)


def _append(handle: IO[bytes], data: bytes) -> None:
    handle.write(data)
    handle.flush()


def _now_ms() -> int:
    return int(time.time() * 1000)
