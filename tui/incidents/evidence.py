"""Live evidence for a checklist step, read from what the panes already hold.

A step's check (``health: production``, ``logs: production /error/ since 15m``,
``db: slow-queries``, ``db: connections``, ``db: activity``, ``db: locks``,
``tls: api.example.com``) is answered from the latest health states, log buffer and
database snapshot: the same data the health, log and database panes show, so the
checklist and the panes never disagree and nothing is probed twice. Everything here is a
pure function of that data and the time; the text is redacted and sanitised.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from tui.incidents.store import clean_text
from tui.runbooks.model import LiveCheck, parse_check

if TYPE_CHECKING:
    from tui.db.monitor import DbSnapshot
    from tui.health.model import EndpointState

MAX_SCANNED_LINES = 20_000
MAX_QUOTED_LINES = 20
TOP_STATEMENTS = 5
CONNECTIONS_WARN_PCT = 80.0


@dataclass(frozen=True)
class EvidenceSources:
    """Where evidence is read from: callables returning the panes' latest data."""

    health: Callable[[], Sequence[EndpointState]]
    logs: Callable[[], Any]
    db: Callable[[], DbSnapshot | None]
    environment: Callable[[], str]


@dataclass(frozen=True)
class Evidence:
    """A check's answer now: ``ok`` is True (fine), False (bad) or None (cannot tell).

    ``summary`` is one line for beside the step; ``text`` the fuller snapshot attached
    to the timeline with ``a``.
    """

    check: str
    ok: bool | None
    summary: str
    text: str
    at: float

    def payload(self, *, procedure: int | None = None, step: str | None = None) -> dict[str, Any]:
        """The payload of an ``evidence`` timeline entry."""
        data: dict[str, Any] = {"check": self.check, "summary": self.summary,
                                "text": self.text, "ok": self.ok}
        if procedure is not None:
            data["procedure"] = procedure
        if step is not None:
            data["step"] = step
        return data


def _evidence(check: str, ok: bool | None, summary: str, text: str, now: float) -> Evidence:
    return Evidence(check=check, ok=ok, summary=clean_text(summary).replace("\n", " "),
                    text=clean_text(text), at=now)


def evaluate(check: str, sources: EvidenceSources, now: float | None = None) -> Evidence:
    """Answer ``check`` from ``sources``; a malformed check says what is wrong with it."""
    when = time.time() if now is None else now
    try:
        parsed = parse_check(check)
    except ValueError as exc:
        return _evidence(check, None, str(exc), str(exc), when)
    reader = {"health": _health, "logs": _logs, "db": _db, "tls": _tls}[parsed.kind]
    return reader(parsed, sources, when)


def _health(check: LiveCheck, sources: EvidenceSources, now: float) -> Evidence:
    states = [s for s in sources.health() if s.env == check.target]
    if not states:
        return _evidence(check.raw, None, f"no health endpoints are probed for {check.target}",
                         f"onduty probes no health endpoint of {check.target!r}.", now)
    counts: dict[str, int] = {}
    lines = []
    bad = []
    for state in states:
        verdict = state.verdict.value
        counts[verdict] = counts.get(verdict, 0) + 1
        last = state.last
        reason = last.reason if last is not None else "not probed yet"
        latency = (f" {last.latency_ms:.0f} ms" if last is not None and last.latency_ms
                   is not None else "")
        lines.append(f"{state.endpoint}: {verdict}{latency} — {reason}")
        if verdict in ("down", "degraded"):
            bad.append(f"{state.endpoint} {verdict} ({reason})")
    if any(v == "unknown" for v in counts) and not bad and len(counts) == 1:
        ok: bool | None = None
    else:
        ok = not bad
    tally = ", ".join(f"{n} {v}" for v, n in sorted(counts.items()))
    summary = f"{check.target}: {tally}" + (f" — {'; '.join(bad[:2])}" if bad else "")
    return _evidence(check.raw, ok, summary, "\n".join(lines), now)


