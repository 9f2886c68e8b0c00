"""The import's Codes and Units tables (spinedash.ingest.value_grid): built from a column's values and
the profile, and turned back into the profile after the user's edits."""

from __future__ import annotations

import pandas as pd
import pytest

from spinedash.ingest import load_outcomes
from spinedash.ingest.map import UnitDecision, map_columns
from spinedash.ingest.value_grid import (
    BLANK,
    CODE_COLUMNS,
    LEAVE_UNMAPPED,
    code_grid,
    code_table_key,
    codes_from_grid,
    is_coded,
    is_rating,
    maps_to_options,
    unit_choices,
    unit_grid,
    units_from_grid,
    unmapped_fate,
    unmapped_values,
)

APPROACH = pd.Series(["MIS", "Open", "MIS", "endoscopic", "Tubular", "MIS", "xyz"])


def edit(grid: pd.DataFrame, column: str, changes: dict) -> pd.DataFrame:
    """The table as st.data_editor hands it back after the user changed some cells."""
    out = grid.copy()
    key = "value in your file" if column == "maps to" else None
    for row, value in changes.items():
        if key:
            out.loc[out[key] == row, column] = value
        else:
            out.loc[row, column] = value
    return out


def test_the_codes_table_counts_values_suggests_and_never_fills_in_an_ambiguous_word():
    grid = code_grid(APPROACH, "approach")
    assert list(grid.columns[: len(CODE_COLUMNS)]) == list(CODE_COLUMNS)
    rows = grid.set_index("value in your file")
    assert rows["rows"].to_dict() == {"MIS": 3, "Open": 1, "endoscopic": 1, "Tubular": 1, "xyz": 1}
    assert rows.loc["Open", "maps to"] == "Open" and rows.loc["Tubular", "suggested"] == "Tubular MIS"
    assert rows.loc["Tubular", "maps to"] == "Tubular MIS"  # recognised: applied
    # Ambiguous: no suggestion, not pre-filled, and the note names the choices.
    assert rows.loc["MIS", "suggested"] == "" and rows.loc["MIS", "maps to"] == LEAVE_UNMAPPED
    assert rows.loc["MIS", "note"].startswith("ambiguous: MIS could be ") and rows.loc["MIS", "note"].endswith("— choose")
    assert "Tubular MIS" in rows.loc["MIS", "note"] and "Full-endoscopic" in rows.loc["MIS", "note"]
    assert rows.loc["endoscopic", "maps to"] == LEAVE_UNMAPPED
    assert rows.loc["xyz", "maps to"] == LEAVE_UNMAPPED and rows.loc["xyz", "suggested"] == ""
    # The choices: the catalogue's approaches and "(leave unmapped)".
    options = maps_to_options("approach", grid)
    assert options[-1] == LEAVE_UNMAPPED and {"Open", "Tubular MIS", "Full-endoscopic", "Microscopic"} <= set(options)


def test_sex_one_two_is_suggested_by_its_standard_but_not_applied():
    rows = code_grid(pd.Series(["1", "2", "1"]), "sex").set_index("value in your file")
    assert rows["suggested"].to_dict() == {"1": "male", "2": "female"}
    assert (rows["maps to"] == LEAVE_UNMAPPED).all()
    assert rows.loc["1", "note"].startswith("suggested by a standard, not applied")


def test_what_happens_to_an_unmapped_value_is_said_per_column():
    assert unmapped_fate("sex") == unmapped_fate("approach") == "the check refuses them and names their rows"
    assert unmapped_fate("complication") == "counted as 'other'; the report says which"
    assert unmapped_fate("technique") == "kept as written"
    rows = code_grid(pd.Series(["Www", "none"]), "complication").set_index("value in your file")
    assert rows.loc["Www", "maps to"] == LEAVE_UNMAPPED and "counted as 'other'" in rows.loc["Www", "note"]
    # ... which is what the import does.
    csv = b"case_id,condition,approach,vas_leg_pre,complication\nA1,Herniated disc,Open,7,Www\nA2,Herniated disc,Open,6,none\n"
    result = load_outcomes(csv)
    assert result.cases["complication"].tolist() == ["other", "none"] and any("'Www'" in w for w in result.warnings)


