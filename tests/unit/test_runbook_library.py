"""The bundled library: every runbook imports cleanly and names live checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.runbooks.library import bundled_runbooks, load_library, load_runbooks
from tui.runbooks.model import parse_check

REQUIRED = [
    "Service Down", "High Error Rate", "High Latency", "Pool Exhaustion", "Slow Queries",
    "High Memory", "TLS Certificate", "Authentication Failures", "Failed Deploy - Railway",
    "Failed Deploy - Fly.io", "Failed Deploy - Vercel", "Failed Deploy - Replit",
    "Security Breach", "Data Loss", "Scheduled Maintenance", "Morning Checks",
    "Evening Checks",
]


def test_every_bundled_runbook_imports_with_zero_warnings() -> None:
    runbooks = bundled_runbooks()
    assert len(runbooks) >= 12
    for runbook in runbooks:
        assert runbook.warnings == (), (runbook.source, runbook.warnings)
        assert runbook.procedures, runbook.source


def test_every_bundled_runbook_names_valid_live_checks() -> None:
    for runbook in bundled_runbooks():
        checks = [s.check for p in runbook.procedures for s in p.steps() if s.check]
        assert checks, f"{runbook.source} names no live check"
        kinds = {parse_check(c).kind for c in checks}
        assert kinds <= {"health", "logs", "db", "tls"}
    every = {parse_check(s.check).kind for r in bundled_runbooks() for p in r.procedures
             for s in p.steps() if s.check}
    assert every == {"health", "logs", "db", "tls"}


def test_the_library_covers_the_procedures_the_seeds_share() -> None:
    titles = [p.title for r in bundled_runbooks() for p in r.procedures]
    for wanted in REQUIRED:
        assert any(wanted.casefold() in t.casefold() for t in titles), wanted


def test_incident_basics_carry_scale_escalation_and_templates() -> None:
    basics = next(r for r in bundled_runbooks() if r.title == "Incident Response Basics")
    assert [lv.level for lv in basics.severity_scale] == ["P0", "P1", "P2", "P3"]
    assert basics.severity_scale[0].response_seconds == 900
    critical = basics.escalation[0]
    assert critical.severity == "Critical" and len(critical.steps) == 4
    assert [t.name for t in basics.templates] == ["Initial Alert", "Status Update", "Resolution"]
    assert "summary" in basics.templates[0].placeholders


def test_front_matter_in_the_library_sets_severity_and_describes_variables() -> None:
    down = next(r for r in bundled_runbooks() if r.title == "Service Down")
    assert down.procedures[0].severity == "P0"
    api_host = next(v for v in down.variables if v.name == "api-host")
    assert api_host.declared and "host name" in api_host.description


def test_load_runbooks_turns_unreadable_files_into_warnings(tmp_path: Path) -> None:
    folder = tmp_path / "runbooks"
    (folder / "team").mkdir(parents=True)
    (folder / "team" / "db.md").write_text("# DB\n\n## Fix\n\n1. psql\n", encoding="utf-8")
    (folder / "notes.txt").write_text("ignored", encoding="utf-8")
    (folder / "broken.md").symlink_to(tmp_path / "missing.md")
    loaded = load_runbooks([folder, tmp_path / "absent.md"])
    by_title = {r.title: r for r in loaded}
    assert by_title["DB"].procedures[0].title == "Fix"
    assert any("could not read" in str(w) for w in by_title["broken"].warnings)
    assert any("could not read" in str(w) for w in by_title["absent"].warnings)
    assert "notes" not in by_title


def test_load_runbooks_reads_big_files_only_up_to_the_cap(tmp_path: Path) -> None:
    big = tmp_path / "big.md"
    big.write_bytes(b"## Big\n\n1. step\n\n" + b"words " * 60_000 + b"\n\n2. never read\n")
    (runbook,) = load_runbooks([big])
    assert "only the start was read" in runbook.warnings[0].message
    assert runbook.procedures[0].step_count == 1


@pytest.mark.parametrize("timeout", [5.0])
async def test_load_library_returns_bundled_then_configured(tmp_path: Path,
                                                            timeout: float) -> None:
    (tmp_path / "mine.md").write_text("# Mine\n\n## Go\n\n1. step\n", encoding="utf-8")
    runbooks = await load_library([tmp_path], timeout=timeout)
    assert runbooks[-1].title == "Mine"
    assert len(runbooks) == len(bundled_runbooks()) + 1
