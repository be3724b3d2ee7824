"""Durability of the incident timeline with the real `onduty` in tmux (FAULTS 34, 36, 39).

The engineer walks the checklist and adds a note; each time the screen shows the step as
done, the process is killed: SIGKILL (a crash), SIGHUP (the SSH link dropping, tmux
killed) and SIGTERM. The store is then read by another connection, entry by entry, and
the next `onduty` resumes the incident at the step where it was.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pytest

from tests.support.tmux import TMUX, TmuxSession, process_alive, wait_until
from tui.incidents.adapter import ProcedureRef, severity_policies, snapshot_procedure
from tui.incidents.store import IncidentStore
from tui.runbooks.library import bundled_runbooks

pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed "
                                "(.ci/system-packages.sh installs it; CI never skips this)")

ROOT = Path(__file__).resolve().parents[2]


def write_config(tmp_path: Path) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(
        f'bell = false\n[incidents]\nstore = "{tmp_path / "incidents.sqlite3"}"\n'
        '[environments.production]\nbase_url = "http://127.0.0.1:9"\n',
        encoding="utf-8",
    )
    return config


def open_incident(store_path: Path) -> None:
    """An incident on the bundled Service Down procedure, as `!` would open it."""
    runbooks = bundled_runbooks()
    runbook = next(rb for rb in runbooks if rb.source.endswith("service-down.md"))
    fallback = next(rb for rb in runbooks if rb.source.endswith("incident-response.md"))
    ref = ProcedureRef(runbook, runbook.procedures[0])
    with IncidentStore(store_path) as store:
        entry = store.open_incident("API down", severity_policies(runbook, fallback)[0],
                                    lead="alice")
        store.attach_procedure(entry.incident_id, snapshot_procedure(ref))


def timeline(store_path: Path) -> list[tuple[str, str]]:
    """(kind, step or note text) of every entry, read by a fresh connection."""
    with IncidentStore(store_path) as store:
        return [(e.kind, str(e.payload.get("step") or e.payload.get("text") or ""))
                for e in store.entries(1)]


def console(tmp_path: Path, config: Path) -> TmuxSession:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_STATE_HOME": str(home / ".state"),
        "XDG_DATA_HOME": str(home / ".data"),
        "TERM": "xterm-256color",
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
    }
    return TmuxSession([sys.executable, "-m", "tui.cli", "--config", str(config), "--env",
                        "production"], width=120, height=40, env=env, name="incident")


def resumed_at(session: TmuxSession, step: str) -> None:
    session.wait_for(lambda s: "incident #1" in s, 30, "the console with the incident")
    session.send("5")
    session.wait_for(lambda s: f"▸ ☐ {step}" in s, 15, f"the checklist resumed at {step}")


def done(session: TmuxSession, step: str) -> None:
    session.send("Space")
    session.wait_for(lambda s: f"✓ {step}" in s, 10, f"step {step} shown done")


def test_sigkill_sighup_and_sigterm_lose_nothing_the_screen_acknowledged(
        tmp_path: Path) -> None:
    config = write_config(tmp_path)
    store_path = tmp_path / "incidents.sqlite3"
    open_incident(store_path)
    expected = [("opened", ""), ("procedure_attached", "")]

    session = console(tmp_path, config)
    try:
        pid = session.pane_pid
        resumed_at(session, "1.1")
        done(session, "1.1")
        session.send(".")
        session.wait_for(lambda s: "Note for incident #1" in s, 10, "the note dialog")
        session.send("-l", "pool exhausted [db]")
        session.send("Enter")
        session.wait_for(lambda s: "Note: pool exhausted [db]" in s, 10, "the note shown")
        done(session, "1.2")
        os.kill(pid, signal.SIGKILL)
        wait_until(lambda: not process_alive(pid), 10, "onduty to die")
    finally:
        session.hang_up()
    expected += [("step_done", "1.1"), ("note", "pool exhausted [db]"), ("step_done", "1.2")]
    assert timeline(store_path) == expected

    session = console(tmp_path, config)
    pid = session.pane_pid
    try:
        resumed_at(session, "1.3")
        done(session, "1.3")
    finally:
        session.hang_up()  # SIGHUP, like a dropped SSH link
    wait_until(lambda: not process_alive(pid), 10, "onduty to exit on SIGHUP")
    expected.append(("step_done", "1.3"))
    assert timeline(store_path) == expected

    session = console(tmp_path, config)
    try:
        pid = session.pane_pid
        resumed_at(session, "2.1")
        done(session, "2.1")
        os.kill(pid, signal.SIGTERM)
        wait_until(lambda: not process_alive(pid), 10, "onduty to exit on SIGTERM")
    finally:
        session.hang_up()
    expected.append(("step_done", "2.1"))
    assert timeline(store_path) == expected
