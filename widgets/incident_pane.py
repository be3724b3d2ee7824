"""The incident pane: the open incident's header, checklist and timeline, or how to open one."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from tui.incidents.model import IncidentState
from tui.incidents.timers import IncidentTimers
from tui.sanitize import sanitize
from widgets.incident_checklist import Checklist, ChecklistView
from widgets.incident_timeline import IncidentTimeline
from widgets.pane import Pane

_STATE_STYLE = {
    IncidentState.INVESTIGATING: "bold",
    IncidentState.IDENTIFIED: "bold",
    IncidentState.MONITORING: "",
    IncidentState.RESOLVED: "",
}


class IncidentPane(Pane):
    """Shows the open incident; with none open, says how to start one.

    ``compact`` (the dashboard) leaves the timeline out; the incident screen shows it.
    """

    COMPONENT_CLASSES = {"incident-pane--alarm", "incident-pane--muted"}

    DEFAULT_CSS = """
    IncidentPane > .incident-pane--alarm { color: $probe-down; text-style: bold; }
    IncidentPane > .incident-pane--muted { color: $text-muted; }
    IncidentPane #incident-header { height: auto; }
    IncidentPane #incident-header.-compact { max-height: 1; }
    IncidentPane Checklist { height: 2fr; }
    IncidentPane #incident-body { height: auto; }
    IncidentPane IncidentTimeline {
        height: 1fr; max-height: 12; border-top: solid $panel-lighten-2;
    }
    """

    def __init__(self, *, compact: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self.compact = compact

    def compose(self) -> ComposeResult:
        yield Static(id="incident-body")
        yield Static(id="incident-header", classes="-compact" if self.compact else "")
        yield Checklist(compact=self.compact, id="incident-checklist")
        if not self.compact:
            yield IncidentTimeline(id="incident-timeline")

    def on_mount(self) -> None:
        self.title = "incident"
        self.show_none()

    def _open_parts(self, visible: bool) -> None:
        self.query_one("#incident-body", Static).display = not visible
        for selector in ("#incident-header", "#incident-checklist", "#incident-timeline"):
            for widget in self.query(selector):
                widget.display = visible

    def show_none(self, message: str = "") -> None:
        """No incident open: say how to open one (and why not, when the store is off)."""
        self._open_parts(False)
        self.title = "incident"
        self.subtitle = ""
        self.problem = message
        text = Text()
        text.append("No incident open.\n\n", style="bold")
        if message:
            text.append(sanitize(message) + "\n\n",
                        str(self.get_component_rich_style("incident-pane--alarm")))
        text.append("! open an incident: pick the procedure from the runbooks, its severity "
                    "and the lead; onduty walks the checklist with the live evidence and "
                    "keeps every step on disk.\n")
        text.append("6 browse the runbooks   . add a note once an incident is open",
                    str(self.get_component_rich_style("incident-pane--muted")))
        self.query_one("#incident-body", Static).update(text)

    def show_incident(self, view: ChecklistView, timers: IncidentTimers | None) -> None:
        """Show the incident: header with clock and timers, the checklist, the timeline."""
        self._open_parts(True)
        incident = view.incident
        severity = incident.severity.level
        self.title = (f"incident #{incident.id} · {severity.name} {severity.label} · "
                      f"{incident.state.value}")
        total = sum(p.total for p in incident.procedures)
        resolved = sum(p.resolved for p in incident.procedures)
        self.subtitle = f"{resolved}/{total} steps"
        alarm = str(self.get_component_rich_style("incident-pane--alarm"))
        muted = str(self.get_component_rich_style("incident-pane--muted"))
        header = Text(no_wrap=False)
        header.append(sanitize(incident.title), "bold")
        header.append(f"  lead {sanitize(incident.lead or '—')}", muted)
        roles = [f"{role} {sanitize(who)}" for role, who in incident.roles.items()
                 if role != "lead"]
        if roles:
            header.append("  " + "  ".join(roles), muted)
        overdue = False
        if timers is not None:
            header.append(f"\n⏱ {timers.clock}", _STATE_STYLE[incident.state])
            if timers.phase is not None:
                overdue = timers.phase.overdue
                header.append("  ")
                header.append(sanitize(timers.phase.label), alarm if overdue else "")
            if timers.escalation is not None:
                header.append(f"  ↑ {sanitize(timers.escalation.label)}", muted)
            if timers.status_update is not None:
                late = timers.status_update.overdue
                header.append(f"  ✉ {timers.status_update.label}", alarm if late else muted)
                overdue = overdue or late
        self.problem = "overdue" if overdue else ""
        self.query_one("#incident-header", Static).update(header)
        self.query_one(Checklist).show(view)
        for timeline in self.query(IncidentTimeline):
            timeline.show(incident)
