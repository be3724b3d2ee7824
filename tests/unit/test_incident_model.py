"""The incident is a fold over its timeline: every state comes from the entries alone."""

from __future__ import annotations

from typing import Any

from tests.support.incidents import P0_POLICY, P2_POLICY, T0, sample_procedure
from tui.incidents.model import (
    Entry,
    EntryKind,
    IncidentFold,
    IncidentState,
    ProcedureSnapshot,
    Role,
    SeverityPolicy,
    StepStatus,
    fold,
)


class Timeline:
    """Builds entries the way the store would, with increasing ids."""

    def __init__(self) -> None:
        self.entries: list[Entry] = []

    def add(self, at: float, kind: EntryKind | str, payload: dict[str, Any] | None = None,
            actor: str = "alice@bastion") -> Entry:
        entry = Entry(id=len(self.entries) + 1, incident_id=1, at=at, kind=str(kind),
                      actor=actor, payload=payload or {})
        self.entries.append(entry)
        return entry


def opened(timeline: Timeline, policy: SeverityPolicy = P0_POLICY, **extra: Any) -> None:
    timeline.add(T0, EntryKind.OPENED, {"title": "API down", **policy.to_payload(), **extra})


def test_snapshot_and_policy_survive_a_json_round_trip() -> None:
    procedure = sample_procedure()
    assert ProcedureSnapshot.from_dict(procedure.to_dict()) == procedure
    assert SeverityPolicy.from_payload(P0_POLICY.to_payload()) == P0_POLICY


def test_top_severity_defaults_to_a_status_update_every_30_minutes() -> None:
    assert P0_POLICY.status_update_every_s == 1800
    assert P2_POLICY.status_update_every_s is None
    assert [s.after_s for s in P0_POLICY.escalation] == [900, 1800, 3600]


def test_opened_entry_gives_title_severity_lead_and_investigating() -> None:
    timeline = Timeline()
    opened(timeline, lead="alice", impact="checkout fails", impact_started_at=T0 - 120)
    incident = fold(timeline.entries, 1)
    assert incident.title == "API down"
    assert incident.severity.level.name == "P0"
    assert incident.state is IncidentState.INVESTIGATING
    assert incident.lead == "alice"
    assert incident.impact == "checkout fails"
    assert incident.started_at == T0 - 120
    assert incident.is_open
    assert incident.current is None


def test_checklist_progress_current_step_and_phase_times() -> None:
    timeline = Timeline()
    opened(timeline)
    timeline.add(T0 + 10, EntryKind.PROCEDURE_ATTACHED, {"procedure": sample_procedure().to_dict()})
    timeline.add(T0 + 60, EntryKind.STEP_DONE, {"procedure": 0, "step": "1.1"})
    incident = fold(timeline.entries, 1)
    _procedure, phase, step = incident.current or (None, None, None)
    assert step is not None and step.step.id == "1.2"
    assert phase is not None and phase.index == 0 and phase.started_at == T0 + 10
    assert phase.done == 1 and not phase.complete

    timeline.add(T0 + 90, EntryKind.STEP_SKIPPED,
                 {"procedure": 0, "step": "1.2", "reason": "no deploy today"})
    incident = fold(timeline.entries, 1)
    first, second, _third = incident.procedures[0].phases
    assert first.complete and first.finished_at == T0 + 90 and first.skipped == 1
    assert first.steps[1].reason == "no deploy today"
    assert first.steps[1].actor == "alice@bastion"
    assert second.started_at == T0 + 90
    current = incident.current
    assert current is not None and current[2].step.id == "2.1"
    assert incident.procedures[0].resolved == 2 and incident.procedures[0].total == 5


def test_back_makes_a_step_pending_again_and_moves_the_cursor_back() -> None:
    timeline = Timeline()
    opened(timeline)
    timeline.add(T0, EntryKind.PROCEDURE_ATTACHED, {"procedure": sample_procedure().to_dict()})
    timeline.add(T0 + 1, EntryKind.STEP_DONE, {"procedure": 0, "step": "1.1"})
    timeline.add(T0 + 2, EntryKind.STEP_DONE, {"procedure": 0, "step": "1.2"})
    timeline.add(T0 + 3, EntryKind.STEP_UNDONE, {"procedure": 0, "step": "1.2"})
    incident = fold(timeline.entries, 1)
    step = incident.procedures[0].phases[0].steps[1]
    assert step.status is StepStatus.PENDING and step.at is None
    assert incident.current is not None and incident.current[2].step.id == "1.2"
    assert incident.procedures[0].phases[1].started_at is None