def test_unmapped_values_are_counted():
    grid = code_grid(APPROACH, "approach", {"endoscopic": "Full-endoscopic"})
    assert unmapped_values(grid) == [("MIS", 3), ("xyz", 1)]
    assert unmapped_values(code_grid(pd.Series(["Open", "Open"]), "approach")) == []


def test_an_unedited_table_gives_the_profile_back_unchanged():
    codes = {"MIS": "Tubular MIS", "Open": "Open", "gone": "Microscopic", "xyz": None}
    grid = code_grid(APPROACH, "approach", codes)
    assert grid.set_index("value in your file").loc["xyz", "maps to"] == BLANK  # null in the profile: read as missing
    assert codes_from_grid(grid, grid.copy(), codes) == codes  # looking never changes a profile


def test_codes_round_trip_through_the_table():
    grid = code_grid(APPROACH, "approach")
    edited = edit(grid, "maps to", {"MIS": "Tubular MIS", "endoscopic": "Full-endoscopic", "Open": "Microscopic"})
    codes = codes_from_grid(grid, edited, {})
    assert codes == {"MIS": "Tubular MIS", "endoscopic": "Full-endoscopic", "Open": "Microscopic"}
    # The table drawn again from those codes shows the same choices, and gives the same codes back.
    again = code_grid(APPROACH, "approach", codes)
    assert again["maps to"].tolist() == edited["maps to"].tolist()
    assert codes_from_grid(again, again.copy(), codes) == codes
    # Back: unmapped drops the code; a recognised value set to its own suggestion needs none.
    back = edit(again, "maps to", {"MIS": LEAVE_UNMAPPED, "Open": "Open"})
    assert codes_from_grid(again, back, codes) == {"endoscopic": "Full-endoscopic"}
    # The codes do what the table says when the profile is used.
    cases = pd.DataFrame({"case_id": [f"C{i}" for i in range(len(APPROACH))], "condition": "Herniated disc",
                          "approach": APPROACH.replace({"xyz": "Open"}), "vas_leg_pre": 7})
    result = load_outcomes(cases.to_csv(index=False).encode(), {"spinedash_profile": 1, "codes": {"approach": codes | {"MIS": "Tubular MIS"}}})
    assert result.cases["approach"].tolist() == ["Tubular MIS", "Microscopic", "Tubular MIS", "Full-endoscopic", "Tubular MIS",
                                                 "Tubular MIS", "Microscopic"]


def test_a_recognised_value_set_to_unmapped_goes_back_to_its_reading():
    grid = code_grid(APPROACH, "approach")
    assert codes_from_grid(grid, edit(grid, "maps to", {"Open": LEAVE_UNMAPPED}), {}) == {}


def test_excel_numbers_find_their_code_and_keep_its_key():
    grid = code_grid(pd.Series(["1.0", "2.0"]), "sex", {"1": "male"})
    assert grid.set_index("value in your file").loc["1.0", "maps to"] == "male"
    assert codes_from_grid(grid, edit(grid, "maps to", {"1.0": "female", "2.0": "male"}), {"1": "male"}) == {"1": "female", "2.0": "male"}


def test_a_complication_flag_is_read_by_its_header():
    rows = code_grid(pd.Series(["ja", "nein", "nein"]), "complication", source="Dauralaesion").set_index("value in your file")
    assert rows["maps to"].to_dict() == {"nein": "none", "ja": "dural tear"} and rows["rows"].to_dict() == {"nein": 2, "ja": 1}


