"""`onduty init --from-runbook`: a config drafted from a runbook, every value marked for review."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from tests.support.runbooks import seed_path
from tui.cli import main
from tui.config import Config, parse_config
from tui.errors import OnDutyError
from tui.init import draft_config, read_runbook_text, run_init

SEEDS = ("000", "001", "002", "003", "004")


def drafted(key: str) -> tuple[str, Config]:
    path = seed_path(key)
    text = draft_config(read_runbook_text(path), path).render()
    return text, parse_config(text, Path("draft.toml"))


def review_lines(text: str) -> list[tuple[int, str]]:
    """(runbook line, quoted text) of every REVIEW comment."""
    return [(int(n), quoted) for n, quoted in
            re.findall(r"# REVIEW: line (\d+): (.*)", text)]


@pytest.mark.parametrize("key", SEEDS)
def test_every_seed_drafts_a_config_that_loads_and_cites_real_lines(key: str) -> None:
    text, config = drafted(key)
    assert config.environments
    runbook = seed_path(key).read_text(encoding="utf-8").split("\n")
    reviews = review_lines(text)
    assert reviews
    for number, quoted in reviews:
        source = " ".join(runbook[number - 1].split())
        assert quoted.rstrip("…")[:40] in source or quoted.startswith(source[:40]), (
            number, quoted)
    values = [line for line in text.splitlines()
              if re.match(r"^(base_url|path|url|command|database) =", line)]
    previous = text.splitlines()
    for value in values:
        index = previous.index(value)
        assert any(line.startswith("# REVIEW: line") for line in previous[index - 9:index]), value
    assert config.runbook_paths == (seed_path(key).resolve(),)


def test_capacity_planner_health_urls_logs_and_database() -> None:
    _, config = drafted("000")
    env = config.environment("production")
    assert env.base_url == "https://api.capacity-planner.com"
    assert [h.url for h in env.health] == ["https://api.capacity-planner.com/health",
                                           "https://api.capacity-planner.com/health/detailed"]
    assert [s.command for s in env.logs] == [("railway", "logs", "--service", "gateway")]
    assert env.database_secret == "production/database_url"


def test_sentia_staging_from_its_url_and_thresholds_from_the_metrics_block() -> None:
    text, config = drafted("001")
    assert [e.name for e in config.environments] == ["production", "staging"]
    assert config.environment("staging").health[0].url == (
        "https://staging.sentia-manufacturing.com/health")
    production = config.environment("production")
    assert [s.command for s in production.logs] == [("railway", "logs", "--follow")]
    t = production.thresholds
    assert (t.latency_warn_ms, t.latency_critical_ms, t.memory_warn_pct) == (2000, 3000, 85)
    assert "Disk Usage: < 80% (Alert at 90%)" in text  # listed as not drafted
    assert "| grep ERROR" in text  # the runbook's filter, named next to the source


def test_capliquify_environments_service_ids_and_health_urls() -> None:
    text, config = drafted("002")
    ids = {"production": "9fd67b0e-7883-4973-85a5-639d9513d343",
           "testing": "92f7cd2f-3dc7-44f4-abd9-1714003c389f",
           "development": "e985e174-ebed-4043-81f8-7b1ab2e86cd2"}
    assert [e.name for e in config.environments] == ["production", "testing", "development"]
    for env in config.environments:
        assert env.health[0].url == (
            f"https://sentia-manufacturing-{env.name}.up.railway.app/api/health")
        assert env.logs[0].command == ("railway", "logs", "--service", ids[env.name],
                                       "--environment", env.name, "--follow")
    assert "https://[domain]/api/health" in text  # left out, and said so
    assert "DOMAIN" not in "".join(h.url for e in config.environments for h in e.health)


def test_eden_erp_endpoint_table_interval_and_alert_thresholds() -> None:
    text, config = drafted("003")
    env = config.environment("production")
    assert {h.url.removeprefix("https://your-app.repl.co") for h in env.health} == {
        "/health", "/api/health/quick", "/api/health/detailed", "/api/health/live",
        "/api/health/ready", "/api/health/metrics", "/api/health/status", "/db/ping"}
    quick = next(h for h in env.health if h.url.endswith("/quick"))
    assert quick.interval == 60
    t = env.thresholds
    assert (t.latency_warn_ms, t.latency_critical_ms, t.p95_warn_ms, t.p95_critical_ms,
            t.error_rate_warn_pct, t.error_rate_critical_pct, t.memory_warn_pct,
            t.memory_critical_pct, t.failures_before_down) == (1000, 2000, 2000, 5000, 1, 5,
                                                               75, 90, 3)
    assert "| Service downtime | > 1 min | > 5 min |" in text
    assert "No log command was found" in text


def test_fly_template_placeholders_become_visible_names() -> None:
    text, config = drafted("004")
    assert [e.name for e in config.environments] == ["production"]
    env = config.environment("production")
    assert env.base_url == "https://APP-NAME.fly.dev"
    assert env.logs[0].command == ("fly", "logs", "-a", "APP-NAME")
    assert (env.thresholds.latency_warn_ms, env.thresholds.memory_warn_pct) == (500, 70)
    assert "Replace the runbook's placeholders: APP-NAME." in text
    assert "| CPU usage | > 70% | > 90% |" in text


def test_commands_from_other_tools_are_drafted_with_a_follow_flag(tmp_path: Path) -> None:
    runbook = tmp_path / "k8s.md"
    runbook.write_text(
        "# Runbook\n\n```bash\nkubectl logs deploy/api -n staging --tail 50 | grep -i error\n"
        "journalctl -u api.service --since 1h\ncurl -X POST https://api.example.com/health\n"
        "curl https://api.example.com/healthz\n```\n", encoding="utf-8")
    draft = draft_config(read_runbook_text(runbook), runbook)
    config = parse_config(draft.render(), Path("x.toml"))
    assert config.environment("staging").logs[0].command == (
        "kubectl", "logs", "deploy/api", "-n", "staging", "-f")
    production = config.environment("production")
    assert production.logs[0].command == ("journalctl", "-u", "api.service", "-f")
    assert [h.url for h in production.health] == ["https://api.example.com/healthz"]


def test_a_runbook_with_nothing_to_draft_still_gives_a_loading_file(tmp_path: Path) -> None:
    runbook = tmp_path / "empty.md"
    runbook.write_text("# Notes\n\nCall Bob.\n", encoding="utf-8")
    text = draft_config(read_runbook_text(runbook), runbook).render()
    assert "No health URL, log command or environment was found" in text
    assert parse_config(text, Path("x.toml")).environments == ()


def test_hostile_text_in_a_runbook_stays_inside_comments(tmp_path: Path) -> None:
    runbook = tmp_path / "evil.md"
    runbook.write_text('# R\n\n- Health: https://api.example.com/health \x1b]0;x\x07"\n]\n',
                       encoding="utf-8")
    text = draft_config(read_runbook_text(runbook), runbook).render()
    assert "\x1b" not in text and "\x07" not in text
    assert parse_config(text, Path("x.toml")).environment("production").health


def test_cli_prints_writes_and_never_overwrites_without_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runbook = seed_path("004")
    assert main(["init", "--from-runbook", str(runbook)]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("# onduty config drafted from")
    output = tmp_path / "conf" / "onduty.toml"
    assert main(["init", "--from-runbook", str(runbook), "--output", str(output)]) == 0
    assert output.read_text(encoding="utf-8") == printed
    assert "wrote" in capsys.readouterr().err
    output.write_text("# mine\n", encoding="utf-8")
    assert main(["init", "--from-runbook", str(runbook), "--output", str(output)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert output.read_text(encoding="utf-8") == "# mine\n"
    assert main(["init", "--from-runbook", str(runbook), "-o", str(output), "--force"]) == 0
    assert output.read_text(encoding="utf-8") == printed


def test_cli_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", "--from-runbook", str(tmp_path / "missing.md")]) == 2
    assert "cannot read runbook" in capsys.readouterr().err
    with pytest.raises(OnDutyError, match="is a directory"):
        run_init(seed_path("000"), tmp_path, force=True, out=io.StringIO(), err=io.StringIO())
