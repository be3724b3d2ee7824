"""run_check (`onduty check`): Nagios exit codes, the table and JSON, URLs without config."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pytest

from tests.support.http import LocalServer, json_reply, text_reply
from tui.config import Config, Environment, HealthEndpoint, Thresholds
from tui.errors import OnDutyError
from tui.health.check import run_check
from tui.health.client import ProxyRoutes

DIRECT = ProxyRoutes()


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    routes = {
        "/ok": json_reply('{"status":"ok"}'),
        "/slow-p95": json_reply('{"status":"ok","responseTime":{"p95":3000}}'),
        "/ready": json_reply(
            '{"status":"fail","checks":{"database":[{"status":"fail","output":"timeout"}]}}',
            503),
        "/odd": text_reply("moved", 300),
    }
    with LocalServer(routes) as running:
        yield running


async def check(server: LocalServer, *paths: str, as_json: bool = False) -> tuple[int, str]:
    out = io.StringIO()
    code = await run_check(Config(), env=None, urls=[server.url(p) for p in paths],
                           as_json=as_json, out=out, routes=DIRECT)
    return code, out.getvalue()


@pytest.mark.parametrize(
    ("paths", "code"),
    [(("/ok",), 0), (("/ok", "/slow-p95"), 1), (("/ok", "/ready"), 2), (("/ok", "/odd"), 3),
     (("/odd", "/slow-p95"), 1), (("/odd", "/ready", "/slow-p95"), 2)],
)
async def test_nagios_exit_codes_worst_decides(server: LocalServer, paths: tuple[str, ...],
                                               code: int) -> None:
    assert (await check(server, *paths))[0] == code


async def test_table_names_failing_sub_checks(server: LocalServer) -> None:
    code, text = await check(server, "/ok", "/ready")
    lines = text.splitlines()
    assert code == 2
    assert lines[0].split() == ["VERDICT", "ENDPOINT", "STATUS", "LATENCY", "REASON"]
    assert lines[1].startswith("HEALTHY") and "200 from /ok" in lines[1]
    assert lines[2].startswith("DOWN") and "503 from /ready: database check failed (timeout)" in (
        lines[2])
    assert lines[3] == "  - database: down (timeout)"
    assert lines[-1] == "2 endpoints: 1 healthy, 1 down -> CRITICAL (exit 2)"


async def test_json_report(server: LocalServer) -> None:
    code, text = await check(server, "/slow-p95", as_json=True)
    report = json.loads(text)
    assert (code, report["status"], report["exit_code"]) == (1, "WARNING", 1)
    (result,) = report["results"]
    assert result["verdict"] == "degraded"
    assert result["metrics"] == {"p95_ms": 3000.0}
    assert {"name": "p95", "verdict": "degraded", "detail": "p95 3000 ms (> 2000 ms)"} in (
        result["checks"])
    assert result["route"] == "direct"


async def test_config_endpoints_per_environment(server: LocalServer) -> None:
    config = Config(environments=(
        Environment("prod", health=(HealthEndpoint("ready", server.url("/ready")),)),
        Environment("staging", health=(HealthEndpoint("ok", server.url("/ok")),),
                    thresholds=Thresholds(latency_warn_ms=0.001, latency_critical_ms=10_000)),
    ))
    out = io.StringIO()
    assert await run_check(config, env="staging", urls=[], as_json=False, out=out,
                           routes=DIRECT) == 1
    assert "staging/ok" in out.getvalue()
    everything = io.StringIO()
    assert await run_check(config, env=None, urls=[], as_json=False, out=everything,
                           routes=DIRECT) == 2
    assert "prod/ready" in everything.getvalue()


async def test_user_errors_are_ondutyerrors() -> None:
    with pytest.raises(OnDutyError, match="not an http:// or https:// URL"):
        await run_check(Config(), env=None, urls=["ftp://x"], as_json=False, out=io.StringIO())
    with pytest.raises(OnDutyError, match="no health endpoints"):
        await run_check(Config(), env=None, urls=[], as_json=False, out=io.StringIO())
    with pytest.raises(OnDutyError, match="no environment named"):
        await run_check(Config(), env="nope", urls=[], as_json=False, out=io.StringIO())
