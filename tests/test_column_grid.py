"""The Columns step's table, without Streamlit: its rows, its choices, and the profile an edited table gives."""

from __future__ import annotations

import pandas as pd
import pytest

from spinedash import schema
from spinedash.ingest import load_outcomes, read_tables
from spinedash.ingest.column_grid import (
    IGNORE,
    column_grid,
    columns_from_grid,
    duplicate_targets,
    read_as_options,
    read_as_targets,
    target_label,
    template_fits,
    unrecognised,
)
from spinedash.ingest.map import choose_columns
from spinedash.validation import OutcomeDataError


def frame_of(text: str) -> pd.DataFrame:
    return next(iter(read_tables(text.encode()).values()))


def grid_for(text: str, columns: dict | None = None):
    frame = frame_of(text)
    choices, _ = choose_columns([str(c) for c in frame.columns], columns, None, frame)
    return frame, choices, column_grid(frame, choices)


CLINIC = ("Patient ID,Diagnose,Metode,VAS leg pre-op,Oswestry,Ward\n"
          "P1,Herniated disc,Open,7,40,North\nP2,Spinal stenosis,Microscopic,6,38,South\nP3,Herniated disc,Open,8,,North\n")


def test_options_are_ignore_then_every_column_and_every_measure_at_every_time_point():
    options, targets = read_as_options(), read_as_targets()
    assert options[0] == IGNORE and len(options) == len(targets) + 1 == len(set(options))
    for measure, info in schema.MEASURES.items():  # from the catalogue, not spelled here
        assert all(f"{measure}_{tp}" in targets for tp in info.timepoints)
    assert set(schema.CANONICAL_COLUMNS) <= set(targets)
    assert target_label("vas_leg_12m") == "VAS leg pain at 12 months (vas_leg_12m)" and target_label("case_id") == "case id"


def test_one_row_per_column_with_examples_the_suggestion_and_candidates_for_the_unrecognised():
    _, choices, grid = grid_for(CLINIC)
    rows = grid.set_index("column in your file")
    assert list(rows.index) == ["Patient ID", "Diagnose", "Metode", "VAS leg pre-op", "Oswestry", "Ward"]
    assert rows.loc["Patient ID", "read as"] == "case id" and rows.loc["Patient ID", "why"] == "its name"
    assert rows.loc["Diagnose", "examples"] == "Herniated disc, Spinal stenosis"
    assert rows.loc["VAS leg pre-op", "read as"] == target_label("vas_leg_pre")
    # Not recognised: "ignore" in the cell, the best guesses beside it.
    assert rows.loc["Oswestry", "read as"] == IGNORE
    assert rows.loc["Oswestry", "why"].startswith("not recognised; maybe ") and "ODI" in rows.loc["Oswestry", "why"]
    assert ("Oswestry", ["ODI before surgery"]) in unrecognised(choices) or any(
        name == "Oswestry" and any("ODI" in m for m in maybe) for name, maybe in unrecognised(choices))
    assert rows.loc["Ward", "why"] == "not recognised" or rows.loc["Ward", "why"].startswith("not recognised; maybe")
    assert set(grid["read as"]) <= set(read_as_options())


def test_an_edited_grid_becomes_the_profile_and_the_import_follows_it():
    frame, choices, grid = grid_for(CLINIC)
    read_as = dict(zip(grid["column in your file"], grid["read as"], strict=True))
    read_as.update({"Metode": target_label("approach"), "Oswestry": target_label("odi_pre"), "VAS leg pre-op": IGNORE})
    columns = columns_from_grid(choices, read_as)
    # Edits recorded; what is shown as ignore is recorded as null (the user's visible choice); the rest untouched.
    assert columns == {"Metode": "approach", "Oswestry": "odi_pre", "VAS leg pre-op": None, "Ward": None}
    profile = {"spinedash_profile": 1, "columns": columns}
    result = load_outcomes(CLINIC.encode(), profile)
    assert result.cases["approach"].tolist() == ["Open", "Microscopic", "Open"]
    assert result.cases["odi_pre"].tolist()[:2] == [40.0, 38.0]
    assert result.cases["vas_leg_pre"].isna().all()
    assert any("left out by your choice: VAS leg pre-op, Ward" in i for i in result.info)
    # Drawn again from that profile, the grid shows the choices, and an unchanged grid changes nothing.
    _, choices2, grid2 = grid_for(CLINIC, columns)
    rows = grid2.set_index("column in your file")
    assert rows.loc["Metode", "read as"] == "approach" and rows.loc["Metode", "why"] == "your choice (profile)"
    assert rows.loc["VAS leg pre-op", "read as"] == IGNORE and rows.loc["VAS leg pre-op", "why"].startswith("left out")
    same = dict(zip(grid2["column in your file"], grid2["read as"], strict=True))
    assert columns_from_grid(choices2, same, columns) == columns


