"""Technique as a split of the Overview's quarterly figures and as a Compare mode (hand-counted)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spinedash import comparison, overview


def _cases() -> pd.DataFrame:
    # 2024-Q1: 6 Loupes, 5 Microscope; 2024-Q2: 7 Loupes, 1 Microscope, 2 with no technique.
    technique = ["Loupes"] * 6 + ["Microscope"] * 5 + ["Loupes"] * 7 + ["Microscope"] + [None, None]
    dates = ["2024-01-15"] * 11 + ["2024-04-15"] * 10
    n = len(technique)
    rng = np.random.default_rng(3)
    return pd.DataFrame({
        "surgery_date": pd.to_datetime(dates),
        "approach": pd.Categorical(["Microscopic"] * n),
        "technique": pd.Categorical(technique),
        "length_of_stay_hours": rng.integers(5, 60, n).astype(float),
        "vas_leg_pre": np.full(n, 7.0),
        "vas_leg_12m": np.where(np.arange(n) % 2 == 0, 2.0, 6.0),
    })


def test_volume_by_technique_counts_each_cell_and_hides_small_ones():
    volume = overview.volume_by_quarter(_cases(), min_cell=1, by="technique").set_index(["quarter", "approach"])
    assert volume.loc[("2024-Q1", "Loupes"), "cases"] == 6 and volume.loc[("2024-Q1", "Microscope"), "cases"] == 5
    assert volume.loc[("2024-Q2", "Loupes"), "cases"] == 7
    assert volume.loc[("2024-Q2", overview.NO_TECHNIQUE), "cases"] == 2  # blank technique: a group of its own
    assert volume.loc[("2024-Q2", "Loupes"), "share"] == pytest.approx(0.7)
    hidden = overview.volume_by_quarter(_cases(), min_cell=5, by="technique").set_index(["quarter", "approach"])
    assert hidden.loc[("2024-Q2", "Microscope"), "suppressed"]  # 1 case
    assert np.isnan(hidden.loc[("2024-Q2", "Microscope"), "cases"])
    # By approach the same cases are one group: the split changes the groups, not the totals.
    by_approach = overview.volume_by_quarter(_cases(), min_cell=1)
    assert set(by_approach["approach"]) == {"Microscopic"}
    assert by_approach["cases"].sum() == volume["cases"].sum() == 21


def test_trend_by_technique_gives_each_technique_its_mcid_rate():
    trend = overview.trend_by_quarter(_cases(), min_cell=1, by="technique").set_index(["quarter", "approach"])
    # 2024-Q1 Loupes are rows 0–5: even rows improve 5 points (≥ 3.2), odd rows 1 point.
    assert trend.loc[("2024-Q1", "Loupes"), "mcid_rate"] == pytest.approx(3 / 6)
    assert trend.loc[("2024-Q1", "Microscope"), "mcid_rate"] == pytest.approx(3 / 5)  # rows 6, 8, 10
    assert trend.loc[("2024-Q1", overview.ALL_GROUP), "mcid_rate"] == pytest.approx(6 / 11)
    with pytest.raises(ValueError, match="by must be"):
        overview.trend_by_quarter(_cases(), by="surgeon")


def test_charts_name_the_technique():
    cases = _cases()
    volume = overview.volume_chart(overview.volume_by_quarter(cases, min_cell=1, by="technique"), "Technique")
    assert volume["title"] == "Operations per quarter by technique"
    assert volume["encoding"]["color"]["title"] == "Technique"
    colours = volume["encoding"]["color"]["scale"]["range"]
    assert len(set(colours[:2])) == 2  # two techniques, two colours (not the grey of an unknown approach)
    trend = overview.trend_by_quarter(cases, min_cell=1, by="technique")
    panels = overview.mcid_trend_chart(trend, "MCID", "Technique")
    assert "Each panel: one technique; dashed grey: all cases." in panels["title"]["subtitle"]


def test_compare_offers_technique_against_technique():
    cases = _cases()
    modes = comparison.available_modes(cases)
    assert "Technique vs technique" in modes
    assert modes[comparison.default_mode(modes, "technique")] == "Technique vs technique"
    assert comparison.default_mode(modes, "approach") == 0
    pair = comparison.group_pair(cases, "Technique vs technique", "Loupes", "Microscope")
    assert pair.in_a.sum() == 13 and pair.in_b.sum() == 6 and not (pair.in_a & pair.in_b).any()
    one = cases[cases["technique"] == "Loupes"]
    assert "Technique vs technique" not in comparison.available_modes(one)
    assert comparison.default_mode(comparison.available_modes(one), "technique") == 0
