"""`onduty logs`: the log pane full screen on files, standard input or a command, with no
config at all, like ``tail -F``, ``less +F`` or ``tl``.

    onduty logs /var/log/app.log other.log
    kubectl logs -f deploy/api | onduty logs -
    onduty logs -- railway logs --follow

Standard input is read from a duplicate of fd 0, and fd 0 is reopened on the terminal
(``/dev/tty``) before the UI starts, because Textual reads its keys from fd 0. Only the
standard library is imported at module level; the UI loads when it is needed.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from tui.config import Config, Environment, LogSource
from tui.errors import OnDutyError
from tui.logs.filters import LogFilter
from tui.logs.parse import Level

USAGE = """onduty logs [options] FILE...
       COMMAND | onduty logs [options] -
       onduty logs [options] -- COMMAND [ARGS...]"""
LEVEL_NAMES = ("trace", "debug", "info", "warn", "error", "fatal")


class LogsUsageError(OnDutyError):
    """The command line of `onduty logs` is wrong; the message says how."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise LogsUsageError(f"logs: {message} (try `onduty logs --help`)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="onduty logs",
        usage=USAGE,
        description="Open the log pane full screen on files (followed by name across "
        "rotation, truncation and deletion), standard input (-) or a command (after --; "
        "run without a shell, in its own process group, restarted with backoff when it "
        "ends). Keys: / filter, l level, f preset, space pause, G follow, ? every key.",
    )
    parser.add_argument("sources", nargs="*", metavar="FILE",
                        help="files to follow; - for standard input")
    parser.add_argument("--filter", metavar="REGEX", help="open with this filter")
    parser.add_argument("--preset", choices=("errors", "auth", "database", "slow"),
                        help="open with a preset filter from the runbooks")
    parser.add_argument("--slow-ms", type=float, metavar="MS",
                        help="threshold of the slow preset (default 1000)")
    parser.add_argument("--level", choices=LEVEL_NAMES, help="open with a minimum level")
    parser.add_argument("--lines", type=int, default=100_000, metavar="N",
                        help="lines held in memory (default 100000); older ones drop")
    parser.add_argument("--shell", action="store_true",
                        help="run the command after -- with /bin/sh -c (pipes, globs)")
    parser.add_argument("--once", action="store_true",
                        help="do not restart the command when it ends")
    return parser


def split_command(argv: Sequence[str]) -> tuple[list[str], list[str]]:
    """Options and sources before ``--``, the command after it."""
    args = list(argv)
    if "--" in args:
        at = args.index("--")
        return args[:at], args[at + 1 :]
    return args, []


def _names(paths: Sequence[str]) -> list[str]:
    """Labels for the files: base names, made distinct with their parent when needed."""
    names = [Path(p).name or p for p in paths]
    out = []
    for path, name in zip(paths, names, strict=True):
        if names.count(name) > 1:
            name = str(Path(path).parent.name + "/" + name).lstrip("/")
        out.append(name)
    seen: dict[str, int] = {}
    final = []
    for name in out:
        seen[name] = seen.get(name, 0) + 1
        final.append(name if seen[name] == 1 else f"{name}#{seen[name]}")
    return final


def build_config(args: argparse.Namespace, command: Sequence[str]) -> Config:
    """A built-in config with one environment whose log sources are the ones given."""
    sources: list[LogSource] = []
    files = [s for s in args.sources if s != "-"]
    if args.sources.count("-") > 1:
        raise LogsUsageError("logs: standard input (-) can be given once")
    for path, name in zip(files, _names(files), strict=True):
        sources.append(LogSource(name, file=str(Path(path).expanduser())))
    if "-" in args.sources:
        sources.append(LogSource("stdin", stdin=True))
    if command:
        if args.shell:
            sources.append(LogSource("sh", command=(" ".join(command),), shell=True))
        else:
            sources.append(LogSource(os.path.basename(command[0]) or "command",
                                     command=tuple(command)))
    if not sources:
        raise LogsUsageError("logs: give FILE..., - (standard input) or -- COMMAND\n"
                             f"usage: {USAGE}")
    if args.shell and not command:
        raise LogsUsageError("logs: --shell needs a command after --")
    return Config(environments=(Environment("logs", logs=tuple(sources)),))


def initial_filter(args: argparse.Namespace) -> LogFilter | None:
    """The filter the pane opens with, or None."""
    level = Level[args.level.upper()] if args.level else None
    if args.preset:
        changes: dict[str, Level | float | None] = {"min_level": level}
        if args.slow_ms is not None:
            changes["slow_ms"] = args.slow_ms
        chosen = LogFilter.preset(args.preset, **changes)
        return chosen.replace(pattern=args.filter, preset_name=None) if args.filter else chosen
    if args.filter or level is not None or args.slow_ms is not None:
        return LogFilter(pattern=args.filter or "", min_level=level, slow_ms=args.slow_ms)
    return None


def take_stdin() -> int:
    """Keep the piped input on a new fd and put the terminal back on fd 0 for the UI."""
    if os.isatty(0):
        raise LogsUsageError("logs: standard input is the terminal; pipe something in "
                             "(`kubectl logs -f POD | onduty logs -`)")
    piped = os.dup(0)
    try:
        tty = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError as exc:
        os.close(piped)
        raise LogsUsageError(f"logs: no terminal to show the pane on (/dev/tty: "
                             f"{exc.strerror or exc})") from None
    os.dup2(tty, 0)
    os.close(tty)
    return piped


def run_logs(argv: Sequence[str]) -> int:
    """Entry point of `onduty logs`; returns the exit status."""
    before, command = split_command(argv)
    args = build_parser().parse_args(before)
    if args.lines < 1000:
        raise LogsUsageError("logs: --lines must be at least 1000")
    config = build_config(args, command)
    if not sys.stdout.isatty():
        raise LogsUsageError("logs: standard output is not a terminal; for a pipeline use "
                             "grep (onduty logs is a full-screen view)")
    stdin_fd = take_stdin() if "-" in args.sources else 0
    from tui.app import run_console
    from tui.hub.logs import LogsOptions, set_options

    set_options(LogsOptions(stdin_fd=stdin_fd, cap=args.lines, restart=not args.once,
                            initial_filter=initial_filter(args)))
    try:
        return run_console(config, initial_mode="logs")
    finally:
        if stdin_fd:
            os.close(stdin_fd)
