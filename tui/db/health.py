"""The database health checks of the runbooks: index usage, table sizes, cache hit ratio,
primary or standby, and replication lag where this user can see it.

Read only while the health view is shown (sizes stat every file of the largest tables),
in one read-only transaction. Names are sanitised: a table may be called anything.
"""

from __future__ import annotations

from dataclasses import dataclass

from tui.db.session import DbSession
from tui.sanitize import sanitize

TOP = 12

SERVER_QUERY = """
SELECT pg_catalog.pg_is_in_recovery() AS in_recovery,
       (SELECT sum(d.blks_hit)::float8 / nullif(sum(d.blks_hit) + sum(d.blks_read), 0)
        FROM pg_catalog.pg_stat_database AS d
        WHERE d.datname = pg_catalog.current_database()) AS cache_hit,
       CASE WHEN pg_catalog.pg_is_in_recovery()
            THEN extract(epoch FROM pg_catalog.now()
                         - pg_catalog.pg_last_xact_replay_timestamp())::float8
       END AS replay_lag_s
""".strip()

INDEXES_QUERY = """
SELECT s.schemaname::text AS schema, s.relname::text AS table_name,
       s.indexrelname::text AS index_name, s.idx_scan AS scans,
       pg_catalog.pg_relation_size(s.indexrelid) AS bytes, i.indisunique AS is_unique
FROM pg_catalog.pg_stat_user_indexes AS s
JOIN pg_catalog.pg_index AS i ON i.indexrelid = s.indexrelid
ORDER BY s.idx_scan ASC, pg_catalog.pg_relation_size(s.indexrelid) DESC, s.indexrelname
LIMIT $1
""".strip()

TABLES_QUERY = """
SELECT t.schemaname::text AS schema, t.relname::text AS table_name,
       pg_catalog.pg_total_relation_size(t.relid) AS total_bytes,
       c.reltuples::float8 AS estimated_rows, t.seq_scan, t.idx_scan, t.n_dead_tup,
       io.heap_blks_hit::float8
           / nullif(io.heap_blks_hit + io.heap_blks_read, 0) AS cache_hit
FROM pg_catalog.pg_stat_user_tables AS t
JOIN pg_catalog.pg_class AS c ON c.oid = t.relid
LEFT JOIN pg_catalog.pg_statio_user_tables AS io ON io.relid = t.relid
ORDER BY pg_catalog.pg_total_relation_size(t.relid) DESC, t.relname
LIMIT $1
""".strip()

REPLICAS_QUERY = """
SELECT r.application_name, pg_catalog.host(r.client_addr) AS client, r.state,
       extract(epoch FROM r.replay_lag)::float8 AS replay_lag_s
FROM pg_catalog.pg_stat_replication AS r
ORDER BY r.application_name
""".strip()


@dataclass(frozen=True)
class IndexUsage:
    """An index and how often it was used since statistics were last reset."""

    schema: str
    table: str
    index: str
    scans: int
    bytes: int
    unique: bool


@dataclass(frozen=True)
class TableSize:
    """A table's size on disk with indexes and TOAST, and how it is read."""

    schema: str
    table: str
    total_bytes: int
    estimated_rows: int
    seq_scans: int
    index_scans: int | None
    dead_rows: int
    cache_hit_ratio: float | None


@dataclass(frozen=True)
class Replica:
    """A standby streaming from this server; lag is None when not visible to this user."""

    name: str
    client: str
    state: str
    replay_lag_s: float | None


@dataclass(frozen=True)
class DbHealth:
    """One reading of the health checks."""

    in_recovery: bool
    cache_hit_ratio: float | None
    replay_lag_s: float | None
    least_used_indexes: tuple[IndexUsage, ...]
    largest_tables: tuple[TableSize, ...]
    replicas: tuple[Replica, ...]

    @property
    def role(self) -> str:
        """"primary" or "standby (read-only replica)", from pg_is_in_recovery()."""
        return "standby (read-only replica)" if self.in_recovery else "primary"


async def read_health(session: DbSession, top: int = TOP) -> DbHealth:
    """Read every health check through ``session`` in one read-only transaction."""
    async with session.transaction() as tx:
        server = await tx.fetchrow(SERVER_QUERY)
        indexes = await tx.fetch(INDEXES_QUERY, top)
        tables = await tx.fetch(TABLES_QUERY, top)
        replicas = await tx.fetch(REPLICAS_QUERY)
    assert server is not None
    return DbHealth(
        in_recovery=bool(server["in_recovery"]),
        cache_hit_ratio=server["cache_hit"],
        replay_lag_s=server["replay_lag_s"],
        least_used_indexes=tuple(
            IndexUsage(sanitize(r["schema"]), sanitize(r["table_name"]),
                       sanitize(r["index_name"]), int(r["scans"] or 0), int(r["bytes"] or 0),
                       bool(r["is_unique"]))
            for r in indexes
        ),
        largest_tables=tuple(
            TableSize(sanitize(r["schema"]), sanitize(r["table_name"]),
                      int(r["total_bytes"] or 0), max(0, int(r["estimated_rows"] or 0)),
                      int(r["seq_scan"] or 0),
                      None if r["idx_scan"] is None else int(r["idx_scan"]),
                      int(r["n_dead_tup"] or 0), r["cache_hit"])
            for r in tables
        ),
        replicas=tuple(
            Replica(sanitize(r["application_name"] or ""), r["client"] or "local",
                    r["state"] or "not visible (needs pg_read_all_stats)", r["replay_lag_s"])
            for r in replicas
        ),
    )
