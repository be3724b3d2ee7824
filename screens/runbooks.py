"""The runbooks screen: the configured folders plus the bundled library, searchable.

Each procedure reads as the checklist onduty will walk (phases, budgets, steps, commands,
variables, live checks); `O` starts an incident from it, or attaches it to the open one.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from screens.base import ConsoleScreen
from tui.hub.incident import Library
from tui.incidents.adapter import ProcedureRef
from tui.sanitize import sanitize
from widgets.pane import Pane
from widgets.runbook_view import procedure_text
from widgets.status_bar import StatusBar


def matches(ref: ProcedureRef, query: str) -> bool:
    """True when every word of ``query`` is in the procedure's title, runbook or triggers."""
    haystack = " ".join((ref.procedure.title, ref.runbook.title, ref.runbook.source,
                         *ref.procedure.triggers, *ref.procedure.section)).casefold()
    return all(word in haystack for word in query.casefold().split())


class RunbooksScreen(ConsoleScreen):
    """Runbooks on the left, the highlighted procedure as a checklist on the right."""

    PANE_NAME = "runbooks"
    BINDINGS = [
        Binding("slash", "search", "Search", id="runbooks.search"),
        Binding("escape", "clear_search", "Clear search", id="runbooks.clear"),
        Binding("O", "start_incident", "Start incident", id="runbooks.start_incident"),
    ]
    DEFAULT_CSS = """
    RunbooksScreen #runbooks-search { display: none; height: 3; }
    RunbooksScreen #runbooks-search.-shown { display: block; }
    RunbooksScreen #runbooks-list-pane { width: 2fr; min-width: 30; }
    RunbooksScreen #runbooks-detail-pane { width: 3fr; }
    RunbooksScreen OptionList { height: 1fr; border: none; background: $surface; }
    RunbooksScreen #runbooks-detail { height: 1fr; background: $surface; }
    """

    def __init__(self) -> None:
        super().__init__()
        self._library = Library()
        self._query = ""

    def compose(self) -> ComposeResult:
        yield Input(placeholder="search procedures, runbooks and symptoms · escape clears",
                    id="runbooks-search")
        with Horizontal():
            with Pane(id="runbooks-list-pane"):
                yield OptionList(id="runbooks-list")
            with Pane(id="runbooks-detail-pane"), VerticalScroll(id="runbooks-detail"):
                yield Static(Text("reading the runbooks…"), id="runbooks-text")
        yield StatusBar()

    def on_mount(self) -> None:
        self.query_one("#runbooks-list-pane", Pane).title = "runbooks"
        self.query_one("#runbooks-detail-pane", Pane).title = "procedure"
        self.run_worker(self._load(), group="runbooks", exit_on_error=False)

    async def _load(self) -> None:
        self._library = await self.console.incidents.library_ready()
        self._fill()
        self.query_one("#runbooks-list", OptionList).focus()

    def _fill(self) -> None:
        options: list[Option] = []
        shown = 0
        for runbook in self._library.runbooks:
            refs = [ProcedureRef(runbook, p) for p in runbook.procedures]
            hits = [ref for ref in refs if matches(ref, self._query)]
            if self._query and not hits:
                continue
            where = "bundled" if runbook.source.startswith("bundled:") else "configured"
            header = Text(sanitize(runbook.title), "bold")
            header.append(f"  {where}", "dim")
            if runbook.warnings:
                header.append(f"  ⚠ {len(runbook.warnings)}", "yellow")
            options.append(Option(header, id=f"runbook:{runbook.source}", disabled=True))
            for ref in hits:
                label = Text(f"  {sanitize(ref.procedure.title)}")
                steps = ref.procedure.step_count
                label.append(f"  {steps} steps", "dim")
                if ref.procedure.severity:
                    label.append(f" · {sanitize(ref.procedure.severity)}", "dim")
                options.append(Option(label, id=ref.key))
                shown += 1
        listing = self.query_one("#runbooks-list", OptionList)
        listing.set_options(options)
        first = next((i for i, o in enumerate(options) if not o.disabled), None)
        listing.highlighted = first
        total = len(self._library.procedures)
        pane = self.query_one("#runbooks-list-pane", Pane)
        pane.title = f"runbooks · {shown}/{total} procedures" if self._query \
            else f"runbooks · {total} procedures"
        pane.subtitle = f"/{self._query}" if self._query else "/ search · O start incident"
        if first is None:
            self.query_one("#runbooks-text", Static).update(
                Text(f"No procedure matches {self._query!r}." if self._query
                     else "No runbooks found."))

    def _selected(self) -> ProcedureRef | None:
        option = self.query_one("#runbooks-list", OptionList).highlighted_option
        return self._library.find(option.id) if option is not None and option.id else None

    @on(OptionList.OptionHighlighted, "#runbooks-list")
    def _show(self) -> None:
        ref = self._selected()
        if ref is None:
            return
        self.query_one("#runbooks-text", Static).update(
            procedure_text(ref, self._library.fallback))
        self.query_one("#runbooks-detail", VerticalScroll).scroll_home(animate=False)
        self.query_one("#runbooks-detail-pane", Pane).title = ref.procedure.title

    @on(OptionList.OptionSelected, "#runbooks-list")
    def _read(self) -> None:
        self.query_one("#runbooks-detail", VerticalScroll).focus()

    def action_search(self) -> None:
        search = self.query_one("#runbooks-search", Input)
        search.add_class("-shown")
        search.focus()

    def action_clear_search(self) -> None:
        search = self.query_one("#runbooks-search", Input)
        search.value = ""
        search.remove_class("-shown")
        self.query_one("#runbooks-list", OptionList).focus()

    @on(Input.Changed, "#runbooks-search")
    def _search(self, event: Input.Changed) -> None:
        self._query = event.value.strip()
        self._fill()

    @on(Input.Submitted, "#runbooks-search")
    def _searched(self) -> None:
        self.query_one("#runbooks-list", OptionList).focus()

    def action_start_incident(self) -> None:
        ref = self._selected()
        if ref is None:
            self.notify("Highlight a procedure first.", timeout=3)
            return
        actions = self.console.incident_actions
        if self.console.incidents.incident is None:
            actions.open_dialog(procedure=ref.key)
        else:
            actions.attach_procedure(ref.key)
