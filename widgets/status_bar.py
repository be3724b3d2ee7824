"""The one-line status bar at the bottom of every screen.

It always says which environment is shown, the incident clock when an incident is open,
and every pane that is in error, because at 3 a.m. the engineer must never wonder which
production they are looking at or whether a pane has silently stopped updating.
"""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from tui.sanitize import sanitize


class StatusBar(Widget):
    """Environment, incident clock, panes in error, and the main keys."""

    COMPONENT_CLASSES = {
        "status-bar--env",
        "status-bar--incident",
        "status-bar--error",
        "status-bar--ok",
        "status-bar--hint",
    }
    DEFAULT_CSS = """
    StatusBar { dock: bottom; height: 1; }
    """

    environment: reactive[str] = reactive("")
    environments: reactive[int] = reactive(1)
    incident: reactive[str] = reactive("")
    errors: reactive[tuple[str, ...]] = reactive(())
    hints: reactive[str] = reactive("1-6 screens  ? keys  ^p commands  q quit")

    def render(self) -> Text:
        style = self.get_component_rich_style
        text = Text(no_wrap=True, overflow="ellipsis")
        env = sanitize(self.environment) or "no environment"
        text.append(f" {env} ", style("status-bar--env"))
        if self.environments > 1:
            text.append(" e:switch", style("status-bar--hint"))
        if self.incident:
            text.append("  ")
            text.append(f" {sanitize(self.incident)} ", style("status-bar--incident"))
        if self.errors:
            text.append("  ")
            text.append(f" ⚠ {sanitize(' · '.join(self.errors))} ", style("status-bar--error"))
        used = text.cell_len
        hint = f"  {self.hints} "
        if used + len(hint) <= self.size.width:
            text.append(" " * (self.size.width - used - len(hint)))
            text.append(hint, style("status-bar--hint"))
        return text
