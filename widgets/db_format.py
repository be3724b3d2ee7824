"""How database results read on screen: durations, sizes, ages, table cells, detail lines.

Pure functions from engine results to rich ``Text``. Every piece of server text (query
text, names, errors) goes through ``redacted_text``: sanitised and redacted, never markup.
"""

from __future__ import annotations

from datetime import datetime

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from tui.db.activity import ActivitySummary, BackendInfo, TreeRow
from tui.db.health import DbHealth
from tui.db.monitor import DbSnapshot
from tui.db.privileges import PrivilegesReport
from tui.db.statements import StatementStats
from tui.redact import redacted_text
from tui.sanitize import safe_text

WARN = "bold yellow"
BAD = "bold red"
MUTED = "dim"


def duration_ms(ms: float | None) -> str:
    """``12.3 ms``, ``1.84 s``, ``3.1 min``: readable at a glance."""
    if ms is None:
        return "—"
    if ms < 1000:
        return f"{ms:.1f} ms"
    if ms < 120_000:
        return f"{ms / 1000:.2f} s"
    return f"{ms / 60_000:.1f} min"


def age(seconds: float | None) -> str:
    """``4s``, ``3m12s``, ``2h05m``: how long a query or transaction has been running."""
    if seconds is None:
        return "—"
    whole = max(0, int(seconds))
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{(whole % 3600) // 60:02d}m"


def size(num_bytes: int) -> str:
    """``16 KB``, ``4.2 MB``: sizes on disk."""
    value = float(num_bytes)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" or value >= 100 else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"


def seconds(value: float) -> str:
    """An interval in seconds without trailing zeros: ``2s``, ``0.5s``."""
    return f"{value:g}s"


def tls_title(label: str) -> str:
    """The TLS label, flagged when the connection is not verified or not encrypted."""
    risky = ("unverified", "not guaranteed", "no TLS (sslmode=disable)")
    return f"⚠ {label}" if any(r in label for r in risky) else label


# --------------------------------------------------------------------------- activity


def activity_line(activity: ActivitySummary, *, compact: bool = False) -> Text:
    """Sessions by state against max_connections, the pool-exhaustion check of the runbooks.

    ``compact`` (the dashboard) keeps what needs attention and drops the per-state counts.
    """
    text = Text()
    pct = activity.usage_pct
    style = BAD if pct >= 90 else (WARN if pct >= 75 else "")
    label = "conn" if compact else "connections"
    text.append(f"{activity.total}/{activity.max_connections} {label} ({pct:.0f}%)", style)
    for state, count in activity.states:
        if state.startswith("idle in transaction") and activity.idle_in_transaction:
            continue  # counted in the warning below, with the oldest one's age
        if not compact or state == "active":
            text.append(f"  {state} {count}")
    if activity.idle_in_transaction:
        oldest = max((s.xact_age_s or 0) for s in activity.idle_in_transaction)
        text.append(f"  · idle in tx {len(activity.idle_in_transaction)} "
                    f"(oldest {age(oldest)})", WARN)
    if activity.blocking:
        text.append(f"  · {len(activity.blocking)} blocked", BAD)
    if activity.long_running:
        text.append(f"  · {len(activity.long_running)} running > "
                    f"{seconds(activity.long_running_after)}", WARN)
    return text


def session_age(backend: BackendInfo) -> float | None:
    """The age that matters for the session's state: transaction, query or idle time."""
    if backend.state.startswith("idle in transaction"):
        return backend.xact_age_s
    if backend.state == "active":
        return backend.query_age_s
    return backend.state_age_s


def _rank(backend: BackendInfo, activity: ActivitySummary) -> tuple[int, float]:
    long_pids = {s.pid for s in activity.long_running}
    if backend.pid in long_pids:
        group = 0
    elif backend.state.startswith("idle in transaction"):
        group = 1
    elif backend.state == "active":
        group = 2
    else:
        group = 3
    return group, -(session_age(backend) or 0.0)


def ordered_sessions(activity: ActivitySummary, tree: tuple[TreeRow, ...]) -> list[BackendInfo]:
    """Sessions not in the blocking tree: long-running, idle in transaction, active, idle."""
    in_tree = {row.pid for row in tree}
    rest = [s for s in activity.sessions if s.pid not in in_tree]
    return sorted(rest, key=lambda s: _rank(s, activity))


def session_style(backend: BackendInfo, activity: ActivitySummary) -> str:
    if backend.blocked_by:
        return BAD
    if backend.state.startswith("idle in transaction") or backend in activity.long_running:
        return WARN
    return ""


# --------------------------------------------------------------------------- details


def _counter_lines(stat: StatementStats) -> list[Text]:
    lines = [
        Text(f"calls {stat.calls:,} · mean {duration_ms(stat.mean_ms)} · total "
             f"{duration_ms(stat.total_ms)} · max {duration_ms(stat.max_ms)} · "
             f"{stat.share_of_total:.1f}% of all time"),
        Text(f"rows {stat.rows:,} ({stat.rows_per_call:.1f} per call) · cache hit "
             + ("—" if stat.cache_hit_ratio is None else f"{stat.cache_hit_ratio * 100:.1f}%")
             + f" · shared blocks hit {stat.shared_blks_hit:,} read {stat.shared_blks_read:,}"
             + f" · read time {duration_ms(stat.read_ms)}"),
    ]
    if stat.extra_ms is not None:
        before = duration_ms(stat.before_mean_ms) if stat.before_mean_ms is not None else "new"
        change = (f" (×{stat.mean_ms / stat.before_mean_ms:.1f})"
                  if stat.before_mean_ms else "")
        lines.append(Text(f"mean before {before} → in this window {duration_ms(stat.mean_ms)}"
                          f"{change} · extra time {duration_ms(stat.extra_ms)}", WARN))
    return lines


def statement_detail(stat: StatementStats, snapshot: DbSnapshot | None) -> list[Text]:
    """Every counter of a statement, then its full normalised text (sanitised, redacted)."""
    window = snapshot.settings.label if snapshot else "cumulative"
    lines = [Text(f"queryid {stat.queryid} · counters {window}", MUTED)]
    if snapshot is not None and snapshot.mark is not None and snapshot.settings.delta.value != (
            "cumulative"):
        lines.append(safe_text(f"mark {snapshot.mark.label!r} taken "
                               f"{clock(snapshot.mark.taken_at)}", MUTED))
    lines += _counter_lines(stat)
    lines.append(Text(""))
    lines.append(redacted_text(stat.query or "(text not available)", multiline=True))
    return lines


def session_detail(backend: BackendInfo) -> list[Text]:
    """Everything known about one session, then its full query text."""
    lines = [
        safe_text(f"pid {backend.pid} · {backend.state} · user {backend.user} · "
                  f"application {backend.application or '—'}"),
        safe_text(f"database {backend.database} · client {backend.client}"),
        Text(f"query age {age(backend.query_age_s)} · transaction age "
             f"{age(backend.xact_age_s)} · in this state {age(backend.state_age_s)}"),
    ]
    if backend.waiting:
        lines.append(safe_text(f"waiting on {backend.waiting}", WARN))
    if backend.blocked_by:
        lines.append(Text("blocked by " + ", ".join(str(p) for p in backend.blocked_by), BAD))
    lines.append(Text(""))
    lines.append(redacted_text(backend.query or "(no query text)", multiline=True))
    return lines


def privileges_lines(report: PrivilegesReport | None, statements_fix: str = "") -> list[Text]:
    """Which views are degraded for this user, and which GRANT restores each."""
    if report is None:
        return [Text("The privileges could not be read from this server.")]
    lines = [safe_text(
        f"user {report.user}" + (" · superuser" if report.superuser else "")
        + f" · pg_read_all_stats {'yes' if report.read_all_stats else 'no'}"
        + f" · pg_signal_backend {'yes' if report.signal_backend else 'no'}"
    )]
    if not report.limited:
        lines.append(Text("Every view is complete and every action is allowed.", "green"))
        return lines
    lines.append(Text(""))
    for item in report.degraded:
        lines.append(safe_text(f"{item.view}: {item.why}", WARN))
        lines.append(safe_text(f"    fix: {item.grant}"))
    if statements_fix and statements_fix not in report.grants:
        lines.append(safe_text(f"statements: {statements_fix}"))
    lines.append(Text(""))
    lines.append(Text("Run the GRANTs as an administrator (on managed services: the owner "
                      "role of the project), then reconnect (switch environment and back).",
                      MUTED))
    return lines


# --------------------------------------------------------------------------- health


def health_view(health: DbHealth | None, error: str = "") -> RenderableType:
    """Role, cache hit ratio, replication, least-used indexes and largest tables."""
    if health is None:
        return redacted_text(error or "reading the health checks…", BAD if error else MUTED)
    head = Text()
    head.append(health.role, WARN if health.in_recovery else "bold")
    ratio = health.cache_hit_ratio
    head.append("  · cache hit ")
    head.append("—" if ratio is None else f"{ratio * 100:.2f}%",
                WARN if ratio is not None and ratio < 0.99 else "")
    if health.in_recovery:
        head.append(f"  · replay lag {age(health.replay_lag_s)}",
                    BAD if (health.replay_lag_s or 0) > 60 else "")
    parts: list[RenderableType] = [head]
    if not health.in_recovery:
        if health.replicas:
            replicas = _table("standby", "client", "state", "replay lag")
            for r in health.replicas:
                replicas.add_row(safe_text(r.name or "—"), safe_text(r.client),
                                 safe_text(r.state), Text(age(r.replay_lag_s)))
            parts += [Text("\nReplication", "bold"), replicas]
        else:
            parts.append(Text("no standbys streaming from this server (or not visible)", MUTED))
    indexes = _table("scans", "size", "index", "table")
    for index in health.least_used_indexes:
        style = WARN if index.scans == 0 and not index.unique else ""
        indexes.add_row(Text(f"{index.scans:,}", style, justify="right"),
                        Text(size(index.bytes), justify="right"),
                        safe_text(index.index, style),
                        safe_text(f"{index.schema}.{index.table}"))
    parts += [Text("\nLeast-used indexes (since statistics reset; unused non-unique in yellow)",
                   "bold"), indexes if health.least_used_indexes else Text("no indexes", MUTED)]
    tables = _table("size", "rows (est.)", "seq scans", "idx scans", "dead", "hit %", "table")
    for table in health.largest_tables:
        hit = table.cache_hit_ratio
        tables.add_row(Text(size(table.total_bytes), justify="right"),
                       Text(f"{table.estimated_rows:,}", justify="right"),
                       Text(f"{table.seq_scans:,}", justify="right"),
                       Text("—" if table.index_scans is None else f"{table.index_scans:,}",
                            justify="right"),
                       Text(f"{table.dead_rows:,}", justify="right"),
                       Text("—" if hit is None else f"{hit * 100:.1f}", justify="right"),
                       safe_text(f"{table.schema}.{table.table}"))
    parts += [Text("\nLargest tables (with indexes and TOAST)", "bold"),
              tables if health.largest_tables else Text("no tables", MUTED)]
    return Group(*parts)


def _table(*headers: str) -> Table:
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold dim")
    for header in headers:
        table.add_column(header, no_wrap=True)
    return table


def clock(moment: datetime) -> str:
    """Local wall-clock time of ``moment``."""
    return moment.astimezone().strftime("%H:%M:%S")
