"""Each built-in import profile (data/profiles/*.json) reads its registry's export to the right cases.

End to end through `load_outcomes`: the export files in tests/data/exports/ are written from known
synthetic cases (make_exports.py, make_redcap_classic.py), so every case's condition, approach,
technique, sex, stay and scores are checked against the truth, with the profile detected
automatically and given explicitly.

The classic REDCap exports (redcap_classic_raw.csv, redcap_classic_labels.csv) are laid out as these
public sources show a classic project's export:
- OuhscBbmc/REDCapR inst/test-data/projects/repeating-instruments/data.csv and dictionary.csv
  (record_id, redcap_repeat_instrument, redcap_repeat_instance; record row + instance rows;
  <form>_complete; choices "0, Female | 1, Male"),
- OuhscBbmc/REDCapR inst/test-data/projects/dag/data.csv (redcap_data_access_group) and
  inst/test-data/projects/checkboxes-1/data.csv (field___code, 0/1),
- OuhscBbmc/REDCapR inst/test-data/specific-redcapr/read-batch-simple/label.R (label values,
  Checked/Unchecked, Complete/Incomplete/Unverified) and label-header.R (field labels as headers,
  "Complete?", "<label> (choice=<label>)"),
- redcap-tools/PyCap redcap/methods/records.py (export_records: raw_or_label, raw_or_label_headers,
  export_data_access_groups, export_checkbox_labels).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pandas as pd
import pytest

from spinedash.ingest import load_outcomes, read_tables
from spinedash.ingest.profile import detect_profile, load_profile, matches
from tests.data.exports import make_exports
from tests.data.exports import make_redcap_classic as classic

PROFILES = Path(__file__).resolve().parent.parent / "data" / "profiles"
EXPORTS = make_exports.HERE
LUMBAR = make_exports.lumbar_cases()
CERVICAL = make_exports.cervical_cases()

# profile file -> (export file, truth, case id as the export writes it, measure ids: leg/arm, back/neck, disability)
BUILTIN = {
    "norspine_lumbar.json": ("norspine_lumbar_datadump.csv", LUMBAR, "{}", ("vas_leg", "vas_back", "odi"), ("leg", "back", "odi"), ("pre", "3m", "12m")),
    "nkr_cervical.json": ("nkr_cervical_datadump.csv", CERVICAL, "{}", ("nrs_arm", "nrs_neck", "ndi"), ("arm", "neck", "ndi"), ("pre", "3m", "12m")),
    "redcap_longitudinal_raw.json": ("redcap_longitudinal_raw.csv", LUMBAR, "{}", ("vas_leg", "vas_back", "odi"), ("leg", "back", "odi"), ("pre", "3m", "12m", "24m")),
    "redcap_longitudinal_labels.json": ("redcap_longitudinal_labels.csv", LUMBAR, "{}", ("vas_leg", "vas_back", "odi"), ("leg", "back", "odi"), ("pre", "3m", "12m", "24m")),
    "prom_tidy.json": ("prom_tidy_export.csv", LUMBAR, "E{}", ("nrs_leg", "nrs_back", "odi"), ("leg", "back", "odi"), ("pre", "3m", "12m", "24m")),
}


SEXLESS = {"E{}"}  # the PROM export carries no sex column


# the classic REDCap project's exports mix lumbar and cervical cases: tested on their own below
CLASSIC = {"redcap_classic_raw.json": "redcap_classic_raw.csv", "redcap_classic_labels.json": "redcap_classic_labels.csv",
           "redcap_classic_labels_raw_headers.json": "redcap_classic_labels_raw_headers.csv"}


def test_every_builtin_profile_has_a_test_here():
    assert sorted(p.name for p in PROFILES.glob("*.json")) == sorted([*BUILTIN, *CLASSIC])


@pytest.mark.parametrize("name", sorted([*BUILTIN, *CLASSIC]))
def test_profile_file_is_valid_and_states_its_assumptions(name):
    raw = (PROFILES / name).read_bytes()
    profile = load_profile(raw)
    assert profile["name"] and profile["description"]
    assert profile["detect"]["all_columns"]
    assert profile["assumptions"], "a built-in profile says what it assumed"
    assert json.loads(raw) == profile


def _check_cases(cases: pd.DataFrame, truth, id_format: str, measures, keys, timepoints) -> None:
    got = cases.set_index(cases["case_id"].astype(str))
    assert len(got) == len(truth)
    for t in truth:
        row = got.loc[id_format.format(t.case_id)]
        assert row["condition"] == t.condition, t.case_id
        assert row["approach"] == t.approach, t.case_id
        if id_format not in SEXLESS:
            assert row["sex"] == t.sex, t.case_id
        assert row["surgery_date"] == pd.Timestamp(t.surgery_date), t.case_id
        if "length_of_stay_hours" in got.columns and not pd.isna(row["length_of_stay_hours"]):
            assert row["length_of_stay_hours"] == t.stay_days * 24, t.case_id
        for measure, key in zip(measures, keys, strict=True):
            for tp in timepoints:
                want = t.scores[key].get(tp)
                column = f"{measure}_{tp}"
                have = row[column] if column in got.columns else None
                if want is None:
                    assert have is None or pd.isna(have), (t.case_id, column)
                else:
                    assert have == pytest.approx(want), (t.case_id, column)


@pytest.mark.parametrize("name", sorted(BUILTIN))
def test_builtin_profile_is_detected_and_reads_its_export_to_the_right_cases(name):
    export, truth, id_format, measures, keys, timepoints = BUILTIN[name]
    result = load_outcomes(str(EXPORTS / export))
    assert result.profile.get("name") == load_profile(PROFILES / name)["name"], "the built-in profile was detected"
    _check_cases(result.cases, truth, id_format, measures, keys, timepoints)
    given = load_outcomes(str(EXPORTS / export), str(PROFILES / name))
    pd.testing.assert_frame_equal(given.cases, result.cases)


def test_norspine_visualisation_and_satisfaction_codes():
    result = load_outcomes(str(EXPORTS / "norspine_lumbar_datadump.csv"))
    got = result.cases.set_index(result.cases["case_id"].astype(str))
    for t in LUMBAR:
        assert got.loc[t.case_id, "technique"] == t.technique.capitalize()  # OpMikroV3 2 = Loupes (assumed, stated)
        assert got.loc[t.case_id, "procedure"] == t.procedure
        assert got.loc[t.case_id, "spinal_level"] == t.level
        if "12m" in t.satisfaction:
            # Fornøyd 1 (satisfied) … 5 (dissatisfied) turned round to SpineDash's 1 (worst) … 5 (best)
            assert got.loc[t.case_id, "satisfaction_score_12m"] == 6 - t.satisfaction["12m"]
    assert (got["region"] == "lumbar").all()


def test_nkr_cervical_is_read_as_cervical_with_its_own_measures():
    result = load_outcomes(str(EXPORTS / "nkr_cervical_datadump.csv"))
    got = result.cases.set_index(result.cases["case_id"].astype(str))
    assert (got["region"] == "cervical").all()
    assert {"ndi_pre", "nrs_arm_12m", "nrs_neck_3m", "eq5d_12m"} <= set(got.columns)
    for t in CERVICAL:
        assert got.loc[t.case_id, "procedure"] == t.procedure
        if ";" not in t.level:
            assert got.loc[t.case_id, "spinal_level"] == t.level
    # the two-level case keeps its most cranial level (SpineDash's rule: one level per case), said in a warning
    two_levels = next(t for t in CERVICAL if ";" in t.level)
    assert got.loc[two_levels.case_id, "spinal_level"] == "C5-C6"
    assert [w for w in result.warnings if "more than one level" in w] == [
        "'Nivaa' names more than one level on 1 row (1 row with 2 levels; row 4). SpineDash keeps one level per case: "
        "the most cranial, so 'SideNivaaC5C6;SideNivaaC6C7' is read as C5-C6; the number of levels is kept in levels_operated."]
    # … and the number of levels is kept: 2 for the two-level case, 1 for the others
    assert got.loc[two_levels.case_id, "levels_operated"] == 2
    assert (got.drop(index=two_levels.case_id)["levels_operated"] == 1).all()


@pytest.mark.parametrize(
    "names, id_format, measures",
    [
        (["workbook_per_timepoint.xlsx"], "{}", ("vas_leg", "vas_back", "odi")),
        (["operations.csv", "followup.csv"], "OP{}", ("vas_leg", "vas_back", "odi")),
    ],
)
def test_workbook_and_operations_followup_load_without_a_profile(names, id_format, measures):
    """No built-in profile: the layout is detected and the headers are enough."""
    paths = [str(EXPORTS / n) for n in names]
    result = load_outcomes(paths if len(paths) > 1 else paths[0])
    got = result.cases.set_index(result.cases["case_id"].astype(str))
    assert len(got) == len(LUMBAR)
    truth = {t.case_id: t for t in LUMBAR}
    if names[0] == "operations.csv":
        # patient 5001 was operated twice: the first operation has no 12-month form; the form 14 days
        # before the second operation is the second operation's pre-op form
        first, second = make_exports.lumbar_cases()[:2]
        assert got.loc["OP1001", "vas_leg_3m"] == first.scores["leg"]["3m"]
        assert pd.isna(got.loc["OP1001", "vas_leg_12m"])
        assert got.loc["OP1002", "vas_leg_pre"] == second.scores["leg"]["pre"]
        truth = {k: v for k, v in truth.items() if k not in ("1001", "1002")}
    for case_id, t in truth.items():
        row = got.loc[id_format.format(case_id)]
        assert row["condition"] == t.condition and row["approach"] == t.approach
        for measure, key in zip(measures, ("leg", "back", "odi"), strict=True):
            for tp in ("pre", "3m", "12m"):
                want, have = t.scores[key].get(tp), row[f"{measure}_{tp}"]
                assert (want is None and pd.isna(have)) or have == want, (case_id, measure, tp)


# --- classic (non-longitudinal) REDCap project: raw and label exports --------------------------------

CLINIC = classic.clinic_cases()
# the project's fields for each region: (case's score key, SpineDash measure)
CLASSIC_MEASURES = {"lumbar": (("leg", "vas_leg"), ("back", "vas_back"), ("odi", "odi")),
                    "cervical": (("arm", "vas_arm"), ("neck", "vas_neck"), ("ndi", "ndi"))}
CLASSIC_TIMEPOINTS = ("pre", "6w", "3m", "12m", "24m")


def _classic(name: str):
    return load_outcomes(str(EXPORTS / CLASSIC[name]))


def test_classic_redcap_exports_are_what_their_generator_writes():
    for name, data in classic.build().items():
        assert (EXPORTS / name).read_bytes() == data, f"{name} differs from make_redcap_classic.py: run it and commit the result"


@pytest.mark.parametrize("name", sorted(CLASSIC))
def test_classic_redcap_export_is_detected_and_reads_to_the_right_cases(name):
    result = _classic(name)
    assert result.profile.get("name") == load_profile(PROFILES / name)["name"], "the built-in profile was detected"
    got = result.cases.set_index(result.cases["case_id"].astype(str))
    assert len(got) == len(CLINIC) == 16
    for t in CLINIC:
        row = got.loc[t.case_id]
        region = classic.region(t)
        assert (row["condition"], row["approach"], row["procedure"], row["sex"]) == (t.condition, t.approach, t.procedure, t.sex), t.case_id
        assert row["region"] == region, t.case_id
        assert row["surgery_date"] == pd.Timestamp(t.surgery_date) and row["age"] == t.age, t.case_id
        assert row["length_of_stay_hours"] == t.stay_days * 24 and row["operation_minutes"] == t.minutes, t.case_id
        assert row["spinal_level"] == t.level.split(";")[0], t.case_id
        assert row["complication"] == ("dural tear" if t.dural_tear else "none"), t.case_id
        assert row["site"] == classic.DAGS[t.site], t.case_id
        for key, measure in CLASSIC_MEASURES[region]:
            for tp in CLASSIC_TIMEPOINTS:
                want, column = t.scores[key].get(tp), f"{measure}_{tp}"
                have = row[column] if column in got.columns else None
                assert (want is None and (have is None or pd.isna(have))) or have == want, (t.case_id, column, have, want)
        other = "cervical" if region == "lumbar" else "lumbar"
        for _, measure in CLASSIC_MEASURES[other]:  # the other region's questions stay blank
            assert all(pd.isna(row[c]) for c in got.columns if c.startswith(measure + "_")), (t.case_id, measure)
        for tp in ("3m", "12m"):  # the project's 1 (very satisfied) … 5, turned round to SpineDash's 5 … 1
            want = 6 - t.satisfaction[tp] if tp in t.satisfaction else None
            have = row[f"satisfaction_score_{tp}"]
            assert (want is None and pd.isna(have)) or have == want, (t.case_id, tp)
    given = load_outcomes(str(EXPORTS / CLASSIC[name]), str(PROFILES / name))
    pd.testing.assert_frame_equal(given.cases, result.cases)


def test_classic_redcap_values_checked_by_hand():
    """Values read off redcap_classic_raw.csv by eye, not from the generator's truth."""
    got = _classic("redcap_classic_raw.json").cases.set_index("case_id")
    # 1001: lumbar, sex 1, diagnosis 1, approach 2, level___4; ODI 52 (baseline) 40 28 22 22; satisfaction 2, 4
    r = got.loc["1001"]
    assert (r["sex"], r["condition"], r["approach"], r["spinal_level"], r["region"]) == ("male", "Herniated disc", "Microscopic", "L3-L4", "lumbar")
    assert [r[f"odi_{tp}"] for tp in CLASSIC_TIMEPOINTS] == [52, 40, 28, 22, 22]
    assert (r["vas_leg_pre"], r["vas_leg_6w"], r["vas_back_24m"]) == (7, 5, 5)
    assert (r["satisfaction_score_3m"], r["satisfaction_score_12m"]) == (4, 2)  # Satisfied, Dissatisfied
    # 2003: cervical, sex 2, diagnosis 5, procedure 4, approach 4, level___2 and level___3; NDI 36 28 21 14, no 24 months
    r = got.loc["2003"]
    assert (r["sex"], r["condition"], r["procedure"], r["approach"], r["spinal_level"], r["region"]) == (
        "female", "Spinal stenosis", "ACDF", "Open", "C5-C6", "cervical")
    assert [r[f"ndi_{tp}"] for tp in ("pre", "6w", "3m", "12m")] == [36, 28, 21, 14] and "ndi_24m" not in got.columns
    assert (r["vas_arm_pre"], r["vas_arm_3m"], r["vas_neck_6w"]) == (5, 0, 2)
    assert pd.isna(r["odi_pre"]) and pd.isna(r["vas_leg_3m"])
    # 1008: the dural tear (complication 1); 1005 has no 12-month visit
    assert got.loc["1008", "complication"] == "dural tear"
    assert pd.isna(got.loc["1005", "odi_12m"]) and got.loc["1005", "odi_3m"] >= 0


