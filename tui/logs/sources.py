"""Where log lines come from: a followed file, a command, standard input.

Each source reads bytes in chunks (never ``readline``: asyncio's line reader raises
LimitOverrunError past 64 KiB), assembles complete lines, and hands them on as
``Chunk`` objects, with ``Marker`` objects where the stream has a seam (rotation, gap).
Each source reports an honest ``SourceStatus`` — connected, quiet, ended, restarting,
never connected — because a log pane that silently shows nothing is worse than none.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import math
import os
import shlex
import signal
import stat
import threading
import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from tui.childenv import child_environment
from tui.config import LogSource
from tui.logs.parse import LineKind, error_suspects, strip_sgr
from tui.sanitize import decode, sanitize

MAX_LINE = 64 * 1024
READ_SIZE = 64 * 1024


def quiet_span(seconds: float) -> str:
    """How long a source has been silent, coarse enough that an idle console's title
    changes every ten seconds, then every minute, instead of every second."""
    if seconds < 60:
        return f"{int(seconds) // 10 * 10} s"
    minutes = int(seconds // 60)
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60} min"


class SourceState(StrEnum):
    """The coarse state of a source; ``SourceStatus.message`` says the details."""

    STARTING = "starting"
    CONNECTED = "connected"
    QUIET = "quiet"
    WAITING = "waiting"
    ENDED = "ended"
    FAILED = "failed"
    NEVER_CONNECTED = "never connected"
    RESTARTING = "restarting"
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class SourceStatus:
    """What a source is doing now, in words fit for the pane ("quiet for 42 s")."""

    state: SourceState
    message: str


@dataclass(frozen=True, slots=True)
class Chunk:
    """Complete lines from one read: decoded ``raw`` lines and their sanitised ``display``.

    ``display`` is the very same list as ``raw`` when no line needed sanitising. ``plain``
    is the lines as read, joined by newlines, when every byte was printable ASCII (the
    common case): the parser then takes the text from them without joining the lines.
    ``suspects`` are the indexes of the lines that could be errors (``error_suspects``),
    worked out where the bytes are (for a file, in its reader thread).
    """

    raw: list[str]
    display: list[str]
    stderr: bool = False
    received: float = field(default_factory=time.time)
    plain: bytes | None = None
    suspects: list[int] | None = None


@dataclass(frozen=True, slots=True)
class Marker:
    """A seam in the stream (file rotated, command restarted...) shown as its own line."""

    kind: LineKind
    text: str
    received: float = field(default_factory=time.time)


Emit = Callable[[Chunk | Marker], None]


def human_size(size: int) -> str:
    """``10485760`` -> ``10.0 MB`` (binary multiples, one decimal)."""
    value = float(size)
    for unit in ("B", "KB", "MB"):
        if value < 1024:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


class LineAssembler:
    """Bytes in arbitrary chunks -> complete lines, bounded in memory.

    Lines end at ``\\n`` (a trailing ``\\r`` is dropped). A partial line is held until it
    is completed or ``flush()`` is called at EOF. A line longer than ``max_line`` keeps
    its first ``max_line`` bytes plus a "… [truncated 10.0 MB]" note; the rest is
    discarded as it arrives, never accumulated.
    """

    def __init__(self, max_line: int = MAX_LINE) -> None:
        self.max_line = max_line
        self._pending = bytearray()
        self._overflow = 0

    @property
    def pending(self) -> int:
        """Bytes held for the current incomplete line."""
        return len(self._pending)

    def feed(self, data: bytes, *, stderr: bool = False) -> Chunk | None:
        """Add ``data``; returns the lines it completed, or None."""
        clipped: list[tuple[bytes, int]] = []
        if self._overflow:
            newline = data.find(b"\n")
            if newline < 0:
                self._overflow += len(data)
                return None
            clipped.append((bytes(self._pending), self._overflow + newline))
            self._pending.clear()
            self._overflow = 0
            data = data[newline + 1 :]
        last = data.rfind(b"\n")
        if last < 0:
            self._hold(data)
            return self._chunk(clipped, b"", False, stderr)
        block = bytes(self._pending) + data[:last] if self._pending else data[:last]
        self._pending.clear()
        self._hold(data[last + 1 :])
        return self._chunk(clipped, block, True, stderr)

    def flush(self, *, stderr: bool = False) -> Chunk | None:
        """At EOF: the held partial line (if any) becomes a line."""
        clipped = [(bytes(self._pending), self._overflow)] if self._overflow else []
        block = b"" if self._overflow else bytes(self._pending)
        self._pending.clear()
        self._overflow = 0
        return self._chunk(clipped, block, bool(block), stderr)

    def _hold(self, data: bytes) -> None:
        self._pending += data
        if len(self._pending) > self.max_line:
            self._overflow = len(self._pending)
            del self._pending[self.max_line :]

    def _chunk(
        self, clipped: list[tuple[bytes, int]], block: bytes, has_block: bool, stderr: bool
    ) -> Chunk | None:
        raw: list[str] = []
        display: list[str] = []
        for head, total in clipped:
            text = decode(_whole_chars(head.removesuffix(b"\r")))
            raw.append(text)
            display.append(sanitize(strip_sgr(text)) + f" … [truncated {human_size(total)}]")
        plain: bytes | None = None
        if has_block:
            if block.endswith(b"\r"):
                block = block[:-1]
            if b"\r\n" in block:
                block = block.replace(b"\r\n", b"\n")
            parts = block.split(b"\n") if len(block) > self.max_line else None
            if parts is not None and max(map(len, parts)) > self.max_line:
                lines_raw, lines_shown = self._long_lines(parts)
            elif _is_plain(block):
                lines_raw = lines_shown = decode(block).split("\n")
                plain = None if raw else block
            else:
                lines_raw, lines_shown = _decode_block(block)
            if not raw:
                raw, display = lines_raw, lines_shown
            else:
                raw.extend(lines_raw)
                display.extend(lines_shown)
        if not raw:
            return None
        text = plain + b"\n" if plain is not None else (
            "\n".join(display) + "\n").encode("utf-8", "surrogatepass")
        return Chunk(raw, display, stderr, plain=plain, suspects=error_suspects(text))

    def _long_lines(self, lines: list[bytes]) -> tuple[list[str], list[str]]:
        raw: list[str] = []
        display: list[str] = []
        for line in lines:
            if len(line) > self.max_line:
                text = decode(_whole_chars(line[: self.max_line]))
                raw.append(text)
                display.append(
                    sanitize(strip_sgr(text)) + f" … [truncated {human_size(len(line))}]"
                )
            else:
                text = decode(line)
                raw.append(text)
                display.append(sanitize(strip_sgr(text)))
        return raw, display


_PLAIN = bytes(range(0x20, 0x7F)) + b"\n"


def _is_plain(block: bytes) -> bool:
    """True if ``block`` is printable ASCII and newlines only: nothing to sanitise."""
    return not block.translate(None, _PLAIN)


def _decode_block(block: bytes) -> tuple[list[str], list[str]]:
    """Decode and sanitise many lines at once (one pass over the block)."""
    text = decode(block)
    raw = text.split("\n")
    shown = sanitize(strip_sgr(text), multiline=True)
    if shown == text:
        return raw, raw
    return raw, shown.split("\n")


def _whole_chars(data: bytes) -> bytes:
    """Drop a UTF-8 sequence cut in half at the end of ``data`` (a clipped line)."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte < 0x80:
            return data
        if byte >= 0xC0:
            need = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return data if back >= need else data[:-back]
    return data


