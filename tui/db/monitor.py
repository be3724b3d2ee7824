"""The database poller behind the slow-query pane: snapshots on an adaptive interval.

The next poll is scheduled only after the previous one finished, so a slow server never
gets a pile-up of queries. A lost connection is shown and retried with exponential
backoff. While the pane is hidden the interval stretches (at least 30 s), because on
scale-to-zero services (Neon) a 2 s poller keeps the compute awake and costs money.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from tui.db.activity import LONG_RUNNING_AFTER, ActivitySummary, read_activity
from tui.db.session import DbError, DbErrorKind, DbSession
from tui.db.statements import (
    DEFAULT_LIMIT,
    STATUS_UNKNOWN,
    SortKey,
    StatementsReader,
    StatementsStatus,
    StatementStats,
)
from tui.errors import OnDutyError

HIDDEN_MIN_INTERVAL = 30.0
HIDDEN_FACTOR = 10.0


@dataclass(frozen=True)
class DbSnapshot:
    """What the database looked like at ``taken_at``, or why it could not be read.

    ``status`` is "connecting", "ok" or "error"; ``message`` says what happened in plain
    words. Error snapshots carry no statements or activity (the UI may keep the last).
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
    ) -> None:
        self._dsn_provider = dsn_provider
        self._base_interval = interval
        self._on_snapshot = on_snapshot
        self._connect_timeout = connect_timeout
        self._statement_timeout = statement_timeout
        self._long_running_after = long_running_after
        self._backoff_min, self._backoff_max = backoff
        self._reader = StatementsReader(limit)
        self._sort = SortKey.MEAN
        self._visible = True
        self._session: DbSession | None = None
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    # -- control

    @property
    def interval(self) -> float:
        """The current polling interval in seconds (longer while hidden)."""
        if self._visible:
            return self._base_interval
        return max(HIDDEN_MIN_INTERVAL, HIDDEN_FACTOR * self._base_interval)

    @property
    def sort(self) -> SortKey:
        return self._sort

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

    def refresh_now(self) -> None:
        """Poll as soon as the current poll (if any) finishes."""
        self._wake.set()

    def set_visible(self, visible: bool) -> None:
        """Slow down while hidden; refresh at once when shown again."""
        was_visible, self._visible = self._visible, visible
        if visible and not was_visible:
            self._wake.set()

    def set_sort(self, key: SortKey | str) -> None:
        """Change the statements order and refresh."""
        self._sort = SortKey(key)
        self._wake.set()

    # -- the loop

    async def _run(self) -> None:
        backoff = self._backoff_min
        while True:
            try:
                if self._session is None:
                    await self._connect()
                snapshot = await self._poll()
            except DbError as exc:
                if exc.kind is not DbErrorKind.CONNECTION_LOST and self._session is not None:
                    self._emit_error(str(exc))
                    await self._sleep(self.interval)
                    continue
                await self._drop_session()
                self._emit_error(f"{exc}; retrying in {backoff:g} s")
            except OnDutyError as exc:
                await self._drop_session()
                self._emit_error(f"{exc}; retrying in {backoff:g} s")
            except Exception as exc:
                # Never let the poller die silently: show it and start over.
                await self._drop_session()
                self._emit_error(
                    f"unexpected {type(exc).__name__} while reading the database: {exc}; "
                    f"retrying in {backoff:g} s"
                )
            else:
                backoff = self._backoff_min
                self._on_snapshot(snapshot)
                await self._sleep(self.interval)
                continue
            await self._sleep(backoff)
            backoff = min(backoff * 2, self._backoff_max)

    async def _connect(self) -> None:
        self._emit("connecting", "connecting to the database")
        try:
            async with asyncio.timeout(self._connect_timeout * 2):
                dsn = await self._dsn_provider()
        except TimeoutError:
            raise OnDutyError("the database URL could not be read in time") from None
        session = await DbSession.connect(
            dsn, connect_timeout=self._connect_timeout, statement_timeout=self._statement_timeout
        )
        self._session = session
        self._reader.reset()

    async def _poll(self) -> DbSnapshot:
        session = self._session
        assert session is not None
        sort = self._sort
        statements, statements_status = await self._reader.read(session, sort)
        activity = await read_activity(session, self._long_running_after)
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
            sort=sort,
            target=session.target,
        )

    async def _drop_session(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def _sleep(self, seconds: float) -> None:
        """Wait ``seconds`` or until refresh_now/set_sort/set_visible wakes us."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._wake.wait()
        self._wake.clear()

    def _emit(self, status: str, message: str) -> None:
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
                sort=self._sort,
                target=session.target if session else "",
            )
        )

    def _emit_error(self, message: str) -> None:
        self._emit("error", message)
