"""The demo's script of failure: a pure function of time, so tests can ask "what happens
at second 130" without waiting for it.

Production cycles through four phases (~3 minutes): healthy, slow (responses over 1 s,
p95 over 2 s), database down (readiness and /db/ping answer 503) and recovering. Staging
runs a steady scenario that never leaves the healthy phase.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass

from tui.errors import OnDutyError

HEALTHY = "healthy"
SLOW = "slow"
DATABASE_DOWN = "database_down"
RECOVERING = "recovering"

#: (phase, seconds) in order; the cycle repeats.
CYCLE: tuple[tuple[str, float], ...] = (
    (HEALTHY, 80.0),
    (SLOW, 40.0),
    (DATABASE_DOWN, 35.0),
    (RECOVERING, 25.0),
)
CYCLE_SECONDS = sum(seconds for _, seconds in CYCLE)

OFFSET_ENV = "ONDUTY_DEMO_SCENARIO_OFFSET"
SPEED_ENV = "ONDUTY_DEMO_SPEED"


@dataclass(frozen=True)
class Condition:
    """How the service behaves at one instant: what it delays, fails and reports."""

    phase: str
    phase_elapsed: float
    delay_ms: float
    database_up: bool
    db_latency_ms: float
    avg_ms: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    error_rate_pct: float
    heap_pct: float
    rss_pct: float

    @property
    def degraded(self) -> bool:
        """True whenever production is not in its healthy phase."""
        return self.phase != HEALTHY


@dataclass(frozen=True)
class Scenario:
    """Maps seconds since start to a :class:`Condition`.

    ``speed`` scales real time (0 freezes the scenario at ``offset``); ``offset`` is where
    in the cycle the clock starts; a ``steady`` scenario is always healthy.
    """

    speed: float = 1.0
    offset: float = 0.0
    steady: bool = False

    def scenario_seconds(self, elapsed: float) -> float:
        """Position in scenario time for ``elapsed`` real seconds since start."""
        return self.offset + self.speed * max(elapsed, 0.0)

    def phase_at(self, elapsed: float) -> tuple[str, float]:
        """The phase and the seconds spent in it at ``elapsed`` real seconds."""
        if self.steady:
            return HEALTHY, self.scenario_seconds(elapsed)
        position = self.scenario_seconds(elapsed) % CYCLE_SECONDS
        for phase, seconds in CYCLE:
            if position < seconds:
                return phase, position
            position -= seconds
        return CYCLE[-1][0], CYCLE[-1][1]

    def at(self, elapsed: float) -> Condition:
        """The condition at ``elapsed`` real seconds since start."""
        phase, into = self.phase_at(elapsed)
        t = self.scenario_seconds(elapsed)
        wobble = 0.5 + 0.5 * math.sin(t * 0.9) * math.cos(t * 0.37)
        if phase == SLOW:
            ramp = min(into / 20.0, 1.0)
            delay = 1150 + 650 * ramp + 150 * wobble
            return Condition(phase, into, delay, True, 180 + 300 * ramp,
                             avg_ms=delay * 0.85, p50_ms=delay * 0.8, p95_ms=2100 + 900 * ramp,
                             p99_ms=3600 + 1400 * ramp, error_rate_pct=1.5 + 1.5 * wobble,
                             heap_pct=70 + 12 * ramp, rss_pct=64 + 10 * ramp)
        if phase == DATABASE_DOWN:
            return Condition(phase, into, 200 + 100 * wobble, False, 0.0,
                             avg_ms=640 + 80 * wobble, p50_ms=310, p95_ms=1900 + 200 * wobble,
                             p99_ms=5200, error_rate_pct=28 + 10 * wobble,
                             heap_pct=84 + 4 * wobble, rss_pct=78 + 3 * wobble)
        if phase == RECOVERING:
            ease = max(1.0 - into / 25.0, 0.0)
            delay = 40 + 560 * ease
            return Condition(phase, into, delay, True, 8 + 60 * ease,
                             avg_ms=110 + 500 * ease, p50_ms=90 + 300 * ease,
                             p95_ms=380 + 1400 * ease, p99_ms=700 + 2600 * ease,
                             error_rate_pct=0.4 + 4 * ease, heap_pct=58 + 22 * ease,
                             rss_pct=52 + 20 * ease)
        return Condition(phase, into, 5 + 30 * wobble, True, 3 + 6 * wobble,
                         avg_ms=95 + 40 * wobble, p50_ms=70 + 20 * wobble,
                         p95_ms=320 + 80 * wobble, p99_ms=620 + 150 * wobble,
                         error_rate_pct=0.2 + 0.3 * wobble, heap_pct=56 + 6 * wobble,
                         rss_pct=50 + 4 * wobble)


def phase_start(phase: str) -> float:
    """Seconds into the cycle at which ``phase`` begins (for offsets in tests and demos)."""
    start = 0.0
    for name, seconds in CYCLE:
        if name == phase:
            return start
        start += seconds
    raise ValueError(f"unknown phase {phase!r}")


def scenario_from_env(environ: Mapping[str, str] | None = None) -> Scenario:
    """Production's scenario, shifted by ``ONDUTY_DEMO_SCENARIO_OFFSET`` (seconds) and
    scaled by ``ONDUTY_DEMO_SPEED`` (a factor, 0 freezes it)."""
    env = os.environ if environ is None else environ
    offset = _number(env, OFFSET_ENV, 0.0)
    speed = _number(env, SPEED_ENV, 1.0)
    if offset < 0 or speed < 0:
        raise OnDutyError(f"{OFFSET_ENV} and {SPEED_ENV} must be numbers >= 0")
    return Scenario(speed=speed, offset=offset)


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise OnDutyError(f"{name} must be a number of seconds or a factor, got {raw!r}") from None
    if not math.isfinite(value):
        raise OnDutyError(f"{name} must be finite, got {raw!r}")
    return value
