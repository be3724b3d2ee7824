"""Runbooks written for the tests: front matter, nesting, HTML, odd tables, CRLF, no headings."""

from __future__ import annotations

from tests.support.runbooks import md, procedure, texts
from tui.runbooks.importer import import_markdown

FRONT_MATTER = """\
---
title: Payments API
severity: P2
triggers: [checkout fails]
variables:
  app-name: the Fly app
  REGION: primary region
checks:
  Read the logs: "logs: production /error/ since 15m"
procedures:
  Checkout down:
    severity: P0
    triggers: [checkout returns 502, payment webhooks fail]
    checks:
      Probe checkout: "health: production"
colour: blue
---
# Ignored title

## Checkout down

1. Probe checkout
2. Read the logs for [app-name]
   check: db: connections

## Refund backlog

- Read the logs of the refund worker
"""


def test_front_matter_states_what_would_be_inferred_and_wins() -> None:
    runbook = md(FRONT_MATTER)
    assert runbook.title == "Payments API"
    checkout = procedure(runbook, "Checkout down")
    assert checkout.severity == "P0"
    assert checkout.triggers == ("checkout returns 502", "payment webhooks fail")
    probe, logs = checkout.phases[0].steps
    assert probe.check == "health: production"
    assert logs.check == "logs: production /error/ since 15m"  # front matter beats inline
    refunds = procedure(runbook, "Refund backlog")
    assert refunds.severity == "P2" and refunds.triggers == ("checkout fails",)
    assert refunds.phases[0].steps[0].check == "logs: production /error/ since 15m"
    declared = {v.name: v for v in runbook.variables}
    assert declared["app-name"].description == "the Fly app" and declared["app-name"].line == 23
    assert declared["REGION"].declared and declared["REGION"].line == 0
    assert [str(w) for w in runbook.warnings] == [
        "line 16: front matter key `colour` is not understood (known: title, description, "
        "severity, triggers, variables, checks, procedures)",
    ]
    assert checkout.line == 20  # line numbers still count the front matter


def test_broken_front_matter_is_a_warning_and_the_markdown_still_imports() -> None:
    runbook = md("---\nseverity: [P1\n---\n# T\n\n## Do it\n\n1. step one\n")
    assert procedure(runbook, "Do it").step_count == 1
    assert any("front matter is not valid YAML" in str(w) for w in runbook.warnings)
    unclosed = md("---\ntitle: x\n\n## Do it\n\n1. step\n")
    assert procedure(unclosed, "Do it").step_count == 1


def test_nested_lists_stay_nested_with_their_code_and_inline_commands() -> None:
    runbook = md(
        "# Deep\n\n## Recover\n\n"
        "1. Outer step\n"
        "   - Inner one: run `railway logs --service api`\n"
        "     1. Innermost with [service-id]\n"
        "        ```sh\n        railway restart --service [service-id]\n        ```\n"
        "   - Inner two\n"
        "2. - [x] Done box\n"
    )
    outer = procedure(runbook, "Recover").phases[0].steps[0]
    assert texts(outer.children) == ["Inner one: run `railway logs --service api`", "Inner two"]
    inner = outer.children[0]
    assert inner.commands[0].inline and inner.commands[0].text == "railway logs --service api"
    innermost = inner.children[0]
    assert innermost.commands[0].text == "railway restart --service [service-id]"
    assert innermost.destructive_reason == "restart"
    assert innermost.variables == ("service-id",)
    assert innermost.commands[0].line == 9
    second = procedure(runbook, "Recover").phases[0].steps[1]
    assert second.children[0].text == "Done box"


def test_code_after_a_list_belongs_to_its_last_step_and_otherwise_to_the_phase() -> None:
    runbook = md(
        "## Fix\n\n**Act (< 10 min):**\n\n```bash\nfly status -a [app-name]\n```\n\n"
        "1. Restart\n\n```bash\nfly apps restart [app-name]\n```\n"
    )
    phase = procedure(runbook, "Fix").phases[0]
    assert phase.title == "Act (< 10 min)" and phase.budget_seconds == 600
    assert [c.text for c in phase.commands] == ["fly status -a [app-name]"]
    assert [c.text for c in phase.steps[0].commands] == ["fly apps restart [app-name]"]


def test_html_blocks_are_skipped_with_a_warning_but_lists_inside_details_are_read() -> None:
    runbook = md(
        "## Check\n\n<details>\n<summary>More</summary>\n\n1. Look at <b>logs</b>\n\n"
        "</details>\n\n<!-- a comment is not reported -->\n"
    )
    assert procedure(runbook, "Check").phases[0].steps[0].text == "Look at logs"
    html = [w for w in runbook.warnings if "HTML" in w.message]
    assert [w.line for w in html] == [3, 8]


