"""Reading real-world outcome exports: formats, header spellings, units, and every kind of problem."""

from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.csv as pacsv
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spinedash import ingest, schema
from spinedash.ingest import IngestResult, OutcomeDataError, load_outcomes, match_header
from spinedash.ingest import read as ingest_read
from tests.data import make_fixtures

DATA = Path(__file__).resolve().parent / "data"

GOOD_ROWS = (
    "C1,Herniated disc,Full-endoscopic,7,2\n"
    "C2,Spinal stenosis,Open,6,3\n"
    "C3,Herniated disc,Microscopic,8,1\n"
)
GOOD_CSV = "case_id,condition,approach,vas_leg_pre,vas_leg_12m\n" + GOOD_ROWS


def problems_of(data, filename=None) -> list:
    with pytest.raises(OutcomeDataError) as info:
        load_outcomes(data, filename=filename)
    return info.value.problems


def only_problem(data) -> ingest.Problem:
    problems = problems_of(data)
    assert len(problems) == 1, problems
    return problems[0]


# --- formats ----------------------------------------------------------------------------------


def test_plain_csv_gives_canonical_frame():
    result = load_outcomes(GOOD_CSV.encode())
    assert isinstance(result, IngestResult)
    assert (result.rows_read, result.rows_accepted) == (3, 3)
    cases = result.cases
    assert list(cases.columns) == list(schema.CANONICAL_COLUMNS)  # every column, dictionary order
    assert cases["case_id"].tolist() == ["C1", "C2", "C3"]
    assert cases["vas_leg_pre"].tolist() == [7.0, 6.0, 8.0]
    assert cases["approach"].dtype == "category"
    assert cases["vas_leg_pre"].dtype == "float64"
    assert cases["surgery_date"].dtype == "datetime64[ns]"
    assert cases["satisfied_12m"].dtype == "boolean"
    assert cases["odi_12m"].isna().all()
    assert result.column_mapping == {c: c for c in ["case_id", "condition", "approach", "vas_leg_pre", "vas_leg_12m"]}


@pytest.mark.parametrize("ids", [("C1", "C2", "C1"), (" C1", "C2", "C1 ")], ids=["repeated", "repeated after trimming"])
def test_repeated_case_ids_are_refused_with_their_rows(ids):
    # The ids' uniqueness is worked out on a worker thread beside the other columns; it must still
    # refuse the file (fast path and forgiving path alike) and name the rows.
    rows = [r.split(",", 1)[1] for r in GOOD_ROWS.splitlines()]
    csv = "case_id,condition,approach,vas_leg_pre,vas_leg_12m\n" + "".join(f"{i},{r}\n" for i, r in zip(ids, rows, strict=True))
    problem = only_problem(csv.encode())
    assert problem.column == "case_id" and "unique" in problem.message
    assert set(problem.rows) == {2, 4}


def test_dtypes_match_to_canonical_dtypes():
    cases = load_outcomes(GOOD_CSV.encode()).cases
    pd.testing.assert_frame_equal(cases, schema.to_canonical_dtypes(cases))


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_delimiters_are_sniffed(delimiter):
    text = GOOD_CSV.replace(",", delimiter)
    result = load_outcomes(text.encode())
    assert result.cases["vas_leg_pre"].tolist() == [7.0, 6.0, 8.0]
    assert result.cases["condition"].tolist() == ["Herniated disc", "Spinal stenosis", "Herniated disc"]


def test_semicolon_file_with_decimal_commas():
    text = "case_id;condition;approach;vas_leg_pre;length_of_stay_hours\nC1;Herniated disc;Open;3,5;1.234,5\nC2;Herniated disc;Open;7;6,25\n"
    result = load_outcomes(text.encode())
    assert result.cases["vas_leg_pre"].tolist() == [3.5, 7.0]
    assert result.cases["length_of_stay_hours"].tolist() == [1234.5, 6.25]
    assert any("decimal comma" in w for w in result.info)


def test_comma_file_with_quoted_decimal_and_thousands():
    text = 'case_id,condition,approach,vas_leg_pre,blood_loss_ml\nC1,Herniated disc,Open,"3,5","1,200"\n'
    cases = load_outcomes(text.encode()).cases
    assert cases["vas_leg_pre"].iloc[0] == 3.5
    assert cases["blood_loss_ml"].iloc[0] == 1200.0


def test_utf8_bom_is_not_part_of_the_first_header():
    result = load_outcomes(GOOD_CSV.encode("utf-8-sig"))
    assert "case_id" in result.column_mapping
    assert result.cases["case_id"].tolist() == ["C1", "C2", "C3"]


def test_latin1_names_survive():
    text = "case_id,condition,approach,vas_leg_pre,surgeon,site\nC1,Herniated disc,Open,7,Søren,Zürich\n"
    result = load_outcomes(text.encode("cp1252"))
    assert result.cases["surgeon"].iloc[0] == "Søren"
    assert result.cases["site"].iloc[0] == "Zürich"
    assert any("Windows-1252" in w for w in result.info)


def test_utf16_text_export():
    result = load_outcomes(GOOD_CSV.replace(",", "\t").encode("utf-16"))
    assert result.rows_accepted == 3


def test_quoted_fields_with_delimiters_quotes_and_newlines():
    text = (
        'case_id,condition,approach,vas_leg_pre,site,Notes\n'
        'C1,Herniated disc,Open,7,"North, ward 3","said ""fine""\nat 6 weeks"\n'
        'C2,"Spinal stenosis",Open,6,South,\n'
    )
    result = load_outcomes(text.encode())
    assert result.cases["site"].tolist() == ["North, ward 3", "South"]
    assert result.rows_accepted == 2


def test_trailing_empty_rows_and_columns():
    text = "case_id,condition,approach,vas_leg_pre,,\nC1,Herniated disc,Open,7,,\nC2,Herniated disc,Open,6,,\n,,,,,\n,,,,,\n\n"
    result = load_outcomes(text.encode())
    assert result.rows_read == 2
    assert result.rows_accepted == 2
    assert not any("blank row" in w for w in result.warnings)  # trailing blanks are the spreadsheet's
    assert not any("ignored" in w for w in result.warnings)


