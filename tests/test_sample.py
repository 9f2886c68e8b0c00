"""The synthetic sample cohort: schema, determinism, the committed file, realism against evidence.md."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from spinedash import sample, schema
from spinedash.vocabulary import APPROACHES


@pytest.fixture(scope="module")
def cohort() -> pd.DataFrame:
    return sample.load_sample()


@pytest.fixture(scope="module")
def big() -> pd.DataFrame:
    """A larger cohort so the medians and rates below are not at the mercy of sampling noise."""
    return sample.generate_cohort(40_000, seed=7)


def _medians(df: pd.DataFrame, column: str, condition: str = "Herniated disc") -> pd.Series:
    sub = df[df["condition"] == condition]
    return sub.groupby("approach", observed=True)[column].median()


# --- schema ---------------------------------------------------------------------------------------


def test_parameter_tables_follow_the_vocabulary_order():
    assert sample.APPROACH_ORDER == APPROACHES


def test_columns_and_dtypes_are_canonical():
    df = sample.generate_cohort(500, seed=1)
    assert list(df.columns) == list(schema.CANONICAL_COLUMNS)
    expected = {"id": "str", "date": "datetime64[ns]", "number": "float64", "boolean": "boolean", "category": "category"}
    for spec in schema.COLUMNS:
        assert str(df[spec.name].dtype) == expected[spec.kind], spec.name
    # Already canonical: casting again changes nothing.
    assert_frame_equal(df, schema.to_canonical_dtypes(df))


def test_case_ids_are_unique_and_shaped():
    df = sample.generate_cohort(1200, seed=1)
    assert df["case_id"].is_unique
    assert df["case_id"].iloc[0] == "C000001"
    assert df["case_id"].iloc[-1] == "C001200"
    assert df["case_id"].str.fullmatch(r"C\d{6}").all()


def test_rejects_a_non_positive_size():
    with pytest.raises(ValueError, match="positive"):
        sample.generate_cohort(0)
    with pytest.raises(ValueError, match="positive"):
        sample.generate_cohort(2.5)


# --- determinism and the committed file -------------------------------------------------------------


def test_same_seed_same_frame_different_seed_different():
    a = sample.generate_cohort(300, seed=11)
    b = sample.generate_cohort(300, seed=11)
    c = sample.generate_cohort(300, seed=12)
    assert_frame_equal(a, b)
    assert not a.equals(c)
    assert not a["vas_leg_pre"].equals(c["vas_leg_pre"])


def test_committed_file_is_the_generator_output(cohort):
    assert sample.SAMPLE_PATH.name == "sample_cohort.csv"
    assert len(cohort) == sample.SAMPLE_N
    assert_frame_equal(cohort, sample.generate_cohort(sample.SAMPLE_N, sample.SAMPLE_SEED))


def test_write_then_read_round_trips_exactly(tmp_path):
    df = sample.generate_cohort(2000, seed=5)
    path = tmp_path / "cohort.csv"
    sample.write_cohort_csv(df, path)
    assert_frame_equal(sample.read_cohort_csv(path), df)


def test_csv_text_is_plain(tmp_path):
    df = sample.generate_cohort(200, seed=5)
    path = tmp_path / "cohort.csv"
    sample.write_cohort_csv(df, path)
    lines = path.read_text().splitlines()
    assert lines[0] == ",".join(schema.CANONICAL_COLUMNS)
    assert '"' not in path.read_text()
    rows = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert rows["surgery_date"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    assert set(rows["employed_before_surgery"]) <= {"yes", "no"}
    assert set(rows["satisfied_12m"]) <= {"yes", "no", ""}
    assert rows["odi_pre"].str.fullmatch(r"\d*").all()  # whole numbers or blank
    assert rows["vas_leg_pre"].str.fullmatch(r"(\d+(\.\d)?)?").all()  # at most one decimal
    assert rows["length_of_stay_hours"].str.fullmatch(r"\d+(\.\d)?").all()


# --- plausibility ---------------------------------------------------------------------------------


def test_values_within_schema_ranges_and_vocabularies(big):
    for spec in schema.COLUMNS:
        s = big[spec.name]
        if spec.kind == "number":
            assert s.dropna().between(spec.min, spec.max).all(), spec.name
        if spec.allowed is not None:
            assert set(s.dropna().astype(str)) <= set(spec.allowed), spec.name
    assert set(big["condition"].astype(str)) == {"Herniated disc", "Spinal stenosis"}
    assert set(big["approach"].astype(str)) == set(APPROACHES)
    assert set(big["surgeon"].astype(str)) == {f"Surgeon {c}" for c in "ABCDEF"}
    assert set(big["site"].astype(str)) == {"North", "South"}
    assert (big.groupby("surgeon", observed=True)["site"].nunique() == 1).all()


def test_scores_are_rounded_as_written(big):
    for col in schema.PAIN_COLUMNS:
        values = big[col].dropna().to_numpy()
        scale = 10 if col.startswith("vas_") else 1
        assert np.array_equal(values, np.rint(values * scale) / scale), col


def test_dates_within_2021_to_2025(big):
    assert big["surgery_date"].min() >= pd.Timestamp("2021-01-01")
    assert big["surgery_date"].max() <= pd.Timestamp("2025-12-31")
    assert big["surgery_date"].is_monotonic_increasing  # case ids run in date order


def test_volume_and_endoscopic_share_grow(big):
    year = big["surgery_date"].dt.year
    per_year = year.value_counts().sort_index()
    assert per_year.loc[2025] > per_year.loc[2021] * 1.1
    endo = (big["approach"] == "Full-endoscopic").groupby(year).mean()
    assert endo.loc[2025] > endo.loc[2021] + 0.05


def test_case_mix_follows_the_evidence(big):
    disc = big[big["condition"] == "Herniated disc"]
    stenosis = big[big["condition"] == "Spinal stenosis"]
    assert 0.62 < len(disc) / len(big) < 0.68
    # Gadjradj BMJ 2022: L5-S1 about 50%, L4-L5 about 41%; male about 56%; age about 45.
    levels = disc["spinal_level"].value_counts(normalize=True)
    assert abs(levels["L5-S1"] - 0.50) < 0.02 and abs(levels["L4-L5"] - 0.41) < 0.02
    assert abs((disc["sex"] == "male").mean() - 0.565) < 0.02
    assert abs(disc["age"].mean() - 45) < 1
    assert stenosis["age"].mean() > disc["age"].mean() + 15
    assert set(stenosis["spinal_level"].value_counts().index[:2]) == {"L4-L5", "L3-L4"}
    # Fusion is a small share of stenosis, mostly open or microscopic, never for a disc herniation.
    fusion = stenosis["procedure"] == "Fusion"
    assert 0.04 < fusion.mean() < 0.12
    assert stenosis.loc[fusion, "approach"].isin(["Open", "Microscopic"]).mean() > 0.8
    assert (disc["procedure"] == "Discectomy").all()
    assert (stenosis.loc[stenosis["approach"] == "Open", "procedure"].isin(["Laminectomy", "Fusion"])).all()


def test_endoscopic_mostly_local_with_sedation(big):
    local = (big["anesthesia"] == "local with sedation").groupby(big["approach"], observed=True).mean()
    assert local["Full-endoscopic"] > 0.6
    assert local["Microscopic"] == 0 and local["Open"] == 0


def test_surgeons_differ_in_approach_mix(big):
    endo = (big["approach"] == "Full-endoscopic").groupby(big["surgeon"], observed=True).mean()
    assert endo.idxmax() == "Surgeon A" and endo["Surgeon A"] > 0.6


# --- censoring and follow-up ------------------------------------------------------------------------


def test_return_days_censored_at_last_followup(big):
    for col in ("return_to_activities_days", "return_to_work_days"):
        seen = big[col].notna()
        assert (big.loc[seen, col] <= big.loc[seen, "last_followup_days"]).all(), col
    assert big.loc[~big["employed_before_surgery"], "return_to_work_days"].isna().all()
    worked = big["return_to_work_days"].notna()
    assert (big.loc[worked, "return_to_work_days"] >= big.loc[worked, "return_to_activities_days"]).all()
    # A blank return means not returned by the last contact: recent or lost cases are blank more often.
    short = big["last_followup_days"] < 30
    assert big.loc[short, "return_to_work_days"].isna().mean() > big.loc[~short, "return_to_work_days"].isna().mean()


def test_last_followup_fits_the_calendar(big):
    cutoff = pd.Timestamp("2026-06-30")
    reach = big["surgery_date"] + pd.to_timedelta(big["last_followup_days"], unit="D")
    assert (reach <= cutoff).all()
    # No score at a time point later than the last contact.
    for tp in sample.FOLLOWUP_TIMEPOINTS:
        has_score = big[f"vas_leg_{tp}"].notna()
        assert (big.loc[has_score, "last_followup_days"] >= schema.TIMEPOINT_DAYS[tp]).all(), tp
    # Cases operated in the last half of 2025 cannot have had their 12-month visit.
    late = big["surgery_date"] > pd.Timestamp("2025-07-01")
    assert big.loc[late, "vas_leg_12m"].isna().all()
    assert big.loc[late, "satisfied_12m"].isna().all()


def test_missingness_grows_with_time(big):
    for measure, info in schema.PAIN_MEASURES.items():
        missing = [big[f"{measure}_{tp}"].isna().mean() for tp in info["timepoints"]]
        assert missing == sorted(missing), measure
    assert 0.07 < big["vas_leg_2w"].isna().mean() < 0.13
    assert 0.25 < big["vas_leg_12m"].isna().mean() < 0.36
    # Among cases whose 12-month visit was due, about a fifth did not answer.
    due = big["surgery_date"] + pd.Timedelta(days=365 * 1.15) <= pd.Timestamp("2026-06-30")
    assert 0.17 < big.loc[due, "vas_leg_12m"].isna().mean() < 0.28


# --- outcomes against the cited figures -------------------------------------------------------------


def test_stay_order_and_levels(big):
    stay = _medians(big, "length_of_stay_hours")
    assert stay["Full-endoscopic"] < stay["Tubular MIS"] < stay["Microscopic"] < stay["Open"]
    assert stay["Full-endoscopic"] < 24  # day surgery 3.2 h (Medicine 2019) to 22.7 h (rs-109537)
    assert 40 < stay["Tubular MIS"] < 60  # MED 48.1 h (rs-109537)
    assert 55 < stay["Microscopic"] < 85  # 2.8 days (Medicine 2019)
    sten = _medians(big, "length_of_stay_hours", "Spinal stenosis")
    assert sten["Full-endoscopic"] == sten.min() and sten["Open"] == sten.max()
    # Neurospine 2022: endoscopic decompression 1.79 days (43 h) shorter than microscopic.
    assert 30 < sten["Microscopic"] - sten["Full-endoscopic"] < 60


def test_blood_loss_and_operation_time(big):
    blood = _medians(big, "blood_loss_ml")
    assert blood.idxmin() == "Full-endoscopic" and blood.idxmax() == "Open"
    assert 8 <= blood["Full-endoscopic"] <= 14  # PELD 10.8 mL (rs-109537)
    assert 60 <= blood["Tubular MIS"] <= 85  # MED 71.3 mL (rs-109537)
    minutes = _medians(big, "operation_minutes")
    assert 41 <= minutes["Full-endoscopic"] <= 56  # PELD 41-56 min (Medicine 2019; Peng 2010)
    assert minutes["Tubular MIS"] > minutes["Microscopic"]  # MIS +11 min (meta)
    sten = _medians(big, "operation_minutes", "Spinal stenosis")
    assert 6 <= sten["Microscopic"] - sten["Full-endoscopic"] <= 20  # +12.7 min (Neurospine 2022)


def test_baseline_scores_match_the_trials(big):
    disc = big[big["condition"] == "Herniated disc"]
    assert 6.2 <= disc["vas_leg_pre"].mean() <= 7.4  # Gadjradj 6.7-7.0; Swespine 6.7
    assert 4.2 <= disc["vas_back_pre"].mean() <= 5.2  # Swespine 4.7; Gadjradj 4.5-4.9
    assert 42 <= disc["odi_pre"].mean() <= 48  # Gadjradj 44.5-45.5
    stenosis = big[big["condition"] == "Spinal stenosis"]
    assert 41 <= stenosis["odi_pre"].mean() <= 47  # PMC2996343 44.2


def test_twelve_month_change_matches_the_registries(big):
    change = {m: big[f"{m}_12m"] - big[f"{m}_pre"] for m in ("vas_leg", "vas_back", "odi")}
    micro_disc = (big["condition"] == "Herniated disc") & (big["approach"] == "Microscopic")
    assert -5.0 <= change["vas_leg"][micro_disc].mean() <= -4.0  # Swespine -4.5
    assert -2.7 <= change["vas_back"][micro_disc].mean() <= -1.7  # Swespine -2.2
    assert -32 <= change["odi"][micro_disc].mean() <= -25  # NORspine (Werner 2017) -28.7
    stenosis = big["condition"] == "Spinal stenosis"
    assert -19 <= change["odi"][stenosis].mean() <= -14  # Hermansen 15.2-16.9
    # Higher baseline pain, larger change.
    disc = big["condition"] == "Herniated disc"
    assert np.corrcoef(*big.loc[disc, ["vas_leg_pre", "vas_leg_12m"]].dropna().to_numpy().T)[0, 1] < 0.5
    d = pd.DataFrame({"pre": big["vas_leg_pre"], "change": change["vas_leg"]})[disc].dropna()
    assert d["pre"].corr(d["change"]) < -0.3


def test_endoscopic_leg_pain_a_little_better_at_12_months(big):
    leg = _medians(big, "vas_leg_12m")
    # Gadjradj BMJ 2022 medians 0.7 vs 1.6 /10: endoscopic lower, both low.
    assert leg["Full-endoscopic"] < leg["Microscopic"] < 3.0


def test_recovery_curve_drops_early_then_plateaus(big):
    disc = big[big["condition"] == "Herniated disc"]
    means = [disc[f"vas_leg_{tp}"].mean() for tp in schema.VAS_TIMEPOINTS]
    pre, w2, w6, m3, m6, m12 = means
    assert pre - w6 > 0.8 * (pre - m12)  # TELD PMC6283221: most of the change by 6 weeks
    assert abs(m6 - m12) < 0.3  # plateau
    # Tubular slightly worse than microscopic early (Arts JAMA 2009).
    early = disc.groupby("approach", observed=True)["vas_leg_2w"].mean()
    assert early["Tubular MIS"] > early["Microscopic"] > early["Full-endoscopic"]


def test_complications_and_their_consequences(big):
    has = big["complication"] != "none"
    disc = big["condition"] == "Herniated disc"
    rate = has[disc].groupby(big.loc[disc, "approach"], observed=True).mean()
    assert 0.07 <= rate["Full-endoscopic"] <= 0.12  # PELD 9.4% (rs-109537)
    assert 0.09 <= rate["Tubular MIS"] <= 0.15  # MED 12.1% (rs-109537)
    sten = ~disc
    sten_rate = has[sten].groupby(big.loc[sten, "approach"], observed=True).mean()
    assert sten_rate["Microscopic"] < sten_rate["Open"]  # Nerland BMJ 2015 9.8% vs 15%
    assert sten_rate["Full-endoscopic"] == sten_rate.min()  # RR 0.43 (Neurospine 2022)
    # Dural tear is the commonest complication outside endoscopic surgery (Werner 2017: 2 of 3%).
    non_endo = big.loc[has & (big["approach"] != "Full-endoscopic"), "complication"]
    assert non_endo.value_counts().idxmax() == "dural tear"
    # Complications lengthen the stay and leave more pain.
    micro = big["approach"] == "Microscopic"
    assert big.loc[micro & has, "length_of_stay_hours"].median() > big.loc[micro & ~has, "length_of_stay_hours"].median()
    assert big.loc[micro & has, "vas_leg_12m"].mean() > big.loc[micro & ~has, "vas_leg_12m"].mean()


def test_recurrence_reoperation_and_satisfaction(big):
    disc = big[big["condition"] == "Herniated disc"]
    rec = disc.groupby("approach", observed=True)["recurrence_12m"].mean()
    reop = disc.groupby("approach", observed=True)["reoperation_12m"].mean()
    assert 0.035 <= rec["Full-endoscopic"] <= 0.07  # PELD 5.2% (rs-109537), Ruetten 6.2%
    assert rec["Full-endoscopic"] > rec["Tubular MIS"]  # PTED vs MED OR 1.60 (meta)
    assert reop["Full-endoscopic"] > reop["Tubular MIS"]  # revision OR 1.77 (meta)
    # Reoperations cluster in cases with a recurrence.
    assert disc.loc[disc["recurrence_12m"].fillna(False).astype(bool), "reoperation_12m"].mean() > 0.4
    satisfied = big["satisfied_12m"].mean()
    assert 0.849 <= satisfied <= 0.941  # PMC3234002 84.9% to TELD 94.1%


def test_recovery_days_order_and_return_to_work(big):
    activities = _medians(big, "return_to_activities_days")
    work = _medians(big, "return_to_work_days")
    assert activities.idxmin() == "Full-endoscopic" and activities.idxmax() == "Open"
    assert work.idxmin() == "Full-endoscopic" and work.idxmax() == "Open"
    assert (activities < work).all()
    micro = (big["condition"] == "Herniated disc") & (big["approach"] == "Microscopic")
    # J Korean Neurosurg Soc 2020: 5.1 +/- 6.0 weeks -> mean 36 days (returned cases, so a little skewed).
    assert 25 <= big.loc[micro, "return_to_work_days"].mean() <= 50
    employed = big["employed_before_surgery"]
    stenosis = big["condition"] == "Spinal stenosis"
    assert employed[~stenosis].mean() > 0.6 and employed[stenosis & (big["age"] >= 65)].mean() < 0.15


def test_older_cases_stay_longer(big):
    micro_sten = (big["condition"] == "Spinal stenosis") & (big["approach"] == "Microscopic") & (big["procedure"] != "Fusion")
    sub = big[micro_sten]
    assert sub.loc[sub["age"] >= 75, "length_of_stay_hours"].median() > sub.loc[sub["age"] < 62, "length_of_stay_hours"].median()
