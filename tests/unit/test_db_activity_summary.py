"""summarize(): grouping of sessions into what the activity view shows."""

from __future__ import annotations

from dataclasses import replace

from tui.db.activity import BackendInfo, summarize
from widgets.db_format import activity_line

BASE = BackendInfo(
    pid=1, user="app", application="api", database="main", client="10.0.0.1",
    state="idle", wait_event_type=None, wait_event=None, query_age_s=1.0,
    xact_age_s=None, state_age_s=1.0, blocked_by=(), query="SELECT 1",
)


def test_states_long_runners_idle_transactions_and_blocking() -> None:
    sessions = (
        BASE,
        replace(BASE, pid=2, state="active", query_age_s=12.0),
        replace(BASE, pid=3, state="active", query_age_s=2.0),
        replace(BASE, pid=4, state="idle in transaction", xact_age_s=40.0),
        replace(BASE, pid=5, state="idle in transaction (aborted)", xact_age_s=90.0),
        replace(BASE, pid=6, state="active", query_age_s=7.0, wait_event_type="Lock",
                wait_event="transactionid", blocked_by=(4,)),
    )
    summary = summarize(sessions, max_connections=20)
    assert summary.count("active") == 3 and summary.count("idle") == 1
    assert summary.states[0] == ("active", 3)
    assert summary.total == 6 and summary.usage_pct == 30.0
    assert [s.pid for s in summary.long_running] == [2, 6]
    assert [s.pid for s in summary.idle_in_transaction] == [5, 4]
    assert [(b.blocked_pid, b.blocker_pids) for b in summary.blocking] == [(6, (4,))]
    assert summary.session(6) is not None and summary.session(6).waiting == "Lock/transactionid"
    assert summary.session(99) is None


def test_summary_collapses_query_whitespace() -> None:
    backend = replace(BASE, query="SELECT *\n  FROM t\n WHERE id = $1")
    assert backend.summary == "SELECT * FROM t WHERE id = $1"


def test_activity_line_names_idle_transactions_once() -> None:
    """The header listed "idle in transaction 2" and then "idle in tx 2 (oldest 1m30s)":
    the warning, with the oldest one's age, is the one kept."""
    sessions = (
        BASE,
        replace(BASE, pid=2, state="active"),
        replace(BASE, pid=4, state="idle in transaction", xact_age_s=40.0),
        replace(BASE, pid=5, state="idle in transaction (aborted)", xact_age_s=90.0),
    )
    text = activity_line(summarize(sessions, max_connections=20)).plain
    assert "idle in transaction" not in text
    assert "idle in tx 2 (oldest" in text
    assert "active 1" in text and "idle 1" in text
