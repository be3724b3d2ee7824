"""The config model: valid files load; every mistake names file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.config import ConfigError, Thresholds, load_config, parse_config, parse_duration
from tui.paths import config_path

GOOD = """
bell = false

[environments.production]
base_url = "https://api.example.com"
database = "production/database_url"
db_poll_interval = "5s"

[environments.production.thresholds]
latency_warn_ms = 800

[[environments.production.health]]
path = "/health"
interval = "15s"

[[environments.production.health]]
name = "ready"
url = "https://api.example.com/api/health/ready"
auth = "production/api_token"
conditions = ["status == 200"]

[[environments.production.logs]]
command = ["railway", "logs", "--follow"]

[[environments.production.logs]]
name = "app"
file = "/var/log/app.log"

[environments.staging]
base_url = "https://staging.example.com"

[runbooks]
paths = ["~/runbooks"]

[keys]
"logs.pause" = "p"
"""


def parse(text: str):
    return parse_config(text, Path("/etc/onduty/config.toml"))


def error_of(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        parse(text)
    return str(caught.value)


def test_a_full_config_loads_into_the_typed_model() -> None:
    config = parse(GOOD)
    prod = config.environment("production")
    assert [e.name for e in config.environments] == ["production", "staging"]
    assert prod.health[0].url == "https://api.example.com/health"
    assert prod.health[0].interval == 15.0
    assert prod.health[1].name == "ready"
    assert prod.health[1].auth_secret == "production/api_token"
    assert prod.database_secret == "production/database_url"
    assert prod.db_poll_interval == 5.0
    assert prod.thresholds.latency_warn_ms == 800
    assert prod.thresholds.latency_critical_ms == Thresholds().latency_critical_ms
    assert prod.logs[0].command == ("railway", "logs", "--follow")
    assert prod.logs[0].name == "railway"
    assert prod.logs[1].kind == "file"
    assert config.bell is False
    assert config.runbook_paths[0].name == "runbooks"
    assert dict(config.keys) == {"logs.pause": "p"}


def test_an_unknown_key_is_rejected_with_line_and_suggestion() -> None:
    text = GOOD.replace('interval = "15s"', 'intervall = "15s"')
    message = error_of(text)
    line = text.splitlines().index('intervall = "15s"') + 1
    assert message.startswith(f"/etc/onduty/config.toml:{line}: ")
    assert "environments.production.health[0].intervall" in message
    assert "did you mean 'interval'" in message


def test_a_wrong_type_names_the_key_and_what_is_expected() -> None:
    text = GOOD.replace("latency_warn_ms = 800", 'latency_warn_ms = "fast"')
    message = error_of(text)
    line = text.splitlines().index('latency_warn_ms = "fast"') + 1
    assert f"config.toml:{line}:" in message
    assert "environments.production.thresholds.latency_warn_ms" in message
    assert "expected a number" in message


def test_a_secret_value_instead_of_a_name_is_refused() -> None:
    text = GOOD.replace('"production/database_url"', '"postgres://u:hunter2@db/app"')
    message = error_of(text)
    assert "environments.production.database" in message
    assert "NAME of a secret" in message


def test_the_incident_webhook_is_a_secret_name_never_a_url() -> None:
    assert parse(GOOD).incident_webhook is None
    config = parse('[incidents]\nwebhook = "team/slack_webhook"\n')
    assert config.incident_webhook == "team/slack_webhook"
    message = error_of('[incidents]\nwebhook = "https://hooks.slack.com/services/T0/B0/xyz"\n')
    assert "incidents.webhook" in message and "NAME of a secret" in message
    assert "hooks.slack.com" not in message


def test_credentials_in_a_url_are_refused() -> None:
    message = error_of(GOOD.replace("https://api.example.com\"", "https://u:p@api.example.com\""))
    assert "credentials do not belong in a URL" in message


def test_a_toml_syntax_error_names_the_file_and_line() -> None:
    message = error_of("[environments.production\nbase_url = 1\n")
    assert message.startswith("/etc/onduty/config.toml: ")
    assert "line 1" in message


def test_a_string_command_needs_shell_true() -> None:
    bad = '[environments.p]\n[[environments.p.logs]]\ncommand = "railway logs | grep x"\n'
    assert "shell = true" in error_of(bad)
    ok = bad + "shell = true\n"
    assert parse(ok).environments[0].logs[0].shell is True


def test_interval_below_one_second_is_refused() -> None:
    bad = GOOD.replace('interval = "15s"', 'interval = "200ms"')
    assert "at least 1s" in error_of(bad)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [(30, 30.0), ("30s", 30.0), ("500ms", 0.5), ("2m", 120.0), ("1h", 3600.0), ("x", None),
     (True, None)],
)
def test_durations(value: object, seconds: float | None) -> None:
    assert parse_duration(value) == seconds


def test_missing_file_is_an_empty_config(tmp_path: Path) -> None:
    config = load_config(tmp_path / "none.toml")
    assert config.environments == ()
    assert config.path == tmp_path / "none.toml"


def test_config_path_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ONDUTY_CONFIG", str(tmp_path / "env.toml"))
    assert config_path(None) == tmp_path / "env.toml"
    assert config_path(str(tmp_path / "flag.toml")) == tmp_path / "flag.toml"
    monkeypatch.delenv("ONDUTY_CONFIG")
    assert config_path(None).name == "config.toml"
    assert "onduty" in str(config_path(None))
