"""The open incident: the store, the runbook library, timers and commands, without Textual.

The hub owns one :class:`LiveIncident` at a time. Every change is appended to the store
and only then folded in and published, so whatever the screen shows as done is already on
disk. A watch loop picks up what a second onduty on the same host writes; a tick loop
records due escalations, status updates and overdue phases once each and reports them
so the app can ring the bell.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from tui.config import Config, Environment
from tui.errors import OnDutyError
from tui.hub.base import resolve_secret
from tui.incidents.adapter import (
    ProcedureRef,
    fallback_runbook,
    procedure_refs,
    severity_policies,
    snapshot_procedure,
    templates_for,
)
from tui.incidents.commands import (
    CommandResult,
    CommandRunner,
    PreparedCommand,
    prepare_command,
    variable_key,
)
from tui.incidents.evidence import Evidence, EvidenceSources, evaluate
from tui.incidents.export import export_postmortem
from tui.incidents.model import (
    EntryKind,
    Incident,
    IncidentState,
    Role,
    SeverityLevel,
    SeverityPolicy,
    StepSnapshot,
)
from tui.incidents.store import AsyncIncidentStore, LiveIncident
from tui.incidents.templates import fill_template
from tui.incidents.timers import (
    DueAlert,
    IncidentTimers,
    format_clock,
    format_span,
    incident_timers,
)
from tui.runbooks.model import Runbook, Template

if TYPE_CHECKING:  # webhook (httpx) and the library (importer, ftfy) load when used
    from tui.incidents.webhook import WebhookOutcome

log = logging.getLogger(__name__)

WATCH_INTERVAL_S = 0.5
UNGRADED = SeverityLevel(name="?", label="ungraded", response_s=None)
TICK_INTERVAL_S = 1.0
UPDATE_SOON_S = 10 * 60.0
STORE_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class IncidentCallbacks:
    """How the hub talks back to its owner (the app, or a test)."""

    changed: Callable[[Incident | None], None]
    alert: Callable[[DueAlert], None]
    tick: Callable[[], None] = lambda: None
    opened: Callable[[Incident], None] = lambda incident: None


@dataclass
class Library:
    """The runbooks (bundled first, then the configured folders) and their procedures."""

    runbooks: list[Runbook] = field(default_factory=list)

    @property
    def procedures(self) -> list[ProcedureRef]:
        """Every procedure of every runbook, in library order."""
        return procedure_refs(self.runbooks)

    @property
    def fallback(self) -> Runbook | None:
        """The runbook whose scale and templates apply when one has none of its own."""
        return fallback_runbook(self.runbooks)

    def find(self, key: str) -> ProcedureRef | None:
        """The procedure with this key (``source#title``)."""
        return next((ref for ref in self.procedures if ref.key == key), None)

    def runbook_of(self, source: str) -> Runbook | None:
        """The runbook a procedure snapshot's ``source`` key points into."""
        name = source.split("#", 1)[0]
        return next((rb for rb in self.runbooks if rb.source == name), None)

    def severities(self, ref: ProcedureRef | None) -> list[SeverityPolicy]:
        """The severity choices for an incident on ``ref``, most severe first.

        Without a procedure (or a scale anywhere) the fallback runbook's scale applies,
        and failing that one ungraded level, so an incident can always be opened.
        """
        fallback = self.fallback
        runbook = ref.runbook if ref is not None else fallback
        policies = severity_policies(runbook, fallback) if runbook is not None else []
        return policies or [SeverityPolicy.for_level(UNGRADED, top=True)]


class IncidentHub:
    """One open incident (or none), durable first, shared with other local processes."""

    def __init__(self, config: Config, sources: EvidenceSources, callbacks: IncidentCallbacks,
                 *, store_enabled: bool = True,
                 environment: Callable[[], Environment | None] = lambda: None) -> None:
        self.config = config
        self.sources = sources
        self.callbacks = callbacks
        self.store_enabled = store_enabled
        self.library = Library()
        self.runner = CommandRunner()
        self._environment = environment
        self._store: AsyncIncidentStore | None = None
        self._live: LiveIncident | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._values: dict[str, str] = {}
        self._library_task: asyncio.Task[None] | None = None
        self.problem: str | None = None

    # ------------------------------------------------------------------ life cycle

    @property
    def incident(self) -> Incident | None:
        """The open incident as last read from the store."""
        return self._live.incident if self._live is not None else None

    @property
    def store_path(self) -> Path:
        """Where the incident store lives (Config.incident_store)."""
        return self.config.incident_store

    @property
    def ready(self) -> bool:
        """The store is open (or will never be: incidents are off or it failed)."""
        return self._store is not None or not self.store_enabled or self.problem is not None

    async def start(self) -> None:
        """Load the library, open the store, resume the open incident, start the loops."""
        self.ensure_library()
        if not self.store_enabled:
            return
        try:
            self._store = await asyncio.wait_for(
                AsyncIncidentStore.open(self.store_path), STORE_TIMEOUT_S)
            open_id = await self._store.open_incident_id()
            if open_id is not None:
                self._live = await LiveIncident.load(self._store, open_id)
        except (OnDutyError, TimeoutError) as exc:
            self.problem = str(exc) or f"the incident store {self.store_path} did not answer"
            log.warning("incident store unavailable: %s", self.problem)
            self._store = None
            return
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._watch()), loop.create_task(self._tick())]
        self._publish()

    def ensure_library(self) -> None:
        """Start reading the runbook library (once) if it is not read yet."""
        if self._library_task is None:
            self._library_task = asyncio.get_running_loop().create_task(self._load_library())

    async def library_ready(self) -> Library:
        """The library, once it has been read."""
        self.ensure_library()
        assert self._library_task is not None
        await asyncio.shield(self._library_task)
        return self.library

    async def _load_library(self) -> None:
        from tui.runbooks.library import load_library

        self.library = Library(await load_library(self.config.runbook_paths))

    async def stop(self) -> None:
        """Stop the loops and close the store (every entry is already on disk)."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        self.runner.kill_all()
        if self._store is not None:
            store, self._store = self._store, None
            await store.close()

    def kill_children(self) -> None:
        """Kill every command started from the checklist (signal-handler safe)."""
        self.runner.kill_all()

    def _publish(self) -> None:
        self.callbacks.changed(self.incident)

    def _require(self) -> LiveIncident:
        if self._live is None:
            raise OnDutyError("no incident is open: press ! to open one")
        return self._live

    def _require_store(self) -> AsyncIncidentStore:
        if self._store is None:
            raise OnDutyError(self.problem or "the incident store is not open in this session")
        return self._store

    # ------------------------------------------------------------------ loops

    async def _watch(self) -> None:
        """Fold in what other onduty processes append; notice incidents they open."""
        while True:
            await asyncio.sleep(WATCH_INTERVAL_S)
            try:
                await self._sync_other_processes()
            except OnDutyError as exc:
                log.warning("incident store watch: %s", exc)

    async def _sync_other_processes(self) -> None:
        store = self._store
        if store is None or not await store.changed():
            return
        if self._live is not None:
            if await self._live.refresh():
                if not self._live.incident.is_open:
                    self._live = None
                self._publish()
            return
        open_id = await store.open_incident_id()
        if open_id is not None:
            self._live = await LiveIncident.load(store, open_id)
            self._publish()

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(TICK_INTERVAL_S)
            try:
                await self.record_due_alerts(time.time())
            except OnDutyError as exc:
                log.warning("incident timers: %s", exc)
            self.callbacks.tick()

    async def record_due_alerts(self, now: float) -> list[DueAlert]:
        """Append each reminder that is due and not yet recorded, then report it once."""
        live = self._live
        if live is None:
            return []
        alerts = list(incident_timers(live.incident, now).due)
        for alert in alerts:
            await live.append(alert.kind, alert.payload)
            self.callbacks.alert(alert)
        if alerts:
            self._publish()
        return alerts

    def timers(self, now: float | None = None) -> IncidentTimers | None:
        """The clock, phase budget, next escalation and update due, now."""
        incident = self.incident
        if incident is None:
            return None
        return incident_timers(incident, time.time() if now is None else now)

    def footer(self, now: float | None = None) -> str:
        """The status bar's incident text, short enough for 80 columns where it can be.

        ``#3 P0 12:04 · Measure 3:10/5 min · 15 min: Engineering Lead — in 4:12``; the
        status update joins it once it is due within ten minutes.
        """
        incident = self.incident
        timers = self.timers(now)
        if incident is None or timers is None:
            return ""
        parts = [f"#{incident.id} {incident.severity.level.name} {timers.clock}"]
        phase = timers.phase
        if phase is not None:
            name = re.sub(r"\s*\(.*?\)\s*$", "", phase.title).strip() or phase.title
            if phase.budget_s is None:
                parts.append(f"{name} {format_clock(phase.elapsed_s)}")
            elif phase.overdue:
                parts.append(f"{name} OVERDUE {format_clock(-(phase.remaining_s or 0.0))}")
            else:
                parts.append(f"{name} {format_clock(phase.elapsed_s)}/"
                             f"{format_span(phase.budget_s)}")
        if timers.escalation is not None:
            parts.append(timers.escalation.label)
        update = timers.status_update
        if update is not None and update.remaining_s < UPDATE_SOON_S:
            parts.append(update.label)
        return " · ".join(parts)

    # ------------------------------------------------------------------ writing

    async def _append(self, kind: EntryKind, payload: Mapping[str, Any]) -> Incident:
        live = self._require()
        await live.append(kind, payload)
        if not live.incident.is_open:
            self._live = None
        self._publish()
        return live.incident

    async def open(self, title: str, severity: SeverityPolicy, ref: ProcedureRef | None,
                   *, lead: str = "", impact: str = "") -> Incident:
        """Open an incident, attach the procedure, resume nothing else: it becomes current."""
        store = self._require_store()
        if self._live is not None:
            raise OnDutyError(f"incident #{self._live.incident.id} is already open; close it "
                              "first or attach another procedure to it")
        entry = await store.open_incident(title, severity, lead=lead.strip() or None,
                                          impact=impact.strip() or None)
        if ref is not None:
            await store.attach_procedure(entry.incident_id,
                                         snapshot_procedure(ref, self._environment()))
        self._live = await LiveIncident.load(store, entry.incident_id)
        incident = self._live.incident
        self._publish()
        self.callbacks.opened(incident)
        return incident

    async def attach(self, ref: ProcedureRef) -> Incident:
        """Attach another procedure to the open incident."""
        return await self._append(EntryKind.PROCEDURE_ATTACHED,
                                  {"procedure": snapshot_procedure(
                                      ref, self._environment()).to_dict()})

    async def mark_done(self, procedure: int, step: str) -> Incident:
        """Mark a step done; returns once it is on disk."""
        return await self._append(EntryKind.STEP_DONE, {"procedure": procedure, "step": step})

    async def skip(self, procedure: int, step: str, reason: str) -> Incident:
        """Skip a step; a reason is required (it goes into the post-mortem)."""
        if not reason.strip():
            raise OnDutyError("a skipped step needs a reason")
        return await self._append(EntryKind.STEP_SKIPPED,
                                  {"procedure": procedure, "step": step, "reason": reason})

    async def undo(self, procedure: int, step: str) -> Incident:
        """Back: the step is pending again (the timeline keeps both entries)."""
        return await self._append(EntryKind.STEP_UNDONE, {"procedure": procedure, "step": step})

    async def note(self, text: str, *, follow_up: bool = False) -> Incident:
        """A note (redacted and sanitised by the store); follow-ups go to the post-mortem."""
        if not text.strip():
            raise OnDutyError("an empty note was not added")
        payload: dict[str, Any] = {"text": text.strip()}
        if follow_up:
            payload["follow_up"] = True
        return await self._append(EntryKind.NOTE, payload)

    async def attach_evidence(self, evidence: Evidence, *, procedure: int | None = None,
                              step: str | None = None) -> Incident:
        """Attach a snapshot of a check's live result to the timeline."""
        return await self._append(EntryKind.EVIDENCE,
                                  evidence.payload(procedure=procedure, step=step))

    async def set_state(self, state: IncidentState) -> Incident:
        """Investigating, identified, monitoring or resolved."""
        return await self._append(EntryKind.STATE_CHANGED, {"state": state.value})

    async def set_severity(self, policy: SeverityPolicy, reason: str = "") -> Incident:
        """A new severity; its escalation and update schedule count from now."""
        payload = policy.to_payload()
        if reason.strip():
            payload["reason"] = reason.strip()
        return await self._append(EntryKind.SEVERITY_CHANGED, payload)

    async def assign(self, role: Role, who: str) -> Incident:
        """Name the lead, comms or scribe (an empty name clears the role)."""
        return await self._append(EntryKind.ROLE_ASSIGNED, {"role": role.value, "who": who})

    async def status_update_sent(self, text: str, channel: str = "clipboard",
                                 webhook: WebhookOutcome | None = None) -> Incident:
        """Record a status update as sent; the next one is due a full interval later."""
        payload: dict[str, Any] = {"text": text, "channel": channel}
        if webhook is not None:
            payload["webhook"] = webhook.payload()
        return await self._append(EntryKind.STATUS_UPDATE_SENT, payload)

    @property
    def webhook_configured(self) -> bool:
        """True when ``[incidents] webhook`` names a secret to post status updates to."""
        return self.config.incident_webhook is not None

    async def post_update(self, text: str) -> WebhookOutcome:
        """Post ``text`` to the configured webhook; the outcome, never an exception."""
        from tui.incidents.webhook import WebhookOutcome, post_status_update

        name = self.config.incident_webhook
        if name is None:
            return WebhookOutcome(False, None, "no webhook configured ([incidents] webhook)")
        try:
            url = await resolve_secret(name)
        except OnDutyError as exc:
            return WebhookOutcome(False, None, f"cannot read the secret {name}: {exc}")
        return await post_status_update(url, text)

    async def send_status_update(self, text: str, *, post: bool) -> tuple[
            Incident, WebhookOutcome | None]:
        """A status update copied to the clipboard, and posted first when ``post`` is set.

        One timeline entry records both, with the post's outcome (a failed post still
        leaves the update on the clipboard, so it counts as sent).
        """
        self._require()
        outcome = await self.post_update(text) if post else None
        channel = "clipboard" if outcome is None or not outcome.ok else "clipboard and webhook"
        incident = await self.status_update_sent(text, channel, outcome)
        return incident, outcome

    async def record(self, kind: EntryKind, payload: Mapping[str, Any]) -> Incident | None:
        """Record an event another pane reports (health change, log lines, db action).

        Nothing is recorded while no incident is open.
        """
        if self._live is None:
            return None
        return await self._append(kind, payload)

    async def close(self, summary: str = "") -> Incident:
        """Close the incident (resolving it first if it is not resolved yet)."""
        live = self._require()
        if live.incident.state is not IncidentState.RESOLVED:
            await live.append(EntryKind.STATE_CHANGED, {"state": IncidentState.RESOLVED.value})
        payload = {"summary": summary.strip()} if summary.strip() else {}
        await live.append(EntryKind.CLOSED, payload)
        closed = live.incident
        self._live = None
        self._publish()
        return closed

    async def export(self, incident: Incident, path: Path) -> Path:
        """Write the post-mortem atomically (mode 0600) off the event loop."""
        return await asyncio.to_thread(export_postmortem, incident, path, now=time.time())

    # ------------------------------------------------------------------ commands

    def known_values(self) -> dict[str, str]:
        """Variable values known without asking: the environment's, then those typed."""
        values: dict[str, str] = {}
        env = self._environment()
        if env is not None:
            values["environment"] = env.name
            values["env"] = env.name
            if env.base_url:
                parts = urlsplit(env.base_url)
                host = parts.hostname or ""
                if host:
                    values["api-host"] = f"{host}:{parts.port}" if parts.port else host
        values.update(self._values)
        return values

    def remember(self, values: Mapping[str, str]) -> None:
        """Keep typed variable values for the rest of the session."""
        self._values.update({k: v for k, v in values.items() if v})

    def prepare(self, step: StepSnapshot, command: str,
                values: Mapping[str, str] | None = None) -> PreparedCommand:
        """The command with every known variable filled, as separate argv elements.

        A destructive command is confirmed with its first variable's value, or the
        environment's name when it has no variable.
        """
        filled = {**self.known_values(), **(values or {})}
        wanted = {variable_key(v) for v in step.variables}
        relevant = {k: v for k, v in filled.items() if variable_key(k) in wanted}
        prepared = prepare_command(command, relevant, variables=step.variables,
                                   destructive=step.destructive)
        if step.destructive and not prepared.target:
            env = self._environment()
            prepared = prepare_command(command, relevant, variables=step.variables,
                                       destructive=True,
                                       target=env.name if env is not None else "")
        return prepared

    async def run(self, prepared: PreparedCommand, *, typed: str = "",
                  procedure: int | None = None, step: str | None = None) -> CommandResult:
        """Run a confirmed command and attach its exit code and output to the timeline."""
        self._require()
        result = await self.runner.run(prepared, typed=typed)
        await self._append(EntryKind.COMMAND, result.payload(procedure=procedure, step=step))
        return result

    # ------------------------------------------------------------------ evidence, templates

    def evidence(self, check: str, now: float | None = None) -> Evidence:
        """The live answer to a step's check."""
        return evaluate(check, self.sources, now)

    def templates(self, incident: Incident) -> tuple[Template, ...]:
        """The communication templates of the incident's procedure's runbook."""
        fallback = self.library.fallback
        for procedure in incident.procedures:
            runbook = self.library.runbook_of(procedure.snapshot.source)
            if runbook is not None:
                found = templates_for(runbook, fallback)
                if found:
                    return found
        return fallback.templates if fallback is not None else ()

    def fill(self, template: Template, incident: Incident, now: float | None = None) -> str:
        """A template filled from the incident (unknown placeholders stay visible)."""
        return fill_template(template.text, incident, time.time() if now is None else now)
