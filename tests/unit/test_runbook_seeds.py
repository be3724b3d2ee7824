"""The five seed runbooks import into the procedures a reader sees in them."""

from __future__ import annotations

import time

from tests.support.runbooks import procedure, seed, seed_path, texts
from tui.runbooks.importer import import_markdown


def test_seed_001_system_down_has_a_five_minute_first_phase_with_its_commands() -> None:
    outage = procedure(seed("001"), "System Down - Critical Outage")
    assert outage.title == "System Down - Critical Outage"  # mojibake emoji stripped
    assert outage.section == ("Emergency Procedures",)
    assert outage.severity == "P0"  # "Critical Outage" matches the scale's P0 name
    immediate = outage.phases[0]
    assert immediate.title == "Immediate Actions (0-5 minutes)"
    assert immediate.budget_seconds == 5 * 60
    first = immediate.steps[0]
    assert first.text == "Acknowledge the incident"
    assert [c.text for c in first.commands] == [
        "curl -f https://sentia-manufacturing.com/health",
        "railway status --environment production",
    ]
    assert [c.comment for c in first.commands] == ["Check system health", "Check Railway services"]
    assert [c.line for c in first.commands] == [26, 29]
    assert all(c.language == "bash" and c.runnable for c in first.commands)
    assess = immediate.steps[1]
    assert texts(assess.children) == [
        "Check error rates in monitoring dashboard",
        "Verify if database is accessible",
        "Check external API dependencies",
    ]
    rollback = immediate.steps[2]
    assert rollback.destructive_reason == "rollback"
    assert rollback.variables == ("DEPLOYMENT_ID",)
    communication = outage.phases[1]
    assert communication.title == "Communication (Within 10 minutes)"
    assert communication.budget_seconds == 600
    assert communication.steps == ()
    assert "🚨 CRITICAL" in communication.commands[0].text


def test_seed_001_escalation_matrix_has_four_severities_of_four_steps() -> None:
    matrix = [s for s in seed("001").escalation if s.title == "Alert Escalation Matrix"]
    assert [s.severity for s in matrix] == ["Critical", "High", "Medium", "Low"]
    critical = matrix[0]
    assert [(s.after_seconds, s.who) for s in critical.steps] == [
        (0, "On-call + Slack"), (900, "Engineering Lead"), (1800, "CTO"), (3600, "CEO"),
    ]
    assert [len(s.steps) for s in matrix] == [4, 3, 2, 1]  # "-" cells are not steps


def test_seed_001_internal_escalation_list_keeps_times_and_notes() -> None:
    internal = next(s for s in seed("001").escalation if s.title == "Internal Escalation")
    assert internal.severity == ""
    assert [(s.after_seconds, s.who, s.note) for s in internal.steps] == [
        (900, "Engineering Lead", ""), (1800, "VP Engineering", ""), (3600, "CTO", ""),
        (7200, "CEO", "P0 only"),
    ]


def test_seed_001_severity_scale_p0_to_p3_with_response_times() -> None:
    scale = seed("001").severity_scale
    assert [(lv.level, lv.name, lv.response_seconds) for lv in scale] == [
        ("P0", "Critical", 15 * 60), ("P1", "High", 3600),
        ("P2", "Medium", 4 * 3600), ("P3", "Low", 24 * 3600),
    ]
    assert "Security breach" in scale[0].examples


def test_seed_001_templates_with_placeholders_and_repaired_emoji() -> None:
    templates = {t.name: t for t in seed("001").templates}
    assert list(templates) == ["Initial Alert", "Status Update", "Resolution"]
    initial = templates["Initial Alert"]
    assert initial.text.startswith("🚨 **INCIDENT ALERT**")
    assert initial.placeholders == ("0-3", "Brief description", "username")
    filled = initial.fill({"Brief description": "checkout down", "username": "ana"})
    assert "**Impact**: checkout down" in filled and "@ana" in filled
    assert templates["Status Update"].text.startswith("📊")
    assert "[X minutes]" in templates["Resolution"].text


def test_seed_001_phased_incident_process_and_data_breach_budgets() -> None:
    runbook = seed("001")
    process = procedure(runbook, "Incident Response Process")
    assert [(p.title, p.budget_seconds) for p in process.phases] == [
        ("Initial Response (0-15 minutes)", 900),
        ("Investigation (15-60 minutes)", 3600),
        ("Resolution (varies)", None),
        ("Post-Incident (24-48 hours)", 48 * 3600),
    ]
    breach = procedure(runbook, "Data Breach Response")
    assert [p.budget_seconds for p in breach.phases] == [3600, 86400, 72 * 3600]


