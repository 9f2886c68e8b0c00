"""Each built-in import profile (data/profiles/*.json) reads its registry's export to the right cases.

End to end through `load_outcomes`: the export files in tests/data/exports/ are written from known
synthetic cases (make_exports.py), so every case's condition, approach, technique, sex, stay and
scores are checked against the truth, with the profile detected automatically and given explicitly.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from spinedash.ingest import load_outcomes
from spinedash.ingest.profile import load_profile
from tests.data.exports import make_exports

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


def test_every_builtin_profile_has_a_test_here():
    assert sorted(p.name for p in PROFILES.glob("*.json")) == sorted(BUILTIN)


@pytest.mark.parametrize("name", sorted(BUILTIN))
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
        "the most cranial, so 'SideNivaaC5C6;SideNivaaC6C7' is read as C5-C6; the number of levels is not kept."]


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