def test_blank_row_inside_table_is_skipped_and_rows_keep_their_numbers():
    text = "case_id,condition,approach,vas_leg_pre\nC1,Herniated disc,Open,7\n,,,\nC2,Herniated disc,Open,12\n"
    problem = only_problem(text.encode())
    assert problem.rows == (4,)  # header 1, C1 2, blank 3, C2 4


def test_xlsx_with_title_rows_on_second_sheet():
    result = load_outcomes(DATA / "titled_export.xlsx")
    assert result.file_format == "xlsx"
    assert result.cases["case_id"].tolist() == ["X1", "X2", "3"]  # an Excel number id keeps its digits
    assert result.cases["surgery_date"].tolist() == list(pd.to_datetime(["2024-03-18", "2024-04-02", "2024-05-21"]))
    assert result.cases["length_of_stay_hours"].tolist() == [6.5, 26.0, 96.0]
    assert result.cases["satisfied_12m"].tolist()[:2] == [True, False]
    assert any("'Outcomes'" in w and "Read me" in w for w in result.info)


def test_xlsx_row_numbers_count_the_title_rows():
    problem = only_problem(make_fixtures.titled_workbook(third_vas_leg=11))
    assert problem.rows == (7,)  # title 1–2, blank 3, header 4, cases 5–7
    assert "VAS leg preop" in problem.column


def test_parquet_native_types():
    result = load_outcomes(DATA / "cohort.parquet")
    assert result.file_format == "parquet"
    assert result.cases["approach"].tolist() == ["Full-endoscopic", "Microscopic", "Open"]  # PELD is an alias
    assert result.cases["vas_leg_12m"].isna().tolist() == [False, True, False]
    assert result.cases["employed_before_surgery"].tolist()[:2] == [True, False]


def test_format_is_judged_by_content_not_name():
    xlsx = (DATA / "titled_export.xlsx").read_bytes()
    assert load_outcomes(xlsx, filename="export.csv").file_format == "xlsx"
    assert load_outcomes(GOOD_CSV.encode(), filename="export.xlsx").file_format == "text"


def test_file_like_and_path_sources(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(GOOD_CSV.encode())
    assert load_outcomes(path).rows_accepted == 3
    assert load_outcomes(str(path)).rows_accepted == 3
    with open(path, "rb") as fh:
        assert load_outcomes(fh).rows_accepted == 3
    assert load_outcomes(io.BytesIO(GOOD_CSV.encode())).rows_accepted == 3


def test_csv_with_title_rows_above_the_header():
    text = "Spine registry export\nPrinted 2025-01-31\n\n" + GOOD_CSV
    problem = only_problem(text.replace("C2,Spinal stenosis,Open,6", "C2,Spinal stenosis,Open,66").encode())
    assert problem.rows == (6,)  # 3 lines above the header (row 4): C1 row 5, C2 row 6


# --- headers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "column", "unit"),
    [
        ("Patient ID", "case_id", None),
        ("Case ID", "case_id", None),
        ("LOS (days)", "length_of_stay_hours", "days"),
        ("LOS (hours)", "length_of_stay_hours", "hours"),
        ("Length of stay", "length_of_stay_hours", None),
        ("length_of_stay_hours", "length_of_stay_hours", "hours"),
        ("VAS leg pre-op", "vas_leg_pre", None),
        ("VAS leg preop", "vas_leg_pre", None),
        ("Leg pain baseline", "vas_leg_pre", None),
        ("ODI 12 months", "odi_12m", None),
        ("ODI 1 year", "odi_12m", None),
        ("ODI 12m", "odi_12m", None),
        ("odi_12m", "odi_12m", None),
        ("VAS back 6 weeks", "vas_back_6w", None),
        ("vas-back 6w", "vas_back_6w", None),
        ("Op time (min)", "operation_minutes", "minutes"),
        ("Operation time (hours)", "operation_minutes", "hours"),
        ("EBL", "blood_loss_ml", None),
        ("Blood loss (ml)", "blood_loss_ml", "mL"),
        ("Date of surgery", "surgery_date", None),
        ("Gender", "sex", None),
        ("Level", "spinal_level", None),
        ("Diagnosis", "condition", None),
        ("Technique", "technique", None),  # the technique column; it also gives the approach when there is none
        ("Surgical approach", "approach", None),
        ("RTW days", "return_to_work_days", "days"),
        ("Return to work (weeks)", "return_to_work_days", "weeks"),
        ("Reoperation within 12 months", "reoperation_12m", None),
        ("  CASE_ID  ", "case_id", None),
    ],
)
def test_header_aliases(header, column, unit):
    assert match_header(header) == (column, unit)


@pytest.mark.parametrize("header", ["Comment", "VAS", "Weight (kg)", "", "Age (days)"])
def test_headers_that_match_nothing(header):
    assert match_header(header) is None


def test_every_canonical_column_maps_to_itself():
    for name in schema.CANONICAL_COLUMNS:
        assert match_header(name)[0] == name


def test_every_measure_and_time_point_has_word_forms():
    # Generated from the schema: each pain column is reachable as "<measure words> <time point words>".
    for measure, info in schema.PAIN_MEASURES.items():
        for tp in info["timepoints"]:
            label = {"vas_leg": "VAS leg", "vas_back": "VAS back", "odi": "ODI"}[measure]
            when = schema.TIMEPOINT_LABELS[tp] if tp != "pre" else "pre-op"
            assert match_header(f"{label} {when}") == (f"{measure}_{tp}", None)


def test_unknown_columns_are_ignored_with_a_warning():
    text = "case_id,condition,approach,vas_leg_pre,BMI,Smoker\nC1,Herniated disc,Open,7,27,no\n"
    result = load_outcomes(text.encode())
    assert any("BMI" in w and "Smoker" in w and "ignored" in w for w in result.warnings)


def test_duplicate_headers_for_one_column_are_a_problem():
    text = "Case ID,condition,approach,VAS leg pre-op,Leg pain baseline\nC1,Herniated disc,Open,7,7\n"
    problem = only_problem(text.encode())
    assert "VAS leg pre-op" in problem.column and "Leg pain baseline" in problem.column
    assert problem.rows == (1,)
    assert "vas_leg_pre" in problem.message


# --- values -----------------------------------------------------------------------------------