# --------------------------------------------------------------------------- base


class Source(ABC):
    """One labelled source of lines. ``start(emit)`` runs it until ``stop()``."""

    kind = "source"

    def __init__(self, name: str, *, quiet_after: float = 30.0, max_line: int = MAX_LINE) -> None:
        self.name = name
        self.quiet_after = quiet_after
        self.max_line = max_line
        self._state = SourceState.STARTING
        self._detail = ""
        self._deadline: float | None = None
        self._last_output = time.monotonic()
        self._task: asyncio.Task[None] | None = None
        self._emit: Emit | None = None

    @property
    def status(self) -> SourceStatus:
        """The current status; quiet and countdown messages are computed when asked."""
        now = time.monotonic()
        state = self._state
        if state is SourceState.CONNECTED:
            silent = now - self._last_output
            if silent >= self.quiet_after:
                return SourceStatus(SourceState.QUIET, f"quiet for {quiet_span(silent)}")
            return SourceStatus(state, self._detail or "connected")
        if self._deadline is not None and state in (
            SourceState.RESTARTING, SourceState.NEVER_CONNECTED
        ):
            wait = max(0, math.ceil(self._deadline - now))
            verb = "restarting" if state is SourceState.RESTARTING else "retrying"
            return SourceStatus(state, f"{self._detail} · {verb} in {wait} s")
        return SourceStatus(state, self._detail or state.value)

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self, emit: Emit) -> None:
        """Start reading in a task of the running loop; lines and markers go to ``emit``."""
        if self.running:
            return
        self._emit = emit
        self._task = asyncio.get_running_loop().create_task(
            self._guarded(), name=f"log source {self.name}"
        )

    async def stop(self) -> None:
        """Stop reading and release everything (children killed, files closed)."""
        task = self._task
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._set(SourceState.STOPPED, "stopped")

    async def wait(self) -> None:
        """Wait until the source ends on its own (EOF, or a command that is not restarted)."""
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(self._task)

    def kill_now(self) -> None:
        """Synchronous last resort (SIGHUP handler): stop reading and kill children at once."""
        if self._task is not None:
            self._task.cancel()

    async def _guarded(self) -> None:
        try:
            await self._run()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a broken source reports itself; it never kills the tail
            self._set(SourceState.FAILED, f"failed: {type(exc).__name__}: {exc}")

    @abstractmethod
    async def _run(self) -> None:
        """Read until the source ends or the task is cancelled."""

    def _set(self, state: SourceState, detail: str = "", deadline: float | None = None) -> None:
        self._state = state
        self._detail = detail
        self._deadline = deadline
        if state is SourceState.CONNECTED:
            self._last_output = time.monotonic()

    def _out(self, item: Chunk | Marker | None) -> None:
        if item is None or self._emit is None:
            return
        self._last_output = time.monotonic()
        self._emit(item)


