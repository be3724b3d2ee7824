"""Each seed's main incident procedure, walked in the real console against its sandbox.

The example config is loaded with the seed sandbox behind it (seed_system: the seed
runbook is the runbook folder, the incident store a temp file), the real engines run
(health probes, the emulated platform CLI's logs, the database on the shared cluster),
and production is down. The incident is opened with `!`, every step is walked with the
checklist keys — a step with a live check shows the evidence first and has it attached
with `a`, one step is skipped with a reason — and the post-mortem is exported with `C`.

The procedures: seed 001 "System Down - Critical Outage" and seed 003 "P0 - Critical
Incident" are the runbooks' own P0 procedures. The others have none: seed 000 "Service
Won't Start" (its Troubleshooting for a service that is down), seed 002 "Application Not
Loading" (its "Complete Outage" only points at external status pages, which onduty cannot
evidence), seed 004 "Application Not Responding".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.incident_ui import open_incident
from tests.support.seeds import publish_secret, seed_system, wait_until
from tui.app import OnDutyApp, create_app
from tui.health.model import Verdict
from widgets.incident_checklist import Checklist, step_key

LOGS = "logs: production /error|exception|fail/i since 15m"


@dataclass(frozen=True)
class Walk:
    """A seed's procedure and what walking it must show."""

    procedure: str
    checks: dict[str, str]  # step id -> the live check it gets
    skip: str  # the step skipped with a reason
    steps: int


WALKS = {
    "000": Walk("Service Won't Start", {"1.1": LOGS, "1.5": "health: production"},
                skip="1.3", steps=5),
    "001": Walk("System Down - Critical Outage",
                {"1.1": "health: production", "1.2.1": LOGS, "1.2.2": "db: connections"},
                skip="1.3", steps=7),
    "002": Walk("Application Not Loading", {"1.1": LOGS, "2.4": "db: connections"},
                skip="2.3", steps=5),
    "003": Walk("P0 - Critical Incident",
                {"1.2": "health: production", "1.3": LOGS, "3.2": "health: production",
                 "3.3": "health: production"}, skip="1.4", steps=14),
    "004": Walk("Application Not Responding", {"1.1": LOGS}, skip="2.1", steps=2),
}


def prompt(checklist: Checklist, step: str) -> str:
    return str(checklist.get_option(step_key(0, step)).prompt)


def production_down(app: OnDutyApp) -> bool:
    """Every production endpoint probed, and at least one of them down."""
    states = [s for s in app.health_states() if s.env == "production"]
    return (bool(states) and all(s.last is not None for s in states)
            and any(s.verdict is Verdict.DOWN for s in states))


def errors_followed(app: OnDutyApp) -> bool:
    view = app.log_view()
    return view is not None and any("ERROR" in line.text for line in view.lines)


def database_read(app: OnDutyApp) -> bool:
    snapshot = app.db_snapshot()
    return snapshot is not None and snapshot.status == "ok" and snapshot.activity is not None


def expected_evidence(check: str) -> str:
    """What the evidence line of ``check`` must say with production down."""
    if check.startswith("health"):
        return " down"
    if check.startswith("logs"):
        return "matching line"
    return "connections ("


async def walk(app: OnDutyApp, pilot: Any, plan: Walk) -> list[str]:
    """Every step in order: evidence shown and attached, done (one skipped); the step ids."""
    checklist = app.screen.query_one(Checklist)
    walked: list[str] = []
    while (current := app.incidents.incident.current) is not None:
        step = current[2].step
        walked.append(step.id)
        assert step.check == plan.checks.get(step.id), f"the check of step {step.id}"
        if step.check:
            fragment = f"● {step.check}: "
            await wait_until(lambda s=step.id, f=fragment: f in prompt(checklist, s),
                             f"the evidence beside step {step.id}")
            assert expected_evidence(step.check) in prompt(checklist, step.id)
            evidence = len(app.incidents.incident.entries_of("evidence"))
            await pilot.press("a")
            await wait_until(lambda n=evidence: len(
                app.incidents.incident.entries_of("evidence")) > n, "the evidence attached")
        if step.id == plan.skip:
            await pilot.press("s")
            await wait_until(lambda: type(app.screen).__name__ == "ReasonDialog",
                             "the reason dialog")
            app.screen.query_one("Input").value = "not needed: the deploy is a day old"
            await pilot.press("enter")
        else:
            await pilot.press("space")
        await wait_until(lambda s=step.id: app.incidents.incident.current is None
                         or app.incidents.incident.current[2].step.id != s,
                         f"step {step.id} recorded")
    return walked


@pytest.mark.parametrize("key", sorted(WALKS))
async def test_the_main_incident_procedure_is_walked_with_evidence_and_exported(
    key: str, tmp_path: Path, pg_dsn: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    plan = WALKS[key]
    target = tmp_path / "postmortem.md"
    async with seed_system(key, tmp_path) as (sandbox, config):
        production = config.environment("production")
        assert production.database_secret is not None
        publish_secret(monkeypatch, production.database_secret, pg_dsn)
        sandbox.set_mode("production", "down")
        await sandbox.emit("production", "access", "error", "database")
        app = create_app(config, engines=True, state_file=tmp_path / "state.json")
        async with app.run_test(size=(120, 50)) as pilot:
            await wait_until(lambda: production_down(app), "production probed down",
                             poke=app.engines.health.refresh_now, timeout=20)
            await wait_until(lambda: errors_followed(app), "the error lines followed")
            await wait_until(lambda: database_read(app), "the database read", timeout=20)
            await open_incident(app, pilot, f"#{plan.procedure}", title=f"seed {key} down")
            incident = app.incidents.incident
            assert incident.procedures[0].snapshot.title == plan.procedure
            walked = await walk(app, pilot, plan)
            assert len(walked) == plan.steps
            await pilot.press("C")
            await wait_until(lambda: type(app.screen).__name__ == "CloseDialog",
                             "the close dialog")
            app.screen.query_one("#close-summary").value = "restarted; healthy again"
            app.screen.query_one("#close-export").value = str(target)
            await pilot.click("#close-confirm")
            await wait_until(lambda: target.exists(), "the post-mortem file")
    body = target.read_text()
    assert target.stat().st_mode & 0o777 == 0o600
    assert body.startswith(f"# Post-mortem: seed {key} down")
    assert f"### {plan.procedure}" in body
    done = [s for s in walked if s != plan.skip]
    for step in done:
        assert f"- [x] {step} " in body, f"step {step} done in the post-mortem"
    assert "not needed: the deploy is a day old" in body
    assert "## Evidence" in body and "## Timeline" in body
    evidence = body.split("## Evidence", 1)[1].split("\n## ", 1)[0]
    for check in dict.fromkeys(plan.checks.values()):
        assert f"Evidence ({check.replace('|', chr(92) + '|')}): " in evidence
    timeline = body.split("## Timeline", 1)[1].split("\n## ", 1)[0]
    assert timeline.index("Opened: ") < timeline.index("Skipped: ") < timeline.index("Closed")
    assert timeline.count("Done: ") == len(done)
    if LOGS in plan.checks.values():
        assert "matching line" in evidence and "ERROR" in evidence