def test_vas_on_0_100_is_divided_by_10_per_measure():
    text = "case_id,condition,approach,vas_leg_pre,vas_leg_12m,vas_back_pre\nC1,Herniated disc,Open,70,5,4\nC2,Herniated disc,Open,85,9,6\n"
    result = load_outcomes(text.encode())
    # VAS leg: 70 and 85 of 4 values above 10 -> 0–100, including the 12-month column wholly under 10.
    assert result.cases["vas_leg_pre"].tolist() == [7.0, 8.5]
    assert result.cases["vas_leg_12m"].tolist() == [0.5, 0.9]
    # VAS back stays 0–10.
    assert result.cases["vas_back_pre"].tolist() == [4.0, 6.0]
    warning = next(w for w in result.info if "0–100" in w)
    assert "vas_leg_pre" in warning and "vas_leg_12m" in warning and "vas_back_pre" not in warning


def test_stay_in_days_by_header():
    text = "case_id,condition,approach,LOS (days)\nC1,Herniated disc,Open,2\nC2,Herniated disc,Open,0.5\n"
    result = load_outcomes(text.encode())
    assert result.cases["length_of_stay_hours"].tolist() == [48.0, 12.0]
    assert any("converted to hours" in w for w in result.info)


def test_stay_in_days_by_unit_in_the_cells():
    text = "case_id,condition,approach,Length of stay\nC1,Herniated disc,Open,2 days\nC2,Herniated disc,Open,6 h\nC3,Herniated disc,Open,3d\n"
    assert load_outcomes(text.encode()).cases["length_of_stay_hours"].tolist() == [48.0, 6.0, 72.0]


def test_stay_without_a_unit_is_read_as_hours_and_says_so():
    # 3.2 is not a whole number of days: hours, with the evidence said.
    text = "case_id,condition,approach,LOS\nC1,Herniated disc,Open,3.2\n"
    result = load_outcomes(text.encode())
    assert result.cases["length_of_stay_hours"].tolist() == [3.2]
    note = next(w for w in result.info if "names no unit" in w)
    assert "max 3.2, median 3.2: looks like hours" in note
    assert not result.warnings


def test_bare_stay_in_whole_days_is_read_as_days_with_the_evidence():
    # Issue 12: a bare "LOS" in days was read as hours, so every case became a same-day discharge.
    rows = "".join(f"C{i},Herniated disc,Open,{d}\n" for i, d in enumerate([1, 2, 2, 3, 14, 1, 2]))
    result = load_outcomes(("case_id,condition,approach,LOS\n" + rows).encode())
    assert result.cases["length_of_stay_hours"].tolist() == [24.0, 48.0, 48.0, 72.0, 336.0, 24.0, 48.0]
    note = next(w for w in result.info if "names no unit" in w)
    assert "max 14, median 2, whole numbers: looks like days" in note


def test_bare_stay_in_whole_hours_beyond_sixty_is_read_as_hours():
    rows = "".join(f"C{i},Herniated disc,Open,{h}\n" for i, h in enumerate([6, 24, 72, 96]))
    result = load_outcomes(("case_id,condition,approach,LOS\n" + rows).encode())
    assert result.cases["length_of_stay_hours"].tolist() == [6.0, 24.0, 72.0, 96.0]


def test_operation_time_in_hours_is_converted_to_minutes():
    text = "case_id,condition,approach,vas_leg_pre,Op time (h)\nC1,Herniated disc,Open,7,1.5\n"
    assert load_outcomes(text.encode()).cases["operation_minutes"].tolist() == [90.0]


def test_dates_iso_and_day_first():
    text = (
        "case_id,condition,approach,vas_leg_pre,surgery_date\n"
        "C1,Herniated disc,Open,7,2024-03-18\nC2,Herniated disc,Open,7,03/04/2024\n"
        "C3,Herniated disc,Open,7,25.12.2023\nC4,Herniated disc,Open,7,\n"
    )
    result = load_outcomes(text.encode())
    assert result.cases["surgery_date"].tolist()[:3] == list(pd.to_datetime(["2024-03-18", "2024-04-03", "2023-12-25"]))
    assert pd.isna(result.cases["surgery_date"].iloc[3])
    assert any("day first" in w for w in result.info)


def test_month_first_dates_are_recognised_when_the_file_shows_it():
    text = "case_id,condition,approach,vas_leg_pre,surgery_date\nC1,Herniated disc,Open,7,03/25/2024\nC2,Herniated disc,Open,7,04/01/2024\n"
    result = load_outcomes(text.encode())
    assert result.cases["surgery_date"].tolist() == list(pd.to_datetime(["2024-03-25", "2024-04-01"]))
    assert any("month first" in w for w in result.info)


def test_mixed_date_orders_are_a_problem():
    text = "case_id,condition,approach,vas_leg_pre,surgery_date\nC1,Herniated disc,Open,7,25/03/2024\nC2,Herniated disc,Open,7,03/25/2024\n"
    problem = only_problem(text.encode())
    assert problem.rows == (2, 3)
    assert "day-first" in problem.message


@pytest.mark.parametrize(
    ("cell", "value"),
    [("yes", True), ("Y", True), ("1", True), ("TRUE", True), ("ja", True), ("Ja", True),
     ("no", False), ("n", False), ("0", False), ("False", False), ("nei", False), ("NEI", False)],
)
def test_booleans(cell, value):
    text = f"case_id,condition,approach,vas_leg_pre,satisfied_12m\nC1,Herniated disc,Open,7,{cell}\n"
    cell_value = load_outcomes(text.encode()).cases["satisfied_12m"].iloc[0]
    assert cell_value is not pd.NA and bool(cell_value) is value


@pytest.mark.parametrize("cell", ["n/a", "NA", "-", "", ".", "N/A", " "])
def test_missing_value_spellings(cell):
    text = f"case_id,condition,approach,vas_leg_pre,satisfied_12m,surgery_date,sex\nC1,Herniated disc,Open,{cell},{cell},{cell},{cell}\n"
    cases = load_outcomes(text.encode()).cases
    assert cases[["vas_leg_pre", "satisfied_12m", "surgery_date", "sex"]].isna().all(axis=None)


@pytest.mark.parametrize(("cell", "sex"), [("m", "male"), ("F", "female"), ("Male", "male"), ("woman", "female"), ("man", "male"), ("other", "other")])
def test_sex_values(cell, sex):
    text = f"case_id,condition,approach,vas_leg_pre,Gender\nC1,Herniated disc,Open,7,{cell}\n"
    assert load_outcomes(text.encode()).cases["sex"].iloc[0] == sex


