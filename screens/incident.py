"""The incident screen, the incident wiring the dashboard shares, and the incident actions.

:class:`IncidentActions` is what every key and palette command about the incident goes
through: it asks (dialogs), then calls the incident hub in a worker, and reports. The
checklist is re-rendered from the hub's incident after the store acknowledged a change,
never before: a step shows as done only once it is on disk.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult, SystemCommand
from textual.signal import Signal

from screens.base import ConsoleScreen
from tui.errors import OnDutyError
from tui.incidents.adapter import ProcedureRef, policy_label
from tui.incidents.evidence import Evidence, EvidenceSources
from tui.incidents.model import (
    EntryKind,
    Incident,
    IncidentState,
    Role,
    StepProgress,
)
from tui.incidents.store import default_actor
from tui.incidents.timers import DueAlert
from tui.redact import redact
from tui.sanitize import sanitize
from widgets.incident_checklist import Checklist, ChecklistView, step_key
from widgets.incident_pane import IncidentPane
from widgets.status_bar import StatusBar

if TYPE_CHECKING:  # the dialogs load when first opened, not before the first frame
    from screens.incident_command import CommandRequest
    from screens.incident_dialogs import CloseRequest, NoteRequest, UpdateRequest
    from screens.incident_open import OpenRequest
    from tui.app import OnDutyApp
    from tui.hub.incident import IncidentHub

log = logging.getLogger(__name__)

STATE_LABELS = {
    IncidentState.INVESTIGATING: "investigating — looking for the cause",
    IncidentState.IDENTIFIED: "identified — the cause is known",
    IncidentState.MONITORING: "monitoring — mitigated, watching",
    IncidentState.RESOLVED: "resolved — the impact is over",
}


def find_step(incident: Incident, procedure: int, step: str) -> StepProgress | None:
    """The progress of one step of an attached procedure."""
    if not 0 <= procedure < len(incident.procedures):
        return None
    for phase in incident.procedures[procedure].phases:
        for progress in phase.steps:
            if progress.step.id == step:
                return progress
    return None


def incident_label(incident: Incident) -> str:
    """``incident #3 "Service down"``."""
    return f'incident #{incident.id} "{incident.title}"'


