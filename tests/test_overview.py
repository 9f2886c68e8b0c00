"""Overview: headline figures worked by hand, quarters, suppression, charts and the guided demo."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spinedash import overview, schema
from spinedash.charts import NEUTRAL_PALETTE
from spinedash.overview import demo_steps, headline_figures, trend_by_quarter, volume_by_quarter
from spinedash.quality import followup_completeness
from spinedash.sample import generate_cohort
from spinedash.vegalite import validate
from spinedash.vocabulary import APPROACH_COLOURS, APPROACHES, CONDITIONS, OTHER_COLOUR

NAN = np.nan


def ten_cases() -> pd.DataFrame:
    """6 full-endoscopic and 4 open cases with every headline column, in canonical dtypes."""
    return schema.to_canonical_dtypes(
        pd.DataFrame(
            {
                "case_id": [f"C{i}" for i in range(10)],
                "approach": ["Full-endoscopic"] * 6 + ["Open"] * 4,
                "condition": ["Herniated disc"] * 10,
                "length_of_stay_hours": [3, 4, 6, 8, 10, 30, 48, 72, 76, 100],
                "employed_before_surgery": [True, True, True, True, True, False, True, True, True, False],
                "return_to_work_days": [10, NAN, 14, 20, 25, 5, 45, 60, NAN, NAN],
                "last_followup_days": [365, 12, 365, 365, 365, 365, 365, 365, 90, 365],
                "vas_leg_pre": [8, 7, 6, 7, 6.2, 7, 8, 7, 6, 5],
                "vas_leg_12m": [2, 4, 3, 6, 3.0, NAN, 1, 5, 6, 1],
                "complication": ["none"] * 5 + ["dural tear"] + ["none"] * 3 + ["infection"],
                "reoperation_12m": [False] * 5 + [None] + [True, False, False, False],
            }
        )
    )


def by_key(figures: pd.DataFrame) -> pd.DataFrame:
    return figures.set_index("key")


def test_headline_figures_worked_by_hand():
    f = by_key(headline_figures(ten_cases(), min_cell=3))
    assert list(f.index) == [
        "cases", "mi_share", "same_day", "median_stay", "bed_days", "bed_days_per_100",
        "return_to_work", "mcid_vas_leg_12m", "complication", "reoperation_12m",
    ]  # fmt: skip
    assert f.loc["cases", "value"] == 10 and f.loc["cases", "display"] == "10"
    # 6 of 10 minimally invasive.
    assert f.loc["mi_share", "value"] == pytest.approx(60.0)
    assert f.loc["mi_share", "display"] == "60%"
    # Stay ≤ 12 h: 3, 4, 6, 8, 10 -> 5 of 10; endoscopic 5 of 6; open 0 of 4.
    assert f.loc["same_day", "value"] == pytest.approx(50.0)
    assert f.loc["same_day", "mi_value"] == pytest.approx(500 / 6)
    assert f.loc["same_day", "open_value"] == 0
    assert f.loc["same_day", "comparison_sentence"] == (
        "Same-day discharge 83% with minimally invasive approaches vs 0% with open surgery (unadjusted for case mix; Compare adjusts)"
    )
    # Median of 3,4,6,8,10 | 30,48,72,76,100 = (10 + 30) / 2 = 20 h; endoscopic (6 + 8) / 2 = 7 h;
    # open (72 + 76) / 2 = 74 h.
    assert f.loc["median_stay", "value"] == 20 and f.loc["median_stay", "display"] == "20 h"
    assert f.loc["median_stay", "comparison_sentence"] == (
        "Median stay 7 h with minimally invasive approaches vs 74 h with open surgery (unadjusted for case mix; Compare adjusts)"
    )
    assert f.loc["median_stay", "mi_n"] == 6 and f.loc["median_stay", "open_n"] == 4
    # Bed-days: (3+4+6+8+10+30 + 48+72+76+100) / 24 = 357 / 24 = 14.875; per 100 cases 148.75.
    assert f.loc["bed_days", "value"] == pytest.approx(14.875)
    assert f.loc["bed_days", "display"] == "15 bed-days"
    assert pd.isna(f.loc["bed_days", "comparison_sentence"])  # totals depend on volume: no comparison
    assert f.loc["bed_days_per_100", "value"] == pytest.approx(148.75)
    # Endoscopic 61 / 24 / 6 * 100 = 42.4; open 296 / 24 / 4 * 100 = 308.3.
    assert f.loc["bed_days_per_100", "mi_value"] == pytest.approx(61 / 24 / 6 * 100)
    assert f.loc["bed_days_per_100", "open_display"] == "308"
    assert f.loc["bed_days_per_100", "comparison_sentence"] == (
        "Bed-days per 100 cases: 42 with minimally invasive approaches vs 308 with open surgery (unadjusted for case mix; Compare adjusts)"
    )
    # Return to work, Kaplan–Meier among the 8 employed (the unemployed endoscopic case's 5 days is
    # ignored). Times 10, 12+, 14, 20, 25, 45, 60, 90+ (+ = censored at last follow-up):
    # S = 7/8 = .875, ×5/6 = .729, ×4/5 = .583, ×3/4 = .4375 at 25 days -> median 25.
    # Endoscopic 10, 12+, 14, 20, 25: .8, ×2/3 = .533, ×1/2 = .267 at 20 -> 20. Open 45, 60, 90+ -> 60.
    assert f.loc["return_to_work", "n"] == 8
    assert f.loc["return_to_work", "value"] == 25
    assert f.loc["return_to_work", "comparison_sentence"] == (
        "Median return to work 20 days with minimally invasive approaches vs 60 days with open surgery (unadjusted for case mix; Compare adjusts)"
    )
    # VAS leg improvement ≥ 3.2 among 9 with both: endoscopic 6, 3, 3, 1, 3.2 (6.2 − 3.0 counts:
    # 3.2 points as recorded) -> 2 of 5; open 7, 2, 0, 4 -> 2 of 4; together 4 of 9 = 44.4%.
    assert f.loc["mcid_vas_leg_12m", "n"] == 9
    assert f.loc["mcid_vas_leg_12m", "value"] == pytest.approx(400 / 9)
    assert f.loc["mcid_vas_leg_12m", "display"] == "44%"
    assert f.loc["mcid_vas_leg_12m", "mi_value"] == pytest.approx(40.0)
    assert f.loc["mcid_vas_leg_12m", "open_value"] == pytest.approx(50.0)
    # Complications 2 of 10; reoperation 1 of 9 recorded (one blank).
    assert f.loc["complication", "value"] == pytest.approx(20.0)
    assert f.loc["reoperation_12m", "n"] == 9
    assert f.loc["reoperation_12m", "value"] == pytest.approx(100 / 9)
    assert f.loc["reoperation_12m", "display"] == "11%"
    assert not f["suppressed"].any()
    assert list(headline_figures(ten_cases()).columns[:9]) == [
        "figure", "value", "unit", "n", "display", "open_value", "open_display", "comparison_sentence", "suppressed",
    ]  # fmt: skip


def test_no_causal_bed_days_saved_figure():
    figures = headline_figures(ten_cases(), min_cell=3)
    text = " ".join(figures["figure"].tolist() + figures["comparison_sentence"].dropna().tolist()).lower()
    assert "saved" not in text and "would" not in text


def test_absent_or_blank_columns_omit_figures():
    cases = ten_cases()[["case_id", "approach", "length_of_stay_hours"]].copy()
    cases["complication"] = pd.Series([None] * 10, dtype="category")  # ingest adds absent columns blank
    figures = headline_figures(cases, min_cell=3)
    assert list(figures["key"]) == ["cases", "mi_share", "same_day", "median_stay", "bed_days", "bed_days_per_100"]
    # Scores before and at 12 months exist, but never for the same case: no MCID figure, not "0%".
    unpaired = cases.assign(vas_leg_pre=[7.0] * 5 + [NAN] * 5, vas_leg_12m=[NAN] * 5 + [2.0] * 5)
    assert "mcid_vas_leg_12m" not in set(headline_figures(unpaired, min_cell=3)["key"])
    no_approach = headline_figures(cases.drop(columns="approach"), min_cell=3).set_index("key")
    assert "mi_share" not in no_approach.index
    assert no_approach["comparison_sentence"].isna().all()


def test_small_groups_are_suppressed_with_their_complement():
    f = by_key(headline_figures(ten_cases(), min_cell=5))
    # 10 cases overall are shown; the 4 open cases are below 5, so the comparison goes, and the
    # minimally invasive side with it (overall − minimally invasive would give open away).
    assert f.loc["median_stay", "display"] == "20 h"
    assert f.loc["median_stay", "open_display"] == "suppressed (n < 5)"
    assert f.loc["median_stay", "mi_display"] == "suppressed (n < 5)"
    assert np.isnan(f.loc["median_stay", "open_value"]) and np.isnan(f.loc["median_stay", "mi_value"])
    assert "suppressed" in f.loc["median_stay", "comparison_sentence"]
    assert "74" not in f.loc["median_stay", "comparison_sentence"]

    tiny = by_key(headline_figures(ten_cases().iloc[:4], min_cell=5))
    assert tiny["suppressed"].all()
    assert (tiny["display"] == "suppressed (n < 5)").all()
    assert tiny["value"].isna().all()


def test_comparison_only_when_both_groups_exist():
    endoscopic_only = ten_cases().iloc[:6]
    f = by_key(headline_figures(endoscopic_only, min_cell=3))
    assert f["comparison_sentence"].isna().all()
    assert f["open_value"].isna().all()
    assert f.loc["median_stay", "value"] == 7


def test_volume_by_quarter_counts_labels_and_shares():
    cases = pd.DataFrame(
        {
            "surgery_date": pd.to_datetime(["2023-01-15", "2023-03-31", "2023-04-01", "2023-12-31", None, "2023-02-01"]),
            "approach": pd.Categorical(["Open", "Full-endoscopic", "Full-endoscopic", "Open", "Open", "Full-endoscopic"]),
        }
    )
    # The case without a date is counted under "Date not recorded", so the bars add up to all cases.
    expected = pd.DataFrame(
        {
            "quarter": ["2023-Q1", "2023-Q1", "2023-Q2", "2023-Q2", "2023-Q4", "2023-Q4", "Date not recorded", "Date not recorded"],
            "quarter_start": pd.to_datetime(["2023-01-01", "2023-01-01", "2023-04-01", "2023-04-01", "2023-10-01", "2023-10-01", None, None]).astype("datetime64[ns]"),
            "approach": ["Full-endoscopic", "Open"] * 4,
            "cases": [2.0, 1, 1, 0, 0, 1, 0, 1],
            "share": [2 / 3, 1 / 3, 1.0, 0.0, 0.0, 1.0, 0.0, 1.0],
            "suppressed": [False] * 8,
        }
    )
    pd.testing.assert_frame_equal(volume_by_quarter(cases), expected, check_dtype=False)
    assert volume_by_quarter(cases.drop(columns="surgery_date")).empty


def test_trend_by_quarter_medians_rates_and_suppression():
    rows = []
    # 2024-Q1: 6 endoscopic (stays 2..7 h, all responders), 6 open (stays 50..100, 3 of 6 responders).
    for i in range(6):
        rows.append(("2024-02-01", "Full-endoscopic", 2.0 + i, 7.0, 2.0))
        rows.append(("2024-02-01", "Open", 50.0 + 10 * i, 7.0, 2.0 if i < 3 else 6.0))
    # 2024-Q2: 6 endoscopic with 12-month scores, 3 tubular (below 5), 5 open (scores for 5).
    rows += [("2024-05-01", "Full-endoscopic", 4.0, 7.0, 2.0)] * 6
    rows += [("2024-05-01", "Tubular MIS", 20.0, 7.0, 6.0)] * 3
    for i in range(5):
        rows.append(("2024-05-01", "Open", 80.0, 7.0, 2.0 if i < 4 else 6.0))
    cases = pd.DataFrame(rows, columns=["surgery_date", "approach", "length_of_stay_hours", "vas_leg_pre", "vas_leg_12m"])
    cases["surgery_date"] = pd.to_datetime(cases["surgery_date"])
    trend = trend_by_quarter(cases, min_cell=3).set_index(["quarter", "approach"])
    assert trend.loc[("2024-Q1", "Full-endoscopic"), "median_stay_hours"] == 4.5  # (4 + 5) / 2
    assert trend.loc[("2024-Q1", "Open"), "median_stay_hours"] == 75  # (70 + 80) / 2
    assert trend.loc[("2024-Q1", "Open"), "mcid_rate"] == 0.5
    assert trend.loc[("2024-Q1", "All"), "n"] == 12
    assert trend.loc[("2024-Q1", "All"), "mcid_rate"] == 0.75
    assert trend.loc[("2024-Q2", "Tubular MIS"), "median_stay_hours"] == 20  # 3 cases ≥ k = 3: shown
    assert trend.loc[("2024-Q2", "All"), "mcid_rate"] == pytest.approx(10 / 14)
    # k = 5: Tubular (3 cases) is suppressed, and beside it enough others that neither the
    # quarter's "All" (14 cases, 10 responders) nor an approach's total gives it away.
    trend = trend_by_quarter(cases, min_cell=5).set_index(["quarter", "approach"])
    tub = trend.loc[("2024-Q2", "Tubular MIS")]
    assert bool(tub["suppressed"]) and np.isnan(tub["n"]) and np.isnan(tub["median_stay_hours"]) and np.isnan(tub["mcid_rate"])
    q2 = trend.loc["2024-Q2"]
    for count, hidden in (("n", "suppressed"), ("mcid_n", "mcid_suppressed")):
        if not q2.loc["All", hidden]:
            held = q2.loc["All", count] - q2.drop(index="All")[count].sum()  # the reader's subtraction
            assert held == 0 or (held >= 5 and q2.drop(index="All")[hidden].sum() >= 2)
    assert list(trend_by_quarter(cases).columns[:8]) == [
        "quarter", "quarter_start", "approach", "n", "median_stay_hours", "mcid_rate", "mcid_n", "suppressed",
    ]  # fmt: skip


def test_volume_chart_spec():
    cases = generate_cohort(400, seed=3)
    volume = volume_by_quarter(cases)
    spec = validate(overview.volume_chart(volume))
    assert spec["mark"]["type"] == "bar"
    enc = spec["encoding"]
    assert enc["x"]["field"] == "quarter" and enc["y"]["field"] == "cases"
    assert "Cases" in enc["y"]["title"]
    assert enc["color"]["scale"]["range"] == [APPROACH_COLOURS[a] for a in enc["color"]["scale"]["domain"]]
    assert enc["x"]["sort"] == sorted(volume["quarter"].unique())
    rows = spec["datasets"][spec["data"]["name"]]
    assert len(rows) == len(volume) <= 4 * 24  # aggregated: one row per quarter and approach
    assert spec["width"] == "container"


def test_volume_chart_colours_legend_and_stack_follow_the_approach_order():
    volume = volume_by_quarter(generate_cohort(400, seed=3))
    spec = validate(overview.volume_chart(volume))
    colour = spec["encoding"]["color"]
    assert colour["scale"]["domain"] == list(APPROACHES) == colour["sort"]  # least to most invasive
    assert colour["scale"]["range"] == [APPROACH_COLOURS[a] for a in APPROACHES]
    # The stack is ordered by each approach's place in that list, so bars read like the legend.
    assert spec["encoding"]["order"] == {"field": "approach_rank", "type": "quantitative"}
    [calc] = spec["transform"]
    assert calc["as"] == "approach_rank"
    assert calc["calculate"] == 'indexof(["Full-endoscopic", "Tubular MIS", "Microscopic", "Open"], datum.approach)'


def test_volume_chart_greys_an_approach_outside_the_vocabulary():
    cases = generate_cohort(200, seed=8)
    cases["approach"] = cases["approach"].astype(object)
    cases.loc[cases.index[:30], "approach"] = "Robotic"
    spec = validate(overview.volume_chart(volume_by_quarter(cases)))
    scale = spec["encoding"]["color"]["scale"]
    assert scale["domain"][-1] == "Robotic"  # after the known approaches
    assert dict(zip(scale["domain"], scale["range"], strict=True))["Robotic"] == OTHER_COLOUR


def test_volume_chart_of_no_cases_is_still_a_valid_spec():
    volume = volume_by_quarter(generate_cohort(50, seed=7).iloc[:0])
    spec = validate(overview.volume_chart(volume))
    # Not bare axes: a sentence saying there is nothing to show, also as the chart's description.
    assert spec["datasets"] == {"nothing": [{"message": overview.NO_VOLUME_MESSAGE}]}
    assert spec["description"].endswith(overview.NO_VOLUME_MESSAGE)
    assert overview.n_text("< 5") == "n < 5" and overview.n_text("2,500") == "n = 2,500"


def test_chart_specs_are_plain_json():
    cases = generate_cohort(300, seed=5)
    trend = trend_by_quarter(cases)
    specs = [
        overview.volume_chart(volume_by_quarter(cases)),
        overview.trend_chart(trend, "median_stay_hours", "Median stay", "Hospital stay (hours)"),
        overview.trend_chart(trend, "mcid_rate", "MCID", "Reached the MCID (%)"),
        overview.completeness_chart(followup_completeness(cases)),
    ]
    for spec in specs:
        assert type(spec) is dict
        validate(spec)  # through json.dumps(allow_nan=False): no NaN, numpy number or timestamp left
        assert json.loads(json.dumps(spec)) == spec


def test_trend_chart_spec_drops_suppressed_points_and_uses_percent():
    cases = generate_cohort(600, seed=4)
    trend = trend_by_quarter(cases, min_cell=5)
    spec = validate(overview.trend_chart(trend, "mcid_rate", "VAS leg MCID at 12 months", "Reached the MCID (%)"))
    line = _line_layer(spec)
    assert line["mark"]["type"] == "line"
    assert line["encoding"]["y"]["title"] == "Reached the MCID (%)"
    rows = spec["datasets"][spec["data"]["name"]]
    assert len(rows) == trend["mcid_rate"].notna().sum()
    assert all(0 <= r["mcid_rate"] <= 100 for r in rows)
    assert max(r["mcid_rate"] for r in rows) > 1  # shown in %, not as a fraction
    assert all(r["mcid_ci_low"] - 1e-9 <= r["mcid_rate"] <= r["mcid_ci_high"] + 1e-9 for r in rows)  # intervals in % too
    assert "All" in line["encoding"]["color"]["scale"]["domain"]


def _line_layer(spec: dict) -> dict:
    """The line-and-points view of a trend chart (the only view, or the layer after the CI bars)."""
    return next(layer for layer in spec["layer"] if layer["mark"]["type"] == "line") if "layer" in spec else spec


def test_trend_chart_draws_all_in_black_and_dashed_after_the_approaches():
    trend = trend_by_quarter(generate_cohort(600, seed=4), min_cell=5)
    spec = _line_layer(validate(overview.trend_chart(trend, "median_stay_hours", "Median stay", "Hospital stay (hours)")))
    colour = spec["encoding"]["color"]
    assert colour["scale"]["domain"] == [*APPROACHES, "All"] == colour["sort"]
    assert colour["scale"]["range"] == [*(APPROACH_COLOURS[a] for a in APPROACHES), "#000000"]
    # "All" dashed, every approach solid: the test is the one Altair wrote for alt.datum.approach == "All".
    assert spec["encoding"]["strokeDash"] == {
        "condition": {"test": "(datum.approach === 'All')", "value": [5, 3]},
        "value": [1, 0],
    }
    assert spec["mark"] == {"type": "line", "point": True}


def test_trend_chart_without_all_rows_has_no_black_line():
    trend = trend_by_quarter(generate_cohort(600, seed=4), min_cell=5)
    spec = _line_layer(validate(overview.trend_chart(trend[trend["approach"] != "All"], "median_stay_hours", "Stay", "Hours")))
    scale = spec["encoding"]["color"]["scale"]
    assert scale["domain"] == list(APPROACHES)
    assert "#000000" not in scale["range"] and len(scale["range"]) == len(scale["domain"])


def test_completeness_chart_spec():
    cases = generate_cohort(300, seed=5)
    completeness = followup_completeness(cases)
    spec = validate(overview.completeness_chart(completeness))
    assert spec["mark"]["type"] == "bar"
    assert spec["encoding"]["y"]["title"] == "Patients due with a value recorded (%)"
    assert spec["encoding"]["x"]["sort"] == ["Before surgery", "2 weeks", "6 weeks", "3 months", "6 months", "12 months"]
    assert spec["encoding"]["xOffset"]["field"] == "measure"
    rows = spec["datasets"][spec["data"]["name"]]
    assert len(rows) == len(completeness) == 16  # VAS leg and back at 6 time points, ODI at 4
    assert all(0 <= r["percent"] <= 100 for r in rows)


def test_completeness_chart_uses_measure_colours_no_approach_uses_and_a_0_to_100_axis():
    spec = validate(overview.completeness_chart(followup_completeness(generate_cohort(300, seed=5))))
    colour = spec["encoding"]["color"]
    assert colour["scale"] == {"domain": ["VAS leg", "VAS back", "ODI"], "range": list(overview.MEASURE_PALETTE[:3])}
    assert not set(overview.MEASURE_PALETTE) & (set(APPROACH_COLOURS.values()) | set(NEUTRAL_PALETTE))
    assert colour["sort"] == spec["encoding"]["xOffset"]["sort"] == colour["scale"]["domain"]  # bars in legend order
    assert spec["encoding"]["y"]["scale"] == {"domain": [0, 100]}  # a full axis, so 40% never looks nearly full


def test_sample_cohort_headlines_are_all_present_and_plausible():
    figures = by_key(headline_figures(generate_cohort(2500, seed=11)))
    assert len(figures) == 10
    assert not figures["suppressed"].any()
    assert figures.loc["median_stay", "mi_value"] < figures.loc["median_stay", "open_value"]
    assert 0 < figures.loc["mcid_vas_leg_12m", "value"] < 100
    assert figures["comparison_sentence"].notna().sum() == 7


ROOT = Path(__file__).resolve().parents[1]

FILTER_KEYS = {
    "filter_condition", "filter_approach", "filter_procedure", "filter_level", "filter_sex",
    "filter_surgeon", "filter_site", "filter_age", "filter_dates", "min_cell", "procedures_approach",
}  # fmt: skip


def test_demo_steps_name_no_numbers_and_use_real_filters():
    steps = demo_steps()
    assert 5 <= len(steps) <= 6
    for step in steps:
        assert not re.search(r"\d", step.sentence), step.sentence  # numbers are computed live
        assert step.page.startswith("pages/") and step.page.endswith(".py")
        assert (ROOT / step.page).is_file(), f"demo step goes to a page that does not exist: {step.page}"
        assert step.page in (ROOT / "app.py").read_text(), f"{step.page} is not in app.py's navigation"
        page_source = (ROOT / step.page).read_text()
        for key, value in step.query.items():
            if isinstance(value, list):
                assert key in FILTER_KEYS, f"{key} is not a sidebar filter"
            else:  # one of the step page's own widgets (None: back to its default)
                assert f'key="{key}"' in page_source, f"{step.page} has no widget {key}"
        assert step.anchor, "every step names the heading it scrolls to"
        for value in step.query.get("filter_condition", []):
            assert value in CONDITIONS
        for value in step.query.get("filter_approach", []):
            assert value in APPROACHES
        if step.page != "pages/procedures.py":
            assert "synthetic" in step.sentence
    assert steps[0].page == "pages/overview.py"
    with pytest.raises(AttributeError):
        steps[0].title = "changed"  # frozen


def test_mcid_per_quarter_is_small_multiples_one_panel_per_approach_over_all_cases():
    trend = trend_by_quarter(generate_cohort(2500, seed=5))
    spec = validate(overview.mcid_trend_chart(trend, "MCID per quarter"))
    rows = spec["datasets"]["shown"]
    approaches = [a for a in APPROACHES if a in set(trend["approach"])]
    assert spec["facet"]["field"] == "panel" and spec["facet"]["sort"] == approaches
    # Every panel holds its approach's quarters and the all-cases reference line.
    for a in approaches:
        own = [r for r in rows if r["panel"] == a and r["series"] == a]
        ref = [r for r in rows if r["panel"] == a and r["series"] == "All"]
        assert len(own) == trend[(trend["approach"] == a) & trend["mcid_rate"].notna()].shape[0] > 0
        assert len(ref) == trend[(trend["approach"] == "All") & trend["mcid_rate"].notna()].shape[0]
    # Dot size is the n behind the point, so it does not depend on hover; the words give n too.
    points = [lay for lay in spec["spec"]["layer"] if lay["mark"]["type"] == "point"][0]
    assert points["encoding"]["size"]["field"] == "mcid_n"
    full = trend[(trend["approach"] == "Full-endoscopic") & trend["mcid_rate"].notna()]
    assert f"{int(full['mcid_n'].sum()):,} patients with both scores in all" in spec["description"]


def test_an_overview_chart_with_nothing_left_after_suppression_says_so():
    trend = trend_by_quarter(generate_cohort(40, seed=5), min_cell=50)
    assert trend["mcid_rate"].isna().all()
    spec = validate(overview.mcid_trend_chart(trend, "MCID per quarter"))
    assert spec["datasets"]["nothing"][0]["message"].startswith("No quarter has enough patients")


def test_both_sides_of_a_comparison_share_one_precision():
    # Worked by hand: the "3.8% vs 5%" must read "3.8% vs 5.0%".
    assert overview._pair(overview._pct, 3.8, 5.0, "n/a") == ("3.8%", "5.0%")
    assert overview._pair(overview._pct, 9.24, 16.0, "n/a") == ("9.2%", "16.0%")
    assert overview._pair(overview._pct, 18.0, 0.0, "n/a") == ("18%", "0%")  # an exact zero needs no decimal
    assert overview._pair(overview._hours, 7.0, 74.0, "n/a") == ("7 h", "74 h")
    assert overview._pair(overview._days, 27.0, float("nan"), "not reached") == ("27 days", "not reached")


def test_a_card_says_the_comparison_without_repeating_its_name():
    figures = by_key(headline_figures(generate_cohort(2500, seed=11)))
    row = figures.loc["same_day"].to_dict()
    text = overview.card_comparison(row)
    assert text == f"n = {row['n_display']} · minimally invasive {row['mi_display']} vs open {row['open_display']} (unadjusted for case mix)"
    assert overview.card_comparison(figures.loc["cases"].to_dict()) == ""  # no comparison for the case count
    hidden = {**row, "mi_display": "suppressed (n < 5)", "comparison_sentence": "Same-day discharge: the comparison ... is suppressed"}
    assert overview.card_comparison(hidden) == hidden["comparison_sentence"]