def test_approach_and_condition_aliases_from_the_knowledge_base():
    text = (
        "case_id,Diagnosis,Technique,vas_leg_pre\n"
        "C1,HNP,PTED,7\nC2,lumbar spinal stenosis,microdecompression,6\nC3,  herniated DISC ,full endoscopic,8\nC4,spondylolisthesis,open fusion,5\n"
    )
    cases = load_outcomes(text.encode()).cases
    assert cases["condition"].tolist() == ["Herniated disc", "Spinal stenosis", "Herniated disc", "Instability / spondylolisthesis"]
    assert cases["approach"].tolist() == ["Full-endoscopic", "Microscopic", "Full-endoscopic", "Open"]


def test_spinal_levels_in_one_spelling():
    text = "case_id,condition,approach,vas_leg_pre,Level\nC1,Herniated disc,Open,7,L4/5\nC2,Herniated disc,Open,7,l5-s1\nC3,Herniated disc,Open,7,L3–L4\nC4,Herniated disc,Open,7,multilevel\n"
    assert load_outcomes(text.encode()).cases["spinal_level"].tolist() == ["L4-L5", "L5-S1", "L3-L4", "multilevel"]


def test_free_text_complications_count_as_other():
    text = "case_id,condition,approach,vas_leg_pre,complication\nC1,Herniated disc,Open,7,durotomy\nC2,Herniated disc,Open,7,urinary retention\nC3,Herniated disc,Open,7,none\n"
    result = load_outcomes(text.encode())
    assert result.cases["complication"].tolist() == ["dural tear", "other", "none"]
    assert any("urinary retention" in w for w in result.warnings)


def test_rows_without_outcomes_are_a_warning():
    text = "case_id,condition,approach,vas_leg_pre,vas_leg_12m\nC1,Herniated disc,Open,7,2\nC2,Herniated disc,Open,,\n"
    result = load_outcomes(text.encode())
    assert result.rows_accepted == 2
    assert any("no outcome values" in w and "row 3" in w for w in result.warnings)


def test_messy_export_fixture():
    result = load_outcomes(DATA / "messy_export.csv")
    cases = result.cases
    assert result.rows_accepted == make_fixtures.MESSY_ROWS
    assert cases["case_id"].tolist() == ["N-001", "N-002", "N-003", "N-004", "N-005"]
    assert cases["approach"].tolist() == ["Full-endoscopic", "Open", "Microscopic", "Full-endoscopic", "Tubular MIS"]
    assert cases["length_of_stay_hours"].tolist() == [12.0, 72.0, 24.0, 6.0, 36.0]  # 0,5 days = 12 h
    assert cases["vas_leg_pre"].tolist() == [7.2, 8.0, 6.5, 9.0, 7.0]
    assert cases["surgeon"].tolist()[:3] == ["Søren", "Søren", "Åse"]
    assert cases["return_to_work_days"].isna().tolist() == [False, True, False, False, True]
    assert cases["satisfied_12m"].tolist()[:2] == [True, True] and pd.isna(cases["satisfied_12m"].iloc[2])
    assert cases["spinal_level"].tolist() == ["L5-S1", "L4-L5", "L4-L5", "L5-S1", "L3-L4"]


# --- problems ---------------------------------------------------------------------------------


def test_broken_export_reports_every_problem_with_rows():
    problems = problems_of(DATA / "broken_export.csv")
    by_column = {p.column: p for p in problems}
    assert set(by_column) == {"approach", "case_id", "age", "length_of_stay_hours", "vas_leg_pre"}
    assert by_column["approach"].rows == (3,) and "'Laser'" in by_column["approach"].message
    assert "Full-endoscopic" in by_column["approach"].message  # lists the known values
    assert by_column["case_id"].rows == (2, 7)
    assert by_column["age"].rows == (4,) and "250" in by_column["age"].message
    assert by_column["length_of_stay_hours"].rows == (5,)
    assert by_column["vas_leg_pre"].rows == (6,) and "0 and 10" in by_column["vas_leg_pre"].message


def test_error_message_is_a_readable_summary():
    with pytest.raises(OutcomeDataError) as info:
        load_outcomes(DATA / "broken_export.csv")
    text = str(info.value)
    assert text.startswith("The file cannot be used: 5 problems found.")
    assert "approach, rows 3: Unknown approach 'Laser'" in text
    assert isinstance(info.value, ValueError)


def test_problem_column_names_the_users_header():
    text = "Patient ID,Diagnosis,Technique,VAS leg pre-op\nC1,Herniated disc,Open,14\nC2,Herniated disc,Open,7\n"
    problem = only_problem(text.encode())
    assert problem.column == "VAS leg pre-op (read as VAS leg pain before surgery)"


def test_unknown_value_problems_one_per_value():
    text = "case_id,condition,approach,vas_leg_pre\nC1,Herniated disc,Laser,7\nC2,Back ache,Laser,7\nC3,Herniated disc,Robot,7\n"
    problems = problems_of(text.encode())
    messages = {(p.column, p.rows): p.message for p in problems}
    assert ("approach", (2, 3)) in messages and "'Laser'" in messages[("approach", (2, 3))]
    assert ("approach", (4,)) in messages and "'Robot'" in messages[("approach", (4,))]
    assert ("condition", (3,)) in messages and "Herniated disc" in messages[("condition", (3,))]


def test_text_in_a_number_column():
    text = "case_id,condition,approach,vas_leg_pre,age\nC1,Herniated disc,Open,seven,46\nC2,Herniated disc,Open,7,forty\n"
    problems = problems_of(text.encode())
    assert {(p.column, p.rows) for p in problems} == {("vas_leg_pre", (2,)), ("age", (3,))}
    assert any("'seven'" in p.message for p in problems)


def test_unreadable_boolean_and_date_and_sex():
    text = "case_id,condition,approach,vas_leg_pre,satisfied_12m,surgery_date,sex\nC1,Herniated disc,Open,7,maybe,yesterday,unknown\n"
    problems = problems_of(text.encode())
    assert {p.column for p in problems} == {"satisfied_12m", "surgery_date", "sex"}
    assert all(p.rows == (2,) for p in problems)


