"""LogTail: several real sources, numbered and parsed lines, few batches under a flood."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import pytest

from tests.support.logs import group_pids, wait_for
from tui.logs.parse import Level, LineKind
from tui.logs.sources import CommandSource, FileSource, SourceState
from tui.logs.tail import LogBatch, LogTail


async def test_two_sources_are_labelled_numbered_and_parsed(tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    path.write_text('{"level":50,"time":1714557600000,"msg":"db down"}\n')
    batches: list[LogBatch] = []
    tail = LogTail(
        [FileSource(path, "file", poll_interval=0.01),
         CommandSource(["sh", "-c", "echo INFO hi; echo oops >&2"], "cmd", restart=False)],
        on_batch=batches.append, flush_interval=0.02,
    )
    tail.start()
    try:
        await wait_for(lambda: len(tail.buffer) >= 3)
        await wait_for(lambda: sum(len(b.lines) for b in batches) >= 3)
    finally:
        await tail.stop()
    lines = [line for batch in batches for line in batch.lines]
    assert [line.seq for line in lines] == list(range(1, len(lines) + 1))
    by_text = {line.text: line for line in lines}
    assert by_text["db down"].source == "file" and by_text["db down"].level is Level.ERROR
    assert by_text["db down"].ts == 1714557600.0
    assert by_text["INFO hi"].source == "cmd" and by_text["INFO hi"].level is Level.INFO
    assert by_text["oops"].kind is LineKind.STDERR
    last = batches[-1]
    states = {report.name: report.status.state for report in last.sources}
    assert states == {"file": SourceState.STOPPED, "cmd": SourceState.STOPPED}
    assert {report.kind for report in last.sources} == {"file", "command"}
    reports = {report.name: report for report in batches[-1].sources}
    assert reports["file"].total_errors == 1 and reports["cmd"].total_lines == 2


async def test_flood_becomes_few_batches_and_the_buffer_stays_capped() -> None:
    count = 120_000
    script = (
        "import sys\n"
        f"sys.stdout.write(''.join(f'2024-05-01T10:00:00Z ERROR flood line {{i}}\\n' "
        f"for i in range({count})))\n"
    )
    batches: list[LogBatch] = []
    source = CommandSource([sys.executable, "-c", script], "flood", restart=False)
    tail = LogTail([source], on_batch=batches.append, cap=5_000, flush_interval=0.1)
    started = time.monotonic()
    tail.start()
    try:
        await wait_for(lambda: source.status.state is SourceState.ENDED, timeout=20)
        elapsed = time.monotonic() - started
    finally:
        await tail.stop()
    assert len(tail.buffer) == 5_000
    assert tail.buffer.dropped == count - 5_000
    assert tail.buffer[-1].text.endswith(f"flood line {count - 1}")
    assert tail.buffer.memory_bytes > 5_000 * 40
    assert len(batches) <= elapsed / 0.1 + 3, (len(batches), elapsed)
    delivered = sum(len(batch.lines) for batch in batches)
    skipped = sum(batch.skipped for batch in batches)
    assert delivered + skipped == count
    assert all(len(batch.lines) <= 5_000 for batch in batches)
    assert max(batch.sources[0].total_errors for batch in batches) == count


async def test_rates_are_reported_per_second() -> None:
    batches: list[LogBatch] = []
    script = (
        "import time\n"
        "end = time.monotonic() + 1.3\n"
        "while time.monotonic() < end:\n"
        "    print('ERROR tick', flush=True); time.sleep(0.01)\n"
    )
    source = CommandSource([sys.executable, "-c", script], "ticker", restart=False)
    tail = LogTail([source], on_batch=batches.append, flush_interval=0.05)
    tail.start()
    try:
        await wait_for(lambda: any(b.sources[0].lines_per_s > 0 for b in batches), timeout=5)
    finally:
        await tail.stop()
    report = next(b.sources[0] for b in batches if b.sources[0].lines_per_s > 0)
    assert 10 <= report.lines_per_s <= 120
    assert report.errors_per_s == report.lines_per_s


async def test_idle_tail_sends_status_changes_and_heartbeats_only() -> None:
    batches: list[LogBatch] = []
    source = CommandSource(["sleep", "60"], "idle", quiet_after=0.1, grace=0.5)
    tail = LogTail([source], on_batch=batches.append, flush_interval=0.02, heartbeat=10)
    tail.start()
    try:
        await wait_for(lambda: any(b.sources[0].status.state is SourceState.QUIET
                                   for b in batches))
        pgid = source.pgid
        assert pgid is not None
    finally:
        await tail.stop()
    assert all(not batch.lines for batch in batches)
    assert len(batches) <= 6  # starting/connected, quiet (per second), stopped: not 50/s
    assert group_pids(pgid) == []


async def test_a_failing_consumer_does_not_stop_the_tail(tmp_path: Path) -> None:
    path = tmp_path / "a.log"
    path.write_text("x\n")
    calls: list[LogBatch] = []

    def broken(batch: LogBatch) -> None:
        calls.append(batch)
        raise RuntimeError("widget bug")

    tail = LogTail([FileSource(path, poll_interval=0.01)], on_batch=broken, flush_interval=0.02)
    errors: list[dict[str, object]] = []
    asyncio.get_running_loop().set_exception_handler(lambda _loop, ctx: errors.append(ctx))
    tail.start()
    try:
        await wait_for(lambda: len(calls) >= 1)
        with path.open("a") as handle:
            handle.write("y\n")
        await wait_for(lambda: any(line.text == "y" for b in calls for line in b.lines))
    finally:
        await tail.stop()
    assert errors and errors[0]["message"] == "log batch consumer failed"


async def test_kill_children_is_immediate_for_every_command() -> None:
    sources = [CommandSource(["sleep", "60"], "a"), CommandSource("sleep 60 | cat", "b",
                                                                   shell=True)]
    tail = LogTail(sources, on_batch=lambda _batch: None)
    tail.start()
    await wait_for(lambda: all(s.pgid is not None and group_pids(s.pgid) for s in sources))
    groups = [s.pgid for s in sources]
    tail.kill_children()
    await wait_for(lambda: all(not group_pids(g) for g in groups if g is not None))
    await tail.stop()


def test_duplicate_source_names_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="distinct names"):
        LogTail([FileSource(tmp_path / "a", "x"), FileSource(tmp_path / "b", "x")],
                on_batch=lambda _batch: None)


def test_sources_from_config_entries(tmp_path: Path) -> None:
    from tui.config import LogSource
    from tui.logs.sources import StdinSource, source_from_config

    command = source_from_config(LogSource("api", command=("railway", "logs", "--follow")))
    assert isinstance(command, CommandSource)
    assert command.argv == ("railway", "logs", "--follow") and not command.shell
    shell = source_from_config(LogSource("pipe", command=("fly logs | grep x",), shell=True))
    assert isinstance(shell, CommandSource) and shell.shell and shell.name == "pipe"
    followed = source_from_config(LogSource("app", file=str(tmp_path / "app.log")))
    assert isinstance(followed, FileSource) and followed.path == tmp_path / "app.log"
    assert isinstance(source_from_config(LogSource("in", stdin=True)), StdinSource)


async def test_an_idle_tail_wakes_about_once_a_second_and_a_new_line_still_shows_at_once(
    tmp_path: Path,
) -> None:
    path = tmp_path / "quiet.log"
    path.write_text("")
    batches: list[LogBatch] = []
    tail = LogTail([FileSource(path, "quiet", quiet_after=600)], on_batch=batches.append)
    tail.start()
    try:
        await wait_for(lambda: tail.wakeups >= 1, timeout=5)
        started, wakeups = time.monotonic(), tail.wakeups
        await wait_for(lambda: tail.wakeups >= wakeups + 3, timeout=10)
        elapsed = time.monotonic() - started
        assert elapsed >= 2.0, f"3 wakeups in {elapsed:.2f} s: the flusher polls (was 10/s)"
        appended = time.monotonic()
        with path.open("a") as handle:
            handle.write("ERROR after a quiet spell\n")
        await wait_for(lambda: any(line.text == "ERROR after a quiet spell"
                                   for batch in batches for line in batch.lines), timeout=5)
        # The file poll (still at its fast pace here) plus one flush interval, not a second.
        assert time.monotonic() - appended < 0.2 + 0.1 + 0.4
    finally:
        await tail.stop()
