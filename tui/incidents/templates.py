"""Communication templates (initial alert, status update, resolution) filled from an incident.

Runbooks write placeholders in brackets: ``[severity]``, ``@[username]``, ``[X minutes]``,
``[Investigating/Mitigating/Resolved]``, ``P[0-3]``. The ones onduty knows are filled
from the incident; any other (``[Root Cause]``, ``[Phone]``) stays visible as-is so the
engineer sees what is left to write. Markdown links (``[text](url)``) are left alone.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping

from tui.incidents.model import Incident
from tui.incidents.timers import format_clock, format_span, status_update_timer

_PLACEHOLDER = re.compile(r"(?<![\\!])\[([^\[\]\n]{1,80})\](?!\()")
_SEVERITY_RANGE = re.compile(r"\b[Pp]\[\d\s*-\s*\d\]")
_STATE_WORDS = {"investigating", "identified", "mitigating", "monitoring", "resolved"}
MAX_LISTED_STEPS = 5


def _key(text: str) -> str:
    return re.sub(r"[\s_-]+", " ", text.strip().lower())


def format_time(epoch: float) -> str:
    """An absolute time for messages read in several time zones: ``2024-05-01 03:12 UTC``."""
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(epoch))


def _duration(incident: Incident, now: float) -> str:
    return format_clock(incident.elapsed(now))


def _minutes(incident: Incident, now: float) -> str:
    minutes = round(incident.elapsed(now) / 60)
    return f"{minutes} minute" if minutes == 1 else f"{minutes} minutes"


def _steps_done(incident: Incident, now: float) -> str:
    done = incident.steps_done()
    total = sum(p.total for p in incident.procedures)
    if not done:
        return f"0/{total} steps done"
    recent = "; ".join(f"{step.step.id} {step.step.text}" for _p, step in done[-MAX_LISTED_STEPS:])
    return f"{len(done)}/{total} steps done: {recent}"


def _next_update(incident: Incident, now: float) -> str | None:
    timer = status_update_timer(incident, now)
    return None if timer is None else format_time(max(timer.due_at, now))


def _lead(incident: Incident, now: float) -> str | None:
    return incident.lead


def _impact(incident: Incident, now: float) -> str | None:
    return incident.impact


def _started(incident: Incident, now: float) -> str:
    return format_time(incident.started_at)


def _update_interval(incident: Incident, now: float) -> str | None:
    every = incident.severity.status_update_every_s
    return None if not every else format_span(every)


def _next_step(incident: Incident, now: float) -> str | None:
    current = incident.current
    return None if current is None else f"{current[2].step.id} {current[2].step.text}"


# A filler returns None when the incident does not know the value: the placeholder stays.
_Filler = Callable[[Incident, float], str | None]

_FILLERS: dict[str, _Filler] = {
    "severity": lambda i, now: i.severity.level.name,
    "severity level": lambda i, now: i.severity.level.name,
    "status": lambda i, now: i.state.value.capitalize(),
    "state": lambda i, now: i.state.value.capitalize(),
    "impact": _impact,
    "who is affected": _impact,
    "start time": _started,
    "started": _started,
    "update interval": _update_interval,
    "next actions": _next_step,
    "next steps": _next_step,
    "investigating or mitigating": lambda i, now: i.state.value.capitalize(),
    "brief description": _impact,
    "duration": _duration,
    "x minutes": _minutes,
    "minutes": _minutes,
    "lead": _lead,
    "incident lead": _lead,
    "username": _lead,
    "incident commander": _lead,
    "steps done": _steps_done,
    "progress": _steps_done,
    "what has been done": _steps_done,
    "actions taken": _steps_done,
    "title": lambda i, now: i.title,
    "summary": lambda i, now: i.title,
    "incident summary": lambda i, now: i.title,
    "description": lambda i, now: i.title,
    "incident title": lambda i, now: i.title,
    "time": lambda i, now: format_time(now),
    "timestamp": lambda i, now: format_time(now),
    "now": lambda i, now: format_time(now),
    "next update": _next_update,
}


def _is_state_choice(key: str) -> bool:
    words = {w.strip() for w in key.split("/")}
    return len(words) > 1 and words <= _STATE_WORDS


def fill_template(
    template: str,
    incident: Incident,
    now: float,
    extra: Mapping[str, str] | None = None,
) -> str:
    """``template`` with every known placeholder filled; ``extra`` adds or overrides values.

    ``extra`` keys are placeholder names (case and ``_``/``-`` are ignored), e.g.
    ``{"root cause": "pool exhausted"}``.
    """
    overrides = {_key(k): v for k, v in (extra or {}).items()}

    def placeholder(match: re.Match[str]) -> str:
        key = _key(match.group(1))
        if key in overrides:
            return overrides[key]
        filler = _FILLERS.get(key)
        if filler is None and _is_state_choice(key):
            filler = _FILLERS["status"]
        value = None if filler is None else filler(incident, now)
        return match.group(0) if value is None else value

    text = _SEVERITY_RANGE.sub(lambda _m: incident.severity.level.name, template)
    return _PLACEHOLDER.sub(placeholder, text)
