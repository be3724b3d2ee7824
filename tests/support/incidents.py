"""Helpers for the incident engine tests: a sample procedure, severities, waiting, argv."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tui.incidents.model import (
    EscalationStep,
    PhaseSnapshot,
    ProcedureSnapshot,
    SeverityLevel,
    SeverityPolicy,
    StepSnapshot,
)

T0 = 1_700_000_000.0  # a fixed "incident opened" instant for pure tests

P0 = SeverityLevel(name="P0", label="Critical", response_s=15 * 60)
P2 = SeverityLevel(name="P2", label="Medium", response_s=4 * 3600)

P0_POLICY = SeverityPolicy.for_level(
    P0,
    top=True,
    escalation=(
        EscalationStep(after_s=30 * 60, who="CTO"),
        EscalationStep(after_s=15 * 60, who="Engineering Lead"),
        EscalationStep(after_s=3600, who="CEO"),
    ),
)
P2_POLICY = SeverityPolicy.for_level(P2, top=False)


def sample_procedure(title: str = "P0 - Critical Incident") -> ProcedureSnapshot:
    """Two time-boxed phases and one open-ended phase, like the seed runbooks'."""
    return ProcedureSnapshot(
        title=title,
        source="seeds/001_e6bd2bc2447bdc62.txt#incident-response",
        phases=(
            PhaseSnapshot(
                title="Immediate Actions (0-5 minutes)",
                budget_s=5 * 60,
                steps=(
                    StepSnapshot(id="1.1", text="Check health", check="health: production",
                                 commands=("curl https://api.example.com/health",)),
                    StepSnapshot(id="1.2", text="Check recent deploys",
                                 commands=("railway logs --deployment [DEPLOYMENT_ID]",),
                                 variables=("DEPLOYMENT_ID",)),
                ),
            ),
            PhaseSnapshot(
                title="Investigation (15-60 minutes)",
                budget_s=45 * 60,
                steps=(
                    StepSnapshot(id="2.1", text="Read the error logs",
                                 check="logs: production /ERROR/ since 15m"),
                    StepSnapshot(id="2.2", text="Roll back",
                                 commands=("railway rollback [DEPLOYMENT_ID]",),
                                 destructive=True, variables=("DEPLOYMENT_ID",)),
                ),
            ),
            PhaseSnapshot(
                title="Resolution",
                budget_s=None,
                steps=(StepSnapshot(id="3.1", text="Verify resolution"),),
            ),
        ),
    )


async def wait_for(
    condition: Callable[[], object], timeout: float = 5.0, message: str = ""
) -> None:
    """Poll ``condition`` every few ms until it is true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {message or condition}")
        await asyncio.sleep(0.005)


def pid_alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


def argv_printer(directory: Path) -> Path:
    """A script that prints its arguments as one JSON list: how a value arrived, exactly."""
    script = directory / "print_argv.py"
    script.write_text(
        f"#!{sys.executable}\nimport json, sys\nprint(json.dumps(sys.argv[1:]))\n",
        encoding="utf-8",
    )
    script.chmod(0o755)
    return script
