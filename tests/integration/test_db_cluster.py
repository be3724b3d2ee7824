"""TempCluster: starts a usable server, and stop() leaves no process or files behind."""

from __future__ import annotations

import os

import pytest

from tests.support.pg import connect
from tui.db import cluster as cluster_module
from tui.db.cluster import TempCluster
from tui.errors import OnDutyError


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def test_cluster_runs_with_the_extension_and_stops_cleanly(
    pg_cluster: TempCluster,
) -> None:
    cluster = TempCluster()
    cluster.start()
    try:
        pid, data_dir = cluster.pid, cluster.data_dir
        assert pid is not None and _alive(pid)
        assert cluster.dsn == f"postgresql://postgres@127.0.0.1:{cluster.port}/postgres"
        assert cluster.port != pg_cluster.port
        conn = await connect(cluster.dsn)
        try:
            settings = await conn.fetchrow(
                "SELECT current_setting('shared_preload_libraries') AS preload,"
                " current_setting('listen_addresses') AS listen,"
                " (SELECT count(*) FROM pg_extension"
                "  WHERE extname = 'pg_stat_statements') AS installed"
            )
        finally:
            await conn.close()
        assert settings is not None
        assert settings["preload"] == "pg_stat_statements"
        assert settings["listen"] == "127.0.0.1"
        assert settings["installed"] == 1
    finally:
        cluster.stop()
    assert not _alive(pid)
    assert not data_dir.exists()
    assert cluster.pid is None
    cluster.stop()  # idempotent


def test_missing_binaries_give_the_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cluster_module, "find_pg_bin", lambda: None)
    with pytest.raises(OnDutyError, match=r"apt-get install postgresql"):
        TempCluster().start()
