"""What EXPLAIN will run for a normalised statement, on PG15 and PG16+ (FAULTS 22)."""

from __future__ import annotations

import pytest

from tui.db.actions import (
    ActionKind,
    ExplainRefused,
    cancel_request,
    explain_request,
    fill_parameters,
    first_word,
    literal,
    placeholders,
    terminate_request,
)

NORMALISED = "SELECT * FROM orders WHERE user_id = $1 AND status = $2 LIMIT $3"


def test_placeholders_ignore_quotes_and_comments() -> None:
    sql = "SELECT '$9', \"$8\" /* $7 */ FROM t WHERE a = $2 -- $6\n AND b = $1 AND c = $2"
    assert placeholders(sql) == [1, 2]


def test_parameters_become_quoted_literals_and_null_stays_null() -> None:
    filled = fill_parameters("SELECT $1, '$1', $2, $10", ["it's", "null", *["x"] * 7, "10"])
    assert filled == "SELECT 'it''s', '$1', NULL, '10'"
    assert literal("1; DROP TABLE t") == "'1; DROP TABLE t'"
    with pytest.raises(ExplainRefused, match=r"no value given for \$2"):
        fill_parameters("SELECT $1, $2", ["1"])


def test_pg16_plans_dollar_text_with_generic_plan() -> None:
    request = explain_request(NORMALISED, server_version_num=160002)
    assert request.sql == f"EXPLAIN (GENERIC_PLAN) {NORMALISED}"
    assert request.kind is ActionKind.EXPLAIN and not request.rolled_back


def test_pg15_refuses_dollar_text_unless_values_are_given() -> None:
    with pytest.raises(ExplainRefused, match=r"GENERIC_PLAN.*16"):
        explain_request(NORMALISED, server_version_num=150018)
    request = explain_request(NORMALISED, server_version_num=150018, params=["7", "paid", "5"])
    assert request.sql == ("EXPLAIN SELECT * FROM orders WHERE user_id = '7' AND "
                           "status = 'paid' LIMIT '5'")


def test_statements_without_parameters_are_explained_as_they_are() -> None:
    assert explain_request("SELECT 1;", server_version_num=120000).sql == "EXPLAIN SELECT 1"


def test_analyze_needs_values_and_rolls_back_only_writes() -> None:
    with pytest.raises(ExplainRefused, match=r"needs real|fill in values"):
        explain_request(NORMALISED, server_version_num=170000, analyze=True)
    read = explain_request(NORMALISED, server_version_num=170000, params=["1", "a", "2"],
                           analyze=True)
    assert read.sql.startswith("EXPLAIN (ANALYZE, BUFFERS) SELECT")
    assert read.kind is ActionKind.EXPLAIN_ANALYZE and not read.rolled_back
    for write in ("UPDATE t SET a = $1", "/* c */ DELETE FROM t WHERE a = $1",
                  "INSERT INTO t VALUES ($1)", "(MERGE INTO t USING s ON true DO NOTHING)"):
        request = explain_request(write, server_version_num=150000, params=["1"],
                                  analyze=True)
        assert request.rolled_back, write


@pytest.mark.parametrize("sql", ["VACUUM t", "COMMIT", "SET x = $1", "",
                                 "<insufficient privilege>"])
def test_what_explain_cannot_plan_is_refused_with_a_reason(sql: str) -> None:
    with pytest.raises(ExplainRefused):
        explain_request(sql, server_version_num=170000, params=["1"])


def test_first_word_skips_comments_and_parentheses() -> None:
    assert first_word("-- hi\n/* x */ ( WITH a AS (SELECT 1) SELECT * FROM a)") == "with"


def test_cancel_and_terminate_show_the_exact_sql() -> None:
    assert cancel_request(42).sql == "SELECT pg_catalog.pg_cancel_backend(42)"
    assert terminate_request(42).sql == "SELECT pg_catalog.pg_terminate_backend(42)"
    assert terminate_request(42).description == "terminate backend 42"
