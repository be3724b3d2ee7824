"""Preparing a step's command: placeholders become argv elements; typed confirmation."""

from __future__ import annotations

import pytest

from tui.incidents.commands import confirm, prepare_command


def test_simple_command_substitutes_whole_placeholders_per_element() -> None:
    prepared = prepare_command(
        "railway logs --service [service-id] --environment=[env]",
        {"service_id": "svc 1", "ENV": "production"},
    )
    assert prepared.argv == ("railway", "logs", "--service", "svc 1", "--environment=production")
    assert not prepared.uses_shell and prepared.ready
    assert prepared.display == "railway logs --service 'svc 1' --environment=production"


def test_quotes_alone_do_not_need_the_shell() -> None:
    prepared = prepare_command('curl -H "Content-Type: application/json" [URL]',
                               {"URL": "https://x/a b"})
    assert not prepared.uses_shell
    assert prepared.argv == ("curl", "-H", "Content-Type: application/json", "https://x/a b")


def test_a_command_needing_the_shell_refers_to_values_as_positional_parameters() -> None:
    prepared = prepare_command("railway logs --service [service-id] | grep ERROR",
                               {"service-id": "$(id)"})
    assert prepared.uses_shell
    assert prepared.argv[:2] == ("/bin/sh", "-c")
    assert prepared.argv[2] == 'railway logs --service "${1}" | grep ERROR'
    assert prepared.argv[3:] == ("onduty", "$(id)")
    assert "$(id)" not in prepared.argv[2]


def test_missing_variables_are_reported_and_brackets_that_are_not_variables_stay() -> None:
    prepared = prepare_command("railway rollback [DEPLOYMENT_ID]", {},
                               variables=("DEPLOYMENT_ID",))
    assert prepared.missing == ("DEPLOYMENT_ID",) and not prepared.ready
    grep = prepare_command("grep '[0-9]' app.log", {})
    assert grep.ready and grep.argv == ("grep", "[0-9]", "app.log")


def test_the_preview_makes_control_characters_visible() -> None:
    prepared = prepare_command("echo [X]", {"X": "a\nb\x1b]52;c;x\x07"})
    assert "\n" not in prepared.display and "\x1b" not in prepared.display
    assert "␊" in prepared.display and "␛" in prepared.display


def test_the_destructive_target_defaults_to_the_first_value() -> None:
    prepared = prepare_command("railway rollback [DEPLOYMENT_ID]", {"DEPLOYMENT_ID": "d-42"},
                               destructive=True)
    assert prepared.destructive and prepared.target == "d-42"


@pytest.mark.parametrize("typed", ["", "\n", "\r", " ", "y", "yes", "D-42", "d-4"])
def test_confirm_refuses_anything_but_the_exact_target(typed: str) -> None:
    assert confirm(typed, "d-42") is False


def test_confirm_accepts_the_typed_target_and_never_an_empty_target() -> None:
    assert confirm("d-42", "d-42") is True
    assert confirm(" d-42 ", "d-42") is True
    assert confirm("", "") is False
