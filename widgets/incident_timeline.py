"""The incident timeline: every recorded entry, newest last, with its time since opening."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from tui.incidents.export import describe
from tui.incidents.model import EntryKind, Incident
from tui.incidents.timers import format_clock
from tui.sanitize import sanitize

MAX_SHOWN = 300

_LOUD = {EntryKind.ESCALATION_DUE, EntryKind.PHASE_OVERDUE, EntryKind.STATUS_UPDATE_DUE}


def timeline_text(incident: Incident, *, limit: int = MAX_SHOWN, width: int = 0) -> Text:
    """The last ``limit`` entries as ``+12:04 alice  Done: 1.2 ...`` lines."""
    text = Text(no_wrap=False)
    entries = incident.entries[-limit:]
    hidden = len(incident.entries) - len(entries)
    if hidden:
        text.append(f"… {hidden} earlier entries (onduty incident show {incident.id})\n",
                    "dim")
    for index, entry in enumerate(entries):
        offset = format_clock(max(0.0, entry.at - incident.opened_at))
        actor = entry.actor.split("@", 1)[0]
        line = sanitize(describe(entry, incident))
        if width and len(line) > width * 3:
            line = line[: width * 3 - 1] + "…"
        if index:
            text.append("\n")
        text.append(f"+{offset:>7} ", "dim")
        text.append(f"{sanitize(actor)}  ", "dim")
        text.append(line, "bold" if entry.kind in _LOUD else "")
    return text


class IncidentTimeline(VerticalScroll, can_focus=True):
    """The timeline, scrolled to the newest entry unless the engineer scrolled up."""

    DEFAULT_CSS = """
    IncidentTimeline { height: 1fr; background: $surface; }
    IncidentTimeline > Static { width: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._shown: tuple[int, int] | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="timeline-body")

    def show(self, incident: Incident) -> None:
        """Show the incident's entries (only re-rendered when a new entry arrived)."""
        last = incident.entries[-1].id if incident.entries else 0
        if self._shown == (incident.id, last):
            return
        self._shown = (incident.id, last)
        at_end = self.scroll_y >= self.max_scroll_y - 1
        self.query_one("#timeline-body", Static).update(
            timeline_text(incident, width=max(20, self.size.width)))
        if at_end:
            self.call_after_refresh(self.scroll_end, animate=False)
