"""The configs in examples/: one per seed system, each loading cleanly and saying what it needs."""

from __future__ import annotations

import re

import pytest

from tests.support.seeds import EXAMPLE_FOR, EXAMPLES, example
from tui.config import Config

SEED_OF = {name: key for key, name in EXAMPLE_FOR.items()}


def header(name: str) -> str:
    """The comment block at the top of an example."""
    lines = (EXAMPLES / name).read_text(encoding="utf-8").splitlines()
    return "\n".join(line for line in lines[: next(i for i, line in enumerate(lines)
                                                   if not line.startswith("#"))])


def secrets(config: Config) -> set[str]:
    names = {env.database_secret for env in config.environments if env.database_secret}
    names |= {h.auth_secret for env in config.environments for h in env.health if h.auth_secret}
    return names


def test_there_is_one_example_per_seed() -> None:
    assert sorted(p.name for p in EXAMPLES.glob("*.toml")) == sorted(EXAMPLE_FOR.values())


@pytest.mark.parametrize("name", sorted(EXAMPLE_FOR.values()))
def test_each_example_loads_and_its_header_names_its_seed_and_secrets(name: str) -> None:
    config = example(SEED_OF[name])
    assert config.environments and all(env.health for env in config.environments)
    assert all(env.logs for env in config.environments)
    assert config.runbook_paths, "the runbook's procedures come from its folder"
    top = header(name)
    assert f"seed runbook {SEED_OF[name]}" in top
    announced = set(re.findall(r"onduty secret set (\S+)", top))
    assert announced == secrets(config)
    text = (EXAMPLES / name).read_text(encoding="utf-8")
    assert not re.search(r"postgres(ql)?://|password\s*=|Bearer ", text, re.I)


def test_capacity_planner_uses_the_runbooks_names() -> None:
    env = example("000").environment("production")
    assert env.base_url == "https://api.capacity-planner.com"
    assert [h.url for h in env.health] == ["https://api.capacity-planner.com/health",
                                           "https://api.capacity-planner.com/health/detailed"]
    assert env.logs[0].command == ("railway", "logs", "--service", "gateway")


def test_sentia_has_staging_and_production_with_the_key_metrics() -> None:
    config = example("001")
    assert [e.name for e in config.environments] == ["production", "staging"]
    for env in config.environments:
        t = env.thresholds
        assert (t.latency_warn_ms, t.latency_critical_ms) == (2000, 3000)
        assert (t.error_rate_warn_pct, t.error_rate_critical_pct) == (1, 5)
        assert (t.memory_warn_pct, t.memory_critical_pct) == (85, 95)
        assert env.health[0].url == f"{env.base_url}/health"


def test_capliquify_has_three_environments_with_their_service_ids() -> None:
    config = example("002")
    ids = {"production": "9fd67b0e-7883-4973-85a5-639d9513d343",
           "testing": "92f7cd2f-3dc7-44f4-abd9-1714003c389f",
           "development": "e985e174-ebed-4043-81f8-7b1ab2e86cd2"}
    for env in config.environments:
        assert env.health[0].url == (
            f"https://sentia-manufacturing-{env.name}.up.railway.app/api/health")
        command = env.logs[0].command
        assert command[command.index("--service") + 1] == ids[env.name]
        assert command[command.index("--environment") + 1] == env.name


def test_eden_erp_probes_all_eight_endpoints_with_the_alert_thresholds() -> None:
    env = example("003").environment("production")
    paths = {h.url.removeprefix(env.base_url or "") for h in env.health}
    assert paths == {"/health", "/api/health/quick", "/api/health/detailed", "/api/health/live",
                     "/api/health/ready", "/api/health/metrics", "/api/health/status",
                     "/db/ping"}
    quick = next(h for h in env.health if h.url.endswith("/quick"))
    assert quick.interval == 60
    t = env.thresholds
    assert (t.latency_warn_ms, t.latency_critical_ms, t.p95_warn_ms, t.p95_critical_ms) == (
        1000, 2000, 2000, 5000)
    assert (t.memory_warn_pct, t.memory_critical_pct, t.failures_before_down) == (75, 90, 3)


def test_fly_template_reads_fly_logs_and_the_threshold_table() -> None:
    env = example("004").environment("production")
    assert env.logs[0].command == ("fly", "logs", "-a", "your-app")
    assert env.base_url == "https://your-app.fly.dev"
    t = env.thresholds
    assert (t.latency_warn_ms, t.latency_critical_ms, t.memory_warn_pct) == (500, 2000, 70)


def test_the_readme_walks_through_an_example_that_exists() -> None:
    readme = (EXAMPLES.parent / "README.md").read_text(encoding="utf-8")
    named = re.findall(r"examples/([a-z-]+\.toml)", readme)
    assert named, "README.md walks through one of the examples"
    for name in named:
        assert (EXAMPLES / name).is_file(), name
