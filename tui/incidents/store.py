"""The incident store: SQLite in WAL mode, ``synchronous=FULL``, one append-only table.

Every write is committed, and so on disk, before the method returns: the UI shows a
step as done only after that, so SIGHUP, SIGTERM, a crash or ``kill -9`` loses nothing
the engineer saw acknowledged. Triggers make the ``entries`` table refuse UPDATE and
DELETE. Two onduty processes on one host share the file; :meth:`IncidentStore.changed`
polls ``PRAGMA data_version`` (a cheap read of shared memory) to learn when the other one
committed, and :meth:`AsyncIncidentStore.watch` turns that into a stream of new entries.

Free text is redacted (tui.redact) and sanitised (tui.sanitize) before it is written:
what is in the store is safe to show and to export.
"""

from __future__ import annotations

import asyncio
import getpass
import json
import logging
import os
import socket
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from tui.errors import OnDutyError
from tui.incidents.model import (
    Entry,
    EntryKind,
    Incident,
    IncidentFold,
    ProcedureSnapshot,
    SeverityPolicy,
    fold,
)
from tui.redact import redact
from tui.sanitize import sanitize

log = logging.getLogger(__name__)

STORE_FILENAME = "incidents.sqlite3"
BUSY_TIMEOUT_MS = 5000
WATCH_INTERVAL_S = 0.1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS incidents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    opened_at REAL NOT NULL,
    closed_at REAL
);
CREATE TABLE IF NOT EXISTS entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id INTEGER NOT NULL REFERENCES incidents(id),
    at REAL NOT NULL,
    kind TEXT NOT NULL,
    actor TEXT NOT NULL,
    payload TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS entries_by_incident ON entries(incident_id, id);
CREATE TRIGGER IF NOT EXISTS entries_no_update BEFORE UPDATE ON entries
BEGIN SELECT RAISE(ABORT, 'the incident timeline is append-only'); END;
CREATE TRIGGER IF NOT EXISTS entries_no_delete BEFORE DELETE ON entries
BEGIN SELECT RAISE(ABORT, 'the incident timeline is append-only'); END;
"""


def default_store_path() -> Path:
    """The store in the platform data dir (e.g. ~/.local/share/onduty/incidents.sqlite3)."""
    from tui.paths import data_dir

    return data_dir() / STORE_FILENAME


def default_actor() -> str:
    """Who is acting, as ``user@host``: two responders on one bastion stay distinguishable."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = f"uid{os.getuid()}"
    return f"{user}@{socket.gethostname()}"


def clean_text(text: str) -> str:
    """Free text as it may be persisted: credentials masked, control characters visible."""
    return sanitize(redact(text), multiline=True)


def _clean(value: Any, *, redacting: bool) -> Any:
    """Every string inside ``value`` sanitised (and redacted unless ``redacting`` is off)."""
    if isinstance(value, str):
        return clean_text(value) if redacting else sanitize(value, multiline=True)
    if isinstance(value, Mapping):
        return {str(k): _clean(v, redacting=redacting) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v, redacting=redacting) for v in value]
    return value


@dataclass(frozen=True)
class IncidentSummary:
    """One row of `onduty incident list`: cheap to read, no fold needed."""

    id: int
    title: str
    opened_at: float
    closed_at: float | None


