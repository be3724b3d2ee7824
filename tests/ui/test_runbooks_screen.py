"""The runbooks screen (key 6): bundled and configured runbooks, search, read, start."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import OptionList, Select, Static

from tests.support.incident_ui import make_app, screen_text, started
from tests.support.incidents import wait_for

TEAM_RUNBOOK = """# Team Runbook

## Queue Backlog [urgent]

**Drain (0-10 minutes):**
1. Count the jobs waiting.
   ```bash
   redis-cli -u $REDIS_URL llen [queue-name]
   ```
"""


async def test_runbooks_screen_lists_searches_reads_and_starts_an_incident(
        tmp_path: Path) -> None:
    folder = tmp_path / "team"
    folder.mkdir()
    (folder / "queue.md").write_text(TEAM_RUNBOOK, encoding="utf-8")
    app = make_app(tmp_path, runbooks=folder)
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app)
        await pilot.press("6")
        assert app.current_mode == "runbooks"
        listing = app.screen.query_one("#runbooks-list", OptionList)
        await wait_for(lambda: listing.option_count > 20, message="the library listed")
        text = screen_text(app)
        assert "Service Down  bundled" in text
        assert "Team Runbook  configured" in text

        await pilot.press("slash")
        await pilot.press(*"tls")
        await wait_for(lambda: listing.option_count == 2, message="the search to filter")
        detail = str(app.screen.query_one("#runbooks-text", Static).render())
        assert "TLS Certificate Expiring or Invalid" in detail
        assert "Inspect (0-10 minutes)  budget 10 min" in detail
        assert "● live check: tls: " in detail
        assert "Severity scale (from the incident response runbook)" in detail
        await pilot.press("escape")
        await wait_for(lambda: listing.option_count > 20, message="the search cleared")

        await pilot.press("slash")
        await pilot.press(*"queue")
        await wait_for(lambda: listing.option_count == 2)
        detail = str(app.screen.query_one("#runbooks-text", Static).render())
        assert "Queue Backlog [urgent]" in detail  # brackets from the file, literally
        assert "$ redis-cli -u $REDIS_URL llen [queue-name]" in detail
        assert "Variables  " in detail and "[queue-name]" in detail
        await pilot.press("enter")
        await pilot.press("O")
        await wait_for(lambda: type(app.screen).__name__ == "OpenIncidentDialog",
                       message="the open dialog from the runbook")
        chosen = app.screen.query_one("#open-procedure", Select).value
        assert isinstance(chosen, str) and chosen.endswith("queue.md#Queue Backlog [urgent]")
        await pilot.click("#open-confirm")
        await wait_for(lambda: app.incidents.incident is not None)
        incident = app.incidents.incident
        assert incident.title == "Queue Backlog [urgent]"
        assert incident.procedures[0].snapshot.phases[0].steps[0].commands == (
            "redis-cli -u $REDIS_URL llen [queue-name]",)


async def test_runbooks_screen_fits_80x24(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(app)
        await pilot.press("6")
        await wait_for(lambda: "Service Down - Critical Outage" in screen_text(app)
                       or "Authentication Failures" in screen_text(app))
        text = screen_text(app)
        assert "runbooks · " in text and "procedures" in text
        assert len(text.splitlines()) == 24
