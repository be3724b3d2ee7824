"""DbMonitor against the real cluster: snapshots, sort, adaptive interval, reconnect."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from tests.support.pg import blackhole_port, connect, wait_for
from tui.db.monitor import DbMonitor, DbSnapshot
from tui.db.statements import SortKey, StatementsState
from tui.errors import OnDutyError


class Recorder:
    """Collects snapshots and waits for one matching a condition."""

    def __init__(self) -> None:
        self.snapshots: list[DbSnapshot] = []

    def __call__(self, snapshot: DbSnapshot) -> None:
        self.snapshots.append(snapshot)

    async def next(
        self, condition: Callable[[DbSnapshot], bool], what: str, timeout: float = 5.0
    ) -> DbSnapshot:
        start = len(self.snapshots)
        await wait_for(
            lambda: any(condition(s) for s in self.snapshots[start:]), timeout, what=what
        )
        return next(s for s in self.snapshots[start:] if condition(s))


def provider(dsn: str) -> Callable[[], object]:
    async def get() -> str:
        return dsn

    return get


@pytest.fixture
async def recorder() -> AsyncIterator[Recorder]:
    yield Recorder()


async def test_snapshots_sort_and_visibility(pg_dsn: str, recorder: Recorder) -> None:
    monitor = DbMonitor(provider(pg_dsn), interval=0.2, on_snapshot=recorder)
    monitor.start()
    try:
        first = await recorder.next(lambda s: s.status == "ok", "an ok snapshot")
        assert recorder.snapshots[0].status == "connecting"
        assert first.tls_label == "local, no TLS"
        assert first.statements_status.state is StatementsState.OK
        assert first.activity is not None and first.activity.max_connections == 50
        assert first.server_version and first.interval == 0.2
        monitor.set_sort("calls")
        by_calls = await recorder.next(lambda s: s.sort is SortKey.CALLS, "a calls snapshot")
        calls = [s.calls for s in by_calls.statements]
        assert calls == sorted(calls, reverse=True)
        monitor.set_visible(False)
        assert monitor.interval == 30.0
        await recorder.next(lambda s: s.interval == 30.0, "a slowed-down snapshot")
        count = len(recorder.snapshots)
        monitor.set_visible(True)
        shown = await recorder.next(lambda s: s.interval == 0.2, "a snapshot after showing",
                                    timeout=2.0)
        assert shown.status == "ok" and len(recorder.snapshots) > count
    finally:
        await monitor.stop()
    assert not monitor.running


async def test_recovers_after_its_backend_is_terminated(
    pg_dsn: str, recorder: Recorder
) -> None:
    monitor = DbMonitor(provider(pg_dsn), interval=0.2, on_snapshot=recorder,
                        backoff=(0.05, 0.5))
    monitor.start()
    admin = await connect(pg_dsn)
    try:
        await recorder.next(lambda s: s.status == "ok", "an ok snapshot")
        pids = await admin.fetch(
            "SELECT pid FROM pg_stat_activity"
            " WHERE application_name = 'onduty' AND datname = current_database()"
        )
        assert len(pids) == 1
        await admin.fetchval("SELECT pg_terminate_backend($1)", pids[0]["pid"])
        monitor.refresh_now()
        lost = await recorder.next(lambda s: s.status == "error", "the lost connection")
        assert "lost the connection" in lost.message and "retrying" in lost.message
        await recorder.next(lambda s: s.status == "ok", "a reconnected snapshot")
        new_pid = await admin.fetchval(
            "SELECT pid FROM pg_stat_activity"
            " WHERE application_name = 'onduty' AND datname = current_database()"
        )
        assert new_pid is not None and new_pid != pids[0]["pid"]
    finally:
        await admin.close()
        await monitor.stop()


async def test_unreachable_database_reports_and_backs_off(recorder: Recorder) -> None:
    with blackhole_port() as port:
        monitor = DbMonitor(
            provider(f"postgresql://app:topsecret@127.0.0.1:{port}/db"),
            on_snapshot=recorder, connect_timeout=0.2, backoff=(0.05, 0.1),
        )
        monitor.start()
        try:
            await recorder.next(
                lambda s: s.status == "error" and "retrying in 0.1 s" in s.message,
                "a second failed attempt",
            )
        finally:
            await monitor.stop()
    errors = [s for s in recorder.snapshots if s.status == "error"]
    assert "no answer" in errors[0].message and "retrying in 0.05 s" in errors[0].message
    assert all("topsecret" not in s.message for s in recorder.snapshots)
    assert all(s.statements == () and s.activity is None for s in errors)


async def test_a_failing_secret_lookup_is_shown(recorder: Recorder) -> None:
    async def missing() -> str:
        raise OnDutyError("no secret named production/database_url")

    monitor = DbMonitor(missing, on_snapshot=recorder, backoff=(0.05, 0.1))
    monitor.start()
    try:
        error = await recorder.next(lambda s: s.status == "error", "the secret error")
    finally:
        await monitor.stop()
    assert error.message.startswith("no secret named production/database_url")