def test_seed_001_destructive_sql_and_force_are_flagged() -> None:
    runbook = seed("001")
    maintenance = procedure(runbook, "Database Maintenance")
    reasons = [c.destructive_reason for c in maintenance.commands()]
    assert reasons == ["", "REINDEX", "DELETE", "VACUUM FULL"]
    hotfix = procedure(runbook, "Hotfix Deployment")
    assert any(c.destructive_reason == "--force" for c in hotfix.commands())


def test_seed_001_skips_reference_sections_with_line_numbers() -> None:
    warnings = [str(w) for w in seed("001").warnings]
    assert "line 6: skipped 'Table of Contents': reference section, not a procedure" in warnings
    assert any(w.startswith("line 622: skipped 'Appendix'") for w in warnings)


def test_seed_003_p0_procedure_phases() -> None:
    p0 = procedure(seed("003"), "P0 - Critical Incident")
    assert p0.severity == "P0"
    assert [p.title for p in p0.phases] == [
        "Immediate Actions (< 5 minutes)", "Investigation (< 15 minutes)", "Resolution",
    ]
    assert [p.budget_seconds for p in p0.phases] == [300, 900, None]
    assert p0.phases[0].steps[1].text == "Check if service is responding (`/api/health/live`)"


def test_seed_003_mac_roman_mojibake_is_repaired_and_scale_read_from_labels() -> None:
    runbook = seed("003")
    monitoring = procedure(runbook, "Health Check Monitoring")
    assert monitoring.section == ("Monitoring & Alerts",)  # not "üìä Monitoring"
    assert [(lv.level, lv.name, lv.description) for lv in runbook.severity_scale] == [
        ("P0", "Critical", "Service Down"), ("P1", "High", "Partial Outage"),
        ("P2", "Medium", "Degraded Service"), ("P3", "Low", "Minor Issue"),
    ]
    service_down = procedure(runbook, "Service is Down")
    assert service_down.triggers[0] == "Health checks return 503 or timeout"
    assert [p.title for p in service_down.phases] == ["Quick Diagnosis", "Resolution Steps"]


def test_seed_003_checkbox_lists_become_plain_steps() -> None:
    checklist = procedure(seed("003"), "Security Checklist")
    assert checklist.phases[0].steps[0].text == "All API routes require authentication"
    assert checklist.step_count == 9


def test_seed_002_table_scale_commented_checklists_and_escalation_ranges() -> None:
    runbook = seed("002")
    first = runbook.severity_scale[0]
    assert (first.level, first.name, first.response_seconds, first.description) == (
        "P1", "Critical", 900, "Complete outage")
    morning = procedure(runbook, "Morning Checklist")
    steps = morning.phases[0].steps
    assert texts(steps)[:2] == ["Check system health", "Review overnight logs"]
    assert steps[1].commands[0].text.startswith("railway logs --service 9fd67b0e")
    assert steps[2].notes == ("Review Sentry dashboard for new errors",)
    path = next(s for s in runbook.escalation if s.title == "Escalation Path")
    assert [(s.after_seconds, s.who) for s in path.steps] == [
        (0, "On-call engineer"), (900, "Team lead"), (1800, "Engineering manager"),
        (3600, "CTO"),
    ]
    loading = procedure(runbook, "Application Not Loading")
    assert loading.triggers == ("White screen, 502 error",)
    assert {"service-id", "env", "domain"} <= {v.name for v in runbook.variables}


def test_seed_000_bold_labels_without_colon_are_procedures_of_their_own() -> None:
    runbook = seed("000")
    alert = procedure(runbook, "High Error Rate Alert")
    assert alert.section == ("Common Operations", "Monitoring & Alerts", "Common Alert Responses")
    assert alert.step_count == 5
    assert alert.phases[0].steps[4].destructive_reason == "rollback"
    renewal = procedure(runbook, "Certificate Renewal")
    inline = renewal.phases[0].steps[1].commands[0]
    assert inline.inline and inline.text.startswith("openssl s_client -connect")


def test_seed_004_fly_procedures_and_tier_escalation() -> None:
    runbook = seed("004")
    remediation = procedure(runbook, "Application Not Responding").phases[1]
    assert remediation.title == "Remediation"
    assert [c.destructive_reason for c in remediation.commands] == ["restart", "restart", "scale"]
    tiers = next(s for s in runbook.escalation if s.title == "Escalation Procedures")
    assert [s.who for s in tiers.steps] == ["On-Call Engineer", "Platform Team", "Security Team"]
    assert [v.name for v in runbook.variables] == ["app-name", "machine-id", "hostname"]


def test_all_five_seeds_import_in_under_a_second() -> None:
    texts_ = [seed_path(p).read_text(encoding="utf-8") for p in ("000", "001", "002", "003", "004")]
    started = time.perf_counter()
    runbooks = [import_markdown(t, f"seed{i}") for i, t in enumerate(texts_)]
    assert time.perf_counter() - started < 1.0
    assert all(len(r.procedures) >= 10 for r in runbooks)