def test_which_columns_get_a_table_and_where_their_codes_live():
    assert is_coded("sex") and is_coded("approach") and is_coded("satisfaction_score_12m")
    assert not is_coded("surgeon") and not is_coded(None) and not is_coded("vas_leg_pre")
    assert code_table_key({"Kjonn": {"1": "male"}}, "sex", "Kjonn") == "Kjonn"  # a built-in profile's key is kept
    assert code_table_key({}, "sex", "Kjonn") == "sex"
    assert code_table_key({"satisfaction_score": {}}, "satisfaction_score_12m", "Satisfaction@12m") == "satisfaction_score"
    rating = code_grid(pd.Series(["1", "2", "5"]), "satisfied_12m")
    assert is_rating("satisfied_12m", rating) and not is_rating("satisfied_12m", code_grid(pd.Series(["yes", "no"]), "satisfied_12m"))


def stay(values: list) -> pd.DataFrame:
    return pd.DataFrame({"case_id": [f"C{i}" for i in range(len(values))], "LOS": values})


def test_the_units_table_shows_the_evidence_and_its_unit():
    mapped = map_columns(stay([1, 2, 3, 14, 2]))
    grid = unit_grid(mapped)
    assert grid.index.tolist() == ["length_of_stay_hours"]
    row = grid.loc["length_of_stay_hours"]
    assert row["evidence"] == "max 14, median 2, whole numbers: looks like days" and row["unit"] == "days"
    assert row["choices"] == "hours or days" and row["column"] == "LOS → hospital stay"


def test_units_round_trip_through_the_table_and_keep_the_evidence():
    mapped = map_columns(stay([1, 2, 3, 14, 2]))
    grid = unit_grid(mapped)
    assert units_from_grid(grid, grid.copy(), {"vas_leg": "0-10"}) == ({"vas_leg": "0-10"}, [])  # unedited: unchanged
    edited = grid.copy()
    edited.loc["length_of_stay_hours", "unit"] = "hours"
    units, refused = units_from_grid(grid, edited, {})
    assert units == {"length_of_stay_hours": "hours"} and refused == []
    # With the profile's unit the values are read in hours, and the table still says what they look like.
    again = unit_grid(map_columns(stay([1, 2, 3, 14, 2]), profile={"spinedash_profile": 1, "units": units}))
    assert again.loc["length_of_stay_hours", "unit"] == "hours"
    assert again.loc["length_of_stay_hours", "evidence"] == "max 14, median 2, whole numbers: looks like days; your choice: hours"
    assert units_from_grid(again, again.copy(), units) == (units, [])


def test_a_unit_that_does_not_fit_its_row_is_refused_and_named():
    grid = unit_grid(map_columns(stay([1, 2, 3])))
    edited = grid.copy()
    edited.loc["length_of_stay_hours", "unit"] = "0-100"
    units, refused = units_from_grid(grid, edited, {})
    assert units == {} and len(refused) == 1 and "cannot be read in 0-100" in refused[0] and "hours or days" in refused[0]


def test_a_pain_scale_is_decided_per_measure_and_can_be_turned_round():
    frame = pd.DataFrame({"case_id": ["A", "B", "C"], "vas_leg_pre": [70, 65, 80], "vas_leg_12m": [20, 5, 30]})
    grid = unit_grid(map_columns(frame))
    assert grid.loc["vas_leg", "unit"] == "0-100" and "looks like 0–100" in grid.loc["vas_leg", "evidence"]
    assert grid.loc["vas_leg", "choices"] == "0-10 or 0-100" and grid.loc["vas_leg", "column"] == "VAS leg (all time points)"
    mapped = map_columns(frame, profile={"spinedash_profile": 1, "units": {"vas_leg": "0-100"}})
    assert unit_grid(mapped).loc["vas_leg", "evidence"].startswith("max 80, 5 of 6 values above 10: looks like 0–100; your choice: 0-100")


@pytest.mark.parametrize(("column", "unit", "expected"), [
    ("length_of_stay_hours", "days", ("hours", "days")),
    ("vas_leg", "0-100", ("0-10", "0-100")),
    ("operation_minutes", "minutes", ("minutes", "hours")),
    ("odi", None, ()),
])
def test_unit_choices(column, unit, expected):
    assert unit_choices(column, UnitDecision(unit, "", "values")) == expected