def test_several_procedures_the_one_last_worked_on_is_active() -> None:
    timeline = Timeline()
    opened(timeline)
    timeline.add(T0, EntryKind.PROCEDURE_ATTACHED, {"procedure": sample_procedure("A").to_dict()})
    timeline.add(T0, EntryKind.PROCEDURE_ATTACHED, {"procedure": sample_procedure("B").to_dict()})
    assert fold(timeline.entries, 1).active_procedure == 1
    timeline.add(T0 + 5, EntryKind.STEP_DONE, {"procedure": 0, "step": "1.1"})
    assert fold(timeline.entries, 1).active_procedure == 0
    for step in ("1.2", "2.1", "2.2", "3.1"):
        timeline.add(T0 + 6, EntryKind.STEP_DONE, {"procedure": 0, "step": step})
    incident = fold(timeline.entries, 1)
    assert incident.procedures[0].complete
    assert incident.active_procedure == 1


def test_state_severity_roles_and_closing() -> None:
    timeline = Timeline()
    opened(timeline, policy=P2_POLICY)
    timeline.add(T0 + 100, EntryKind.SEVERITY_CHANGED, {**P0_POLICY.to_payload(), "reason": "x"})
    timeline.add(T0 + 200, EntryKind.STATE_CHANGED, {"state": "identified"})
    timeline.add(T0 + 300, EntryKind.STATE_CHANGED, {"state": "monitoring"})
    timeline.add(T0 + 400, EntryKind.STATE_CHANGED, {"state": "resolved"})
    timeline.add(T0 + 410, EntryKind.ROLE_ASSIGNED, {"role": "comms", "who": "bob"})
    timeline.add(T0 + 420, EntryKind.ROLE_ASSIGNED, {"role": "lead", "who": "carol"})
    timeline.add(T0 + 500, EntryKind.CLOSED, {"summary": "pool exhausted"})
    incident = fold(timeline.entries, 1)
    assert incident.severity.level.name == "P0" and incident.severity_set_at == T0 + 100
    assert incident.identified_at == T0 + 200
    assert incident.mitigated_at == T0 + 300
    assert incident.resolved_at == T0 + 400
    assert incident.roles == {Role.COMMS: "bob", Role.LEAD: "carol"}
    assert incident.closed_at == T0 + 500 and not incident.is_open
    assert incident.elapsed(T0 + 10_000) == 400  # the clock stops at resolution


def test_reopening_clears_resolved_at_and_restarts_the_clock() -> None:
    timeline = Timeline()
    opened(timeline)
    timeline.add(T0 + 100, EntryKind.STATE_CHANGED, {"state": "resolved"})
    timeline.add(T0 + 200, EntryKind.STATE_CHANGED, {"state": "investigating"})
    incident = fold(timeline.entries, 1)
    assert incident.resolved_at is None
    assert incident.mitigated_at == T0 + 100
    assert incident.elapsed(T0 + 300) == 300


def test_malformed_and_unknown_entries_never_break_the_fold() -> None:
    timeline = Timeline()
    opened(timeline)
    timeline.add(T0, EntryKind.PROCEDURE_ATTACHED, {"procedure": sample_procedure().to_dict()})
    timeline.add(T0 + 1, EntryKind.STEP_DONE, {"procedure": 7, "step": "1.1"})
    timeline.add(T0 + 2, EntryKind.STEP_DONE, {"procedure": 0, "step": "9.9"})
    timeline.add(T0 + 3, EntryKind.STATE_CHANGED, {"state": "on fire"})
    timeline.add(T0 + 4, EntryKind.PROCEDURE_ATTACHED, {"procedure": {"title": "no phases"}})
    timeline.add(T0 + 5, "from_a_newer_onduty", {"x": 1})
    timeline.add(T0 + 6, EntryKind.STEP_DONE, {"procedure": 0, "step": "1.1"})
    incident = fold(timeline.entries, 1)
    assert incident.state is IncidentState.INVESTIGATING
    assert len(incident.procedures) == 1
    assert incident.procedures[0].resolved == 1
    assert len(incident.entries) == 8


def test_lost_opened_entry_falls_back_to_the_incidents_row() -> None:
    incident = fold([], 4, title="from the row", opened_at=T0)
    assert incident.title == "from the row" and incident.opened_at == T0
    assert incident.severity.level.name == "?"


def test_incremental_fold_ignores_entries_it_has_already_seen() -> None:
    timeline = Timeline()
    opened(timeline)
    note = timeline.add(T0 + 1, EntryKind.NOTE, {"text": "hi"})
    builder = IncidentFold(1)
    for entry in timeline.entries:
        builder.apply(entry)
    builder.apply(note)
    incident = builder.build()
    assert [e.id for e in incident.entries] == [1, 2]
    assert builder.last_id == 2
    assert incident == fold(timeline.entries, 1)