def test_a_pivoted_column_is_saved_by_its_measure_so_every_time_point_follows():
    when = {"Score A@pre": "pre", "Score A@12m": "12m", "Note@12m": "12m"}
    frame = pd.DataFrame({"case": ["A", "B"], "Score A@pre": [40, 38], "Score A@12m": [20, 18], "Note@12m": ["x", "y"]})
    choices, _ = choose_columns(list(frame.columns), {"case": "case_id"}, when, frame)
    assert [c.target for c in choices] == ["case_id", None, None, None]
    read_as = {"case": "case id", "Score A@pre": target_label("odi_pre"), "Score A@12m": IGNORE, "Note@12m": IGNORE}
    columns = columns_from_grid(choices, read_as, {"case": "case_id"}, timepoint=when)
    assert columns == {"case": "case_id", "Score A": "odi", "Score A@12m": None, "Note@12m": None}
    # The user then reads the 12-month column too: by its own name, the measure covers it.
    again, _ = choose_columns(list(frame.columns), columns, when, frame)
    assert [(c.source, c.target) for c in again][1:3] == [("Score A@pre", "odi_pre"), ("Score A@12m", None)]
    columns.pop("Score A@12m")
    again, _ = choose_columns(list(frame.columns), columns, when, frame)
    assert [(c.source, c.target) for c in again][1:3] == [("Score A@pre", "odi_pre"), ("Score A@12m", "odi_12m")]


def test_columns_the_layout_uses_are_not_recorded_as_ignored():
    frame = pd.DataFrame({"Visit code": ["1", "2"], "Ward": ["N", "S"]})
    choices, _ = choose_columns(list(frame.columns), None, None, frame)
    assert columns_from_grid(choices, {"Visit code": IGNORE, "Ward": IGNORE}, shaping={"Visit code"}) == {"Ward": None}
    grid = column_grid(frame, choices, {"Visit code"})
    assert grid.set_index("column in your file").loc["Visit code", "why"] == "used to lay out the cases (Layout step)"


def test_two_columns_read_as_one_target_are_named():
    frame = pd.DataFrame({"Patient ID": ["1"], "Case": ["2"]})
    choices, _ = choose_columns(list(frame.columns), None, None, frame)
    assert duplicate_targets(choices) == {"case_id": ["Patient ID", "Case"]}
    with pytest.raises(OutcomeDataError):
        load_outcomes(b"Patient ID,Case,condition,approach\n1,2,Herniated disc,Open\n")


def test_the_template_is_recognised_and_other_layouts_are_not():
    assert template_fits(read_tables(CLINIC.replace("Metode", "Approach").encode()))
    assert template_fits(read_tables(b"case_id,condition,technique\nA,Herniated disc,PTED\n"))  # technique gives the approach
    assert not template_fits(read_tables(CLINIC.encode()))  # no approach column: the steps ask
    long = b"case_id,timepoint,condition,approach,vas_leg\nA,pre,Herniated disc,Open,7\nA,3 months,Herniated disc,Open,3\n"
    assert not template_fits(read_tables(long))
    two = read_tables([CLINIC.replace("Metode", "Approach").encode(), b"x,y\n1,2\n"], ["a.csv", "b.csv"])
    assert not template_fits(two)  # several files: the steps ask how they fit together


def test_numbers_show_as_written_and_complication_flags_say_what_they_are():
    _, _, grid = grid_for("case_id,age,vas_leg_pre,Dauralaesion,Infektion\nA1,50,7.5,ja,nein\nA2,61,6,nein,ja\n")
    rows = grid.set_index("column in your file")
    assert rows.loc["age", "examples"] == "50, 61" and rows.loc["vas_leg_pre", "examples"] == "7.5, 6"
    assert rows.loc["Dauralaesion", "read as"] == rows.loc["Infektion", "read as"] == target_label("complication")
    assert rows.loc["Infektion", "why"] == "a yes/no flag: yes = infection, no = none"
