"""The incident store on a real file: durability, sharing between processes, damage."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.incidents import P0_POLICY, sample_procedure, wait_for
from tui.errors import OnDutyError
from tui.incidents.model import EntryKind, StepStatus
from tui.incidents.store import AsyncIncidentStore, IncidentStore, LiveIncident
from tui.redact import REDACTOR

ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import sys
from pathlib import Path
from tests.support.incidents import P0_POLICY, sample_procedure
from tui.incidents.store import IncidentStore

store = IncidentStore(Path(sys.argv[1]))
incident = store.open_incident("API down", P0_POLICY, actor="child").incident_id
store.attach_procedure(incident, sample_procedure(), actor="child")
print("incident", incident, flush=True)
n = 0
while True:
    n += 1
    entry = store.append(incident, "note", {"text": f"note {n}"}, actor="child")
    print("saved", entry.id, n, flush=True)
"""


@pytest.fixture
def store(tmp_path: Path) -> Iterator[IncidentStore]:
    with IncidentStore(tmp_path / "data" / "incidents.sqlite3") as opened:
        yield opened


def test_store_is_wal_full_sync_private_and_in_the_given_place(tmp_path: Path) -> None:
    path = tmp_path / "data" / "incidents.sqlite3"
    with IncidentStore(path) as store:
        store.open_incident("x", P0_POLICY)
        conn = store._conn
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_kill_9_right_after_saved_loses_no_acknowledged_entry(tmp_path: Path) -> None:
    path = tmp_path / "incidents.sqlite3"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path)],
        stdout=subprocess.PIPE, text=True, cwd=ROOT,
    )
    acknowledged: dict[int, int] = {}
    incident_id = 0
    try:
        assert child.stdout is not None
        for line in child.stdout:
            words = line.split()
            if words[0] == "incident":
                incident_id = int(words[1])
            elif words[0] == "saved":
                acknowledged[int(words[1])] = int(words[2])
                if len(acknowledged) >= 40:
                    child.send_signal(signal.SIGKILL)
                    break
    finally:
        child.kill()
        child.wait(timeout=10)
    assert child.returncode == -signal.SIGKILL
    with IncidentStore(path) as reopened:
        entries = {e.id: e for e in reopened.entries(incident_id)}
        incident = reopened.load(incident_id)
    for entry_id, n in acknowledged.items():
        assert entries[entry_id].kind == "note"
        assert entries[entry_id].payload == {"text": f"note {n}"}
        assert entries[entry_id].actor == "child"
    assert incident.title == "API down" and len(incident.procedures) == 1


def test_a_torn_last_record_is_ignored_and_the_rest_reads(tmp_path: Path) -> None:
    path = tmp_path / "incidents.sqlite3"
    store = IncidentStore(path)
    incident = store.open_incident("torn", P0_POLICY).incident_id
    for n in range(10):
        store.append(incident, EntryKind.NOTE, {"text": f"note {n}"})
    wal = Path(f"{path}-wal")
    copy = tmp_path / "copy" / "incidents.sqlite3"
    copy.parent.mkdir()
    shutil.copyfile(path, copy)
    torn = wal.read_bytes()
    Path(f"{copy}-wal").write_bytes(torn[: len(torn) - 100])
    store.close()
    with IncidentStore(copy) as reopened:
        notes = [e.payload["text"] for e in reopened.entries(incident)
                 if e.kind == EntryKind.NOTE]
    assert notes == [f"note {n}" for n in range(9)]


def test_a_damaged_payload_row_is_skipped_with_a_warning(
    store: IncidentStore, caplog: pytest.LogCaptureFixture
) -> None:
    incident = store.open_incident("damaged", P0_POLICY).incident_id
    store.append(incident, EntryKind.NOTE, {"text": "before"})
    raw = sqlite3.connect(store.path)
    with raw:
        raw.execute("INSERT INTO entries (incident_id, at, kind, actor, payload) "
                    "VALUES (?, ?, 'note', 'x', '{\"text\": \"cut of')", (incident, time.time()))
    raw.close()
    store.append(incident, EntryKind.NOTE, {"text": "after"})
    with caplog.at_level(logging.WARNING, logger="tui.incidents.store"):
        notes = [e.payload["text"] for e in store.entries(incident) if e.kind == "note"]
    assert notes == ["before", "after"]
    assert "skipping damaged incident entry" in caplog.text


