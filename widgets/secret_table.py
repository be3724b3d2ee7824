"""The secrets table: one row per secret name with its state and where it is used.

It shows names and states only; it never receives a value, so it cannot show one.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import DataTable

from tui.redact import redacted_text
from tui.sanitize import safe_text
from tui.secrets import SecretStatus, SecretUse, env_var_name

_GLYPH = {
    "keyring": "●",
    "environment": "●",
    "session": "◐",
    "missing": "○",
    "locked": "✖",
    "unavailable": "✖",
}
_COLUMNS = ("name", "state", "used by", "what to do")


def hint(status: SecretStatus) -> str:
    """What the user can do about a secret in its state, short enough for a cell."""
    if status.state == "environment":
        return f"from {env_var_name(status.name)}"
    if status.state == "session":
        return "in memory until onduty exits"
    if status.state == "missing":
        return "enter: set it"
    if status.state in ("locked", "unavailable"):
        return "enter: type it for this session"
    return ""


class SecretTable(DataTable[Text]):
    """Names, states ("set in keyring", "keyring locked"...), uses and why one is unusable."""

    COMPONENT_CLASSES = {
        "secret-table--ok",
        "secret-table--session",
        "secret-table--missing",
        "secret-table--bad",
    }

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        for column in _COLUMNS:
            self.add_column(column, key=column)

    @property
    def selected_name(self) -> str | None:
        """The name on the highlighted row, or None when the table is empty."""
        if not self.row_count:
            return None
        return str(self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value)

    def show(
        self,
        statuses: Sequence[SecretStatus],
        uses: dict[str, tuple[SecretUse, ...]],
    ) -> None:
        """Replace the rows, keeping the cursor on the same name when it is still listed."""
        selected = self.selected_name
        self.clear()
        for status in statuses:
            used_by = ", ".join(u.label for u in uses.get(status.name, ())) or "not in config"
            self.add_row(
                safe_text(status.name),
                Text(f"{_GLYPH[status.state]} {status.label}", style=self._style(status)),
                safe_text(used_by),
                redacted_text(hint(status)),
                key=status.name,
            )
        names = [s.name for s in statuses]
        if selected in names:
            self.move_cursor(row=names.index(selected), animate=False)

    def _style(self, status: SecretStatus) -> str:
        if status.state in ("keyring", "environment"):
            part = "ok"
        elif status.state == "session":
            part = "session"
        elif status.state == "missing":
            part = "missing"
        else:
            part = "bad"
        return str(self.get_component_rich_style(f"secret-table--{part}"))
