"""How a silent source's quiet time reads: coarse, so an idle title rarely changes."""

from __future__ import annotations

from itertools import pairwise

import pytest

from tui.logs.sources import quiet_span


@pytest.mark.parametrize(("seconds", "text"), [
    (30.0, "30 s"), (39.9, "30 s"), (40.0, "40 s"), (59.9, "50 s"),
    (60.0, "1 min"), (119.0, "1 min"), (3599.0, "59 min"),
    (3600.0, "1 h 0 min"), (5400.0, "1 h 30 min"), (90000.0, "25 h 0 min"),
])
def test_quiet_time_steps_by_ten_seconds_then_minutes(seconds: float, text: str) -> None:
    assert quiet_span(seconds) == text


def test_quiet_text_changes_at_most_once_per_ten_seconds_in_the_first_minute() -> None:
    texts = [quiet_span(30 + tenth / 10) for tenth in range(301)]
    changes = sum(1 for before, after in pairwise(texts) if before != after)
    assert changes == 3  # 30 s -> 40 s -> 50 s -> 1 min
