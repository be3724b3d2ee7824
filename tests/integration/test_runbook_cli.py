"""`onduty runbook lint|show` on real files, in process and as a real subprocess."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.runbooks import seed_path
from tui.runbooks.cli import run_runbook

ROOT = Path(__file__).resolve().parents[2]
CLEAN = "# Clean\n\n## Restart API\n\n1. Probe\n   check: health: production\n2. Restart\n" \
        "   ```bash\n   fly apps restart [app-name]\n   ```\n"


def test_lint_clean_file_exits_0_and_prints_what_it_understood(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "clean.md"
    path.write_text(CLEAN, encoding="utf-8")
    assert run_runbook(["lint", str(path)]) == 0
    out = capsys.readouterr().out
    assert "'Clean': 1 procedure" in out and "0 warnings" in out
    assert "procedure 'Restart API' (line 3)" in out
    assert "2 steps, 1 command, 1 live check" in out
    assert "bash> fly apps restart [app-name]  (line 9)  [destructive: restart]" in out
    assert "variables: app-name" in out


def test_lint_seed_exits_1_and_reports_budgets_scale_escalation_and_skips(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert run_runbook(["lint", str(seed_path("001"))]) == 1
    out = capsys.readouterr().out
    assert "phase 'Immediate Actions (0-5 minutes)' (line 22, budget 5 min)" in out
    assert "P0 Critical, respond within 15 min (line 211)" in out
    assert ("Critical [Alert Escalation Matrix] (line 133): at start On-call + Slack; after "
            "15 min Engineering Lead; after 30 min CTO; after 1 h CEO") in out
    assert "Initial Alert (line 273): [0-3], [Brief description], [username]" in out
    assert "line 6: skipped 'Table of Contents': reference section, not a procedure" in out


def test_lint_directory_and_unreadable_targets(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.md").write_text(CLEAN, encoding="utf-8")
    assert run_runbook(["lint", str(tmp_path)]) == 0
    (tmp_path / "b.md").write_text("## Nothing here\n\nJust prose.\n", encoding="utf-8")
    assert run_runbook(["lint", str(tmp_path)]) == 1
    (tmp_path / "c.md").mkdir()  # a directory named like a runbook cannot be read
    (tmp_path / "c.md" / "inner.md").write_text(CLEAN, encoding="utf-8")
    assert run_runbook(["lint", str(tmp_path / "missing.md")]) == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run_runbook(["lint", str(empty)]) == 2
    err = capsys.readouterr().err
    assert "no runbooks (.md, .markdown) in" in err


def test_show_prints_a_procedure_as_a_checklist(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_runbook(["show", str(seed_path("001")), "SYSTEM DOWN"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("System Down - Critical Outage  [P0]  (line 20)\n")
    assert ("Immediate Actions (0-5 minutes)  (budget 5 min)\n"
            "  [ ] 1. Acknowledge the incident") in out
    assert "        $ curl -f https://sentia-manufacturing.com/health" in out
    assert "      [ ] 2.1. Check error rates in monitoring dashboard" in out
    assert "[ ] 3. Emergency rollback if needed  (destructive: rollback)" in out


def test_show_lists_procedures_and_rejects_ambiguous_or_missing_names(
        capsys: pytest.CaptureFixture[str]) -> None:
    seed = str(seed_path("003"))
    assert run_runbook(["show", seed]) == 0
    assert "  P0 - Critical Incident  (line 397, 14 steps)" in capsys.readouterr().out
    assert run_runbook(["show", seed, "incident"]) == 2
    assert "matches 3 procedures" in capsys.readouterr().err
    assert run_runbook(["show", seed, "no such thing"]) == 2
    assert run_runbook(["show", seed + ".missing"]) == 2
    assert run_runbook(["frobnicate"]) == 2


def test_cli_runs_as_a_subprocess_without_textual(tmp_path: Path) -> None:
    path = tmp_path / "crlf.md"
    path.write_bytes(CLEAN.replace("\n", "\r\n").encode())
    probe = ("import sys; from tui.runbooks.cli import run_runbook; "
             "code = run_runbook(sys.argv[1:]); "
             "assert 'textual' not in sys.modules; sys.exit(code)")
    result = subprocess.run([sys.executable, "-c", probe, "show", str(path), "restart"],
                            capture_output=True, text=True, cwd=ROOT, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert "[ ] 2. Restart  (destructive: restart)" in result.stdout
    assert "check: health: production" in result.stdout
