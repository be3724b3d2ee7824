"""Health checks, privileges, limited activity and the monitor's views against the cluster."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from tests.support.pg import connect, dsn_for, wait_for
from tui.db.activity import HIDDEN_STATE, read_activity
from tui.db.health import read_health
from tui.db.monitor import STATEMENTS_EVERY, DbMonitor, DbSettings, DbSnapshot, DbView
from tui.db.privileges import read_privileges
from tui.db.session import DbSession
from tui.db.statements import StatementsReader
from tui.hub.db import DbHub


@pytest.fixture
async def session(pg_dsn: str) -> AsyncIterator[DbSession]:
    db = await DbSession.connect(pg_dsn)
    try:
        yield db
    finally:
        await db.close()


async def test_index_usage_table_sizes_cache_and_role(session: DbSession, pg_dsn: str) -> None:
    admin = await connect(pg_dsn)
    try:
        await admin.execute(
            'CREATE TABLE big (id int PRIMARY KEY, v text); CREATE INDEX big_v_idx ON big (v);'
            'INSERT INTO big SELECT g, md5(g::text) FROM generate_series(1, 3000) g;'
            'CREATE TABLE "evil\x1b[2J[/]" (id int PRIMARY KEY); ANALYZE')
        for i in range(5):
            await admin.fetch("SELECT v FROM big WHERE id = $1", i)
    finally:
        await admin.close()

    async def stats_flushed() -> bool:
        health = await read_health(session)
        return any(i.index == "big_pkey" and i.scans >= 5 for i in health.least_used_indexes)

    await wait_for(stats_flushed, timeout=5, interval=0.1, what="index statistics")
    health = await read_health(session)
    assert not health.in_recovery and health.role == "primary" and health.replay_lag_s is None
    assert health.cache_hit_ratio is not None and 0 < health.cache_hit_ratio <= 1
    unused = {i.index: i for i in health.least_used_indexes}
    assert unused["big_v_idx"].scans == 0 and not unused["big_v_idx"].unique
    assert [i.scans for i in health.least_used_indexes] == sorted(
        i.scans for i in health.least_used_indexes)
    tables = health.largest_tables
    assert tables[0].table == "big" and tables[0].total_bytes > 100_000
    assert tables[0].estimated_rows == 3000
    evil = next(t for t in tables if "evil" in t.table)
    assert "\x1b" not in evil.table and "␛[2J[/]" in evil.table
    assert health.replicas == ()


async def test_a_limited_user_is_reported_and_still_counts_every_session(pg_dsn: str) -> None:
    limited = f"lim_{uuid.uuid4().hex[:8]}"
    admin = await connect(pg_dsn)
    await admin.execute(f"CREATE ROLE {limited} LOGIN")
    try:
        db = await DbSession.connect(dsn_for(pg_dsn, user=limited))
        try:
            report = await read_privileges(db)
            activity = await read_activity(db)
        finally:
            await db.close()
        super_db = await DbSession.connect(pg_dsn)
        try:
            full = await read_privileges(super_db)
        finally:
            await super_db.close()
    finally:
        await admin.execute(f"DROP ROLE IF EXISTS {limited}")
        await admin.close()
    assert full.superuser and not full.limited and full.grants == ()
    assert report.user == limited and report.limited
    assert report.grants == (f'GRANT pg_read_all_stats TO "{limited}";',
                             f'GRANT pg_signal_backend TO "{limited}";')
    assert {d.view for d in report.degraded} == {"statements", "activity", "health",
                                                 "cancel/terminate"}
    # The admin's session is another user's: no type or state, but it uses a connection.
    hidden = activity.session(admin.get_server_pid())
    assert hidden is not None and hidden.state == HIDDEN_STATE
    assert activity.count(HIDDEN_STATE) >= 1


async def test_views_read_only_what_they_show_and_the_hub_marks_a_baseline(
    pg_dsn: str
) -> None:
    snapshots: list[DbSnapshot] = []

    async def provider() -> str:
        return pg_dsn

    monitor = DbMonitor(provider, interval=0.1, on_snapshot=snapshots.append,
                        settings=DbSettings(view=DbView.ACTIVITY))
    monitor.start()
    try:
        await wait_for(lambda: any(s.status == "ok" for s in snapshots), what="ok")
        activity = next(s for s in snapshots if s.status == "ok")
        assert activity.statements == () and activity.health is None
        assert activity.activity is not None and activity.privileges is not None
        monitor.apply(DbSettings(view=DbView.HEALTH))
        await wait_for(lambda: snapshots[-1].health is not None, what="a health snapshot")
        assert snapshots[-1].statements == ()
        monitor.mark("incident #7")
        await wait_for(lambda: snapshots[-1].mark is not None, what="the mark")
        mark = snapshots[-1].mark
        assert mark is not None and mark.label == "incident #7" and mark.statements > 0
    finally:
        await monitor.stop()


class _Sink:
    """The smallest hub owner: records what the hub publishes."""

    def __init__(self) -> None:
        self.published: list[object] = []
        self.db_changed = self
        self.read_only = False

    def publish(self, data: object) -> None:
        self.published.append(data)

    def set_problem(self, pane: str, text: str | None) -> None:
        return None


async def test_a_mark_asked_for_before_the_database_runs_is_taken_when_it_does(
    pg_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tui.config import Environment
    from tui.secrets import env_var_name

    monkeypatch.setenv(env_var_name("hub/database_url"), pg_dsn)
    sink = _Sink()
    hub = DbHub(sink)  # type: ignore[arg-type]
    hub.mark_baseline()
    hub.change("activity")
    hub.start(Environment(name="x", database_secret="hub/database_url", db_poll_interval=0.1))
    try:
        await wait_for(lambda: any(getattr(s, "mark", None) is not None
                                   for s in sink.published), what="the pending mark")
    finally:
        await hub.stop()
    marked = next(s for s in sink.published if getattr(s, "mark", None) is not None)
    assert isinstance(marked, DbSnapshot)
    assert marked.mark is not None and marked.mark.label == "incident opened"
    assert marked.settings.view is DbView.ACTIVITY


async def test_statements_are_read_every_few_polls_and_at_once_on_refresh(
    pg_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    snapshots: list[DbSnapshot] = []
    reads: list[float] = []
    original = StatementsReader.read

    async def counting(self: StatementsReader, *args: object) -> object:
        reads.append(len(snapshots))
        return await original(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(StatementsReader, "read", counting)

    async def provider() -> str:
        return pg_dsn

    monitor = DbMonitor(provider, interval=0.02, on_snapshot=snapshots.append)
    monitor.start()
    try:
        await wait_for(lambda: len([s for s in snapshots if s.status == "ok"]) >= 25,
                       what="25 polls")
        polls = len([s for s in snapshots if s.status == "ok"])
        # One read on the first poll, then one every STATEMENTS_EVERY polls.
        assert abs(len(reads) - (1 + (polls - 1) // STATEMENTS_EVERY)) <= 1
        assert all(s.statements for s in snapshots if s.status == "ok")
        assert snapshots[-1].statements_interval == 0.02 * STATEMENTS_EVERY
        before = len(reads)
        monitor.refresh_now()
        await wait_for(lambda: len(reads) > before, timeout=2, what="a forced read")
    finally:
        await monitor.stop()
