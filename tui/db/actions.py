"""Actions on the database, each described exactly before it runs and checked after.

``ActionRequest`` carries the SQL text that will run, so the confirmation shows the very
statement the server receives. Cancel and terminate are function calls, allowed in a
read-only transaction; afterwards ``pg_stat_activity`` is read again, because the
boolean the server returns (or a pooler in between) says little about what happened.
EXPLAIN never executes the statement; EXPLAIN ANALYZE does, so it runs in a transaction
that is always rolled back, under the statement timeout, after typed confirmation.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from tui.db.session import DbError, DbErrorKind, DbSession
from tui.sanitize import sanitize

GENERIC_PLAN_SINCE = 160000
SETTLE_SECONDS = 3.0
_EXPLAINABLE = {"select", "with", "values", "table", "insert", "update", "delete", "merge"}
_WRITES = {"insert", "update", "delete", "merge"}
_TOKENS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|/\*.*?\*/|\$(\d+)", re.S)
_FIRST_WORD = re.compile(r"(?:\s+|--[^\n]*|/\*.*?\*/|\()*([A-Za-z]+)", re.S)

BACKEND_QUERY = """
SELECT a.state, a.query_start
FROM pg_catalog.pg_stat_activity AS a
WHERE a.pid = $1
""".strip()


class ActionKind(StrEnum):
    CANCEL = "cancel"
    TERMINATE = "terminate"
    EXPLAIN = "explain"
    EXPLAIN_ANALYZE = "explain analyze"


@dataclass(frozen=True)
class ActionRequest:
    """What will run: ``sql`` is the exact text sent to the server.

    ``pid`` is set for cancel/terminate; ``rolled_back`` says EXPLAIN ANALYZE of a write
    runs in a read-write transaction that is rolled back (otherwise read-only).
    """

    kind: ActionKind
    sql: str
    pid: int | None = None
    rolled_back: bool = False

    @property
    def description(self) -> str:
        if self.pid is not None:
            return f"{self.kind.value} backend {self.pid}"
        return self.kind.value.upper() + " of the selected statement"


@dataclass(frozen=True)
class ActionOutcome:
    """What really happened: ``outcome`` in plain words, server errors verbatim."""

    request: ActionRequest
    environment: str
    target: str
    ok: bool
    outcome: str
    server_error: str = ""
    plan: tuple[str, ...] = field(default=(), repr=False)

    @property
    def description(self) -> str:
        """"cancel backend 42 on production (app@db:5432/main): SELECT ..."."""
        where = f" on {self.environment}" if self.environment else ""
        target = f" ({self.target})" if self.target else ""
        return f"{self.request.description}{where}{target}: {self.request.sql}"


class ExplainRefused(DbError):
    """The statement cannot be explained as asked; the message says what would work."""

    def __init__(self, message: str) -> None:
        super().__init__(message, DbErrorKind.CONFIG)


# --------------------------------------------------------------------------- requests


def cancel_request(pid: int) -> ActionRequest:
    return ActionRequest(ActionKind.CANCEL, f"SELECT pg_catalog.pg_cancel_backend({int(pid)})",
                         pid=int(pid))


def terminate_request(pid: int) -> ActionRequest:
    return ActionRequest(ActionKind.TERMINATE,
                         f"SELECT pg_catalog.pg_terminate_backend({int(pid)})", pid=int(pid))


def placeholders(query: str) -> list[int]:
    """The ``$n`` parameter numbers used in ``query`` (not inside quotes or comments)."""
    numbers = {int(m.group(1)) for m in _TOKENS.finditer(query) if m.group(1)}
    return sorted(numbers)


def first_word(query: str) -> str:
    """The statement's leading keyword, lower case ("select", "update"...), or ""."""
    match = _FIRST_WORD.match(query)
    return match.group(1).lower() if match else ""


def literal(value: str) -> str:
    """An SQL literal for a user-supplied parameter value; ``NULL`` stays NULL."""
    if value.strip().upper() == "NULL":
        return "NULL"
    return "'" + value.replace("'", "''") + "'"


def fill_parameters(query: str, values: Sequence[str]) -> str:
    """``query`` with ``$1``...``$n`` replaced by quoted literals of ``values``."""

    def substitute(match: re.Match[str]) -> str:
        if not match.group(1):
            return match.group(0)
        index = int(match.group(1)) - 1
        if index >= len(values):
            raise ExplainRefused(f"no value given for ${index + 1}")
        return literal(values[index])

    return _TOKENS.sub(substitute, query)


