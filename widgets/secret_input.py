"""A password field that never lets its value out: masked, no copy, no cut, cleared on take."""

from __future__ import annotations

from textual.widgets import Input


class SecretInput(Input):
    """Textual's ``Input`` in password mode, minus copy and cut (they would write the value
    to the terminal's clipboard), with ``take()`` to read the value and clear it at once."""

    def __init__(self, *, placeholder: str = "", id: str | None = None) -> None:
        super().__init__(placeholder=placeholder, password=True, id=id)

    def action_copy(self) -> None:
        """Copying a hidden value is refused: it would leave onduty through OSC 52."""

    def action_cut(self) -> None:
        """Cutting is refused for the same reason as copying."""

    def take(self) -> str:
        """The typed value; the field is emptied so nothing keeps it after this call."""
        value, self.value = self.value, ""
        return value
