"""Each ingest stage on its own: read (bytes -> tables), shape (wide), map (columns, codes, units), validate,
and the import profile (load, dump, built-in detection, refusals that say what was recognised)."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest

from spinedash.ingest import load_outcomes, run_pipeline
from spinedash.ingest.map import (
    choose_columns,
    decide_stay_unit,
    decide_vas_scale,
    map_columns,
    value_table,
)
from spinedash.ingest.profile import detect_profile, dump_profile, load_profile, matches
from spinedash.ingest.read import read_source, read_tables
from spinedash.ingest.shape import detect_layout, shape
from spinedash.ingest.validate import column_label, validate
from spinedash.validation import OutcomeDataError

CSV = "case_id,condition,approach,vas_leg_pre,vas_leg_12m\nC1,Herniated disc,Open,7,2\nC2,Spinal stenosis,Open,6,3\n"


# --- read ----------------------------------------------------------------------------------------

def test_read_gives_header_names_row_numbers_and_how_it_was_read():
    tables = read_source(CSV.encode(), "export.csv")
    assert list(tables) == ["export.csv"]
    frame = tables["export.csv"]
    assert list(frame.columns) == ["case_id", "condition", "approach", "vas_leg_pre", "vas_leg_12m"]
    assert list(frame.index) == [2, 3]  # spreadsheet rows: the header is row 1
    assert frame.attrs["format"] == "text" and frame.attrs["header_row"] == 1 and frame.attrs["rows_read"] == 2


def test_read_semicolon_file_says_decimal_comma():
    frame = read_source(CSV.replace(",", ";").encode(), "x.csv")["x.csv"]
    assert frame.attrs["decimal_comma"] is True
    assert any("decimal comma" in n for n in frame.attrs["notes"])


def test_read_every_sheet_of_a_workbook():
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xl:
        pd.DataFrame({"case_id": ["C1"], "vas_leg_pre": [7]}).to_excel(xl, sheet_name="Pre", index=False)
        pd.DataFrame({"case_id": ["C1"], "vas_leg_12m": [2]}).to_excel(xl, sheet_name="12 months", index=False)
        pd.DataFrame().to_excel(xl, sheet_name="Empty", index=False)
    tables = read_source(buf.getvalue(), "book.xlsx")
    assert list(tables) == ["book.xlsx/Pre", "book.xlsx/12 months"]  # the empty sheet is left out
    assert list(tables["book.xlsx/12 months"].columns) == ["case_id", "vas_leg_12m"]


def test_read_several_files_names_them():
    tables = read_tables([CSV.encode(), CSV.encode()])
    assert list(tables) == ["file 1", "file 2"]


# --- shape (wide) --------------------------------------------------------------------------------

def test_wide_layout_takes_the_table_with_the_most_known_headers_and_says_which():
    tables = {"book.xlsx/Notes": pd.DataFrame({"remark": ["x"]}), "book.xlsx/Cases": pd.DataFrame({"case_id": ["C1"], "approach": ["Open"]})}
    guess = detect_layout(tables)
    assert guess.kind == "wide" and guess.evidence
    shaped = shape(tables, guess.settings)
    assert list(shaped.cases.columns) == ["case_id", "approach"]
    assert any("other sheets were ignored: Notes" in n for n in shaped.notes)


# --- map: columns --------------------------------------------------------------------------------

def test_every_source_column_gets_a_target_or_is_reported_with_candidates():
    choices, problems = choose_columns(["Patient ID", "LOS (days)", "Oswestry 12 mnd", "VAS leg pre-op", "Kommentar", "Dato operasjon"])
    by = {c.source: c for c in choices}
    assert not problems
    assert by["Patient ID"].target == "case_id"
    assert (by["LOS (days)"].target, by["LOS (days)"].unit) == ("length_of_stay_hours", "days")
    assert by["Oswestry 12 mnd"].target == "odi_12m"
    assert by["Kommentar"].target is None and by["Kommentar"].how == "unmatched"
    assert "surgery_date" in by["Dato operasjon"].candidates or by["Dato operasjon"].target == "surgery_date"


def test_profile_columns_win_and_null_is_the_users_visible_choice():
    columns = {"OswTot": "odi", "Kommentar": None, "OpDato": "surgery_date", "VAS": "vas_leg_12m"}
    choices, problems = choose_columns(["OswTot@12m", "Kommentar", "OpDato", "VAS"], columns, {"OswTot@12m": "12m"})
    by = {c.source: c for c in choices}
    assert not problems
    assert by["OswTot@12m"].target == "odi_12m" and by["OswTot@12m"].how == "profile"
    assert by["Kommentar"].how == "ignored"
    assert by["OpDato"].target == "surgery_date" and by["VAS"].target == "vas_leg_12m"


def test_profile_naming_an_unknown_target_is_a_problem_on_that_column():
    _, problems = choose_columns(["X"], {"X": "not_a_column"})
    assert problems and problems[0].column == "X" and "not a column or measure" in problems[0].message


def test_pivoted_column_named_by_a_measure_word_composes_the_time_point():
    choices, _ = choose_columns(["ODI@3m", "Oswestry@12m"], timepoint={"ODI@3m": "3m", "Oswestry@12m": "12m"})
    assert [c.target for c in choices] == ["odi_3m", "odi_12m"]


def test_ignored_columns_are_reported_not_dropped_silently():
    frame = pd.DataFrame({"case_id": ["C1"], "condition": ["Herniated disc"], "approach": ["Open"], "vas_leg_pre": ["7"],
                          "Kommentar": ["x"], "Intern": ["y"]}, index=[2])
    mapped = map_columns(frame, profile={"columns": {"Intern": None}})
    assert any("ignored: Kommentar" in w for w in mapped.warnings)
    assert any("left out by your choice: Intern" in i for i in mapped.info)


# --- map: codes ----------------------------------------------------------------------------------

def test_value_table_counts_codes_and_suggests_from_the_knowledge_base():
    raw = pd.Series(["PTED", "open", "MIS", "MIS", "Zauber", None], index=range(2, 8))
    table = value_table(raw, "approach").set_index("value")
    assert table.loc["MIS", "count"] == 2 and table.loc["MIS", "status"] == "ask"
    assert "Tubular MIS" in table.loc["MIS", "note"]  # the candidates are asked, not picked
    assert table.loc["PTED", "maps_to"] == "Full-endoscopic"
    assert table.loc["open", "maps_to"] == "Open"
    assert table.loc["Zauber", "status"] == "unmapped" and pd.isna(table.loc["Zauber", "maps_to"])


def test_sex_codes_one_two_are_suggested_with_their_standard_zero_one_is_asked():
    t12 = value_table(pd.Series(["1", "2", "2"]), "sex").set_index("value")
    assert t12.loc["1", "maps_to"] == "male" and t12.loc["2", "maps_to"] == "female"
    assert t12.loc["2", "status"] == "suggested" and "5218" in t12.loc["2", "note"]
    t01 = value_table(pd.Series(["0", "1"]), "sex").set_index("value")
    assert t01["maps_to"].isna().all() and (t01["status"] == "unmapped").all()


@pytest.mark.parametrize("word,expected", [("kvinne", "female"), ("kvinna", "female"), ("weiblich", "female"),
                                           ("mann", "male"), ("männlich", "male"), ("manlig", "male")])
def test_scandinavian_and_german_sex_words(word, expected):
    text = f"case_id,condition,approach,vas_leg_pre,Kjønn\nC1,Herniated disc,Open,7,{word}\n"
    assert load_outcomes(text.encode()).cases["sex"].iloc[0] == expected


@pytest.mark.parametrize("word,expected", [("ja", True), ("nej", False), ("nein", False), ("nei", False)])
def test_yes_no_words(word, expected):
    text = f"case_id,condition,approach,vas_leg_pre,Reoperation\nC1,Herniated disc,Open,7,{word}\n"
    assert bool(load_outcomes(text.encode()).cases["reoperation_12m"].iloc[0]) is expected


def test_sex_numeric_codes_without_a_table_are_reported_never_guessed():
    text = "case_id,condition,approach,vas_leg_pre,sex\nC1,Herniated disc,Open,7,1\nC2,Herniated disc,Open,7,2\n"
    with pytest.raises(OutcomeDataError) as info:
        load_outcomes(text.encode())
    (p,) = info.value.problems
    assert p.column == "sex" and p.rows == (2, 3) and "look like codes" in p.message


def test_profile_code_table_maps_codes_and_leaves_the_rest_reported():
    text = "case_id,condition,approach,vas_leg_pre,sex\nC1,Herniated disc,Open,7,1\nC2,Herniated disc,Open,7,2\nC3,Herniated disc,Open,7,9\n"
    profile = {"spinedash_profile": 1, "codes": {"sex": {"1": "male", "2": "female"}}}
    with pytest.raises(OutcomeDataError) as info:
        load_outcomes(text.encode(), profile)
    (p,) = info.value.problems
    assert p.rows == (4,) and "'9'" in p.message  # the unmapped code, with its row
    ok = load_outcomes(text.replace(",9\n", ",2\n").encode(), profile)
    assert ok.cases["sex"].tolist() == ["male", "female", "female"]


def test_ambiguous_approach_word_is_asked_about_not_mapped():
    text = "case_id,condition,approach,vas_leg_pre\nC1,Herniated disc,MIS,7\n"
    with pytest.raises(OutcomeDataError) as info:
        load_outcomes(text.encode())
    (p,) = info.value.problems
    assert "can mean" in p.message and "Tubular MIS" in p.message and "Codes step" in p.message
    ok = load_outcomes(text.encode(), {"spinedash_profile": 1, "codes": {"approach": {"MIS": "Tubular MIS"}}})
    assert ok.cases["approach"].tolist() == ["Tubular MIS"]


def test_satisfaction_rating_with_a_stated_cutoff():
    text = "case_id,condition,approach,vas_leg_pre,Satisfied\n" + "".join(
        f"C{i},Herniated disc,Open,7,{r}\n" for i, r in enumerate([1, 2, 3, 4, 5, ""]))
    with pytest.raises(OutcomeDataError) as info:
        load_outcomes(text.encode())  # 3, 4, 5 are not yes/no: reported, with the cut-off hint
    assert "cut-off" in info.value.problems[0].message
    profile = {"spinedash_profile": 1, "cutoffs": {"satisfaction": {"satisfied_if": ["1", "2"], "note": "1–2 on a 1–5 scale = satisfied"}}}
    result = load_outcomes(text.encode(), profile)
    assert result.cases["satisfied_12m"].tolist()[:5] == [True, True, False, False, False]
    assert pd.isna(result.cases["satisfied_12m"].iloc[5])
    assert any("1–2 on a 1–5 scale = satisfied" in i for i in result.info)


# --- map: units ----------------------------------------------------------------------------------

def test_stay_unit_decided_from_values_with_evidence():
    days = decide_stay_unit(pd.Series([1, 2, 2, 3, 14.0]))
    assert days.unit == "days" and days.evidence == "max 14, median 2, whole numbers: looks like days"
    hours = decide_stay_unit(pd.Series([3.2, 6, 26, 96]))
    assert hours.unit == "hours" and "looks like hours" in hours.evidence


def test_profile_unit_overrides_the_values():
    text = "case_id,condition,approach,vas_leg_pre,LOS\nC1,Herniated disc,Open,7,30\n"
    assert load_outcomes(text.encode(), {"spinedash_profile": 1, "units": {"length_of_stay_hours": "days"}}).cases["length_of_stay_hours"].tolist() == [720.0]
    assert load_outcomes(text.encode(), {"spinedash_profile": 1, "units": {"length_of_stay_hours": "hours"}}).cases["length_of_stay_hours"].tolist() == [30.0]


def test_vas_scale_decision_and_profile_override():
    assert decide_vas_scale([np.array([70.0, 20, 5, np.nan])]).unit == "0-100"
    assert decide_vas_scale([np.array([7.0, 2, 5])]).unit == "0-10"
    text = "case_id,condition,approach,vas_leg_pre\nC1,Herniated disc,Open,8\nC2,Herniated disc,Open,6\n"
    forced = load_outcomes(text.encode(), {"spinedash_profile": 1, "units": {"vas_leg": "0-100"}})
    assert forced.cases["vas_leg_pre"].tolist() == [0.8, 0.6]


# --- validate ------------------------------------------------------------------------------------

def test_validate_alone_gives_every_column_and_says_what_was_not_in_the_file():
    frame = pd.DataFrame({"case_id": ["C1"], "condition": ["Herniated disc"], "approach": ["Open"], "vas_leg_pre": ["7"]}, index=[2])
    cases, warnings, info = validate(map_columns(frame), frame.index)
    assert len(cases) == 1 and "vas_back_12m" in cases.columns
    note = next(i for i in info if i.startswith("Not in the file"))
    assert "VAS back pain at 12 months" in note and "vas_back_12m" not in note  # the user's words


def test_column_labels_are_the_surgeons_words():
    assert column_label("vas_leg_2w") == "VAS leg pain at 2 weeks"
    assert column_label("length_of_stay_hours") == "hospital stay"


# --- refusals that still help --------------------------------------------------------------------

def test_refused_file_shows_what_was_recognised_and_candidates_for_what_is_missing():
    text = "Patient ID,Diagnose,Metode,VAS leg pre-op\nP1,Herniated disc,Open,7\nP2,Spinal stenosis,Microscopic,6\n"
    with pytest.raises(OutcomeDataError) as info:
        load_outcomes(text.encode())
    err = info.value
    assert err.recognised["Patient ID"] == "case_id" and err.recognised["VAS leg pre-op"] == "vas_leg_pre"
    assert "Metode" in err.candidates["approach"]
    assert any("Candidates in your file: 'Metode'" in h for h in err.hints)


def test_repeated_ids_that_look_like_visits_offer_the_long_layout():
    text = ("record_id,redcap_event_name,condition,approach,vas_leg\n"
            "1,baseline_arm_1,Herniated disc,Open,7\n1,3_months_arm_1,Herniated disc,Open,3\n"
            "2,baseline_arm_1,Herniated disc,Open,6\n")
    with pytest.raises(OutcomeDataError) as info:
        load_outcomes(text.encode(), {"spinedash_profile": 1, "layout": {"kind": "wide"}})
    message = next(p.message for p in info.value.problems if p.column.startswith("record_id"))
    assert "one row per visit" in message and "Do not delete rows" in message and "redcap_event_name" in message


# --- profiles ------------------------------------------------------------------------------------

def test_profile_round_trip_from_path_bytes_and_dict(tmp_path):
    profile = {"name": "Clinic X", "spinedash_profile": 1, "columns": {"Pasient": "case_id"}, "codes": {"sex": {"1": "male"}}}
    data = dump_profile(profile)
    assert list(json.loads(data)) == ["spinedash_profile", "name", "columns", "codes"]  # documented order
    path = tmp_path / "clinic.json"
    path.write_bytes(data)
    assert load_profile(path) == load_profile(data) == load_profile(profile) == load_profile(str(path))


@pytest.mark.parametrize("bad", [b"not json", b"{}", b'{"spinedash_profile": 2}', b'{"spinedash_profile": 1, "colums": {}}',
                                 b'{"spinedash_profile": 1, "columns": []}', b'{"spinedash_profile": 1, "read": {"delimiter": "ab"}}',
                                 b'{"spinedash_profile": 1, "read": {"encoding": "klingon"}}', b'{"spinedash_profile": 1, "columns": {"x": 5}}',
                                 b'{"spinedash_profile": 1, "codes": {"sex": {"1": 2}}}', b'{"spinedash_profile": 1, "cutoffs": {"satisfaction": 3}}'])
def test_bad_profiles_are_refused_with_a_message(bad):
    with pytest.raises(OutcomeDataError) as info:
        load_profile(bad)
    assert info.value.problems[0].column == "(profile)"


def test_profile_used_is_reported_and_detect_needs_all_columns():
    profile = {"spinedash_profile": 1, "detect": {"all_columns": ["PasientID", "OpDato"]}}
    assert matches(profile, {"a": pd.DataFrame(columns=["PasientID", "OpDato", "x"])})
    assert not matches(profile, {"a": pd.DataFrame(columns=["PasientID"])})
    assert detect_profile({"a": pd.DataFrame(columns=["case_id"])}) is None


def test_run_pipeline_on_tables_already_read():
    tables = read_tables(CSV.encode())
    result = run_pipeline(tables, {})
    assert result.rows_accepted == 2 and result.layout["kind"] == "wide"


def test_profile_read_section_sets_encoding_and_delimiter():
    text = "case_id|condition|approach|vas_leg_pre|surgeon\nC1|Herniated disc|Open|7,5|Søren\n"
    profile = {"spinedash_profile": 1, "read": {"delimiter": "|", "encoding": "latin-1", "decimal": ","}}
    result = load_outcomes(text.encode("latin-1"), profile)
    assert result.cases["vas_leg_pre"].tolist() == [7.5] and result.cases["surgeon"].tolist() == ["Søren"]


def test_a_saved_layout_finds_next_months_files_by_their_columns():
    from spinedash.ingest import rebind_tables

    layout = {"kind": "operations_followup", "operations": "ops_jan.csv", "followup": "fu_jan.csv",
              "patient_id": "Pid", "operation_date": "OpDate", "followup_date": "FormDate", "case_id": "OpNo"}
    tables = {"fu_feb.csv": pd.DataFrame(columns=["Pid", "FormDate", "ODI"]),
              "ops_feb.csv": pd.DataFrame(columns=["OpNo", "Pid", "OpDate"])}
    bound = rebind_tables(layout, tables)
    assert (bound["operations"], bound["followup"]) == ("ops_feb.csv", "fu_feb.csv")
    assert rebind_tables({"kind": "wide", "table": "b.xlsx/Cases"}, {"c.xlsx/Cases": pd.DataFrame()})["table"] == "c.xlsx/Cases"


def test_a_million_cases_of_the_full_schema_fit_the_upload_cap():
    """Issue 12: a 1M-case export of the full schema with one decimal was refused by the cap."""
    import tomllib
    from pathlib import Path

    from spinedash.ingest.read import MAX_UPLOAD_MB
    from spinedash.sample import load_sample

    sample = load_sample()
    per_row = len(sample.to_csv(index=False, float_format="%.1f").encode()) / len(sample)
    assert per_row * 1_000_000 < 0.85 * MAX_UPLOAD_MB * 1024 * 1024  # with room for longer ids and text
    config = tomllib.loads((Path(__file__).resolve().parents[1] / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == MAX_UPLOAD_MB


def test_quote_search_split_between_cores_finds_a_quote_anywhere(tmp_path):
    # read._holds_byte searches a large file's two halves on two threads: a quote at either end,
    # either side of the middle, or before `start` (not counted) must come out as str.find says.
    from spinedash.ingest import read as ingest_read

    data = b"case_id,vas_leg_pre\n" + b"C1,2\n" * (ingest_read.PARALLEL_BYTES // 5 + 7)
    middle = (len(data) - 3) // 2 + 3
    for at in (0, 4, middle - 1, middle, middle + 1, len(data) - 1):
        quoted = data[:at] + b'"' + data[at + 1 :]
        for start in (0, 3, at + 1):
            assert ingest_read._holds_byte(quoted, ord('"'), start) is (quoted.find(b'"', start) >= 0), (at, start)
    assert not ingest_read._holds_byte(data, ord('"'))
    path = tmp_path / "big.csv"
    path.write_bytes(data[:-2] + b'"\n')
    mapped = ingest_read._map_file(path)
    assert ingest_read._holds_byte(mapped, ord('"'))
    mapped.close()  # the search let go of its view of the mapping
