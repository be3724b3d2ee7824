"""Top statements from pg_stat_statements, built from the catalog rather than the version.

The extension's columns were renamed in PG13 (``total_time`` -> ``total_exec_time``) and
PG17 (``blk_read_time`` -> ``shared_blk_read_time``), and the extension's version can lag
the server's, so the view's real columns are read from ``pg_attribute`` and the query is
generated from them. Counters are read with ``pg_stat_statements(false)`` (no query
texts: loading every text each refresh costs several times more and spills to disk);
texts are fetched once per new queryid and cached.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, TypeVar

from tui.db.session import DbError, DbErrorKind, DbSession
from tui.sanitize import decode, sanitize

if TYPE_CHECKING:
    import asyncpg  # only for row types; the driver loads when a session connects

DEFAULT_LIMIT = 50
_TEXT_CACHE_MAX = 2000
_REQUIRED = ("queryid", "dbid", "calls", "rows", "shared_blks_hit", "shared_blks_read")
_TOTAL = ("total_exec_time", "total_time")
_MAX = ("max_exec_time", "max_time")
_READ_TIME = ("shared_blk_read_time", "blk_read_time")


class SortKey(StrEnum):
    """The orders the statements view offers."""

    MEAN = "mean"
    TOTAL = "total"
    CALLS = "calls"
    ROWS = "rows"
    IO = "io"


_ORDER_BY: dict[SortKey, str] = {
    SortKey.MEAN: "p.total_ms / NULLIF(p.calls, 0) DESC NULLS LAST",
    SortKey.TOTAL: "p.total_ms DESC NULLS LAST",
    SortKey.CALLS: "p.calls DESC NULLS LAST",
    SortKey.ROWS: "p.rows DESC NULLS LAST",
    SortKey.IO: "p.shared_blks_read DESC NULLS LAST, p.read_ms DESC NULLS LAST",
}


class StatementsState(StrEnum):
    """Whether statements can be shown, and if not, which fix applies."""

    OK = "ok"
    LIMITED = "privileges limited"
    NOT_INSTALLED = "not installed"
    NOT_PRELOADED = "not preloaded"
    UNSUPPORTED = "unsupported"
    ERROR = "error"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class StatementsStatus:
    """The state in plain words, with the command or setting that fixes it."""

    state: StatementsState
    message: str = ""
    fix: str = ""


STATUS_OK = StatementsStatus(StatementsState.OK)
STATUS_UNKNOWN = StatementsStatus(StatementsState.UNKNOWN, "not read yet")


@dataclass(frozen=True)
class StatementStats:
    """One normalised statement's counters, summed over users, in the current database.

    In a delta mode the counters cover the window only; ``before_mean_ms`` is the mean
    before the window and ``extra_ms`` the time spent beyond what that mean predicts.
    """

    queryid: int
    query: str
    calls: int
    total_ms: float
    mean_ms: float
    max_ms: float | None
    rows: int
    rows_per_call: float
    shared_blks_hit: int
    shared_blks_read: int
    read_ms: float | None
    cache_hit_ratio: float | None
    share_of_total: float
    before_mean_ms: float | None = None
    extra_ms: float | None = None

    @property
    def summary(self) -> str:
        """The query text on one line (whitespace runs collapsed), for table rows."""
        return " ".join(self.query.split())


@dataclass(frozen=True)
class Counters:
    """One statement's cumulative counters, the numbers a mark keeps (no text)."""

    calls: int
    total_ms: float
    rows: int
    shared_blks_hit: int
    shared_blks_read: int
    read_ms: float


@dataclass(frozen=True)
class StatementColumns:
    """The names this server's pg_stat_statements uses, resolved from its catalog."""

    schema: str
    total: str
    max: str | None
    read_time: str | None


def resolve_columns(schema: str, columns: Iterable[str]) -> StatementColumns | None:
    """Pick the column names to use, or None if the view lacks something essential."""
    present = set(columns)
    total = next((c for c in _TOTAL if c in present), None)
    if total is None or not all(c in present for c in _REQUIRED):
        return None
    return StatementColumns(
        schema=schema,
        total=total,
        max=next((c for c in _MAX if c in present), None),
        read_time=next((c for c in _READ_TIME if c in present), None),
    )


