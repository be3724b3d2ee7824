"""A throwaway local PostgreSQL cluster for the demo sandbox and the test suite.

It lives in a temp dir, listens only on 127.0.0.1 and a socket inside that dir, preloads
``pg_stat_statements`` and trades durability for speed (fsync off): it is meant to be
thrown away. The postmaster runs in its own process group so it can always be killed.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import glob
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType

import asyncpg

from tui.errors import OnDutyError

SUPERUSER = "postgres"
_NEEDED = ("initdb", "pg_ctl", "postgres")
_SETTINGS: dict[str, str] = {
    "listen_addresses": "127.0.0.1",
    "shared_preload_libraries": "pg_stat_statements",
    "pg_stat_statements.track": "all",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "50",
}


def find_pg_bin() -> Path | None:
    """The directory holding initdb, pg_ctl and postgres, or None if there is none."""
    on_path = [shutil.which(name) for name in _NEEDED]
    if all(on_path):
        return Path(os.path.realpath(str(on_path[0]))).parent
    candidates: list[Path] = []
    debian = Path("/usr/lib/postgresql")
    if debian.is_dir():
        candidates += sorted(
            (p / "bin" for p in debian.iterdir() if p.name.replace(".", "").isdigit()),
            key=lambda p: float(p.parent.name),
            reverse=True,
        )
    for pattern in ("/usr/pgsql-*/bin", "/opt/homebrew/opt/postgresql@*/bin",
                    "/usr/local/opt/postgresql*/bin"):
        found = [Path(p) for p in glob.glob(pattern)]
        candidates += sorted(found, key=_version_key, reverse=True)
    candidates.append(Path("/usr/local/pgsql/bin"))
    for directory in candidates:
        if all((directory / name).is_file() for name in _NEEDED):
            return directory
    return None


def _version_key(path: Path) -> tuple[int, ...]:
    """Sort key: the version numbers in a path such as /usr/pgsql-16/bin."""
    return tuple(int(n) for n in re.findall(r"\d+", str(path))) or (0,)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_account() -> pwd.struct_passwd | None:
    """The unprivileged account to run servers as when we are root (they refuse root)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise OnDutyError(
        "running as root, and neither a 'postgres' nor a 'nobody' account exists to run "
        "the throwaway PostgreSQL server (it refuses to run as root): create one"
    )


