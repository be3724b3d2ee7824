"""pg_stat_statements' column sets (name, type) by extension version, for version-keyed tests.

Taken from the extension's documented view definitions: 1.8 is PG13, 1.10 is PG15,
1.11 is PG17; 1.7 is PG12 (before the PG13 renames).
"""

from __future__ import annotations

_COMMON_HEAD = [("userid", "oid"), ("dbid", "oid")]

PG12 = [
    *_COMMON_HEAD, ("queryid", "bigint"), ("query", "text"), ("calls", "bigint"),
    ("total_time", "float8"), ("min_time", "float8"), ("max_time", "float8"),
    ("mean_time", "float8"), ("stddev_time", "float8"), ("rows", "bigint"),
    ("shared_blks_hit", "bigint"), ("shared_blks_read", "bigint"),
    ("shared_blks_dirtied", "bigint"), ("shared_blks_written", "bigint"),
    ("local_blks_hit", "bigint"), ("local_blks_read", "bigint"),
    ("local_blks_dirtied", "bigint"), ("local_blks_written", "bigint"),
    ("temp_blks_read", "bigint"), ("temp_blks_written", "bigint"),
    ("blk_read_time", "float8"), ("blk_write_time", "float8"),
]

PG13 = [
    *_COMMON_HEAD, ("queryid", "bigint"), ("query", "text"), ("plans", "bigint"),
    ("total_plan_time", "float8"), ("min_plan_time", "float8"), ("max_plan_time", "float8"),
    ("mean_plan_time", "float8"), ("stddev_plan_time", "float8"), ("calls", "bigint"),
    ("total_exec_time", "float8"), ("min_exec_time", "float8"), ("max_exec_time", "float8"),
    ("mean_exec_time", "float8"), ("stddev_exec_time", "float8"), ("rows", "bigint"),
    ("shared_blks_hit", "bigint"), ("shared_blks_read", "bigint"),
    ("shared_blks_dirtied", "bigint"), ("shared_blks_written", "bigint"),
    ("local_blks_hit", "bigint"), ("local_blks_read", "bigint"),
    ("local_blks_dirtied", "bigint"), ("local_blks_written", "bigint"),
    ("temp_blks_read", "bigint"), ("temp_blks_written", "bigint"),
    ("blk_read_time", "float8"), ("blk_write_time", "float8"),
    ("wal_records", "bigint"), ("wal_fpi", "bigint"), ("wal_bytes", "numeric"),
]

PG17 = [
    *_COMMON_HEAD, ("toplevel", "bool"), ("queryid", "bigint"), ("query", "text"),
    ("plans", "bigint"), ("total_plan_time", "float8"), ("min_plan_time", "float8"),
    ("max_plan_time", "float8"), ("mean_plan_time", "float8"),
    ("stddev_plan_time", "float8"), ("calls", "bigint"), ("total_exec_time", "float8"),
    ("min_exec_time", "float8"), ("max_exec_time", "float8"), ("mean_exec_time", "float8"),
    ("stddev_exec_time", "float8"), ("rows", "bigint"), ("shared_blks_hit", "bigint"),
    ("shared_blks_read", "bigint"), ("shared_blks_dirtied", "bigint"),
    ("shared_blks_written", "bigint"), ("local_blks_hit", "bigint"),
    ("local_blks_read", "bigint"), ("local_blks_dirtied", "bigint"),
    ("local_blks_written", "bigint"), ("temp_blks_read", "bigint"),
    ("temp_blks_written", "bigint"), ("shared_blk_read_time", "float8"),
    ("shared_blk_write_time", "float8"), ("local_blk_read_time", "float8"),
    ("local_blk_write_time", "float8"), ("temp_blk_read_time", "float8"),
    ("temp_blk_write_time", "float8"), ("wal_records", "bigint"), ("wal_fpi", "bigint"),
    ("wal_bytes", "numeric"), ("jit_functions", "bigint"),
    ("stats_since", "timestamptz"), ("minmax_stats_since", "timestamptz"),
]

COLUMN_SETS = {"pg12": PG12, "pg13": PG13, "pg17": PG17}


def names(columns: list[tuple[str, str]]) -> list[str]:
    return [name for name, _ in columns]