def test_classic_redcap_time_points_are_the_projects_five():
    result = _classic("redcap_classic_raw.json")
    measured = {c.rsplit("_", 1)[1] for c in result.cases.columns
                if c.rsplit("_", 1)[0] in ("vas_leg", "odi", "ndi", "vas_arm") and result.cases[c].notna().any()}
    assert measured == set(CLASSIC_TIMEPOINTS)


@pytest.mark.parametrize("name", sorted(CLASSIC))
def test_classic_redcap_loses_no_column_silently(name):
    """Every source column is mapped, used by the layout, or listed as ignored in what the import says."""
    result = _classic(name)
    layout = result.layout
    said = "\n".join(result.info + result.warnings)
    mapped = {k.split("@", 1)[0] for k in result.column_mapping}
    groups = {c for g in (layout.get("flag_groups") or {}).values() for c in g["columns"]}
    structural = {layout["case_id"], layout.get("repeat_instrument_column", "redcap_repeat_instrument"),
                  layout.get("repeat_instance_column", "redcap_repeat_instance"), layout["timepoint_column"]}
    columns = next(csv.reader(io.StringIO((EXPORTS / CLASSIC[name]).read_text())))
    unaccounted = []
    for c in columns:
        if c in mapped or c in structural or ("___" in c and c.split("___")[0] in mapped):
            continue
        if c in groups and any(g in mapped for g, spec in layout["flag_groups"].items() if c in spec["columns"]):
            continue
        if any(c in line and ("ignored" in line or "left out" in line) for line in said.splitlines()):
            continue
        unaccounted.append(c)
    assert unaccounted == []
    assert "form-status columns were ignored" in said
    assert any(line.startswith("Columns left out by your choice:") and "@6w" in line for line in said.splitlines())  # fu_date / Date completed


