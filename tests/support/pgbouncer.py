"""A real PgBouncer in transaction mode in front of the test cluster.

Started from Debian's ``pgbouncer`` package (1.18: no prepared-statement support in
transaction mode) on 127.0.0.1 in a temp dir, as an unprivileged account when the tests
run as root (PgBouncer refuses to run as root). ``ignore_startup_parameters`` is left
empty by default, so unknown startup parameters are rejected the way a strict pooler
rejects them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from tui.db.cluster import server_account

CANDIDATES = ("/usr/sbin/pgbouncer", "/usr/bin/pgbouncer", "/usr/local/bin/pgbouncer")


def find_pgbouncer() -> str | None:
    """The pgbouncer binary, or None if it is not installed."""
    found = shutil.which("pgbouncer")
    if found:
        return found
    return next((c for c in CANDIDATES if os.path.isfile(c)), None)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PgBouncer:
    """One pgbouncer process: ``dsn_for(server_dsn)`` routes a DSN through it."""

    def __init__(self, proc: subprocess.Popen[bytes], port: int, root: Path) -> None:
        self.proc = proc
        self.port = port
        self.root = root

    def dsn_for(self, server_dsn: str) -> str:
        """``server_dsn`` with its host and port replaced by the pooler's."""
        scheme, _, rest = server_dsn.partition("://")
        userinfo, _, hostpath = rest.rpartition("@")
        path = hostpath.partition("/")[2]
        return f"{scheme}://{userinfo}@127.0.0.1:{self.port}/{path}"

    def log(self) -> str:
        try:
            return (self.root / "pgbouncer.log").read_text(errors="replace")
        except OSError:
            return ""


@contextlib.contextmanager
def pgbouncer(
    server_port: int,
    *,
    users: Iterable[str] = ("postgres",),
    pool_size: int = 2,
    ignore_startup_parameters: str = "",
    timeout: float = 10.0,
) -> Iterator[PgBouncer]:
    """Run pgbouncer (transaction mode, ``pool_size`` server connections) until the block ends."""
    binary = find_pgbouncer()
    if binary is None:
        raise FileNotFoundError("pgbouncer is not installed (Debian: apt-get install pgbouncer)")
    account = server_account()
    root = Path(tempfile.mkdtemp(prefix="onduty-pgbouncer-"))
    port = _free_port()
    userlist = "".join(f'"{user}" ""\n' for user in users)
    (root / "userlist.txt").write_text(userlist)
    ignore = f"ignore_startup_parameters = {ignore_startup_parameters}\n" if (
        ignore_startup_parameters) else ""
    (root / "pgbouncer.ini").write_text(
        "[databases]\n"
        f"* = host=127.0.0.1 port={server_port}\n"
        "[pgbouncer]\n"
        "listen_addr = 127.0.0.1\n"
        f"listen_port = {port}\n"
        "unix_socket_dir =\n"
        "auth_type = trust\n"
        f"auth_file = {root / 'userlist.txt'}\n"
        "pool_mode = transaction\n"
        f"default_pool_size = {pool_size}\n"
        "min_pool_size = 0\n"
        "reserve_pool_size = 0\n"
        "max_client_conn = 200\n"
        f"logfile = {root / 'pgbouncer.log'}\n"
        f"pidfile = {root / 'pgbouncer.pid'}\n"
        f"{ignore}"
    )
    extra: dict[str, object] = {}
    if account is not None:
        for path in (root, *root.iterdir()):
            os.chown(path, account.pw_uid, account.pw_gid)
        extra = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
    proc = subprocess.Popen(
        [binary, str(root / "pgbouncer.ini")],
        cwd=root,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        **extra,  # type: ignore[arg-type]
    )
    bouncer = PgBouncer(proc, port, root)
    try:
        _wait_listening(proc, port, timeout, bouncer)
        yield bouncer
    finally:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        shutil.rmtree(root, ignore_errors=True)


def _wait_listening(
    proc: subprocess.Popen[bytes], port: int, timeout: float, bouncer: PgBouncer
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"pgbouncer exited at start: {bouncer.log()[-800:]}")
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(0.2)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.02)
    raise RuntimeError(f"pgbouncer did not listen within {timeout} s: {bouncer.log()[-800:]}")
