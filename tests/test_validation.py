"""The pandera schema built from the data dictionary, and problems with spreadsheet row numbers."""

from __future__ import annotations

import pandas as pd
import pytest

from spinedash import schema, vocabulary
from spinedash.validation import (
    OutcomeDataError,
    Problem,
    build_schema,
    format_rows,
    make_problem,
    problems_frame,
    validate_cases,
)


def frame(**columns) -> pd.DataFrame:
    """A canonical frame indexed by spreadsheet row (header = 1, so data starts at 2)."""
    n = len(next(iter(columns.values())))
    base = {
        "case_id": [f"C{i}" for i in range(n)],
        "condition": ["Herniated disc"] * n,
        "approach": ["Open"] * n,
        "vas_leg_pre": [5.0] * n,
    }
    base.update(columns)
    return schema.to_canonical_dtypes(pd.DataFrame(base, index=range(2, 2 + n)))


def check(df: pd.DataFrame, **kw) -> list[Problem]:
    return validate_cases(df, vocabulary.APPROACHES, vocabulary.CONDITIONS, **kw)


def test_clean_frame_has_no_problems():
    assert check(frame(age=[40.0, 70.0])) == []


def test_schema_covers_every_dictionary_column():
    built = build_schema(vocabulary.APPROACHES, vocabulary.CONDITIONS)
    assert set(built.columns) == set(schema.CANONICAL_COLUMNS)
    assert all(built.columns[c].required for c in schema.REQUIRED_COLUMNS)
    assert built.columns["case_id"].unique


@pytest.mark.parametrize(
    ("column", "bad", "expected"),
    [
        ("vas_leg_pre", 11.0, "between 0 and 10"),
        ("odi_12m", 101.0, "between 0 and 100"),
        ("length_of_stay_hours", -5.0, "between 0 and 8760 hours"),
        ("age", 250.0, "between 0 and 120 years"),
        ("operation_minutes", -1.0, "minutes"),
    ],
)
def test_out_of_range_values_name_row_and_range(column, bad, expected):
    problems = check(frame(**{column: [1.0, bad, 2.0]}))
    assert len(problems) == 1
    assert problems[0].rows == (3,)
    assert expected in problems[0].message
    assert f"found {bad:g}" in problems[0].message


def test_fixed_vocabularies():
    problems = check(frame(sex=["female", "robot"], complication=["none", "stubbed toe"]))
    assert {p.column for p in problems} == {"sex", "complication"}
    sex = next(p for p in problems if p.column == "sex")
    assert "female, male, other" in sex.message and "'robot'" in sex.message


def test_knowledge_values_for_approach():
    problems = check(frame(approach=["Open", "Laser"]))
    assert problems[0].rows == (3,) and "Full-endoscopic" in problems[0].message


def test_duplicate_ids_list_every_row():
    problems = check(frame(case_id=["A", "B", "A", "A"]))
    assert problems[0].rows == (2, 4, 5)
    assert "unique" in problems[0].message


def test_missing_required_and_outcome_columns():
    df = schema.to_canonical_dtypes(pd.DataFrame({"case_id": ["A"], "age": [40.0]}, index=[5]))
    problems = check(df, header_row=4)
    assert {p.column for p in problems} == {"condition", "approach", "(whole file)"}
    assert next(p for p in problems if p.column == "approach").rows == (4,)


def test_user_header_is_named():
    problems = check(frame(vas_leg_pre=[12.0]), header_for={"vas_leg_pre": "VAS leg pre-op"})
    assert problems[0].column == "VAS leg pre-op (read as VAS leg pain before surgery)"


def test_format_rows():
    assert format_rows((2, 3, 4, 9)) == "2–4, 9"
    assert format_rows((2, 3)) == "2, 3"
    assert format_rows(()) == "—"
    assert format_rows(tuple(range(2, 40, 2)), max_items=3) == "2, 4, 6 … (19 rows)"
    assert format_rows((2, 3), n_rows=500) == "2, 3 … (500 rows)"


def test_make_problem_sorts_dedupes_and_bounds():
    p = make_problem("x", [9, 3, 3] + list(range(100, 400)), "m")
    assert p.rows[:2] == (3, 9) and len(p.rows) == 200 and p.n_rows == 302


def test_error_summary_and_table():
    err = OutcomeDataError([Problem("age", (4,), "too old"), Problem("(whole file)", (), "no outcomes")])
    assert str(err).splitlines() == [
        "The file cannot be used: 2 problems found.",
        "- age, rows 4: too old",
        "- (whole file): no outcomes",
    ]
    table = problems_frame(err.problems)
    assert table.columns.tolist() == ["column", "rows", "what was expected"]
    assert table["rows"].tolist() == ["4", "—"]


# --- the quick check in front of pandera (issue 6) ------------------------------------------------


def _pandera_finds_nothing(cases: pd.DataFrame) -> bool:
    from pandera.errors import SchemaErrors

    try:
        build_schema(vocabulary.APPROACHES, vocabulary.CONDITIONS).validate(cases, lazy=True)
    except SchemaErrors:
        return False
    return True


@pytest.mark.parametrize(
    "columns",
    [
        {},
        {"vas_leg_pre": [5.0, float("nan"), 10.0]},
        {"vas_leg_pre": [5.0, 11.0, 2.0]},  # out of range
        {"vas_leg_pre": [5.0, float("inf"), 2.0]},
        {"age": [-1.0, 40.0, 50.0]},
        {"approach": ["Open", "Laser", "Open"]},  # unknown approach
        {"sex": ["female", "unknown", "male"]},
        {"case_id": ["C1", "C1", "C2"]},  # repeated id
        {"case_id": ["C1", None, "C2"]},
    ],
)
def test_quick_check_never_passes_what_pandera_rejects(columns):
    from spinedash.validation import passes_every_rule

    n = 3
    cases = frame(**{"vas_leg_pre": [5.0] * n, **columns})
    quick = passes_every_rule(cases, vocabulary.APPROACHES, vocabulary.CONDITIONS)
    assert quick == _pandera_finds_nothing(cases)  # it says yes exactly when pandera does, on these
    if not quick:
        assert validate_cases(cases, vocabulary.APPROACHES, vocabulary.CONDITIONS)  # and pandera words it


def test_quick_check_declines_what_it_cannot_judge():
    from spinedash.validation import passes_every_rule

    no_outcome = frame(vas_leg_pre=[5.0, 6.0]).drop(columns=["vas_leg_pre"])
    assert not passes_every_rule(no_outcome, vocabulary.APPROACHES, vocabulary.CONDITIONS)
    no_required = frame(vas_leg_pre=[5.0, 6.0]).drop(columns=["approach"])
    assert not passes_every_rule(no_required, vocabulary.APPROACHES, vocabulary.CONDITIONS)
    as_text = frame(vas_leg_pre=[5.0, 6.0])
    as_text["approach"] = as_text["approach"].astype("str")  # not categorical: left to pandera
    assert not passes_every_rule(as_text, vocabulary.APPROACHES, vocabulary.CONDITIONS)
    assert validate_cases(as_text, vocabulary.APPROACHES, vocabulary.CONDITIONS) == []
