"""``onduty secret``: store, check, list and remove credentials from the command line.

Values never come from argv (shell history, ``ps``): ``set`` prompts without echo on a
terminal, or reads one line from standard input. ``get`` only says whether a secret is
set unless ``--reveal`` is given. Exit codes: 0 ok, 1 not found, 2 usage or unavailable.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from collections.abc import Awaitable, Callable
from typing import NoReturn, TypeVar

from tui.redact import redact
from tui.secrets import (
    SecretError,
    SecretLocked,
    SecretNotFound,
    SecretStore,
    SecretUnavailable,
    headless_fixes,
)

PROG = "onduty secret"
_T = TypeVar("_T")


class _UsageError(Exception):
    """argparse found a usage problem; reported as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _UsageError(f"{message} (see `{self.prog} --help`)")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Credentials in the OS keyring (service 'onduty', user ENV/NAME).",
        epilog="Exit codes: 0 ok, 1 not found, 2 usage error or keyring unavailable/locked.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    put = commands.add_parser(
        "set", help="store a secret (prompted without echo, or one line from stdin)"
    )
    put.add_argument("name", metavar="ENV/NAME")
    show = commands.add_parser("get", help="say whether a secret is set (value only with --reveal)")
    show.add_argument("name", metavar="ENV/NAME")
    show.add_argument("--reveal", action="store_true", help="print the value itself")
    commands.add_parser("list", help="list secret names (never values)")
    remove = commands.add_parser("rm", help="remove a secret")
    remove.add_argument("name", metavar="ENV/NAME")
    commands.add_parser(
        "backend", help="show the keyring backend, and the fixes when none is usable"
    )
    return parser


def run_secret(argv: list[str], *, store: SecretStore | None = None) -> int:
    """Run ``onduty secret ARGV``; return the exit code. Errors are one line on stderr."""
    try:
        args = _parser().parse_args(argv)
    except _UsageError as exc:
        _fail(str(exc))
        return 2
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 0
    store = store or SecretStore()
    try:
        return asyncio.run(_dispatch(args, store))
    except SecretNotFound as exc:
        _fail(str(exc))
        return 1
    except SecretError as exc:
        _fail(str(exc))
        return 2
    except (KeyboardInterrupt, EOFError):
        _fail("cancelled")
        return 2


async def _dispatch(args: argparse.Namespace, store: SecretStore) -> int:
    if args.command == "set":
        info = await store.backend_info()
        if info.headless:
            raise SecretUnavailable(
                f"no keyring can store {args.name} here ({info.name}); "
                f"run `{PROG} backend` for the fixes"
            )
        if info.locked:
            await store.unlock(_ask_passphrase(new=info.new_file, where=info.description))
        value = _read_value(args.name)
        result = await _unlocking(store, lambda: store.set(args.name, value))
        print(f"stored {args.name}")
        if result.warning:
            print(f"warning: {result.warning}", file=sys.stderr)
        return 0
    if args.command == "get":
        secret = await _unlocking(store, lambda: store.get(args.name))
        if args.reveal:
            print(secret.value)
        else:
            where = "keyring" if secret.source == "keyring" else secret.source
            print(f"{args.name}: set (from {where})")
        return 0
    if args.command == "list":
        for name in await store.names():
            print(name)
        return 0
    if args.command == "rm":
        await _unlocking(store, lambda: store.delete(args.name))
        print(f"removed {args.name}")
        return 0
    return await _backend(store)


async def _backend(store: SecretStore) -> int:
    info = await store.backend_info()
    priority = "n/a" if info.priority is None else f"{info.priority:g}"
    print(f"backend:  {info.name}")
    print(f"kind:     {info.kind}")
    print(f"priority: {priority}")
    print(f"about:    {info.description}")
    if info.locked:
        state = "no file yet (first use asks for a new passphrase)" if info.new_file else "locked"
        print(f"state:    {state}; onduty asks for the passphrase once per session")
    if info.secure:
        return 0
    print()
    print(headless_fixes(info))
    return 2


async def _unlocking(store: SecretStore, operation: Callable[[], Awaitable[_T]]) -> _T:
    """Run ``operation``; if onduty's encrypted file is locked, ask its passphrase, retry."""
    try:
        return await operation()
    except SecretLocked:
        info = await store.backend_info()
        if not info.locked:
            raise
        await store.unlock(_ask_passphrase(new=info.new_file, where=info.description))
        return await operation()


def _ask_passphrase(*, new: bool, where: str) -> str:
    if not _has_terminal():
        raise SecretLocked(
            f"{where} is locked and there is no terminal to ask for its passphrase; "
            "for automation use ONDUTY_SECRET_<ENV>_<NAME> environment variables"
        )
    if not new:
        return getpass.getpass("Passphrase for onduty's encrypted secrets: ")
    first = getpass.getpass("New passphrase for onduty's encrypted secrets: ")
    if not first:
        raise SecretLocked("an empty passphrase is not allowed")
    if getpass.getpass("Repeat the passphrase: ") != first:
        raise SecretLocked("the passphrases differ; nothing was changed")
    return first


def _has_terminal() -> bool:
    try:
        fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError:
        return sys.stdin.isatty()
    os.close(fd)
    return True


def _read_value(name: str) -> str:
    """The value to store: prompted without echo on a terminal, else one stdin line."""
    if sys.stdin.isatty():
        value = getpass.getpass(f"Value for {name} (input hidden): ")
    else:
        value = sys.stdin.readline().rstrip("\r\n")
    if not value:
        raise SecretError(f"no value given for {name}; nothing was stored")
    return value


def _fail(message: str) -> None:
    print(f"{PROG}: {redact(message).replace(chr(10), ' ')}", file=sys.stderr)
