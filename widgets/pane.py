"""The frame every pane shares: a bordered container whose title says what it shows."""

from __future__ import annotations

from textual.containers import Vertical
from textual.reactive import reactive

from tui.sanitize import safe_text


class Pane(Vertical, can_focus=False):
    """A titled, bordered pane. ``problem`` marks it in error (the border turns red).

    Titles are set as ``Text``: a plain ``str`` border title would be parsed as markup.
    """

    title: reactive[str] = reactive("")
    subtitle: reactive[str] = reactive("")
    problem: reactive[str] = reactive("")

    def watch_title(self, value: str) -> None:
        self.border_title = safe_text(value)

    def watch_subtitle(self, value: str) -> None:
        self.border_subtitle = safe_text(value)

    def watch_problem(self, value: str) -> None:
        self.set_class(bool(value), "-problem")