@pytest.mark.parametrize("name", ["redcap_classic_labels.json", "redcap_classic_labels_raw_headers.json"])
def test_classic_redcap_raw_and_label_exports_give_the_same_cases(name):
    pd.testing.assert_frame_equal(_classic("redcap_classic_raw.json").cases, _classic(name).cases)


@pytest.mark.parametrize("name", sorted(CLASSIC))
def test_classic_profile_codes_are_the_projects_data_dictionary(name):
    """The profile's code tables hold exactly the choices of the project's data dictionary (codes, or labels)."""
    profile = load_profile(PROFILES / name)
    labels = "labels" in name
    label_headers = name == "redcap_classic_labels.json"  # else checkboxes arrive as level___<code>
    fields = {"sex": "sex", "condition": "diagnosis", "procedure": "procedure", "approach": "approach",
              "complication": "complication", "satisfaction_score": "satisfaction"}
    for target, variable in fields.items():
        choices = classic.choices(variable)
        assert set(profile["codes"][target]) == set(choices.values() if labels else choices), target
    want = {f"Operated level(s) (choice={v})" for v in classic.choices("level").values()} if label_headers else set(classic.choices("level"))
    assert set(profile["codes"]["spinal_level"]) == want
    assert set(profile["layout"]["timepoints"]) == set(classic.choices("fu_timepoint").values() if labels else classic.choices("fu_timepoint"))


