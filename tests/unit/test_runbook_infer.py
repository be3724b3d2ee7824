"""The plain-word rules: budgets, durations, variables, danger, checks, mojibake."""

from __future__ import annotations

import pytest

from tui.runbooks import infer
from tui.runbooks.model import format_duration, parse_check


@pytest.mark.parametrize(("label", "seconds"), [
    ("Immediate Actions (0-5 minutes)", 300),
    ("Within 10 minutes", 600),
    ("Investigation (< 15 minutes)", 900),
    ("Within 1 Hour", 3600),
    ("Investigation (15-60 minutes)", 3600),
    ("Post-Mortem (Within 48 hours)", 48 * 3600),
    ("Watch for errors (15 min)", 900),
    ("Mitigation (30+ minutes)", None),
    ("Monthly Maintenance (First Sunday, 2-4 AM EST)", None),
    ("Resolution (varies)", None),
])
def test_phase_budget(label: str, seconds: int | None) -> None:
    assert infer.phase_budget(label) == seconds


def test_step_budget_also_reads_for_n_minutes_but_not_in_advance() -> None:
    assert infer.step_budget("Monitor for 30 minutes") == 1800
    assert infer.step_budget("Announce 24h in advance") is None


@pytest.mark.parametrize(("text", "entry"), [
    ("Engineering Lead: 15 minutes", (900, "Engineering Lead", "")),
    ("CEO: 2 hours (P0 only)", (7200, "CEO", "P0 only")),
    ("On-call engineer (0-15 min)", (0, "On-call engineer", "")),
    ("CTO (60+ min)", (3600, "CTO", "")),
    ("L1: On-call engineer (PagerDuty)", (None, "On-call engineer (PagerDuty)", "")),
])
def test_escalation_entries(text: str, entry: tuple[int | None, str, str]) -> None:
    assert infer.escalation_entry(text) == entry


def test_variables_in_order_once_without_checkboxes_or_awk_fields() -> None:
    text = "railway rollback [DEPLOYMENT_ID] $DATABASE_URL ${REGION:-eu} [ ] [x] [DEPLOYMENT_ID]"
    assert infer.find_variables(text) == ["DEPLOYMENT_ID", "DATABASE_URL", "REGION"]
    assert infer.find_variables("awk '$NF > 1000' $LOG", shell=True) == ["LOG"]
    assert infer.find_variables("$(date +%s) $1 $lower") == []
    assert infer.find_placeholders("**Lead**: @[username] P[0-3] [Brief description]") == [
        "username", "0-3", "Brief description",
    ]


@pytest.mark.parametrize(("text", "reason"), [
    ("railway rollback [DEPLOYMENT_ID]", "rollback"),
    ("DROP TABLE users;", "DROP"),
    ("TRUNCATE audit_logs;", "TRUNCATE"),
    ("VACUUM FULL;", "VACUUM FULL"),
    ("REINDEX DATABASE app;", "REINDEX"),
    ("rm -rf /var/lib/app", "rm -rf"),
    ("railway deploy --force", "--force"),
    ("railway down", "destroy"),
    ("fly apps destroy my-app", "destroy"),
    ("SELECT pg_terminate_backend(42);", "terminate"),
    ("fly scale count 0 -a app", "scale"),
    ("Restart services if needed", "restart"),
    ("pg_restore --list backup.sql", ""),
    ("Check the deploy history", ""),
])
def test_destructive_reason(text: str, reason: str) -> None:
    assert infer.destructive_reason(text, command=True) == reason


def test_removing_is_destructive_only_in_commands() -> None:
    assert infer.destructive_reason("fly certs remove api.example.com", command=True) == "remove"
    assert infer.destructive_reason("Remove the maintenance page") == ""


def test_mojibake_from_cp1252_and_mac_roman_is_repaired_and_lines_are_kept() -> None:
    text = "### ðŸš¨ Down\n## \uf8ffüìö Contents\n## ‚ö° Perf\nSettings → Database\ncafé"
    assert infer.repair_mojibake(text) == (
        "### 🚨 Down\n## 📚 Contents\n## ⚡ Perf\nSettings → Database\ncafé"
    )
    assert infer.repair_mojibake("a\x1b[2Jb\r\n") == "a\x1b[2Jb\r\n"  # escapes kept for sanitize


def test_titles_lose_emoji_numbering_and_issue_prefixes() -> None:
    assert infer.clean_title("🚨 System Down - Critical Outage") == "System Down - Critical Outage"
    assert infer.clean_title("1. Initial Response (0-15 minutes)") == (
        "Initial Response (0-15 minutes)")
    assert infer.procedure_title("Issue 3: High Memory Usage") == "High Memory Usage"


def test_live_checks_parse_and_reject_what_no_pane_can_show() -> None:
    logs = parse_check("logs: production /error|exception|failed/ since 15m")
    assert (logs.kind, logs.target, logs.pattern, logs.since_seconds) == (
        "logs", "production", "error|exception|failed", 900)
    assert parse_check("db: slow-queries").target == "slow-queries"
    assert parse_check("tls: api.example.com").target == "api.example.com"
    assert parse_check("health: production").kind == "health"
    for bad in ("disk: full", "db: everything", "logs: production /(/", "health:",
                "logs: production since soon"):
        with pytest.raises(ValueError):
            parse_check(bad)


def test_format_duration() -> None:
    assert [format_duration(s) for s in (45, 300, 3600, 5400, 86400)] == [
        "45 s", "5 min", "1 h", "1 h 30 min", "1 d"]
