"""Real subprocesses: exit and restart, replay suppression, hangs, floods, process groups."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.support.logs import Collector, group_pids, is_running, wait_for
from tui.logs.parse import LineKind
from tui.logs.sources import CommandSource, SourceState

FAST = {"backoff": (0.05, 0.2), "grace": 0.5}


async def test_stdout_and_stderr_are_read_and_stderr_is_flagged() -> None:
    collector = Collector()
    source = CommandSource(["sh", "-c", "echo out; echo err >&2; printf tail"], restart=False)
    source.start(collector)
    await source.wait()
    assert sorted(collector.lines) == ["err", "out", "tail"]
    assert collector.stderr_lines == ["err"]
    assert source.status.state is SourceState.ENDED
    assert source.status.message == "ended (exit 0)"
    assert source.name == "sh"


async def test_no_shell_unless_asked(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    collector = Collector()
    argument = f"x; touch {marker}; $(id) `id`"
    source = CommandSource(["printf", "%s\\n", argument], restart=False)
    source.start(collector)
    await source.wait()
    assert collector.lines == [argument]
    assert not marker.exists()
    shell = CommandSource("echo $((6 * 7))", shell=True, restart=False)
    shell_out = Collector()
    shell.start(shell_out)
    await shell.wait()
    assert shell_out.lines == ["42"]


async def test_exit_restart_with_gap_marker_and_replay_hidden(tmp_path: Path) -> None:
    """Each run replays everything printed before (like `railway logs`) then one new line."""
    state = tmp_path / "runs"
    script = (
        "import sys, pathlib\n"
        f"p = pathlib.Path({str(state)!r})\n"
        "n = int(p.read_text()) + 1 if p.exists() else 1\n"
        "p.write_text(str(n))\n"
        "for i in range(1, n + 1):\n"
        "    print(f'2024-05-01T10:00:0{i}Z INFO event {i}', flush=True)\n"
        "sys.exit(3)\n"
    )
    collector = Collector()
    source = CommandSource([sys.executable, "-c", script], name="railway", **FAST)
    source.start(collector)
    try:
        await wait_for(lambda: source.runs >= 3 and len(collector.lines) >= 3)
        await wait_for(lambda: source.status.state is SourceState.RESTARTING)
        assert "exit 3" in source.status.message and "restarting in" in source.status.message
    finally:
        await source.stop()
    events = [line for line in collector.lines if "event" in line]
    assert events[:3] == [f"2024-05-01T10:00:0{i}Z INFO event {i}" for i in (1, 2, 3)]
    assert len(events) == len(set(events)), "replayed lines were shown twice"
    sequence = collector.sequence()
    assert sequence[:6] == [
        "2024-05-01T10:00:01Z INFO event 1", "<GAP>", "<REPLAY>",
        "2024-05-01T10:00:02Z INFO event 2", "<GAP>", "<REPLAY>",
    ]
    gap = collector.markers(LineKind.GAP)[0].text
    assert "railway exit 3" in gap and "restarted" in gap
    assert "1 lines replayed by railway hidden" in collector.markers(LineKind.REPLAY)[0].text
    assert source.replays_hidden >= 3


async def test_backoff_grows_and_is_capped() -> None:
    collector = Collector()
    source = CommandSource(["true"], backoff=(0.05, 0.2))
    source.start(collector)
    try:
        await wait_for(lambda: len(collector.markers(LineKind.GAP)) >= 4, timeout=5)
    finally:
        await source.stop()
    gaps = [float(m.text.split("gap of ")[1].split(" s")[0])
            for m in collector.markers(LineKind.GAP)][:4]
    assert gaps[0] <= gaps[1] < gaps[2], gaps  # 0.05, 0.1, 0.2 (shown to 0.1 s)
    assert gaps[3] < 0.35, gaps  # capped at 0.2


async def test_never_connected_is_its_own_status() -> None:
    source = CommandSource(["onduty-no-such-command-xyz", "logs"], **FAST)
    source.start(Collector())
    try:
        await wait_for(lambda: source.status.state is SourceState.NEVER_CONNECTED)
        assert source.status.message.startswith("command not found: onduty-no-such-command-xyz")
        assert source.runs == 0
    finally:
        await source.stop()
    once = CommandSource(["onduty-no-such-command-xyz"], restart=False)
    once.start(Collector())
    await once.wait()
    assert once.status == once.status.__class__(SourceState.NEVER_CONNECTED,
                                                 "command not found: onduty-no-such-command-xyz")


async def test_hanging_command_goes_quiet_and_is_killed_on_stop() -> None:
    collector = Collector()
    source = CommandSource(["sh", "-c", "echo hello; exec sleep 60"], quiet_after=0.2, **FAST)
    source.start(collector)
    await wait_for(lambda: collector.lines == ["hello"])
    assert source.status.state is SourceState.CONNECTED
    await wait_for(lambda: source.status.state is SourceState.QUIET)
    assert source.status.message.startswith("quiet for ")
    pgid = source.pgid
    assert pgid is not None and group_pids(pgid)
    await source.stop()
    assert not is_running(pgid)
    assert group_pids(pgid) == []


async def test_pipeline_children_all_die_on_stop() -> None:
    collector = Collector()
    source = CommandSource("yes | grep --line-buffered y | cat", shell=True, **FAST)
    source.start(collector)
    await wait_for(lambda: len(collector.lines) > 100)
    pgid = source.pgid
    assert pgid is not None
    await wait_for(lambda: len(group_pids(pgid)) >= 4)  # sh, yes, grep, cat
    members = group_pids(pgid)
    await source.stop()
    for pid in members:
        assert not is_running(pid), f"{pid} survived"
    assert group_pids(pgid) == []
    assert source.pgid is None


async def test_term_ignoring_child_is_killed_after_grace(tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    script = f"trap '' TERM; touch {ready}; while :; do sleep 0.05; done"
    source = CommandSource(["sh", "-c", script], grace=0.2)
    source.start(Collector())
    await wait_for(ready.exists)
    pgid = source.pgid
    assert pgid is not None
    await source.stop()
    assert group_pids(pgid) == []


async def test_leftover_background_child_is_killed_when_the_command_exits(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    source = CommandSource(["sh", "-c", f"sleep 60 & echo $! > {pid_file}; echo done"],
                           restart=False, grace=0.5)
    collector = Collector()
    source.start(collector)
    await source.wait()
    child = int(pid_file.read_text())
    assert collector.lines == ["done"]
    assert not is_running(child)


async def test_kill_now_is_synchronous() -> None:
    source = CommandSource(["sleep", "60"], **FAST)
    source.start(Collector())
    await wait_for(lambda: source.pgid is not None and group_pids(source.pgid))
    pgid = source.pgid
    assert pgid is not None
    source.kill_now()
    await wait_for(lambda: not group_pids(pgid))
    await source.stop()


async def test_flood_of_escapes_on_stderr_is_sanitised() -> None:
    collector = Collector()
    payload = r"printf 'a\033]52;c;eA==\007b\n\033[2Jc\n\302\233x\n\033[3' >&2"
    source = CommandSource(payload, shell=True, restart=False)
    source.start(collector)
    await source.wait()
    assert collector.stderr_lines == ["a␛]52;c;eA==␇b", "␛[2Jc", "⟨U+009B⟩x", "␛[3"]


async def test_child_stdin_is_not_the_terminal() -> None:
    collector = Collector()
    source = CommandSource(["sh", "-c", "read x || echo no-stdin"], restart=False)
    source.start(collector)
    await source.wait()
    assert collector.lines == ["no-stdin"]