def test_missing_required_columns_and_no_outcomes():
    text = "Patient ID,age\nC1,46\n"
    problems = problems_of(text.encode())
    columns = {p.column for p in problems}
    assert {"condition", "approach", "(whole file)"} <= columns
    missing = next(p for p in problems if p.column == "approach")
    assert missing.rows == (1,) and "missing" in missing.message


def test_empty_case_id_is_a_problem():
    text = "case_id,condition,approach,vas_leg_pre\nC1,Herniated disc,Open,7\n,Herniated disc,Open,6\n"
    problem = only_problem(text.encode())
    assert problem.rows == (3,) and "empty" in problem.message


@pytest.mark.parametrize("data", [b"", b"   \n\n", b"\xef\xbb\xbf", b"\n,,,\n"])
def test_empty_files(data):
    problem = only_problem(data)
    assert "empty" in problem.message.lower() or "missing" in problem.message.lower() or problem.column == "(whole file)"


@pytest.mark.parametrize(
    ("name", "expected"),
    [("report.pdf", "PDF"), ("random.bin", "binary"), ("archive.zip", "zip archive")],
)
def test_files_that_are_not_tables(name, expected):
    problem = only_problem(DATA / name)
    assert expected in problem.message


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\x89PNG\r\n\x1a\n" + bytes(100), "PNG image"),
        (b"\xff\xd8\xff\xe0" + bytes(100), "JPEG image"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), ".xls"),
        (b"PK\x03\x04garbage", "damaged"),
        (b"PAR1garbage", "Parquet"),
    ],
)
def test_more_non_tables(data, expected):
    assert expected in only_problem(data).message


def test_limits(monkeypatch):
    monkeypatch.setattr(ingest_read, "MAX_ROWS", 2)
    assert "at most 2" in only_problem(GOOD_CSV.encode()).message
    monkeypatch.setattr(ingest_read, "MAX_ROWS", 2_000_000)
    monkeypatch.setattr(ingest_read, "MAX_COLUMNS", 4)
    assert "columns" in only_problem(GOOD_CSV.encode()).message
    monkeypatch.setattr(ingest_read, "MAX_COLUMNS", 500)
    monkeypatch.setattr(ingest_read, "MAX_UPLOAD_MB", 0.0001)  # about 100 bytes
    assert "larger than" in only_problem(GOOD_CSV.encode()).message


def test_too_many_columns_real_size():
    header = ",".join(["case_id", "condition", "approach", "vas_leg_pre"] + [f"x{i}" for i in range(600)])
    assert "at most 500" in only_problem((header + "\n").encode()).message


def test_many_bad_rows_make_one_bounded_problem():
    rows = "".join(f"C{i},Herniated disc,Open,7,{150 + i % 3}\n" for i in range(1000))
    problem = only_problem(("case_id,condition,approach,vas_leg_pre,age\n" + rows).encode())
    assert problem.n_rows == 1000
    assert len(problem.rows) == 200
    assert problem.rows_text.endswith("(1,000 rows)")


# --- template and dictionary ------------------------------------------------------------------


@pytest.mark.parametrize("region", ingest.template_regions())
def test_template_round_trips_through_the_reader_unchanged(region):
    """Each region's template, downloaded and loaded back: every column kept, every cell the value written."""
    from spinedash.ingest.template import template_columns, template_frame

    template = ingest.template_csv(region)
    header = template.decode("utf-8-sig").splitlines()[0].split(",")
    assert header == template_columns(region)
    result = load_outcomes(template)
    assert result.rows_accepted == 3 and not result.warnings
    cases, written = result.cases, template_frame(region)
    assert set(header) <= set(cases.columns), "every template column comes back"
    assert cases.drop(columns=header).isna().all().all(), "nothing comes back that the template did not hold"
    for column in header:
        spec = schema.spec_for(column)
        for got, text in zip(cases[column].tolist(), written[column].tolist(), strict=True):
            if text == "":
                assert pd.isna(got), (column, got)
            elif spec.kind == "number":
                assert got == float(text), (column, got, text)
            elif spec.kind == "boolean":
                assert got is (text == "yes"), (column, got, text)
            elif spec.kind == "date":
                assert got == pd.Timestamp(text), (column, got, text)
            else:
                assert str(got) == text, (column, got, text)
    assert set(cases["region"]) == {region}


def test_templates_follow_the_catalogue():
    """Columns are the catalogue's measures × their time points (24 months included), every one filled in
    at least one example row; the cervical template carries NDI and arm pain, the lumbar one leg pain and ODI."""
    from spinedash.catalogue import load_catalogue
    from spinedash.ingest.template import template_columns, template_frame

    catalogue = load_catalogue()
    for region in ingest.template_regions():
        columns = template_columns(region)
        outcomes = [schema.parse_outcome_column(c) for c in columns if schema.parse_outcome_column(c)]
        for measure in {m for m, _ in outcomes}:
            assert region in catalogue.measures[measure].regions
            assert [tp for m, tp in outcomes if m == measure] == list(catalogue.measures[measure].timepoints)
        assert any(tp == "24m" for _, tp in outcomes)
        assert all((template_frame(region)[c] != "").any() for c in columns), "an empty column would not load back"
    cervical, lumbar = set(template_columns("cervical")), set(template_columns("lumbar"))
    assert {"ndi_pre", "ndi_24m", "vas_arm_pre", "vas_neck_12m", "mjoa_pre"} <= cervical
    assert not {"vas_leg_pre", "odi_pre"} & cervical
    assert {"vas_leg_pre", "vas_back_24m", "odi_6m", "eq5d_12m"} <= lumbar and "ndi_pre" not in lumbar


def test_region_data_dictionary_lists_template_columns_then_other_measures():
    table = pd.read_csv(io.BytesIO(ingest.data_dictionary_csv("cervical")), encoding="utf-8-sig", keep_default_na=False)
    from spinedash.ingest.template import template_columns

    n = len(template_columns("cervical"))
    assert table["column"].tolist()[:n] == template_columns("cervical")
    assert {"nrs_arm_<time point>", "ems_<time point>", "comi_neck_<time point>"} <= set(table["column"][n:])
    assert "odi_<time point>" not in set(table["column"])  # lumbar measures are not offered for a cervical file
    aliases = dict(zip(table["column"], table["also accepted as"], strict=True))
    assert "NDI" in aliases["ndi_pre"] or "ndi" in aliases["ndi_pre"].lower()


