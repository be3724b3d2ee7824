"""A step's command, prepared and run safely.

Variables (environment, app name, service id, deployment id) never become shell text.
A simple command (words and quotes) is split with shlex first and each ``[PLACEHOLDER]``
is replaced inside its own argv element, so a value is always exactly one literal
argument whatever it contains (``x'; curl e|sh #``, ``$(id)``, backticks, newlines, a
leading ``-``). A command that needs the shell (a pipe, ``$VAR``, redirection) runs as
``sh -c SCRIPT onduty V1 V2`` where SCRIPT refers to the values only as quoted positional
parameters ``"${1}"``: the shell expands them as data and never parses them.

Destructive commands run only when the target's name was typed (:func:`confirm`; Enter
alone never confirms). Every run has a time limit, lives in its own process group and
is killed as a group; output is capped, redacted and sanitised before anyone sees it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shlex
import signal
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tui.childenv import child_environment
from tui.errors import OnDutyError
from tui.redact import redact
from tui.sanitize import decode, sanitize

DEFAULT_TIMEOUT_S = 60.0
DEFAULT_MAX_OUTPUT = 256 * 1024
TERM_GRACE_S = 2.0
DRAIN_S = 0.5
SHELL = "/bin/sh"

_PLACEHOLDER = re.compile(r"\[([A-Za-z][A-Za-z0-9_ -]{0,63})\]")
# Characters that mean something to sh but not to shlex: their presence outside the
# placeholders sends the command through sh (quotes and backslashes shlex handles alike).
_SHELL_SYNTAX = set("|&;<>()$`*?~{}#\n")
_MARKER = re.compile("\ue000(\\d+)\ue001")


def variable_key(name: str) -> str:
    """Variable names compare without case and with ``-``/``_``/space alike."""
    return re.sub(r"[\s_-]+", "_", name.strip().lower())


def confirm(typed: str, target: str) -> bool:
    """True only when the target's exact name was typed; empty input never confirms."""
    return bool(target) and bool(typed) and typed.strip() == target


@dataclass(frozen=True)
class PreparedCommand:
    """A command ready to run: its argv, a readable preview, and what is still missing."""

    template: str
    argv: tuple[str, ...]
    display: str
    missing: tuple[str, ...] = ()
    destructive: bool = False
    target: str = ""
    uses_shell: bool = False

    @property
    def ready(self) -> bool:
        """Every placeholder has a value."""
        return not self.missing


def prepare_command(
    template: str,
    values: Mapping[str, str],
    *,
    variables: tuple[str, ...] = (),
    destructive: bool = False,
    target: str | None = None,
) -> PreparedCommand:
    """Resolve ``template`` with ``values`` (keyed by variable name) into an argv.

    Only bracketed names listed in ``variables`` or present in ``values`` are
    placeholders, so ``grep '[0-9]'`` keeps its brackets. ``target`` (what a destructive
    command must be confirmed with) defaults to the first variable's value.
    """
    known = {variable_key(v): v for v in variables}
    known.update({variable_key(k): k for k in values})
    resolved = {variable_key(k): v for k, v in values.items()}
    text = template.replace("\\\n", " ").strip()
    order: list[str] = []
    for match in _PLACEHOLDER.finditer(text):
        key = variable_key(match.group(1))
        if key in known and key not in order:
            order.append(key)
    missing = tuple(known[k] for k in order if k not in resolved)
    if target is None:
        target = next((resolved[k] for k in order if k in resolved), "")
    # Known placeholders become one-word markers (private-use characters) so that a name
    # with spaces ("[X minutes]") survives shlex and the shell check sees only the rest.
    marked = _PLACEHOLDER.sub(
        lambda m: _marker(order.index(k)) if (k := variable_key(m.group(1))) in order
        else m.group(0),
        text,
    )
    uses_shell = any(ch in _SHELL_SYNTAX for ch in _MARKER.sub(" ", marked))
    if uses_shell:
        script = _shell_script(marked)
        argv = (SHELL, "-c", script, "onduty", *(resolved.get(k, "") for k in order))
        display = _MARKER.sub(lambda m: _shown(order[int(m.group(1))], known, resolved), marked)
    else:
        argv = tuple(
            _MARKER.sub(lambda m: _value(order[int(m.group(1))], known, resolved), word)
            for word in shlex.split(marked)
        )
        display = shlex.join(argv)
    return PreparedCommand(
        template=template,
        argv=argv,
        display=sanitize(redact(display)),
        missing=missing,
        destructive=destructive,
        target=target,
        uses_shell=uses_shell,
    )


def _marker(index: int) -> str:
    return f"\ue000{index}\ue001"


def _value(key: str, known: dict[str, str], resolved: dict[str, str]) -> str:
    """The value of a placeholder, or the placeholder itself while it has none."""
    return resolved[key] if key in resolved else f"[{known[key]}]"


def _shown(key: str, known: dict[str, str], resolved: dict[str, str]) -> str:
    return shlex.quote(resolved[key]) if key in resolved else f"[{known[key]}]"


