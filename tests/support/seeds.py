"""Helpers for the seed-system tests: the example configs, pointed at a seed-shaped sandbox,
and the real engines (health monitor, log tail, database monitor) driven against it."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.support.runbooks import seed_path
from tui.config import Config, Environment, LogSource, load_config
from tui.db.monitor import DbMonitor, DbSnapshot
from tui.demo.seeds import SeedSandbox, shape
from tui.demo.workload import Workload, create_schema
from tui.health.model import EndpointState, Verdict
from tui.health.monitor import HealthMonitor
from tui.logs.filters import LogFilter
from tui.logs.parse import LogLine
from tui.logs.sources import source_from_config
from tui.logs.tail import LogTail
from tui.secrets import env_var_name

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXAMPLE_FOR = {
    "000": "capacity-planner.toml",
    "001": "sentia-manufacturing.toml",
    "002": "capliquify.toml",
    "003": "eden-erp.toml",
    "004": "fly-supabase.toml",
}
#: A fixed clock for log lines: no millisecond stamp can contain "401" by chance.
FIXED_NOW = datetime(2025, 1, 23, 12, 0, 0, tzinfo=UTC)


def example(key: str) -> Config:
    """The example config for seed ``key``, loaded as a user would load it."""
    return load_config(EXAMPLES / EXAMPLE_FOR[key])


def point_at_sandbox(config: Config, sandbox: SeedSandbox, store: Path) -> Config:
    """``config`` with every URL on the sandbox (same paths), every log command run
    through the sandbox's CLI emulator (same arguments), log files in the sandbox, the
    seed runbook as the runbook folder and the incident store in ``store``."""
    environments = []
    for env in config.environments:
        base = sandbox.base_url(env.name)
        health = tuple(replace(h, url=base + urlsplit(h.url).path) for h in env.health)
        logs = tuple(_log_source(spec, sandbox, env.name) for spec in env.logs)
        environments.append(replace(env, base_url=base, health=health, logs=logs))
    return replace(config, environments=tuple(environments),
                   runbook_paths=(seed_path(sandbox.shape.key),), incident_store=store)


def _log_source(spec: LogSource, sandbox: SeedSandbox, env: str) -> LogSource:
    if spec.command:
        return replace(spec, command=sandbox.log_command(spec.command))
    if spec.file:
        return replace(spec, file=str(sandbox.log_file(env)))
    return spec


@contextlib.asynccontextmanager
async def seed_system(key: str, tmp_path: Path) -> AsyncIterator[tuple[SeedSandbox, Config]]:
    """The seed's sandbox running, and its example config pointed at it."""
    sandbox = SeedSandbox(shape(key), tmp_path, clock=lambda: FIXED_NOW)
    await sandbox.start()
    try:
        yield sandbox, point_at_sandbox(example(key), sandbox, tmp_path / "incidents.sqlite3")
    finally:
        await sandbox.stop()


async def wait_until(check: Callable[[], bool], what: str, *, timeout: float = 10.0,
                     poke: Callable[[], None] | None = None) -> None:
    """Poll ``check`` every 20 ms (calling ``poke`` first) until it holds, or fail."""
    deadline = time.monotonic() + timeout
    while True:
        if poke is not None:
            poke()
        if check():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        await asyncio.sleep(0.02)


# --------------------------------------------------------------------------- health


@contextlib.asynccontextmanager
async def health_monitor(config: Config) -> AsyncIterator[HealthMonitor]:
    """A running HealthMonitor over every endpoint of ``config`` (with its thresholds)."""
    monitor = HealthMonitor(
        [(env.name, endpoint, env.thresholds) for env in config.environments
         for endpoint in env.health],
        on_state=lambda _state: None,
    )
    monitor.start()
    try:
        yield monitor
    finally:
        await monitor.stop()


def verdicts(monitor: HealthMonitor) -> dict[str, Verdict]:
    """The debounced verdict of every endpoint that has been probed."""
    return {key: state.verdict for key, state in monitor.states.items()}


