"""Following real files by name across rotation, copytruncate, deletion and regrowth."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.logs import Collector, wait_for
from tui.logs.parse import LineKind
from tui.logs.sources import FileSource, SourceState


def append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text)


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    return tmp_path / "app.log"


@pytest.fixture
async def follow(log_path: Path) -> AsyncIterator[tuple[FileSource, Collector]]:
    collector = Collector()
    source = FileSource(log_path, poll_interval=0.01, quiet_after=60)
    yield source, collector
    await source.stop()
    assert source.status.state is SourceState.STOPPED


async def test_backlog_is_the_last_lines(log_path: Path) -> None:
    log_path.write_text("".join(f"old {i}\n" for i in range(3000)))
    collector = Collector()
    source = FileSource(log_path, backlog_lines=1000, poll_interval=0.01)
    source.start(collector)
    try:
        await wait_for(lambda: len(collector.lines) >= 1000)
        assert collector.lines[0] == "old 2000" and collector.lines[-1] == "old 2999"
        append(log_path, "new line\n")
        await wait_for(lambda: collector.lines[-1] == "new line")
        assert len(collector.lines) == 1001
        assert source.status.state is SourceState.CONNECTED
    finally:
        await source.stop()


async def test_backlog_bytes_limit_drops_the_cut_first_line(log_path: Path) -> None:
    log_path.write_text("".join(f"{i:04d}\n" for i in range(1000)))  # 5 bytes a line
    collector = Collector()
    source = FileSource(log_path, backlog_bytes=52, poll_interval=0.01)
    source.start(collector)
    try:
        await wait_for(lambda: collector.lines)
        assert collector.lines == [f"{i:04d}" for i in range(990, 1000)]
    finally:
        await source.stop()


async def test_partial_line_waits_for_its_newline(
    log_path: Path, follow: tuple[FileSource, Collector]
) -> None:
    source, collector = follow
    log_path.write_text("")
    source.start(collector)
    await wait_for(lambda: source.status.state is SourceState.CONNECTED)
    append(log_path, "half")
    append(log_path, " a line\nnext")
    await wait_for(lambda: collector.lines == ["half a line"])
    append(log_path, "\n")
    await wait_for(lambda: collector.lines == ["half a line", "next"])


async def test_rename_rotation(log_path: Path, follow: tuple[FileSource, Collector]) -> None:
    source, collector = follow
    log_path.write_text("before\n")
    source.start(collector)
    await wait_for(lambda: collector.lines == ["before"])
    append(log_path, "last words of the old file\n")
    os.rename(log_path, log_path.with_suffix(".log.1"))
    log_path.write_text("first of the new file\n")
    await wait_for(lambda: "first of the new file" in collector.lines)
    assert collector.sequence() == [
        "before", "last words of the old file", "<ROTATED>", "first of the new file"]
    append(log_path, "more\n")
    await wait_for(lambda: collector.lines[-1] == "more")


async def test_rotation_with_late_creation_keeps_reading_the_renamed_file(
    log_path: Path, follow: tuple[FileSource, Collector]
) -> None:
    source, collector = follow
    log_path.write_text("")
    source.start(collector)
    await wait_for(lambda: source.status.state is SourceState.CONNECTED)
    rotated = log_path.with_suffix(".log.1")
    os.rename(log_path, rotated)
    append(rotated, "written after the rename\n")
    await wait_for(lambda: collector.lines == ["written after the rename"])
    log_path.write_text("new file\n")
    await wait_for(lambda: collector.lines[-1:] == ["new file"])
    assert len(collector.markers(LineKind.ROTATED)) == 1


async def test_copytruncate(log_path: Path, follow: tuple[FileSource, Collector]) -> None:
    source, collector = follow
    log_path.write_text("a fairly long line before rotation\n" * 3)
    source.start(collector)
    await wait_for(lambda: len(collector.lines) == 3)
    shutil.copy(log_path, log_path.with_suffix(".log.1"))
    with log_path.open("r+") as handle:
        handle.truncate(0)
    await wait_for(lambda: collector.markers(LineKind.FILE_TRUNCATED))
    append(log_path, "after truncate\n")
    await wait_for(lambda: collector.lines[-1:] == ["after truncate"])
    assert collector.sequence()[-2:] == ["<FILE_TRUNCATED>", "after truncate"]
    assert "truncated" in collector.markers()[0].text


async def test_truncated_and_regrown_past_the_old_offset(
    log_path: Path, follow: tuple[FileSource, Collector]
) -> None:
    source, collector = follow
    log_path.write_text("short old content\n")
    source.start(collector)
    await wait_for(lambda: collector.lines == ["short old content"])
    # Rewrite in place, never shorter than the old offset: only the content tells.
    with log_path.open("r+") as handle:
        handle.write("NEW content, longer than before\nand a second line\n")
    await wait_for(lambda: collector.lines[-1:] == ["and a second line"])
    assert collector.sequence() == [
        "short old content", "<FILE_TRUNCATED>", "NEW content, longer than before",
        "and a second line"]


async def test_deleted_then_recreated(log_path: Path, follow: tuple[FileSource, Collector]) -> None:
    source, collector = follow
    log_path.write_text("one\n")
    source.start(collector)
    await wait_for(lambda: collector.lines == ["one"])
    log_path.unlink()
    await wait_for(lambda: collector.markers(LineKind.DELETED))
    assert source.status.state is SourceState.WAITING
    assert "deleted" in source.status.message
    log_path.write_text("two\n")
    await wait_for(lambda: collector.lines == ["one", "two"])
    assert collector.sequence() == ["one", "<DELETED>", "<RECREATED>", "two"]
    assert source.status.state is SourceState.CONNECTED


async def test_missing_at_start_then_read_from_its_beginning(
    log_path: Path, follow: tuple[FileSource, Collector]
) -> None:
    source, collector = follow
    source.start(collector)
    await wait_for(lambda: source.status.state is SourceState.WAITING)
    assert str(log_path) in source.status.message
    log_path.write_text("".join(f"l{i}\n" for i in range(5)))
    await wait_for(lambda: len(collector.lines) == 5)
    assert collector.lines[0] == "l0" and not collector.markers()


async def test_unreadable_path_fails_visibly(tmp_path: Path) -> None:
    source = FileSource(tmp_path, poll_interval=0.01)
    source.start(Collector())
    try:
        await wait_for(lambda: source.status.state is SourceState.FAILED)
        assert "directory" in source.status.message
    finally:
        await source.stop()


async def test_quiet_status(log_path: Path) -> None:
    log_path.write_text("x\n")
    source = FileSource(log_path, poll_interval=0.01, quiet_after=0.1)
    source.start(Collector())
    try:
        await wait_for(lambda: source.status.state is SourceState.QUIET)
        assert source.status.message.startswith("quiet for ")
    finally:
        await source.stop()


async def test_huge_line_in_a_file_is_truncated(
    log_path: Path, follow: tuple[FileSource, Collector]
) -> None:
    source, collector = follow
    log_path.write_text("")
    source.start(collector)
    await wait_for(lambda: source.status.state is SourceState.CONNECTED)
    with log_path.open("ab") as handle:
        handle.write(b"\x1b]52;c;" + b"A" * (10 * 1024 * 1024) + b"\x07\nafter\n")
    await wait_for(lambda: collector.lines[-1:] == ["after"], timeout=10)
    first = collector.lines[0]
    assert first.startswith("␛]52;c;AAAA") and first.endswith("… [truncated 10.0 MB]")
    assert len(first) < 70_000


async def test_a_quiet_file_is_polled_less_and_data_brings_the_fast_pace_back(
    log_path: Path,
) -> None:
    log_path.write_text("")
    collector = Collector()
    source = FileSource(log_path, poll_interval=0.02, max_poll_interval=0.3, backoff_after=0.1)
    source.start(collector)
    try:
        # Quiet long enough to have backed off to the slowest pace (0.02 doubling to 0.3).
        await wait_for(lambda: source.polls >= 8, timeout=10)
        started, polls = time.monotonic(), source.polls
        await wait_for(lambda: source.polls >= polls + 3, timeout=10)
        assert time.monotonic() - started >= 3 * 0.3 * 0.8  # not 5 polls a second
        appended = time.monotonic()
        append(log_path, "late line\n")
        await wait_for(lambda: collector.lines == ["late line"], timeout=5)
        assert time.monotonic() - appended < 0.3 + 0.5  # shown within the slowest pace
        started, polls = time.monotonic(), source.polls
        await wait_for(lambda: source.polls >= polls + 3, timeout=10)
        assert time.monotonic() - started < 3 * 0.3 * 0.8  # fast again after data
    finally:
        await source.stop()