def _tables(name: str) -> dict:
    return read_tables(str(EXPORTS / name))


@pytest.mark.parametrize("export", sorted(p.name for p in EXPORTS.iterdir() if p.suffix in (".csv", ".tsv", ".xlsx")))
def test_classic_profiles_are_chosen_for_their_own_exports_only(export):
    tables = _tables(export)
    for name, own in CLASSIC.items():
        assert matches(load_profile(PROFILES / name), tables) == (export == own), (name, export)


def test_classic_profile_is_not_chosen_for_the_projects_longitudinal_export_or_other_codes():
    frame = pd.read_csv(EXPORTS / "redcap_classic_raw.csv", dtype=str, keep_default_na=False)
    profile = load_profile(PROFILES / "redcap_classic_raw.json")
    assert matches(profile, {"x.csv": frame})
    longitudinal = frame.assign(redcap_event_name="follow_up_arm_1")
    assert not matches(profile, {"x.csv": longitudinal}), "a longitudinal export (redcap_event_name) is not a classic one"
    zero_one = frame.assign(sex=frame["sex"].replace({"2": "0"}))
    assert not matches(profile, {"x.csv": zero_one}), "sex coded 0/1 is another project: its codes are not assumed"
    assert detect_profile({"x.csv": zero_one}) is None


