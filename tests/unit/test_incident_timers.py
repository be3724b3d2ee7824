"""Timers at given instants: clock, phase budget, next escalation, status updates, alerts."""

from __future__ import annotations

from typing import Any

from tests.support.incidents import P0_POLICY, P2_POLICY, T0, sample_procedure
from tui.incidents.model import Entry, EntryKind, Incident, SeverityPolicy, fold
from tui.incidents.timers import (
    due_alerts,
    format_clock,
    format_span,
    incident_timers,
    next_escalation,
    phase_timer,
    status_update_timer,
)


def build(*extra: tuple[float, EntryKind, dict[str, Any]],
          policy: SeverityPolicy = P0_POLICY, attach: bool = True) -> Incident:
    rows: list[tuple[float, EntryKind, dict[str, Any]]] = [
        (T0, EntryKind.OPENED, {"title": "API down", **policy.to_payload()})
    ]
    if attach:
        rows.append((T0, EntryKind.PROCEDURE_ATTACHED, {"procedure": sample_procedure().to_dict()}))
    rows.extend(extra)
    entries = [Entry(i + 1, 1, at, str(kind), "alice", payload)
               for i, (at, kind, payload) in enumerate(rows)]
    return fold(entries, 1)


def record(incident: Incident, at: float) -> Incident:
    """Append every due alert, as the app does, and fold again."""
    entries = list(incident.entries)
    for alert in due_alerts(incident, at):
        entries.append(Entry(len(entries) + 1, 1, at, str(alert.kind), "onduty", alert.payload))
    return fold(entries, 1)


def test_formats() -> None:
    assert format_clock(252) == "4:12"
    assert format_clock(3723) == "1:02:03"
    assert format_clock(-5) == "0:00"
    assert format_span(900) == "15 min"
    assert format_span(3600) == "1 h"
    assert format_span(5400) == "1 h 30 min"
    assert format_span(0) == "Initial"


def test_the_incident_clock_runs_from_opening() -> None:
    timers = incident_timers(build(), T0 + 252)
    assert timers.clock == "4:12"


def test_next_escalation_label_counts_down_to_the_first_future_rung() -> None:
    incident = build()
    timer = next_escalation(incident, T0 + 15 * 60 - 252)
    assert timer is not None
    assert timer.label == "15 min: Engineering Lead — in 4:12"
    later = next_escalation(incident, T0 + 20 * 60)
    assert later is not None and later.step.who == "CTO"
    assert next_escalation(incident, T0 + 2 * 3600) is None


def test_a_raised_severity_starts_its_own_escalation_schedule() -> None:
    incident = build((T0 + 3000, EntryKind.SEVERITY_CHANGED, P0_POLICY.to_payload()),
                     policy=P2_POLICY)
    timer = next_escalation(incident, T0 + 3000 + 60)
    assert timer is not None and timer.step.who == "Engineering Lead"
    assert timer.remaining_s == 14 * 60


def test_phase_budget_remaining_then_overdue() -> None:
    incident = build()
    timer = phase_timer(incident, T0 + 180)
    assert timer is not None and timer.remaining_s == 120 and not timer.overdue
    assert timer.label == "Immediate Actions (0-5 minutes) 3:00 / 5 min"
    timer = phase_timer(incident, T0 + 370)
    assert timer is not None and timer.overdue
    assert timer.label == "Immediate Actions (0-5 minutes) overdue 1:10"


def test_the_next_phase_budget_counts_from_when_it_became_current() -> None:
    incident = build(
        (T0 + 100, EntryKind.STEP_DONE, {"procedure": 0, "step": "1.1"}),
        (T0 + 200, EntryKind.STEP_DONE, {"procedure": 0, "step": "1.2"}),
    )
    timer = phase_timer(incident, T0 + 260)
    assert timer is not None and timer.phase == 1 and timer.elapsed_s == 60
    assert timer.remaining_s == 45 * 60 - 60


def test_status_update_every_30_min_counted_from_the_last_one_sent() -> None:
    incident = build()
    timer = status_update_timer(incident, T0 + 600)
    assert timer is not None and timer.due_at == T0 + 1800 and not timer.overdue
    sent = build((T0 + 1500, EntryKind.STATUS_UPDATE_SENT, {"text": "update"}))
    timer = status_update_timer(sent, T0 + 1900)
    assert timer is not None and timer.due_at == T0 + 3300
    assert timer.label == "update in 23:20"
    assert status_update_timer(build(policy=P2_POLICY), T0 + 10_000) is None


def test_due_alerts_fire_once_each_and_stop_once_recorded() -> None:
    incident = build()
    assert due_alerts(incident, T0 + 60) == ()
    alerts = due_alerts(incident, T0 + 16 * 60)
    kinds = sorted(str(a.kind) for a in alerts)
    assert kinds == ["escalation_due", "phase_overdue"]
    escalation = next(a for a in alerts if a.kind is EntryKind.ESCALATION_DUE)
    assert escalation.payload["who"] == "Engineering Lead"
    assert escalation.message == "Escalate to Engineering Lead (15 min, P0)"

    incident = record(incident, T0 + 16 * 60)
    assert due_alerts(incident, T0 + 17 * 60) == ()
    later = {(a.kind, a.payload.get("who")) for a in due_alerts(incident, T0 + 31 * 60)}
    assert later == {(EntryKind.ESCALATION_DUE, "CTO"), (EntryKind.STATUS_UPDATE_DUE, None)}


def test_no_alerts_or_escalations_once_resolved() -> None:
    incident = build((T0 + 60, EntryKind.STATE_CHANGED, {"state": "resolved"}))
    assert due_alerts(incident, T0 + 7200) == ()
    assert next_escalation(incident, T0 + 120) is None
    assert status_update_timer(incident, T0 + 120) is None


def test_without_a_procedure_there_is_no_phase_timer() -> None:
    incident = build(attach=False)
    timers = incident_timers(incident, T0 + 60)
    assert timers.phase is None
    assert timers.escalation is not None
