"""User conditions: parsing without eval, evaluation, and errors that name the column."""

from __future__ import annotations

import pytest

from tui.errors import OnDutyError
from tui.health.conditions import ConditionError, parse_condition

CONTEXT = {
    "status": 200,
    "latency": 734.2,
    "cert_days": 6,
    "body": {"status": "degraded", "items": [{"id": 1}, {"id": 2}],
             "checks": {"database": {"status": "down"}}},
}


@pytest.mark.parametrize(
    ("text", "holds", "detail"),
    [
        ("status == 200", True, "status is 200"),
        ("status != 200", False, "status is 200"),
        ('body.status == "ok"', False, 'body.status is "degraded"'),
        ("body.status == 'degraded'", True, 'body.status is "degraded"'),
        ('body.checks.database.status != "down"', False,
         'body.checks.database.status is "down"'),
        ("latency < 500ms", False, "latency is 734.2 ms"),
        ("latency < 1s", True, "latency is 734.2 ms"),
        ("cert_days > 14", False, "cert_days is 6"),
        ("len(body.items) > 0", True, "len(body.items) is 2"),
        ("body.items[1].id == 2", True, "body.items[1].id is 2"),
        ("200 == status", True, "status is 200"),
    ],
)
def test_evaluate(text: str, holds: bool, detail: str) -> None:
    assert parse_condition(text).evaluate(CONTEXT) == (holds, detail)


def test_missing_path_fails_and_says_where() -> None:
    holds, detail = parse_condition('body.checks.cache.status == "up"').evaluate(CONTEXT)
    assert not holds
    assert detail == "body.checks.cache is missing"


def test_ordering_needs_numbers() -> None:
    holds, detail = parse_condition("body.status > 3").evaluate(CONTEXT)
    assert not holds
    assert "> needs two numbers" in detail


def test_no_python_is_evaluated() -> None:
    with pytest.raises(ConditionError) as caught:
        parse_condition("__import__('os').system('id') == 0")
    assert "column 1" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("status = 200",
         "condition 'status = 200': column 8: expected a comparison operator "
         "(==, !=, <, <=, >, >=), found '='"),
        ("stauts == 200",
         "condition 'stauts == 200': column 1: unknown name 'stauts'; expected one of "
         "status, latency, cert_days, body"),
        ("body.status ==",
         "condition 'body.status ==': column 15: expected a value or one of status, latency, "
         "cert_days, body, found the end"),
        ("status == 200 and latency < 5", "column 15: unexpected 'and' after the comparison"),
        ("len(body.items > 0", "column 16: expected ')' to close len(, found '>'"),
        ("status.code == 1", "column 7: status has no fields; only body does"),
        ('body.status == "ok', "column 16: unexpected character '\"'"),
        ("", "column 1: empty condition"),
    ],
)
def test_errors_name_condition_and_column(text: str, message: str) -> None:
    with pytest.raises(ConditionError) as caught:
        parse_condition(text)
    assert message in str(caught.value)
    assert isinstance(caught.value, OnDutyError)
