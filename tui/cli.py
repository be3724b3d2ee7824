"""`onduty` and its subcommands.

Only the standard library is imported at module level so that `onduty --help` and
`onduty check` answer fast on a loaded bastion; engines and Textual load on demand.
Every error the user can fix is one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from tui import __version__
from tui.errors import OnDutyError

if TYPE_CHECKING:
    from tui.config import Config

USAGE_ERROR = 2
# Subcommands that parse their own arguments (and print their own --help).
_PASS_THROUGH = ("secret", "incident", "runbook")


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: `onduty: error: ... (try --help)`, exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(USAGE_ERROR, f"{self.prog}: error: {message} (try `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    """The whole command line, shared by main() and the tests."""
    parser = _Parser(
        prog="onduty",
        description="The on-call console: health, logs, slow queries and the incident "
        "checklist in one terminal window. Without a subcommand, opens the console on "
        "the configured environments.",
    )
    parser.add_argument("--version", action="version", version=f"onduty {__version__}")
    parser.add_argument(
        "--config", metavar="FILE", help="config file (default: $ONDUTY_CONFIG or the "
        "platform config dir, e.g. ~/.config/onduty/config.toml)"
    )
    parser.add_argument("--env", metavar="NAME", help="environment to show first")
    parser.add_argument(
        "--read-only", action="store_true", help="hide every action that could change a system"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    demo = sub.add_parser(
        "demo",
        help="open the console on a built-in sandbox",
        description="Start a local sandbox (an HTTP service with the seed runbooks' health "
        "endpoints that degrades and recovers, an Express-style log stream, and a throwaway "
        "PostgreSQL cluster with a workload) and open the console on it. Everything it "
        "starts is stopped and removed on exit.",
    )
    demo.add_argument("--no-db", action="store_true", help="do not start PostgreSQL")

    check = sub.add_parser(
        "check",
        help="probe health endpoints once, no TUI (Nagios exit codes)",
        description="Probe the configured health endpoints (or the URLs given) once and "
        "print a table or JSON. Exit 0 ok, 1 warning, 2 critical, 3 unknown: the worst "
        "verdict decides, for cron and scripts.",
    )
    check.add_argument("--env", dest="check_env", metavar="NAME", help="only this environment")
    check.add_argument("--json", action="store_true", help="print JSON instead of a table")
    check.add_argument("urls", nargs="*", metavar="URL", help="probe these URLs, no config")

    # These parse their own arguments (and print their own --help) in their modules.
    _pass_through(sub, "secret", "store, test and remove credentials in the OS keyring",
                  "Manage credentials in the OS keyring (service name 'onduty'): "
                  "set ENV/NAME, get ENV/NAME [--reveal], list, rm ENV/NAME, backend.")
    _pass_through(sub, "runbook", "read Markdown runbooks as procedures",
                  "Import Markdown runbooks: `lint FILE|DIR` prints what was understood, "
                  "`show FILE [PROCEDURE]` prints a procedure as a checklist.")
    _pass_through(sub, "logs", "the log pane full screen on files, stdin or a command (no config)",
                  "Follow FILE..., standard input (-) or `-- COMMAND ARGS` full screen, like "
                  "tail -F or less +F, with filters, presets and stats. `onduty logs --help` "
                  "lists its options.",
                  prefix_chars="\0")  # every argument, `--` included, goes to `onduty logs`
    _pass_through(sub, "incident", "list, show, export or resume incidents",
                  "Incidents recorded by onduty: list, show ID, export ID [--output FILE] "
                  "(post-mortem Markdown), resume ID.")

    init = sub.add_parser(
        "init",
        help="draft a config from your runbook",
        description="Read a Markdown runbook and draft an onduty config from it: the health "
        "URLs it curls, its log commands, its environments and its alert thresholds, each "
        "marked REVIEW with the runbook line it came from. Prints the draft, or writes it "
        "to --output (never over an existing file without --force).",
    )
    init.add_argument("--from-runbook", metavar="FILE", required=True, type=Path,
                      help="the runbook to read (Markdown)")
    init.add_argument("--output", "-o", metavar="PATH", type=Path,
                      help="write the draft here instead of printing it")
    init.add_argument("--force", action="store_true", help="replace an existing --output file")

    sub.add_parser(
        "doctor",
        help="say what onduty found on this machine",
        description="Print the config path and whether it is valid, the keyring backend, "
        "the terminal's size and colour support, and whether each environment's database "
        "is reachable.",
    )
    return parser


def _pass_through(sub: argparse._SubParsersAction[argparse.ArgumentParser], name: str,
                  summary: str, description: str, *, prefix_chars: str = "-") -> None:
    """A subcommand whose remaining arguments go, unparsed, to its own module."""
    parser = sub.add_parser(name, help=summary, description=description, add_help=False,
                            prefix_chars=prefix_chars)
    parser.add_argument("args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `onduty` console script."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args, extra = parser.parse_known_args(args_list)
    if args.command in _PASS_THROUGH:
        args.args = [*extra, *args.args]
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        return _dispatch(args)
    except OnDutyError as exc:
        print(f"onduty: {exc}", file=sys.stderr)
        return USAGE_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `onduty check | head`: the reader left; say nothing more.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - replaces the closed stream
        return 0


def _dispatch(args: argparse.Namespace) -> int:
    command = args.command
    if command == "secret":
        from tui.secret_cli import run_secret

        return run_secret(list(args.args))
    if command == "incident":
        from tui.incidents.cli import run_incident

        return run_incident(list(args.args), store_path=_load(args).incident_store)
    if command == "init":
        from tui.init import run_init

        return run_init(args.from_runbook, args.output, force=args.force)
    if command == "doctor":
        from tui.doctor import run_doctor

        return run_doctor(_config_path(args))
    if command == "check":
        return _check(args)
    if command == "demo":
        return _demo(args)
    if command == "logs":
        from tui.logs.cli import run_logs

        return run_logs(list(args.args))
    if command == "runbook":
        from tui.runbooks.cli import run_runbook

        return run_runbook(list(args.args))
    return _console(args)


def _config_path(args: argparse.Namespace) -> Path:
    from tui.paths import config_path

    return config_path(args.config)


def _load(args: argparse.Namespace) -> Config:
    from tui.config import load_config

    return load_config(_config_path(args))


def _check(args: argparse.Namespace) -> int:
    import asyncio

    # httpx imports its own command line (click, rich, pygments: ~40 ms) unless that
    # module is marked absent; a one-shot check never uses it.
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
    from tui.config import Config
    from tui.health.check import run_check

    config = Config() if args.urls else _load(args)

    async def token(name: str) -> str | None:
        from tui.secrets import SecretStore  # only when an endpoint needs a credential

        return (await SecretStore().get(name)).value

    return asyncio.run(
        run_check(config, env=args.check_env, urls=list(args.urls), as_json=args.json,
                  out=sys.stdout, resolve_token=token)
    )


def _require_terminal() -> None:
    """A dumb or unknown terminal cannot draw the console: say what works instead."""
    term = os.environ.get("TERM", "")
    if term in ("", "dumb"):
        raise OnDutyError(
            f"TERM={term or '(unset)'} cannot show the full-screen console; use `onduty check` "
            "for plain output, or run from a terminal such as xterm, tmux or screen"
        )


def _console(args: argparse.Namespace) -> int:
    config = _load(args)
    if not config.environments:
        where = config.path or "the config file"
        print(
            f"onduty: no environments configured in {where}. Try `onduty demo`, or see "
            "README.md (Configuration) for a config to start from.",
            file=sys.stderr,
        )
        return USAGE_ERROR
    if args.env:
        config.environment(args.env)
    _require_terminal()
    from tui.app import run_console

    return run_console(config, environment=args.env, read_only=args.read_only)


def _demo(args: argparse.Namespace) -> int:
    from tui.app import run_console
    from tui.demo.launcher import start_sandbox

    _require_terminal()

    print("onduty demo: starting the sandbox (HTTP service, log stream, PostgreSQL)...",
          file=sys.stderr)
    sandbox = start_sandbox(with_db=not args.no_db)
    try:
        return run_console(sandbox.config(), environment="production", read_only=args.read_only,
                           demo=sandbox)
    finally:
        sandbox.stop()


if __name__ == "__main__":
    sys.exit(main())
