"""`?`: every binding of the screen underneath, grouped by where it applies.

Textual's help panel lists the focused widget's keys first and is cut off at 80x24; on
call, the engineer needs the whole keymap at once, with the ids used to remap keys. The
keys of the pane in front and the keys that work everywhere sit side by side.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import ActiveBinding, Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from tui.sanitize import safe_text


def bindings_table(title: str, bindings: list[tuple[str, ActiveBinding]]) -> Table:
    """A table of keys, what they do and their remap id; one row per action, in the order
    the keymap declares them (1-6 first), the id of the key shown in the footer."""
    table = Table(box=None, expand=True, pad_edge=False, show_edge=False,
                  title=Text(title, style="bold"), title_justify="left")
    table.add_column(Text("key"), style="bold", no_wrap=True)
    table.add_column(Text("does"))
    table.add_column(Text("id for [keys]"), style="dim", no_wrap=True)
    keys_by_action: dict[tuple[str, str], list[str]] = {}
    first: dict[tuple[str, str], ActiveBinding] = {}
    for key, active in bindings:
        binding = active.binding
        label = binding.description or binding.action
        if not label:
            continue
        action = (binding.action, label)
        keys_by_action.setdefault(action, []).append(key)
        if action not in first or (binding.show and not first[action].binding.show):
            first[action] = active
    for action, active in first.items():
        app = active.node.app
        keys = ", ".join(app.get_key_display(Binding(k, "")) for k in keys_by_action[action])
        table.add_row(safe_text(keys), safe_text(action[1]), safe_text(active.binding.id or ""))
    return table


class KeysScreen(ModalScreen[None]):
    """The keymap of the screen it was opened from. Escape, q or ? closes it."""

    BINDINGS = [
        Binding("escape", "dismiss", "Close", id="dialog.close"),
        Binding("question_mark", "dismiss", "Close", show=False),
        Binding("q", "dismiss", "Close", show=False),
    ]

    def __init__(self, bindings: dict[str, ActiveBinding]) -> None:
        super().__init__()
        self._shown = bindings

    def compose(self) -> ComposeResult:
        here = [(k, b) for k, b in self._shown.items() if b.node is not b.node.app]
        everywhere = [(k, b) for k, b in self._shown.items() if b.node is b.node.app]
        with VerticalScroll(id="keys", classes="dialog"):
            yield Label(Text("Keys  (escape closes · ctrl+p for every command)", style="bold"),
                        classes="dialog-title")
            with Horizontal(id="keys-columns"):
                yield Static(bindings_table("this screen", here), classes="keys-column")
                yield Static(bindings_table("everywhere", everywhere), classes="keys-column")
