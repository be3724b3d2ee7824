"""Delta arithmetic (window, reset, slower since mark), the blocking tree, settings cycles."""

from __future__ import annotations

from dataclasses import replace

from tui.db.activity import BackendInfo, summarize
from tui.db.activity import blocking_tree as tree
from tui.db.delta import DeltaMode, diff, top
from tui.db.monitor import DbSettings, DbView
from tui.db.statements import Counters, SortKey


def c(calls: int, total: float, rows: int = 0, read: int = 0) -> Counters:
    return Counters(calls, total, rows, 0, read, 0.0)


def test_diff_is_the_window_and_drops_statements_that_did_not_run() -> None:
    before = {1: c(10, 100.0), 2: c(5, 50.0), 3: c(7, 70.0)}
    now = {1: c(12, 140.0), 2: c(5, 50.0), 3: c(2, 30.0), 4: c(3, 9.0)}
    deltas = {d.queryid: d for d in diff(now, before)}
    assert set(deltas) == {1, 3, 4}
    assert (deltas[1].calls, deltas[1].total_ms, deltas[1].mean_ms) == (2, 40.0, 20.0)
    assert deltas[1].before_mean_ms == 10.0 and deltas[1].extra_ms == 20.0
    # 3 was reset in between: what it has now all happened in the window, no "before".
    assert (deltas[3].calls, deltas[3].before_mean_ms) == (2, None)
    assert deltas[4].before_mean_ms is None and deltas[4].extra_ms == 9.0


def test_top_orders_by_the_window_and_slower_keeps_only_what_got_slower() -> None:
    before = {1: c(10, 100.0), 2: c(10, 100.0), 3: c(10, 1000.0)}
    now = {1: c(20, 1100.0, rows=5), 2: c(30, 300.0, rows=50), 3: c(11, 1050.0),
           4: c(1, 1.0)}
    deltas = diff(now, before)
    assert [d.queryid for d in top(deltas, SortKey.MEAN, 10)] == [1, 3, 2, 4]
    assert [d.queryid for d in top(deltas, SortKey.CALLS, 2)] == [2, 1]
    assert [d.queryid for d in top(deltas, SortKey.ROWS, 1)] == [2]
    slower = top(deltas, SortKey.MEAN, 10, slower=True)
    assert [d.queryid for d in slower] == [1, 4]  # 3 got faster, 2 stayed the same


BASE = BackendInfo(
    pid=1, user="app", application="api", database="main", client="10.0.0.1",
    state="active", wait_event_type=None, wait_event=None, query_age_s=1.0,
    xact_age_s=1.0, state_age_s=1.0, blocked_by=(), query="UPDATE t SET a = 1",
)


def test_blocking_tree_nests_chains_and_lists_a_waiter_under_each_blocker() -> None:
    sessions = (
        replace(BASE, pid=10, state="idle in transaction"),
        replace(BASE, pid=11, blocked_by=(10,)),
        replace(BASE, pid=12, blocked_by=(11,)),
        replace(BASE, pid=13, blocked_by=(10, 20)),
        replace(BASE, pid=30),
    )
    rows = tree(summarize(sessions, 100))
    assert [(r.depth, r.pid) for r in rows] == [
        (0, 10), (1, 11), (2, 12), (1, 13), (0, 20), (1, 13)]
    assert rows[0].blocks == 2 and rows[4].backend is None  # 20 is not a client session


def test_blocking_tree_survives_a_cycle() -> None:
    sessions = (replace(BASE, pid=1, blocked_by=(2,)), replace(BASE, pid=2, blocked_by=(1,)))
    assert [(r.depth, r.pid) for r in tree(summarize(sessions, 100))] == [(0, 1), (1, 2)]


def test_settings_cycle_and_label() -> None:
    settings = DbSettings()
    assert settings.label == "by mean"
    orders = []
    for _ in range(5):
        settings = settings.next_sort()
        orders.append(settings.sort)
    assert orders == [SortKey.TOTAL, SortKey.CALLS, SortKey.ROWS, SortKey.IO, SortKey.MEAN]
    deltas = [DbSettings().next_delta().delta, DbSettings().next_delta().next_delta().delta]
    assert deltas == [DeltaMode.REFRESH, DeltaMode.MARK]
    slower = DbSettings(view=DbView.HEALTH).toggle_slower()
    assert slower.view is DbView.STATEMENTS and slower.delta is DeltaMode.MARK
    assert slower.label == "slower since mark" and not slower.toggle_slower().slower
    assert DbSettings().toggle_activity().view is DbView.ACTIVITY
    assert DbSettings().toggle_activity().toggle_activity().view is DbView.STATEMENTS
    assert [DbSettings().next_view().view, DbSettings().next_view().next_view().view] == [
        DbView.ACTIVITY, DbView.HEALTH]
    assert DbSettings(delta=DeltaMode.REFRESH).label == "by mean · since last refresh"


def test_tls_labels_that_are_not_verified_are_flagged_in_the_title() -> None:
    from widgets.db_format import tls_title

    assert tls_title("TLS (unverified: sslmode=require)").startswith("⚠ ")
    assert tls_title("TLS not guaranteed (sslmode=prefer: may fall back to plaintext)")[0] == "⚠"
    assert tls_title("no TLS (sslmode=disable)").startswith("⚠ ")
    assert tls_title("TLS (verified with system CA)") == "TLS (verified with system CA)"
    assert tls_title("local, no TLS") == "local, no TLS"
