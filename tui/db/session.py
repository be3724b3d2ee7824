"""One safe, read-only asyncpg connection to the database onduty is diagnosing.

Never a pool: onduty must not add to the connection exhaustion it is looking at. Nothing
is sent as a startup parameter (PgBouncer and Supavisor reject them) and nothing is
prepared by name (transaction-mode poolers break named prepared statements): every
query runs in its own ``BEGIN READ ONLY`` transaction with ``SET LOCAL`` timeouts, and
also carries a client-side timeout. TLS is never silently dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

from tui.errors import OnDutyError

if TYPE_CHECKING:
    import asyncpg

LOCAL_HOSTS = frozenset({"127.0.0.1", "::1", "localhost", ""})


def _driver_errors() -> tuple[type[BaseException], ...]:
    """Failures that come from the driver or the network (not bugs in the caller's code).

    asyncpg is imported here, not at module level: the console loads this module for its
    result types and should not pay for the driver until it connects.
    """
    import asyncpg

    return (
        asyncpg.PostgresError,
        asyncpg.InterfaceError,
        asyncpg.InternalClientError,
        OSError,
        TimeoutError,
    )


class DbErrorKind(StrEnum):
    """What went wrong, so callers can react (reconnect, show a fix) without parsing text."""

    CONFIG = "config"
    TIMEOUT = "timeout"
    REFUSED = "refused"
    DNS = "dns"
    AUTH = "auth"
    TLS = "tls"
    NO_DATABASE = "no database"
    TOO_MANY = "too many connections"
    UNAVAILABLE = "unavailable"
    CONNECTION_LOST = "connection lost"
    QUERY = "query"


class DbError(OnDutyError):
    """A database problem in plain words; never contains the password."""

    def __init__(self, message: str, kind: DbErrorKind, sqlstate: str | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.sqlstate = sqlstate


@dataclass(frozen=True, repr=False)
class DsnInfo:
    """The parts of a DSN that may be shown: never the password."""

    user: str
    hosts: tuple[str, ...]
    port: str
    database: str
    sslmode: str | None
    params: dict[str, str]
    password: str | None

    @property
    def target(self) -> str:
        host = ",".join(h if not h.startswith("/") else f"socket {h}" for h in self.hosts)
        return f"{self.user}@{host or 'localhost'}:{self.port}/{self.database}"

    @property
    def is_local(self) -> bool:
        return all(h in LOCAL_HOSTS or h.startswith("/") for h in self.hosts)

    def __repr__(self) -> str:
        return f"DsnInfo({self.target!r}, sslmode={self.sslmode!r})"


def parse_dsn(dsn: str) -> DsnInfo:
    """Split a ``postgresql://`` URI into displayable parts (raises DbError if it is not one)."""
    try:
        parts = urlsplit(dsn)
        if parts.scheme not in ("postgres", "postgresql"):
            raise ValueError
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        netloc = parts.netloc.rpartition("@")[2]
        userinfo = parts.netloc.rpartition("@")[0]
        user, _, password = userinfo.partition(":")
        hosts: list[str] = []
        ports: list[str] = []
        for item in netloc.split(","):
            if item.startswith("["):
                host, _, rest = item[1:].partition("]")
                port = rest.lstrip(":")
            else:
                host, _, port = item.partition(":")
            hosts.append(unquote(host))
            ports.append(port)
    except ValueError:
        raise DbError(
            "the database URL is not a postgresql:// URI "
            "(expected postgresql://USER:PASSWORD@HOST:PORT/DBNAME?sslmode=...)",
            DbErrorKind.CONFIG,
        ) from None
    if "host" in query:
        hosts = query["host"].split(",")
    port = query.get("port") or next((p for p in ports if p), "") or "5432"
    return DsnInfo(
        user=unquote(query.get("user") or user) or "(default user)",
        hosts=tuple(h for h in hosts if h) or ("localhost",),
        port=port,
        database=unquote(parts.path.lstrip("/")) or query.get("dbname") or "(default db)",
        sslmode=query.get("sslmode"),
        params=query,
        password=unquote(password) if password else query.get("password"),
    )


@dataclass(frozen=True)
class TlsChoice:
    """What to pass as asyncpg's ``ssl=`` and how to describe it on screen."""

    ssl: ssl.SSLContext | str | bool
    label: str


def choose_tls(info: DsnInfo) -> TlsChoice:
    """Map sslmode to a TLS setup. No sslmode on a remote host means verify-full, not prefer."""
    mode = info.sslmode
    if mode is None:
        if info.is_local:
            return TlsChoice(False, "local, no TLS")
        mode = "verify-full"
    if mode == "disable":
        return TlsChoice(False, "no TLS (sslmode=disable)")
    if mode in ("allow", "prefer"):
        return TlsChoice(mode, f"TLS not guaranteed (sslmode={mode}: may fall back to plaintext)")
    if mode == "require":
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return TlsChoice(context, "TLS (unverified: sslmode=require)")
    if mode in ("verify-ca", "verify-full"):
        rootcert = info.params.get("sslrootcert")
        try:
            context = ssl.create_default_context(cafile=rootcert or None)
            if info.params.get("sslcert"):
                context.load_cert_chain(info.params["sslcert"], info.params.get("sslkey"))
        except (OSError, ssl.SSLError) as exc:
            raise DbError(
                f"cannot load the TLS certificates named in the database URL for {info.target}: "
                f"{exc.strerror or exc}",
                DbErrorKind.CONFIG,
            ) from None
        context.check_hostname = mode == "verify-full"
        ca = "sslrootcert" if rootcert else "system CA"
        if mode == "verify-ca":
            return TlsChoice(context, f"TLS (CA verified with {ca}, host name not checked)")
        return TlsChoice(context, f"TLS (verified with {ca})")
    raise DbError(
        f"unknown sslmode {mode!r} in the database URL for {info.target}: use disable, "
        "require, verify-ca or verify-full",
        DbErrorKind.CONFIG,
    )


def _scrub(text: str, password: str | None) -> str:
    """Remove the password from text that came from elsewhere (belt and braces)."""
    if password:
        for form in {password, password.replace("@", "%40")}:
            text = text.replace(form, "***")
    return text


def translate_error(exc: BaseException, info: DsnInfo, *, timeout: float) -> DbError:
    """Turn any connect or query failure into a DbError with a plain message."""
    if isinstance(exc, DbError):
        return exc
    import asyncpg

    where = info.target
    sqlstate = getattr(exc, "sqlstate", None)
    server_text = _scrub(str(exc), info.password)
    if isinstance(exc, TimeoutError):
        return DbError(f"no answer from {where} within {timeout:g} s", DbErrorKind.TIMEOUT)
    if isinstance(exc, ssl.SSLCertVerificationError):
        return DbError(
            f"the TLS certificate of {where} could not be verified "
            f"({exc.verify_message}): add sslrootcert=PATH to the URL, or sslmode=require "
            "to connect without verification",
            DbErrorKind.TLS,
        )
    if isinstance(exc, ssl.SSLError):
        return DbError(f"TLS handshake with {where} failed: {exc.reason or exc}", DbErrorKind.TLS)
    if isinstance(exc, asyncpg.InvalidAuthorizationSpecificationError):
        return DbError(
            f"authentication failed for {where}: check the user and password in the secret "
            f"({server_text})",
            DbErrorKind.AUTH,
            sqlstate,
        )
    if isinstance(exc, asyncpg.InvalidCatalogNameError):
        return DbError(f"database {info.database!r} does not exist on {where}",
                       DbErrorKind.NO_DATABASE, sqlstate)
    if isinstance(exc, asyncpg.TooManyConnectionsError):
        return DbError(
            f"{where} refused the connection: too many connections ({server_text})",
            DbErrorKind.TOO_MANY,
            sqlstate,
        )
    if isinstance(exc, asyncpg.CannotConnectNowError):
        return DbError(f"{where} is starting up or shutting down ({server_text})",
                       DbErrorKind.UNAVAILABLE, sqlstate)
    if isinstance(exc, asyncpg.ClientConfigurationError):
        return DbError(f"the database URL for {where} is invalid: {server_text}",
                       DbErrorKind.CONFIG)
    if isinstance(exc, asyncpg.QueryCanceledError):
        return DbError(f"query on {where} cancelled after {timeout:g} s (statement timeout)",
                       DbErrorKind.TIMEOUT, sqlstate)
    if isinstance(exc, asyncpg.InternalClientError):
        return DbError(f"lost the connection to {where} (it broke in the middle of a query)",
                       DbErrorKind.CONNECTION_LOST)
    if isinstance(
        exc,
        asyncpg.ConnectionDoesNotExistError
        | asyncpg.AdminShutdownError
        | asyncpg.CrashShutdownError
        | asyncpg.ConnectionFailureError
        | asyncpg.InterfaceError
        | ConnectionResetError
        | BrokenPipeError,
    ):
        return DbError(f"lost the connection to {where} ({server_text or 'closed'})",
                       DbErrorKind.CONNECTION_LOST, sqlstate)
    if isinstance(exc, asyncpg.PostgresError):
        return DbError(f"{server_text} (SQLSTATE {sqlstate})", DbErrorKind.QUERY, sqlstate)
    if isinstance(exc, ConnectionRefusedError):
        return DbError(
            f"connection refused by {where}: is PostgreSQL running and listening there?",
            DbErrorKind.REFUSED,
        )
    if isinstance(exc, socket.gaierror):
        return DbError(f"cannot resolve the host of {where}: {exc.strerror}", DbErrorKind.DNS)
    if isinstance(exc, ConnectionError) and "SSL" in str(exc):
        return DbError(
            f"{where} does not offer TLS; onduty will not fall back to plaintext. If the "
            "network is trusted, add sslmode=disable to the URL",
            DbErrorKind.TLS,
        )
    if isinstance(exc, OSError):
        reason = exc.strerror or server_text or type(exc).__name__
        return DbError(f"cannot connect to {where}: {reason}", DbErrorKind.REFUSED)
    return DbError(f"database error on {where}: {type(exc).__name__}: {server_text}",
                   DbErrorKind.QUERY, sqlstate)


class Transaction:
    """Queries inside one transaction; every fetch has a client-side timeout."""

    def __init__(self, conn: asyncpg.Connection, timeout: float) -> None:
        self._conn = conn
        self._timeout = timeout

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        return await self._conn.fetch(sql, *args, timeout=self._timeout)

    async def fetchrow(self, sql: str, *args: Any) -> asyncpg.Record | None:
        return await self._conn.fetchrow(sql, *args, timeout=self._timeout)

    async def fetchval(self, sql: str, *args: Any) -> Any:
        return await self._conn.fetchval(sql, *args, timeout=self._timeout)


class DbSession:
    """The one connection: read-only transactions, timeouts, a TLS label, plain errors."""

    def __init__(
        self,
        conn: asyncpg.Connection,
        info: DsnInfo,
        tls_label: str,
        statement_timeout: float,
        server_version: str,
        server_version_num: int,
    ) -> None:
        self._conn = conn
        self._info = info
        self._tls_label = tls_label
        self._statement_timeout = statement_timeout
        self._server_version = server_version
        self._server_version_num = server_version_num

    @classmethod
    async def connect(
        cls, dsn: str, *, connect_timeout: float = 5.0, statement_timeout: float = 5.0
    ) -> DbSession:
        """Connect within ``connect_timeout`` seconds, or raise DbError saying why."""
        import asyncpg

        info = parse_dsn(dsn)
        tls = choose_tls(info)
        try:
            async with asyncio.timeout(connect_timeout):
                conn = await asyncpg.connect(
                    dsn,
                    ssl=tls.ssl,
                    timeout=connect_timeout,
                    statement_cache_size=0,
                    command_timeout=statement_timeout + 1,
                )
        except Exception as exc:
            raise translate_error(exc, info, timeout=connect_timeout) from None
        try:
            # A pooler may refuse a session-level SET; SET LOCAL covers every query anyway.
            with contextlib.suppress(asyncpg.PostgresError):
                await conn.execute("SET application_name = 'onduty'", timeout=statement_timeout)
            session = cls(conn, info, tls.label, statement_timeout, "", 0)
            async with session.transaction() as tx:
                row = await tx.fetchrow(
                    "SELECT current_setting('server_version') AS version,"
                    " current_setting('server_version_num')::int AS num"
                )
        except Exception as exc:
            conn.terminate()
            raise translate_error(exc, info, timeout=statement_timeout) from None
        except BaseException:
            conn.terminate()
            raise
        assert row is not None
        session._server_version = str(row["version"])
        session._server_version_num = int(row["num"])
        return session

    @property
    def tls_label(self) -> str:
        return self._tls_label

    @property
    def target(self) -> str:
        """user@host:port/db, for messages; never the password."""
        return self._info.target

    @property
    def server_version(self) -> str:
        return self._server_version

    @property
    def server_version_num(self) -> int:
        return self._server_version_num

    @property
    def statement_timeout(self) -> float:
        return self._statement_timeout

    @property
    def is_closed(self) -> bool:
        return self._conn.is_closed()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """A read-only transaction with ``SET LOCAL`` timeout and application_name."""
        try:
            async with self._conn.transaction(readonly=True):
                await self._set_local()
                yield Transaction(self._conn, self._client_timeout)
        except _driver_errors() as exc:
            raise self._translate(exc) from None

    @property
    def _client_timeout(self) -> float:
        """A little longer than the server's: its clean cancel (57014) should win the race."""
        return self._statement_timeout + 1.0

    @asynccontextmanager
    async def rolled_back_transaction(self) -> AsyncIterator[Transaction]:
        """A read-write transaction that is always rolled back, under the same timeouts.

        Only for EXPLAIN ANALYZE of a write, after typed confirmation: the statement
        really runs (locks, triggers, sequences advance) but its changes are undone.
        """
        try:
            tx = self._conn.transaction()
            await tx.start()
            try:
                await self._set_local()
                yield Transaction(self._conn, self._client_timeout)
            finally:
                if not self._conn.is_closed():
                    await tx.rollback()
        except _driver_errors() as exc:
            raise self._translate(exc) from None

    async def _set_local(self) -> None:
        millis = int(self._statement_timeout * 1000)
        await self._conn.execute(
            f"SET LOCAL statement_timeout = {millis}; "
            "SET LOCAL application_name = 'onduty'",
            timeout=self._statement_timeout,
        )

    def _translate(self, exc: BaseException) -> DbError:
        """A DbError for ``exc``; a connection that broke is dropped, never reused."""
        error = translate_error(exc, self._info, timeout=self._statement_timeout)
        if self._conn.is_closed() and error.kind is not DbErrorKind.CONNECTION_LOST:
            error = DbError(f"lost the connection to {self.target} ({error})",
                            DbErrorKind.CONNECTION_LOST, error.sqlstate)
        if error.kind is DbErrorKind.CONNECTION_LOST:
            self._conn.terminate()  # a half-dead connection must not be reused
        return error

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        """One query in its own read-only transaction."""
        async with self.transaction() as tx:
            return await tx.fetch(sql, *args)

    async def close(self) -> None:
        """Close politely within the statement timeout, else drop the socket."""
        if self._conn.is_closed():
            return
        try:
            await self._conn.close(timeout=self._statement_timeout)
        except Exception:
            self._conn.terminate()