def test_the_timeline_refuses_updates_and_deletes(store: IncidentStore) -> None:
    incident = store.open_incident("append only", P0_POLICY).incident_id
    store.append(incident, EntryKind.NOTE, {"text": "kept"})
    raw = sqlite3.connect(store.path)
    try:
        for sql in ("UPDATE entries SET payload = '{}'", "DELETE FROM entries"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"), raw:
                raw.execute(sql)
    finally:
        raw.close()
    assert [e.payload.get("text") for e in store.entries(incident)][-1] == "kept"


def test_free_text_is_redacted_and_sanitised_before_it_is_stored(store: IncidentStore) -> None:
    REDACTOR.register("s3cr3t-keyring-value")
    try:
        incident = store.open_incident("title \x1b]0;pwned\x07", P0_POLICY).incident_id
        store.append(incident, EntryKind.NOTE, {
            "text": "DATABASE_URL=postgres://app:hunter2@db/app and s3cr3t-keyring-value\x1b[2J",
        })
        store.append(incident, EntryKind.LOG_LINES, {
            "source": "api", "lines": ["Authorization: Bearer abcdefghijklmnop", "ok"],
        })
    finally:
        REDACTOR.forget_all()
    raw = sqlite3.connect(store.path)
    dump = "\n".join(str(row) for row in raw.execute("SELECT * FROM entries"))
    dump += "\n".join(str(row) for row in raw.execute("SELECT * FROM incidents"))
    raw.close()
    for secret in ("hunter2", "s3cr3t-keyring-value", "abcdefghijklmnop", "\x1b"):
        assert secret not in dump
    assert "«redacted»" in dump and "␛" in dump


def test_appending_to_an_unknown_incident_is_a_plain_error(store: IncidentStore) -> None:
    with pytest.raises(OnDutyError, match="no incident 99"):
        store.append(99, EntryKind.NOTE, {"text": "x"})


def test_open_list_and_close(store: IncidentStore) -> None:
    first = store.open_incident("first", P0_POLICY).incident_id
    second = store.open_incident("second", P0_POLICY).incident_id
    assert store.open_incident_id() == second
    store.append(second, EntryKind.CLOSED, {"summary": "done"})
    assert store.open_incident_id() == first
    assert [s.title for s in store.incidents()] == ["second", "first"]
    assert [s.id for s in store.incidents(open_only=True)] == [first]
    assert store.load(second).closed_at is not None


def test_a_store_path_that_is_not_a_database_is_a_plain_error(tmp_path: Path) -> None:
    path = tmp_path / "incidents.sqlite3"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(OnDutyError, match="cannot open the incident store"):
        IncidentStore(path)


async def test_two_processes_see_each_others_entries_within_a_second(tmp_path: Path) -> None:
    path = tmp_path / "incidents.sqlite3"
    alice = await AsyncIncidentStore.open(path)
    bob = await AsyncIncidentStore.open(path)
    try:
        opened = await alice.open_incident("shared", P0_POLICY, actor="alice")
        await alice.attach_procedure(opened.incident_id, sample_procedure(), actor="alice")
        live_alice = await LiveIncident.load(alice, opened.incident_id)
        live_bob = await LiveIncident.load(bob, opened.incident_id)
        seen: list[int] = []

        async def follow() -> None:
            async for batch in live_bob.watch(interval=0.05):
                seen.extend(e.id for e in batch)

        watcher = asyncio.create_task(follow())
        done = await live_alice.append(EntryKind.STEP_DONE, {"procedure": 0, "step": "1.1"},
                                       actor="alice")
        started = time.monotonic()
        await wait_for(lambda: done.id in seen, timeout=1.0, message="bob to see alice's step")
        assert time.monotonic() - started < 1.0
        step = live_bob.incident.procedures[0].phases[0].steps[0]
        assert step.status is StepStatus.DONE and step.actor == "alice"

        note = await live_bob.append(EntryKind.NOTE, {"text": "on it"}, actor="bob")
        assert [e.id for e in await live_alice.poll()] == [note.id]
        assert live_alice.incident == live_bob.incident
        watcher.cancel()
    finally:
        await alice.close()
        await bob.close()


async def test_live_incident_folds_its_own_and_concurrent_entries_in_id_order(
    tmp_path: Path,
) -> None:
    path = tmp_path / "incidents.sqlite3"
    store = await AsyncIncidentStore.open(path)
    other = IncidentStore(path)
    try:
        opened = await store.open_incident("order", P0_POLICY)
        live = await LiveIncident.load(store, opened.incident_id)
        peer = other.append(opened.incident_id, EntryKind.NOTE, {"text": "peer first"})
        mine = await live.append(EntryKind.NOTE, {"text": "mine"})
        ids = [e.id for e in live.incident.entries]
        assert ids == [opened.id, peer.id, mine.id]
    finally:
        other.close()
        await store.close()


def test_entries_since_returns_only_newer_entries(store: IncidentStore) -> None:
    incident = store.open_incident("since", P0_POLICY).incident_id
    first = store.append(incident, EntryKind.NOTE, {"text": "1"})
    second = store.append(incident, EntryKind.NOTE, {"text": "2"})
    assert [e.id for e in store.entries_since(incident, first.id)] == [second.id]
    assert store.entries_since(incident, second.id) == []


def test_changed_reports_other_connections_commits_only(tmp_path: Path) -> None:
    path = tmp_path / "incidents.sqlite3"
    with IncidentStore(path) as mine, IncidentStore(path) as theirs:
        incident = mine.open_incident("poll", P0_POLICY).incident_id
        assert mine.changed() is False
        assert theirs.changed() is True
        assert theirs.changed() is False
        theirs.append(incident, EntryKind.NOTE, {"text": "x"})
        assert mine.changed() is True


def test_default_store_lives_in_the_platform_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    code = ("from tui.incidents.store import default_store_path; "
            "print(default_store_path())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, env={**os.environ}, timeout=30, check=True).stdout
    assert out.strip() == str(tmp_path / "xdg" / "onduty" / "incidents.sqlite3")


def test_entries_are_json_objects_on_disk(store: IncidentStore) -> None:
    incident = store.open_incident("json", P0_POLICY).incident_id
    store.append(incident, EntryKind.STATE_CHANGED, {"state": "identified"})
    raw = sqlite3.connect(store.path)
    payloads = [json.loads(row[0]) for row in raw.execute("SELECT payload FROM entries")]
    raw.close()
    assert payloads[-1] == {"state": "identified"}
