""""Test" a secret without showing it: connect with a database URL, or probe with a token.

The secrets screen uses these to answer "does this credential work?" in one line per
target. Every line is redacted and sanitised here, so a server that echoes the
credential back (an error message, a health body) cannot put it on the screen.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from tui.config import Environment, HealthEndpoint
from tui.errors import OnDutyError
from tui.redact import redact
from tui.sanitize import sanitize

DB_TEST_TIMEOUT = 5.0
PROBE_TEST_TIMEOUT = 10.0


@dataclass(frozen=True)
class SecretCheck:
    """The outcome of testing one secret: worked or not, and what happened, in plain words."""

    name: str
    ok: bool
    lines: tuple[str, ...]

    @property
    def summary(self) -> str:
        return "; ".join(self.lines)


def _clean(text: str) -> str:
    return sanitize(redact(text))


def looks_like_database_url(value: str) -> bool:
    """True for a ``postgres://`` or ``postgresql://`` URI (what a database secret holds)."""
    return value.strip().lower().startswith(("postgres://", "postgresql://"))


async def check_database_url(
    name: str, dsn: str, *, timeout: float = DB_TEST_TIMEOUT
) -> SecretCheck:
    """Connect once with ``dsn`` (read-only session, ``timeout`` deadline), then disconnect."""
    from tui.db.session import DbSession

    try:
        async with asyncio.timeout(timeout + 1):
            session = await DbSession.connect(
                dsn, connect_timeout=timeout, statement_timeout=timeout
            )
    except TimeoutError:
        return SecretCheck(name, False, (f"no answer from the database within {timeout:g} s",))
    except OnDutyError as exc:
        return SecretCheck(name, False, (_clean(f"cannot connect: {exc}"),))
    try:
        version = session.server_version.split(" ", 1)[0]
        line = f"connected: {session.target}, PostgreSQL {version}, {session.tls_label}"
        return SecretCheck(name, True, (_clean(line),))
    finally:
        await session.close()


async def check_bearer_token(
    name: str,
    token: str,
    endpoints: Sequence[tuple[Environment, HealthEndpoint]],
    *,
    timeout: float = PROBE_TEST_TIMEOUT,
) -> SecretCheck:
    """Probe every endpoint that uses ``token``; a 401 or 403 means the token was refused."""
    from tui.health.client import make_client
    from tui.health.probe import probe

    if not endpoints:
        return SecretCheck(name, False, ("no health endpoint uses this secret as its token",))
    lines: list[str] = []
    ok = True
    async with make_client() as client:
        for env, endpoint in endpoints:
            bounded = HealthEndpoint(
                endpoint.name, endpoint.url, endpoint.interval,
                min(endpoint.timeout, timeout), endpoint.auth_secret,
                endpoint.conditions, endpoint.expect_status,
            )
            result = await probe(client, bounded, token=token, thresholds=env.thresholds)
            where = f"{env.name} {endpoint.name}"
            if result.status in (401, 403):
                ok = False
                lines.append(f"{where}: token REFUSED ({result.status})")
            elif result.status is None:
                ok = False
                lines.append(f"{where}: no answer: {result.reason}")
            else:
                lines.append(f"{where}: accepted ({result.status}, {result.verdict.value})")
    return SecretCheck(name, ok, tuple(_clean(line) for line in lines))
