"""Live checks inferred for runbook steps that name none (explicit ones always win)."""

from __future__ import annotations

from tests.support.runbooks import md
from tui.config import Environment, HealthEndpoint, LogSource
from tui.incidents.adapter import ProcedureRef, snapshot_procedure
from tui.incidents.checks import infer_check
from tui.runbooks.model import Step

PRODUCTION = Environment(
    "production", base_url="https://api.example.com",
    health=(HealthEndpoint("health", "https://api.example.com/health"),),
    logs=(LogSource("railway", command=("railway", "logs")),),
    database_secret="production/database_url",
)
ERRORS = "logs: production /error|exception|fail/i since 15m"


def check(text: str, *commands: str, env: Environment | None = PRODUCTION) -> str | None:
    return infer_check(Step(text=text, line=1), env, list(commands))


def test_words_and_commands_point_at_the_pane_that_can_evidence_them() -> None:
    assert check("Acknowledge", "curl -f https://x.example/health") == "health: production"
    assert check("Check if service is responding (`/api/health/live`)") == "health: production"
    assert check("Review error logs") == ERRORS
    assert check("Look", "railway logs | grep 'ERROR\\|timeout'") == (
        "logs: production /ERROR|timeout/i since 15m")
    assert check("Verify if database is accessible") == "db: connections"
    assert check("Check for slow queries") == "db: slow-queries"
    assert check("Find blocked locks") == "db: locks"
    assert check("Renew the SSL certificate") == "tls: api.example.com"


def test_nothing_onduty_cannot_see_and_nothing_without_an_environment() -> None:
    assert check("Check Railway status: https://status.railway.app") is None
    assert check("Emergency rollback if needed", "railway rollback [DEPLOYMENT_ID]") is None
    assert check("Review error logs", env=None) is None
    no_db = Environment("staging", logs=PRODUCTION.logs)
    assert check("Verify if database is accessible", env=no_db) is None


def test_the_snapshot_infers_for_its_environment_and_keeps_explicit_checks() -> None:
    runbook = md("# R\n\n## Outage\n\n1. Review error logs\n2. Look at it\n"
                 "   check: db: locks\n3. Call the vendor\n")
    ref = ProcedureRef(runbook, runbook.procedures[0])
    steps = snapshot_procedure(ref, PRODUCTION).phases[0].steps
    assert [s.check for s in steps] == [ERRORS, "db: locks", None]
    assert [s.check for s in snapshot_procedure(ref).phases[0].steps] == [None, "db: locks", None]
