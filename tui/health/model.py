"""The health engine's result types: verdicts, error kinds, probe results, endpoint states.

Everything here is immutable so a result can be handed from the engine to the app and on
to a widget without anyone changing it underneath. Text fields that came from the network
(reasons, bodies, sub-check details, redirect URLs) are already sanitised.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import NamedTuple


class Verdict(enum.Enum):
    """What a reading says about an endpoint."""

    HEALTHY = "healthy"
    DEGRADED = "degraded"
    DOWN = "down"
    UNKNOWN = "unknown"

    @property
    def severity(self) -> int:
        """Rank for "the worst wins": healthy < unknown < degraded < down."""
        return _SEVERITY[self]


_SEVERITY = {Verdict.HEALTHY: 0, Verdict.UNKNOWN: 1, Verdict.DEGRADED: 2, Verdict.DOWN: 3}


def worst(verdicts: list[Verdict] | tuple[Verdict, ...]) -> Verdict:
    """The most severe of ``verdicts``; HEALTHY when there are none."""
    return max(verdicts, key=lambda v: v.severity, default=Verdict.HEALTHY)


class ErrorKind(enum.Enum):
    """Why a probe failed, one value per distinct cause the engineer acts on differently."""

    DNS = "dns"
    DNS_TIMEOUT = "dns_timeout"
    CONNECTION_REFUSED = "connection_refused"
    CONNECT = "connect"
    TLS_EXPIRED = "tls_expired"
    TLS_SELF_SIGNED = "tls_self_signed"
    TLS_HOSTNAME_MISMATCH = "tls_hostname_mismatch"
    TLS_OTHER = "tls_other"
    TIMEOUT = "timeout"
    PROXY = "proxy"
    POOL_EXHAUSTED = "pool_exhausted"
    PROTOCOL = "protocol"
    BODY_TOO_LARGE = "body_too_large"
    INVALID_JSON = "invalid_json"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    REDIRECT_LOOP = "redirect_loop"
    CREDENTIAL = "credential"


@dataclass(frozen=True)
class SubCheck:
    """One named part of a verdict: a body's own check (database) or a threshold (p95)."""

    name: str
    verdict: Verdict
    detail: str = ""


@dataclass(frozen=True)
class Hop:
    """One redirect response on the way to the final URL."""

    url: str
    status: int
    location: str
    note: str = ""


@dataclass(frozen=True)
class ProbeResult:
    """One request to one health endpoint and what it means.

    ``started_at`` is wall-clock epoch seconds. ``latency_ms`` covers the whole exchange
    (DNS, redirects and body included, time queued for a pooled connection excluded) and
    is None when no response arrived. ``reason`` is one
    plain sentence; ``body_text`` is the sanitised body (pretty-printed when JSON);
    ``headers`` are the response headers worth reading in an incident (sanitised,
    never cookies or anything that could carry a credential).
    ``metrics`` holds readings taken from the body: ``p50_ms``, ``p95_ms``, ``p99_ms``,
    ``avg_ms``, ``error_rate_pct``, ``memory_pct`` when the body gives them.
    """

    endpoint: str
    url: str
    final_url: str
    started_at: float
    verdict: Verdict
    reason: str
    latency_ms: float | None = None
    status: int | None = None
    error: ErrorKind | None = None
    hops: tuple[Hop, ...] = ()
    body_text: str = ""
    cert_days: int | None = None
    route: str = "direct"
    checks: tuple[SubCheck, ...] = ()
    metrics: tuple[tuple[str, float], ...] = ()
    body_recognised: bool = False
    headers: tuple[tuple[str, str], ...] = ()

    def metric(self, name: str) -> float | None:
        """The value of metric ``name`` or None."""
        return dict(self.metrics).get(name)

    @property
    def failing_checks(self) -> tuple[SubCheck, ...]:
        """Sub-checks that are not healthy, worst first."""
        bad = [c for c in self.checks if c.verdict is not Verdict.HEALTHY]
        return tuple(sorted(bad, key=lambda c: -c.verdict.severity))


class HistoryPoint(NamedTuple):
    """One past reading ``(at, latency_ms, verdict)``; the verdict is the raw one."""

    at: float
    latency_ms: float | None
    verdict: Verdict


@dataclass(frozen=True)
class VerdictChange:
    """One move of the debounced verdict, with the reason of the reading that caused it.

    ``initial`` marks the first verdict after onduty started probing (from unknown): it
    is news only when that verdict is not healthy (see ``alerting``).
    """

    at: float
    previous: Verdict
    verdict: Verdict
    reason: str
    initial: bool = False

    @property
    def alerting(self) -> bool:
        """Worth a bell, a line in the changes strip and the incident timeline."""
        return not (self.initial and self.verdict is Verdict.HEALTHY)


@dataclass(frozen=True)
class EndpointState:
    """The debounced view of one endpoint after a probe, sent to ``on_state``.

    ``verdict`` only turns DOWN after ``failures_before_down`` consecutive failures and
    only leaves DOWN after ``successes_before_up`` consecutive successes; ``changed`` says
    this update moved it (``previous`` is what it was). ``uptime_pct`` covers the history
    window, counting time when no probe ran as not up; None before the first reading.
    ``changes`` are the endpoint's recent verdict changes, oldest first.
    """

    key: str
    env: str
    endpoint: str
    verdict: Verdict
    previous: Verdict
    last: ProbeResult | None
    since: float
    changed: bool
    history: tuple[HistoryPoint, ...] = field(default=())
    uptime_pct: float | None = None
    consecutive_failures: int = 0
    changes: tuple[VerdictChange, ...] = ()
