"""The one error type for problems the user can fix, shown as one line without a traceback."""

from __future__ import annotations


class OnDutyError(Exception):
    """Something the user can fix: says what is wrong, where, and what to do."""