async def settle(monitor: HealthMonitor, expected: Mapping[str, Verdict], what: str) -> None:
    """Probe again and again until every endpoint's debounced verdict is ``expected``."""
    assert set(expected) == set(monitor.keys), "the expectations name every endpoint"

    def reached() -> bool:
        return verdicts(monitor) == dict(expected)

    try:
        await wait_until(reached, what, poke=monitor.refresh_now)
    except AssertionError:
        reasons = {k: s.last.reason if s.last else "" for k, s in monitor.states.items()}
        raise AssertionError(f"{what}: got {verdicts(monitor)}; reasons {reasons}") from None


def changes(state: EndpointState) -> list[tuple[Verdict, Verdict]]:
    """The endpoint's verdict changes after its first verdict, as (from, to)."""
    return [(c.previous, c.verdict) for c in state.changes if not c.initial]


# --------------------------------------------------------------------------- logs


@contextlib.asynccontextmanager
async def log_tail(env: Environment) -> AsyncIterator[LogTail]:
    """A running LogTail over the environment's configured log sources."""
    tail = LogTail([source_from_config(spec) for spec in env.logs], on_batch=lambda _b: None,
                   flush_interval=0.05)
    tail.start()
    try:
        yield tail
    finally:
        await tail.stop()


def containing(tail: LogTail, fragments: list[str]) -> dict[str, LogLine]:
    """For each fragment (a request id), the buffered line that holds it."""
    found: dict[str, LogLine] = {}
    for line in tail.buffer.snapshot():
        for fragment in fragments:
            if fragment in line.text:
                found[fragment] = line
    return found


def request_id(line: str) -> str:
    """The sandbox's request id, which ends every line it writes."""
    return line.rsplit(" ", 1)[-1]


# --------------------------------------------------------------------------- database


@contextlib.asynccontextmanager
async def workload(dsn: str) -> AsyncIterator[Workload]:
    """The demo's PostgreSQL workload running against ``dsn``."""
    await create_schema(dsn)
    running = Workload(dsn, seed=7, lock_hold=2.0)
    running.start()
    try:
        yield running
    finally:
        await running.stop()


def publish_secret(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    """Make secret ``name`` resolve to ``value`` through the environment fallback."""
    monkeypatch.setenv(env_var_name(name), value)


@contextlib.asynccontextmanager
async def db_monitor(env: Environment) -> AsyncIterator[list[DbSnapshot]]:
    """A DbMonitor on the environment's database secret; yields the snapshots it sends."""
    from tui.hub.base import resolve_secret

    secret = env.database_secret
    assert secret is not None, f"{env.name} names no database secret"
    snapshots: list[DbSnapshot] = []

    async def dsn() -> str:
        return await resolve_secret(secret)

    monitor = DbMonitor(dsn, interval=0.5, on_snapshot=snapshots.append)
    monitor.start()
    try:
        yield snapshots
    finally:
        await monitor.stop()


def shows_workload(snapshot: DbSnapshot) -> bool:
    """The slow report is among the statements and the activity shows the sessions."""
    if snapshot.status != "ok" or snapshot.activity is None:
        return False
    slow = any("pg_sleep" in s.query and s.mean_ms > 300 for s in snapshot.statements)
    apps = {b.application for b in snapshot.activity.sessions}
    idle = {b.application for b in snapshot.activity.idle_in_transaction}
    return slow and {"orders-api", "reports-worker"} <= apps and "admin-console" in idle



EARLY_KINDS = ("access", "error")
LATE_KINDS = ("auth", "slow", "database", "access")


async def followed(sandbox: SeedSandbox, env: Environment) -> tuple[list[LogLine], dict[str, str]]:
    """Lines written before and after the tail started, once all arrived: the buffer,
    and each request id's kind (access, error, auth, slow, database)."""
    early = await sandbox.emit(env.name, *EARLY_KINDS)
    async with log_tail(env) as tail:
        late = await sandbox.emit(env.name, *LATE_KINDS)
        ids = [request_id(line) for line in early + late]
        await wait_until(lambda: len(containing(tail, ids)) == len(ids), "every line")
        lines = tail.buffer.snapshot()
    return lines, dict(zip(ids, EARLY_KINDS + LATE_KINDS, strict=True))


def picked(lines: list[LogLine], kinds: Mapping[str, str], log_filter: LogFilter) -> list[str]:
    """The kinds of the lines ``log_filter`` selects, sorted."""
    return sorted(kinds[request_id(lines[i].text)] for i in log_filter.hits(lines))
