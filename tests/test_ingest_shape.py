"""Shape stage: each layout to one row per case, on small inline frames and on the registry-shaped files.

Tables are built the way the read stage hands them over: text cells, index = spreadsheet row numbers
(header = row 1). The export files in tests/data/exports/ are compared with the synthetic cases
they were written from (tests/data/exports/make_exports.py).
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from spinedash.ingest.shape import LAYOUT_KINDS, detect_layout, parse_timepoint, shape
from spinedash.validation import OutcomeDataError
from tests.data.exports import make_exports

EXPORTS = make_exports.HERE
LUMBAR = {c.case_id: c for c in make_exports.lumbar_cases()}


def table(rows: list[dict] | pd.DataFrame) -> pd.DataFrame:
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows)
    frame = frame.astype(object).where(frame.notna(), None)
    frame.index = pd.RangeIndex(2, 2 + len(frame))
    return frame


def read_csv(name: str, **kw) -> pd.DataFrame:
    frame = pd.read_csv(EXPORTS / name, dtype=str, keep_default_na=False, na_values=[""], **kw)
    frame.index = pd.RangeIndex(2, 2 + len(frame))
    return frame


def read_xlsx(name: str) -> dict[str, pd.DataFrame]:
    sheets = pd.read_excel(io.BytesIO((EXPORTS / name).read_bytes()), sheet_name=None, dtype=str)
    out = {}
    for sheet, frame in sheets.items():
        frame.index = pd.RangeIndex(2, 2 + len(frame))
        out[f"{name}/{sheet}"] = frame
    return out


def number(v) -> float:
    return float(str(v).replace(",", "."))


# ---------------------------------------------------------------------------------------------
# Time point words
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("pre", "pre"), ("Pre-op", "pre"), ("Baseline", "pre"), ("baseline_arm_1", "pre"), ("Før operasjon", "pre"),
        ("preop", "pre"), ("3 months", "3m"), ("3_months_arm_1", "3m"), ("3 mnd", "3m"), ("3mnd", "3m"),
        ("12 months (Arm 1: Surgery)", "12m"), ("1 år", "12m"), ("1 year", "12m"), ("2 år", "24m"), ("24 Mo", "24m"),
        ("6 weeks", "6w"), ("6 uker", "6w"), ("2w", "2w"), ("Month 6", "6m"), ("12m", "12m"), ("d180", "6m"),
        ("5 years", "d1825"), ("10 days", "d10"), ("3 months follow-up", "3m"), ("Visit 2", None), ("Enrollment", None),
        ("", None), ("surgery", None),
    ],
)  # fmt: skip
def test_parse_timepoint(text, expected):
    assert parse_timepoint(text) == expected


# ---------------------------------------------------------------------------------------------
# wide
# ---------------------------------------------------------------------------------------------


def test_wide_passes_the_table_through_and_says_which_sheet_it_read():
    cases = table([{"case_id": "A", "odi_pre": "40"}, {"case_id": "B", "odi_pre": "52"}])
    notes_sheet = table([{"note": "exported 2025-01-01"}])
    got = shape({"book.xlsx/Cases": cases, "book.xlsx/Readme": notes_sheet}, {"kind": "wide", "table": "book.xlsx/Cases"})
    pd.testing.assert_frame_equal(got.cases, cases)
    assert got.timepoint == {}
    assert any("Readme" in n for n in got.notes)


def test_wide_flag_groups_collapse_registry_flags_into_one_column():
    frame = table(
        [
            {"id": "1", "OpL34": "0", "OpL45": "1", "OpL5S1": "0", "RfSkive": "1", "RfSentr": "0"},
            {"id": "2", "OpL34": "0", "OpL45": "1", "OpL5S1": "1", "RfSkive": "1", "RfSentr": "1"},
            {"id": "3", "OpL34": "0", "OpL45": "0", "OpL5S1": "0", "RfSkive": "0", "RfSentr": "1"},
        ]
    )
    layout = {
        "kind": "wide",
        "flag_groups": {
            "level": {"columns": ["OpL34", "OpL45", "OpL5S1"], "multiple": "join"},
            "diagnosis": {"columns": ["RfSkive", "RfSentr"], "multiple": "first"},
        },
    }
    got = shape({"f.csv": frame}, layout)
    assert got.cases["level"].iloc[:2].tolist() == ["OpL45", "OpL45;OpL5S1"]
    assert pd.isna(got.cases["level"].iloc[2])
    assert got.cases["diagnosis"].tolist() == ["RfSkive", "RfSkive", "RfSentr"]
    assert "OpL45" not in got.cases.columns
    assert any("first in this order: RfSkive, RfSentr" in n for n in got.notes)


@pytest.mark.parametrize(
    "cells, expected",
    [
        ({"lvl___1": "1", "lvl___2": "0", "lvl___3": "1"}, "1;3"),  # raw
        ({"lvl___1": "Unchecked", "lvl___2": "Checked", "lvl___3": "Unchecked"}, "2"),  # labels
        ({"lvl___1": None, "lvl___2": "L4-L5", "lvl___3": None}, "L4-L5"),  # export_checkbox_label
    ],
)
def test_checkbox_columns_collapse_to_the_ticked_choices(cells, expected):
    got = shape({"f.csv": table([{"record_id": "1", **cells}])}, {"kind": "wide"})
    assert got.cases["lvl"].tolist() == [expected]
    assert not any(c.startswith("lvl___") for c in got.cases.columns)


# ---------------------------------------------------------------------------------------------
# long
# ---------------------------------------------------------------------------------------------

LONG = [
    {"case": "A", "visit": "Pre-op", "approach": "Open", "vas_leg": "7", "satisfied": None},
    {"case": "A", "visit": "3 months", "approach": "Open", "vas_leg": "3", "satisfied": None},
    {"case": "A", "visit": "12 months", "approach": "Open", "vas_leg": "2", "satisfied": "yes"},
    {"case": "B", "visit": "Pre-op", "approach": "Microscopic", "vas_leg": "8", "satisfied": None},
    {"case": "B", "visit": "12 months", "approach": "Microscopic", "vas_leg": "1", "satisfied": "no"},
]


def test_long_pivots_measures_keeps_case_columns_and_records_single_time_point_columns():
    got = shape({"f.csv": table(LONG)}, {"kind": "long", "case_id": "case", "timepoint_column": "visit"})
    c = got.cases
    assert c["case"].tolist() == ["A", "B"]
    assert c["approach"].tolist() == ["Open", "Microscopic"]  # same on every row of a case: a case column
    assert c["vas_leg@pre"].tolist() == ["7", "8"]
    assert c["vas_leg@3m"].iloc[0] == "3" and pd.isna(c["vas_leg@3m"].iloc[1])
    assert c["vas_leg@12m"].tolist() == ["2", "1"]
    assert got.timepoint["vas_leg@12m"] == "12m"
    assert c["satisfied"].tolist() == ["yes", "no"] and got.timepoint["satisfied"] == "12m"
    assert "approach" not in got.timepoint
    assert c.index.tolist() == [2, 5]  # each case points at its first spreadsheet row


def test_long_refuses_two_rows_for_one_case_and_time_point_naming_the_rows():
    rows = [*LONG, {"case": "B", "visit": "12 months", "approach": "Microscopic", "vas_leg": "2", "satisfied": None}]
    with pytest.raises(OutcomeDataError) as err:
        shape({"f.csv": table(rows)}, {"kind": "long", "case_id": "case", "timepoint_column": "visit"})
    p = err.value.problems[0]
    assert p.column == "case" and p.rows == (6, 7)
    assert "'B' at 12m" in p.message


def test_long_names_time_points_it_cannot_place_and_their_rows():
    rows = [*LONG[:2], {"case": "A", "visit": "Visit 7", "approach": "Open", "vas_leg": "1", "satisfied": None}]
    with pytest.raises(OutcomeDataError) as err:
        shape({"f.csv": table(rows)}, {"kind": "long", "case_id": "case", "timepoint_column": "visit"})
    p = err.value.problems[0]
    assert p.column == "visit" and p.rows == (4,) and "'Visit 7'" in p.message


def test_long_layout_mapping_places_a_word_and_null_leaves_rows_out_with_a_note():
    rows = [*LONG[:2], {"case": "A", "visit": "Visit 7", "approach": "Open", "vas_leg": "1", "satisfied": None}]
    got = shape(
        {"f.csv": table(rows)},
        {"kind": "long", "case_id": "case", "timepoint_column": "visit", "timepoints": {"Visit 7": None}},
    )
    assert "vas_leg@pre" in got.cases.columns and not any("Visit 7" in c for c in got.cases.columns)
    assert any("'Visit 7'" in n and "left out" in n for n in got.notes)
    got = shape({"f.csv": table(rows)}, {"kind": "long", "case_id": "case", "timepoint_column": "visit", "timepoints": {"Visit 7": "24m"}})
    assert got.cases["vas_leg@24m"].tolist() == ["1"]


def test_long_refuses_rows_without_a_case_id():
    rows = [*LONG[:2], {"case": None, "visit": "12 months", "approach": "Open", "vas_leg": "1", "satisfied": None}]
    with pytest.raises(OutcomeDataError) as err:
        shape({"f.csv": table(rows)}, {"kind": "long", "case_id": "case", "timepoint_column": "visit"})
    assert err.value.problems[0].rows == (4,)


def test_long_detected_when_ids_repeat_and_a_column_holds_time_points():
    guess = detect_layout({"f.csv": table(LONG)})
    assert guess.kind == "long"
    assert guess.settings["case_id"] == "case" and guess.settings["timepoint_column"] == "visit"
    assert "repeats" in guess.evidence and "visit" in guess.evidence
    shape({"f.csv": table(LONG)}, guess.settings)  # the guess is a layout shape() takes


def test_a_million_row_shaped_long_file_is_column_at_a_time():
    """Not a timing test: a larger long frame still yields exactly one row per case (no per-row paths)."""
    n = 20_000
    ids = np.repeat(np.arange(n), 3).astype(str)
    tps = np.tile(np.array(["pre", "3m", "12m"], dtype=object), n)
    frame = pd.DataFrame({"case": ids, "tp": tps, "odi": np.arange(3 * n, dtype=float), "sex": np.repeat(np.where(np.arange(n) % 2, "f", "m"), 3)})
    got = shape({"f": frame}, {"kind": "long", "case_id": "case", "timepoint_column": "tp"})
    assert len(got.cases) == n
    assert got.cases["odi@12m"].iloc[-1] == 3 * n - 1
    assert "sex" in got.cases.columns


# ---------------------------------------------------------------------------------------------
# REDCap longitudinal (raw and labels)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["redcap_longitudinal_raw.csv", "redcap_longitudinal_labels.csv"])
def test_redcap_export_becomes_one_row_per_record_with_its_events(name):
    from spinedash.ingest.read import read_tables

    tables = read_tables(str(EXPORTS / name))  # the real reader: empty cells arrive as '' in category columns
    guess = detect_layout(tables)
    assert guess.kind == "long" and guess.settings["case_id"] == "record_id"
    assert set(guess.settings["timepoints"].values()) == {"pre", "3m", "12m", "24m"}
    assert "REDCap" in guess.evidence
    got = shape(tables, guess.settings)
    c = got.cases.set_index("record_id")
    assert len(c) == len(LUMBAR)
    for case_id, truth in LUMBAR.items():
        for tp in ("pre", "3m", "12m", "24m"):
            want = truth.scores["leg"].get(tp)
            have = c.loc[case_id, f"vas_leg@{tp}"]
            assert (pd.isna(have) and want is None) or number(have) == want, (case_id, tp)
        assert c.loc[case_id, "surgery_date"] == truth.surgery_date.isoformat()
    assert not any(col.endswith("_complete") for col in c.columns)
    assert any("form-status" in n for n in got.notes)
    assert {"redcap_repeat_instrument", "redcap_repeat_instance"}.isdisjoint(c.columns)
    if name.endswith("raw.csv"):
        assert c.loc["1001", "level"] == make_exports.REDCAP_LEVELS[LUMBAR["1001"].level][0]
        assert c.loc["1008", "compl_type"] == "1"  # first instance of the repeating instrument
    else:
        assert c.loc["1001", "sex"] == "Male"
        assert c.loc["1008", "compl_type"] == "Dural tear"
    assert any("later instances" in n for n in got.notes)
    assert got.timepoint["surgery_date"] == "pre" and got.timepoint["satisfaction@12m"] == "12m"


# ---------------------------------------------------------------------------------------------
# PROM tidy
# ---------------------------------------------------------------------------------------------


def test_prom_tidy_export_pivots_instruments_by_time_point():
    tables = {"prom_tidy_export.csv": read_csv("prom_tidy_export.csv")}
    guess = detect_layout(tables)
    assert guess.kind == "prom_tidy"
    assert guess.settings["case_id"] == "episode_id"  # not patient_id: a patient may have two episodes
    got = shape(tables, guess.settings)
    c = got.cases.set_index("episode_id")
    for case_id, truth in LUMBAR.items():
        for tp, v in truth.scores["odi"].items():
            assert number(c.loc[f"E{case_id}", f"ODI@{tp}"]) == v
        assert c.loc[f"E{case_id}", "procedure_date"] == truth.surgery_date.isoformat()
    assert got.timepoint["EQ-5D-5L index@24m"] == "24m"
    assert "procedure" in c.columns and "procedure" not in got.timepoint


def test_prom_tidy_refuses_two_scores_for_one_instrument_and_time_point():
    rows = [
        {"episode": "E1", "timepoint": "Pre-op", "instrument": "ODI", "score": "40"},
        {"episode": "E1", "timepoint": "Pre-op", "instrument": "ODI", "score": "42"},
    ]
    layout = {"kind": "prom_tidy", "case_id": "episode", "timepoint_column": "timepoint", "instrument_column": "instrument", "value_column": "score"}
    with pytest.raises(OutcomeDataError) as err:
        shape({"f.csv": table(rows)}, layout)
    assert err.value.problems[0].rows == (2, 3) and err.value.problems[0].column == "score"


# ---------------------------------------------------------------------------------------------
# One sheet per time point
# ---------------------------------------------------------------------------------------------


def test_workbook_with_a_sheet_per_time_point_keeps_every_sheet():
    tables = read_xlsx("workbook_per_timepoint.xlsx")
    guess = detect_layout(tables)
    assert guess.kind == "sheet_per_timepoint"
    assert guess.settings["sheets"] == {"Pre-op": "pre", "3 months": "3m", "12 months": "12m", "24 months": "24m"}
    assert guess.settings["case_sheet"] == "Operations" and guess.settings["case_id"] == "Case"
    got = shape(tables, guess.settings)
    c = got.cases.set_index("Case")
    assert len(c) == len(LUMBAR)
    for case_id, truth in LUMBAR.items():
        for tp, v in truth.scores["back"].items():
            assert number(c.loc[case_id, f"VAS back@{tp}"]) == v
        assert c.loc[case_id, "Diagnosis"] == truth.condition
    assert got.timepoint["ODI@24m"] == "24m"


# ---------------------------------------------------------------------------------------------
# Operations + follow-up
# ---------------------------------------------------------------------------------------------


def test_questionnaires_go_to_the_operation_they_follow_by_date():
    tables = {"operations.csv": read_csv("operations.csv"), "followup.csv": read_csv("followup.csv")}
    guess = detect_layout(tables)
    assert guess.kind == "operations_followup"
    assert guess.settings["patient_id"] == "Patient no" and guess.settings["case_id"] == "Operation no"
    assert "more than one operation" in guess.evidence
    got = shape(tables, guess.settings)
    c = got.cases.set_index("Operation no")
    assert len(c) == len(LUMBAR)
    first, second = make_exports.lumbar_cases()[:2]
    # patient 5001: first operation keeps its pre-op and 3-month forms, no 12-month form...
    assert number(c.loc["OP1001", "Leg pain (0-10)@pre"]) == first.scores["leg"]["pre"]
    assert number(c.loc["OP1001", "Leg pain (0-10)@3m"]) == first.scores["leg"]["3m"]
    assert pd.isna(c.loc["OP1001", "Leg pain (0-10)@12m"])
    # ...and the form 14 days before the second operation is the second operation's pre-op form
    assert number(c.loc["OP1002", "Leg pain (0-10)@pre"]) == second.scores["leg"]["pre"]
    assert number(c.loc["OP1002", "ODI (%)@12m"]) == second.scores["odi"]["12m"]
    for case_id, truth in list(LUMBAR.items())[2:]:
        for tp, v in truth.scores["odi"].items():
            if tp in ("pre", "3m", "12m"):
                assert number(c.loc[f"OP{case_id}", f"ODI (%)@{tp}"]) == v


def test_a_questionnaire_before_any_operation_is_reported_not_dropped_silently():
    ops = table([{"op": "X1", "pid": "P", "date": "2024-05-01"}])
    fus = table([{"pid": "P", "when": "2023-01-01", "odi": "50"}, {"pid": "P", "when": "2024-08-01", "odi": "20"}])
    layout = {"kind": "operations_followup", "operations": "ops", "followup": "fu", "patient_id": "pid", "case_id": "op", "operation_date": "date", "followup_date": "when"}
    got = shape({"ops": ops, "fu": fus}, layout)
    assert got.cases["odi@3m"].tolist() == ["20"]
    assert any("follow no operation" in n and "2" in n for n in got.notes)


def test_followup_joined_on_case_id_uses_its_time_point_column():
    ops = table([{"case": "C1", "approach": "Open"}, {"case": "C2", "approach": "Microscopic"}])
    fus = table([{"case": "C1", "tp": "pre", "odi": "50"}, {"case": "C1", "tp": "12 months", "odi": "10"}, {"case": "C2", "tp": "pre", "odi": "40"}])
    guess = detect_layout({"ops.csv": ops, "fu.csv": fus})
    assert guess.kind == "operations_followup" and guess.settings["case_id"] == "case"
    got = shape({"ops.csv": ops, "fu.csv": fus}, guess.settings)
    assert got.cases["odi@12m"].tolist()[0] == "10" and pd.isna(got.cases["odi@12m"].iloc[1])
    assert got.cases["approach"].tolist() == ["Open", "Microscopic"]


def test_operation_without_a_date_is_refused_with_its_row():
    ops = table([{"op": "X1", "pid": "P", "date": "2024-05-01"}, {"op": "X2", "pid": "P", "date": None}])
    fus = table([{"pid": "P", "when": "2024-08-01", "odi": "20"}])
    layout = {"kind": "operations_followup", "operations": "ops", "followup": "fu", "patient_id": "pid", "case_id": "op", "operation_date": "date", "followup_date": "when"}
    with pytest.raises(OutcomeDataError) as err:
        shape({"ops": ops, "fu": fus}, layout)
    assert err.value.problems[0].column == "date" and err.value.problems[0].rows == (3,)


# ---------------------------------------------------------------------------------------------
# Detection over all eleven files
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "names, kind",
    [
        (["norspine_lumbar_datadump.csv"], "wide"),
        (["nkr_cervical_datadump.csv"], "wide"),
        (["swespine_style_clinic.csv"], "wide"),
        (["spine_tango_style_clinic.tsv"], "wide"),
        (["cervical_clinic.csv"], "wide"),
        (["redcap_longitudinal_raw.csv"], "long"),
        (["redcap_longitudinal_labels.csv"], "long"),
        (["redcap_classic_repeating.csv"], "long"),
        (["prom_tidy_export.csv"], "prom_tidy"),
        (["workbook_per_timepoint.xlsx"], "sheet_per_timepoint"),
        (["operations.csv", "followup.csv"], "operations_followup"),
    ],
)
def test_every_export_is_read_detected_and_shaped_to_its_cases(names, kind):
    """Through the real read stage (bytes to tables), as an upload arrives."""
    from spinedash.ingest.read import read_tables

    paths = [str(EXPORTS / n) for n in names]
    tables = read_tables(paths if len(paths) > 1 else paths[0])
    guess = detect_layout(tables)
    assert guess.kind == kind and guess.kind in LAYOUT_KINDS
    assert guess.evidence and guess.evidence.endswith(".")
    got = shape(tables, guess.settings)
    n = len(make_exports.cervical_cases()) if "cervical" in names[0] or "nkr" in names[0] else len(LUMBAR)
    assert len(got.cases) == n
    assert got.cases.index.is_unique and pd.api.types.is_integer_dtype(got.cases.index)
    if kind != "wide":
        assert got.timepoint and all(tp in ("pre", "3m", "12m", "24m") for tp in got.timepoint.values())


def test_unknown_layout_kind_is_a_readable_refusal():
    with pytest.raises(OutcomeDataError, match="not a layout SpineDash knows"):
        shape({"f": table(LONG)}, {"kind": "diagonal"})
