"""Keeps probing every configured endpoint and reports debounced states.

Each endpoint runs on its own interval and the next probe is scheduled only after the
previous one finished, so a slow endpoint never piles up requests. Every endpoint is
probed at once at start (and on "probe all now"), but the wait after that round is cut to
a share of the interval that differs per endpoint, so later rounds are spread over the
interval: 200 endpoints probed together run a few hundred probe steps in one event-loop
turn and hold the screen for ~50 ms every round. A verdict turns DOWN only after
``failures_before_down`` consecutive failures and comes back only after
``successes_before_up`` consecutive successes, so a flapping endpoint does not ring the
bell on every poll. All endpoints share one client, each with its own connection pool:
a hung endpoint can never take the connections another one needs, and httpcore's pool
checks every idle connection (a syscall each) whenever it hands one out, which with one
pool for 200 endpoints costs seconds per round.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import httpx

from tui.config import HealthEndpoint, Thresholds
from tui.health.client import ProxyRoutes, make_client
from tui.health.model import (
    EndpointState,
    ErrorKind,
    HistoryPoint,
    ProbeResult,
    Verdict,
    VerdictChange,
)
from tui.health.probe import failure_result, probe

TOKEN_TIMEOUT = 5.0
CHANGES_KEPT = 20
_UP = (Verdict.HEALTHY, Verdict.DEGRADED)
log = logging.getLogger(__name__)

TokenResolver = Callable[[str], Awaitable[str | None]]


def next_verdict(current: Verdict, settled: bool, raws: Sequence[Verdict],
                 thresholds: Thresholds) -> Verdict:
    """The debounced verdict after the raw readings ``raws`` (oldest first).

    The first up reading counts at once; DOWN (or UNKNOWN) needs ``failures_before_down``
    identical readings in a row; any other change needs ``successes_before_up``.
    """
    latest = raws[-1]
    if settled and latest is current:
        return current
    if not settled and latest in _UP:
        return latest
    if latest in _UP and current not in _UP:
        def same(v: Verdict) -> bool:
            return v in _UP
        needed = thresholds.successes_before_up
    else:
        def same(v: Verdict) -> bool:
            return v is latest
        needed = thresholds.successes_before_up if latest in _UP else (
            thresholds.failures_before_down)
    streak = 0
    for verdict in reversed(raws):
        if not same(verdict):
            break
        streak += 1
    return latest if streak >= needed else current


def uptime_pct(history: Sequence[HistoryPoint], now: float, *, interval: float,
               timeout: float, window: float) -> float | None:
    """Percent of the window that readings vouch for as up (healthy or degraded).

    A reading vouches for at most ``interval + timeout`` seconds; time beyond that (onduty
    not running, the machine asleep) is not up. The window starts at the first reading.
    """
    if not history:
        return None
    start = max(history[0].at, now - window)
    span = now - start
    if span <= 0:
        return 100.0 if history[-1].verdict in _UP else 0.0
    up = 0.0
    for index, point in enumerate(history):
        end = history[index + 1].at if index + 1 < len(history) else now
        begin = max(point.at, start)
        finish = min(end, point.at + interval + timeout)
        if point.verdict in _UP and finish > begin:
            up += finish - begin
    return round(100.0 * up / span, 2)


@dataclass
class _Slot:
    """One endpoint's running state inside the monitor.

    ``phase`` is the share of the interval waited after a round that probed every
    endpoint together (``spread``), so that the next rounds are staggered.
    """

    key: str
    env: str
    endpoint: HealthEndpoint
    thresholds: Thresholds
    since: float
    history: deque[HistoryPoint]
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    raws: deque[Verdict] = field(default_factory=lambda: deque(maxlen=32))
    changes: deque[VerdictChange] = field(default_factory=lambda: deque(maxlen=CHANGES_KEPT))
    phase: float = 1.0
    spread: bool = True
    verdict: Verdict = Verdict.UNKNOWN
    settled: bool = False
    failures: int = 0
    task: asyncio.Task[None] | None = None


async def probe_endpoint(
    client: httpx.AsyncClient,
    endpoint: HealthEndpoint,
    thresholds: Thresholds,
    *,
    resolve_token: TokenResolver | None,
    routes: ProxyRoutes,
    pool: str | None = None,
) -> ProbeResult:
    """Fetch the endpoint's bearer token (if it has ``auth``) with a 5 s limit, then probe."""
    token = None
    secret = endpoint.auth_secret
    if secret:
        if resolve_token is None:
            return failure_result(endpoint, ErrorKind.CREDENTIAL,
                                  f"credential {secret!r} is needed but no secret store is "
                                  "available", Verdict.UNKNOWN)
        try:
            async with asyncio.timeout(TOKEN_TIMEOUT):
                token = await resolve_token(secret)
        except Exception as exc:  # the keyring fails in many ways; say which and go on
            reason = "timed out" if isinstance(exc, TimeoutError) else (
                str(exc) or type(exc).__name__)
            return failure_result(endpoint, ErrorKind.CREDENTIAL,
                                  f"credential {secret!r} unavailable: {reason}", Verdict.UNKNOWN)
    return await probe(client, endpoint, token=token, thresholds=thresholds, routes=routes,
                       pool=pool)


