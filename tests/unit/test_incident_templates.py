"""Communication templates filled from the incident; unknown placeholders stay visible."""

from __future__ import annotations

from typing import Any

from tests.support.incidents import P0_POLICY, T0, sample_procedure
from tui.incidents.model import Entry, EntryKind, Incident, fold
from tui.incidents.templates import fill_template

# The seed runbook's templates, mojibake and all.
INITIAL = """ðŸš¨ **INCIDENT ALERT**
**Severity**: P[0-3]
**Status**: Investigating
**Impact**: [Brief description]
**Lead**: @[username]"""

UPDATE = """**Status**: [Investigating/Mitigating/Resolved]
**Progress**: [What has been done]
**ETA**: [Updated timeline]
Next update: [next update]"""

RESOLUTION = """**Duration**: [X minutes]
**Root Cause**: [Brief explanation]
See [the runbook](https://example.com/runbook) and [Phone]."""


def incident(*extra: tuple[float, EntryKind, dict[str, Any]], **opened: Any) -> Incident:
    rows = [
        (T0, EntryKind.OPENED, {"title": "API down", **P0_POLICY.to_payload(), **opened}),
        (T0, EntryKind.PROCEDURE_ATTACHED, {"procedure": sample_procedure().to_dict()}),
        *extra,
    ]
    return fold([Entry(i + 1, 1, at, str(k), "alice", p) for i, (at, k, p) in enumerate(rows)], 1)


def test_initial_alert_fills_severity_impact_and_lead() -> None:
    text = fill_template(INITIAL, incident(lead="alice", impact="checkout down"), T0 + 60)
    assert "**Severity**: P0\n" in text
    assert "**Impact**: checkout down" in text
    assert "**Lead**: @alice" in text
    assert text.startswith("ðŸš¨")


def test_status_update_fills_state_progress_and_next_update() -> None:
    current = incident(
        (T0 + 60, EntryKind.STEP_DONE, {"procedure": 0, "step": "1.1"}),
        (T0 + 90, EntryKind.STATE_CHANGED, {"state": "identified"}),
    )
    text = fill_template(UPDATE, current, T0 + 120)
    assert "**Status**: Identified" in text
    assert "**Progress**: 1/5 steps done: 1.1 Check health" in text
    assert "**ETA**: [Updated timeline]" in text
    assert "Next update: 2023-11-14 22:43 UTC" in text


def test_resolution_duration_and_unknowns_left_visible() -> None:
    resolved = incident((T0 + 42 * 60, EntryKind.STATE_CHANGED, {"state": "resolved"}))
    text = fill_template(RESOLUTION, resolved, T0 + 50 * 60)
    assert "**Duration**: 42 minutes" in text
    assert "**Root Cause**: [Brief explanation]" in text
    assert "[the runbook](https://example.com/runbook)" in text
    assert "[Phone]" in text


def test_missing_values_stay_as_placeholders_and_extra_values_win() -> None:
    text = fill_template("[lead] [impact] [Root Cause] [duration] [title]", incident(), T0 + 75)
    assert text == "[lead] [impact] [Root Cause] 1:15 API down"
    text = fill_template("[Root Cause] [lead]", incident(), T0, {"root_cause": "pool", "Lead": "z"})
    assert text == "pool z"


def test_values_with_brackets_are_not_filled_again() -> None:
    text = fill_template("[title] / [lead]", incident(lead="[impact]"), T0)
    assert text == "API down / [impact]"
