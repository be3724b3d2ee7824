"""The post-mortem export: content from a real store, atomic write, mode 0600, and the CLI."""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.incidents import P0_POLICY, sample_procedure
from tui.errors import OnDutyError
from tui.incidents import export as export_module
from tui.incidents.cli import run_incident
from tui.incidents.commands import CommandResult
from tui.incidents.export import export_postmortem, render_postmortem, write_export
from tui.incidents.model import EntryKind
from tui.incidents.store import IncidentStore

T = 1_700_000_000.0


@pytest.fixture
def recorded(tmp_path: Path) -> Iterator[tuple[IncidentStore, int]]:
    """An incident walked part-way, with every kind of record the post-mortem uses."""
    with IncidentStore(tmp_path / "incidents.sqlite3") as store:
        incident = store.open_incident(
            "API returns 502", P0_POLICY, actor="alice", lead="alice", impact="checkout fails",
            detected_at=T - 60, impact_started_at=T - 300, at=T,
        ).incident_id
        store.attach_procedure(incident, sample_procedure(), actor="alice", at=T + 5)

        def add(offset: float, kind: EntryKind, payload: dict[str, object]) -> None:
            store.append(incident, kind, payload, actor="alice", at=T + offset)

        add(30, EntryKind.STEP_DONE, {"procedure": 0, "step": "1.1"})
        add(40, EntryKind.EVIDENCE, {"check": "health: production", "summary": "2 of 3 down",
                                      "text": "/health 502 ```fence``` in body"})
        add(60, EntryKind.STEP_SKIPPED, {"procedure": 0, "step": "1.2", "reason": "no deploy"})
        add(90, EntryKind.COMMAND, CommandResult(
            display="railway logs | grep ERROR", exit_code=0,
            output="ERROR pool exhausted | token=abc123secret", timed_out=False,
            truncated=False, started_at=T + 85, duration_s=1.5,
        ).payload(procedure=0, step="2.1"))
        add(100, EntryKind.NOTE, {"text": "pool size is 10 | too small"})
        add(110, EntryKind.NOTE, {"text": "raise pool size alerts", "follow_up": True})
        add(120, EntryKind.STATE_CHANGED, {"state": "identified"})
        add(600, EntryKind.STATE_CHANGED, {"state": "monitoring"})
        add(900, EntryKind.STATE_CHANGED, {"state": "resolved"})
        add(960, EntryKind.CLOSED, {"summary": "Connection pool exhausted after a deploy."})
        yield store, incident


def test_postmortem_content(recorded: tuple[IncidentStore, int]) -> None:
    store, incident_id = recorded
    incident = store.load(incident_id)
    text = render_postmortem(incident, now=T + 5000)
    assert text.startswith("# Post-mortem: API returns 502\n")
    assert "| Severity | P0 — Critical, response 15 min |" in text
    assert "Connection pool exhausted after a deploy." in text
    assert "checkout fails" in text
    assert "| Duration | 15:00 |" in text
    assert "- Time to detect: 4:00" in text
    assert "- Time to acknowledge: 1:00" in text
    assert "- Time to mitigate: 15:00" in text
    assert "- Time to resolve: 20:00" in text
    # timeline in time order, relative to the start
    timeline = text.split("## Timeline")[1].split("## Procedures")[0]
    offsets = [line.split("|")[1].strip() for line in timeline.splitlines()
               if line.startswith("| +")]
    assert offsets[0] == "+0:00" and offsets[-1] == "+16:00"
    assert "| +1:00 | alice | Skipped: 1.2 Check recent deploys — no deploy |" in timeline
    assert "Note: pool size is 10 \\| too small" in timeline
    # procedure with done and skipped steps and why
    assert "- [x] 1.1 Check health — done +0:30 by alice" in text
    assert "~~1.2 Check recent deploys~~ — skipped +1:00 by alice: no deploy" in text
    assert "- [ ] 3.1 Verify resolution — not done" in text
    # evidence in a fence longer than the backticks inside it, commands and output
    assert "````text\n/health 502 ```fence``` in body\n````" in text
    assert "railway logs | grep ERROR" in text and "ERROR pool exhausted" in text
    assert "abc123secret" not in text
    assert "- [ ] raise pool size alerts" in text


