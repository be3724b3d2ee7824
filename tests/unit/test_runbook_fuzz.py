"""The importer never raises, whatever Markdown-ish text it is given."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui.runbooks.importer import import_markdown
from tui.runbooks.model import Runbook

_PIECES = st.sampled_from([
    "# ", "## ", "### ", "#### ", "- ", "* ", "1. ", "2) ", "- [ ] ", "- [x] ", "   ", "\t",
    "```", "```bash\n", "~~~", "> ", "| a | b |\n", "|---|---|\n", "| P0 | 15 min |\n",
    "**", "**Immediate Actions (0-5 minutes):**\n", "**Symptoms:**\n", "`", "[app-name]",
    "$DATABASE_URL", "${X", "[x]", "<details>", "</div>", "<!--", "---\n", "...\n",
    "check: logs: production /(/ since 1x\n", "check: health: production\n",
    "\n", "\r\n", "\r", "\x00", "\x1b]52;c;AAAA\x07", "\u202e", "ðŸš¨", "\uf8ffüìö",
    "P1 - Critical (15 min response)", "Engineering Lead: 15 minutes", "rollback",
    "Within 1 Hour", "Escalation", "Templates", "Severity", "&amp;", "\\", "[a](b)",
    "---\ntitle: [\n", "---\nprocedures: {a: 1}\nchecks: [1]\n---\n",
])
_TEXT = st.lists(st.one_of(_PIECES, st.text(max_size=12)), max_size=60).map("".join)


def _check_runbook(runbook: Runbook) -> None:
    assert isinstance(runbook, Runbook)
    assert not any("internal error" in w.message for w in runbook.warnings), runbook.warnings
    for procedure in runbook.procedures:
        for step in procedure.steps():
            assert "\x1b" not in step.text and "\x00" not in step.text
        assert procedure.step_count >= 0


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_TEXT)
def test_importer_never_raises_on_markdownish_text(text: str) -> None:
    _check_runbook(import_markdown(text, "fuzz.md"))


def test_importer_survives_huge_nesting_and_unclosed_fences() -> None:
    nested_lists = "".join("  " * i + "- item\n" for i in range(400))
    nested_quotes = "> " * 2000 + "deep\n"
    unclosed = "## A\n\n1. x\n   ```bash\n   rm -rf /\n" + "line\n" * 2000
    brackets = "## B\n\n- " + "[" * 5000 + "\n"
    for text in (nested_lists, nested_quotes, unclosed, brackets):
        _check_runbook(import_markdown(text, "big.md"))