class IncidentStore:
    """Blocking access to the incident store; thread-safe (one connection, one lock)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path if path is not None else default_store_path()
        self._lock = threading.Lock()
        self._conn = self._connect()
        self._data_version = self._read_data_version()

    def _connect(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            if not self.path.exists():
                os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
            conn = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=5.0
            )
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise OnDutyError(
                f"cannot open the incident store {self.path}: {exc}. Check that the "
                "directory is writable and the file is an onduty store."
            ) from exc
        if str(mode).lower() != "wal":
            log.warning("incident store %s is not in WAL mode (%s)", self.path, mode)
        return conn

    def close(self) -> None:
        """Close the connection (every write is already durable)."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> IncidentStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing ----------------------------------------------------------------------

    def open_incident(
        self,
        title: str,
        severity: SeverityPolicy,
        *,
        actor: str | None = None,
        lead: str | None = None,
        impact: str | None = None,
        detected_at: float | None = None,
        impact_started_at: float | None = None,
        at: float | None = None,
    ) -> Entry:
        """Create an incident and its ``opened`` entry in one durable transaction.

        Returns the ``opened`` entry; its ``incident_id`` is the new incident's id.
        """
        when = time.time() if at is None else at
        clean_title = clean_text(title).strip() or "untitled incident"
        payload: dict[str, Any] = {"title": clean_title, **severity.to_payload()}
        optional = {
            "lead": lead,
            "impact": impact,
            "detected_at": detected_at,
            "impact_started_at": impact_started_at,
        }
        payload.update({k: v for k, v in optional.items() if v is not None})
        with self._lock, self._write():
            cursor = self._conn.execute(
                "INSERT INTO incidents (title, opened_at) VALUES (?, ?)", (clean_title, when)
            )
            incident_id = int(cursor.lastrowid or 0)
            return self._insert(incident_id, EntryKind.OPENED, payload, actor, when)

    def attach_procedure(
        self,
        incident_id: int,
        procedure: ProcedureSnapshot,
        *,
        actor: str | None = None,
        at: float | None = None,
    ) -> Entry:
        """Attach a procedure snapshot; its index is the number attached before it."""
        return self.append(
            incident_id,
            EntryKind.PROCEDURE_ATTACHED,
            {"procedure": procedure.to_dict()},
            actor=actor,
            at=at,
        )

    def append(
        self,
        incident_id: int,
        kind: EntryKind | str,
        payload: Mapping[str, Any] | None = None,
        *,
        actor: str | None = None,
        at: float | None = None,
    ) -> Entry:
        """Append one entry and return it once it is committed to disk.

        Closing (``closed``) also stamps the incidents table in the same transaction.
        """
        when = time.time() if at is None else at
        with self._lock, self._write():
            entry = self._insert(incident_id, kind, dict(payload or {}), actor, when)
            if entry.kind == EntryKind.CLOSED:
                self._conn.execute(
                    "UPDATE incidents SET closed_at = ? WHERE id = ?", (when, incident_id)
                )
            return entry

    def _write(self) -> _Transaction:
        return _Transaction(self._conn, self.path)

    def _insert(
        self,
        incident_id: int,
        kind: EntryKind | str,
        payload: dict[str, Any],
        actor: str | None,
        at: float,
    ) -> Entry:
        kind_name = str(kind)
        cleaned = _clean(payload, redacting=kind_name != EntryKind.PROCEDURE_ATTACHED)
        who = clean_text(actor if actor is not None else default_actor())
        text = json.dumps(cleaned, ensure_ascii=False, separators=(",", ":"))
        try:
            cursor = self._conn.execute(
                "INSERT INTO entries (incident_id, at, kind, actor, payload) "
                "VALUES (?, ?, ?, ?, ?)",
                (incident_id, at, kind_name, who, text),
            )
        except sqlite3.IntegrityError as exc:
            raise OnDutyError(f"no incident {incident_id} in {self.path}") from exc
        return Entry(
            id=int(cursor.lastrowid or 0),
            incident_id=incident_id,
            at=at,
            kind=kind_name,
            actor=who,
            payload=MappingProxyType(cleaned),
        )

    # -- reading ----------------------------------------------------------------------

    def incidents(self, *, open_only: bool = False) -> list[IncidentSummary]:
        """Every incident, newest first."""
        query = "SELECT id, title, opened_at, closed_at FROM incidents"
        if open_only:
            query += " WHERE closed_at IS NULL"
        with self._lock:
            rows = self._conn.execute(query + " ORDER BY id DESC").fetchall()
        return [IncidentSummary(int(r[0]), str(r[1]), float(r[2]), r[3]) for r in rows]

    def summary(self, incident_id: int) -> IncidentSummary:
        """One incident's row; OnDutyError when there is no such incident."""
        with self._lock:
            row = self._conn.execute(
                "SELECT id, title, opened_at, closed_at FROM incidents WHERE id = ?",
                (incident_id,),
            ).fetchone()
        if row is None:
            raise OnDutyError(
                f"no incident {incident_id} (see `onduty incident list` for the ids)"
            )
        return IncidentSummary(int(row[0]), str(row[1]), float(row[2]), row[3])

    def open_incident_id(self) -> int | None:
        """The most recently opened incident that is not closed, if any."""
        summaries = self.incidents(open_only=True)
        return summaries[0].id if summaries else None

    def entries(self, incident_id: int) -> list[Entry]:
        """The whole timeline of one incident, in append order."""
        return self.entries_since(incident_id, 0)

    def entries_since(self, incident_id: int, after_id: int) -> list[Entry]:
        """Entries appended after entry ``after_id`` (by this or any other process)."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, incident_id, at, kind, actor, payload FROM entries "
                "WHERE incident_id = ? AND id > ? ORDER BY id",
                (incident_id, after_id),
            ).fetchall()
        return [entry for row in rows if (entry := _entry_from_row(row)) is not None]

    def load(self, incident_id: int) -> Incident:
        """The incident folded from its timeline."""
        summary = self.summary(incident_id)
        return fold(
            self.entries(incident_id),
            incident_id,
            title=summary.title,
            opened_at=summary.opened_at,
        )

    def changed(self) -> bool:
        """True once after another connection committed (cheap: PRAGMA data_version)."""
        with self._lock:
            version = self._read_data_version()
            if version == self._data_version:
                return False
            self._data_version = version
            return True

    def _read_data_version(self) -> int:
        return int(self._conn.execute("PRAGMA data_version").fetchone()[0])


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT; a failure rolls back and becomes a plain OnDutyError."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self._path = path

    def __enter__(self) -> None:
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise OnDutyError(f"cannot write to the incident store {self._path}: {exc}") from exc

    def __exit__(self, exc_type: type[BaseException] | None, *rest: object) -> None:
        if exc_type is not None:
            self._rollback()
            return
        try:
            self._conn.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback()
            raise OnDutyError(
                f"the incident store {self._path} did not save the entry: {exc}"
            ) from exc


    def _rollback(self) -> None:
        """Roll back if a transaction is still open (a failed COMMIT may have ended it)."""
        if self._conn.in_transaction:
            self._conn.execute("ROLLBACK")


def _entry_from_row(row: Sequence[Any]) -> Entry | None:
    """An entry from a row, or None (with a warning) when the row is damaged."""
    try:
        payload = json.loads(row[5])
        if not isinstance(payload, dict):
            raise ValueError("payload is not an object")
        return Entry(
            id=int(row[0]),
            incident_id=int(row[1]),
            at=float(row[2]),
            kind=str(row[3]),
            actor=str(row[4]),
            payload=MappingProxyType(payload),
        )
    except (ValueError, TypeError) as exc:
        log.warning("skipping damaged incident entry %s: %s", row[0], exc)
        return None


class AsyncIncidentStore:
    """The same store for code on an event loop: every call runs in a worker thread."""

    def __init__(self, store: IncidentStore) -> None:
        self.store = store

    @classmethod
    async def open(cls, path: Path | None = None) -> AsyncIncidentStore:
        """Open (and create if needed) the store off the event loop."""
        return cls(await asyncio.to_thread(IncidentStore, path))

    async def close(self) -> None:
        """Close the underlying connection."""
        await asyncio.to_thread(self.store.close)

    async def open_incident(
        self, title: str, severity: SeverityPolicy, **kwargs: Any
    ) -> Entry:
        """See :meth:`IncidentStore.open_incident`."""
        return await asyncio.to_thread(self.store.open_incident, title, severity, **kwargs)

    async def attach_procedure(
        self, incident_id: int, procedure: ProcedureSnapshot, **kwargs: Any
    ) -> Entry:
        """See :meth:`IncidentStore.attach_procedure`."""
        return await asyncio.to_thread(
            self.store.attach_procedure, incident_id, procedure, **kwargs
        )

    async def append(
        self,
        incident_id: int,
        kind: EntryKind | str,
        payload: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> Entry:
        """See :meth:`IncidentStore.append`: returns once the entry is on disk."""
        return await asyncio.to_thread(self.store.append, incident_id, kind, payload, **kwargs)

    async def incidents(self, *, open_only: bool = False) -> list[IncidentSummary]:
        """See :meth:`IncidentStore.incidents`."""
        return await asyncio.to_thread(self.store.incidents, open_only=open_only)

    async def summary(self, incident_id: int) -> IncidentSummary:
        """See :meth:`IncidentStore.summary`."""
        return await asyncio.to_thread(self.store.summary, incident_id)

    async def open_incident_id(self) -> int | None:
        """See :meth:`IncidentStore.open_incident_id`."""
        return await asyncio.to_thread(self.store.open_incident_id)

    async def entries(self, incident_id: int) -> list[Entry]:
        """See :meth:`IncidentStore.entries`."""
        return await asyncio.to_thread(self.store.entries, incident_id)

    async def entries_since(self, incident_id: int, after_id: int) -> list[Entry]:
        """See :meth:`IncidentStore.entries_since`."""
        return await asyncio.to_thread(self.store.entries_since, incident_id, after_id)

    async def load(self, incident_id: int) -> Incident:
        """See :meth:`IncidentStore.load`."""
        return await asyncio.to_thread(self.store.load, incident_id)

    async def changed(self) -> bool:
        """See :meth:`IncidentStore.changed`."""
        return await asyncio.to_thread(self.store.changed)



class LiveIncident:
    """One incident kept current on an event loop: own appends and other processes' entries.

    Every new entry, whoever wrote it, is read back with ``entries_since`` and folded in id
    order, so two responders on one host always converge on the same incident.
    """

    def __init__(self, store: AsyncIncidentStore, fold: IncidentFold) -> None:
        self.store = store
        self._fold = fold
        self._incident = fold.build()
        self._lock = asyncio.Lock()

    @classmethod
    async def load(cls, store: AsyncIncidentStore, incident_id: int) -> LiveIncident:
        """Fold the incident's whole timeline."""
        summary = await store.summary(incident_id)
        builder = IncidentFold(incident_id, summary.title, summary.opened_at)
        for entry in await store.entries(incident_id):
            builder.apply(entry)
        return cls(store, builder)

    @property
    def incident(self) -> Incident:
        """The incident as of the last entry read."""
        return self._incident

    async def refresh(self) -> list[Entry]:
        """Read and fold every entry appended since the last one seen; return them."""
        async with self._lock:
            batch = await self.store.entries_since(self._fold.incident_id, self._fold.last_id)
            for entry in batch:
                self._fold.apply(entry)
            if batch:
                self._incident = self._fold.build()
            return batch

    async def append(
        self, kind: EntryKind | str, payload: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> Entry:
        """Append durably, then fold it in (with anything another process wrote first)."""
        entry = await self.store.append(self._fold.incident_id, kind, payload, **kwargs)
        await self.refresh()
        return entry

    async def poll(self) -> list[Entry]:
        """New entries from other processes, if any committed since the last poll."""
        if await self.store.changed():
            return await self.refresh()
        return []

    async def watch(self, *, interval: float = WATCH_INTERVAL_S) -> AsyncIterator[list[Entry]]:
        """Yield each batch of entries other processes append, polling every ``interval`` s."""
        while True:
            batch = await self.poll()
            if batch:
                yield batch
            await asyncio.sleep(interval)
