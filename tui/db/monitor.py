"""The database poller behind the slow-query pane: snapshots on an adaptive interval.

The next poll is scheduled only after the previous one finished, so a slow server never
gets a pile-up of queries. A lost connection is shown and retried with exponential
backoff. While the pane is hidden the interval stretches (at least 30 s), because on
scale-to-zero services (Neon) a 2 s poller keeps the compute awake and costs money.
Each poll reads only what the chosen view shows; actions share the one connection and
wait for the poll in progress (a lock), so nothing is ever sent concurrently.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import TypeVar

from tui.db.actions import ActionOutcome, ActionRequest, run_action
from tui.db.activity import LONG_RUNNING_AFTER, ActivitySummary, read_activity
from tui.db.delta import DeltaMode, Mark, read_delta
from tui.db.health import DbHealth, read_health
from tui.db.privileges import PrivilegesReport, read_privileges
from tui.db.session import DbError, DbErrorKind, DbSession
from tui.db.statements import (
    DEFAULT_LIMIT,
    STATUS_UNKNOWN,
    Counters,
    SortKey,
    StatementsReader,
    StatementsState,
    StatementsStatus,
    StatementStats,
)
from tui.errors import OnDutyError

_T = TypeVar("_T")
HIDDEN_MIN_INTERVAL = 30.0
HIDDEN_FACTOR = 10.0
# Reading pg_stat_statements costs the server more than a whole activity refresh (with
# 5,000 statements, about 7x pg_activity's refresh: bench/db_refresh.py), while its
# cumulative counters change slowly: statements are re-read every STATEMENTS_EVERY polls,
# and at once after a key press (refresh, sort, delta, mark). Activity is read every poll.
STATEMENTS_EVERY = 10


class DbView(StrEnum):
    """What the pane shows; the poll reads only what the view needs (plus activity)."""

    STATEMENTS = "statements"
    ACTIVITY = "activity"
    HEALTH = "health"


@dataclass(frozen=True)
class DbSettings:
    """The user's choices for the pane: view, statement order and delta mode.

    ``slower`` lists only the statements that got slower since the mark.
    """

    view: DbView = DbView.STATEMENTS
    sort: SortKey = SortKey.MEAN
    delta: DeltaMode = DeltaMode.CUMULATIVE
    slower: bool = False

    def next_sort(self) -> DbSettings:
        """The next statement order (mean, total, calls, rows, io, mean...)."""
        return replace(self, sort=_after(list(SortKey), self.sort), slower=False,
                       view=DbView.STATEMENTS)

    def next_delta(self) -> DbSettings:
        """Cumulative, then since last refresh, then since the mark, then cumulative."""
        return replace(self, delta=_after(list(DeltaMode), self.delta), slower=False,
                       view=DbView.STATEMENTS)

    def toggle_slower(self) -> DbSettings:
        """Show only what got slower since the mark, or go back to the chosen order."""
        if self.slower:
            return replace(self, slower=False)
        return replace(self, slower=True, delta=DeltaMode.MARK, view=DbView.STATEMENTS)

    def next_view(self) -> DbSettings:
        return replace(self, view=_after(list(DbView), self.view))

    def toggle_activity(self) -> DbSettings:
        """The activity view, or back to statements."""
        view = DbView.STATEMENTS if self.view is DbView.ACTIVITY else DbView.ACTIVITY
        return replace(self, view=view)

    @property
    def label(self) -> str:
        """How the statements are chosen, for the pane's title."""
        if self.slower:
            return "slower since mark"
        window = "" if self.delta is DeltaMode.CUMULATIVE else f" · {self.delta.value}"
        return f"by {self.sort.value}{window}"


def _after(items: list[_T], current: _T) -> _T:
    return items[(items.index(current) + 1) % len(items)]


