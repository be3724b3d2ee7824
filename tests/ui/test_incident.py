"""The guided incident in the console, with Pilot: open, walk, evidence, notes, quit, resume.

Engines are off; the hubs' latest data is fed in through FakeEngines (the same immutable
results the real hubs publish). The incident store is a real SQLite file in tmp_path,
read back with a second connection to check that what the screen shows is on disk.
"""

from __future__ import annotations

import threading
from pathlib import Path

from textual.widgets import Select

from tests.support.incident_ui import (
    db_snapshot,
    endpoint_state,
    feed_engines,
    log_view,
    make_app,
    open_incident,
    screen_text,
    started,
    store_path,
)
from tests.support.incidents import wait_for
from tui.db.actions import ActionOutcome, cancel_request
from tui.health.model import Verdict
from tui.incidents.model import EntryKind, StepStatus
from tui.incidents.store import IncidentStore
from widgets.db_pane import DbPane
from widgets.incident_checklist import Checklist, step_key
from widgets.log_pane import LogPane
from widgets.status_bar import StatusBar


def prompt(checklist: Checklist, step: str) -> str:
    """The checklist line(s) of one step as plain text."""
    return str(checklist.get_option(step_key(0, step)).prompt)


def stored(tmp_path: Path) -> list[tuple[str, dict]]:
    """(kind, payload) of every entry of the open incident, read by another connection."""
    with IncidentStore(store_path(tmp_path)) as store:
        incident_id = store.incidents()[0].id
        return [(e.kind, dict(e.payload)) for e in store.entries(incident_id)]


async def test_open_uses_the_runbook_scale_marks_the_baseline_and_shows_timers(
        tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        engines = feed_engines(app)
        await started(app)
        await pilot.press("exclamation_mark")
        await wait_for(lambda: type(app.screen).__name__ == "OpenIncidentDialog")
        dialog = app.screen
        dialog.query_one("#open-procedure", Select).value = next(
            k for k in dialog._refs if "service-down" in k)
        await pilot.pause()
        labels = [str(prompt) for prompt, _value in
                  dialog.query_one("#open-severity", Select)._options]
        # service-down.md has no scale of its own: incident-response.md's P0-P3 applies.
        assert labels == ["P0 Critical — respond within 15 min", "P1 High — respond within 1 h",
                          "P2 Medium — respond within 4 h", "P3 Low — respond within 1 d"]
        await pilot.click("#open-confirm")
        await wait_for(lambda: app.incidents.incident is not None)
        await pilot.pause()
        assert app.current_mode == "incident"
        assert engines.db.baselines == 1
        kinds = [kind for kind, _ in stored(tmp_path)]
        assert kinds == ["opened", "procedure_attached"]
        footer = app.screen.query_one(StatusBar).incident
        assert footer.startswith("#1 P0 0:0")
        assert " · Confirm 0:0" in footer and "/5 min · " in footer
        assert footer.endswith("15 min: Engineering lead — in 14:5" + footer[-1])
        assert "update" not in footer  # the status update joins once it is due soon
        soon = app.incidents.incident.opened_at + 25 * 60
        assert app.incidents.footer(soon).endswith("update in 5:00")
        await pilot.press("1")
        assert "#1 P0" in app.screen.query_one(StatusBar).incident
        assert "1.1 Confirm from outside" in screen_text(app)


async def test_walking_a_whole_bundled_procedure_with_live_evidence(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 50)) as pilot:
        engines = feed_engines(app)
        engines.health.current = (endpoint_state(Verdict.DOWN, reason="503 Service Unavailable"),)
        engines.logs.current = log_view(["GET / 200", "ERROR connect ECONNREFUSED [db]",
                                         "fatal: crash [/]"])
        engines.db.current = db_snapshot(total=91)
        await open_incident(app, pilot, "service-down.md#Service Down")
        checklist = app.screen.query_one(Checklist)
        assert checklist.has_focus
        await wait_for(lambda: "503 Service Unavailable" in screen_text(app),
                       message="the health evidence beside step 1.1")
        text = screen_text(app)
        assert "health: production: production: 1 down" in text
        assert "$ curl -fsS --max-time 10 https://api.example.com/health" in text

        await pilot.press("a")  # attach the health evidence
        await wait_for(lambda: any(k == "evidence" for k, _ in stored(tmp_path)))
        evidence = next(p for k, p in stored(tmp_path) if k == "evidence")
        assert evidence["check"] == "health: production" and evidence["step"] == "1.1"
        assert evidence["ok"] is False and "503" in evidence["text"]

        incident_steps = [s.step.id for p in app.incidents.incident.procedures
                          for ph in p.phases for s in ph.steps]
        assert incident_steps == ["1.1", "1.2", "1.3", "2.1", "2.2", "2.3", "2.4",
                                  "3.1", "3.2", "3.3", "4.1", "4.2"]
        for step in incident_steps:
            current = app.incidents.incident.current
            assert current is not None and current[2].step.id == step
            if step == "2.1":
                assert "2 matching lines in the last 15 min — last: fatal: crash [/]" in \
                    prompt(checklist, step)
            if step == "2.3":
                assert "91/100 connections (91%)" in prompt(checklist, step)
            if step == "3.1":
                await pilot.press("s")
                await wait_for(lambda: type(app.screen).__name__ == "ReasonDialog")
                await pilot.press("enter")  # an empty reason is refused
                assert type(app.screen).__name__ == "ReasonDialog"
                app.screen.query_one("Input").value = "no deploy in the last day"
                await pilot.press("enter")
            else:
                await pilot.press("space")
            await wait_for(lambda s=step: app.incidents.incident.current is None
                           or app.incidents.incident.current[2].step.id != s,
                           message=f"step {step} to be recorded")
        await pilot.pause()
        assert app.incidents.incident.current is None
        assert "12/12 steps" in screen_text(app)

        await pilot.press("b")  # back: the last resolved step is pending again
        await wait_for(lambda: app.incidents.incident.current is not None)
        assert app.incidents.incident.current[2].step.id == "4.2"

    entries = stored(tmp_path)
    kinds = [kind for kind, _ in entries]
    assert kinds[:3] == ["opened", "procedure_attached", "evidence"]
    walked = [(k, p["step"]) for k, p in entries if k in ("step_done", "step_skipped")]
    assert walked == [("step_skipped" if s == "3.1" else "step_done", s) for s in incident_steps]
    skipped = next(p for k, p in entries if k == "step_skipped")
    assert skipped["reason"] == "no deploy in the last day"
    assert entries[-1] == ("step_undone", {"procedure": 0, "step": "4.2"})


