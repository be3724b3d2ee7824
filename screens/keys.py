"""`?`: every binding of the screen underneath, grouped by where it applies.

Textual's help panel lists the focused widget's keys first and is cut off at 80x24; on
call, the engineer needs the whole keymap at once, with the ids used to remap keys.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import ActiveBinding, Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from tui.sanitize import safe_text


def bindings_table(bindings: dict[str, ActiveBinding]) -> Table:
    """A table of key, what it does, where it applies and its remap id."""
    table = Table(box=None, expand=True, pad_edge=False, show_edge=False)
    table.add_column("key", style="bold", no_wrap=True)
    table.add_column("does")
    table.add_column("where", style="dim", no_wrap=True)
    table.add_column("id (for [keys])", style="dim", no_wrap=True)
    seen: set[tuple[str, str]] = set()
    rows = sorted(bindings.values(), key=lambda b: (b.node is not b.node.app, b.binding.key))
    for active in rows:
        binding = active.binding
        label = binding.description or binding.action
        if (binding.action, label) in seen or not label:
            continue
        seen.add((binding.action, label))
        keys = [k for k, b in bindings.items() if b.binding.action == binding.action]
        where = "everywhere" if active.node is active.node.app else type(active.node).__name__
        table.add_row(
            safe_text(", ".join(active.node.app.get_key_display(Binding(k, "")) for k in keys)),
            safe_text(label),
            safe_text(where),
            safe_text(binding.id or ""),
        )
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
        with VerticalScroll(id="keys", classes="dialog"):
            yield Label(Text("Keys  (escape closes · ctrl+p for every command)", style="bold"),
                        classes="dialog-title")
            yield Static(bindings_table(self._shown))
