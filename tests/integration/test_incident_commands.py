"""Running step commands for real: injection (FAULTS 40), confirmation (41), time limits."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest

from tests.support.incidents import argv_printer, pid_alive, wait_for
from tui.errors import OnDutyError
from tui.incidents.commands import CommandRunner, prepare_command

HOSTILE = [
    "x'; curl e|sh #",
    "$(id)",
    "`id`",
    "a\nb",
    "$'\\x41'",
    "-rf",
    "--help",
    '"; touch pwned; "',
    "${HOME}",
    "*",
    "",
]


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{script} [VALUE]", "{value}"),
        ("{script} --x=[VALUE]", "--x={value}"),
        ('{script} "quoted [VALUE]"', "quoted {value}"),
        ("{script} [VALUE] | cat", "{value}"),
        ('{script} "quoted [VALUE]" | cat', "quoted {value}"),
        ("{script} 'single [VALUE]' && true", "single {value}"),
    ],
    ids=["direct", "direct-in-word", "direct-quoted", "shell", "shell-double-quoted",
         "shell-single-quoted"],
)
async def test_each_value_arrives_as_exactly_one_literal_argv_element(
    tmp_path: Path, template: str, expected: str, value: str
) -> None:
    script = argv_printer(tmp_path)
    prepared = prepare_command(template.format(script=script), {"VALUE": value})
    result = await CommandRunner(timeout_s=10).run(prepared, cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == [expected.format(value=value)]
    assert not (tmp_path / "pwned").exists()


async def test_destructive_commands_need_the_target_typed(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    prepared = prepare_command(
        f"{sys.executable} -c 'import pathlib,sys; pathlib.Path(sys.argv[1]).touch()' [FILE]",
        {"FILE": str(marker)}, destructive=True, target="payments-db",
    )
    runner = CommandRunner(timeout_s=10)
    for typed in ("", "\n", "y", "payments"):
        with pytest.raises(OnDutyError, match="type payments-db"):
            await runner.run(prepared, typed=typed)
    assert not marker.exists()
    result = await runner.run(prepared, typed="payments-db")
    assert result.ok and marker.exists()


async def test_missing_variables_refuse_to_run() -> None:
    prepared = prepare_command("railway rollback [DEPLOYMENT_ID]", {},
                               variables=("DEPLOYMENT_ID",))
    with pytest.raises(OnDutyError, match=r"fill in \[DEPLOYMENT_ID\]"):
        await CommandRunner().run(prepared)


async def test_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    prepared = prepare_command(
        f"sh -c 'sleep 60 & echo $! > {pids}; echo started; wait'", {}
    )
    runner = CommandRunner(timeout_s=0.5)
    result = await runner.run(prepared)
    assert result.timed_out and not result.ok
    assert result.exit_code is not None and result.exit_code < 0
    assert "started" in result.output
    child = int(pids.read_text())
    await wait_for(lambda: not pid_alive(child), timeout=5, message="background child to die")


async def test_leftover_background_children_die_when_the_command_ends(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    prepared = prepare_command(f"sh -c 'sleep 60 > /dev/null 2>&1 & echo $! > {pids}'", {})
    result = await CommandRunner(timeout_s=10).run(prepared)
    assert result.ok and not result.timed_out
    child = int(pids.read_text())
    await wait_for(lambda: not pid_alive(child), timeout=5, message="orphan to be killed")


async def test_output_is_capped_redacted_and_sanitised(tmp_path: Path) -> None:
    code = (
        "import sys; print('postgres://app:hunter2secret@db.internal/app'); "
        "print('\\x1b]52;c;ZXZpbA==\\x07 bell'); sys.stdout.write('x' * 100000)"
    )
    prepared = prepare_command(f"{sys.executable} -c [CODE]", {"CODE": code})
    result = await CommandRunner(timeout_s=10, max_output=4096).run(prepared)
    assert result.exit_code == 0
    assert result.truncated
    assert "hunter2secret" not in result.output and "«redacted»" in result.output
    assert "\x1b" not in result.output and "␛]52" in result.output
    assert len(result.output) <= 4096 + 200
    payload = result.payload(procedure=0, step="1.2")
    assert payload["exit_code"] == 0 and payload["step"] == "1.2"


async def test_a_program_that_does_not_exist_is_a_result_not_a_crash() -> None:
    prepared = prepare_command("definitely-not-a-command-onduty --x", {})
    result = await CommandRunner().run(prepared)
    assert result.exit_code is None and "could not start" in result.output


async def test_kill_all_stops_running_commands() -> None:
    runner = CommandRunner(timeout_s=30)
    prepared = prepare_command("sleep 30", {})
    task = asyncio.create_task(runner.run(prepared))
    await wait_for(lambda: bool(runner.process_groups), message="command to start")
    pgid = next(iter(runner.process_groups))
    runner.kill_all()
    result = await asyncio.wait_for(task, 10)
    assert result.exit_code == -9
    await wait_for(lambda: not pid_alive(pgid), message="group leader to go")
    assert os.getpgid(os.getpid()) != pgid
