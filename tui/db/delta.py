"""What changed in pg_stat_statements: since the last refresh, or since a mark.

pg_stat_statements only holds totals since the last reset, which hides what is slow
*now*. A mark keeps the counters of every statement (numbers only, no texts) at one
moment, e.g. when an incident opens; the difference from a later reading gives the
calls, time and mean of each statement over that window, and compared with its mean
before the mark, which statements got slower.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from tui.db.session import DbSession
from tui.db.statements import Counters, SortKey, StatementsReader, StatementStats


class DeltaMode(StrEnum):
    """Which counters the statements view shows."""

    CUMULATIVE = "cumulative"
    REFRESH = "since last refresh"
    MARK = "since mark"


@dataclass(frozen=True)
class Mark:
    """The counters of every statement at ``taken_at``, under a label ("incident #12")."""

    label: str
    taken_at: datetime
    counters: Mapping[int, Counters] = field(repr=False, compare=False)

    @property
    def statements(self) -> int:
        return len(self.counters)


@dataclass(frozen=True)
class StatementDelta:
    """One statement's activity in a window, and its mean before the window began."""

    queryid: int
    calls: int
    total_ms: float
    rows: int
    shared_blks_hit: int
    shared_blks_read: int
    read_ms: float
    before_mean_ms: float | None

    @property
    def mean_ms(self) -> float:
        return self.total_ms / self.calls if self.calls else 0.0

    @property
    def extra_ms(self) -> float:
        """Time spent beyond what the old mean predicts (all of it for a new statement)."""
        if self.before_mean_ms is None:
            return self.total_ms
        return self.total_ms - self.before_mean_ms * self.calls


def diff(now: Mapping[int, Counters], before: Mapping[int, Counters]) -> list[StatementDelta]:
    """Per-statement changes from ``before`` to ``now``; statements that did not run are left out.

    A statement whose counters went down was reset or evicted in between: everything it
    has now happened in the window, and there is no "before" to compare with.
    """
    deltas: list[StatementDelta] = []
    for queryid, current in now.items():
        old = before.get(queryid)
        if old is not None and current.calls < old.calls:
            old = None
        base = old or Counters(0, 0.0, 0, 0, 0, 0.0)
        calls = current.calls - base.calls
        if calls <= 0:
            continue
        deltas.append(
            StatementDelta(
                queryid=queryid,
                calls=calls,
                total_ms=max(0.0, current.total_ms - base.total_ms),
                rows=max(0, current.rows - base.rows),
                shared_blks_hit=max(0, current.shared_blks_hit - base.shared_blks_hit),
                shared_blks_read=max(0, current.shared_blks_read - base.shared_blks_read),
                read_ms=max(0.0, current.read_ms - base.read_ms),
                before_mean_ms=old.total_ms / old.calls if old and old.calls else None,
            )
        )
    return deltas


_SORT = {
    SortKey.MEAN: lambda d: d.mean_ms,
    SortKey.TOTAL: lambda d: d.total_ms,
    SortKey.CALLS: lambda d: float(d.calls),
    SortKey.ROWS: lambda d: float(d.rows),
    SortKey.IO: lambda d: float(d.shared_blks_read) + d.read_ms / 1e6,
}


def top(
    deltas: Iterable[StatementDelta], sort: SortKey, limit: int, *, slower: bool = False
) -> list[StatementDelta]:
    """The first ``limit`` deltas in ``sort`` order, or with ``slower`` only the statements
    that got slower (or are new), most extra time first."""
    if slower:
        chosen = [d for d in deltas if d.extra_ms > 0]
        chosen.sort(key=lambda d: (-d.extra_ms, d.queryid))
    else:
        key = _SORT[sort]
        chosen = sorted(deltas, key=lambda d: (-key(d), d.queryid))
    return chosen[:limit]


async def read_delta(
    reader: StatementsReader,
    session: DbSession,
    now: Mapping[int, Counters],
    before: Mapping[int, Counters],
    sort: SortKey,
    *,
    slower: bool = False,
) -> tuple[StatementStats, ...]:
    """The top statements of the window from ``before`` to ``now``, with their texts.

    Texts are fetched only for the rows shown, and only once per queryid (cached).
    """
    deltas = diff(now, before)
    window_total = sum(d.total_ms for d in deltas)
    chosen = top(deltas, sort, reader.limit, slower=slower)
    texts = await reader.texts(session, (d.queryid for d in chosen))
    return tuple(
        StatementStats(
            queryid=d.queryid,
            query=texts.get(d.queryid, ""),
            calls=d.calls,
            total_ms=d.total_ms,
            mean_ms=d.mean_ms,
            max_ms=None,
            rows=d.rows,
            rows_per_call=d.rows / d.calls,
            shared_blks_hit=d.shared_blks_hit,
            shared_blks_read=d.shared_blks_read,
            read_ms=d.read_ms,
            cache_hit_ratio=(d.shared_blks_hit / (d.shared_blks_hit + d.shared_blks_read)
                             if d.shared_blks_hit + d.shared_blks_read else None),
            share_of_total=100.0 * d.total_ms / window_total if window_total else 0.0,
            before_mean_ms=d.before_mean_ms,
            extra_ms=d.extra_ms,
        )
        for d in chosen
    )
