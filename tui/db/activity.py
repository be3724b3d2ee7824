"""Who is connected and what they are doing: the pool-exhaustion and lock checks of the runbooks.

Reads ``pg_stat_activity`` once per refresh. Text columns are fetched as bytes
(``textsend``) and decoded leniently, because another database's LATIN1 or SQL_ASCII
text arrives unconverted and would make a strict UTF-8 decode fail; then sanitised.
``pg_blocking_pids`` is only called for sessions waiting on a lock (it is not free).
Without ``pg_read_all_stats`` other users' sessions have no ``backend_type``; those in a
database (client backends, not background processes) still count against
max_connections, so they are kept, in the state "insufficient privilege".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tui.db.session import DbSession
from tui.sanitize import decode, sanitize

if TYPE_CHECKING:
    import asyncpg  # only for row types; the driver loads when a session connects

LONG_RUNNING_AFTER = 5.0
# Without pg_read_all_stats another user's session shows no state, type or query.
HIDDEN_STATE = "insufficient privilege"

ACTIVITY_QUERY = """
SELECT a.pid,
       pg_catalog.textsend(a.usename::text) AS username,
       pg_catalog.textsend(a.application_name) AS application,
       pg_catalog.textsend(a.datname::text) AS database,
       pg_catalog.host(a.client_addr) AS client,
       a.state,
       a.wait_event_type,
       a.wait_event,
       extract(epoch FROM pg_catalog.clock_timestamp() - a.query_start)::float8 AS query_age,
       extract(epoch FROM pg_catalog.clock_timestamp() - a.xact_start)::float8 AS xact_age,
       extract(epoch FROM pg_catalog.clock_timestamp() - a.state_change)::float8 AS state_age,
       CASE WHEN a.wait_event_type = 'Lock'
            THEN pg_catalog.pg_blocking_pids(a.pid) END AS blockers,
       pg_catalog.textsend(a.query) AS query,
       a.backend_type IS NULL AS hidden
FROM pg_catalog.pg_stat_activity AS a
WHERE (a.backend_type = 'client backend' OR (a.backend_type IS NULL AND a.datid IS NOT NULL))
  AND a.pid <> pg_catalog.pg_backend_pid()
