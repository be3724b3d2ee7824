"""DSN parsing, TLS choice and error text: no silent plaintext, no password anywhere."""

from __future__ import annotations

import socket
import ssl

import asyncpg
import pytest

from tui.db.session import DbError, DbErrorKind, choose_tls, parse_dsn, translate_error

SECRET = "s3cr3t-P@ss"
REMOTE = f"postgresql://app:{SECRET.replace('@', '%40')}@db.example.com:6543/main"


def test_parse_dsn_keeps_the_password_out_of_target_and_repr() -> None:
    info = parse_dsn(REMOTE)
    assert info.target == "app@db.example.com:6543/main"
    assert info.password == SECRET
    assert SECRET not in repr(info) and "s3cr3t" not in repr(info)


def test_parse_dsn_rejects_other_schemes_without_echoing_it() -> None:
    with pytest.raises(DbError) as caught:
        parse_dsn(f"mysql://app:{SECRET}@db/x")
    assert caught.value.kind is DbErrorKind.CONFIG
    assert "s3cr3t" not in str(caught.value)


def test_remote_without_sslmode_is_verify_full_with_system_ca() -> None:
    tls = choose_tls(parse_dsn(REMOTE))
    assert isinstance(tls.ssl, ssl.SSLContext)
    assert tls.ssl.check_hostname is True
    assert tls.ssl.verify_mode == ssl.CERT_REQUIRED
    assert tls.label == "TLS (verified with system CA)"


def test_require_connects_but_is_labelled_unverified() -> None:
    tls = choose_tls(parse_dsn(REMOTE + "?sslmode=require"))
    assert isinstance(tls.ssl, ssl.SSLContext)
    assert tls.ssl.verify_mode == ssl.CERT_NONE
    assert tls.label == "TLS (unverified: sslmode=require)"


@pytest.mark.parametrize(
    "dsn",
    [
        "postgresql://u@127.0.0.1:5432/db",
        "postgresql://u@localhost/db",
        "postgresql://u@[::1]:5432/db",
        "postgresql://u@/db?host=/var/run/postgresql",
    ],
)
def test_local_hosts_without_sslmode_use_no_tls(dsn: str) -> None:
    tls = choose_tls(parse_dsn(dsn))
    assert tls.ssl is False
    assert tls.label == "local, no TLS"


def test_prefer_is_labelled_as_not_guaranteed() -> None:
    tls = choose_tls(parse_dsn(REMOTE + "?sslmode=prefer"))
    assert "not guaranteed" in tls.label


def test_verify_full_with_missing_rootcert_is_a_plain_error() -> None:
    with pytest.raises(DbError) as caught:
        choose_tls(parse_dsn(REMOTE + "?sslmode=verify-full&sslrootcert=/nonexistent/root.crt"))
    assert caught.value.kind is DbErrorKind.CONFIG
    assert "certificates" in str(caught.value)


def test_unknown_sslmode_is_rejected() -> None:
    with pytest.raises(DbError, match="unknown sslmode"):
        choose_tls(parse_dsn(REMOTE + "?sslmode=maybe"))


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (TimeoutError(), DbErrorKind.TIMEOUT),
        (ConnectionRefusedError(111, "Connection refused"), DbErrorKind.REFUSED),
        (socket.gaierror(-2, "Name or service not known"), DbErrorKind.DNS),
        (asyncpg.InvalidPasswordError(f"password authentication failed {SECRET}"),
         DbErrorKind.AUTH),
        (asyncpg.TooManyConnectionsError("sorry, too many clients already"),
         DbErrorKind.TOO_MANY),
        (ConnectionError('PostgreSQL server at "db:6543" rejected SSL upgrade'),
         DbErrorKind.TLS),
        (asyncpg.ConnectionDoesNotExistError("connection was closed"),
         DbErrorKind.CONNECTION_LOST),
    ],
)
def test_errors_are_classified_and_never_carry_the_password(
    exc: BaseException, kind: DbErrorKind
) -> None:
    error = translate_error(exc, parse_dsn(REMOTE), timeout=5)
    assert error.kind is kind
    assert SECRET not in str(error)
    assert "app@db.example.com:6543/main" in str(error)