class HealthMonitor:
    """Probes ``(env, endpoint, thresholds)`` triples forever and calls ``on_state``.

    Keys are ``"env/endpoint-name"``. ``on_state`` runs on the event loop thread after
    every probe. ``resolve_token`` maps a secret name to a bearer token (the keyring);
    it is awaited with a 5 s limit before each probe of an endpoint that has ``auth``.
    """

    def __init__(
        self,
        endpoints: Sequence[tuple[str, HealthEndpoint, Thresholds]],
        *,
        on_state: Callable[[EndpointState], None],
        resolve_token: TokenResolver | None = None,
        history: int = 120,
        client: httpx.AsyncClient | None = None,
        routes: ProxyRoutes | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._on_state = on_state
        self._resolve_token = resolve_token
        self._history = history
        self._client = client
        self._owns_client = client is None
        self._routes = routes or ProxyRoutes.from_environ()
        self._clock = clock
        self._slots: dict[str, _Slot] = {}
        self.states: dict[str, EndpointState] = {}
        now = clock()
        for env, endpoint, thresholds in endpoints:
            key = f"{env}/{endpoint.name}"
            if key in self._slots:
                raise ValueError(f"two endpoints share the key {key!r}")
            self._slots[key] = _Slot(key, env, endpoint, thresholds, now,
                                     deque(maxlen=history))
        for position, slot in enumerate(self._slots.values()):
            slot.phase = (position + 1) / len(self._slots)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(self._slots)

    def start(self) -> None:
        """Start one polling task per endpoint (call from the running event loop)."""
        if self._client is None:
            self._client = make_client(routes=self._routes, max_connections=4)
        for slot in self._slots.values():
            if slot.task is None or slot.task.done():
                slot.task = asyncio.create_task(self._run(slot), name=f"probe {slot.key}")

    async def stop(self) -> None:
        """Cancel every probe and close the shared client (if the monitor made it)."""
        tasks = [s.task for s in self._slots.values() if s.task is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for slot in self._slots.values():
            slot.task = None
        if self._client is not None and self._owns_client:
            await self._client.aclose()
            self._client = None

    def refresh_now(self, key: str | None = None) -> None:
        """Probe ``key`` (or every endpoint) now instead of at its next interval."""
        if key is not None and key not in self._slots:
            raise KeyError(key)
        for slot in [self._slots[key]] if key else self._slots.values():
            slot.spread = key is None
            slot.wake.set()

    async def _run(self, slot: _Slot) -> None:
        while True:
            slot.wake.clear()
            result = await self._probe(slot)
            self._record(slot, result)
            wait = slot.endpoint.interval * (slot.phase if slot.spread else 1.0)
            slot.spread = False
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await slot.wake.wait()

    async def _probe(self, slot: _Slot) -> ProbeResult:
        assert self._client is not None, "start() makes the client"
        return await probe_endpoint(self._client, slot.endpoint, slot.thresholds,
                                    resolve_token=self._resolve_token, routes=self._routes,
                                    pool=slot.key)

    def _record(self, slot: _Slot, result: ProbeResult) -> None:
        now = self._clock()
        slot.raws.append(result.verdict)
        slot.history.append(HistoryPoint(now, result.latency_ms, result.verdict))
        slot.failures = slot.failures + 1 if result.verdict is Verdict.DOWN else 0
        previous = slot.verdict
        verdict = next_verdict(previous, slot.settled, slot.raws, slot.thresholds)
        changed = verdict is not previous
        if changed:
            slot.changes.append(VerdictChange(now, previous, verdict, result.reason,
                                              initial=not slot.settled))
            slot.settled = True
            slot.verdict = verdict
            slot.since = now
        state = EndpointState(
            key=slot.key,
            env=slot.env,
            endpoint=slot.endpoint.name,
            verdict=verdict,
            previous=previous,
            last=result,
            since=slot.since,
            changed=changed,
            history=tuple(slot.history),
            uptime_pct=uptime_pct(slot.history, now, interval=slot.endpoint.interval,
                                  timeout=slot.endpoint.timeout,
                                  window=self._history * slot.endpoint.interval),
            consecutive_failures=slot.failures,
            changes=tuple(slot.changes),
        )
        self.states[slot.key] = state
        try:
            self._on_state(state)
        except Exception:  # a broken listener must not stop the probing
            log.exception("on_state failed for %s", slot.key)