def test_tables_without_header_row_or_delimiter() -> None:
    headerless = md(
        "## Severity\n\n|  |  |  |\n|--|--|--|\n| P1 - Critical | Site down | 15 minutes |\n"
        "| P2 - High | Feature broken | 1 hour |\n"
    )
    assert [(lv.level, lv.name, lv.description, lv.response_seconds)
            for lv in headerless.severity_scale] == [
        ("P1", "Critical", "Site down", 900), ("P2", "High", "Feature broken", 3600),
    ]
    data_as_header = md("## Severity\n\n| P0 | Critical | 5 min |\n|---|---|---|\n"
                        "| P1 | High | 30 min |\n")
    assert [lv.level for lv in data_as_header.severity_scale] == ["P0", "P1"]
    no_delimiter = md("## Respond\n\n| a | b |\n| c | d |\n\n1. step\n")
    assert any("without a delimiter row" in w.message for w in no_delimiter.warnings)


def test_severity_table_reads_its_name_and_description_columns() -> None:
    runbook = md(
        "## Severity Levels\n\n| Level | Name | Response time | Meaning |\n|---|---|---|---|\n"
        "| P0 | Critical | 15 minutes | Production is down |\n"
        "| P1 | High | 1 hour | A core feature is broken |\n"
        "| P2 - Medium | Ignored | 4 hours | Degraded |\n"
    )
    assert [(lv.level, lv.name, lv.description, lv.response_seconds)
            for lv in runbook.severity_scale] == [
        ("P0", "Critical", "Production is down", 900),
        ("P1", "High", "A core feature is broken", 3600),
        ("P2", "Medium", "Degraded", 14400),
    ]


def test_escalation_table_without_times_is_kept_in_order_with_a_warning() -> None:
    runbook = md("## Escalation\n\n| Severity | First | Then |\n|---|---|---|\n"
                 "| Critical | On-call | CTO |\n")
    assert [(s.after_seconds, s.who) for s in runbook.escalation[0].steps] == [
        (None, "On-call"), (None, "CTO"),
    ]
    assert any("without times" in w.message for w in runbook.warnings)


def test_crlf_and_lone_cr_give_the_same_runbook_as_lf() -> None:
    text = "# T\n\n## Go\n\n**Now (0-5 minutes):**\n1. one\n   ```bash\n   curl x\n   ```\n2. two\n"
    lf = md(text)
    assert md(text.replace("\n", "\r\n")) == lf
    assert md(text.replace("\n", "\r")) == lf
    assert lf.procedures[0].phases[0].budget_seconds == 300


def test_no_headings_at_all_is_one_procedure_named_after_the_file() -> None:
    runbook = import_markdown("1. Check health\n   check: health: production\n2. Page someone\n",
                              "/tmp/oncall-steps.md")
    assert runbook.title == "oncall-steps"
    (only,) = runbook.procedures
    assert only.title == "oncall-steps"
    assert only.phases[0].steps[0].check == "health: production"
    assert runbook.warnings == ()


def test_invalid_live_checks_and_unclosed_fences_are_reported_with_lines() -> None:
    runbook = md("## Go\n\n1. Look\n   check: disk: full\n2. Run\n   ```bash\n   curl x\n")
    messages = {w.line: w.message for w in runbook.warnings}
    assert messages[4].startswith("unknown live check 'disk: full'")
    assert messages[6] == "code block is never closed: read to the end of the file"


def test_untrusted_text_is_sanitised_everywhere() -> None:
    evil = "\x1b]52;c;ZXZpbA==\x07"
    runbook = md(f"# T{evil}\n\n## Go{evil}\n\n1. step {evil}\n"
                 f"   ```bash\n   echo {evil}\n   ```\n")
    step = runbook.procedures[0].phases[0].steps[0]
    for text in (runbook.title, runbook.procedures[0].title, step.text, step.commands[0].text):
        assert "\x1b" not in text and "\x07" not in text
        assert "␛" in text


def test_markdown_links_and_checkboxes_are_not_variables() -> None:
    runbook = md("## Go\n\n- [ ] Open [the dashboard](https://x.example/[id]) for [env]\n"
                 "- [x] `echo $HOME ${TARGET:-a} '$NOT'`\n")
    first, second = runbook.procedures[0].phases[0].steps
    assert first.text == "Open the dashboard <https://x.example/%5Bid%5D> for [env]"
    assert first.variables == ("env",)
    assert second.variables == ("HOME", "TARGET")
