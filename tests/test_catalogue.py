"""The measure and time-point catalogue (data/measures.csv, data/timepoints.csv) and what the schema derives from it."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from spinedash import catalogue, schema
from spinedash.catalogue import NO_DEFAULT, CatalogueError, load_catalogue, parse_measures, parse_timepoints

CAT = load_catalogue()


@pytest.mark.parametrize("measure", list(CAT.measures.values()), ids=list(CAT.measures))
def test_every_measure_has_range_direction_and_a_citation_or_an_explicit_none(measure):
    assert measure.scale_min < measure.scale_max
    assert measure.better in ("lower", "higher")
    assert measure.regions and set(measure.regions) <= set(catalogue.REGIONS)
    assert measure.aliases, "exports need header words for it"
    if measure.kind == "score":
        assert "pre" in measure.timepoints
        if measure.mcid is None:
            assert measure.mcid_source == NO_DEFAULT
        else:
            assert 0 < measure.mcid <= measure.scale_max - measure.scale_min
            # A citation: authors and a year.
            assert "et al." in measure.mcid_source and any(str(y) in measure.mcid_source for y in range(1990, 2030))
    else:
        assert measure.kind == "rating" and measure.cutoff is not None
        assert measure.scale_min <= measure.cutoff <= measure.scale_max
        # A citation: authors, or a registry's public code by file and line (NORspine's "Helt bra eller mye bedre").
        assert "et al." in measure.cutoff_source or re.search(r"Rapporteket/\w+ R/\w+\.R lines \d+", measure.cutoff_source)


def test_the_measures_the_issue_asks_for_are_there():
    for mid in ("vas_leg", "nrs_leg", "vas_back", "nrs_back", "vas_neck", "nrs_neck", "vas_arm", "nrs_arm",
                "odi", "ndi", "mjoa", "comi_back", "comi_neck", "eq5d", "satisfaction_score"):
        assert mid in CAT.measures, mid
    assert {m for m, x in CAT.measures.items() if x.higher_is_better} >= {"eq5d", "mjoa", "satisfaction_score"}
    assert CAT.measures["ndi"].regions == ("cervical",)
    assert CAT.measures["vas_leg"].mcid == 3.2 and CAT.measures["odi"].mcid == 18 and CAT.measures["eq5d"].mcid == 0.10


def test_legacy_view_is_unchanged():
    assert schema.PAIN_MEASURES == {
        "vas_leg": {"timepoints": ("pre", "2w", "6w", "3m", "6m", "12m"), "max": 10, "label": "VAS leg pain (0–10)"},
        "vas_back": {"timepoints": ("pre", "2w", "6w", "3m", "6m", "12m"), "max": 10, "label": "VAS back pain (0–10)"},
        "odi": {"timepoints": ("pre", "6w", "3m", "12m"), "max": 100, "label": "ODI disability (0–100)"},
    }
    assert schema.TIMEPOINT_DAYS == {"pre": 0, "2w": 14, "6w": 42, "3m": 91, "6m": 182, "12m": 365, "24m": 730}


def test_columns_parse_one_way_including_custom_days():
    assert schema.parse_outcome_column("ndi_12m") == ("ndi", "12m")
    assert schema.parse_outcome_column("vas_arm_d21") == ("vas_arm", "d21")
    assert schema.parse_outcome_column("comi_back_24m") == ("comi_back", "24m")
    assert schema.parse_outcome_column("odi_2w") is None  # not a standard ODI time point
    assert schema.parse_outcome_column("odi_d14") == ("odi", "d14")  # …but any day can be written out
    assert schema.parse_outcome_column("ndi_d0") is None and schema.parse_outcome_column("bmi_12m") is None
    assert schema.timepoint_days("d90") == 90 and schema.timepoint_label("d90") == "Day 90"
    assert schema.outcome_column("ndi", "24m") == "ndi_24m"
    with pytest.raises(KeyError):
        schema.outcome_column("ndi", "5m")


def test_optional_columns_are_checked_and_kept_but_never_added():
    df = pd.DataFrame({"case_id": ["a"], "ndi_pre": ["40"], "ndi_d90": ["20"], "bmi": [30]})
    out = schema.to_canonical_dtypes(df)
    assert list(out.columns) == ["case_id", "ndi_pre", "ndi_d90"]
    assert out["ndi_d90"].dtype == "float64"
    assert schema.spec_for("ndi_d90").max == 100 and schema.spec_for("eq5d_12m").min == -0.6
    assert "ndi_pre" not in schema.CANONICAL_COLUMNS
    assert schema.measures_in(["ndi_pre", "vas_arm_12m", "x"]) == ["vas_arm", "ndi"]
    assert schema.timepoints_in("ndi", ["ndi_24m", "ndi_d90", "ndi_pre"]) == ["pre", "d90", "24m"]


@pytest.mark.parametrize(
    ("level", "procedure", "region"),
    [
        ("C5-C6", None, "cervical"), ("c6/7", None, "cervical"), ("T12-L1", None, "thoracic"), ("Th11", None, "thoracic"),
        ("L5-S1", None, "lumbar"), ("L4/5", "ACDF", "lumbar"), (None, "ACDF", "cervical"), (None, "TLIF", "lumbar"),
        (None, "Posterior cervical foraminotomy", "cervical"), ("multilevel", "Discectomy", None),
    ],
)
def test_region_from_level_then_procedure(level, procedure, region):
    df = pd.DataFrame({"spinal_level": [level, "L4-L5"], "procedure": [procedure, "x"]})
    got = schema.with_region(df)["region"].iloc[0]
    assert (pd.isna(got) and region is None) or got == region


def test_recorded_region_wins_and_is_normalised():
    df = pd.DataFrame({"region": ["Cervical", None], "spinal_level": ["L4-L5", "C3-C4"]})
    assert schema.with_region(df)["region"].tolist() == ["cervical", "cervical"]
    assert "region" not in schema.with_region(pd.DataFrame({"x": [1]})).columns


def _measures_frame(**changes):
    row = {f: "" for f in catalogue.MEASURE_FIELDS}
    row.update(id="foo", label="Foo", short_label="Foo", instrument="Foo scale", family="pain", region="lumbar",
               kind="score", scale_min="0", scale_max="10", decimals="0", better="lower", timepoints="pre 12m",
               mcid="2", mcid_source="Someone et al., Journal 2020")
    row.update(changes)
    return pd.DataFrame([row])


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"better": "up"}, "better"),
        ({"region": "sacral"}, "region"),
        ({"scale_min": "10"}, "scale_min"),
        ({"mcid": "", "mcid_source": "Someone et al., 2020"}, "default mcid"),
        ({"mcid_source": ""}, "mcid_source"),
        ({"mcid": "50"}, "within the scale"),
        ({"timepoints": "pre 5m"}, "timepoints"),
        ({"timepoints": "12m"}, "'pre'"),
        ({"kind": "rating", "timepoints": "12m", "mcid": ""}, "cutoff"),
    ],
)
def test_malformed_rows_are_named(changes, message):
    with pytest.raises(CatalogueError, match=message) as err:
        parse_measures(_measures_frame(**changes), CAT.timepoints)
    assert "line 2" in str(err.value)


def test_timepoints_need_pre_at_day_zero_and_time_order():
    df = pd.DataFrame({"id": ["pre", "3m", "6w"], "label": ["a", "b", "c"], "days": ["0", "91", "42"], "aliases": ["", "", ""]})
    with pytest.raises(CatalogueError, match="time order"):
        parse_timepoints(df)
    with pytest.raises(CatalogueError, match="'pre'"):
        parse_timepoints(df.iloc[1:2])


def test_a_cervical_export_keeps_its_measures_and_region():
    from spinedash.ingest import load_outcomes

    text = (
        "Patient ID,Diagnosis,Approach,Procedure,Level,NDI pre-op,NDI 12 months,Arm pain pre-op,NRS arm pain 2 years,"
        "EQ-5D baseline,EQ5D 1 year,mJOA preop,ndi_d90,Technique detail,Revision\n"
        "C1,Herniated disc,Open,ACDF,C5-C6,44,20,7,2,0.35,0.8,13,30,Microscope,no\n"
        "C2,Herniated disc,Microscopic,Posterior foraminotomy,C6/7,38,,6,,0.4,,15,,Microscope,yes\n"
    )
    result = load_outcomes(text.encode())
    cases = result.cases
    for column in ("ndi_pre", "ndi_12m", "vas_arm_pre", "nrs_arm_24m", "eq5d_pre", "eq5d_12m", "mjoa_pre", "ndi_d90"):
        assert column in cases.columns, column
    assert cases["region"].tolist() == ["cervical", "cervical"]
    assert cases["technique"].tolist() == ["Microscope", "Microscope"]
    assert cases["revision"].tolist() == [False, True]
    assert cases["ndi_12m"].iloc[0] == 20 and cases["eq5d_12m"].iloc[0] == 0.8
    assert not any("ignored" in w for w in result.warnings), result.warnings


def test_an_out_of_range_catalogue_score_is_a_problem():
    from spinedash.ingest import OutcomeDataError, load_outcomes

    text = "case_id,condition,approach,ndi_pre,mjoa_12m\nC1,Herniated disc,Open,140,12\nC2,Herniated disc,Open,40,19\n"
    with pytest.raises(OutcomeDataError) as err:
        load_outcomes(text.encode())
    columns = {p.column for p in err.value.problems}
    assert columns == {"ndi_pre", "mjoa_12m"}


def test_an_approach_the_documents_do_not_describe_is_kept_as_itself():
    from spinedash.ingest import load_outcomes

    text = (
        "case_id,condition,approach,technique,vas_leg_pre\n"
        "C1,Herniated disc,Biportal endoscopic,UBE,7\nC2,Herniated disc,UBE,naked eye,6\nC3,Herniated disc,Open,my own way,6\n"
    )
    cases = load_outcomes(text.encode()).cases
    assert cases["approach"].tolist() == ["Biportal endoscopic", "Biportal endoscopic", "Open"]  # not refused, not re-filed
    assert cases["technique"].tolist() == ["Biportal endoscopic (UBE/BESS)", "Naked eye", "my own way"]


def test_readme_mcid_table_matches_data_measures_csv():
    """The README's methods table, read back cell by cell, against data/measures.csv read with the csv module
    (not through the code that generated the table): every measure, its default or 'set your own', its source."""
    import csv
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    readme = (root / "README.md").read_text(encoding="utf-8")
    methods = readme[readme.index("## How the numbers are worked out"):readme.index("## Procedures: the knowledge base")]
    header = "| measure | label | better | default MCID or cut-off | source | where studies disagree |"
    assert header in methods, "the MCID table belongs in the methods section: python3 -m spinedash.schema"
    rows = {}
    for line in methods[methods.index(header):].splitlines()[2:]:
        if not line.startswith("| `"):
            break
        cells = [c.strip() for c in line.strip("|").split(" | ")]
        rows[cells[0].strip("`")] = cells
    with open(root / "data" / "measures.csv", encoding="utf-8", newline="") as f:
        catalogue = list(csv.DictReader(f))
    assert list(rows) == [r["id"] for r in catalogue], "README lists exactly the catalogue's measures, in its order"
    for r in catalogue:
        _, label, better, threshold, source, disagree = rows[r["id"]]
        assert (label, better) == (r["label"], r["better"])
        if r["kind"] == "rating":
            assert threshold.startswith(f"{float(r['cutoff']):g} or ") and source == r["cutoff_source"].replace("|", "/")
        elif r["mcid"]:
            assert float(threshold) == float(r["mcid"]) and source == r["mcid_source"]
            assert "et al." in source and any(str(y) in source for y in range(1990, 2030))
        else:
            assert threshold == "—" and source == NO_DEFAULT
            assert disagree, f"{r['id']}: say what was searched or found"
        assert disagree == r["mcid_range"].replace("|", "/")


def test_mcid_words_on_the_outcomes_page_come_from_the_catalogue():
    """The 'how a patient counts' text names no lumbar numbers; each measure's default sentence is its catalogue row."""
    from spinedash import analysis

    for number in ("3.2", "2.7", "18 points", "22 points"):
        assert number not in analysis.MCID_DEFINITION
    leg = analysis.mcid_default_text("vas_leg")
    assert "improvement of 3.2 " in leg and CAT.measures["vas_leg"].mcid_source in leg and "NORspine" in leg
    ndi = analysis.mcid_default_text("ndi")
    assert "set your own" in ndi and "Parai" not in ndi and "NORspine" not in ndi
    assert "improvement of 0.1 " in analysis.mcid_default_text("eq5d")


def test_catalogue_defaults_agree_with_the_benchmark_threshold_table():
    """data/mcid_thresholds.csv (the Pain page's alternatives) and data/measures.csv must not disagree on a default."""
    from spinedash.benchmarks import load_mcid_thresholds

    table = load_mcid_thresholds()
    for row in table[table["kind"] == "mcid"].itertuples():
        assert CAT.measures[row.measure].mcid == pytest.approx(float(row.threshold)), row.measure