def test_detect_no_columns_refuses_a_profile():
    profile = {"spinedash_profile": 1, "detect": {"all_columns": ["a"], "no_columns": ["B"]}}
    assert matches(profile, {"t": pd.DataFrame(columns=["a", "c"])})
    assert not matches(profile, {"t": pd.DataFrame(columns=["a", "b"])})  # compared without case, as all_columns


def test_another_projects_label_download_is_read_as_a_classic_redcap_layout():
    """Without the built-in profile (a project whose codes or names differ), the "CSV (labels)" download's
    layout is still recognised from its label headers ("Repeat Instrument", "Complete?", "… (choice=…)"),
    not taken for a PROM system's tidy export; its diagnosis column is then the only question."""
    from spinedash.ingest.shape import detect_layout

    path = str(EXPORTS / "redcap_classic_labels.csv")
    settings = detect_layout(read_tables(path)).settings
    assert settings["kind"] == "long" and settings["repeat_instrument"] == "Follow-up"
    assert (settings["repeat_instrument_column"], settings["timepoint_column"]) == ("Repeat Instrument", "Follow-up time point")
    assert settings["timepoints"] == {"6 weeks": "6w", "3 months": "3m", "12 months": "12m", "24 months": "24m"}
    labels = classic.choices("diagnosis")
    answers = {"spinedash_profile": 1, "columns": {"Main diagnosis": "condition", "Operated level(s)": "spinal_level"},
               "codes": {"condition": {labels["1"]: "Herniated disc", labels["2"]: "Spinal stenosis", labels["3"]: "Herniated disc",
                                       labels["4"]: "Nerve root compression", labels["5"]: "Spinal stenosis"}}}
    got = load_outcomes(path, answers).cases
    want = _classic("redcap_classic_labels.json").cases
    assert len(got) == 16
    for column in ("case_id", "condition", "approach", "spinal_level", "region", "odi_6w", "odi_24m", "ndi_12m", "vas_arm_3m"):
        pd.testing.assert_series_equal(got[column], want[column], check_names=False, check_categorical=False)


