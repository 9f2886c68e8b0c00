"""spinedash.charts through their Vega-Lite specs: marks, encodings, colours, embedded rows, suppression.

Every spec a test reads is first checked against the Vega-Lite schema (`vegalite.validate`)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import vl_convert as vlc

from spinedash import charts
from spinedash.benchmarks import benchmarks_for
from spinedash.funnel import FLAG_COLOURS
from spinedash.vegalite import validate
from spinedash.vocabulary import APPROACH_COLOURS, APPROACHES, OTHER_COLOUR

NAN = np.nan
FOUR = list(APPROACHES)


# ---------------------------------------------------------------- frames shaped like analysis output


def summary() -> pd.DataFrame:
    # summarise_distribution: a suppressed group keeps n, every estimate NaN. Deliberately out of order.
    return pd.DataFrame(
        {
            "group": ["Microscopic", "Full-endoscopic", "Open", "Tubular MIS"],
            "n": [120, 90, 3, 40],
            "suppressed": [False, False, True, False],
            "median": [48.0, 5.0, NAN, 30.0],
            "median_ci_low": [44.0, 4.0, NAN, 24.0],
            "median_ci_high": [52.0, 6.5, NAN, 36.0],
            "q1": [30.0, 3.0, NAN, 20.0],
            "q3": [70.0, 20.0, NAN, 48.0],
            "p5": [20.0, 2.0, NAN, 8.0],
            "p95": [140.0, 40.0, NAN, 100.0],
            "mean": [55.0, 12.0, NAN, 35.0],
        }
    )


def shares() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "group": ["Full-endoscopic", "Microscopic", "Open"],
            "n": [90, 120, 2],
            "same_day_n": [54.0, 0.0, NAN],
            "same_day_share": [0.6, 0.0, NAN],
            "same_day_ci_low": [0.5, 0.0, NAN],
            "same_day_ci_high": [0.69, 0.03, NAN],
            "within_24h_n": [72.0, 6.0, NAN],
            "within_24h_share": [0.8, 0.05, NAN],
            "within_24h_ci_low": [0.71, 0.02, NAN],
            "within_24h_ci_high": [0.87, 0.1, NAN],
            "suppressed": [False, False, True],
        }
    )


def km_frames(points: int = 50) -> tuple[pd.DataFrame, pd.DataFrame]:
    days = np.linspace(0, 365, points)
    share = 1 - np.exp(-days / 40)
    curves = pd.concat(
        [
            pd.DataFrame({"group": g, "days": days, "share_returned": share * f, "ci_low": share * f * 0.9, "ci_high": np.minimum(share * f * 1.1, 1)})
            for g, f in (("Full-endoscopic", 0.95), ("Microscopic", 0.85))
        ],
        ignore_index=True,
    )
    medians = pd.DataFrame(
        {
            "group": ["Full-endoscopic", "Microscopic", "Open"],
            "n": [200, 180, 4],
            "events": [190.0, 150.0, NAN],
            "censored": [10.0, 30.0, NAN],
            "median_days": [29.0, 38.0, NAN],
            "median_ci_low": [25.0, 33.0, NAN],
            "median_ci_high": [33.0, 44.0, NAN],
            "suppressed": [False, False, True],
        }
    )
    return curves, medians


TPS = [("pre", "Before surgery", 0), ("6w", "6 weeks", 42), ("12m", "12 months", 365)]


def trajectory() -> pd.DataFrame:
    rows = []
    for group, start in (("Microscopic", 7.0), ("Full-endoscopic", 6.8)):
        for i, (tp, label, day) in enumerate(TPS):
            mean = start / (1 + 2 * i)
            hidden = group == "Microscopic" and tp == "12m"
            rows.append(
                {"group": group, "timepoint": tp, "timepoint_label": label, "day": day, "n": 3 if hidden else 80,
                 "mean": NAN if hidden else mean, "ci_low": NAN if hidden else mean - 0.3, "ci_high": NAN if hidden else mean + 0.3,
                 "sd": NAN if hidden else 1.5, "suppressed": hidden, "is_baseline": tp == "pre"}  # fmt: skip
            )
    return pd.DataFrame(rows)


def change() -> pd.DataFrame:
    rows = []
    for group in ("Full-endoscopic", "Open"):
        for tp, label, day in TPS[1:]:
            hidden = group == "Open"
            rows.append(
                {"group": group, "timepoint": tp, "timepoint_label": label, "day": day, "n": 0 if (hidden and tp == "12m") else (2 if hidden else 60),
                 "mean_change": NAN if hidden else -4.0, "ci_low": NAN if hidden else -4.5, "ci_high": NAN if hidden else -3.5, "suppressed": hidden}  # fmt: skip
            )
    return pd.DataFrame(rows)


def rates() -> pd.DataFrame:
    rows = []
    for group in ("Tubular MIS", "Full-endoscopic"):
        for tp, label, day in TPS[1:]:
            rows.append(
                {"group": group, "timepoint": tp, "timepoint_label": label, "day": day, "n": 50, "responders": 35.0,
                 "share": 0.7, "ci_low": 0.56, "ci_high": 0.81, "suppressed": False}  # fmt: skip
            )
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- spec helpers


def spec(chart: dict) -> dict:
    return validate(chart)


def layers(s: dict) -> list[dict]:
    return s.get("layer", [s])


def mark(layer: dict) -> str:
    m = layer["mark"]
    return m if isinstance(m, str) else m["type"]


def rows(s: dict, layer: dict) -> list[dict]:
    data = layer.get("data", s.get("data"))
    if "values" in data:
        return data["values"]
    return s["datasets"][data["name"]]


def total_rows(s: dict) -> int:
    return sum(len(v) for v in s.get("datasets", {}).values())


def layers_with(s: dict, kind: str) -> list[dict]:
    return [lay for lay in layers(s) if mark(lay) == kind]


def subtitle(s: dict) -> str:
    return " ".join(s["title"]["subtitle"])


def colour_scales(s: dict) -> list[dict]:
    return [lay["encoding"]["color"]["scale"] for lay in layers(s) if "scale" in lay.get("encoding", {}).get("color", {})]


def common_checks(s: dict, title: str) -> None:
    assert s["width"] == "container"
    # st.vega_lite_chart would otherwise apply autosize "fit" and squeeze legends into the plot height.
    assert s["autosize"] == {"type": "fit-x", "contains": "padding"}
    assert s["title"]["text"] == title
    assert total_rows(s) <= 3000


# ---------------------------------------------------------------- colours


def test_approach_colour_scale_orders_domain_and_uses_vocabulary_colours():
    scale = charts.approach_colour_scale(["Open", "Robotic", "Full-endoscopic", "Microscopic"])
    assert scale["domain"] == ["Full-endoscopic", "Microscopic", "Open", "Robotic"]
    assert scale["range"] == [APPROACH_COLOURS["Full-endoscopic"], APPROACH_COLOURS["Microscopic"], APPROACH_COLOURS["Open"], OTHER_COLOUR]


def test_surgeons_get_the_neutral_palette_not_approach_colours():
    scale = charts.colour_scale(["Surgeon B", "Surgeon A"])
    assert scale["domain"] == ["Surgeon B", "Surgeon A"]  # analysis's order is kept
    assert not set(scale["range"]) & set(APPROACH_COLOURS.values())
    assert scale["range"] == list(charts.NEUTRAL_PALETTE[:2])


# ---------------------------------------------------------------- distribution and bars


def test_distribution_chart_draws_a_box_per_group_and_text_for_suppressed():
    s = spec(charts.distribution_chart(summary(), "Hospital stay", "hours", subtitle="Condition: Herniated disc"))
    common_checks(s, "Hospital stay")
    kinds = [mark(lay) for lay in layers(s)]
    assert kinds[:4] == ["rule", "bar", "bar", "tick"]
    whisker, box, ci, tick = layers(s)[:4]
    assert (whisker["encoding"]["x"]["field"], whisker["encoding"]["x2"]["field"]) == ("p5", "p95")
    assert whisker["encoding"]["x"]["title"] == "Hospital stay (hours)"
    assert (box["encoding"]["x"]["field"], box["encoding"]["x2"]["field"]) == ("q1", "q3")
    assert (ci["encoding"]["x"]["field"], ci["encoding"]["x2"]["field"]) == ("median_ci_low", "median_ci_high")
    assert tick["encoding"]["x"]["field"] == "median"
    assert whisker["encoding"]["y"]["scale"]["domain"] == ["Full-endoscopic", "Tubular MIS", "Microscopic", "Open"]
    tooltip_fields = {t["field"] for t in whisker["encoding"]["tooltip"]}
    assert {"n", "median", "median_ci"} <= tooltip_fields
    # The suppressed group is in no bar's data, only in a text mark.
    for lay in layers(s)[:4]:
        assert "Open" not in {r["group"] for r in rows(s, lay)}
    (text,) = layers_with(s, "text")
    assert rows(s, text) == [{"group": "Open", "text": "suppressed (n < 5)"}]
    assert "Condition: Herniated disc" in subtitle(s)
    assert "Open" in subtitle(s).splitlines()[-1]
    for scale in colour_scales(s):
        assert scale["range"] == [APPROACH_COLOURS[a] for a in scale["domain"]]


def test_distribution_chart_places_published_figures_on_their_approach_row():
    b = benchmarks_for("length_of_stay_hours", condition="Herniated disc")
    s = spec(charts.distribution_chart(summary(), "Hospital stay", "hours", benchmarks=b))
    points = [lay for lay in layers_with(s, "point") if lay["encoding"].get("shape")]
    assert points, "published figures are drawn"
    shape = points[0]["encoding"]["shape"]
    assert shape["title"] == charts.BENCHMARK_LEGEND
    assert all(r["legend"].startswith("Literature: ") for r in rows(s, points[0]))
    assert points[0]["mark"]["filled"] is False and points[0]["mark"]["color"] == charts.BENCHMARK_COLOUR
    assert charts.BENCHMARK_COLOUR not in APPROACH_COLOURS.values()
    # Published stays are means, the chart shows medians: the legend says so.
    assert any("(mean)" in r["legend"] for r in rows(s, points[0]))


def test_bar_by_group_chart_for_surgeons():
    df = summary().assign(group=["Surgeon C", "Surgeon A", "Surgeon D", "Surgeon B"])
    s = spec(charts.bar_by_group_chart(df, "median", "Operation time", "minutes", group_title="Surgeon"))
    common_checks(s, "Median operation time")
    bar = layers_with(s, "bar")[0]
    assert bar["encoding"]["x"]["field"] == "median"
    assert bar["encoding"]["x"]["title"] == "Median operation time (minutes)"
    assert not set(bar["encoding"]["color"]["scale"]["range"]) & set(APPROACH_COLOURS.values())
    assert "Surgeon D" not in {r["group"] for r in rows(s, bar)}
    assert [r["text"] for r in rows(s, layers_with(s, "text")[-1])] == ["suppressed (n < 5)"]
    rule = layers_with(s, "rule")[0]
    assert (rule["encoding"]["x"]["field"], rule["encoding"]["x2"]["field"]) == ("median_ci_low", "median_ci_high")


def test_bar_by_group_chart_rejects_other_columns():
    with pytest.raises(ValueError, match="median"):
        charts.bar_by_group_chart(summary(), "q3")


def test_share_chart_bars_with_wilson_error_bars():
    s = spec(charts.share_chart(shares(), min_cell=10, subtitle=["Herniated disc", "Synthetic sample"]))
    common_checks(s, "Discharged home")
    bar = layers_with(s, "bar")[0]
    assert bar["encoding"]["x"]["field"] == "share"
    assert bar["encoding"]["x"]["axis"]["format"] == "%"
    assert bar["encoding"]["x"]["scale"]["domain"] == [0, 1]
    assert bar["encoding"]["yOffset"]["field"] == "when"
    data = rows(s, bar)
    assert len(data) == 4  # 2 shown groups × (same day, within 24 h); the suppressed group has no bar
    assert {r["when"] for r in data} == {"Same day", "Within 24 hours"}
    zero = [r for r in data if r["group"] == "Microscopic" and r["when"] == "Same day"][0]
    assert zero["share"] == 0.0  # a true zero stays a zero bar, labelled 0%
    assert zero["label"] == "0%"
    rule = layers_with(s, "rule")[0]
    assert (rule["encoding"]["x"]["field"], rule["encoding"]["x2"]["field"]) == ("ci_low", "ci_high")
    assert rows(s, layers_with(s, "text")[-1]) == [{"group": "Open", "text": "suppressed (n < 10)"}]


def test_share_chart_one_measure():
    s = spec(charts.share_chart(shares(), which=("within_24h",)))
    assert {r["when"] for r in rows(s, layers_with(s, "bar")[0])} == {"Within 24 hours"}
    with pytest.raises(ValueError):
        charts.share_chart(shares(), which=("overnight",))


# ---------------------------------------------------------------- Kaplan–Meier


def test_km_chart_step_lines_bands_and_medians():
    curves, medians = km_frames()
    s = spec(charts.km_chart(curves, medians, "Return to work", subtitle="Employed before surgery"))
    common_checks(s, "Return to work")
    (line,) = layers_with(s, "line")
    assert line["mark"]["interpolate"] == "step-after"
    assert line["encoding"]["x"]["title"] == "Days since surgery"
    assert line["encoding"]["y"]["title"] == "Share returned to work (%)"
    (band,) = layers_with(s, "area")
    assert band["mark"]["interpolate"] == "step-after"
    assert (band["encoding"]["y"]["field"], band["encoding"]["y2"]["field"]) == ("ci_low", "ci_high")
    median_layer = [lay for lay in layers_with(s, "point") if lay["encoding"]["x"]["field"] == "median_days"][0]
    assert [r["median_days"] for r in rows(s, median_layer)] == [29.0, 38.0]
    text = layers_with(s, "text")[0]
    assert [r["text"] for r in rows(s, text)] == ["Open: suppressed (n < 5)"]
    assert "Open" not in {r["group"] for r in rows(s, line)}
    assert line["encoding"]["color"]["scale"]["domain"] == ["Full-endoscopic", "Microscopic", "Open"]


def test_km_chart_thins_a_10k_point_curve():
    curves, medians = km_frames(points=10_000)  # 20,000 rows in
    s = spec(charts.km_chart(curves, medians, "Return to work"))
    line = layers_with(s, "line")[0]
    data = rows(s, line)
    assert len(data) <= charts.KM_POINT_BUDGET
    assert total_rows(s) <= charts.KM_POINT_BUDGET + 10
    for group in ("Full-endoscopic", "Microscopic"):
        days = [r["days"] for r in data if r["group"] == group]
        assert days[0] == 0 and days[-1] == 365  # first and last points survive thinning
        assert days == sorted(days)


def test_thin_curves_leaves_small_frames_alone():
    curves, _ = km_frames(points=30)
    pd.testing.assert_frame_equal(charts.thin_curves(curves), curves)


# ---------------------------------------------------------------- time points


def test_trajectory_chart_clinical_order_ci_and_literature_legend():
    b = benchmarks_for("vas_leg", condition="Herniated disc", approach="Full-endoscopic")
    s = spec(charts.trajectory_chart(trajectory(), "VAS leg pain (0–10)", benchmarks=b, subtitle="Herniated disc"))
    common_checks(s, "VAS leg pain (0–10)")
    line = [lay for lay in layers_with(s, "line") if "color" in lay["encoding"]][0]
    x = line["encoding"]["x"]
    assert x["field"] == "timepoint_label"
    assert x["scale"]["domain"] == ["Before surgery", "6 weeks", "12 months"]
    assert line["encoding"]["y"]["title"] == "VAS leg pain (0–10)"
    assert line["encoding"]["y"]["scale"]["domain"] == [0, 10.0]
    rule = [lay for lay in layers_with(s, "rule")][0]
    assert (rule["encoding"]["y"]["field"], rule["encoding"]["y2"]["field"]) == ("ci_low", "ci_high")
    point = [lay for lay in layers_with(s, "point") if "tooltip" in lay["encoding"] and "color" in lay["encoding"]][0]
    assert "n" in {t["field"] for t in point["encoding"]["tooltip"]}
    assert line["encoding"]["color"]["scale"]["range"] == [APPROACH_COLOURS["Full-endoscopic"], APPROACH_COLOURS["Microscopic"]]
    # Published figures: own legend, hollow, dark grey, dashed — never an approach colour.
    lit_points = [lay for lay in layers_with(s, "point") if "shape" in lay["encoding"]]
    assert len(lit_points) == 1
    lit = lit_points[0]
    assert lit["encoding"]["shape"]["title"] == charts.BENCHMARK_LEGEND
    assert lit["mark"]["filled"] is False and lit["mark"]["color"] == charts.BENCHMARK_COLOUR
    assert "color" not in lit["encoding"]
    legends = {r["legend"] for r in rows(s, lit)}
    assert "Literature: Transforaminal endoscopic cohort: full-endoscopic" in legends
    assert all(label.startswith("Literature: ") for label in legends)
    dashed = [lay for lay in layers_with(s, "line") if "strokeDash" in lay["mark"]]
    assert dashed and dashed[0]["mark"]["color"] == charts.BENCHMARK_COLOUR
    # Only benchmarks with a time point are placed; TELD's 7.64 before surgery is among them.
    assert 7.64 in {r["value"] for r in rows(s, lit)}
    # The suppressed cell: text at its position, named in the subtitle, absent from the line data.
    text = next(lay for lay in layers_with(s, "text") if lay["data"]["name"] == "hidden")
    assert rows(s, text)[0]["group"] == "Microscopic" and rows(s, text)[0]["timepoint_label"] == "12 months"
    # n for every shown cell, printed at the foot of its column.
    n_layer = next(lay for lay in layers_with(s, "text") if lay["encoding"]["text"]["field"] == "n_text")
    # Full-endoscopic at 12 months is hidden to protect Microscopic's 3 (the 12-month total minus
    # it would give them): its mean stays, its n reads "n hidden" (small-cell rule 2).
    assert {r["n_text"] for r in rows(s, n_layer)} == {f"n={int(r['n']):,}" if r["n"] is not None else "n hidden" for r in rows(s, line)}
    assert [r["timepoint_label"] for r in rows(s, line) if r["n"] is None] == ["12 months"]
    assert text["encoding"]["xOffset"]["field"] == "group"
    assert "Microscopic at 12 months" in subtitle(s)
    assert not [r for r in rows(s, line) if r["group"] == "Microscopic" and r["timepoint_label"] == "12 months"]


def test_trajectory_chart_odi_scale_and_no_benchmarks():
    traj = trajectory().assign(mean=lambda d: d["mean"] * 8, ci_low=lambda d: d["ci_low"] * 8, ci_high=lambda d: d["ci_high"] * 8)
    s = spec(charts.trajectory_chart(traj, "ODI disability (0–100)"))
    line = layers_with(s, "line")[0]
    assert line["encoding"]["y"]["scale"]["domain"] == [0, 100.0]
    assert not [lay for lay in layers_with(s, "point") if "shape" in lay["encoding"]]


def test_change_chart_zero_line_and_suppressed_cells():
    b = benchmarks_for("vas_leg", condition="Herniated disc", kind="change")
    s = spec(charts.change_chart(change(), "VAS leg pain (0–10)", benchmarks=b))
    common_checks(s, "Change in VAS leg pain since surgery")
    line = [lay for lay in layers_with(s, "line") if "color" in lay["encoding"]][0]
    assert line["encoding"]["y"]["field"] == "mean_change"
    assert line["encoding"]["y"]["title"] == "Change in VAS leg pain (points; below 0 = better)"
    zero = layers(s)[0]
    assert mark(zero) == "rule" and rows(s, zero) == [{"zero": 0.0}]
    texts = [r["text"] for r in rows(s, layers_with(s, "text")[0])]
    assert texts == ["suppressed (n < 5)", "no data"]  # n = 2 at 6 weeks; nothing at all at 12 months
    assert "Open (all time points)" in subtitle(s)
    lit = [lay for lay in layers_with(s, "point") if "shape" in lay["encoding"]][0]
    assert {r["value"] for r in rows(s, lit)} == {-4.5, -4.4}  # Swespine, Werner 2017


def test_mcid_chart_bars_wilson_and_threshold_in_subtitle():
    text = "Improvement of at least 3.2 points in VAS leg pain (Parai 2020, Swespine)"
    s = spec(charts.mcid_chart(rates(), text, benchmarks=benchmarks_for("mcid_vas_leg"), subtitle="Herniated disc"))
    common_checks(s, "Patients reaching a clinically important improvement")
    bar = layers_with(s, "bar")[0]
    assert bar["encoding"]["y"]["field"] == "share" and bar["encoding"]["y"]["axis"]["format"] == "%"
    assert bar["encoding"]["xOffset"]["field"] == "group"
    assert bar["encoding"]["color"]["scale"]["domain"] == ["Full-endoscopic", "Tubular MIS"]
    rule = layers_with(s, "rule")[0]
    assert (rule["encoding"]["y"]["field"], rule["encoding"]["y2"]["field"]) == ("ci_low", "ci_high")
    assert subtitle(s).startswith(f"Herniated disc {text} ")  # notes wrap at word boundaries
    lit = [lay for lay in layers_with(s, "point") if "shape" in lay["encoding"]][0]
    assert [r["share"] for r in rows(s, lit)] == [0.79]


# ---------------------------------------------------------------- drawn for real


@pytest.mark.parametrize(
    "build",
    [
        lambda: charts.distribution_chart(summary(), "Hospital stay", "hours", benchmarks=benchmarks_for("length_of_stay_hours")),
        lambda: charts.km_chart(*km_frames(), "Return to work"),
        lambda: charts.trajectory_chart(trajectory(), "VAS leg pain (0–10)", benchmarks=benchmarks_for("vas_leg")),
        lambda: charts.mcid_chart(rates(), "MCID"),
        lambda: charts.share_chart(shares()),
        lambda: charts.change_chart(change(), "ODI disability (0–100)"),
    ],
    ids=["distribution", "km", "trajectory", "mcid", "share", "change"],
)
def test_charts_render_to_png(build):
    png = vlc.vegalite_to_png(json.dumps(spec(build())), scale=1)
    assert png[:4] == b"\x89PNG" and len(png) > 5000


# ---------------------------------------------------------------- reading: contrast, words, nothing to show


def _contrast(hex_colour: str, against: str = "#ffffff") -> float:
    """WCAG 2.1 contrast ratio (relative luminance, sRGB)."""

    def lum(h: str) -> float:
        r, g, b = (int(h.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4))
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    hi, lo = sorted((lum(hex_colour), lum(against)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_contrast_helper_matches_known_ratios():
    # Worked examples: black on white is 21:1; the old Okabe–Ito orange measured 2.25:1 in the issue.
    assert _contrast("#000000") == pytest.approx(21.0)
    assert _contrast("#E69F00") == pytest.approx(2.25, abs=0.01)


@pytest.mark.parametrize("colour", [*APPROACH_COLOURS.values(), *charts.NEUTRAL_PALETTE, OTHER_COLOUR,
                                    *FLAG_COLOURS.values()])
def test_group_colours_reach_3_to_1_on_white(colour):
    assert _contrast(colour) >= 3.0, colour  # WCAG 2.1 SC 1.4.11, graphical objects


def _lab(hex_colour: str) -> tuple[float, float, float]:
    """CIE L*a*b* (D65) of an sRGB colour, worked out from the standard formulas."""
    r, g, b = (int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    r, g, b = ((c / 12.92) if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b))
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883
    f = [v ** (1 / 3) if v > 0.008856 else 7.787 * v + 16 / 116 for v in (x, y, z)]
    return 116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])


def _delta_e(a: str, b: str) -> float:
    """CIE76 colour difference; ~2.3 is just noticeable, 20+ is clearly another colour."""
    return float(np.linalg.norm(np.subtract(_lab(a), _lab(b))))


def test_delta_e_helper_matches_known_values():
    assert _delta_e("#000000", "#ffffff") == pytest.approx(100.0, abs=0.1)
    assert _delta_e("#ff0000", "#ff0000") == 0.0


def test_surgeon_colours_are_told_apart_and_never_look_like_an_approach():
    # Two surgeons' lines in one chart, or a surgeon beside an approach legend: each colour is
    # clearly another colour (CIE76 ΔE ≥ 20; Dark2's teal was 3.2 from Microscopic's green, its
    # yellow and brown 12.6 apart).
    palette = charts.NEUTRAL_PALETTE
    for i, a in enumerate(palette):
        for b in palette[i + 1 :]:
            assert _delta_e(a, b) >= 20, (a, b)
        for approach, colour in {**APPROACH_COLOURS, "other": OTHER_COLOUR}.items():
            assert _delta_e(a, colour) >= 20, (a, approach)
    # On a thin line two near-black colours look alike whatever their hue: at most one (L* < 30).
    assert sum(_lab(c)[0] < 30 for c in palette) <= 1


def test_chart_text_reaches_4_5_to_1():
    from spinedash.vegalite import CHART_CONFIG

    s = spec(charts.distribution_chart(summary(), "Hospital stay", "hours"))
    for part in ("axis", "legend"):
        for key in ("labelColor", "titleColor"):
            assert _contrast(s["config"][part][key]) >= 4.5
    assert s["config"] == CHART_CONFIG
    assert _contrast(s["title"]["subtitleColor"]) >= 4.5


def test_notes_wrap_instead_of_being_cut():
    s = spec(charts.distribution_chart(summary(), "Hospital stay", "hours", subtitle="Sample"))
    assert all(len(line) <= charts.NOTE_WIDTH for line in s["title"]["subtitle"])
    assert "black tick: median; dark bar: its 95% CI" in subtitle(s)


def test_every_chart_states_its_numbers_in_words():
    s = charts.distribution_chart(summary(), "Hospital stay", "hours", title="Hospital stay by approach")
    words = s["description"]
    assert words.startswith("Hospital stay by approach. Hospital stay by approach: median")
    assert "Full-endoscopic: median 5.0 hours (95% CI 4.0 to 6.5), middle half 3.0 to 20.0, n = 90" in words
    assert "Not shown (fewer than 5 cases or no data): Open." in words
    traj = charts.trajectory_chart(trajectory(), "VAS leg pain (0–10)")["description"]
    # The n behind every point, not only in a tooltip.
    assert "Full-endoscopic: before surgery 6.8 (n = 80), 6 weeks 2.3 (n = 80), 12 months 1.4 (n = size not shown)" in traj
    assert "Microscopic at 12 months" in traj
    km = charts.km_chart(*km_frames(), "Return to work")["description"]
    assert "Full-endoscopic: median 29 days (95% CI 25 to 33), 190 of 200 returned" in km
    mcid = charts.mcid_chart(rates(), "improved by ≥ 3.2 points")["description"]
    assert "Tubular MIS: 6 weeks 70% (n = 50), 12 months 70% (n = 50)" in mcid
    share = charts.share_chart(shares())["description"]
    # Open is suppressed, so the next smallest group's size is not printed (small-cell rule 2).
    assert "Full-endoscopic, same day: 60% (95% CI 50% to 69%), size not shown (protects a smaller group)" in share


def test_a_chart_with_every_group_suppressed_says_so_in_words():
    frame = summary().assign(suppressed=True)
    for col in ("median", "median_ci_low", "median_ci_high", "q1", "q3", "p5", "p95", "mean"):
        frame[col] = NAN
    s = spec(charts.distribution_chart(frame, "Hospital stay", "hours", min_cell=5))
    assert [mark(lay) for lay in layers(s)] == ["text"]
    assert s["datasets"] == {"nothing": [{"message": "Nothing to show: every group has fewer than 5 cases, or no data."}]}
    assert "Nothing to show" in s["description"]
    curves, medians = km_frames()
    s = spec(charts.km_chart(curves.iloc[0:0], medians.assign(suppressed=True), "Return to work"))
    assert [mark(lay) for lay in layers(s)] == ["text"]


def test_long_group_names_that_differ_at_the_end_stay_apart_in_legend_and_axis():
    """Two techniques differ only in their bracket: cut at the end they read the same twice ("Uniportal
    full-endoscopi…"), so a long name keeps its first word and the bracket, drawn for real by Vega."""
    long_a, long_b = "Uniportal full-endoscopic (interlaminar)", "Uniportal full-endoscopic (transforaminal)"
    curves, medians = km_frames()
    curves["group"] = curves["group"].map({"Full-endoscopic": long_a, "Microscopic": long_b})
    medians["group"] = [long_a, long_b, "Loupes"]
    svg = vlc.vegalite_to_svg(json.dumps(spec(charts.km_chart(curves, medians, "Return to work", group_title="Technique"))))
    assert "Uniportal … (interlaminar)" in svg and "Uniportal … (transforaminal)" in svg
    boxes = summary().assign(group=[long_a, long_b, "Open microdiscectomy", "Loupes"])
    svg = vlc.vegalite_to_svg(json.dumps(spec(charts.distribution_chart(boxes, "Stay", "hours", group_title="Technique"))))
    assert "Uniportal … (interlaminar)" in svg and "Uniportal … (transforaminal)" in svg
    assert "Open microdiscectomy" in svg  # short enough: unchanged
