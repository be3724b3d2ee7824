"""The incident glue without a terminal: runbook -> snapshot and severities, live evidence,
and two consoles on one store seeing each other's entries."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.support.incident_ui import db_snapshot, endpoint_state, log_view
from tests.support.incidents import wait_for
from tests.support.runbooks import md, seed
from tui.config import parse_config
from tui.health.model import Verdict
from tui.hub.incident import IncidentCallbacks, IncidentHub
from tui.incidents.adapter import (
    ProcedureRef,
    command_lines,
    fallback_runbook,
    severity_policies,
    snapshot_procedure,
)
from tui.incidents.evidence import EvidenceSources, evaluate
from tui.incidents.model import Incident
from tui.runbooks.library import bundled_runbooks


def test_seed_001_scale_and_escalation_become_severity_policies() -> None:
    policies = severity_policies(seed("001"), fallback_runbook(bundled_runbooks()))
    assert [(p.level.name, p.level.label, p.level.response_s) for p in policies] == [
        ("P0", "Critical", 900), ("P1", "High", 3600), ("P2", "Medium", 14400),
        ("P3", "Low", 86400)]
    assert [(s.after_s, s.who) for s in policies[0].escalation] == [
        (900, "Engineering Lead"), (1800, "CTO"), (3600, "CEO")]
    assert policies[0].status_update_every_s == 1800
    assert policies[1].status_update_every_s is None


def test_bundled_scale_names_its_levels_and_finds_their_escalation_rows() -> None:
    bundled = fallback_runbook(bundled_runbooks())
    assert bundled is not None
    policies = severity_policies(bundled, None)
    assert [(p.level.name, p.level.label) for p in policies] == [
        ("P0", "Critical"), ("P1", "High"), ("P2", "Medium"), ("P3", "Low")]
    assert [(s.after_s, s.who) for s in policies[0].escalation] == [
        (900, "Engineering lead"), (1800, "Head of engineering"), (3600, "CTO")]
    assert [(s.after_s, s.who) for s in policies[1].escalation] == [(900, "Engineering lead")]


def test_snapshot_numbers_nested_steps_and_splits_shell_alternatives() -> None:
    runbook = md("""# R

## Outage

**Act (0-5 minutes):**
1. Look at it.
   ```bash
   # the platform's view
   railway status
   fly status -a [app-name] \\
     --json
   ```
   - Nested check
2. Drop the cache table.
   ```sql
   DROP TABLE cache;
   ```
""")
    snapshot = snapshot_procedure(ProcedureRef(runbook, runbook.procedures[0]))
    steps = snapshot.phases[0].steps
    assert [s.id for s in steps] == ["1.1", "1.1.1", "1.2"]
    assert steps[0].commands == ("railway status", "fly status -a [app-name] --json")
    assert steps[0].variables == ("app-name",)
    assert steps[2].destructive and steps[2].commands == ("DROP TABLE cache;",)
    assert snapshot.phases[0].budget_s == 300


def test_command_lines_keep_non_shell_blocks_whole() -> None:
    runbook = md("# R\n\n## P\n\n1. Query.\n   ```sql\n   SELECT 1;\n   SELECT 2;\n   ```\n")
    command = runbook.procedures[0].phases[0].steps[0].commands[0]
    assert command_lines(command) == ["SELECT 1;\nSELECT 2;"]


def test_command_lines_keep_a_quoted_multi_line_argument_whole() -> None:
    block = ("1. Notify.\n   ```bash\n   # Post to Slack\n   curl -X POST $URL -d '{\n"
             '     "text": "down"\n   }\'\n   railway status  # don\'t skip\n   ```\n')
    runbook = md("# R\n\n## P\n\n" + block)
    command = runbook.procedures[0].phases[0].steps[0].commands
    lines = [line for c in command for line in command_lines(c)]
    assert lines == ["curl -X POST $URL -d '{\n\"text\": \"down\"\n}'",
                     "railway status  # don't skip"]


def sources(**data: object) -> EvidenceSources:
    return EvidenceSources(health=lambda: data.get("health", ()),
                           logs=lambda: data.get("logs"), db=lambda: data.get("db"),
                           environment=lambda: "production")


def test_evidence_reads_each_kind_of_check() -> None:
    now = time.time()
    down = sources(health=(endpoint_state(Verdict.DOWN, reason="503"),
                           endpoint_state(Verdict.HEALTHY, endpoint="/db/ping")))
    health = evaluate("health: production", down, now)
    assert health.ok is False and health.summary.startswith("production: 1 down, 1 healthy")
    old = log_view(["ERROR old"], age_s=3600)
    assert evaluate("logs: production /error/ since 15m", sources(logs=old), now).summary \
        .startswith("0 matching lines in the last 15 min")
    fresh = log_view(["ERROR \x1b]52;c;aGk=\x07 token=abc123secret", "INFO fine"])
    logs = evaluate("logs: production /error/ since 15m", sources(logs=fresh), now)
    assert logs.ok is False and "\x1b" not in logs.text and "abc123secret" not in logs.text
    assert evaluate("logs: production /ERROR/", sources(logs=log_view(["error lower"])),
                    now).summary.startswith("0 matching")  # capitals: case matters
    db = evaluate("db: connections", sources(db=db_snapshot(total=95)), now)
    assert db.ok is False and db.summary.startswith("95/100 connections (95%)")
    tls = evaluate("tls: api.example.com", sources(health=(endpoint_state(
        Verdict.HEALTHY, cert_days=9),)), now)
    assert tls.ok is False and tls.summary == "api.example.com certificate expires in 9 days"
    assert evaluate("nonsense", sources(), now).ok is None


@pytest.fixture
def config(tmp_path: Path):
    return parse_config(f'[incidents]\nstore = "{tmp_path / "store.sqlite3"}"\n'
                        '[environments.production]\nbase_url = "https://api.example.com"\n',
                        tmp_path / "config.toml")


async def test_two_consoles_on_one_store_see_each_other_within_a_second(config) -> None:
    seen: dict[str, list[Incident | None]] = {"a": [], "b": []}

    def hub(name: str) -> IncidentHub:
        callbacks = IncidentCallbacks(changed=seen[name].append, alert=lambda alert: None)
        return IncidentHub(config, sources(), callbacks)

    first, second = hub("a"), hub("b")
    await first.start()
    await second.start()
    try:
        library = await first.library_ready()
        ref = next(r for r in library.procedures if "service-down" in r.key)
        await first.open("API down", library.severities(ref)[0], ref, lead="alice")
        started = time.monotonic()
        await wait_for(lambda: second.incident is not None, timeout=2,
                       message="the second console to see the incident")
        await second.mark_done(0, "1.1")
        await wait_for(lambda: first.incident.procedures[0].resolved == 1, timeout=2,
                       message="the first console to see the step")
        assert time.monotonic() - started < 2.0
        await first.note("from the first console")
        await wait_for(lambda: second.incident.entries[-1].kind == "note", timeout=2)
        closed = await second.close("done")
        assert closed.closed_at is not None
        await wait_for(lambda: first.incident is None, timeout=2,
                       message="the first console to drop the closed incident")
    finally:
        await first.stop()
        await second.stop()