def test_data_dictionary_csv_lists_every_column_with_aliases():
    table = pd.read_csv(io.BytesIO(ingest.data_dictionary_csv()), encoding="utf-8-sig", keep_default_na=False)
    assert set(schema.CANONICAL_COLUMNS) <= set(table["column"])
    aliases = dict(zip(table["column"], table["also accepted as"], strict=True))
    assert "LOS (days)" in aliases["length_of_stay_hours"]
    assert "Patient ID" in aliases["case_id"] or "patient id" in aliases["case_id"]
    # every alias offered really maps back to its column
    for column, text in aliases.items():
        for alias in filter(None, text.split(", ")):
            assert match_header(alias)[0] == column, (alias, column)


# --- generated data and round trip ------------------------------------------------------------


def test_generated_cohort_round_trips_through_csv(tmp_path):
    from spinedash.sample import generate_cohort, write_cohort_csv

    cohort = generate_cohort(300, seed=3)
    path = tmp_path / "cohort.csv"
    write_cohort_csv(cohort, path)
    cases = load_outcomes(path).cases
    pd.testing.assert_frame_equal(cases, cohort, check_categorical=False, rtol=1e-3)


def test_generated_cohort_round_trips_through_parquet():
    from spinedash.sample import generate_cohort

    cohort = generate_cohort(200, seed=4)
    buf = io.BytesIO()
    cohort.to_parquet(buf, index=False)
    pd.testing.assert_frame_equal(load_outcomes(buf.getvalue()).cases, cohort, check_categorical=False)


# --- robustness -------------------------------------------------------------------------------

_SLOW = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _only_outcome_errors(data: bytes) -> None:
    try:
        result = load_outcomes(data)
    except OutcomeDataError as err:
        assert err.problems and str(err)
    else:
        assert isinstance(result.cases, pd.DataFrame)


@_SLOW
@given(st.binary(max_size=2048))
def test_arbitrary_bytes_raise_only_outcome_data_error(data):
    _only_outcome_errors(data)


@_SLOW
@given(st.sampled_from([b"PK\x03\x04", b"PAR1", b"%PDF-", b"\xef\xbb\xbf", b"\xff\xfe", b""]), st.binary(max_size=512))
def test_bytes_behind_magic_numbers(prefix, data):
    _only_outcome_errors(prefix + data)


_CELLS = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)


@_SLOW
@given(st.text(max_size=600))
def test_arbitrary_text_as_csv(text):
    _only_outcome_errors(text.encode("utf-8", "replace"))


@_SLOW
@given(
    st.lists(st.sampled_from(list(schema.CANONICAL_COLUMNS) + ["Patient ID", "LOS (days)", "VAS leg pre-op", "x"]), min_size=1, max_size=8),
    st.lists(st.lists(_CELLS, min_size=0, max_size=9), max_size=6),
    st.sampled_from([",", ";", "\t"]),
)
def test_arbitrary_cells_under_known_headers(header, rows, delimiter):
    text = delimiter.join(header) + "\n" + "\n".join(delimiter.join(r) for r in rows)
    _only_outcome_errors(text.encode("utf-8", "replace"))


def test_zip_with_workbook_name_but_broken_content():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("xl/workbook.xml", "<not really/>")
    assert "could not be read" in only_problem(buf.getvalue()).message


# --- the fast reader (issue 6): same result as the forgiving reader, or it steps aside ----------


def _both_readers(data: bytes, monkeypatch) -> tuple[object, object, bool]:
    """(outcome with the fast reader, outcome with it switched off, whether the fast reader read it)."""
    used = []
    fast_reader = ingest_read._read_csv_typed

    def spy(raw):
        out = fast_reader(raw)
        used.append(out is not None)
        return out

    def outcome():
        try:
            r = load_outcomes(data)
        except OutcomeDataError as err:
            return ("error", [(p.column, p.rows, p.message, p.n_rows) for p in err.problems])
        return ("ok", r.cases, r.warnings, r.column_mapping, r.rows_read, r.rows_accepted, r.file_format)

    with monkeypatch.context() as m:
        m.setattr(ingest_read, "_read_csv_typed", spy)
        fast = outcome()
    with monkeypatch.context() as m:
        m.setattr(ingest_read, "_read_csv_typed", lambda raw: None)
        slow = outcome()
    return fast, slow, bool(used and used[-1])


def _assert_same(fast, slow) -> None:
    assert fast[0] == slow[0], (fast, slow)
    if fast[0] == "ok":
        pd.testing.assert_frame_equal(fast[1], slow[1])
        assert fast[2:] == slow[2:]
    else:
        assert fast[1] == slow[1]


def _messy_exports() -> dict[str, bytes]:
    from spinedash import sample

    base = sample.generate_cohort(400, 5).astype(object)
    out = {}

    def put(name, frame, **kw):
        out[name] = frame.to_csv(index=False, **kw).encode()

    put("clean", base)
    m = base.copy()
    m.loc[::7, "approach"] = " open "
    m.loc[::11, "sex"] = "F"
    m.loc[::13, "employed_before_surgery"] = "Ja"
    m.loc[::17, "vas_leg_pre"] = "n/a"
    m.loc[::19, "condition"] = "  "
    m.loc[::23, "complication"] = "durotomy"
    m.loc[::29, "spinal_level"] = "l4/5"
    m.loc[::31, "surgery_date"] = "NA"
    m.loc[::5, "odi_pre"] = " 44 "
    m.loc[::3, "satisfied_12m"] = "1"
    put("messy cells", m)
    v = base.copy()
    v["vas_leg_pre"] = (pd.to_numeric(v["vas_leg_pre"]) * 10).round()
    put("VAS 0-100", v)
    d = base.copy()
    d["surgery_date"] = pd.to_datetime(d["surgery_date"]).dt.strftime("%d/%m/%Y")
    put("day-first dates", d)
    bad = base.copy()
    bad.loc[5, "age"] = "forty"
    bad.loc[3, "case_id"] = bad.loc[4, "case_id"]
    bad.loc[9, "vas_back_pre"] = 11
    bad.loc[7, "approach"] = "Laser"
    put("problems", bad)
    x = base.copy()
    x["Extra notes"] = "free text"
    x.insert(3, "", "")
    x.loc[len(x)] = [""] * x.shape[1]
    put("unknown and unnamed columns, trailing blank row", x)
    b = base.copy()
    b.loc[100, :] = ""
    put("blank row inside", b)
    r = base.copy()
    r.loc[100, :] = "NA"  # R's write.csv: a record of nothing, inside and at the end
    r.loc[len(r)] = ["NA"] * r.shape[1]
    put("rows of NA", r)
    s = base.copy()
    s["length_of_stay_hours"] = s["length_of_stay_hours"].map(lambda h: f"{h}")
    s.loc[2, "length_of_stay_hours"] = "3 d"
    put("stay with a unit", s)
    put("tab separated", base, sep="\t")
    put("semicolons", base, sep=";")
    h = base.rename(columns={"case_id": "Patient ID", "length_of_stay_hours": "LOS (days)", "vas_leg_pre": "VAS leg pre-op"})
    put("registry headers", h)
    out["title rows"] = b"SpineDash export\n\n" + out["clean"]
    lines = out["clean"].split(b"\n")
    out["empty line inside"] = b"\n".join(lines[:50] + [b""] + lines[50:])
    out["BOM"] = b"\xef\xbb\xbf" + out["clean"]
    out["Windows-1252"] = base.assign(surgeon="Kirurg Ø").to_csv(index=False).encode("cp1252")
    return out