# --------------------------------------------------------------------------- file


class FileSource(Source):
    """Follow a file by name, like ``tail -F``.

    Survives rename rotation, copytruncate, deletion and recreation, and truncation that
    regrew past the old offset; each seam is a marker in the stream. Starts with a
    backlog of the last ``backlog_lines`` lines (at most ``backlog_bytes`` read).

    Polls every ``poll_interval`` while the file is busy; once it has been quiet for
    ``backoff_after`` seconds the wait doubles up to ``max_poll_interval``, so a quiet
    console is not woken five times a second, and data brings the fast pace back.
    ``polls`` counts the polls made. Reads (and making lines of them) run in a thread.
    """

    kind = "file"

    def __init__(
        self,
        path: str | os.PathLike[str],
        name: str | None = None,
        *,
        poll_interval: float = 0.2,
        max_poll_interval: float = 1.0,
        backoff_after: float = 3.0,
        backlog_lines: int = 1000,
        backlog_bytes: int = 1024 * 1024,
        read_size: int = 1024 * 1024,
        quiet_after: float = 30.0,
        max_line: int = MAX_LINE,
    ) -> None:
        self.path = Path(path)
        super().__init__(name or self.path.name, quiet_after=quiet_after, max_line=max_line)
        self.poll_interval = poll_interval
        self.max_poll_interval = max(poll_interval, max_poll_interval)
        self.backoff_after = backoff_after
        self.polls = 0
        self.backlog_lines = backlog_lines
        self.backlog_bytes = backlog_bytes
        self.read_size = read_size
        self._fd: int | None = None
        self._key: tuple[int, int] | None = None
        self._offset = 0
        self._tail = b""
        self._opened_once = False
        self._missing_at_start = False
        self._deleted_reported = False
        self._assembler = LineAssembler(max_line)
        self._lock = threading.Lock()

    async def _run(self) -> None:
        wait = self.poll_interval
        busy_at = time.monotonic()
        try:
            while True:
                self.polls += 1
                items, more = await asyncio.to_thread(self._step)
                for item in items:
                    self._out(item)
                if more or items:
                    wait = self.poll_interval
                    busy_at = time.monotonic()
                if not more:
                    await asyncio.sleep(wait)
                    if time.monotonic() - busy_at >= self.backoff_after:
                        wait = min(self.max_poll_interval, wait * 2)
        finally:
            await asyncio.to_thread(self._close_when_idle)

    def _close_when_idle(self) -> None:
        """Close the file once a step still running in its thread has finished."""
        with self._lock:
            self._close()

    def _close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    # The methods below run in a worker thread, one step at a time (under the lock).

    def _step(self) -> tuple[list[Chunk | Marker], bool]:
        """One poll: open/reopen as needed, detect seams, read up to ``read_size``."""
        with self._lock:
            return self._step_locked()

    def _step_locked(self) -> tuple[list[Chunk | Marker], bool]:
        items: list[Chunk | Marker] = []
        if self._fd is None and not self._open(items):
            return items, False
        try:
            path_stat: os.stat_result | None = os.stat(self.path)
        except FileNotFoundError:
            path_stat = None
        assert self._fd is not None
        fd_stat = os.fstat(self._fd)
        if path_stat is None or (path_stat.st_ino, path_stat.st_dev) != self._key:
            data = os.read(self._fd, self.read_size)
            if data:
                self._got(data, items)
                return items, True
            return items, self._switch(path_stat, fd_stat, items)
        if fd_stat.st_size < self._offset or self._rewritten():
            self._flush(items)
            what = "truncated" if fd_stat.st_size < self._offset else "truncated and rewritten"
            items.append(Marker(LineKind.FILE_TRUNCATED,
                                f"{self.path.name} was {what}; reading from the start"))
            os.lseek(self._fd, 0, os.SEEK_SET)
            self._offset = 0
            self._tail = b""
        data = os.read(self._fd, self.read_size)
        if data:
            self._got(data, items)
        return items, bool(data)

    def _open(self, items: list[Chunk | Marker]) -> bool:
        try:
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except FileNotFoundError:
            self._missing_at_start = not self._opened_once
            self._set(SourceState.WAITING, f"waiting for {self.path} to appear")
            return False
        except OSError as exc:
            self._set(SourceState.FAILED, f"cannot open {self.path}: {exc.strerror}")
            return False
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            os.close(fd)
            self._set(SourceState.FAILED, f"{self.path} is a directory")
            return False
        self._fd = fd
        self._key = (info.st_ino, info.st_dev)
        self._offset = 0
        self._tail = b""
        if self._deleted_reported:
            items.append(Marker(LineKind.RECREATED, f"{self.path.name} was recreated"))
            self._deleted_reported = False
        elif not self._opened_once and not self._missing_at_start:
            self._read_backlog(info.st_size, items)
        self._opened_once = True
        self._set(SourceState.CONNECTED)
        return True

    def _read_backlog(self, size: int, items: list[Chunk | Marker]) -> None:
        assert self._fd is not None
        start = max(0, size - self.backlog_bytes)
        data = os.pread(self._fd, size - start, start) if size > start else b""
        if start > 0:
            data = data[data.find(b"\n") + 1 :] if b"\n" in data else b""
        cut = len(data) - 1 if data.endswith(b"\n") else len(data)
        for _ in range(self.backlog_lines):
            cut = data.rfind(b"\n", 0, cut)
            if cut < 0:
                break
        data = data[cut + 1 :] if cut >= 0 else data
        os.lseek(self._fd, size, os.SEEK_SET)
        self._offset = size
        self._tail = os.pread(self._fd, min(64, size), size - min(64, size)) if size else b""
        if data:
            item = self._assembler.feed(data)
            if item is not None:
                items.append(item)

    def _got(self, data: bytes, items: list[Chunk | Marker]) -> None:
        self._offset += len(data)
        self._tail = (self._tail + data[-64:])[-64:]
        item = self._assembler.feed(data)
        if item is not None:
            items.append(item)

    def _flush(self, items: list[Chunk | Marker]) -> None:
        item = self._assembler.flush()
        if item is not None:
            items.append(item)

    def _rewritten(self) -> bool:
        """True if the bytes just before our offset changed (truncated, then regrown past it)."""
        if not self._tail or self._fd is None:
            return False
        start = self._offset - len(self._tail)
        return os.pread(self._fd, len(self._tail), start) != self._tail

    def _switch(
        self, path_stat: os.stat_result | None, fd_stat: os.stat_result,
        items: list[Chunk | Marker],
    ) -> bool:
        """The name no longer points at our file: follow the new one or wait for it."""
        renamed = fd_stat.st_nlink > 0
        if path_stat is None:
            if renamed:
                return False  # moved away, no new file yet: keep reading the old one
            self._flush(items)
            items.append(Marker(LineKind.DELETED,
                                f"{self.path.name} was deleted; waiting for it to reappear"))
            self._deleted_reported = True
            self._close()
            self._set(SourceState.WAITING, f"deleted; waiting for {self.path} to appear")
            return False
        self._flush(items)
        if renamed:
            items.append(Marker(LineKind.ROTATED,
                                f"{self.path.name} was rotated; following the new file"))
        else:
            self._deleted_reported = True
        self._close()
        return self._open(items)


