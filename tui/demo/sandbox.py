"""The sandbox process behind ``onduty demo``: ``python -m tui.demo.sandbox RUNDIR``.

It starts the demo HTTP service, the log writer and (when PostgreSQL binaries exist) a
throwaway cluster with its workload, then atomically writes ``RUNDIR/ready.json``::

    {"base_url": ..., "staging_url": ..., "log_file": ..., "dsn": ... or null,
     "db_error": null or why there is no database, "pid": ..., "db_pid": ... or null}

It runs until its stdin reaches end-of-file (the console closed it, or died) or it gets
SIGTERM, SIGHUP or SIGINT; then it stops everything, stops the cluster and removes what
it created in RUNDIR. Running in its own process, it can clean up even when the console
is killed outright.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys
import threading
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

import asyncpg

from tui.db.cluster import TempCluster
from tui.demo.contract import LOG_FILE, NO_DB_REASON, READY_FILE, STAGING_PREFIX
from tui.demo.logwriter import LogWriter
from tui.demo.scenario import scenario_from_env
from tui.demo.service import DemoService, ServiceServer
from tui.demo.workload import Workload, create_schema
from tui.errors import OnDutyError

_CLUSTER_START_TIMEOUT = 30.0
_CLUSTER_STOP_TIMEOUT = 20.0


def write_json_atomically(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` so a reader sees either no file or the whole file."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2), encoding="utf-8")
    os.replace(tmp, path)


class SandboxServices:
    """Everything the sandbox process runs; ``start()`` then ``close()`` (always)."""

    def __init__(self, run_dir: Path, *, with_db: bool = True) -> None:
        self.run_dir = run_dir
        self.with_db = with_db
        self._created: list[Path] = []
        self._service: ServiceServer | None = None
        self._writer: LogWriter | None = None
        self._cluster: TempCluster | None = None
        self._cluster_start: asyncio.Future[None] | None = None
        self._workload: Workload | None = None

    async def start(self) -> dict[str, Any]:
        """Start the service, the logs and the database; write and return ready.json."""
        scenario = scenario_from_env()
        self._service = ServiceServer(DemoService(scenario))
        await self._service.start()
        log_path = self.run_dir / LOG_FILE
        self._created.append(log_path)
        self._writer = LogWriter(log_path, scenario)
        await self._writer.start()
        dsn, db_error = await self._start_database() if self.with_db else (None, NO_DB_REASON)
        base = self._service.base_url
        ready = {
            "base_url": base,
            "staging_url": base + STAGING_PREFIX,
            "log_file": str(log_path),
            "dsn": dsn,
            "db_error": db_error,
            "pid": os.getpid(),
            "db_pid": self._cluster.pid if self._cluster else None,
        }
        ready_path = self.run_dir / READY_FILE
        self._created += [ready_path, ready_path.with_name(ready_path.name + ".tmp")]
        await asyncio.to_thread(write_json_atomically, ready_path, ready)
        return ready

    async def _start_database(self) -> tuple[str | None, str | None]:
        """(dsn, None) with the workload running, or (None, the plain reason why not)."""
        if os.geteuid() == 0:
            # The server runs as an unprivileged account, which must reach its data dir.
            self.run_dir.chmod(0o711)
        cluster = TempCluster(base_dir=self.run_dir)
        self._cluster = cluster
        self._cluster_start = asyncio.ensure_future(
            asyncio.to_thread(cluster.start, _CLUSTER_START_TIMEOUT)
        )
        try:
            await asyncio.shield(self._cluster_start)
            await create_schema(cluster.dsn)
        except (OnDutyError, OSError, TimeoutError, asyncpg.PostgresError,
                asyncpg.InterfaceError) as exc:
            await self._stop_cluster()
            return None, str(exc) or type(exc).__name__
        self._workload = Workload(cluster.dsn)
        self._workload.start()
        return cluster.dsn, None

    async def _stop_cluster(self) -> None:
        """Stop the cluster; a start still running in its thread (threads cannot be
        cancelled) is first allowed to finish, so the server it launched is stopped too."""
        cluster, self._cluster = self._cluster, None
        starting, self._cluster_start = self._cluster_start, None
        if cluster is None:
            return
        if starting is not None:
            await asyncio.wait([starting], timeout=_CLUSTER_START_TIMEOUT + 5)
            if starting.done() and not starting.cancelled():
                # Mark a failed start as seen: it is already reported through db_error.
                starting.exception()
        await asyncio.wait_for(asyncio.to_thread(cluster.stop), _CLUSTER_STOP_TIMEOUT)

    async def close(self) -> None:
        """Stop everything that was started, in reverse order, and remove its files.

        A step that fails is reported on stderr and does not stop the later steps.
        """
        workload, self._workload = self._workload, None
        writer, self._writer = self._writer, None
        service, self._service = self._service, None
        steps = [
            workload.stop() if workload else None,
            self._stop_cluster(),
            writer.stop() if writer else None,
            service.stop() if service else None,
        ]
        for step in steps:
            if step is not None:
                await _quietly(step)
        for path in self._created:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        with contextlib.suppress(OSError):
            self.run_dir.rmdir()


async def _quietly(step: Awaitable[None]) -> None:
    """Await a cleanup step; report a failure instead of abandoning the cleanup."""
    try:
        await step
    except Exception as exc:
        print(f"sandbox: cleanup step failed: {exc!r}", file=sys.stderr)


def _watch_stdin(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> None:
    """Set ``stop`` when stdin reaches end-of-file: the console closed it or died."""

    def wait_for_eof() -> None:
        with contextlib.suppress(OSError):
            while os.read(0, 4096):
                pass
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(stop.set)

    threading.Thread(target=wait_for_eof, name="stdin-eof", daemon=True).start()


async def run(run_dir: Path, *, with_db: bool = True) -> None:
    """Run the sandbox in ``run_dir`` until stdin closes or a stop signal arrives."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    _watch_stdin(loop, stop)
    sandbox = SandboxServices(run_dir, with_db=with_db)
    startup = asyncio.create_task(sandbox.start())
    stopping = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({startup, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if startup.done():
            startup.result()
            await stopping
    finally:
        for task in (startup, stopping):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await sandbox.close()


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit status."""
    parser = argparse.ArgumentParser(prog="python -m tui.demo.sandbox",
                                     description="Run the onduty demo sandbox in RUNDIR.")
    parser.add_argument("run_dir", type=Path, help="an existing directory for the sandbox")
    parser.add_argument("--no-db", action="store_true", help="do not start PostgreSQL")
    args = parser.parse_args(argv)
    if not args.run_dir.is_dir():
        print(f"sandbox: {args.run_dir} is not a directory", file=sys.stderr)
        return 2
    try:
        asyncio.run(run(args.run_dir, with_db=not args.no_db))
    except OnDutyError as exc:
        print(f"sandbox: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