async def test_a_step_shows_done_only_after_the_store_acknowledged_it(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_incident(app, pilot, "service-down.md#Service Down")
        store = app.incidents._store.store
        real_append = store.append
        gate = threading.Event()

        def slow_append(*args, **kwargs):  # the disk is slow: the commit waits for the gate
            assert gate.wait(5)
            return real_append(*args, **kwargs)

        store.append = slow_append
        await pilot.press("space")
        await wait_for(lambda: "saving…" in screen_text(app), message="the saving marker")
        assert "✓ 1.1" not in screen_text(app)
        assert app.incidents.incident.procedures[0].phases[0].steps[0].status \
            is StepStatus.PENDING
        gate.set()
        await wait_for(lambda: "✓ 1.1" in screen_text(app), message="the step shown done")
        assert ("step_done", {"procedure": 0, "step": "1.1"}) in stored(tmp_path)
        assert "saving…" not in screen_text(app)


async def test_notes_from_any_screen_keep_brackets_literal(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app)
        await pilot.press("full_stop")
        await pilot.pause()
        assert type(app.screen).__name__ != "NoteDialog"  # no incident: nothing to note on
        await open_incident(app, pilot, "service-down.md#Service Down")
        for screen_key in ("3", "4", "1"):
            await pilot.press(screen_key)
            await pilot.press("full_stop")
            await wait_for(lambda: type(app.screen).__name__ == "NoteDialog")
            app.screen.query_one("Input").value = f"[bold]seen on {screen_key}[/] [@click=app.quit]"
            await pilot.press("enter")
            await wait_for(lambda k=screen_key: any(
                kind == "note" and f"seen on {k}" in p["text"] for kind, p in stored(tmp_path)))
        await pilot.press("5")
        await pilot.pause()
        assert "Note: [bold]seen on 1[/] [@click=app.quit]" in screen_text(app)
        assert app.is_running


async def test_quit_asks_first_while_an_incident_is_open(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_incident(app, pilot, "service-down.md#Service Down")
        await pilot.press("q")
        assert type(app.screen).__name__ == "QuitDialog"
        await wait_for(lambda: "Quit onduty?" in screen_text(app))
        assert "is still open. Everything" in screen_text(app)
        await pilot.press("n")
        assert type(app.screen).__name__ == "IncidentScreen" and app.is_running
        await pilot.press("ctrl+c")
        assert type(app.screen).__name__ == "QuitDialog"
        await pilot.press("escape")
        assert app.is_running
        await pilot.press("ctrl+q")  # Textual's own ctrl+q would quit without asking
        assert type(app.screen).__name__ == "QuitDialog"
        await pilot.press("escape")
        assert app.is_running
        await pilot.press("q")
        await pilot.press("y")
        await wait_for(lambda: not app.is_running, message="the app to exit")


async def test_quit_without_an_incident_does_not_ask(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await started(app)
        await pilot.press("q")
        await wait_for(lambda: not app.is_running, message="the app to exit")


async def test_restart_resumes_the_open_incident_at_its_step(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_incident(app, pilot, "service-down.md#Service Down", title="API down")
        for _ in range(4):
            before = app.incidents.incident.current[2].step.id
            await pilot.press("space")
            await wait_for(lambda b=before: app.incidents.incident.current[2].step.id != b)
    again = make_app(tmp_path)
    async with again.run_test(size=(120, 40)) as pilot:
        await started(again)
        await wait_for(lambda: again.incidents.incident is not None,
                       message="the incident to be resumed")
        incident = again.incidents.incident
        assert incident.title == "API down"
        assert incident.current[2].step.id == "2.2"
        await pilot.press("exclamation_mark")  # goes to it, no dialog
        await pilot.pause()
        assert type(again.screen).__name__ == "IncidentScreen"
        text = screen_text(again)
        assert "▸ ☐ 2.2 See whether the process is running" in text
        assert "✓ 2.1" in text
        assert again.screen.query_one(StatusBar).incident.startswith("#1 P0 ")
        assert any("Resumed incident #1" in str(n.message) for n in again._notifications)


async def test_due_escalation_rings_records_once_and_keeps_focus(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_incident(app, pilot, "service-down.md#Service Down")
        rings: list[int] = []
        app.bell = lambda: rings.append(1)  # type: ignore[method-assign]
        focused = app.focused
        later = app.incidents.incident.opened_at + 16 * 60
        alerts = await app.incidents.record_due_alerts(later)
        assert [a.kind for a in alerts] == [EntryKind.ESCALATION_DUE, EntryKind.PHASE_OVERDUE]
        assert await app.incidents.record_due_alerts(later + 1) == []  # recorded: not again
        await pilot.pause()
        assert len(rings) == 2
        assert app.focused is focused and type(app.screen).__name__ == "IncidentScreen"
        messages = [str(n.message) for n in app._notifications]
        assert "Escalate to Engineering lead (15 min, P0)" in messages
        kinds = [kind for kind, _ in stored(tmp_path)]
        assert kinds.count("escalation_due") == 1 and kinds.count("phase_overdue") == 1


async def test_health_changes_and_pinned_log_lines_reach_the_timeline(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        engines = feed_engines(app)
        await open_incident(app, pilot, "service-down.md#Service Down")
        for listener in engines.health.on_change:
            listener(endpoint_state(Verdict.DOWN, reason="timeout after 10 s"))
        await wait_for(lambda: any(k == "health_change" for k, _ in stored(tmp_path)))
        change = next(p for k, p in stored(tmp_path) if k == "health_change")
        assert change["after"] == "down" and change["target"] == "/health"
        lines = tuple(log_view(["ERROR boom password=hunter2"]).lines)
        app.post_message(LogPane.AttachLines(lines, "api: ERROR boom password=hunter2"))
        await wait_for(lambda: any(k == "log_lines" for k, _ in stored(tmp_path)))
        pinned = next(p for k, p in stored(tmp_path) if k == "log_lines")
        assert pinned["source"] == "api"
        assert "hunter2" not in str(pinned["lines"]) and "boom" in str(pinned["lines"])


async def test_a_database_action_reaches_the_timeline(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_incident(app, pilot, "service-down.md#Service Down")
        request = cancel_request(4242)
        outcome = ActionOutcome(request=request, environment="production",
                                target="app@db/app", ok=False, outcome="not cancelled",
                                server_error="permission denied to cancel query")
        app.post_message(DbPane.ActionDone("cancel backend 4242 on production",
                                           "not cancelled: permission denied", outcome))
        await wait_for(lambda: any(k == "db_action" for k, _ in stored(tmp_path)))
        action = next(p for k, p in stored(tmp_path) if k == "db_action")
        assert action["action"] == request.kind.value
        assert action["target"] == "cancel backend 4242 on production"
        assert action["detail"] == "permission denied to cancel query"


async def test_status_update_fills_the_template_copies_and_records(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_incident(app, pilot, "service-down.md#Service Down", title="API [prod] down")
        await pilot.press("u")
        await wait_for(lambda: type(app.screen).__name__ == "TemplateDialog")
        text = app.screen.query_one("TextArea").text
        assert text.startswith("P0 incident: API [prod] down")
        assert "Lead: " in text and "[who-is-affected]" in text
        assert "Next update in 30 min" in text
        await pilot.click("#template-copy")
        await wait_for(lambda: any(k == "status_update_sent" for k, _ in stored(tmp_path)))
        assert app.clipboard == text.strip()
        sent = next(e for e in app.incidents.incident.entries if e.kind == "status_update_sent")
        assert app.incidents.timers(sent.at).status_update.remaining_s == 30 * 60


async def test_close_exports_the_post_mortem_and_frees_the_console(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    target = tmp_path / "pm.md"
    async with app.run_test(size=(120, 40)) as pilot:
        await open_incident(app, pilot, "service-down.md#Service Down", title="API down")
        await pilot.press("space")
        await wait_for(lambda: app.incidents.incident.procedures[0].resolved == 1)
        await pilot.press("C")
        await wait_for(lambda: type(app.screen).__name__ == "CloseDialog")
        app.screen.query_one("#close-summary").value = "pool exhausted; restarted"
        app.screen.query_one("#close-export").value = str(target)
        await pilot.click("#close-confirm")
        await wait_for(lambda: target.exists(), message="the post-mortem file")
        await wait_for(lambda: app.incidents.incident is None)
        await pilot.pause()
        assert "No incident open." in screen_text(app)
        assert app.screen.query_one(StatusBar).incident == ""
    assert target.stat().st_mode & 0o777 == 0o600
    body = target.read_text()
    assert "API down" in body and "1.1" in body
    with IncidentStore(store_path(tmp_path)) as store:
        assert store.open_incident_id() is None
        assert store.load(1).state.value == "resolved"


RUNBOOK = """# Test Operations

## Restart the worker

**Act (0-5 minutes):**
1. Print the target.
   ```bash
   printf '%s\\n' [target]
   ```
2. Restart the worker.
   ```bash
   echo restarting [target]
   ```
"""


async def test_run_fills_variables_as_argv_and_destructive_needs_the_name(
        tmp_path: Path, monkeypatch) -> None:
    folder = tmp_path / "runbooks"
    folder.mkdir()
    (folder / "ops.md").write_text(RUNBOOK, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    app = make_app(tmp_path, runbooks=folder)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_incident(app, pilot, "ops.md#Restart the worker")
        await pilot.press("R")
        await wait_for(lambda: type(app.screen).__name__ == "CommandDialog")
        hostile = "x'; touch pwned #"
        app.screen.query_one("#var-0").value = hostile
        await pilot.pause()
        assert "printf '%s\\n' 'x'\"'\"'; touch pwned #'" in screen_text(app)
        await pilot.click("#command-go")
        await wait_for(lambda: any(k == "command" for k, _ in stored(tmp_path)),
                       message="the command entry")
        command = next(p for k, p in stored(tmp_path) if k == "command")
        assert command["argv"] == ["printf", "%s\\n", hostile]
        assert command["exit_code"] == 0 and command["output"] == hostile + "\n"
        assert command["step"] == "1.1"
        assert not (tmp_path / "pwned").exists()

        await pilot.press("space")
        await wait_for(lambda: app.incidents.incident.current[2].step.id == "1.2")
        await pilot.press("R")
        await wait_for(lambda: type(app.screen).__name__ == "CommandDialog")
        dialog = app.screen
        dialog.query_one("#var-0").value = "worker-7"
        await pilot.pause()
        go = dialog.query_one("#command-go")
        assert go.disabled
        assert "destructive: type worker-7 to confirm" in screen_text(app)
        dialog.query_one("#command-confirm").focus()
        await pilot.press("enter")  # Enter alone never confirms
        assert app.screen is dialog and go.disabled
        dialog.query_one("#command-confirm").focus()
        await pilot.press(*"worker", "minus")
        assert go.disabled
        await pilot.press("7")
        assert not go.disabled
        await pilot.click("#command-go")
        await wait_for(lambda: sum(k == "command" for k, _ in stored(tmp_path)) == 2)
        second = [p for k, p in stored(tmp_path) if k == "command"][-1]
        assert second["argv"] == ["echo", "restarting", "worker-7"]
        assert second["output"] == "restarting worker-7\n"