class IncidentActions:
    """Asks, records, reports: the incident's user actions for every screen and the palette."""

    def __init__(self, app: OnDutyApp) -> None:
        self.app = app
        self.pending: set[str] = set()

    @property
    def hub(self) -> IncidentHub:
        return self.app.incidents

    # ------------------------------------------------------------------ wiring to the app

    def create_hub(self, *, store_enabled: bool) -> IncidentHub:
        """The app's incident hub, reading evidence from the app's latest engine data."""
        from tui.hub.incident import IncidentCallbacks, IncidentHub

        app = self.app
        sources = EvidenceSources(
            health=lambda: app.health_states(),
            logs=lambda: app.log_view(),
            db=lambda: app.db_snapshot(),
            environment=lambda: app.environment_name,
        )
        callbacks = IncidentCallbacks(changed=self._changed, alert=self._alert,
                                      tick=self._tick, opened=self._opened_incident)
        return IncidentHub(app.config, sources, callbacks, store_enabled=store_enabled,
                           environment=lambda: app.environment)

    async def start(self) -> None:
        """Start the hub (resuming the open incident) and listen to the other panes."""
        await self.hub.start()
        self.listen_to_engines()
        incident = self.hub.incident
        if incident is not None:
            current = incident.current
            where = (f"at step {current[2].step.id} {current[2].step.text}" if current
                     else "with every step resolved")
            self._say(f"Resumed {incident_label(incident)} {where}. ! goes to it.",
                            timeout=8)
        if self.hub.problem:
            self._say(f"Incidents unavailable: {self.hub.problem}", severity="error",
                            timeout=10)

    def listen_to_engines(self) -> None:
        """Put the health hub's verdict changes on the timeline (once per engines)."""
        health = getattr(self.app.engines, "health", None)
        listeners = getattr(health, "on_change", None)
        if isinstance(listeners, list) and self._health_changed not in listeners:
            listeners.append(self._health_changed)

    def _changed(self, incident: Incident | None) -> None:
        self.app.incident_changed.publish(incident)
        self.app.status_changed.publish(self.app.status_info())

    def _tick(self) -> None:
        if self.hub.incident is not None:
            self.app.status_changed.publish(self.app.status_info())

    def _alert(self, alert: DueAlert) -> None:
        """A due escalation, status update or overdue phase: loud, but focus stays put."""
        if self.app.config.bell:
            self.app.bell()
        loud = alert.kind is not EntryKind.STATUS_UPDATE_DUE
        self._say(alert.message, title="incident",
                        severity="error" if loud else "warning", timeout=20)

    def _opened_incident(self, incident: Incident) -> None:
        """Mark the database baseline (if the database hub can) so deltas start here."""
        db = getattr(self.app.engines, "db", None)
        mark = getattr(db, "mark_baseline", None)
        if callable(mark):
            mark()

    def _health_changed(self, state: Any) -> None:
        """A health verdict changed: onto the timeline of the open incident."""
        if self.hub.incident is None:
            return
        change = state.changes[-1] if getattr(state, "changes", ()) else None
        payload = {
            "environment": state.env,
            "target": state.endpoint,
            "before": (change.previous if change else state.previous).value,
            "after": state.verdict.value,
            "detail": change.reason if change else "",
        }
        self._work(lambda: self.hub.record(EntryKind.HEALTH_CHANGE, payload))

    def attach_log_lines(self, source: str, lines: list[str]) -> None:
        """Lines pinned from the log pane (``x``) onto the timeline."""
        if self._open_incident() is None:
            return
        self._work(lambda: self.hub.record(EntryKind.LOG_LINES,
                                           {"source": source, "lines": lines}),
                   done=f"{len(lines)} log line(s) attached to the incident.")

    def record_db_action(self, action: str, target: str, outcome: str,
                         detail: str = "") -> None:
        """A database action (cancel, terminate, EXPLAIN) onto the timeline, if one is open.

        The hook for the database pane's ``ActionDone`` message.
        """
        payload = {"action": action, "target": target, "outcome": outcome, "detail": detail}
        self._work(lambda: self.hub.record(EntryKind.DB_ACTION, payload))

    def request_quit(self) -> None:
        """q / ctrl+c: quit at once, or ask first while an incident is open."""
        incident = self.hub.incident
        from screens.incident_dialogs import QuitDialog

        if incident is None or isinstance(self.app.screen, QuitDialog):
            self.app.exit(0)
            return

        def answered(quit_now: bool | None) -> None:
            if quit_now:
                self.app.exit(0)

        self.app.push_screen(QuitDialog(incident_label(incident)), answered)

    # ------------------------------------------------------------------ plumbing

    def _say(self, message: str, **kwargs: Any) -> None:
        """A notification; its text may hold data, so it is sanitised and never markup."""
        self.app.notify(sanitize(message), markup=False, **kwargs)

    def _work(self, make: Callable[[], Awaitable[Any]], *, done: str = "",
              pending: str | None = None) -> None:
        """Run ``make()`` in a worker; errors become notifications, never crashes."""

        async def run() -> None:
            if pending is not None:
                self.pending.add(pending)
                self.app.incident_changed.publish(self.hub.incident)
            try:
                await make()
            except OnDutyError as exc:
                self._say(str(exc), severity="error", timeout=8)
            except Exception as exc:  # a worker must never take the console down
                log.exception("incident action failed")
                self._say(f"failed: {exc}", severity="error", timeout=8)
            else:
                if done:
                    self._say(done, timeout=4)
            finally:
                if pending is not None:
                    self.pending.discard(pending)
                    self.app.incident_changed.publish(self.hub.incident)

        self.app.run_worker(run(), group="incident", exit_on_error=False)

    def _open_incident(self) -> Incident | None:
        incident = self.hub.incident
        if incident is None:
            self._say("No incident is open: press ! to open one.", timeout=4)
        return incident

    # ------------------------------------------------------------------ incident-wide

    def open_or_go(self) -> None:
        """`!`: go to the open incident, or open one."""
        self.app.action_go("incident")
        if self.hub.incident is None:
            self.open_dialog()

    def open_dialog(self, procedure: str | None = None) -> None:
        """Ask for title, procedure, severity and lead, then open the incident."""
        if not self.hub.store_enabled:
            self._say("Incidents are off in this session (no incident store).",
                            severity="warning", timeout=5)
            return

        async def ask() -> None:
            library = await self.hub.library_ready()
            lead = default_actor().split("@", 1)[0]
            from screens.incident_open import OpenIncidentDialog

            self.app.push_screen(OpenIncidentDialog(library, procedure=procedure, lead=lead),
                                 self._opened)

        self._work(ask)

    def _opened(self, request: OpenRequest | None) -> None:
        if request is None:
            return

        async def open_it() -> None:
            incident = await self.hub.open(request.title, request.severity, request.procedure,
                                           lead=request.lead, impact=request.impact)
            self.app.action_go("incident")
            self._say(f"Opened {incident_label(incident)} "
                            f"({incident.severity.level.name}). Every step is saved as you go.",
                            timeout=6)

        self._work(open_it)

    def note(self) -> None:
        """`.`: a note, from any screen."""
        incident = self._open_incident()
        if incident is None:
            return

        def save(request: NoteRequest | None) -> None:
            if request is not None:
                self._work(lambda: self.hub.note(request.text, follow_up=request.follow_up),
                           done="Note saved.")

        from screens.incident_dialogs import NoteDialog

        self.app.push_screen(NoteDialog(incident_label(incident)), save)

    def change_state(self) -> None:
        incident = self._open_incident()
        if incident is None:
            return
        choices = [(state.value, ("● " if state is incident.state else "  ") + label)
                   for state, label in STATE_LABELS.items()]

        def chosen(value: str | None) -> None:
            if value and value != incident.state.value:
                self._work(lambda: self.hub.set_state(IncidentState(value)),
                           done=f"Incident is now {value}.")

        from screens.incident_dialogs import ChoiceDialog

        self.app.push_screen(ChoiceDialog("Incident state", choices), chosen)

    def change_severity(self) -> None:
        incident = self._open_incident()
        if incident is None:
            return

        async def ask() -> None:
            library = await self.hub.library_ready()
            source = incident.procedures[0].snapshot.source if incident.procedures else ""
            ref = next((r for r in library.procedures if r.key == source), None)
            policies = library.severities(ref)
            choices = [(str(i), ("● " if p.level.name == incident.severity.level.name else "  ")
                        + policy_label(p)) for i, p in enumerate(policies)]

            def chosen(value: str | None) -> None:
                if value is None:
                    return
                policy = policies[int(value)]
                if policy.level.name != incident.severity.level.name:
                    self._work(lambda: self.hub.set_severity(policy),
                               done=f"Severity is now {policy.level.name}; its escalation "
                               "schedule starts now.")

            from screens.incident_dialogs import ChoiceDialog

            self.app.push_screen(ChoiceDialog("Severity", choices), chosen)

        self._work(ask)

    def assign_role(self) -> None:
        incident = self._open_incident()
        if incident is None:
            return
        choices = [(role.value, f"{role.value}: {incident.roles.get(role, '—')}")
                   for role in Role]

        def chosen(role: str | None) -> None:
            if role is None:
                return

            def named(who: str | None) -> None:
                if who is not None:
                    self._work(lambda: self.hub.assign(Role(role), who),
                               done=f"{role}: {who}")

            from screens.incident_dialogs import ReasonDialog

            self.app.push_screen(ReasonDialog(f"Who is the {role}?", "name"), named)

        from screens.incident_dialogs import ChoiceDialog

        self.app.push_screen(ChoiceDialog("Assign a role", choices), chosen)

    def attach_procedure(self, key: str | None = None) -> None:
        """Attach another procedure (or ``key``) to the open incident."""
        if self._open_incident() is None:
            return

        async def ask() -> None:
            library = await self.hub.library_ready()
            if key is not None:
                ref = library.find(key)
                if ref is not None:
                    self._attach(ref)
                return
            choices = [(ref.key, ref.label) for ref in library.procedures]

            def chosen(value: str | None) -> None:
                ref = library.find(value) if value else None
                if ref is not None:
                    self._attach(ref)

            from screens.incident_dialogs import ChoiceDialog

            self.app.push_screen(ChoiceDialog("Attach a procedure", choices), chosen)

        self._work(ask)

    def _attach(self, ref: ProcedureRef) -> None:
        self._work(lambda: self.hub.attach(ref),
                   done=f"Attached {ref.procedure.title}.")

    def status_update(self) -> None:
        """`u`: fill a communication template, copy it, record it as sent."""
        incident = self._open_incident()
        if incident is None:
            return

        async def ask() -> None:
            await self.hub.library_ready()
            templates = self.hub.templates(incident)
            if not templates:
                self._say("No communication templates in the runbooks.", timeout=5)
                return
            now = time.time()
            filled = [(t.name, self.hub.fill(t, incident, now)) for t in templates]
            sent = incident.entries_of(EntryKind.STATUS_UPDATE_SENT)
            wanted = ("resolution" if incident.state is IncidentState.RESOLVED
                      else "status update" if sent else "initial alert")
            selected = next((name for name, _ in filled if name.casefold() == wanted),
                            filled[0][0])

            def copied(request: UpdateRequest | None) -> None:
                if request is not None:
                    self.app.copy_to_clipboard(request.text)
                    self._send_update(request)

            from screens.incident_dialogs import TemplateDialog

            self.app.push_screen(TemplateDialog(filled, selected,
                                                webhook=self.hub.webhook_configured), copied)

        self._work(ask)

    def _send_update(self, request: UpdateRequest) -> None:
        """Record the update (posting it first if asked) and say how the post went."""
        if not request.post:
            self._work(lambda: self.hub.status_update_sent(request.text),
                       done="Copied to the clipboard and recorded as sent.")
            return

        async def send() -> None:
            _incident, outcome = await self.hub.send_status_update(request.text, post=True)
            if outcome is not None and outcome.ok:
                self._say("Copied, posted to the webhook and recorded as sent.", timeout=5)
            elif outcome is not None:
                self._say(f"Copied and recorded, but the webhook post {outcome.summary}",
                          severity="error", timeout=10)

        self._say("Copied; posting to the webhook…", timeout=3)
        self._work(send)

    def close(self) -> None:
        incident = self._open_incident()
        if incident is None:
            return
        default = Path.cwd() / f"incident-{incident.id}-postmortem.md"

        def chosen(request: CloseRequest | None) -> None:
            if request is None:
                return

            async def close_it() -> None:
                closed = await self.hub.close(request.summary)
                message = f"Closed {incident_label(closed)}."
                if request.export is not None:
                    written = await self.hub.export(closed, request.export)
                    message += f" Post-mortem written to {written} (mode 0600)."
                self._say(message, timeout=10)

            self._work(close_it)

        from screens.incident_dialogs import CloseDialog

        self.app.push_screen(CloseDialog(incident_label(incident), default), chosen)

    def export(self) -> None:
        """Write the post-mortem of the open incident so far."""
        incident = self._open_incident()
        if incident is None:
            return
        target = Path.cwd() / f"incident-{incident.id}-postmortem.md"

        async def write() -> None:
            written = await self.hub.export(incident, target)
            self._say(f"Post-mortem so far written to {written} (mode 0600).",
                            timeout=8)

        self._work(write)

    # ------------------------------------------------------------------ one step

    def step_action(self, action: str, procedure: int | None, step: str | None) -> None:
        """A checklist key on a step (or on the incident for u/S/V/L/P/C)."""
        incident_wide: dict[str, Callable[[], None]] = {
            "update": self.status_update,
            "state": self.change_state,
            "severity": self.change_severity,
            "roles": self.assign_role,
            "attach": self.attach_procedure,
            "close": self.close,
        }
        if action in incident_wide:
            incident_wide[action]()
            return
        incident = self._open_incident()
        if incident is None:
            return
        if procedure is None or step is None:
            self._say("Highlight a step first.", timeout=3)
            return
        progress = find_step(incident, procedure, step)
        if progress is None:
            return
        handlers: dict[str, Callable[[Incident, int, StepProgress], None]] = {
            "done": self._done,
            "skip": self._skip,
            "back": self._back,
            "evidence": self._evidence,
            "copy": self._copy,
            "run": self._run,
        }
        handler = handlers.get(action)
        if handler is not None:
            handler(incident, procedure, progress)

    def _done(self, incident: Incident, procedure: int, progress: StepProgress) -> None:
        if progress.resolved:
            self._say(f"Step {progress.step.id} is already {progress.status.value}; "
                            "b takes it back.", timeout=4)
            return
        self._work(lambda: self.hub.mark_done(procedure, progress.step.id),
                   pending=step_key(procedure, progress.step.id))

    def _skip(self, incident: Incident, procedure: int, progress: StepProgress) -> None:
        if progress.resolved:
            self._say(f"Step {progress.step.id} is already {progress.status.value}.",
                            timeout=4)
            return

        def reason(text: str | None) -> None:
            if text:
                self._work(lambda: self.hub.skip(procedure, progress.step.id, text),
                           pending=step_key(procedure, progress.step.id))

        from screens.incident_dialogs import ReasonDialog

        self.app.push_screen(ReasonDialog(f"Skip step {progress.step.id}: why?",
                                          "e.g. not on Fly.io; done by someone else"), reason)

    def _back(self, incident: Incident, procedure: int, progress: StepProgress) -> None:
        target = progress
        if not progress.resolved:
            resolved = [s for ph in incident.procedures[procedure].phases for s in ph.steps
                        if s.resolved]
            if not resolved:
                self._say("No step to take back.", timeout=3)
                return
            target = max(resolved, key=lambda s: s.at or 0.0)
        self._work(lambda: self.hub.undo(procedure, target.step.id),
                   pending=step_key(procedure, target.step.id),
                   done=f"Step {target.step.id} is pending again.")

    def _evidence(self, incident: Incident, procedure: int, progress: StepProgress) -> None:
        check = progress.step.check
        if not check:
            self._say("This step has no live check; . adds a note instead.", timeout=4)
            return
        evidence = self.hub.evidence(check)
        self._work(lambda: self.hub.attach_evidence(evidence, procedure=procedure,
                                                    step=progress.step.id),
                   done=f"Evidence attached: {evidence.summary[:80]}")

    def _copy(self, incident: Incident, procedure: int, progress: StepProgress) -> None:
        step = progress.step
        if not step.commands:
            self._say("This step has no command to copy.", timeout=3)
            return
        if len(step.commands) == 1:
            prepared = self.hub.prepare(step, step.commands[0])
            self.app.copy_to_clipboard(redact(prepared.display))
            missing = f" (still to fill: {', '.join(prepared.missing)})" if prepared.missing \
                else ""
            self._say(f"Copied: {prepared.display[:80]}{missing}", timeout=4)
            return

        def copied(request: CommandRequest | None) -> None:
            if request is not None:
                self.hub.remember(request.values)
                self.app.copy_to_clipboard(redact(request.prepared.display))
                self._say(f"Copied: {request.prepared.display[:80]}", timeout=4)

        from screens.incident_command import CommandDialog

        self.app.push_screen(CommandDialog(step, self.hub.prepare, self.hub.known_values(),
                                           mode="copy"), copied)

    def _run(self, incident: Incident, procedure: int, progress: StepProgress) -> None:
        step = progress.step
        if not step.commands:
            self._say("This step has no command to run.", timeout=3)
            return

        def confirmed(request: CommandRequest | None) -> None:
            if request is None:
                return
            self.hub.remember(request.values)

            async def run() -> None:
                self._say(f"Running: {request.prepared.display[:80]}", timeout=3)
                result = await self.hub.run(request.prepared, typed=request.typed,
                                            procedure=procedure, step=step.id)
                outcome = "timed out" if result.timed_out else f"exit {result.exit_code}"
                self._say(f"{outcome} in {result.duration_s:.1f} s; output attached "
                                "to the timeline.",
                                severity="information" if result.ok else "warning",
                                timeout=8)

            self._work(run)

        from screens.incident_command import CommandDialog

        self.app.push_screen(CommandDialog(step, self.hub.prepare, self.hub.known_values()),
                             confirmed)

    # ------------------------------------------------------------------ rendering help

    def view(self, incident: Incident, checklist: Checklist, now: float) -> ChecklistView:
        """The checklist's view: evidence for the current and the expanded steps."""
        current = incident.current
        keys = set(checklist.expanded)
        if current is not None:
            keys.add(step_key(current[0].index, current[2].step.id))
        evidence: dict[str, Evidence] = {}
        commands: dict[str, tuple[str, ...]] = {}
        for procedure in incident.procedures:
            for phase in procedure.phases:
                for progress in phase.steps:
                    key = step_key(procedure.index, progress.step.id)
                    if key not in keys:
                        continue
                    step = progress.step
                    if step.check:
                        evidence[key] = self.hub.evidence(step.check, now)
                    commands[key] = tuple(self.hub.prepare(step, c).display
                                          for c in step.commands)
        return ChecklistView(incident=incident, now=now, evidence=evidence,
                             pending=frozenset(self.pending), values=self.hub.known_values(),
                             commands=commands)