# --------------------------------------------------------------------------- command


class _Pipes(asyncio.SubprocessProtocol):
    """Receives a child's output as it arrives and notices its exit before its pipes close."""

    def __init__(self, on_data: Callable[[int, bytes], None], loop: asyncio.AbstractEventLoop):
        self.on_data = on_data
        self.exited: asyncio.Future[None] = loop.create_future()
        self.closed: dict[int, asyncio.Future[None]] = {
            1: loop.create_future(), 2: loop.create_future()
        }

    def pipe_data_received(self, fd: int, data: bytes | str) -> None:
        self.on_data(fd, data if isinstance(data, bytes) else data.encode())

    def pipe_connection_lost(self, fd: int, exc: Exception | None) -> None:
        future = self.closed.get(fd)
        if future is not None and not future.done():
            future.set_result(None)

    def process_exited(self) -> None:
        if not self.exited.done():
            self.exited.set_result(None)


class CommandSource(Source):
    """Run a command (``railway logs --follow``...) and read its stdout and stderr.

    No shell unless ``shell=True``. The command runs in its own process group and is
    killed as a group (SIGTERM, then SIGKILL after ``grace``). When it ends it is
    restarted with exponential backoff; the gap is marked, and lines the new run replays
    from the previous run (``railway logs`` and ``fly logs`` do) are not shown again.
    """

    kind = "command"

    def __init__(
        self,
        argv: Sequence[str] | str,
        name: str | None = None,
        *,
        shell: bool = False,
        restart: bool = True,
        backoff: tuple[float, float] = (1.0, 30.0),
        grace: float = 2.0,
        replay_memory: int = 10_000,
        replay_window: float = 5.0,
        stable_after: float = 30.0,
        quiet_after: float = 30.0,
        max_line: int = MAX_LINE,
    ) -> None:
        if isinstance(argv, str):
            argv = (argv,) if shell else tuple(shlex.split(argv))
        if not argv:
            raise ValueError("a command source needs a command")
        self.argv = tuple(argv)
        self.shell = shell
        label = shlex.split(self.argv[0])[0] if shell and self.argv[0].strip() else self.argv[0]
        super().__init__(name or os.path.basename(label), quiet_after=quiet_after,
                         max_line=max_line)
        self.restart = restart
        self.backoff = backoff
        self.grace = grace
        self.replay_window = replay_window
        self.stable_after = stable_after
        self.runs = 0
        self.pgid: int | None = None
        self.replays_hidden = 0
        self.replay_memory = replay_memory
        self._recent: deque[list[str]] = deque()  # the last runs of lines, >= replay_memory
        self._recent_count = 0
        self._previous: frozenset[int] = frozenset()
        self._replay_until = 0.0
        self._hidden_now = 0

    @property
    def command_line(self) -> str:
        return self.argv[0] if self.shell and len(self.argv) == 1 else shlex.join(self.argv)

    def _exec_argv(self) -> tuple[str, ...]:
        if self.shell:
            return ("/bin/sh", "-c", self.command_line)
        return self.argv

    async def _run(self) -> None:
        delay = self.backoff[0]
        connected_before = False
        ended_at = 0.0
        reason = ""
        while True:
            if self.runs:
                self._out(Marker(
                    LineKind.GAP,
                    f"gap of {time.monotonic() - ended_at:.1f} s: {self.name} {reason}; "
                    "restarted",
                ))
            started = time.monotonic()
            try:
                code = await self._run_once()
            except OSError as exc:
                reason = _exec_error(self._exec_argv()[0], exc)
                state = (SourceState.FAILED if connected_before
                         else SourceState.NEVER_CONNECTED)
                if not self.restart:
                    self._set(state, reason)
                    return
                self._set(state, reason, time.monotonic() + delay)
            else:
                connected_before = True
                self.runs += 1
                ended_at = time.monotonic()
                reason = _exit_words(code)
                if ended_at - started >= self.stable_after:
                    delay = self.backoff[0]
                if not self.restart:
                    self._set(SourceState.ENDED, f"ended ({reason})")
                    return
                self._set(SourceState.RESTARTING, f"ended ({reason})",
                          time.monotonic() + delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.backoff[1])

    async def _run_once(self) -> int:
        """One run of the command, until it exits and its pipes are drained."""
        loop = asyncio.get_running_loop()
        assemblers = {1: LineAssembler(self.max_line), 2: LineAssembler(self.max_line)}
        self._previous = self._recent_hashes()
        self._recent.clear()
        self._recent_count = 0
        self._replay_until = time.monotonic() + self.replay_window if self._previous else 0.0

        def on_data(fd: int, data: bytes) -> None:
            self._lines(assemblers[fd].feed(data, stderr=fd == 2))

        transport, pipes = await loop.subprocess_exec(
            lambda: _Pipes(on_data, loop),
            *self._exec_argv(),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
            env=child_environment(),
        )
        self.pgid = transport.get_pid()
        self._set(SourceState.CONNECTED)
        try:
            await pipes.exited
            await self._kill_group()
            await asyncio.wait(list(pipes.closed.values()), timeout=1.0)
            for fd, assembler in assemblers.items():
                self._lines(assembler.flush(stderr=fd == 2))
            self._end_replay()
            code = transport.get_returncode()
            return -1 if code is None else code
        finally:
            await self._kill_group()
            transport.close()
            self.pgid = None

    def _lines(self, chunk: Chunk | None) -> None:
        """Pass lines on, dropping those the restarted command replays from its backlog."""
        if chunk is None:
            return
        self._remember(chunk.raw)
        if self._replay_until:
            kept = self._drop_replayed(chunk)
            if kept is None:
                return
            chunk = kept
        self._out(chunk)

    def _remember(self, lines: list[str]) -> None:
        """Keep the last ``replay_memory`` lines (whole runs of them) for the next restart."""
        recent = self._recent
        recent.append(lines)
        self._recent_count += len(lines)
        while len(recent) > 1 and self._recent_count - len(recent[0]) >= self.replay_memory:
            self._recent_count -= len(recent.popleft())

    def _recent_hashes(self) -> frozenset[int]:
        """Hashes of the last ``replay_memory`` lines this run wrote (hashed only now, at a
        restart, not as every line arrives)."""
        lines = [line for run in self._recent for line in run][-self.replay_memory:]
        return frozenset(map(hash, lines)) if self.replay_memory else frozenset()

    def _drop_replayed(self, chunk: Chunk) -> Chunk | None:
        """While the replay window is open, hide lines already shown by the previous run.

        The window closes at the first new line after a hidden one, or after
        ``replay_window`` seconds.
        """
        if time.monotonic() > self._replay_until:
            self._end_replay()
            return chunk
        previous = self._previous
        keep: list[int] = []
        for index, value in enumerate(map(hash, chunk.raw)):
            if self._replay_until:
                if value in previous:
                    self._hidden_now += 1
                    continue
                if self._hidden_now:
                    self._end_replay()
            keep.append(index)
        if len(keep) == len(chunk.raw):
            return chunk
        if not keep:
            return None
        raw = [chunk.raw[i] for i in keep]
        shown = raw if chunk.display is chunk.raw else [chunk.display[i] for i in keep]
        return Chunk(raw, shown, chunk.stderr, chunk.received)

    def _end_replay(self) -> None:
        if self._hidden_now:
            self.replays_hidden += self._hidden_now
            self._out(Marker(LineKind.REPLAY,
                             f"{self._hidden_now} lines replayed by {self.name} hidden"))
        self._hidden_now = 0
        self._replay_until = 0.0
        self._previous = frozenset()

    async def _kill_group(self) -> None:
        """TERM the whole process group, KILL it after ``grace``; wait until none is alive."""
        pgid = self.pgid
        if pgid is None:
            return
        if await asyncio.to_thread(group_alive, pgid):
            _signal_group(pgid, signal.SIGTERM)
            if not await _wait_group(pgid, self.grace):
                _signal_group(pgid, signal.SIGKILL)
                await _wait_group(pgid, 2.0)

    def kill_now(self) -> None:
        if self.pgid is not None:
            _signal_group(self.pgid, signal.SIGKILL)
        super().kill_now()


