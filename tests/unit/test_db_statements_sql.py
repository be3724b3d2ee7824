"""The statements SQL is a pure function of the detected columns: PG12, PG13-16, PG17."""

from __future__ import annotations

import pytest

from tests.support.pss_columns import COLUMN_SETS, PG12, PG13, PG17, names
from tui.db.statements import (
    SortKey,
    build_statements_query,
    build_texts_query,
    quote_ident,
    resolve_columns,
)


def test_pg12_uses_the_pre_rename_columns() -> None:
    cols = resolve_columns("public", names(PG12))
    assert cols is not None
    assert (cols.total, cols.max, cols.read_time) == ("total_time", "max_time", "blk_read_time")
    sql = build_statements_query(cols, SortKey.MEAN)
    assert "sum(s.total_time)" in sql and "max(s.max_time)" in sql
    assert "exec_time" not in sql and "shared_blk_read_time" not in sql


def test_pg13_to_16_use_exec_time_and_blk_read_time() -> None:
    cols = resolve_columns("public", names(PG13))
    assert cols is not None
    sql = build_statements_query(cols, SortKey.TOTAL)
    assert "sum(s.total_exec_time)" in sql and "max(s.max_exec_time)" in sql
    assert "sum(s.blk_read_time)" in sql
    assert "total_time)" not in sql.replace("total_exec_time", "")


def test_pg17_uses_shared_blk_read_time() -> None:
    cols = resolve_columns("public", names(PG17))
    assert cols is not None
    assert cols.read_time == "shared_blk_read_time"
    sql = build_statements_query(cols, SortKey.IO)
    assert "sum(s.shared_blk_read_time)" in sql
    assert "s.blk_read_time" not in sql


def test_optional_columns_missing_become_null() -> None:
    cols = resolve_columns(
        "public", ["queryid", "dbid", "calls", "rows", "shared_blks_hit",
                   "shared_blks_read", "total_exec_time"]
    )
    assert cols is not None and cols.max is None and cols.read_time is None
    sql = build_statements_query(cols, SortKey.MEAN)
    assert "NULL::float8::float8 AS max_ms" in sql and "NULL::float8::float8 AS read_ms" in sql


@pytest.mark.parametrize("missing", ["queryid", "calls", "total_exec_time", "dbid"])
def test_essential_column_missing_is_unsupported(missing: str) -> None:
    columns = [c for c in names(PG13) if c != missing]
    assert resolve_columns("public", columns) is None


@pytest.mark.parametrize("version", sorted(COLUMN_SETS))
@pytest.mark.parametrize("sort", list(SortKey))
def test_counters_never_load_texts_and_are_schema_qualified(version: str, sort: SortKey) -> None:
    cols = resolve_columns("extensions", names(COLUMN_SETS[version]))
    assert cols is not None
    sql = build_statements_query(cols, sort)
    assert '"extensions".pg_stat_statements(false)' in sql
    assert "pg_stat_statements(true)" not in sql
    assert "LIMIT $1" in sql
    assert '"extensions".pg_stat_statements(true)' in build_texts_query(cols)


def test_sort_keys_order_by_different_expressions() -> None:
    cols = resolve_columns("public", names(PG13))
    assert cols is not None
    orders = {build_statements_query(cols, key).split("ORDER BY")[-1] for key in SortKey}
    assert len(orders) == len(SortKey)


def test_schema_names_are_quoted() -> None:
    assert quote_ident('we"ird') == '"we""ird"'
    cols = resolve_columns('we"ird', names(PG17))
    assert cols is not None
    assert '"we""ird".pg_stat_statements(false)' in build_statements_query(cols, SortKey.MEAN)
