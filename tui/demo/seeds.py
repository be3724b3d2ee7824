"""Sandboxes shaped like the five seed systems, for end-to-end tests and for trying an example.

Each :class:`SeedShape` is one runbook's system: its environments, its health endpoints with
the body shapes the runbook shows (or the ones an Express service of that kind answers),
the CLI its logs are read with (``railway logs``, ``fly logs``, or a plain file) and the
error its database gives when it fails. A :class:`SeedSandbox` serves every environment of
a shape under ``/<environment>/`` on one 127.0.0.1 port and writes each environment's
application output to ``<run dir>/<environment>.log``.

Nothing runs on a schedule unless asked: an environment is healthy, degraded or down when
``set_mode`` (or ``POST /_sandbox/mode?env=...&mode=...``) says so, and a log line is
written when ``emit`` says so, so a test can drive the system and know what to expect.

``python -m tui.demo.seeds logs RUNDIR -- railway logs --service gateway`` speaks like the
CLI named after ``--``: it prints the environment's output so far and then follows it,
``railway logs`` as the service wrote it, ``fly logs`` with fly's timestamp, machine,
region and ``[level]`` prefix. ``python -m tui.demo.seeds serve SEED RUNDIR`` runs a
sandbox on its own (with a little background traffic) until stdin closes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qs

from tui.demo.scenario import Condition
from tui.demo.service import Receive, Scope, Send, ServiceServer, Snapshot, render
from tui.errors import OnDutyError
from tui.logs.parse import Level, text_level

HEALTHY = "healthy"
DEGRADED = "degraded"
DOWN = "down"
MODES: tuple[str, ...] = (HEALTHY, DEGRADED, DOWN)
LOG_KINDS: tuple[str, ...] = ("access", "error", "auth", "slow", "database")
CONTROL_PREFIX = "/_sandbox"
READY_FILE = "ready.json"
FLY_MACHINE = "148e272c4d1e89"
FLY_REGION = "iad"
_FOLLOW_POLL = 0.05
_LETTERS = "abcdefghjkmnpqrstuvwxyz"


@dataclass(frozen=True)
class EnvState:
    """What one environment is doing: its mode and how long every answer is delayed."""

    mode: str = HEALTHY
    delay_ms: float = 0.0


@dataclass(frozen=True)
class Moment:
    """Everything a body is built from, so bodies are a pure function of it."""

    env: str
    state: EnvState
    uptime: float
    now: datetime


Builder = Callable[[Moment], tuple[int, dict[str, Any]]]


@dataclass(frozen=True)
class SeedShape:
    """One seed runbook's system, as far as onduty can see it from outside.

    ``endpoints`` maps each health path to the builder of its answer; ``log_cli`` is
    ``railway``, ``fly`` or ``file``; ``degraded_delay_ms`` is how slow a degraded
    environment answers (the Fly.io template's only sign of trouble is latency).
    """

    key: str
    system: str
    environments: tuple[str, ...]
    endpoints: Mapping[str, Builder]
    log_cli: str
    resource: str
    db_failure: str
    version: str = "1.0.0"
    degraded_delay_ms: float = 0.0
    fly_apps: Mapping[str, str] = field(default_factory=dict)


def _iso(now: datetime) -> str:
    return now.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _code(m: Moment) -> int:
    return 503 if m.state.mode == DOWN else 200


# --------------------------------------------------------------------------- 000 Capacity Planner


def _cp_health(m: Moment) -> tuple[int, dict[str, Any]]:
    """The runbook's "Expected response"; a slow database does not change it."""
    up = m.state.mode != DOWN
    return _code(m), {"status": "ok" if up else "error", "environment": m.env,
                      "version": "1.0.0", "database": "connected" if up else "disconnected",
                      "uptime": int(m.uptime)}


def _cp_detailed(m: Moment) -> tuple[int, dict[str, Any]]:
    mode = m.state.mode
    database: dict[str, Any] = {
        HEALTHY: {"status": "connected", "latency": 4},
        DEGRADED: {"status": "degraded", "latency": 1450,
                   "message": "pool 9/10 in use, long-running queries"},
        DOWN: {"status": "disconnected", "error": "connect ECONNREFUSED (Supabase)"},
    }[mode]
    return _code(m), {
        "status": {HEALTHY: "ok", DEGRADED: "degraded", DOWN: "error"}[mode],
        "environment": m.env, "version": "1.0.0", "uptime": int(m.uptime),
        "timestamp": _iso(m.now),
        "checks": {"database": database, "memory": {"status": "ok", "heapUsedMb": 182}},
    }


# --------------------------------------------------------------------------- 001 Sentia


def _sentia_health(m: Moment) -> tuple[int, dict[str, Any]]:
    mode = m.state.mode
    services = {
        HEALTHY: {"database": "connected", "redis": "connected", "clerk": "ok"},
        DEGRADED: {"database": "slow", "redis": "connected", "clerk": "ok"},
        DOWN: {"database": "disconnected", "redis": "connected", "clerk": "ok"},
    }[mode]
    return _code(m), {"status": {HEALTHY: "healthy", DEGRADED: "degraded",
                                 DOWN: "unhealthy"}[mode],
                      "environment": m.env, "timestamp": _iso(m.now),
                      "uptime": round(m.uptime, 1), "services": services}


def _sentia_metrics(m: Moment) -> tuple[int, dict[str, Any]]:
    mode = m.state.mode
    p95, errors, memory = {HEALTHY: (420, 0.3, 61), DEGRADED: (2600, 2.4, 78),
                           DOWN: (1900, 34.0, 83)}[mode]
    return 200, {"timestamp": _iso(m.now), "uptime": round(m.uptime, 1),
                 "responseTime": {"avg": round(p95 * 0.4), "p95": p95, "p99": p95 * 2},
                 "errors": {"percentage": errors},
                 "memory": {"percentage": memory}}


# --------------------------------------------------------------------------- 002 CapLiquify


def _capliquify_health(m: Moment) -> tuple[int, dict[str, Any]]:
    mode = m.state.mode
    database = {
        HEALTHY: {"status": "connected", "provider": "neon", "pooled": True, "latencyMs": 9},
        DEGRADED: {"status": "degraded", "provider": "neon", "pooled": True, "latencyMs": 2300,
                   "message": "compute waking up"},
        DOWN: {"status": "error", "provider": "neon", "pooled": True,
               "error": "Connection terminated unexpectedly"},
    }[mode]
    return _code(m), {"status": {HEALTHY: "healthy", DEGRADED: "degraded",
                                 DOWN: "unhealthy"}[mode],
                      "environment": m.env, "timestamp": _iso(m.now),
                      "checks": {"database": database, "clerk": {"status": "ok"}}}


# --------------------------------------------------------------------------- 003 Eden ERP

_EDEN = {
    HEALTHY: Condition("healthy", 0.0, 20.0, True, 4.0, avg_ms=95, p50_ms=70, p95_ms=320,
                       p99_ms=620, error_rate_pct=0.3, heap_pct=58, rss_pct=52),
    DEGRADED: Condition("slow", 0.0, 1250.0, True, 420.0, avg_ms=1100, p50_ms=900,
                        p95_ms=2600, p99_ms=4100, error_rate_pct=2.5, heap_pct=82, rss_pct=70),
    DOWN: Condition("database_down", 0.0, 250.0, False, 0.0, avg_ms=640, p50_ms=310,
                    p95_ms=1950, p99_ms=5200, error_rate_pct=31, heap_pct=86, rss_pct=79),
}
EDEN_PATHS: tuple[str, ...] = (
    "/health", "/api/health/quick", "/api/health/detailed", "/api/health/live",
    "/api/health/ready", "/api/health/metrics", "/api/health/status", "/db/ping",
)


def _eden(path: str) -> Builder:
    """The demo service's bodies: it was built from this very runbook."""

    def build(m: Moment) -> tuple[int, dict[str, Any]]:
        answer = render(path, Snapshot(m.env, _EDEN[m.state.mode], m.uptime, m.now))
        assert answer is not None, path
        return answer

    return build


# --------------------------------------------------------------------------- 004 Fly.io template


def _fly_health(m: Moment) -> tuple[int, dict[str, Any]]:
    """The template's ``{"status": "ok", "timestamp": ...}``; degraded only means slow."""
    return _code(m), {"status": "error" if m.state.mode == DOWN else "ok",
                      "timestamp": _iso(m.now)}


SHAPES: dict[str, SeedShape] = {
    shape.key: shape
    for shape in (
        SeedShape("000", "Capacity Planner", ("production",),
                  {"/health": _cp_health, "/health/detailed": _cp_detailed},
                  "railway", "stands", "connect ECONNREFUSED db.supabase.co:5432"),
        SeedShape("001", "Sentia Manufacturing Dashboard", ("production", "staging"),
                  {"/health": _sentia_health, "/api/metrics": _sentia_metrics},
                  "railway", "orders", "Connection terminated unexpectedly"),
        SeedShape("002", "CapLiquify", ("development", "testing", "production"),
                  {"/api/health": _capliquify_health},
                  "railway", "forecasts", "Connection terminated unexpectedly (Neon pooler)"),
        SeedShape("003", "Eden ERP", ("production",),
                  {path: _eden(path) for path in EDEN_PATHS},
                  "file", "projects", "Tenant or user not found"),
        SeedShape("004", "Fly.io + Supabase template", ("production",),
                  {"/health": _fly_health}, "fly", "items", "remaining connection slots are "
                  "reserved", degraded_delay_ms=700.0, fly_apps={"your-app": "production"}),
    )
}


def shape(key: str) -> SeedShape:
    """The shape of seed ``key`` ("000" to "004")."""
    try:
        return SHAPES[key]
    except KeyError:
        raise OnDutyError(f"no seed sandbox {key!r} (known: {', '.join(SHAPES)})") from None


# --------------------------------------------------------------------------- application logs


class AppLog:
    """The service's own output: deterministic Express lines, one kind at a time."""

    def __init__(self, seed_shape: SeedShape) -> None:
        self.shape = seed_shape
        self._count = 0

    def _rid(self) -> str:
        """A request id of letters only, so no filter for "401" or "1000" can hit it."""
        self._count += 1
        n, out = self._count, ""
        while n:
            n, digit = divmod(n, len(_LETTERS))
            out = _LETTERS[digit] + out
        return "req-" + out.rjust(4, "a")

    def line(self, kind: str, now: datetime) -> str:
        """One line of ``kind`` (see ``LOG_KINDS``) stamped ``now``."""
        stamp, rid, res = _iso(now), self._rid(), self.shape.resource
        if kind == "access":
            return f"GET /api/{res} 200 12.5 ms - 1532 {rid}"
        if kind == "error":
            return (f"{stamp} ERROR Unhandled exception in POST /api/{res}: TypeError: "
                    f"Cannot read properties of undefined (reading 'id') {rid}")
        if kind == "auth":
            return f"{stamp} WARN 401 Unauthorized: invalid bearer token for GET /api/{res} {rid}"
        if kind == "slow":
            return (f"{stamp} WARN slow request method=GET path=/api/{res}/export status=200 "
                    f"response_time=1834 {rid}")
        if kind == "database":
            return f"{stamp} ERROR Database connection failed: {self.shape.db_failure} {rid}"
        raise ValueError(f"unknown log kind {kind!r} (known: {', '.join(LOG_KINDS)})")


_TRAFFIC: dict[str, tuple[tuple[str, float], ...]] = {
    HEALTHY: (("access", 0.9), ("auth", 0.05), ("slow", 0.05)),
    DEGRADED: (("access", 0.5), ("slow", 0.4), ("error", 0.1)),
    DOWN: (("access", 0.3), ("database", 0.5), ("error", 0.2)),
}


# --------------------------------------------------------------------------- the sandbox


class SeedSandbox:
    """A seed system on 127.0.0.1: health endpoints per environment and their logs.

    ``start()`` then ``stop()`` (always). ``traffic`` > 0 writes background lines that
    follow each environment's mode every ``traffic`` seconds; tests leave it at 0 and
    call ``emit``. ``clock`` stamps the lines (tests fix it, so no stamp can read "401").
    """

    def __init__(self, seed_shape: SeedShape, run_dir: Path, *, traffic: float = 0.0,
                 rng_seed: int = 0, clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 ) -> None:
        self.shape = seed_shape
        self.run_dir = run_dir
        self.states = {env: EnvState() for env in seed_shape.environments}
        self.served: dict[tuple[str, str], int] = {}
        self._traffic = traffic
        self._clock = clock
        self._rng = random.Random(rng_seed)
        self._log = AppLog(seed_shape)
        self._started = time.monotonic()
        self._server = ServiceServer(self)
        self._files: dict[str, IO[bytes]] = {}
        self._task: asyncio.Task[None] | None = None

    # -- control

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` once started."""
        return self._server.base_url

    def base_url(self, env: str) -> str:
        """Where environment ``env`` is served (no trailing slash)."""
        self._known(env)
        return f"{self.url}/{env}"

    def log_file(self, env: str) -> Path:
        """The file environment ``env``'s output is appended to."""
        self._known(env)
        return self.run_dir / f"{env}.log"

    def set_mode(self, env: str, mode: str, *, delay_ms: float | None = None) -> EnvState:
        """Make ``env`` healthy, degraded or down; a degraded one is as slow as its shape."""
        self._known(env)
        if mode not in MODES:
            raise OnDutyError(f"unknown mode {mode!r} (known: {', '.join(MODES)})")
        if delay_ms is None:
            delay_ms = self.shape.degraded_delay_ms if mode == DEGRADED else 0.0
        self.states[env] = EnvState(mode, max(delay_ms, 0.0))
        return self.states[env]

    async def emit(self, env: str, *kinds: str) -> list[str]:
        """Append one line of each kind to ``env``'s output; returns the lines written."""
        self._known(env)
        now = self._clock()
        lines = [self._log.line(kind, now) for kind in kinds]
        data = "".join(line + "\n" for line in lines).encode("utf-8")
        handle = self._files[env]
        await asyncio.wait_for(asyncio.to_thread(_append, handle, data), timeout=5)
        return lines

    def log_command(self, original: Sequence[str]) -> tuple[str, ...]:
        """The command that prints like ``original`` (``railway logs ...``) from this sandbox."""
        return (sys.executable, "-m", "tui.demo.seeds", "logs", str(self.run_dir), "--",
                *original)

    def _known(self, env: str) -> None:
        if env not in self.states:
            known = ", ".join(self.shape.environments)
            raise OnDutyError(f"{self.shape.system} has no environment {env!r} (known: {known})")

    # -- lifecycle

    async def start(self) -> None:
        """Serve, create the log files and write ``ready.json``."""
        for env in self.shape.environments:
            self._files[env] = await asyncio.to_thread(self.log_file(env).open, "ab")
        await self._server.start()
        ready = {"seed": self.shape.key, "url": self.url,
                 "environments": {env: self.base_url(env) for env in self.shape.environments},
                 "logs": {env: str(self.log_file(env)) for env in self.shape.environments},
                 "fly_apps": dict(self.shape.fly_apps), "pid": os.getpid()}
        await asyncio.to_thread(_write_json, self.run_dir / READY_FILE, ready)
        if self._traffic > 0:
            self._task = asyncio.create_task(self._background())

    async def stop(self) -> None:
        """Stop serving and writing, and remove ``ready.json`` (log emulators then exit)."""
        with contextlib.suppress(FileNotFoundError):
            (self.run_dir / READY_FILE).unlink()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._server.stop()
        files, self._files = self._files, {}
        for handle in files.values():
            await asyncio.to_thread(handle.close)

    async def _background(self) -> None:
        while True:
            await asyncio.sleep(self._traffic * self._rng.uniform(0.6, 1.4))
            for env, state in self.states.items():
                kinds, weights = zip(*_TRAFFIC[state.mode], strict=True)
                with contextlib.suppress(OSError, TimeoutError):
                    await self.emit(env, self._rng.choices(kinds, weights)[0])

    # -- ASGI

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        path = scope["path"].rstrip("/") or "/"
        if path.startswith(CONTROL_PREFIX + "/"):
            await self._control(scope, path[len(CONTROL_PREFIX):])
            await _respond(send, 200, self._status_body(), scope["method"])
            return
        env, _, rest = path.lstrip("/").partition("/")
        builder = self.shape.endpoints.get("/" + rest) if env in self.states else None
        if builder is None:
            await _respond(send, 404, {"error": "Not Found", "path": path}, scope["method"])
            return
        if scope["method"] not in ("GET", "HEAD"):
            await _respond(send, 405, {"error": "Method Not Allowed"}, scope["method"])
            return
        state = self.states[env]
        if state.delay_ms:
            await asyncio.sleep(state.delay_ms / 1000)
        moment = Moment(env, state, time.monotonic() - self._started, datetime.now(UTC))
        status, body = builder(moment)
        key = (env, "/" + rest)
        self.served[key] = self.served.get(key, 0) + 1
        await _respond(send, status, body, scope["method"])

    async def _control(self, scope: Scope, action: str) -> None:
        """``POST /_sandbox/mode?env=E&mode=M[&delay_ms=N]`` or ``/_sandbox/emit?env=E&kind=K``."""
        query = {k: v[-1] for k, v in parse_qs(scope.get("query_string", b"").decode()).items()}
        if scope["method"] != "POST":
            return
        with contextlib.suppress(OnDutyError, ValueError):
            env = query.get("env", self.shape.environments[0])
            if action == "/mode":
                delay = query.get("delay_ms")
                self.set_mode(env, query.get("mode", HEALTHY),
                              delay_ms=float(delay) if delay is not None else None)
            elif action == "/emit":
                await self.emit(env, query.get("kind", "access"))

    def _status_body(self) -> dict[str, Any]:
        return {env: {"mode": s.mode, "delay_ms": s.delay_ms} for env, s in self.states.items()}


def _append(handle: IO[bytes], data: bytes) -> None:
    handle.write(data)
    handle.flush()


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2), encoding="utf-8")
    os.replace(tmp, path)


async def _respond(send: Send, status: int, body: dict[str, Any], method: str) -> None:
    payload = json.dumps(body, separators=(",", ":")).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json; charset=utf-8"),
        (b"content-length", str(len(payload)).encode()),
        (b"x-powered-by", b"Express"),
    ]})
    await send({"type": "http.response.body", "body": b"" if method == "HEAD" else payload})


# --------------------------------------------------------------------------- the CLI emulators


def _option(argv: Sequence[str], *names: str) -> str | None:
    """The value of ``--name VALUE`` or ``--name=VALUE`` in ``argv``."""
    for index, arg in enumerate(argv):
        for name in names:
            if arg == name and index + 1 < len(argv):
                return argv[index + 1]
            if arg.startswith(name + "="):
                return arg[len(name) + 1:]
    return None


def cli_environment(argv: Sequence[str], fly_apps: Mapping[str, str]) -> str:
    """Which environment a ``railway logs`` / ``fly logs -a APP`` command reads."""
    program = Path(argv[0]).name if argv else ""
    if program in ("fly", "flyctl"):
        return fly_apps.get(_option(argv, "-a", "--app") or "", "production")
    return _option(argv, "--environment", "-e") or "production"


def cli_line(program: str, line: str, now: datetime) -> str:
    """``line`` as ``program``'s log command prints it."""
    if program in ("fly", "flyctl"):
        level = text_level(line)
        word = "error" if level >= Level.ERROR else "warn" if level >= Level.WARN else "info"
        stamp = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return f"{stamp} app[{FLY_MACHINE}] {FLY_REGION} [{word}] {line}"
    return line


def follow_logs(run_dir: Path, argv: Sequence[str], out: IO[str]) -> int:
    """Print the environment's output so far, then follow it until the sandbox is gone."""
    if len(argv) < 2 or argv[1] != "logs":
        print(f"seed sandbox: only `{' '.join(argv[:1]) or 'CLI'} logs` is emulated",
              file=sys.stderr)
        return 1
    ready = json.loads((run_dir / READY_FILE).read_text(encoding="utf-8"))
    env = cli_environment(argv, ready.get("fly_apps", {}))
    path = ready["logs"].get(env)
    if path is None:
        print(f"seed sandbox: no environment {env!r}", file=sys.stderr)
        return 1
    program = Path(argv[0]).name
    position = 0
    pending = b""
    while (run_dir / READY_FILE).exists():
        with open(path, "rb") as handle:
            handle.seek(position)
            data = handle.read()
        position += len(data)
        lines = (pending + data).split(b"\n")
        pending = lines.pop()
        now = datetime.now(UTC)
        for raw in lines:
            out.write(cli_line(program, raw.decode("utf-8", "replace"), now) + "\n")
        if lines:
            out.flush()
        time.sleep(_FOLLOW_POLL)
    return 0


async def serve(key: str, run_dir: Path, *, traffic: float) -> None:
    """Run seed ``key``'s sandbox in ``run_dir`` until stdin closes or a stop signal."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    def wait_for_eof() -> None:
        with contextlib.suppress(OSError):
            while os.read(0, 4096):
                pass
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(stop.set)

    threading.Thread(target=wait_for_eof, name="stdin-eof", daemon=True).start()
    sandbox = SeedSandbox(shape(key), run_dir, traffic=traffic)
    try:
        await sandbox.start()
        await stop.wait()
    finally:
        await sandbox.stop()


def main(argv: list[str] | None = None) -> int:
    """``serve SEED RUNDIR`` or ``logs RUNDIR -- CLI logs ARGS``; returns the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["logs"] and len(args) >= 2:
        rest = args[2:]
        command = rest[1:] if rest[:1] == ["--"] else rest
        with contextlib.suppress(KeyboardInterrupt, BrokenPipeError):
            return follow_logs(Path(args[1]), command, sys.stdout)
        return 0
    parser = argparse.ArgumentParser(prog="python -m tui.demo.seeds",
                                     description="Run a seed-shaped sandbox in RUNDIR.")
    parser.add_argument("action", choices=["serve"])
    parser.add_argument("seed", choices=sorted(SHAPES))
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--traffic", type=float, default=0.5,
                        help="seconds between background log lines (0: none)")
    parsed = parser.parse_args(args)
    try:
        asyncio.run(serve(parsed.seed, parsed.run_dir, traffic=parsed.traffic))
    except OnDutyError as exc:
        print(f"seed sandbox: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
