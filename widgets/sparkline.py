"""Text sparklines: a latency or rate history in one cell per sample."""

from __future__ import annotations

from collections.abc import Sequence

_BARS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[float | None], width: int) -> str:
    """The last ``width`` values as bars scaled to their own maximum; None is a gap (·)."""
    recent = list(values)[-width:]
    known = [v for v in recent if v is not None]
    top = max(known, default=0.0) or 1.0
    cells = []
    for value in recent:
        if value is None:
            cells.append("·")
        else:
            cells.append(_BARS[min(len(_BARS) - 1, int(value / top * (len(_BARS) - 1)))])
    return "".join(cells).rjust(width)
