"""The score a view leads with comes from the catalogue's `headline` rank and the region in view, not from code.

Overview cards, Compare's MCID row, the funnel's first measure, the Procedures join and the PDF all
follow it: VAS leg for a lumbar file (as before), arm pain / NDI for a cervical one, COMI or EQ-5D for
a file holding only those. Numbers are hand-worked.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spinedash import analysis, catalogue, funnel, overview, summary
from spinedash.catalogue import CatalogueError, load_catalogue, parse_measures
from spinedash.outcomes import headline_measure, headline_measures, threshold_measure
from spinedash.tables import condition_outcomes_display

CERVICAL = Path(__file__).resolve().parent / "data" / "cervical_clinic.csv"


@pytest.fixture(scope="module")
def cervical():
    from spinedash.ingest import load_outcomes

    return load_outcomes(CERVICAL.read_bytes()).cases


@pytest.fixture(scope="module")
def lumbar():
    from spinedash.sample import load_sample

    return load_sample()


def _cases(region: str, approach: list[str], **scores) -> pd.DataFrame:
    n = len(approach)
    return pd.DataFrame(
        {
            "approach": pd.Categorical(approach),
            "condition": ["Herniated disc"] * n,
            "region": [region] * n,
            **{k: np.asarray(v, dtype=float) for k, v in scores.items()},
        }
    )


def test_every_measure_has_a_headline_rank_and_the_region_orders_them():
    cat = load_catalogue()
    # every measure a page may lead with has a rank; one shown only as a share (no mean to lead with) has none
    assert all(m.headline is not None and m.headline >= 1 for m in cat.measures.values() if m.has_mean)
    assert all(m.headline is None for m in cat.measures.values() if not m.has_mean)
    lumbar = [m.id for m in cat.headline_order(["lumbar"])]
    cervical = [m.id for m in cat.headline_order(["cervical"])]
    assert lumbar[:3] == ["vas_leg", "nrs_leg", "odi"]
    assert cervical[:3] == ["vas_arm", "nrs_arm", "ndi"]
    assert not {"vas_leg", "odi", "vas_back"} & set(cervical)
    assert not {"vas_arm", "ndi", "mjoa"} & set(lumbar)


def test_a_malformed_headline_rank_is_named():
    row = {f: "" for f in catalogue.MEASURE_FIELDS}
    row.update(id="foo", label="Foo", short_label="Foo", instrument="Foo", family="pain", region="lumbar", kind="score",
               scale_min="0", scale_max="10", decimals="0", better="lower", timepoints="pre 12m", mcid="2",
               mcid_source="Someone, Journal 2020", headline="first")
    with pytest.raises(CatalogueError, match="headline"):
        parse_measures(pd.DataFrame([row]), load_catalogue().timepoints)
    row["headline"] = ""
    assert parse_measures(pd.DataFrame([row]), load_catalogue().timepoints)["foo"].headline is None


def test_lumbar_sample_keeps_vas_leg(lumbar):
    assert headline_measure(lumbar) == "vas_leg" and threshold_measure(lumbar) == "vas_leg"
    assert headline_measures(lumbar)[:2] == ["vas_leg", "odi"]
    assert overview.headline_scores(lumbar) == ("vas_leg", None)  # one MCID card, as before
    assert funnel.default_measure(lumbar) == "mcid_vas_leg_12m"
    keys = overview.headline_figures(lumbar, min_cell=5)["key"].tolist()
    assert "mcid_vas_leg_12m" in keys and not any(k.startswith("change_") for k in keys)


def test_cervical_file_leads_with_arm_pain_and_its_own_mcid_score(cervical):
    assert headline_measures(cervical)[:2] == ["vas_arm", "ndi"]
    assert threshold_measure(cervical) == "mjoa"
    assert overview.headline_scores(cervical) == ("mjoa", "vas_arm")
    assert funnel.default_measure(cervical) == "vas_arm_12m"  # no published MCID: its 12-month mean
    assert funnel.offered_measures(cervical)[0] == "vas_arm_12m"
    assert not any("vas_leg" in m or "odi" in m for m in funnel.offered_measures(cervical))
    figures = overview.headline_figures(cervical, min_cell=1).set_index("key")
    assert {"change_vas_arm_12m", "mcid_mjoa_12m"} <= set(figures.index)
    assert not any("vas_leg" in k for k in figures.index)
    # Hand-worked: the mean of (12 months − before surgery) over patients with both arm-pain scores.
    both = cervical[["vas_arm_pre", "vas_arm_12m"]].dropna()
    row = figures.loc["change_vas_arm_12m"]
    assert row["n"] == len(both)
    assert row["value"] == pytest.approx((both["vas_arm_12m"] - both["vas_arm_pre"]).mean())
    assert row["display"].startswith("−") and row["display"].endswith(" points")


def test_change_card_compares_minimally_invasive_with_open_by_hand():
    cases = _cases("cervical", ["Microscopic"] * 3 + ["Open"] * 3,
                   vas_arm_pre=[8, 7, 6, 8, 8, 6], vas_arm_12m=[2, 3, 3, 5, 4, 6])
    figures = overview.headline_figures(cases, min_cell=1).set_index("key")
    row = figures.loc["change_vas_arm_12m"]
    assert row["value"] == pytest.approx(np.mean([-6, -4, -3, -3, -4, 0]))
    assert row["mi_value"] == pytest.approx(np.mean([-6, -4, -3]))
    assert row["open_value"] == pytest.approx(np.mean([-3, -4, 0]))
    assert "mcid_vas_arm_12m" not in figures.index  # no published MCID: no "reached" card
    hidden = overview.headline_figures(cases, min_cell=4).set_index("key").loc["change_vas_arm_12m"]
    assert "suppressed" in hidden["comparison_sentence"]  # 3 a side < 4


@pytest.mark.parametrize(
    ("region", "scores", "lead", "rate"),
    [
        ("lumbar", {"comi_back_pre": [8, 7, 6, 9], "comi_back_12m": [3, 6, 2, 8]}, "comi_back", "comi_back"),
        ("cervical", {"comi_neck_pre": [8, 7, 6, 9], "comi_neck_12m": [3, 6, 2, 8]}, "comi_neck", "comi_neck"),
        ("lumbar", {"eq5d_pre": [0.3, 0.5, 0.6, 0.2], "eq5d_12m": [0.5, 0.55, 0.8, 0.1]}, "eq5d", "eq5d"),
    ],
)
def test_a_file_with_only_comi_or_eq5d_leads_with_it(region, scores, lead, rate):
    cases = _cases(region, ["Microscopic", "Open", "Microscopic", "Open"], **scores)
    assert headline_measure(cases) == lead and threshold_measure(cases) == rate
    figures = overview.headline_figures(cases, min_cell=1).set_index("key")
    m = analysis.MEASURES[rate]
    pre, post = np.asarray(scores[f"{rate}_pre"]), np.asarray(scores[f"{rate}_12m"])
    expected = 100 * np.mean(m.sign * (post - pre) >= m.mcid - 1e-9)
    assert figures.loc[f"mcid_{rate}_12m", "value"] == pytest.approx(expected)
    assert funnel.default_measure(cases) == f"mcid_{rate}_12m"
    table = analysis.compare_groups(cases, cases["approach"] == "Microscopic", cases["approach"] == "Open", "M", "O",
                                    min_cell=1, adjust="none")
    assert any(o.startswith(f"{analysis._score_word(rate)}: reached MCID") for o in table["outcome"])


def test_compare_mcid_row_follows_the_region(cervical, lumbar):
    a, b = cervical["approach"] == "Microscopic", cervical["approach"] == "Open"
    rows = analysis.compare_groups(cervical, a, b, "Microscopic", "Open", min_cell=1, adjust="none")["outcome"].tolist()
    assert "mJOA score: reached MCID at 12 months" in rows
    assert not any("VAS leg" in r or "ODI" in r for r in rows)
    a, b = lumbar["approach"] == "Microscopic", lumbar["approach"] == "Open"
    rows = analysis.compare_groups(lumbar, a, b, "Microscopic", "Open", adjust="none")["outcome"].tolist()
    assert "VAS leg pain: reached MCID at 12 months" in rows


def test_procedures_join_follows_the_region(cervical, lumbar):
    result = analysis.summarise_for_condition(cervical, "Herniated disc", min_cell=1)
    assert result.attrs["score"] == "vas_arm"
    sub = cervical[(cervical["condition"] == "Herniated disc") & (cervical["approach"] == "Open")]
    both = sub[["vas_arm_pre", "vas_arm_12m"]].dropna()
    row = result.set_index("approach").loc["Open"]
    assert row["score_change_12m"] == pytest.approx((both["vas_arm_12m"] - both["vas_arm_pre"]).mean())
    shown = condition_outcomes_display(result, 1)
    assert "VAS arm change at 12 months (points; a fall is better)" in shown.columns
    assert analysis.summarise_for_condition(lumbar, "Herniated disc").attrs["score"] == "vas_leg"
    ndi = analysis.summarise_for_condition(cervical, "Herniated disc", min_cell=1, measure="ndi")
    assert ndi.attrs["score"] == "ndi"
    cases = _cases("lumbar", ["Open"] * 2, length_of_stay_hours=[5, 6])
    none = analysis.summarise_for_condition(cases, "Herniated disc", min_cell=1)
    assert none.attrs["score"] is None and none["score_change_12m"].isna().all()
    assert "Score change at 12 months (points)" in condition_outcomes_display(none, 1).columns


def test_pdf_methods_and_sources_name_the_measures_in_view(cervical, lumbar):
    sources = summary.report_sources(cervical)
    assert any("mJOA 2 points" in s for s in sources) and any("NDI: no published default" in s for s in sources)
    assert not any("VAS leg" in s or "ODI" in s for s in sources)
    notes = " ".join(summary.method_notes(5, cervical))
    assert "VAS leg" not in notes and "mJOA" in notes
    assert summary.method_notes(5, lumbar) == summary.method_notes(5)  # the lumbar sample: unchanged
    assert summary.report_sources(lumbar) == summary.report_sources()
    table = summary.headline_for_report(cervical, 5)
    assert any("VAS arm change" in f for f in table["figure"]) and not any("VAS leg" in f for f in table["figure"])