def _signal_group(pgid: int, sig: int) -> None:
    """Signal a command's own group; never ours (the command always gets a new session)."""
    if pgid <= 1 or pgid == os.getpgrp():
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


async def _wait_group(pgid: int, timeout: float) -> bool:
    """Wait until no live process is left in the group; False on timeout."""
    deadline = time.monotonic() + timeout
    while await asyncio.to_thread(group_alive, pgid):
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(0.02)
    return True


def group_alive(pgid: int) -> bool:
    """True while a process of group ``pgid`` is running (zombies awaiting reaping don't count)."""
    try:
        entries = os.listdir("/proc")
    except FileNotFoundError:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] not in (b"Z", b"X"):
            return True
    return False


def _exec_error(program: str, exc: OSError) -> str:
    if exc.errno == errno.ENOENT:
        return f"command not found: {program}"
    if exc.errno == errno.EACCES:
        return f"permission denied: {program}"
    return f"cannot run {program}: {exc.strerror or exc}"


def _exit_words(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit {code}"


# --------------------------------------------------------------------------- stdin


class StdinSource(Source):
    """Read standard input (``… | onduty logs -``) in chunks; EOF ends it, without spinning.

    ``fd`` defaults to 0; the app may pass a duplicate so fd 0 can be reopened on the tty.
    """

    kind = "stdin"

    def __init__(
        self, name: str = "stdin", *, fd: int = 0, quiet_after: float = 30.0,
        max_line: int = MAX_LINE,
    ) -> None:
        super().__init__(name, quiet_after=quiet_after, max_line=max_line)
        self.fd = fd

    async def _run(self) -> None:
        assembler = LineAssembler(self.max_line)
        self._set(SourceState.CONNECTED)
        mode = os.fstat(self.fd).st_mode
        if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
            while data := await asyncio.to_thread(os.read, self.fd, READ_SIZE):
                self._out(assembler.feed(data))
        else:
            await self._read_pipe(assembler)
        self._out(assembler.flush())
        self._set(SourceState.ENDED, "ended (end of input)")

    async def _read_pipe(self, assembler: LineAssembler) -> None:
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader(limit=READ_SIZE, loop=loop)
        pipe = os.fdopen(self.fd, "rb", buffering=0, closefd=False)
        transport, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader, loop=loop), pipe
        )
        try:
            while data := await reader.read(READ_SIZE):
                self._out(assembler.feed(data))
        finally:
            transport.close()
            os.set_blocking(self.fd, True)


def source_from_config(spec: LogSource, *, quiet_after: float = 30.0) -> Source:
    """The running source for one configured ``[[environments.X.logs]]`` entry."""
    if spec.kind == "command":
        return CommandSource(spec.command, spec.name, shell=spec.shell, quiet_after=quiet_after)
    if spec.kind == "file" and spec.file is not None:
        return FileSource(Path(spec.file).expanduser(), spec.name, quiet_after=quiet_after)
    return StdinSource(spec.name, quiet_after=quiet_after)