def test_norspine_level_flags_give_the_number_of_levels_operated():
    # The datadump keeps one flag a level (OpL34, OpL45, OpL5S1): the count of flags is the number
    # of levels operated, 1 for a single flag; a row flagging two keeps its top level and counts 2,
    # and a row flagging none has no level and no count.
    text = (EXPORTS / "norspine_lumbar_datadump.csv").read_bytes().decode("cp1252")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    header = rows[0]
    l34, l45, l5s1 = (header.index(c) for c in ("OpL34", "OpL45", "OpL5S1"))
    rows[1][l34], rows[1][l45], rows[1][l5s1] = "0", "1", "1"
    rows[2][l34], rows[2][l45], rows[2][l5s1] = "0", "0", "0"
    out = io.StringIO()
    csv.writer(out, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\n").writerows(rows)
    result = load_outcomes(out.getvalue().encode("cp1252"), filename="norspine_lumbar_datadump.csv")
    assert result.profile.get("name", "").startswith("NORspine")
    cases = result.cases.set_index("case_id")
    first, second = (str(r[header.index("ForlopsID")]) for r in rows[1:3])
    assert cases.loc[first, "spinal_level"] == "L4-L5" and cases.loc[first, "levels_operated"] == 2
    assert pd.isna(cases.loc[second, "spinal_level"]) and pd.isna(cases.loc[second, "levels_operated"])
    others = cases.drop(index=[first, second])
    assert (others["levels_operated"] == 1).all()
    assert any("read as 'Antall nivaa (fra Nivaa)'" in note for note in result.info)