@dataclass(frozen=True)
class DbSnapshot:
    """What the database looked like at ``taken_at``, or why it could not be read.

    ``status`` is "connecting", "ok", "error" or "unavailable"; ``message`` says what
    happened in plain words. Error snapshots carry no rows (the UI may keep the last);
    ``reconnect_in`` is the backoff before the next attempt after a failure.
    """

    status: str
    message: str
    tls_label: str
    statements: tuple[StatementStats, ...]
    statements_status: StatementsStatus
    activity: ActivitySummary | None
    server_version: str
    interval: float
    taken_at: datetime
    sort: SortKey = SortKey.MEAN
    target: str = ""
    settings: DbSettings = DbSettings()
    mark: Mark | None = None
    health: DbHealth | None = None
    health_error: str = ""
    privileges: PrivilegesReport | None = None
    server_version_num: int = 0
    hidden_interval: float = HIDDEN_MIN_INTERVAL
    reconnect_in: float | None = None
    attempt: int = 0
    statement_timeout: float = 5.0
    statements_interval: float = 0.0


class DbMonitor:
    """Polls one database through one DbSession and hands each DbSnapshot to ``on_snapshot``.

    ``dsn_provider`` is awaited before every (re)connect, so the secret is resolved at use
    time and never kept. ``on_snapshot`` runs on the event loop thread.
    """

    def __init__(
        self,
        dsn_provider: Callable[[], Awaitable[str]],
        *,
        interval: float = 2.0,
        on_snapshot: Callable[[DbSnapshot], None],
        connect_timeout: float = 5.0,
        statement_timeout: float = 5.0,
        limit: int = DEFAULT_LIMIT,
        long_running_after: float = LONG_RUNNING_AFTER,
        backoff: tuple[float, float] = (1.0, 30.0),
        settings: DbSettings | None = None,
    ) -> None:
        self._dsn_provider = dsn_provider
        self._base_interval = interval
        self._on_snapshot = on_snapshot
        self._connect_timeout = connect_timeout
        self._statement_timeout = statement_timeout
        self._long_running_after = long_running_after
        self._backoff_min, self._backoff_max = backoff
        self._reader = StatementsReader(limit)
        self._settings = settings or DbSettings()
        self._visible = True
        self._session: DbSession | None = None
        self._privileges: PrivilegesReport | None = None
        self._mark: Mark | None = None
        self._pending_mark: str | None = None
        self._previous: dict[int, Counters] | None = None
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._statements: tuple[DbSettings, tuple[StatementStats, ...],
                                StatementsStatus] | None = None
        self._polls_since_statements = 0

    # -- control

    @property
    def interval(self) -> float:
        """The current polling interval in seconds (longer while hidden)."""
        return self._base_interval if self._visible else self.hidden_interval

    @property
    def hidden_interval(self) -> float:
        """The interval used while no screen shows the database."""
        return max(HIDDEN_MIN_INTERVAL, HIDDEN_FACTOR * self._base_interval)

    @property
    def sort(self) -> SortKey:
        return self._settings.sort

    @property
    def settings(self) -> DbSettings:
        return self._settings

    @property
    def mark_taken(self) -> Mark | None:
        return self._mark

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Start polling on the running event loop (no-op if already running)."""
        if not self.running:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="db-monitor")

    async def stop(self) -> None:
        """Stop polling and close the connection."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._drop_session()

    @property
    def statements_interval(self) -> float:
        """How often pg_stat_statements is read without a key press."""
        return self.interval * STATEMENTS_EVERY

    def refresh_now(self) -> None:
        """Poll (statements included) as soon as the current poll (if any) finishes."""
        self._statements = None
        self._wake.set()

    def set_visible(self, visible: bool) -> None:
        """Slow down while hidden; refresh at once when shown again."""
        was_visible, self._visible = self._visible, visible
        if visible and not was_visible:
            self._wake.set()

    def set_sort(self, key: SortKey | str) -> None:
        """Change the statements order and refresh."""
        self.apply(replace(self._settings, sort=SortKey(key)))

    def apply(self, settings: DbSettings) -> None:
        """Use new view/sort/delta settings from the next poll, which starts at once."""
        if settings.delta is not DeltaMode.REFRESH:
            self._previous = None
        self._settings = settings
        self._statements = None
        self._wake.set()

    def mark(self, label: str) -> None:
        """Keep every statement's counters at the next poll as the baseline ``label``."""
        self._pending_mark = label
        self._statements = None
        self._wake.set()

    async def run(self, request: ActionRequest, environment: str) -> ActionOutcome:
        """Run an action on the connection between polls; the outcome says what happened."""
        async with self._lock:
            session = self._session
            if session is None or session.is_closed:
                return ActionOutcome(request, environment, "", False,
                                     "not connected to the database: nothing was sent")
            try:
                outcome = await run_action(session, request, environment=environment)
            except DbError as exc:
                outcome = ActionOutcome(
                    request, environment, session.target, False,
                    f"the connection broke during the action; re-check the backend: {exc}",
                    str(exc),
                )
        self._wake.set()
        return outcome

    # -- the loop

    async def _run(self) -> None:
        backoff = self._backoff_min
        attempt = 0
        while True:
            try:
                if self._session is None:
                    attempt += 1
                    await self._connect(attempt)
                snapshot = await self._poll()
            except DbError as exc:
                if exc.kind is not DbErrorKind.CONNECTION_LOST and self._session is not None:
                    self._emit_error(str(exc))
                    await self._sleep(self.interval)
                    continue
                await self._drop_session()
                self._emit_error(f"{exc}; retrying in {backoff:g} s", backoff, attempt)
            except OnDutyError as exc:
                await self._drop_session()
                self._emit_error(f"{exc}; retrying in {backoff:g} s", backoff, attempt)
            except Exception as exc:
                # Never let the poller die silently: show it and start over.
                await self._drop_session()
                self._emit_error(
                    f"unexpected {type(exc).__name__} while reading the database: {exc}; "
                    f"retrying in {backoff:g} s",
                    backoff,
                    attempt,
                )
            else:
                backoff, attempt = self._backoff_min, 0
                self._on_snapshot(snapshot)
                await self._sleep(self.interval)
                continue
            await self._sleep(backoff)
            backoff = min(backoff * 2, self._backoff_max)

    async def _connect(self, attempt: int) -> None:
        self._emit("connecting", "connecting to the database" + (
            f" (attempt {attempt})" if attempt > 1 else ""), attempt=attempt)
        try:
            async with asyncio.timeout(self._connect_timeout * 2):
                dsn = await self._dsn_provider()
        except TimeoutError:
            raise OnDutyError("the database URL could not be read in time") from None
        session = await DbSession.connect(
            dsn, connect_timeout=self._connect_timeout, statement_timeout=self._statement_timeout
        )
        self._session = session
        self._privileges = None
        self._previous = None
        self._statements = None
        self._reader.reset()

    async def _poll(self) -> DbSnapshot:
        async with self._lock:
            session = self._session
            if session is None:
                raise DbError("the connection was closed", DbErrorKind.CONNECTION_LOST)
            settings = self._settings
            if self._privileges is None:
                self._privileges = await _optional(read_privileges(session))
            if self._pending_mark is not None:
                await self._take_mark(session, self._pending_mark)
            statements: tuple[StatementStats, ...] = ()
            statements_status = STATUS_UNKNOWN
            if settings.view is DbView.STATEMENTS:
                statements, statements_status = await self._cached_statements(session,
                                                                              settings)
            activity = await read_activity(session, self._long_running_after)
            health, health_error = None, ""
            if settings.view is DbView.HEALTH:
                try:
                    health = await read_health(session)
                except DbError as exc:
                    if exc.kind is DbErrorKind.CONNECTION_LOST:
                        raise
                    health_error = str(exc)
        return DbSnapshot(
            status="ok",
            message=f"connected to {session.target}",
            tls_label=session.tls_label,
            statements=statements,
            statements_status=statements_status,
            activity=activity,
            server_version=session.server_version,
            interval=self.interval,
            taken_at=datetime.now(UTC),
            sort=settings.sort,
            target=session.target,
            settings=settings,
            mark=self._mark,
            health=health,
            health_error=health_error,
            privileges=self._privileges,
            server_version_num=session.server_version_num,
            hidden_interval=self.hidden_interval,
            statement_timeout=session.statement_timeout,
            statements_interval=self.statements_interval,
        )

    async def _take_mark(self, session: DbSession, label: str) -> None:
        counters, status = await self._reader.read_counters(session)
        if status.state in (StatementsState.OK, StatementsState.LIMITED):
            self._mark = Mark(label, datetime.now(UTC), counters)
            self._pending_mark = None

    async def _cached_statements(
        self, session: DbSession, settings: DbSettings
    ) -> tuple[tuple[StatementStats, ...], StatementsStatus]:
        """The statements of the last read, re-read every STATEMENTS_EVERY polls."""
        cached = self._statements
        self._polls_since_statements += 1
        if (cached is None or cached[0] != settings
                or self._polls_since_statements >= STATEMENTS_EVERY):
            stats, status = await self._read_statements(session, settings)
            cached = self._statements = (settings, stats, status)
            self._polls_since_statements = 0
        return cached[1], cached[2]

    async def _read_statements(
        self, session: DbSession, settings: DbSettings
    ) -> tuple[tuple[StatementStats, ...], StatementsStatus]:
        if settings.delta is DeltaMode.CUMULATIVE and not settings.slower:
            return await self._reader.read(session, settings.sort)
        counters, status = await self._reader.read_counters(session)
        if status.state not in (StatementsState.OK, StatementsState.LIMITED):
            return (), status
        if settings.delta is DeltaMode.REFRESH and not settings.slower:
            before, self._previous = self._previous, counters
            if before is None:
                return (), StatementsStatus(
                    StatementsState.OK, "counting: the first changes appear at the next refresh"
                )
        elif self._mark is None:
            return (), StatementsStatus(StatementsState.OK, "no mark set yet: press m to set one")
        else:
            before = dict(self._mark.counters)
        stats = await read_delta(self._reader, session, counters, before, settings.sort,
                                 slower=settings.slower)
        return stats, status

    async def _drop_session(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def _sleep(self, seconds: float) -> None:
        """Wait ``seconds`` or until refresh_now/apply/mark/set_visible wakes us."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._wake.wait()
        self._wake.clear()

    def _emit(self, status: str, message: str, reconnect_in: float | None = None,
              attempt: int = 0) -> None:
        session = self._session
        self._on_snapshot(
            DbSnapshot(
                status=status,
                message=message,
                tls_label=session.tls_label if session else "",
                statements=(),
                statements_status=STATUS_UNKNOWN,
                activity=None,
                server_version=session.server_version if session else "",
                interval=self.interval,
                taken_at=datetime.now(UTC),
                sort=self._settings.sort,
                target=session.target if session else "",
                settings=self._settings,
                mark=self._mark,
                privileges=self._privileges,
                server_version_num=session.server_version_num if session else 0,
                hidden_interval=self.hidden_interval,
                reconnect_in=reconnect_in,
                attempt=attempt,
                statement_timeout=self._statement_timeout,
            )
        )

    def _emit_error(self, message: str, reconnect_in: float | None = None,
                    attempt: int = 0) -> None:
        self._emit("error", message, reconnect_in, attempt)


async def _optional(read: Awaitable[PrivilegesReport]) -> PrivilegesReport | None:
    """The privileges report, or None if this server cannot answer (never fatal)."""
    try:
        return await read
    except DbError as exc:
        if exc.kind is DbErrorKind.CONNECTION_LOST:
            raise
        return None