def _logs(check: LiveCheck, sources: EvidenceSources, now: float) -> Evidence:
    view = sources.logs()
    shown = sources.environment()
    if view is None or not getattr(view, "sources", ()):
        return _evidence(check.raw, None, f"no log sources are followed for {shown or '?'}",
                         "No log lines to read.", now)
    smartcase = check.pattern is not None and check.pattern == check.pattern.lower()
    flags = re.IGNORECASE if check.ignore_case or smartcase else 0
    pattern = re.compile(check.pattern, flags) if check.pattern else None
    since = now - check.since_seconds if check.since_seconds else None
    lines: Sequence[Any] = view.lines
    matched: list[Any] = []
    count = 0
    scanned = 0
    for index in range(len(lines) - 1, -1, -1):
        line = lines[index]
        if since is not None and line.received < since:
            break
        scanned += 1
        if scanned > MAX_SCANNED_LINES:
            break
        if line.is_marker or (pattern is not None and not pattern.search(line.text)):
            continue
        count += 1
        if len(matched) < MAX_QUOTED_LINES:
            matched.append(line)
    window = f" in the last {check.since_seconds // 60} min" if check.since_seconds else ""
    what = "matching line" if check.pattern else "line"
    plural = "" if count == 1 else "s"
    where = "" if check.target == shown else f" (logs of {shown}, the environment shown)"
    capped = "+" if scanned > MAX_SCANNED_LINES else ""
    summary = f"{count}{capped} {what}{plural}{window}{where}"
    if matched:
        summary += f" — last: {matched[0].text[:80]}"
    quoted = "\n".join(f"{line.source}: {line.text}" for line in reversed(matched))
    ok = None if pattern is None else count == 0
    return _evidence(check.raw, ok, summary, quoted or "No matching lines.", now)


def _db(check: LiveCheck, sources: EvidenceSources, now: float) -> Evidence:
    snapshot = sources.db()
    if snapshot is None:
        return _evidence(check.raw, None, "no database is read for this environment",
                         "No database snapshot.", now)
    if snapshot.status != "ok":
        return _evidence(check.raw, False if snapshot.status == "error" else None,
                         f"database {snapshot.status}: {snapshot.message}", snapshot.message, now)
    if check.target == "slow-queries":
        return _slow_queries(check, snapshot, now)
    activity = snapshot.activity
    if activity is None:
        return _evidence(check.raw, None, "no activity read yet", "No activity snapshot.", now)
    if check.target == "connections":
        pct = activity.usage_pct
        states = ", ".join(f"{state} {count}" for state, count in activity.states)
        summary = (f"{activity.total}/{activity.max_connections} connections ({pct:.0f}%)"
                   f" — {states}")
        return _evidence(check.raw, pct < CONNECTIONS_WARN_PCT, summary, summary, now)
    if check.target == "locks":
        pairs = activity.blocking
        lines = [f"pid {p.blocked_pid} waits for {', '.join(map(str, p.blocker_pids))}"
                 for p in pairs]
        summary = f"{len(pairs)} blocked session(s)" if pairs else "no lock waits"
        return _evidence(check.raw, not pairs, summary, "\n".join(lines) or summary, now)
    long_running = activity.long_running
    idle = activity.idle_in_transaction
    summary = (f"{len(long_running)} long-running, {len(idle)} idle in transaction "
               f"of {activity.total} sessions")
    lines = [f"pid {s.pid} {s.state} {s.query_age_s or 0:.0f}s {s.user}: {s.summary[:120]}"
             for s in (*long_running, *idle)][:MAX_QUOTED_LINES]
    return _evidence(check.raw, not long_running and not idle, summary,
                     "\n".join(lines) or summary, now)


def _slow_queries(check: LiveCheck, snapshot: DbSnapshot, now: float) -> Evidence:
    top = sorted(snapshot.statements, key=lambda s: s.mean_ms, reverse=True)[:TOP_STATEMENTS]
    if not top:
        message = snapshot.statements_status.message or "no statements recorded"
        return _evidence(check.raw, None, message, message, now)
    lines = [f"{s.mean_ms:.1f} ms mean × {s.calls} calls ({s.share_of_total:.0%} of time): "
             f"{s.summary[:160]}" for s in top]
    worst = top[0]
    summary = f"slowest {worst.mean_ms:.1f} ms mean: {worst.summary[:70]}"
    return _evidence(check.raw, None, summary, "\n".join(lines), now)


def _tls(check: LiveCheck, sources: EvidenceSources, now: float) -> Evidence:
    host = check.target.casefold()
    for state in sources.health():
        last = state.last
        if last is None or last.cert_days is None:
            continue
        if (urlsplit(last.final_url or last.url).hostname or "").casefold() != host:
            continue
        days = last.cert_days
        summary = f"{check.target} certificate expires in {days} days"
        return _evidence(check.raw, days >= 14, summary, f"{summary} (probe of {last.url})", now)
    return _evidence(check.raw, None, f"no https probe of {check.target} yet",
                     f"No health endpoint on {check.target} is probed over https.", now)