ORDER BY a.pid
""".strip()

SETTINGS_QUERY = "SELECT current_setting('max_connections')::int AS max_connections"


@dataclass(frozen=True)
class BackendInfo:
    """One client session (not onduty's own). Ages are seconds; None when not applicable."""

    pid: int
    user: str
    application: str
    database: str
    client: str
    state: str
    wait_event_type: str | None
    wait_event: str | None
    query_age_s: float | None
    xact_age_s: float | None
    state_age_s: float | None
    blocked_by: tuple[int, ...]
    query: str

    @property
    def summary(self) -> str:
        """The query text on one line, for table rows."""
        return " ".join(self.query.split())

    @property
    def waiting(self) -> str:
        """``Lock/transactionid`` style label, or an empty string when not waiting."""
        if not self.wait_event_type:
            return ""
        return f"{self.wait_event_type}/{self.wait_event or '?'}"


@dataclass(frozen=True)
class BlockingPair:
    """A session waiting on a lock and the sessions it waits for."""

    blocked_pid: int
    blocker_pids: tuple[int, ...]


@dataclass(frozen=True)
class ActivitySummary:
    """Sessions by state against max_connections, long runners, idle transactions, locks."""

    states: tuple[tuple[str, int], ...]
    total: int
    max_connections: int
    long_running: tuple[BackendInfo, ...]
    idle_in_transaction: tuple[BackendInfo, ...]
    blocking: tuple[BlockingPair, ...]
    sessions: tuple[BackendInfo, ...]
    long_running_after: float = LONG_RUNNING_AFTER

    def count(self, state: str) -> int:
        """Sessions in ``state`` (e.g. "idle in transaction")."""
        return dict(self.states).get(state, 0)

    def session(self, pid: int) -> BackendInfo | None:
        return next((s for s in self.sessions if s.pid == pid), None)

    @property
    def usage_pct(self) -> float:
        """Client sessions as a percentage of max_connections."""
        return 100.0 * self.total / self.max_connections if self.max_connections else 0.0


@dataclass(frozen=True)
class TreeRow:
    """One line of the blocking tree: ``depth`` 0 is a session that blocks and waits for none.

    ``backend`` is None when the pid is not a client session (e.g. autovacuum).
    """

    depth: int
    pid: int
    backend: BackendInfo | None
    blocks: int


def blocking_tree(summary: ActivitySummary) -> tuple[TreeRow, ...]:
    """Who blocks whom, as an indented tree: each blocker followed by the sessions waiting on it.

    A session waiting on two blockers is listed under both. A cycle (a deadlock the
    server has not resolved yet) is cut where it closes, and starts at its lowest pid.
    """
    waiters: dict[int, list[int]] = {}
    blocked: set[int] = set()
    for pair in summary.blocking:
        blocked.add(pair.blocked_pid)
        for blocker in pair.blocker_pids:
            waiters.setdefault(blocker, []).append(pair.blocked_pid)
    rows: list[TreeRow] = []
    seen: set[int] = set()

    def walk(pid: int, depth: int, path: frozenset[int]) -> None:
        children = sorted(waiters.get(pid, ()))
        rows.append(TreeRow(depth, pid, summary.session(pid), len(children)))
        seen.add(pid)
        for child in children:
            if child not in path:
                walk(child, depth + 1, path | {child})

    for root in sorted(p for p in waiters if p not in blocked):
        walk(root, 0, frozenset({root}))
    for pid in sorted(waiters):
        if pid not in seen:
            walk(pid, 0, frozenset({pid}))
    return tuple(rows)


def _text(value: bytes | None) -> str:
    return sanitize(decode(bytes(value))) if value is not None else ""


def backend_from_row(row: asyncpg.Record) -> BackendInfo:
    """Build a BackendInfo from one ACTIVITY_QUERY row, decoding text leniently."""
    raw_query = row["query"]
    return BackendInfo(
        pid=int(row["pid"]),
        user=_text(row["username"]),
        application=_text(row["application"]),
        database=_text(row["database"]),
        client=row["client"] or "local",
        state=row["state"] or (HIDDEN_STATE if row["hidden"] else "unknown"),
        wait_event_type=row["wait_event_type"],
        wait_event=row["wait_event"],
        query_age_s=row["query_age"],
        xact_age_s=row["xact_age"],
        state_age_s=row["state_age"],
        blocked_by=tuple(int(p) for p in row["blockers"] or ()),
        query=sanitize(decode(bytes(raw_query)), multiline=True) if raw_query is not None else "",
    )


def summarize(
    sessions: tuple[BackendInfo, ...],
    max_connections: int,
    long_running_after: float = LONG_RUNNING_AFTER,
) -> ActivitySummary:
    """Group sessions into the summary the activity view shows."""
    counts: dict[str, int] = {}
    for backend in sessions:
        counts[backend.state] = counts.get(backend.state, 0) + 1
    long_running = sorted(
        (
            s
            for s in sessions
            if s.state == "active" and (s.query_age_s or 0.0) > long_running_after
        ),
        key=lambda s: -(s.query_age_s or 0.0),
    )
    idle_tx = sorted(
        (s for s in sessions if s.state.startswith("idle in transaction")),
        key=lambda s: -(s.xact_age_s or 0.0),
    )
    return ActivitySummary(
        states=tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))),
        total=len(sessions),
        max_connections=max_connections,
        long_running=tuple(long_running),
        idle_in_transaction=tuple(idle_tx),
        blocking=tuple(
            BlockingPair(s.pid, s.blocked_by) for s in sessions if s.blocked_by
        ),
        sessions=sessions,
        long_running_after=long_running_after,
    )


async def read_activity(
    session: DbSession, long_running_after: float = LONG_RUNNING_AFTER
) -> ActivitySummary:
    """One read of pg_stat_activity through ``session``."""
    async with session.transaction() as tx:
        rows = await tx.fetch(ACTIVITY_QUERY)
        max_connections = int(await tx.fetchval(SETTINGS_QUERY))
    sessions = tuple(backend_from_row(r) for r in rows)
    return summarize(sessions, max_connections, long_running_after)