_MESSY = _messy_exports()


@pytest.mark.parametrize("name", list(_MESSY))
def test_fast_reader_gives_what_the_forgiving_reader_gives(name, monkeypatch):
    fast, slow, used = _both_readers(_MESSY[name], monkeypatch)
    _assert_same(fast, slow)
    if name in ("clean", "messy cells", "VAS 0-100", "day-first dates", "registry headers", "BOM", "tab separated",
                "unknown and unnamed columns, trailing blank row", "blank row inside", "rows of NA"):
        assert used, f"{name}: the fast reader should read this file"
    if name in ("semicolons", "title rows", "Windows-1252", "problems"):
        assert not used, f"{name}: the forgiving reader should read this file"


@_SLOW
@given(
    st.lists(st.sampled_from(list(schema.CANONICAL_COLUMNS) + ["Patient ID", "LOS (days)", "VAS leg pre-op", "x", ""]),
             min_size=1, max_size=8),
    st.lists(st.lists(st.one_of(_CELLS, st.sampled_from(["1", "2.5", " 3 ", "n/a", "NA", "-", "yes", "Open", "L4/5",
                                                         "2024-03-18", "18/03/2024", "1e3", "inf", ""])),
                      min_size=1, max_size=9), max_size=6),
    st.sampled_from([",", "\t", "|"]),
)
def test_fast_reader_agrees_on_arbitrary_cells(header, rows, delimiter):
    text = delimiter.join(header) + "\n" + "\n".join(delimiter.join(r) for r in rows)
    with pytest.MonkeyPatch.context() as mp:
        fast, slow, _ = _both_readers(text.encode("utf-8", "replace"), mp)
    _assert_same(fast, slow)


def _outcome(source, **kw):
    try:
        r = load_outcomes(source, **kw)
    except OutcomeDataError as err:
        return ("error", [(p.column, p.rows, p.message, p.n_rows) for p in err.problems])
    return ("ok", r.cases, r.warnings, r.info, r.column_mapping, r.rows_read, r.rows_accepted, r.file_format)


@pytest.mark.parametrize("name", list(_MESSY))
def test_a_path_reads_as_its_bytes_do(name, tmp_path, monkeypatch):
    """A file on disk is parsed from the page cache (mmap), not read into bytes first: same answer."""
    path = tmp_path / "export.csv"
    path.write_bytes(_MESSY[name])
    mapped = []
    fast_reader = ingest_read._read_csv_typed

    def spy(raw):
        out = fast_reader(raw)
        mapped.append((type(raw).__name__, out is not None))
        return out

    monkeypatch.setattr(ingest_read, "_read_csv_typed", spy)
    _assert_same(_outcome(path), _outcome(_MESSY[name], filename="export.csv"))
    assert mapped[0][0] == "mmap", "a path is handed to the fast reader mapped, not read"
    if name == "clean":
        assert mapped == [("mmap", True), ("bytes", True)]


@pytest.mark.parametrize("column", ["surgeon", "case_id", "vas_leg_pre"])
def test_a_mapped_file_that_is_not_utf8_deep_inside_is_read_as_latin1(column, tmp_path):
    """Only the head is checked before Arrow parses a mapped file: Arrow's own UTF-8 check of text cells
    (and a number column's parse) must send a Windows-1252 byte on row 2,900 to the forgiving reader."""
    from spinedash import sample

    cohort = sample.generate_cohort(3000, 5).astype(object)
    cohort.loc[2898, column] = "Kirurg Ø" if column != "vas_leg_pre" else "5Ø"
    data = cohort.to_csv(index=False).encode("cp1252")
    assert data[: 4 * 65536 + 3].isascii() and not data.isascii()  # past the head the reader checks itself
    path = tmp_path / "latin1.csv"
    path.write_bytes(data)
    assert ingest_read._read_csv_typed(ingest_read._map_file(path)) is None
    on_disk, in_memory = _outcome(path), _outcome(data, filename="latin1.csv")
    _assert_same(on_disk, in_memory)
    if column != "vas_leg_pre":
        assert any("not UTF-8" in i for i in on_disk[3])


def test_a_path_over_the_upload_limit_is_refused_without_mapping(tmp_path, monkeypatch):
    path = tmp_path / "big.csv"
    path.write_bytes(b"case_id,age\n" + b"1,40\n" * 1000)
    monkeypatch.setattr(ingest_read, "MAX_UPLOAD_MB", 0.001)
    assert ingest_read._map_file(path) is None
    assert "larger than" in only_problem(path).message


def test_cast_columns_orders_casts_and_does_not_copy_float_columns():
    from spinedash import sample

    cases = sample.generate_cohort(300, 2)
    out = {c: cases[c] for c in reversed(cases.columns) if c != "odi_6w"}  # any order, one column absent
    cast = schema.cast_columns(out, cases.index)
    pd.testing.assert_frame_equal(cast, cases.drop(columns="odi_6w"))
    assert np.shares_memory(cast["vas_leg_pre"].to_numpy(), cases["vas_leg_pre"].to_numpy())