def _shell_script(marked: str) -> str:
    """``marked`` with each marker replaced by a positional parameter, quoted for its spot.

    The quoting state at the marker decides the form: ``"${1}"`` outside quotes,
    ``${1}`` inside double quotes, ``'"${1}"'`` inside single quotes. Either way the value
    is expanded once, as one word, and never parsed as shell syntax.
    """
    out: list[str] = []
    quote = ""
    i = 0
    while i < len(marked):
        ch = marked[i]
        match = _MARKER.match(marked, i)
        if match:
            ref = f"${{{int(match.group(1)) + 1}}}"
            out.append({"": f'"{ref}"', '"': ref, "'": f"'\"{ref}\"'"}[quote])
            i = match.end()
            continue
        if ch == "\\" and quote != "'" and i + 1 < len(marked):
            out.append(marked[i : i + 2])
            i += 2
            continue
        if ch in "'\"" and quote in ("", ch):
            quote = "" if quote == ch else ch
        out.append(ch)
        i += 1
    return "".join(out)


@dataclass(frozen=True)
class CommandResult:
    """What a command did, ready for the timeline: all text redacted and sanitised."""

    display: str
    exit_code: int | None
    output: str
    timed_out: bool
    truncated: bool
    started_at: float
    duration_s: float
    argv: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """Finished in time with exit status 0."""
        return self.exit_code == 0 and not self.timed_out

    def payload(self, *, procedure: int | None = None, step: str | None = None) -> dict[str, Any]:
        """The payload of a ``command`` timeline entry."""
        data: dict[str, Any] = {
            "argv": list(self.argv),
            "display": self.display,
            "exit_code": self.exit_code,
            "output": self.output,
            "timed_out": self.timed_out,
            "truncated": self.truncated,
            "duration_s": round(self.duration_s, 3),
        }
        if procedure is not None:
            data["procedure"] = procedure
        if step is not None:
            data["step"] = step
        return data


def _clean(text: str) -> str:
    return sanitize(redact(text), multiline=True)


class CommandRunner:
    """Runs prepared commands with a time limit; can kill every running group at once.

    The app calls :meth:`kill_all` from its SIGHUP/SIGTERM handler so that no command a
    responder started outlives the session.
    """

    def __init__(
        self,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        max_output: int = DEFAULT_MAX_OUTPUT,
    ) -> None:
        self.timeout_s = timeout_s
        self.max_output = max_output
        self._groups: set[int] = set()

    async def run(
        self, prepared: PreparedCommand, *, typed: str = "", cwd: Path | None = None
    ) -> CommandResult:
        """Run ``prepared``; destructive commands need ``typed`` to match the target."""
        if not prepared.ready:
            names = ", ".join(f"[{name}]" for name in prepared.missing)
            raise OnDutyError(f"fill in {names} before running this command")
        if prepared.destructive and not confirm(typed, prepared.target):
            raise OnDutyError(
                f"not run: type {prepared.target or 'the target name'} to confirm "
                "this destructive command"
            )
        started_at = time.time()
        clock = time.monotonic()
        try:
            process = await asyncio.create_subprocess_exec(
                *prepared.argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
                cwd=cwd,
                env=child_environment(),
            )
        except OSError as exc:
            return CommandResult(
                display=prepared.display,
                exit_code=None,
                output=_clean(f"could not start {prepared.argv[0]}: {exc.strerror or exc}"),
                timed_out=False,
                truncated=False,
                started_at=started_at,
                duration_s=time.monotonic() - clock,
                argv=tuple(_clean(a) for a in prepared.argv),
            )
        self._groups.add(process.pid)
        buffer = bytearray()
        reader = asyncio.create_task(self._read(process, buffer))
        timed_out = False
        try:
            try:
                await asyncio.wait_for(process.wait(), self.timeout_s)
            except TimeoutError:
                timed_out = True
                await self._stop(process)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(reader), DRAIN_S)
        finally:
            _kill_group(process.pid, signal.SIGKILL)
            self._groups.discard(process.pid)
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(reader, DRAIN_S)
        truncated = len(buffer) > self.max_output
        output = decode(bytes(buffer[: self.max_output]))
        return CommandResult(
            display=prepared.display,
            exit_code=process.returncode,
            output=_clean(output),
            timed_out=timed_out,
            truncated=truncated,
            started_at=started_at,
            duration_s=time.monotonic() - clock,
            argv=tuple(_clean(a) for a in prepared.argv),
        )

    async def _read(self, process: asyncio.subprocess.Process, buffer: bytearray) -> None:
        """Read to EOF, keeping one byte past the cap so truncation is known."""
        assert process.stdout is not None
        while chunk := await process.stdout.read(64 * 1024):
            room = self.max_output + 1 - len(buffer)
            if room > 0:
                buffer += chunk[:room]

    async def _stop(self, process: asyncio.subprocess.Process) -> None:
        """SIGTERM the group, then SIGKILL it if it has not gone after a grace period."""
        _kill_group(process.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), TERM_GRACE_S)
        except TimeoutError:
            _kill_group(process.pid, signal.SIGKILL)
            await process.wait()

    @property
    def process_groups(self) -> frozenset[int]:
        """Process group ids of the commands running now."""
        return frozenset(self._groups)

    def kill_all(self) -> None:
        """SIGKILL every running command's process group (safe in a signal handler)."""
        for pgid in list(self._groups):
            _kill_group(pgid, signal.SIGKILL)


def _kill_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)