class IncidentWiring(ConsoleScreen):
    """Routes the open incident to this screen's incident pane while it is shown, and
    turns the checklist's keys into incident actions."""

    def wiring(self) -> list[tuple[Signal[Any], Callable[[Any], None], Callable[[], Any]]]:
        app = self.console
        return [*super().wiring(),
                (app.incident_changed, self.show_incident, lambda: app.incidents.incident)]

    def show_status(self, info: Any) -> None:
        super().show_status(info)
        self.show_incident(self.console.incidents.incident)

    def show_incident(self, incident: Incident | None) -> None:
        hub = self.console.incidents
        now = time.time()
        for pane in self.query(IncidentPane):
            if incident is None:
                pane.show_none(hub.problem or "")
                continue
            view = self.console.incident_actions.view(incident, pane.query_one(Checklist), now)
            pane.show_incident(view, hub.timers(now))

    def on_checklist_act(self, event: Checklist.Act) -> None:
        event.stop()
        self.console.incident_actions.step_action(event.action, event.procedure, event.step)


class IncidentScreen(IncidentWiring):
    """The incident checklist, full size, with the timeline."""

    PANE_NAME = "incident"

    def compose(self) -> ComposeResult:
        yield IncidentPane(id="incident-pane")
        yield StatusBar()

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        for checklist in self.query(Checklist):
            if checklist.display:
                checklist.focus()


def incident_commands(app: OnDutyApp) -> Iterable[SystemCommand]:
    """The palette's "incident: ..." commands."""
    actions = app.incident_actions
    yield SystemCommand("incident: open or go", "Open an incident (or go to the open one)",
                        actions.open_or_go)
    yield SystemCommand("incident: note", "Add a note to the open incident", actions.note)
    yield SystemCommand("incident: state", "investigating, identified, monitoring, resolved",
                        actions.change_state)
    yield SystemCommand("incident: severity", "Change the severity (restarts escalation)",
                        actions.change_severity)
    yield SystemCommand("incident: roles", "Assign the lead, comms or scribe",
                        actions.assign_role)
    yield SystemCommand("incident: attach procedure", "Walk another procedure too",
                        actions.attach_procedure)
    yield SystemCommand("incident: status update", "Fill a template, copy it, record it",
                        actions.status_update)
    yield SystemCommand("incident: export post-mortem", "Write the post-mortem so far",
                        actions.export)
    yield SystemCommand("incident: close", "Resolve, close and export the incident",
                        actions.close)