def test_valid_utf8_check():
    assert ingest_read._valid_utf8("Kirurg Ø, 3–4 h".encode())
    assert ingest_read._valid_utf8(b"plain ascii")
    assert not ingest_read._valid_utf8("Kirurg Ø".encode("cp1252"))
    assert not ingest_read._valid_utf8(b"ok\xc3")  # cut in the middle of a character


def test_readme_names_each_regions_template_measures():
    """The README's template paragraph lists what data/templates/regions.csv puts in each region's template."""
    from spinedash.catalogue import load_catalogue
    from spinedash.ingest.template import template_measures

    readme = " ".join((Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8").split())
    measures = load_catalogue().measures
    for region in ingest.template_regions():
        assert f"{region}: " + ", ".join(measures[m].short_label for m in template_measures(region)) in readme, region


def _quoted_export(rng: random.Random) -> bytes:
    """A small quoted export whose text cells sometimes hold line breaks (one ends with one), in the
    middle or last column, with LF or CRLF line ends."""
    last_is_note = rng.random() < 0.5
    header = ["case_id", "condition", "vas_leg_pre"] + (["Notes"] if last_is_note else ["Notes", "site"])
    notes = ['"plain"', '"two\nlines"', '"said ""no""\nthen yes"', '"ends with a break\n"', '""', "", '"a,\r\nb"']
    rows, breaks = [], rng.choice([0.0, 0.01, 0.03, 0.15])
    for i in range(rng.randint(20, 120)):
        note = rng.choice(notes) if rng.random() < breaks else rng.choice(['"plain"', "", "x"])
        cells = [f'"C{i}"', rng.choice(['"Herniated disc"', "Spinal stenosis", '"Spinal, stenosis"']), rng.choice(["7", "6.5", ""]), note]
        if not last_is_note:
            cells.append(rng.choice(['"North"', "South", '""']))
        rows.append(",".join(cells))
    end = rng.choice(["\n", "\r\n"])
    return (",".join(header) + end + end.join(rows) + end).encode()


@pytest.mark.parametrize("seed", range(40))
def test_a_quoted_file_read_in_pieces_is_the_file_read_whole(seed, monkeypatch):
    """Cut at line breaks into pieces of a few dozen bytes, a quoted file whose cells hold line breaks
    reads as it reads whole: a cut inside a quoted cell is caught and the whole file parsed at once."""
    rng = random.Random(seed)
    data = _quoted_export(rng)
    monkeypatch.setattr(ingest_read, "_piece_size", lambda size: rng.randint(16, 120))
    monkeypatch.setattr(ingest_read.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(ingest_read, "_breaks_inside_cells", lambda head, delimiter: False)  # cut even where the head shows breaks
    pieces = ingest_read._parse_in_pieces
    used = []

    def spy(*args):
        used.append(args)
        return pieces(*args)

    monkeypatch.setattr(ingest_read, "_parse_in_pieces", spy)
    in_pieces = ingest_read._read_csv_typed(data)
    monkeypatch.setattr(ingest_read, "_parse_in_pieces", lambda *args: None)
    whole = ingest_read._read_csv_typed(data)
    assert used, "the quoted file was not offered to the piecewise parse"
    assert (in_pieces is None) == (whole is None)
    if whole is not None:
        pd.testing.assert_frame_equal(in_pieces[0], whole[0])
        assert in_pieces[1] == whole[1]


def test_pieces_are_used_for_a_quoted_file_without_line_breaks_in_cells(monkeypatch):
    rows = "".join(f'"C{i}","Herniated disc",{i % 10}\n' for i in range(400))
    data = ('case_id,condition,vas_leg_pre\n' + rows).encode()
    monkeypatch.setattr(ingest_read, "_piece_size", lambda size: 64)
    monkeypatch.setattr(ingest_read.os, "cpu_count", lambda: 2)
    table = ingest_read._parse_in_pieces(data, 0, "", ["f0", "f1", "f2"], ",", pacsv.ConvertOptions())
    assert table is not None and table.num_rows == 400
    assert table.column(0).num_chunks > 10
    assert table.column(0).to_pylist() == [f"C{i}" for i in range(400)]


def test_a_cut_inside_a_quoted_last_cell_sends_the_file_to_the_whole_parse(monkeypatch):
    """The cut the column count cannot catch: inside a quoted cell of the last column whose rest
    reads as a row ("x,y,3,z"). The piece's last cell then ends with the line break at the cut, and
    the file is parsed whole."""
    rows = "".join(f'"C{i}","Herniated disc",{i % 10},"note {i}"\n' for i in range(40))
    data = ('case_id,condition,vas_leg_pre,Notes\n' + rows + '"C40","Herniated disc",3,"two\nx,y,3,z"\n' + rows.replace('"C', '"D') + rows.replace('"C', '"E')).encode()
    inner = data.index(b"two\n") + 3  # the line break inside the quoted cell
    monkeypatch.setattr(ingest_read, "_piece_size", lambda size: inner)  # the first cut lands right after it
    monkeypatch.setattr(ingest_read.os, "cpu_count", lambda: 2)
    names = ["f0", "f1", "f2", "f3"]
    assert ingest_read._parse_in_pieces(data, 0, "", names, ",", pacsv.ConvertOptions()) is None
    frame, header = ingest_read._read_csv_typed(data)
    assert header == ["case_id", "condition", "vas_leg_pre", "Notes"]
    assert len(frame) == 121
    assert frame.iloc[40, 3] == "two\nx,y,3,z" and frame.iloc[41, 0] == "D0" and frame.iloc[-1, 0] == "E39"


def test_line_breaks_inside_cells_are_seen_in_the_head():
    assert not ingest_read._breaks_inside_cells('a,b\n"x",1\r\n"y",2\n\n', ",")
    assert ingest_read._breaks_inside_cells('a,b\n"x\ny",1\n', ",")
    assert ingest_read._breaks_inside_cells('a;b\n"x\r\ny";1\n', ";")
    assert ingest_read._breaks_inside_cells('a,b\n"x",1\n"cut inside\na cel', ",")  # the head ends inside a quoted cell
    assert not ingest_read._breaks_inside_cells('a,b\n"x",1\n"cut insi', ",")
