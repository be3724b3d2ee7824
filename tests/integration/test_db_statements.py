"""pg_stat_statements against the real cluster: workload, sorts, statuses, sanitising."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from tests.support.pg import connect, dsn_for, scratch_database
from tests.support.pss_columns import COLUMN_SETS, names
from tui.db.activity import read_activity
from tui.db.cluster import TempCluster
from tui.db.session import DbSession
from tui.db.statements import (
    SortKey,
    StatementsReader,
    StatementsState,
    build_statements_query,
    build_texts_query,
    resolve_columns,
)

SLOW = "SELECT pg_sleep($1::float8 / 1000) /* slow-marker */"
FREQUENT = "SELECT $1::int + 1 AS frequent_marker"
ROWS = "SELECT g FROM generate_series(1, $1::int) AS rows_marker(g)"


async def run_workload(dsn: str) -> None:
    conn = await connect(dsn)
    try:
        for _ in range(3):
            await conn.fetch(SLOW, 40)
        for i in range(150):
            await conn.fetch(FREQUENT, i)
        await conn.fetch(ROWS, 5000)
    finally:
        await conn.close()


@pytest.fixture
async def session(pg_dsn: str) -> AsyncIterator[DbSession]:
    db = await DbSession.connect(pg_dsn)
    try:
        yield db
    finally:
        await db.close()


def _index(stats: tuple, marker: str) -> int:
    return next(i for i, s in enumerate(stats) if marker in s.query)


async def test_workload_appears_and_sort_keys_change_the_order(
    pg_dsn: str, session: DbSession
) -> None:
    await run_workload(pg_dsn)
    reader = StatementsReader(limit=20)
    by_mean, status = await reader.read(session, SortKey.MEAN)
    assert status.state is StatementsState.OK
    assert "slow-marker" in by_mean[0].query
    slow = by_mean[0]
    assert slow.calls == 3 and slow.mean_ms >= 40 and slow.max_ms is not None
    assert slow.max_ms >= slow.mean_ms
    by_calls, _ = await reader.read(session, SortKey.CALLS)
    assert "frequent_marker" in by_calls[0].summary
    assert by_calls[0].calls == 150 and by_calls[0].rows_per_call == 1.0
    by_rows, _ = await reader.read(session, SortKey.ROWS)
    assert "rows_marker" in by_rows[0].query and by_rows[0].rows == 5000
    by_total, _ = await reader.read(session, SortKey.TOTAL)
    assert [s.total_ms for s in by_total] == sorted((s.total_ms for s in by_total), reverse=True)
    by_io, _ = await reader.read(session, SortKey.IO)
    assert [s.shared_blks_read for s in by_io] == sorted(
        (s.shared_blks_read for s in by_io), reverse=True
    )
    assert 0 < sum(s.share_of_total for s in by_mean) <= 100.0001
    assert all(s.cache_hit_ratio is None or 0 <= s.cache_hit_ratio <= 1 for s in by_mean)


async def test_query_texts_are_fetched_once_per_new_queryid(
    pg_dsn: str, session: DbSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    await run_workload(pg_dsn)
    reader = StatementsReader(limit=20)
    loads: list[list[int]] = []
    original = reader._load_texts

    async def counting(db: DbSession, columns: object, queryids: list[int]) -> None:
        loads.append(queryids)
        await original(db, columns, queryids)  # type: ignore[arg-type]

    monkeypatch.setattr(reader, "_load_texts", counting)
    first, _ = await reader.read(session, SortKey.MEAN)
    assert len(loads) == 1 and set(loads[0]) >= {s.queryid for s in first[:3]}
    again, _ = await reader.read(session, SortKey.MEAN)
    new_ids = {s.queryid for s in again} - {s.queryid for s in first}
    assert all(set(batch) <= new_ids for batch in loads[1:])
    assert all(s.query for s in again if s.queryid not in new_ids)


async def test_query_text_is_sanitised(pg_dsn: str, session: DbSession) -> None:
    conn = await connect(pg_dsn)
    try:
        await conn.fetch("SELECT 1 AS x /* [/] \x1b]52;c;ZXZpbA==\x07 [bold */")
    finally:
        await conn.close()
    stats, _ = await StatementsReader().read(session, SortKey.CALLS)
    evil = next(s for s in stats if "ZXZpbA" in s.query)
    assert "\x1b" not in evil.query and "\x07" not in evil.query
    assert "␛]52" in evil.query and "[/]" in evil.query


async def test_extension_missing_gives_the_create_extension_fix(pg_cluster: TempCluster) -> None:
    async with scratch_database(pg_cluster.dsn, extension=None) as dsn:
        db = await DbSession.connect(dsn)
        try:
            stats, status = await StatementsReader().read(db, SortKey.MEAN)
        finally:
            await db.close()
    assert stats == ()
    assert status.state is StatementsState.NOT_INSTALLED
    assert "CREATE EXTENSION pg_stat_statements" in status.fix


async def test_extension_in_the_extensions_schema_is_qualified(pg_cluster: TempCluster) -> None:
    async with scratch_database(pg_cluster.dsn, extension="extensions") as dsn:
        await run_workload(dsn)
        db = await DbSession.connect(dsn)
        try:
            stats, status = await StatementsReader().read(db, SortKey.MEAN)
        finally:
            await db.close()
    assert status.state is StatementsState.OK
    assert "slow-marker" in stats[0].query


async def test_other_users_statements_hidden_give_the_grant_banner(
    pg_dsn: str, pg_cluster: TempCluster
) -> None:
    await run_workload(pg_dsn)
    admin = await connect(pg_dsn)
    try:
        await admin.execute("DROP ROLE IF EXISTS onduty_limited")
        await admin.execute("CREATE ROLE onduty_limited LOGIN")
        limited_dsn = dsn_for(pg_dsn, user="onduty_limited")
        db = await DbSession.connect(limited_dsn)
        try:
            await db.fetch("SELECT 42 AS own_marker")
            stats, status = await StatementsReader().read(db, SortKey.MEAN)
            activity = await read_activity(db)
        finally:
            await db.close()
    finally:
        await admin.execute("DROP ROLE IF EXISTS onduty_limited")
        await admin.close()
    assert status.state is StatementsState.LIMITED
    assert "hidden" in status.message
    assert status.fix == 'GRANT pg_read_all_stats TO "onduty_limited";'
    assert any("own_marker" in s.query for s in stats)
    assert not any("slow-marker" in s.query for s in stats)
    assert activity.max_connections == 50


@pytest.fixture(scope="module")
def unpreloaded_cluster() -> Iterator[TempCluster]:
    """A second cluster where the extension exists but the library is not preloaded."""
    with TempCluster(settings={"shared_preload_libraries": ""}) as cluster:
        yield cluster


async def test_installed_but_not_preloaded_says_so(unpreloaded_cluster: TempCluster) -> None:
    db = await DbSession.connect(unpreloaded_cluster.dsn)
    try:
        stats, status = await StatementsReader().read(db, SortKey.MEAN)
    finally:
        await db.close()
    assert stats == ()
    assert status.state is StatementsState.NOT_PRELOADED
    assert "shared_preload_libraries" in status.fix and "restart" in status.fix


@pytest.mark.parametrize("version", sorted(COLUMN_SETS))
async def test_generated_sql_runs_against_each_versions_column_set(
    pg_dsn: str, version: str
) -> None:
    """A stand-in function with the old/new column set proves the SQL names no absent column."""
    columns = COLUMN_SETS[version]
    schema = f"fake_{version}"
    values = ", ".join(
        {
            "dbid": "(SELECT oid FROM pg_database WHERE datname = current_database())",
            "queryid": "v.id",
            "query": "'SELECT fake ' || v.id",
            "calls": "v.id * 10",
        }.get(name, f"v.id::{kind}" if kind != "timestamptz" else "now()")
        if kind != "bool" else "true"
        for name, kind in columns
    )
    outs = ", ".join(f"OUT {name} {kind}" for name, kind in columns)
    admin = await connect(pg_dsn)
    try:
        await admin.execute(f"CREATE SCHEMA {schema}")
        await admin.execute(
            f"CREATE FUNCTION {schema}.pg_stat_statements(showtext boolean, {outs}) "
            f"RETURNS SETOF record LANGUAGE sql AS $$ SELECT {values} "
            "FROM (VALUES (1::bigint), (2::bigint), (3::bigint)) AS v(id) $$"
        )
    finally:
        await admin.close()
    resolved = resolve_columns(schema, names(columns))
    assert resolved is not None
    db = await DbSession.connect(pg_dsn)
    try:
        for key in SortKey:
            rows = await db.fetch(build_statements_query(resolved, key), 10)
            assert sorted(int(r["queryid"]) for r in rows) == [1, 2, 3]
        texts = await db.fetch(build_texts_query(resolved), [2])
        assert bytes(texts[0]["query"]) == b"SELECT fake 2"
    finally:
        await db.close()