def explain_request(
    query: str,
    *,
    server_version_num: int,
    params: Sequence[str] | None = None,
    analyze: bool = False,
) -> ActionRequest:
    """The EXPLAIN to run for a normalised statement, or ExplainRefused saying why not.

    ``$n`` text from pg_stat_statements is planned with GENERIC_PLAN on PostgreSQL 16+;
    older servers need ``params`` (quoted as literals). ANALYZE always needs values.
    """
    text = query.strip().rstrip(";").strip()
    if "<insufficient privilege>" in text:
        raise ExplainRefused("the statement's text is hidden (needs pg_read_all_stats)")
    verb = first_word(text)
    if verb not in _EXPLAINABLE:
        raise ExplainRefused(
            f"EXPLAIN works on SELECT, INSERT, UPDATE, DELETE, MERGE, VALUES and WITH; "
            f"this is {verb.upper() or 'not a statement'}"
        )
    numbers = placeholders(text)
    options: list[str] = []
    if numbers and params:
        text = fill_parameters(text, params)
    elif numbers and analyze:
        raise ExplainRefused(
            "EXPLAIN ANALYZE runs the statement: fill in values for "
            + ", ".join(f"${n}" for n in numbers)
        )
    elif numbers and server_version_num < GENERIC_PLAN_SINCE:
        major = server_version_num // 10000
        raise ExplainRefused(
            f"PostgreSQL {major} cannot plan a statement with parameters "
            f"({', '.join(f'${n}' for n in numbers)}): EXPLAIN (GENERIC_PLAN) arrived in "
            "PostgreSQL 16. Fill in values to explain it"
        )
    elif numbers:
        options.append("GENERIC_PLAN")
    if analyze:
        options = ["ANALYZE", "BUFFERS"]
    prefix = f"EXPLAIN ({', '.join(options)}) " if options else "EXPLAIN "
    kind = ActionKind.EXPLAIN_ANALYZE if analyze else ActionKind.EXPLAIN
    return ActionRequest(kind, prefix + text, rolled_back=analyze and verb in _WRITES)


# --------------------------------------------------------------------------- running


async def run_action(
    session: DbSession, request: ActionRequest, *, environment: str = "",
    settle: float = SETTLE_SECONDS,
) -> ActionOutcome:
    """Run ``request`` and report the real outcome; never raises for server refusals."""

    def outcome(ok: bool, text: str, error: str = "",
                plan: tuple[str, ...] = ()) -> ActionOutcome:
        return ActionOutcome(request, environment, session.target, ok, text, error, plan)

    try:
        if request.kind in (ActionKind.EXPLAIN, ActionKind.EXPLAIN_ANALYZE):
            plan = await _explain(session, request)
            done = "plan read" if request.kind is ActionKind.EXPLAIN else (
                "statement ran and was rolled back" if request.rolled_back
                else "statement ran in a read-only transaction")
            return outcome(True, done, plan=plan)
        assert request.pid is not None
        before = await _backend(session, request.pid)
        sent = bool(await _signal(session, request.sql))
    except DbError as exc:
        if exc.kind is DbErrorKind.CONNECTION_LOST:
            raise
        verb = "the server refused" if exc.kind is DbErrorKind.QUERY else "failed"
        return outcome(False, f"{verb}: {exc}", str(exc))
    if not sent:
        return outcome(False, f"the server did not signal backend {request.pid}: it is not a "
                              "PostgreSQL backend any more (already gone?)")
    if request.kind is ActionKind.CANCEL:
        ok, text = await _cancel_result(session, request.pid, before, settle)
    else:
        ok, text = await _terminate_result(session, request.pid, settle)
    return outcome(ok, text)


async def _explain(session: DbSession, request: ActionRequest) -> tuple[str, ...]:
    transaction = (session.rolled_back_transaction() if request.rolled_back
                   else session.transaction())
    async with transaction as tx:
        rows = await tx.fetch(request.sql)
    return tuple(sanitize(str(r[0])) for r in rows)


async def _signal(session: DbSession, sql: str) -> bool:
    async with session.transaction() as tx:
        return bool(await tx.fetchval(sql))


@dataclass(frozen=True)
class _Backend:
    state: str
    query_start: object


async def _backend(session: DbSession, pid: int) -> _Backend | None:
    async with session.transaction() as tx:
        row = await tx.fetchrow(BACKEND_QUERY, pid)
    if row is None:
        return None
    return _Backend(row["state"] or "unknown", row["query_start"])


async def _cancel_result(
    session: DbSession, pid: int, before: _Backend | None, settle: float
) -> tuple[bool, str]:
    """Re-read the backend until its query ended (or ``settle`` seconds), then say so."""
    if before is not None and before.state != "active":
        after = await _backend(session, pid)
        state = after.state if after else "gone"
        return False, (f"backend {pid} was {before.state}: there was no running query to "
                       f"cancel (now {state})")
    deadline = time.monotonic() + settle
    while True:
        after = await _backend(session, pid)
        if after is None:
            return True, f"backend {pid} is gone (its session ended)"
        if before is None or after.state != "active" or after.query_start != before.query_start:
            return True, f"query cancelled: backend {pid} is now {after.state}"
        if time.monotonic() >= deadline:
            return False, (f"signal sent, but backend {pid} is still running the same query "
                           f"after {settle:g} s (it may be in a wait that ignores cancels)")
        await asyncio.sleep(0.05)


async def _terminate_result(session: DbSession, pid: int, settle: float) -> tuple[bool, str]:
    """Re-read until the backend is gone (or ``settle`` seconds), then say so."""
    deadline = time.monotonic() + settle
    while True:
        after = await _backend(session, pid)
        if after is None:
            return True, f"backend {pid} terminated (gone from pg_stat_activity)"
        if time.monotonic() >= deadline:
            return False, (f"signal sent, but backend {pid} is still there after {settle:g} s "
                           f"(state {after.state})")
        await asyncio.sleep(0.05)
