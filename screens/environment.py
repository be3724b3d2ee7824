"""The environment switcher (`e`): pick which environment the panes show."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from tui.sanitize import safe_text


class EnvironmentSwitcher(ModalScreen[str | None]):
    """A list of environments; Enter picks one, Escape keeps the current one."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="dialog.cancel")]

    def __init__(self, names: Sequence[str], current: str) -> None:
        super().__init__()
        self._names = list(names)
        self._current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="env-switcher", classes="dialog"):
            yield Label(safe_text("Switch environment"), classes="dialog-title")
            yield OptionList(
                *(Option(safe_text(("● " if n == self._current else "  ") + n), id=n)
                  for n in self._names),
                id="env-options",
            )

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        current = self._current
        options.highlighted = self._names.index(current) if current in self._names else 0
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)