def quote_ident(name: str) -> str:
    """Quote an SQL identifier (schema names come from the catalog, but may be odd)."""
    return '"' + name.replace('"', '""') + '"'


def build_statements_query(columns: StatementColumns, sort: SortKey) -> str:
    """Counters of the top ``$1`` statements of the current database, in ``sort`` order.

    Rows are summed per queryid (one queryid can appear per user and nesting level).
    Rows without a queryid (other users' statements, hidden without pg_read_all_stats)
    are grouped into one row that always sorts last and carries the ``hidden`` count.
    """
    func = f"{quote_ident(columns.schema)}.pg_stat_statements(false)"
    max_expr = f"max(s.{columns.max})" if columns.max else "NULL::float8"
    read_expr = f"sum(s.{columns.read_time})" if columns.read_time else "NULL::float8"
    return f"""
WITH p AS (
    SELECT s.queryid,
           sum(s.calls)::bigint AS calls,
           sum(s.{columns.total})::float8 AS total_ms,
           {max_expr}::float8 AS max_ms,
           sum(s.rows)::bigint AS rows,
           sum(s.shared_blks_hit)::bigint AS shared_blks_hit,
           sum(s.shared_blks_read)::bigint AS shared_blks_read,
           {read_expr}::float8 AS read_ms,
           count(*) AS entries
    FROM {func} AS s
    WHERE s.dbid = (SELECT d.oid FROM pg_catalog.pg_database AS d
                    WHERE d.datname = pg_catalog.current_database())
    GROUP BY s.queryid
)
SELECT p.queryid, p.calls, p.total_ms, p.max_ms, p.rows, p.shared_blks_hit,
       p.shared_blks_read, p.read_ms,
       sum(p.total_ms) OVER () AS all_total_ms,
       coalesce(sum(p.entries) FILTER (WHERE p.queryid IS NULL) OVER (), 0)::bigint AS hidden
FROM p
ORDER BY p.queryid IS NULL, {_ORDER_BY[sort]}, p.queryid
LIMIT $1 + 1
""".strip()


def build_counters_query(columns: StatementColumns) -> str:
    """The cumulative counters of every statement of the current database, without texts.

    Used for marks and delta modes: a few numbers per queryid, so a baseline of
    thousands of statements costs kilobytes, not the megabytes their texts would.
    """
    func = f"{quote_ident(columns.schema)}.pg_stat_statements(false)"
    read_expr = f"sum(s.{columns.read_time})" if columns.read_time else "0"
    return f"""
SELECT s.queryid,
       sum(s.calls)::bigint AS calls,
       sum(s.{columns.total})::float8 AS total_ms,
       sum(s.rows)::bigint AS rows,
       sum(s.shared_blks_hit)::bigint AS shared_blks_hit,
       sum(s.shared_blks_read)::bigint AS shared_blks_read,
       coalesce({read_expr}, 0)::float8 AS read_ms
FROM {func} AS s
WHERE s.queryid IS NOT NULL
  AND s.dbid = (SELECT d.oid FROM pg_catalog.pg_database AS d
                WHERE d.datname = pg_catalog.current_database())
GROUP BY s.queryid
""".strip()


def build_texts_query(columns: StatementColumns) -> str:
    """Texts of the queryids in ``$1`` (bytes, decoded safely by the caller)."""
    func = f"{quote_ident(columns.schema)}.pg_stat_statements(true)"
    return f"""
SELECT DISTINCT ON (s.queryid) s.queryid, pg_catalog.textsend(s.query) AS query
FROM {func} AS s
WHERE s.queryid = ANY($1::bigint[])
  AND s.dbid = (SELECT d.oid FROM pg_catalog.pg_database AS d
                WHERE d.datname = pg_catalog.current_database())
ORDER BY s.queryid
""".strip()


DETECT_QUERY = """
SELECT n.nspname AS schema, e.extversion AS version, current_user AS username,
       ARRAY(SELECT a.attname::text FROM pg_catalog.pg_attribute AS a
             WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns
FROM pg_catalog.pg_extension AS e
JOIN pg_catalog.pg_namespace AS n ON n.oid = e.extnamespace
LEFT JOIN pg_catalog.pg_class AS c
       ON c.relnamespace = n.oid AND c.relname = 'pg_stat_statements'
WHERE e.extname = 'pg_stat_statements'
""".strip()

