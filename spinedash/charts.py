"""Altair charts for SpineDash. Every chart takes an aggregated frame from spinedash.analysis.

Rules every chart keeps:
- Colours: one colour per approach everywhere (vocabulary.APPROACH_COLOURS); surgeons or sites get
  a neutral palette that cannot be mistaken for approaches.
- Suppressed groups (too few cases to show, see analysis) never look like 0 or a missing bar: they
  get a text mark "suppressed (n < k)" where their mark would be, and are listed in the subtitle.
- Published figures (spinedash.benchmarks) are hollow dark-grey symbols with dashed lines, in their
  own legend "Published figures (not your data)", never in the approach colours.
- Axis titles are clinical words with units; width is "container"; a title and a subtitle slot
  (filters, data source) on every chart.
- Only aggregated rows are embedded; Kaplan–Meier curves are thinned to a fixed budget.
- Encodings are channel objects (alt.X("q1:Q"), alt.XValue(6)), never bare strings or alt.value
  dicts: Altair turns each of those into a channel through from_dict, which rebuilds a lookup of
  its whole schema every call — about a third of the time to build a chart, on every page rerun.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from spinedash.analysis import DEFAULT_MIN_CELL
from spinedash.schema import TIMEPOINT_DAYS, TIMEPOINT_LABELS
from spinedash.vocabulary import APPROACH_COLOURS, APPROACHES, OTHER_COLOUR

# Surgeons and sites: ColorBrewer "Dark2" — a categorical palette distinct from the Okabe–Ito
# approach colours, so "Surgeon A" is never read as an approach.
NEUTRAL_PALETTE: tuple[str, ...] = (
    "#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666",
)
BENCHMARK_COLOUR = "#333333"
BENCHMARK_SHAPES: tuple[str, ...] = ("diamond", "triangle-up", "square", "triangle-down", "cross", "circle", "triangle-left", "triangle-right")
BENCHMARK_LEGEND = "Published figures (not your data)"
SUPPRESSED_COLOUR = "#555555"
KM_POINT_BUDGET = 2000  # rows of curve data embedded in a Kaplan–Meier chart, all groups together
ROW_STEP = 44  # pixels per group row in horizontal charts

Subtitle = str | Sequence[str] | None


# --------------------------------------------------------------------------------------------
# Colours, order, titles
# --------------------------------------------------------------------------------------------


def _unique(groups) -> list[str]:
    return list(dict.fromkeys(str(g) for g in groups))


def _is_approach_grouping(groups: Sequence[str]) -> bool:
    return any(g in APPROACHES for g in groups)


def group_order(groups) -> list[str]:
    """Approaches least to most invasive (then unknown values alphabetically); others as given."""
    groups = _unique(groups)
    if _is_approach_grouping(groups):
        return [a for a in APPROACHES if a in groups] + sorted(g for g in groups if g not in APPROACHES)
    return groups


def approach_colour_scale(groups) -> alt.Scale:
    """Approach colours for these groups, domain in APPROACHES order; groups not in it are grey."""
    domain = group_order(groups)
    return alt.Scale(domain=domain, range=[APPROACH_COLOURS.get(g, OTHER_COLOUR) for g in domain])


def colour_scale(groups) -> alt.Scale:
    """Approach colours when the groups are approaches, else the neutral palette (surgeons, sites)."""
    groups = _unique(groups)
    if _is_approach_grouping(groups):
        return approach_colour_scale(groups)
    return alt.Scale(domain=groups, range=[NEUTRAL_PALETTE[i % len(NEUTRAL_PALETTE)] for i in range(len(groups))])


def _subtitle_lines(subtitle: Subtitle, extra: Sequence[str] = ()) -> list[str]:
    lines = [subtitle] if isinstance(subtitle, str) else list(subtitle or [])
    return [line for line in [*lines, *extra] if line]


def _title(title: str, subtitle: Subtitle, extra: Sequence[str] = ()) -> alt.TitleParams:
    lines = _subtitle_lines(subtitle, extra)
    return alt.TitleParams(text=title, subtitle=lines or [""], anchor="start", subtitleColor="#444444", subtitleFontSize=12)


def _suppressed_text(n: float, min_cell: int) -> str:
    # A cell with no data at all is not a small cell: say so instead of "n < k".
    return "no data" if n == 0 else f"suppressed (n < {min_cell})"


def _suppressed_note(labels: Sequence[str], min_cell: int) -> list[str]:
    if not labels:
        return []
    return [f"Not shown (fewer than {min_cell} cases or no data): " + ", ".join(labels)]


def _axis_title(label: str, unit: str | None) -> str:
    return f"{label} ({unit})" if unit else label


def _flag(frame: pd.DataFrame) -> np.ndarray:
    return frame["suppressed"].fillna(False).astype(bool).to_numpy()


def _tp_order(timepoints) -> list[str]:
    present = set(timepoints)
    return [TIMEPOINT_LABELS[tp] for tp in sorted(TIMEPOINT_DAYS, key=TIMEPOINT_DAYS.get) if tp in present]


def _benchmark_label(row: pd.Series, data_kind: str | None) -> str:
    label = f"Literature: {row['label']}"
    # Say "mean" when the data beside it are medians (and vice versa), so like is read against like.
    if data_kind and row["kind"] in ("mean", "median") and row["kind"] != data_kind and row["kind"] not in label.lower():
        label += f" ({row['kind']})"
    return label


def _benchmark_frame(benchmarks: pd.DataFrame | None, kinds: Sequence[str], data_kind: str | None) -> pd.DataFrame:
    if benchmarks is None or benchmarks.empty:
        return pd.DataFrame(columns=["legend", "value", "timepoint", "approach", "source", "note"])
    b = benchmarks[benchmarks["kind"].isin(kinds)].copy()
    b["legend"] = [_benchmark_label(r, data_kind) for _, r in b.iterrows()]
    b["note"] = b["note"].fillna("")
    return b[["legend", "value", "timepoint", "approach", "source", "note", "kind"]].reset_index(drop=True)


# Hollow symbols in the legend too (Streamlit's chart theme fills legend symbols by default).
_BENCHMARK_LEGEND_STYLE = alt.Legend(
    orient="bottom", direction="vertical", labelLimit=420, titleLimit=420,
    symbolFillColor="transparent", symbolStrokeColor=BENCHMARK_COLOUR, symbolStrokeWidth=1.8,
)  # fmt: skip
# Group legends sit above the plot, leaving the bottom to the published figures' longer legend.
# Two columns: a one-row legend of four approaches is clipped in a half-width chart.
_GROUP_LEGEND = {"orient": "top", "direction": "horizontal", "titleOrient": "left", "columns": 2}


def _benchmark_shape_scale(legends: Sequence[str]) -> alt.Scale:
    legends = _unique(legends)
    return alt.Scale(domain=legends, range=[BENCHMARK_SHAPES[i % len(BENCHMARK_SHAPES)] for i in range(len(legends))])


# autosize fit-x: fill the container's width but keep the plot's own height. Without it
# st.altair_chart applies "fit", which squeezes titles and legends into the height and can
# flatten the plot to nothing when the legend of published figures is long.
FIT_WIDTH = alt.AutoSizeParams(type="fit-x", contains="padding")


def without_title(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """A copy of the chart without its title block, for places that print their own (images, PDF)."""
    copy = chart.copy(deep=True)
    if getattr(copy, "title", alt.Undefined) is not alt.Undefined:
        copy.title = alt.Undefined
    return copy


def _finish(chart: alt.LayerChart | alt.Chart, title: str, subtitle: Subtitle, extra: Sequence[str] = ()) -> alt.LayerChart:
    # One .properties call (resolve included) instead of .properties().resolve_scale(): each call
    # deep-copies the whole layered chart.
    return chart.properties(
        width="container",
        title=_title(title, subtitle, extra),
        autosize=FIT_WIDTH,
        resolve=alt.Resolve(scale=alt.ScaleResolveMap(color="shared", shape="independent")),
    )


# --------------------------------------------------------------------------------------------
# One row per group: distribution, bars, shares
# --------------------------------------------------------------------------------------------


def _row_layers_for_suppressed(hidden: pd.DataFrame, y_field: str = "group", y_offset: str | None = None) -> list[alt.Chart]:
    if hidden.empty:
        return []
    enc = {"y": alt.Y(f"{y_field}:N"), "text": alt.Text("text:N")}
    if y_offset:
        enc["yOffset"] = alt.YOffset(f"{y_offset}:N")
    return [
        alt.Chart(hidden)
        .mark_text(align="left", baseline="middle", fontStyle="italic", color=SUPPRESSED_COLOUR, fontSize=12)
        .encode(x=alt.XValue(6), **enc)
    ]


def _row_benchmarks(benchmarks: pd.DataFrame | None, domain: Sequence[str], data_kind: str) -> list[alt.Chart]:
    """Published values on a per-group axis: a symbol on the matching approach row; a dashed rule across
    all rows when the figure applies to any approach."""
    b = _benchmark_frame(benchmarks, ("mean", "median"), data_kind)
    if b.empty:
        return []
    shape = alt.Shape("legend:N", title=BENCHMARK_LEGEND, scale=_benchmark_shape_scale(b["legend"]), legend=_BENCHMARK_LEGEND_STYLE)
    tooltip = [alt.Tooltip("legend:N", title="Published figure"), alt.Tooltip("value:Q", title="Value", format=".1f"),
               alt.Tooltip("source:N", title="Source"), alt.Tooltip("note:N", title="Note")]  # fmt: skip
    on_row = b[b["approach"].isin(domain)]
    anywhere = b[b["approach"].isna()]
    layers = []
    if not on_row.empty:
        layers.append(
            alt.Chart(on_row)
            .mark_point(filled=False, size=130, strokeWidth=2, color=BENCHMARK_COLOUR)
            .encode(x=alt.X("value:Q"), y=alt.Y("approach:N"), shape=shape, tooltip=tooltip)
        )
    if not anywhere.empty:
        layers.append(
            alt.Chart(anywhere)
            .mark_rule(strokeDash=[5, 4], color=BENCHMARK_COLOUR, strokeWidth=1.5)
            .encode(x=alt.X("value:Q"), tooltip=tooltip)
        )
        layers.append(
            alt.Chart(anywhere)
            .mark_point(filled=False, size=130, strokeWidth=2, color=BENCHMARK_COLOUR)
            .encode(x=alt.X("value:Q"), y=alt.YValue(-8), shape=shape, tooltip=tooltip)
        )
    return layers


def distribution_chart(
    summary: pd.DataFrame,
    value_label: str,
    unit: str | None,
    title: str | None = None,
    subtitle: Subtitle = None,
    min_cell: int = DEFAULT_MIN_CELL,
    group_title: str = "Approach",
    benchmarks: pd.DataFrame | None = None,
) -> alt.LayerChart:
    """Horizontal box per group from `summarise_distribution`: whisker p5–p95, box q1–q3, median tick,
    median 95% CI as a thick bar through the box."""
    domain = group_order(summary["group"])
    hidden_mask = _flag(summary)
    shown = summary[~hidden_mask].copy()
    shown["median_ci"] = [_ci_text(lo, hi) for lo, hi in zip(shown["median_ci_low"], shown["median_ci_high"], strict=True)]
    shown = shown[["group", "n", "median", "median_ci_low", "median_ci_high", "median_ci", "q1", "q3", "p5", "p95", "mean"]]
    hidden = summary[hidden_mask].assign(text=lambda d: [_suppressed_text(n, min_cell) for n in d["n"]])[["group", "text"]]

    x_title = _axis_title(value_label, unit)
    y = alt.Y("group:N", title=group_title, scale=alt.Scale(domain=domain), sort=domain)
    colour = alt.Color("group:N", title=group_title, scale=colour_scale(domain), legend=None)
    tooltip = [
        alt.Tooltip("group:N", title=group_title),
        alt.Tooltip("n:Q", title="Cases", format=","),
        alt.Tooltip("median:Q", title="Median", format=".1f"),
        alt.Tooltip("median_ci:N", title="Median 95% CI"),
        alt.Tooltip("q1:Q", title="Lower quartile", format=".1f"),
        alt.Tooltip("q3:Q", title="Upper quartile", format=".1f"),
        alt.Tooltip("p5:Q", title="5th percentile", format=".1f"),
        alt.Tooltip("p95:Q", title="95th percentile", format=".1f"),
        alt.Tooltip("mean:Q", title="Mean", format=".1f"),
    ]
    base = alt.Chart(shown).encode(y=y, tooltip=tooltip)
    x = alt.X("p5:Q", title=x_title, scale=alt.Scale(zero=True, nice=True))
    layers = [
        base.mark_rule(strokeWidth=1.5).encode(x=x, x2=alt.X2("p95:Q"), color=colour),
        base.mark_bar(size=22, opacity=0.35).encode(x=alt.X("q1:Q"), x2=alt.X2("q3:Q"), color=colour),
        base.mark_bar(size=8).encode(x=alt.X("median_ci_low:Q"), x2=alt.X2("median_ci_high:Q"), color=colour),
        base.mark_tick(thickness=3, size=30, color="black").encode(x=alt.X("median:Q")),
        *_row_benchmarks(benchmarks, domain, "median"),
        *_row_layers_for_suppressed(hidden),
    ]
    chart = alt.layer(*layers).properties(height=alt.Step(ROW_STEP))
    notes = ["Box: middle half of cases; line: 5th–95th percentile; black tick: median; dark bar: its 95% CI"]
    return _finish(chart, title or value_label, subtitle, notes + _suppressed_note(list(hidden["group"]), min_cell))


def _ci_text(low: float, high: float, fmt: str = "{:.1f}") -> str:
    if pd.isna(low) or pd.isna(high):
        return "not estimable"
    return f"{fmt.format(low)} to {fmt.format(high)}"


def bar_by_group_chart(
    summary: pd.DataFrame,
    value_col: str = "median",
    value_label: str = "Operation time",
    unit: str | None = "minutes",
    title: str | None = None,
    subtitle: Subtitle = None,
    min_cell: int = DEFAULT_MIN_CELL,
    group_title: str = "Approach",
    benchmarks: pd.DataFrame | None = None,
) -> alt.LayerChart:
    """One horizontal bar per group (median or mean from `summarise_distribution`); medians carry
    their 95% CI as an error bar."""
    if value_col not in ("median", "mean"):
        raise ValueError(f"value_col must be 'median' or 'mean', got {value_col!r}")
    domain = group_order(summary["group"])
    hidden_mask = _flag(summary)
    cols = ["group", "n", value_col] + (["median_ci_low", "median_ci_high"] if value_col == "median" else [])
    shown = summary.loc[~hidden_mask, cols].copy()
    shown["label"] = [f"{v:,.1f}" for v in shown[value_col]]
    hidden = summary[hidden_mask].assign(text=lambda d: [_suppressed_text(n, min_cell) for n in d["n"]])[["group", "text"]]

    word = "Median" if value_col == "median" else "Mean"
    y = alt.Y("group:N", title=group_title, scale=alt.Scale(domain=domain), sort=domain)
    tooltip = [alt.Tooltip("group:N", title=group_title), alt.Tooltip("n:Q", title="Cases", format=","),
               alt.Tooltip(f"{value_col}:Q", title=word, format=".1f")]  # fmt: skip
    if value_col == "median":
        shown["median_ci"] = [_ci_text(lo, hi) for lo, hi in zip(shown["median_ci_low"], shown["median_ci_high"], strict=True)]
        tooltip.append(alt.Tooltip("median_ci:N", title="Median 95% CI"))
    base = alt.Chart(shown).encode(y=y, tooltip=tooltip)
    layers = [
        base.mark_bar(size=24).encode(
            x=alt.X(f"{value_col}:Q", title=f"{word} {_axis_title(value_label.lower(), unit)}"),
            color=alt.Color("group:N", title=group_title, scale=colour_scale(domain), legend=None),
        ),
    ]
    if value_col == "median":
        layers.append(base.mark_rule(strokeWidth=2, color="black").encode(x=alt.X("median_ci_low:Q"), x2=alt.X2("median_ci_high:Q")))
    x_text = "median_ci_high" if value_col == "median" else value_col
    layers.append(base.mark_text(align="left", dx=6, color="#222222").encode(x=alt.X(f"{x_text}:Q"), text=alt.Text("label:N")))
    layers += [*_row_benchmarks(benchmarks, domain, value_col), *_row_layers_for_suppressed(hidden)]
    chart = alt.layer(*layers).properties(height=alt.Step(ROW_STEP))
    notes = ["Black line: 95% CI of the median"] if value_col == "median" else []
    return _finish(chart, title or f"{word} {value_label.lower()}", subtitle, notes + _suppressed_note(list(hidden["group"]), min_cell))


SHARE_LABELS: dict[str, str] = {"same_day": "Same day", "within_24h": "Within 24 hours"}


def share_chart(
    shares: pd.DataFrame,
    which: Sequence[str] = ("same_day", "within_24h"),
    title: str = "Discharged home",
    subtitle: Subtitle = None,
    min_cell: int = DEFAULT_MIN_CELL,
    group_title: str = "Approach",
    x_title: str = "Share of cases discharged (%)",
) -> alt.LayerChart:
    """Horizontal bars of the discharge shares from `discharge_shares`, with Wilson 95% CI error bars."""
    unknown = [w for w in which if w not in SHARE_LABELS]
    if unknown:
        raise ValueError(f"which must name {', '.join(SHARE_LABELS)}; got {unknown}")
    domain = group_order(shares["group"])
    hidden_mask = _flag(shares)
    parts = []
    for w in which:
        part = shares.loc[~hidden_mask, ["group", "n", f"{w}_n", f"{w}_share", f"{w}_ci_low", f"{w}_ci_high"]]
        part.columns = ["group", "n", "count", "share", "ci_low", "ci_high"]
        parts.append(part.assign(when=SHARE_LABELS[w]))
    shown = pd.concat(parts, ignore_index=True)
    shown["label"] = [f"{s:.0%}" for s in shown["share"]]
    shown["ci"] = [_ci_text(lo * 100, hi * 100, "{:.0f}%") for lo, hi in zip(shown["ci_low"], shown["ci_high"], strict=True)]
    hidden = shares[hidden_mask].assign(text=lambda d: [_suppressed_text(n, min_cell) for n in d["n"]])[["group", "text"]]

    whens = [SHARE_LABELS[w] for w in which]
    y = alt.Y("group:N", title=group_title, scale=alt.Scale(domain=domain), sort=domain)
    y_offset = alt.YOffset("when:N", scale=alt.Scale(domain=whens), sort=whens)
    tooltip = [
        alt.Tooltip("group:N", title=group_title),
        alt.Tooltip("when:N", title="Discharged"),
        alt.Tooltip("share:Q", title="Share", format=".0%"),
        alt.Tooltip("ci:N", title="95% CI (Wilson)"),
        alt.Tooltip("count:Q", title="Cases discharged", format=","),
        alt.Tooltip("n:Q", title="Cases with a recorded stay", format=","),
    ]
    base = alt.Chart(shown).encode(y=y, yOffset=y_offset, tooltip=tooltip)
    layers = [
        base.mark_bar().encode(
            x=alt.X("share:Q", title=x_title, scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%", tickCount=10)),
            color=alt.Color("group:N", title=group_title, scale=colour_scale(domain), legend=None),
            opacity=alt.Opacity("when:N", title="Discharged", scale=alt.Scale(domain=whens, range=[1.0, 0.5][: len(whens)] or [1.0]),
                                legend=alt.Legend(orient="bottom") if len(whens) > 1 else None),  # fmt: skip
        ),
        base.mark_rule(strokeWidth=1.5, color="black").encode(x=alt.X("ci_low:Q"), x2=alt.X2("ci_high:Q")),
        base.mark_text(align="left", dx=4, fontSize=11, color="#222222").encode(x=alt.X("ci_high:Q"), text=alt.Text("label:N")),
        *_row_layers_for_suppressed(hidden),
    ]
    chart = alt.layer(*layers).properties(height=alt.Step(ROW_STEP // len(whens)))
    notes = ["Black lines: 95% confidence interval (Wilson)"]
    return _finish(chart, title, subtitle, notes + _suppressed_note(list(hidden["group"]), min_cell))


# --------------------------------------------------------------------------------------------
# Kaplan–Meier
# --------------------------------------------------------------------------------------------


def thin_curves(curves: pd.DataFrame, budget: int = KM_POINT_BUDGET) -> pd.DataFrame:
    """At most `budget` rows in all, split evenly over groups; each group keeps its first and last row.

    Evenly spaced rows of a step curve keep its shape at screen resolution; the last row keeps
    the final share returned exact.
    """
    groups = _unique(curves["group"])
    if len(curves) <= budget or not groups:
        return curves
    per_group = max(2, budget // len(groups))
    parts = []
    for g in groups:
        part = curves[curves["group"] == g].sort_values("days")
        if len(part) > per_group:
            idx = np.unique(np.linspace(0, len(part) - 1, per_group).round().astype(np.int64))
            part = part.iloc[idx]
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def km_chart(
    curves: pd.DataFrame,
    medians: pd.DataFrame,
    title: str,
    subtitle: Subtitle = None,
    y_title: str = "Share returned to work (%)",
    min_cell: int = DEFAULT_MIN_CELL,
    group_title: str = "Approach",
    max_days: float | None = None,
) -> alt.LayerChart:
    """Kaplan–Meier share returned over days since surgery: step lines, 95% CI bands, medians marked.

    `curves`/`medians` are `kaplan_meier(...).curves` / `.medians`. Groups suppressed in
    `medians` draw no curve and are named on the chart and in the subtitle.
    """
    hidden_rows = medians[_flag(medians)]
    hidden_groups = list(hidden_rows["group"].astype(str))
    curves = curves[~curves["group"].astype(str).isin(hidden_groups)]
    if max_days is not None:
        curves = curves[curves["days"] <= max_days]
    curves = thin_curves(curves[["group", "days", "share_returned", "ci_low", "ci_high"]])
    domain = group_order([*medians["group"], *curves["group"]])
    # The legend is shared with the faint CI band; force full-opacity line symbols so it stays readable.
    legend = alt.Legend(**_GROUP_LEGEND, symbolType="stroke", symbolOpacity=1, symbolStrokeWidth=3, symbolFillColor="transparent")
    colour = alt.Color("group:N", title=group_title, scale=colour_scale(domain), sort=domain, legend=legend)
    x = alt.X("days:Q", title="Days since surgery", scale=alt.Scale(zero=True, nice=True))
    y = alt.Y("share_returned:Q", title=y_title, scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%"))
    point_tooltip = [
        alt.Tooltip("group:N", title=group_title),
        alt.Tooltip("days:Q", title="Day", format=".0f"),
        alt.Tooltip("share_returned:Q", title="Share returned", format=".0%"),
        alt.Tooltip("ci_low:Q", title="95% CI from", format=".0%"),
        alt.Tooltip("ci_high:Q", title="95% CI to", format=".0%"),
    ]
    base = alt.Chart(curves)
    layers = [
        base.mark_area(interpolate="step-after", opacity=0.15).encode(x=x, y=alt.Y("ci_low:Q"), y2=alt.Y2("ci_high:Q"), color=colour),
        base.mark_line(interpolate="step-after", strokeWidth=2.2).encode(x=x, y=y, color=colour),
        base.mark_point(opacity=0, size=40).encode(x=x, y=y, tooltip=point_tooltip),
        alt.Chart(pd.DataFrame({"half": [0.5]})).mark_rule(strokeDash=[2, 3], color="#999999").encode(y=alt.Y("half:Q")),
    ]
    shown_medians = medians[~_flag(medians) & medians["median_days"].notna()].copy()
    if not shown_medians.empty:
        shown_medians["half"] = 0.5
        shown_medians["median_ci"] = [_ci_text(lo, hi, "{:.0f}") for lo, hi in zip(shown_medians["median_ci_low"], shown_medians["median_ci_high"], strict=True)]
        shown_medians = shown_medians[["group", "n", "events", "median_days", "median_ci", "half"]]
        layers.append(
            alt.Chart(shown_medians)
            .mark_point(shape="circle", filled=True, size=70, stroke="white", strokeWidth=1)
            .encode(
                x=alt.X("median_days:Q"),
                y=alt.Y("half:Q"),
                color=colour,
                tooltip=[
                    alt.Tooltip("group:N", title=group_title),
                    alt.Tooltip("median_days:Q", title="Median days", format=".0f"),
                    alt.Tooltip("median_ci:N", title="Median 95% CI (days)"),
                    alt.Tooltip("n:Q", title="Cases", format=","),
                    alt.Tooltip("events:Q", title="Returned", format=","),
                ],
            )
        )
    if hidden_groups:
        text = pd.DataFrame(
            {
                "group": hidden_groups,
                "text": [f"{g}: {_suppressed_text(n, min_cell)}" for g, n in zip(hidden_groups, hidden_rows["n"], strict=True)],
                "row": np.arange(len(hidden_groups)),
            }
        )
        text["y"] = 0.97 - 0.06 * text["row"]
        layers.append(
            alt.Chart(text)
            .mark_text(align="left", fontStyle="italic", fontSize=12)
            .encode(x=alt.XValue(8), y=alt.Y("y:Q"), text=alt.Text("text:N"), color=colour)
        )
    chart = alt.layer(*layers).properties(height=360)
    notes = ["Shaded: 95% confidence band; dots: median time to return (where reached)"]
    return _finish(chart, title, subtitle, notes + _suppressed_note(hidden_groups, min_cell))


# --------------------------------------------------------------------------------------------
# Time points: trajectory, change, MCID
# --------------------------------------------------------------------------------------------


def _timepoint_benchmarks(b: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    b = b[b["timepoint"].notna()].copy()
    b["timepoint_label"] = b["timepoint"].map(TIMEPOINT_LABELS)
    return b[b["timepoint_label"].isin(order)]


def _benchmark_layers(b: pd.DataFrame, y_field: str = "value") -> list[alt.Chart]:
    if b.empty:
        return []
    shape = alt.Shape(
        "legend:N",
        title=BENCHMARK_LEGEND,
        scale=_benchmark_shape_scale(b["legend"]),
        legend=_BENCHMARK_LEGEND_STYLE,
    )
    tooltip = [alt.Tooltip("legend:N", title="Published figure"), alt.Tooltip("timepoint_label:N", title="When"),
               alt.Tooltip(f"{y_field}:Q", title="Value", format=".2~f"), alt.Tooltip("source:N", title="Source"),
               alt.Tooltip("note:N", title="Note")]  # fmt: skip
    base = alt.Chart(b).encode(x=alt.X("timepoint_label:N"), y=alt.Y(f"{y_field}:Q"), tooltip=tooltip)
    return [
        base.mark_line(strokeDash=[5, 4], color=BENCHMARK_COLOUR, strokeWidth=1.2, opacity=0.7).encode(detail=alt.Detail("legend:N")),
        base.mark_point(filled=False, size=140, strokeWidth=2, color=BENCHMARK_COLOUR).encode(shape=shape),
    ]


def _suppressed_cells(frame: pd.DataFrame, hidden_mask: np.ndarray, min_cell: int) -> tuple[pd.DataFrame, list[str]]:
    """Text rows for hidden group × time point cells, and their names for the subtitle
    ("Open (all time points)", "Tubular MIS at 2 weeks, 12 months")."""
    hidden = frame[hidden_mask].copy()
    hidden["text"] = [_suppressed_text(n, min_cell) for n in hidden["n"]]
    n_timepoints = frame["timepoint"].nunique()
    names = []
    for group in _unique(hidden["group"]):
        cells = hidden[hidden["group"] == group]
        if len(cells) == n_timepoints:
            names.append(f"{group} (all time points)")
        else:
            when = ", ".join("before surgery" if t == "Before surgery" else t for t in cells["timepoint_label"])
            names.append(f"{group} at {when}")
    return hidden[["group", "timepoint_label", "text"]], names


def _suppressed_cell_layer(hidden: pd.DataFrame, colour: alt.Color, y_bottom: float) -> list[alt.Chart]:
    # Vertical italic text standing where the group's point or bar would be, so a hidden cell reads
    # as "hidden", never as a zero or a gap.
    if hidden.empty:
        return []
    return [
        alt.Chart(hidden.assign(y=y_bottom))
        .mark_text(angle=270, align="left", baseline="middle", dx=4, fontStyle="italic", fontSize=11)
        .encode(x=alt.X("timepoint_label:N"), xOffset=alt.XOffset("group:N"), y=alt.Y("y:Q"), text=alt.Text("text:N"), color=colour)
    ]


def _time_axis(order: list[str]) -> alt.X:
    return alt.X(
        "timepoint_label:N",
        title="Time since surgery",
        scale=alt.Scale(domain=order, paddingInner=0.25),
        sort=order,
        axis=alt.Axis(labelAngle=0),
    )


def trajectory_chart(
    traj: pd.DataFrame,
    measure_label: str,
    benchmarks: pd.DataFrame | None = None,
    title: str | None = None,
    subtitle: Subtitle = None,
    min_cell: int = DEFAULT_MIN_CELL,
    group_title: str = "Approach",
    y_max: float | None = None,
) -> alt.LayerChart:
    """Mean score per group at each time point (clinical order, "Before surgery" first) with 95% CI
    error bars; published figures as hollow dark-grey symbols on dashed lines."""
    b = _benchmark_frame(benchmarks, ("mean", "median"), "mean")
    order = _tp_order([*traj["timepoint"], *b["timepoint"].dropna()])
    b = _timepoint_benchmarks(b, order)
    domain = group_order(traj["group"])
    hidden_mask = _flag(traj)
    shown = traj.loc[~hidden_mask, ["group", "timepoint_label", "n", "mean", "ci_low", "ci_high"]].copy()
    shown["ci"] = [_ci_text(lo, hi) for lo, hi in zip(shown["ci_low"], shown["ci_high"], strict=True)]
    hidden, hidden_names = _suppressed_cells(traj, hidden_mask, min_cell)
    if y_max is None:
        top = np.nanmax([*shown["ci_high"].to_numpy(dtype=float), *b["value"].to_numpy(dtype=float), 0.0])
        y_max = 10.0 if top <= 10 else 100.0

    colour = alt.Color("group:N", title=group_title, scale=colour_scale(domain), sort=domain, legend=alt.Legend(**_GROUP_LEGEND))
    x = _time_axis(order)
    y = alt.Y("mean:Q", title=measure_label, scale=alt.Scale(domain=[0, y_max]))
    tooltip = [
        alt.Tooltip("group:N", title=group_title),
        alt.Tooltip("timepoint_label:N", title="When"),
        alt.Tooltip("mean:Q", title="Mean", format=".2f"),
        alt.Tooltip("ci:N", title="95% CI"),
        alt.Tooltip("n:Q", title="Cases with a score", format=","),
    ]
    base = alt.Chart(shown).encode(x=x, xOffset=alt.XOffset("group:N", sort=domain, scale=alt.Scale(domain=domain)), color=colour)
    layers = [
        base.mark_line(strokeWidth=2).encode(y=y),
        base.mark_rule(strokeWidth=2).encode(y=alt.Y("ci_low:Q"), y2=alt.Y2("ci_high:Q")),
        base.mark_point(filled=True, size=70).encode(y=y, tooltip=tooltip),
        *_benchmark_layers(b),
        *_suppressed_cell_layer(hidden, colour, 0.0),
    ]
    chart = alt.layer(*layers).properties(height=380)
    notes = ["Dots: mean; bars: 95% confidence interval; n varies with follow-up"]
    return _finish(chart, title or measure_label, subtitle, notes + _suppressed_note(hidden_names, min_cell))


def change_chart(
    change: pd.DataFrame,
    measure_label: str,
    benchmarks: pd.DataFrame | None = None,
    title: str | None = None,
    subtitle: Subtitle = None,
    min_cell: int = DEFAULT_MIN_CELL,
    group_title: str = "Approach",
) -> alt.LayerChart:
    """Mean change from before surgery per group and time point (`pain_change`), 95% CI error bars.
    Below zero is an improvement."""
    b = _benchmark_frame(benchmarks, ("change",), None)
    order = _tp_order([*change["timepoint"], *b["timepoint"].dropna()])
    b = _timepoint_benchmarks(b, order)
    domain = group_order(change["group"])
    hidden_mask = _flag(change)
    shown = change.loc[~hidden_mask, ["group", "timepoint_label", "n", "mean_change", "ci_low", "ci_high"]].copy()
    shown["ci"] = [_ci_text(lo, hi) for lo, hi in zip(shown["ci_low"], shown["ci_high"], strict=True)]
    hidden, hidden_names = _suppressed_cells(change, hidden_mask, min_cell)
    low = float(np.nanmin([*shown["ci_low"].to_numpy(dtype=float), *b["value"].to_numpy(dtype=float), 0.0]))

    name = measure_label.split(" (")[0]
    colour = alt.Color("group:N", title=group_title, scale=colour_scale(domain), sort=domain, legend=alt.Legend(**_GROUP_LEGEND))
    y = alt.Y("mean_change:Q", title=f"Change in {name} (points; below 0 = better)")
    tooltip = [
        alt.Tooltip("group:N", title=group_title),
        alt.Tooltip("timepoint_label:N", title="When"),
        alt.Tooltip("mean_change:Q", title="Mean change", format="+.2f"),
        alt.Tooltip("ci:N", title="95% CI"),
        alt.Tooltip("n:Q", title="Cases with both scores", format=","),
    ]
    base = alt.Chart(shown).encode(x=_time_axis(order), xOffset=alt.XOffset("group:N", sort=domain, scale=alt.Scale(domain=domain)), color=colour)
    layers = [
        alt.Chart(pd.DataFrame({"zero": [0.0]})).mark_rule(color="#777777").encode(y=alt.Y("zero:Q")),
        base.mark_line(strokeWidth=2).encode(y=y),
        base.mark_rule(strokeWidth=2).encode(y=alt.Y("ci_low:Q"), y2=alt.Y2("ci_high:Q")),
        base.mark_point(filled=True, size=70).encode(y=y, tooltip=tooltip),
        *_benchmark_layers(b),
        *_suppressed_cell_layer(hidden, colour, low),
    ]
    chart = alt.layer(*layers).properties(height=360)
    notes = ["Change = score at the time point minus score before surgery, in cases with both; bars: 95% CI"]
    return _finish(chart, title or f"Change in {name} since surgery", subtitle, notes + _suppressed_note(hidden_names, min_cell))


def mcid_chart(
    rates: pd.DataFrame,
    threshold_text: str,
    benchmarks: pd.DataFrame | None = None,
    title: str = "Patients reaching a clinically important improvement",
    subtitle: Subtitle = None,
    min_cell: int = DEFAULT_MIN_CELL,
    group_title: str = "Approach",
    y_title: str = "Share reaching the threshold (%)",
) -> alt.LayerChart:
    """Share of responders per group and time point (`mcid_rates`) as bars with Wilson 95% CI error bars.

    `threshold_text` names the threshold and its source, e.g. "Improvement of at least 3.2 points
    in VAS leg pain (Parai 2020, Swespine)"; it leads the subtitle.
    """
    b = _benchmark_frame(benchmarks, ("share",), None).rename(columns={"value": "share"})
    order = _tp_order([*rates["timepoint"], *b["timepoint"].dropna()])
    b = _timepoint_benchmarks(b, order)
    domain = group_order(rates["group"])
    hidden_mask = _flag(rates)
    shown = rates.loc[~hidden_mask, ["group", "timepoint_label", "n", "responders", "share", "ci_low", "ci_high"]].copy()
    shown["ci"] = [_ci_text(lo * 100, hi * 100, "{:.0f}%") for lo, hi in zip(shown["ci_low"], shown["ci_high"], strict=True)]
    hidden, hidden_names = _suppressed_cells(rates, hidden_mask, min_cell)

    colour = alt.Color("group:N", title=group_title, scale=colour_scale(domain), sort=domain, legend=alt.Legend(**_GROUP_LEGEND))
    tooltip = [
        alt.Tooltip("group:N", title=group_title),
        alt.Tooltip("timepoint_label:N", title="When"),
        alt.Tooltip("share:Q", title="Share", format=".0%"),
        alt.Tooltip("ci:N", title="95% CI (Wilson)"),
        alt.Tooltip("responders:Q", title="Reached the threshold", format=","),
        alt.Tooltip("n:Q", title="Cases with both scores", format=","),
    ]
    base = alt.Chart(shown).encode(x=_time_axis(order), xOffset=alt.XOffset("group:N", sort=domain, scale=alt.Scale(domain=domain)))
    layers = [
        base.mark_bar().encode(
            y=alt.Y("share:Q", title=y_title, scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
            color=colour,
            tooltip=tooltip,
        ),
        base.mark_rule(strokeWidth=1.5, color="black").encode(y=alt.Y("ci_low:Q"), y2=alt.Y2("ci_high:Q")),
        *_benchmark_layers(b, y_field="share"),
        *_suppressed_cell_layer(hidden, colour, 0.0),
    ]
    chart = alt.layer(*layers).properties(height=340)
    notes = [threshold_text, "Black lines: 95% confidence interval (Wilson)"]
    return _finish(chart, title, subtitle, notes + _suppressed_note(hidden_names, min_cell))