class TempCluster:
    """A PostgreSQL server in a temp dir: ``start()``, use ``dsn``, ``stop()`` (or ``with``).

    ``base_dir`` is the parent of the temp dir; when running as root it must be
    traversable by the unprivileged server account (the system temp dir is).
    ``settings`` override or extend the server settings (e.g. an empty
    ``shared_preload_libraries`` to reproduce a missing preload).
    """

    def __init__(
        self,
        base_dir: Path | None = None,
        *,
        port: int | None = None,
        settings: Mapping[str, str] | None = None,
    ) -> None:
        self._base_dir = base_dir
        self._fixed_port = port
        self._port = port or 0
        self._settings = {**_SETTINGS, **(settings or {})}
        self._root: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._user = server_account()

    # -- properties

    @property
    def port(self) -> int:
        return self._port

    @property
    def dsn(self) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self._port}/postgres"

    @property
    def pid(self) -> int | None:
        """The postmaster's pid while it runs."""
        return self._proc.pid if self._proc and self._proc.poll() is None else None

    @property
    def data_dir(self) -> Path:
        if self._root is None:
            raise OnDutyError("the throwaway PostgreSQL cluster has not been started")
        return self._root / "data"

    @property
    def socket_dir(self) -> Path:
        if self._root is None:
            raise OnDutyError("the throwaway PostgreSQL cluster has not been started")
        return self._root

    # -- lifecycle

    def start(self, timeout: float = 30) -> None:
        """initdb, start the postmaster, wait until it accepts connections, add the extension."""
        if self._proc is not None:
            return
        bin_dir = find_pg_bin()
        if bin_dir is None:
            raise OnDutyError(
                "PostgreSQL server binaries not found: install postgresql "
                "(Debian: apt-get install postgresql; macOS: brew install postgresql) "
                "or put initdb, pg_ctl and postgres on PATH"
            )
        deadline = time.monotonic() + timeout
        self._root = Path(tempfile.mkdtemp(prefix="onduty-pg-", dir=self._base_dir))
        atexit.register(self.stop)
        try:
            if self._user is not None:
                os.chown(self._root, self._user.pw_uid, self._user.pw_gid)
            self._initdb(bin_dir, deadline)
            attempts = 1 if self._fixed_port else 3
            for attempt in range(attempts):
                self._port = self._fixed_port or _free_port()
                if self._launch(bin_dir, deadline):
                    break
                if attempt == attempts - 1:
                    raise OnDutyError(
                        f"PostgreSQL did not start on port {self._port}: {self._log_tail()}"
                    )
            self._create_extension(max(1.0, deadline - time.monotonic()))
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop the server (fast shutdown, then SIGKILL of its group) and delete its files."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            bin_dir = find_pg_bin()
            if bin_dir is not None:
                with contextlib.suppress(subprocess.SubprocessError, OSError):
                    subprocess.run(
                        [str(bin_dir / "pg_ctl"), "stop", "-D", str(self.data_dir),
                         "-m", "fast", "-w", "-t", "10"],
                        **self._as_server_user(),
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                        timeout=12,
                    )
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)
        root, self._root = self._root, None
        if root is not None:
            shutil.rmtree(root, ignore_errors=True)
        atexit.unregister(self.stop)

    def __enter__(self) -> TempCluster:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- steps

    def _as_server_user(self) -> dict[str, object]:
        """subprocess arguments that drop root for initdb/postgres/pg_ctl."""
        args: dict[str, object] = {"cwd": str(self._root)}
        if self._user is not None:
            args.update(user=self._user.pw_uid, group=self._user.pw_gid, extra_groups=[])
        return args

    def _initdb(self, bin_dir: Path, deadline: float) -> None:
        cmd = [str(bin_dir / "initdb"), "-D", str(self.data_dir), "-U", SUPERUSER,
               "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"]
        try:
            result = subprocess.run(
                cmd,
                **self._as_server_user(),
                capture_output=True,
                timeout=max(1.0, deadline - time.monotonic()),
            )
        except subprocess.TimeoutExpired:
            raise OnDutyError("initdb of the throwaway PostgreSQL cluster timed out") from None
        if result.returncode != 0:
            detail = result.stderr.decode(errors="replace").strip()[-500:]
            raise OnDutyError(f"initdb of the throwaway PostgreSQL cluster failed: {detail}")

    def _launch(self, bin_dir: Path, deadline: float) -> bool:
        """Start the postmaster; True once it is ready, False if it exited (port taken)."""
        root = self.socket_dir
        settings = {**self._settings, "port": str(self._port),
                    "unix_socket_directories": str(root)}
        cmd = [str(bin_dir / "postgres"), "-D", str(self.data_dir)]
        for key, value in settings.items():
            cmd += ["-c", f"{key}={value}"]
        log = (root / "server.log").open("ab")
        try:
            self._proc = subprocess.Popen(
                cmd,
                **self._as_server_user(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            log.close()
        pid_file = self.data_dir / "postmaster.pid"
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                self._proc = None
                return False
            with contextlib.suppress(OSError):
                lines = pid_file.read_text().splitlines()
                if len(lines) >= 8 and lines[7].strip() == "ready":
                    return True
            time.sleep(0.02)
        raise OnDutyError(
            f"the throwaway PostgreSQL cluster was not ready within the deadline: "
            f"{self._log_tail()}"
        )

    def _create_extension(self, timeout: float) -> None:
        async def create() -> None:
            conn = await asyncpg.connect(self.dsn, ssl=False, timeout=timeout)
            try:
                await conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            finally:
                await conn.close(timeout=timeout)

        # A fresh thread has no running event loop, so this works from sync and async callers.
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(asyncio.run, create()).result(timeout=timeout + 1)

    def _log_tail(self) -> str:
        if self._root is None:
            return ""
        try:
            text = (self._root / "server.log").read_text(errors="replace")
        except OSError:
            return "(no server log)"
        return " | ".join(text.strip().splitlines()[-5:])