_NOT_INSTALLED = StatementsStatus(
    StatementsState.NOT_INSTALLED,
    "pg_stat_statements is not installed in this database",
    "CREATE EXTENSION pg_stat_statements; (it must also be in shared_preload_libraries)",
)
_NOT_PRELOADED = StatementsStatus(
    StatementsState.NOT_PRELOADED,
    "pg_stat_statements is installed but the server did not load it",
    "add pg_stat_statements to shared_preload_libraries and restart the server "
    "(on a managed service, enable it in the provider's settings)",
)
_NEEDS_REDETECT = {"42P01", "42703", "42883", "3F000"}
_T = TypeVar("_T")


class StatementsReader:
    """Reads the top statements through one session; caches columns and query texts.

    Call ``reset()`` after reconnecting: a new connection may reach another server.
    """

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        self.limit = limit
        self._columns: StatementColumns | None = None
        self._user = ""
        self._texts: dict[int, str] = {}

    def reset(self) -> None:
        self._columns = None
        self._texts.clear()

    @property
    def schema(self) -> str | None:
        """The schema pg_stat_statements was found in (None until detected)."""
        return self._columns.schema if self._columns else None

    async def read(
        self, session: DbSession, sort: SortKey
    ) -> tuple[tuple[StatementStats, ...], StatementsStatus]:
        """The top statements and the view's status; a lost connection still raises."""

        async def body(columns: StatementColumns) -> tuple[tuple[StatementStats, ...],
                                                           StatementsStatus]:
            return await self._read(session, columns, sort)

        return await self._guarded(session, body, ())

    async def read_counters(
        self, session: DbSession
    ) -> tuple[dict[int, Counters], StatementsStatus]:
        """Counters of every statement (no texts), for marks and deltas."""

        async def body(columns: StatementColumns) -> tuple[dict[int, Counters],
                                                           StatementsStatus]:
            rows = await session.fetch(build_counters_query(columns))
            counters = {
                int(r["queryid"]): Counters(
                    calls=int(r["calls"] or 0),
                    total_ms=float(r["total_ms"] or 0.0),
                    rows=int(r["rows"] or 0),
                    shared_blks_hit=int(r["shared_blks_hit"] or 0),
                    shared_blks_read=int(r["shared_blks_read"] or 0),
                    read_ms=float(r["read_ms"] or 0.0),
                )
                for r in rows
            }
            return counters, self._schema_status(columns)

        return await self._guarded(session, body, {})

    async def texts(self, session: DbSession, queryids: Iterable[int]) -> dict[int, str]:
        """Sanitised texts of ``queryids``, fetching only those not cached yet."""
        wanted = list(dict.fromkeys(queryids))
        missing = [q for q in wanted if q not in self._texts]
        if missing and self._columns is not None:
            await self._load_texts(session, self._columns, missing)
        return {q: self._texts.get(q, "") for q in wanted}

    async def _guarded(
        self,
        session: DbSession,
        body: Callable[[StatementColumns], Awaitable[tuple[_T, StatementsStatus]]],
        empty: _T,
    ) -> tuple[_T, StatementsStatus]:
        """Run ``body`` with detected columns; server refusals become a status with a fix."""
        try:
            if self._columns is None:
                status = await self._detect(session)
                if status is not None:
                    return empty, status
            assert self._columns is not None
            return await body(self._columns)
        except DbError as exc:
            if exc.kind is DbErrorKind.CONNECTION_LOST:
                raise
            return empty, self._refusal(exc)

    def _refusal(self, exc: DbError) -> StatementsStatus:
        if exc.sqlstate in _NEEDS_REDETECT:
            self._columns = None
        who = quote_ident(self._user or "USER")
        if exc.sqlstate == "55000":
            return _NOT_PRELOADED
        if exc.sqlstate == "42P01":
            return _NOT_INSTALLED
        if exc.sqlstate == "42501" and "schema" in str(exc):
            schema = quote_ident(self._columns.schema if self._columns else "SCHEMA")
            return StatementsStatus(
                StatementsState.ERROR,
                f"pg_stat_statements is in schema {schema}, which this user may not use: {exc}",
                f"GRANT USAGE ON SCHEMA {schema} TO {who};",
            )
        if exc.sqlstate == "42501":
            return StatementsStatus(
                StatementsState.ERROR,
                f"not allowed to read pg_stat_statements: {exc}",
                f"GRANT pg_read_all_stats TO {who};",
            )
        return StatementsStatus(StatementsState.ERROR, str(exc))

    @staticmethod
    def _schema_status(columns: StatementColumns) -> StatementsStatus:
        """OK, with a note when the extension lives outside ``public`` (Supabase: extensions)."""
        if columns.schema == "public":
            return STATUS_OK
        return StatementsStatus(
            StatementsState.OK,
            f"pg_stat_statements is in schema {quote_ident(columns.schema)}: "
            "onduty reads it by its qualified name",
        )

    async def _detect(self, session: DbSession) -> StatementsStatus | None:
        rows = await session.fetch(DETECT_QUERY)
        if not rows:
            return _NOT_INSTALLED
        row = rows[0]
        self._user = str(row["username"])
        columns = resolve_columns(str(row["schema"]), row["columns"] or ())
        if columns is None:
            return StatementsStatus(
                StatementsState.UNSUPPORTED,
                f"pg_stat_statements {row['version']} lacks the columns onduty reads",
                "ALTER EXTENSION pg_stat_statements UPDATE;",
            )
        self._columns = columns
        return None

    async def _read(
        self, session: DbSession, columns: StatementColumns, sort: SortKey
    ) -> tuple[tuple[StatementStats, ...], StatementsStatus]:
        rows = await session.fetch(build_statements_query(columns, sort), self.limit)
        hidden = int(rows[0]["hidden"]) if rows else 0
        rows = [r for r in rows if r["queryid"] is not None][: self.limit]
        missing = [int(r["queryid"]) for r in rows if int(r["queryid"]) not in self._texts]
        if missing:
            await self._load_texts(session, columns, missing)
        keep = {int(r["queryid"]) for r in rows}
        if len(self._texts) > _TEXT_CACHE_MAX:
            self._texts = {k: v for k, v in self._texts.items() if k in keep}
        stats = tuple(self._stats(r) for r in rows)
        if hidden:
            who = quote_ident(self._user or "USER")
            return stats, StatementsStatus(
                StatementsState.LIMITED,
                f"other users' statements hidden ({hidden} entries without "
                "pg_read_all_stats)",
                f"GRANT pg_read_all_stats TO {who};",
            )
        return stats, self._schema_status(columns)

    async def _load_texts(
        self, session: DbSession, columns: StatementColumns, queryids: list[int]
    ) -> None:
        rows = await session.fetch(build_texts_query(columns), queryids)
        for row in rows:
            raw = row["query"]
            text = decode(bytes(raw)) if raw is not None else ""
            self._texts[int(row["queryid"])] = sanitize(text, multiline=True)
        for queryid in queryids:
            self._texts.setdefault(queryid, "")

    def _stats(self, row: asyncpg.Record) -> StatementStats:
        queryid = int(row["queryid"])
        calls = int(row["calls"] or 0)
        total = float(row["total_ms"] or 0.0)
        hit = int(row["shared_blks_hit"] or 0)
        read = int(row["shared_blks_read"] or 0)
        rows = int(row["rows"] or 0)
        all_total = float(row["all_total_ms"] or 0.0)
        return StatementStats(
            queryid=queryid,
            query=self._texts.get(queryid, ""),
            calls=calls,
            total_ms=total,
            mean_ms=total / calls if calls else 0.0,
            max_ms=None if row["max_ms"] is None else float(row["max_ms"]),
            rows=rows,
            rows_per_call=rows / calls if calls else 0.0,
            shared_blks_hit=hit,
            shared_blks_read=read,
            read_ms=None if row["read_ms"] is None else float(row["read_ms"]),
            cache_hit_ratio=hit / (hit + read) if hit + read else None,
            share_of_total=100.0 * total / all_total if all_total else 0.0,
        )

