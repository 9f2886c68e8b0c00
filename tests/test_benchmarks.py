"""spinedash.benchmarks: the published-figures catalogue and the MCID thresholds."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from spinedash.benchmarks import (
    BENCHMARK_COLUMNS,
    BENCHMARKS_PATH,
    MCID_COLUMNS,
    MCID_PATH,
    BenchmarkError,
    benchmarks_for,
    load_benchmarks,
    load_mcid_thresholds,
    validate_benchmarks,
    validate_mcid_thresholds,
)

# CI clones the repo with shared/ beside it; a lone clone skips this one check.
EVIDENCE = Path(__file__).resolve().parents[2] / "shared" / "evidence.md"


def raw(path: Path, columns) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)[list(columns)]


BENCHMARKS = load_benchmarks()


@pytest.mark.parametrize("row", BENCHMARKS.to_dict("records"), ids=lambda r: f"{r['measure']}-{r['label']}")
def test_every_benchmark_row_is_sourced_and_on_scale(row):
    assert row["source"].strip()
    assert row["label"].strip()
    if row["kind"] == "share":
        assert 0 <= row["value"] <= 1
    if row["measure"] in ("vas_leg", "vas_back") and row["kind"] != "change":
        assert 0 <= row["value"] <= 10
    if row["kind"] == "change":
        # Follow-up minus baseline: every published change here is an improvement.
        assert row["value"] < 0


def test_benchmark_sources_are_named_in_evidence():
    if not EVIDENCE.exists():
        pytest.skip("evidence.md is a development-time document outside the repository")
    text = EVIDENCE.read_text()
    # Each short source shares a distinctive word with evidence.md's source column.
    keys = {
        "Gadjradj BMJ 2022": "Gadjradj", "TELD cohort PMC6283221": "PMC6283221",
        "Swespine disc herniation cohort": "Swespine disc herniation", "Werner Eur Spine J 2017": "Werner",
        "PELD vs MED Research Square rs-109537": "rs-109537", "PELD day surgery vs inpatient Medicine 2019": "Medicine 2019",
        "Peng J Orthop Surg Res 2010": "Peng", "J Korean Neurosurg Soc 2020": "J Korean Neurosurg Soc 2020",
        "Lewandrowski J Spine Surg": "Lewandrowski", "Laminectomy ≥70 PMC2996343": "PMC2996343",
        "Nerland BMJ 2015": "Nerland", "Hermansen Eur Spine J 2017": "Hermansen",
        "Microdecompression Acta Neurochir 2015": "Acta Neurochir 2015", "MEDL PMC3234002": "PMC3234002",
    }
    assert set(BENCHMARKS["source"]) <= set(keys), set(BENCHMARKS["source"]) - set(keys)
    for source in BENCHMARKS["source"].unique():
        assert keys[source] in text


@pytest.mark.parametrize(
    ("measure", "approach", "timepoint", "kind", "value"),
    [
        ("vas_leg", "Full-endoscopic", "pre", "mean", 7.64),  # TELD cohort
        ("vas_leg", "Full-endoscopic", "6w", "mean", 1.71),
        ("vas_leg", "Full-endoscopic", "12m", "mean", 0.81),
        ("odi", "Full-endoscopic", "12m", "mean", 8.5),
        ("vas_leg", "Microscopic", "pre", "mean", 6.99),  # Gadjradj 69.9 / 10
        ("vas_leg", "Microscopic", "12m", "median", 1.60),  # Gadjradj median 16.0 / 10
        ("odi", "Open", "3m", "mean", 25.6),  # laminectomy ≥ 70
    ],
)
def test_known_figures_on_the_app_scale(measure, approach, timepoint, kind, value):
    rows = benchmarks_for(measure, approach=approach, kind=kind)
    rows = rows[(rows["approach"] == approach) & (rows["timepoint"] == timepoint)]
    assert value in list(rows["value"])


def test_derived_and_converted_values_are_worked_out():
    swespine = benchmarks_for("vas_leg", condition="Herniated disc")
    swespine = swespine[swespine["source"] == "Swespine disc herniation cohort"].set_index("kind")
    # 6.7 at baseline, change −4.5 -> 2.2 at follow-up.
    assert swespine.loc["mean", "value"].tolist() == [6.7, 2.2]
    assert swespine.loc["change", "value"] == -4.5
    assert "Derived" in swespine[swespine["value"] == 2.2]["note"].iloc[0]
    rtw = benchmarks_for("return_to_work_days").iloc[0]
    assert rtw["value"] == pytest.approx(5.1 * 7)
    stays = benchmarks_for("length_of_stay_hours", approach="Full-endoscopic")
    assert set(stays["value"]) >= {3.2, 22.7, 67.2, 17.3}  # 67.2 h = 2.8 days × 24
    assert benchmarks_for("length_of_stay_hours", approach="Tubular MIS")["value"].max() == 48.1  # MED


def test_benchmarks_for_keeps_rows_that_apply_to_any_approach():
    rows = benchmarks_for("vas_leg", condition="Herniated disc", approach="Open")
    assert not rows.empty
    assert rows["approach"].isna().all()  # no open-specific leg pain figures; registry figures apply to any
    assert set(benchmarks_for("mcid_vas_leg")["value"]) == {0.79}
    assert benchmarks_for("odi", condition="Spinal stenosis", kind="change")["value"].tolist() == [-15.2, -16.9, -16.9]


def test_benchmarks_for_rejects_an_unknown_measure():
    with pytest.raises(KeyError, match="known"):
        benchmarks_for("sf36")  # vas_neck is in the catalogue now (no figures yet)


def test_load_returns_a_copy():
    a = load_benchmarks()
    a.loc[0, "value"] = -99
    assert load_benchmarks().loc[0, "value"] != -99


def _mutated(column: str, value: str, row: int = 0) -> pd.DataFrame:
    df = raw(BENCHMARKS_PATH, BENCHMARK_COLUMNS)
    df.loc[row, column] = value
    return df


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("measure", "sf36", "measure must be one of"),
        ("value", "about 7", "value must be a number"),
        ("value", "67.3", "outside the measure's scale"),  # VAS left on 0–100
        ("source", "", "must name the published source"),
        ("kind", "mode", "kind must be one of"),
        ("kind", "share", "kind 'share'"),
        ("approach", "Laser", "known approach"),
        ("timepoint", "1y", "timepoint must be blank or one of"),
    ],
)
def test_malformed_benchmarks_raise_a_readable_error(column, value, message):
    with pytest.raises(BenchmarkError, match=message) as err:
        validate_benchmarks(_mutated(column, value))
    assert "line(s) 2" in str(err.value)  # the first data row is line 2 of the file


def test_thresholds_hold_the_published_values():
    t = load_mcid_thresholds()
    parai = t[t["source"] == "Parai 2020 Swespine"].set_index("measure")["threshold"].to_dict()
    assert parai == {"odi": 18.0, "vas_back": 2.7, "vas_leg": 3.2}
    norspine = t[t["source"] == "NORspine PMC10851101"].set_index("measure")["threshold"].to_dict()
    assert norspine == {"odi": 22.0, "vas_back": 2.0, "vas_leg": 4.0}
    nordsten = t[t["source"].str.startswith("NORDSTEN")].iloc[0]
    assert (nordsten["threshold"], nordsten["unit"]) == (30.0, "percent")
    werner = t[t["source"] == "Werner 2017"]
    assert set(werner["kind"]) == {"failure"} and set(werner["threshold"]) == {13.0, 33.0}
    assert list(t.columns[:4]) == ["measure", "threshold", "definition", "source"]


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [("threshold", "-3", "positive number"), ("unit", "mm", "unit must be"), ("source", "", "published source")],
)
def test_malformed_thresholds_raise(column, value, message):
    df = raw(MCID_PATH, MCID_COLUMNS)
    df.loc[0, column] = value
    with pytest.raises(BenchmarkError, match=message):
        validate_mcid_thresholds(df)


def test_each_chart_label_names_one_source():
    # Charts put labels in a legend; one label shared by two sources would merge them there.
    sources_per_label = BENCHMARKS.groupby("label")["source"].nunique()
    assert (sources_per_label == 1).all(), sources_per_label[sources_per_label > 1]


def test_benchmarks_for_view_only_for_a_single_condition():
    from spinedash.benchmarks import benchmarks_for_view

    one = pd.DataFrame({"condition": ["Herniated disc"] * 2, "approach": ["Full-endoscopic", "Full-endoscopic"]})
    mixed = pd.DataFrame({"condition": ["Herniated disc", "Spinal stenosis"], "approach": ["Open", "Open"]})
    stays = benchmarks_for_view("length_of_stay_hours", one)
    assert len(stays) > 0
    assert set(stays["approach"].dropna()) == {"Full-endoscopic"}, "only approaches on screen"
    assert set(stays["condition"].dropna()) <= {"Herniated disc"}
    assert benchmarks_for_view("length_of_stay_hours", mixed).empty
    assert benchmarks_for_view("length_of_stay_hours", one.drop(columns="condition")).empty