def test_export_is_atomic_and_private(recorded: tuple[IncidentStore, int], tmp_path: Path) -> None:
    store, incident_id = recorded
    target = tmp_path / "out" / "pm.md"
    target.parent.mkdir()
    target.write_text("old contents")
    os.chmod(target, 0o644)
    export_postmortem(store.load(incident_id), target, now=T + 5000)
    assert target.read_text().startswith("# Post-mortem")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(p.name for p in target.parent.iterdir()) == ["pm.md"]


def test_a_failed_write_leaves_the_old_file_and_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "pm.md"
    target.write_text("previous export")

    def fail_fsync(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(export_module.os, "fsync", fail_fsync)
    with pytest.raises(OnDutyError, match=r"cannot write .*Input/output error"):
        write_export(target, "new")
    assert target.read_text() == "previous export"
    assert [p.name for p in tmp_path.iterdir()] == ["pm.md"]


def test_the_export_renames_only_after_fsync(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(export_module.os, "fsync",
                        lambda fd: (calls.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(export_module.os, "replace",
                        lambda a, b: (calls.append("replace"), real_replace(a, b))[1])
    write_export(tmp_path / "pm.md", "text")
    assert calls == ["fsync", "replace", "fsync"]  # file, rename, directory


def test_cli_list_show_export_resume(recorded: tuple[IncidentStore, int], tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    store, incident_id = recorded
    other = store.open_incident("DB slow", P0_POLICY, actor="bob").incident_id
    path = store.path

    out = io.StringIO()
    assert run_incident(["list"], store_path=path, out=out) == 0
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["ID", "STATE", "SEV", "OPENED", "(UTC)", "CLOCK", "TITLE"]
    assert lines[1].startswith(str(other)) and lines[1].endswith("DB slow")
    assert "resolved, closed" in lines[2] and lines[2].endswith("API returns 502")

    out = io.StringIO()
    assert run_incident(["show", f"#{incident_id}"], store_path=path, out=out) == 0
    shown = out.getvalue()
    assert "Incident #1: API returns 502" in shown
    assert "[-] 1.2 Check recent deploys (skipped: no deploy)" in shown
    assert "> [ ] 2.1 Read the error logs" in shown
    assert "Skipped: 1.2 Check recent deploys — no deploy" in shown

    target = tmp_path / "exported.md"
    out = io.StringIO()
    assert run_incident(["export", str(incident_id), "--output", str(target)],
                        store_path=path, out=out) == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert "# Post-mortem: API returns 502" in target.read_text()
    assert str(target) in out.getvalue()

    out = io.StringIO()
    assert run_incident(["resume", str(other)], store_path=path, out=out) == 0
    assert "is open" in out.getvalue() and "Run `onduty`" in out.getvalue()

    assert run_incident(["resume", str(incident_id)], store_path=path, out=io.StringIO()) == 2
    assert "is closed" in capsys.readouterr().err


def test_cli_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "none.sqlite3"
    out = io.StringIO()
    assert run_incident(["list"], store_path=missing, out=out) == 0
    assert "No incidents recorded yet" in out.getvalue()
    assert not missing.exists()
    assert run_incident(["show", "1"], store_path=missing) == 2
    assert "no incident store at" in capsys.readouterr().err
    with IncidentStore(missing):
        pass
    for argv in (["show", "abc"], ["show", "42"], ["export", "0"]):
        assert run_incident(argv, store_path=missing) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("onduty incident: ")
    with pytest.raises(SystemExit) as exit_info:
        run_incident(["frobnicate"], store_path=missing)
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_export_to_stdout(recorded: tuple[IncidentStore, int]) -> None:
    store, incident_id = recorded
    out = io.StringIO()
    assert run_incident(["export", str(incident_id), "-o", "-"], store_path=store.path,
                        out=out) == 0
    assert out.getvalue().startswith("# Post-mortem: API returns 502")

