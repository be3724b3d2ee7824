"""Shared fixtures: the throwaway PostgreSQL cluster, started once per test session."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from tests.support.pg import scratch_database
from tui.db.cluster import TempCluster, find_pg_bin


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[TempCluster]:
    """A running cluster with pg_stat_statements preloaded (skipped only without binaries)."""
    if find_pg_bin() is None:
        pytest.skip("PostgreSQL server binaries not found (Debian: apt-get install postgresql)")
    with TempCluster() as cluster:
        yield cluster


@pytest.fixture
async def pg_dsn(pg_cluster: TempCluster) -> AsyncIterator[str]:
    """A fresh database with pg_stat_statements, so each test's statements are its own."""
    async with scratch_database(pg_cluster.dsn) as dsn:
        yield dsn
