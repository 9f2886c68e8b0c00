"""SpineDash's charts, as Vega-Lite specs (plain dicts). Every chart takes an aggregated frame from
spinedash.analysis.

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
- Specs are dicts built with spinedash.vegalite, not Altair objects: Altair's object model cost
  ~130 ms per layered chart on every rerun (see that module). The tests check every spec against
  the Vega-Lite schema.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import numpy as np
import pandas as pd

from spinedash.analysis import DEFAULT_MIN_CELL
from spinedash.privacy import partner_mask
from spinedash.schema import timepoint_days, timepoint_label
from spinedash.vegalite import (
    Spec,
    channel,
    encoding,
    layer_chart,
    mark_layer,
    records,
    secondary,
    title_params,
    tooltip,
    value,
)
from spinedash.vocabulary import APPROACH_COLOURS, APPROACHES, OTHER_COLOUR

# Surgeons and sites: a categorical palette kept apart from the Okabe–Ito approach colours, so
# "Surgeon A" is never read as an approach. Four of ColorBrewer "Dark2" (orange, purple, magenta, and
# its green darkened, hue kept, to reach 3:1 on white) and four others (teal, dark brown, dark red,
# violet) in place of Dark2's teal (#1b9e77, CIE76 ΔE 3.2 from Microscopic's #009E73), yellow and
# brown (12.6 apart, and 5.9 and 13 from Tubular MIS's #BB8100) and grey (10 from the "other" grey).
# Every pair here, and every colour against each approach colour, is ΔE ≥ 20, and only one is near
# black: on thin Kaplan–Meier lines two near-black colours look alike whatever their hue
# (tests/test_charts.py).
NEUTRAL_PALETTE: tuple[str, ...] = (
    "#00838f", "#d95f02", "#7570b3", "#e7298a", "#619D1C", "#543005", "#a50026", "#650ac1",
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


def approach_colour_scale(groups) -> Spec:
    """Approach colours for these groups, domain in APPROACHES order; groups not in it are grey."""
    domain = group_order(groups)
    return {"domain": domain, "range": [APPROACH_COLOURS.get(g, OTHER_COLOUR) for g in domain]}


def colour_scale(groups) -> Spec:
    """Approach colours when the groups are approaches, else the neutral palette (surgeons, sites)."""
    groups = _unique(groups)
    if _is_approach_grouping(groups):
        return approach_colour_scale(groups)
    return {"domain": groups, "range": [NEUTRAL_PALETTE[i % len(NEUTRAL_PALETTE)] for i in range(len(groups))]}


def _subtitle_lines(subtitle: Subtitle, extra: Sequence[str] = ()) -> list[str]:
    lines = [subtitle] if isinstance(subtitle, str) else list(subtitle or [])
    return [line for line in [*lines, *extra] if line]


# Longest note line under a chart title: Vega cuts a longer line with "…" at the chart's width, and
# a chart can be 26rem wide (spinedash.ui.layout). ~60 characters of 12 px text fit in 380 px.
NOTE_WIDTH = 60


def wrap_notes(lines: Sequence[str], width: int = NOTE_WIDTH) -> list[str]:
    """Subtitle lines broken at word boundaries so none is wider than a narrow chart."""
    out: list[str] = []
    for line in lines:
        out.extend(textwrap.wrap(str(line), width=width, break_on_hyphens=False) or [""])
    return out


def _title(title: str, subtitle: Subtitle, extra: Sequence[str] = ()) -> Spec:
    return title_params(title, wrap_notes(_subtitle_lines(subtitle, extra)), anchor="start", subtitleColor="#3d4852",
                        subtitleFontSize=12)  # fmt: skip


# --------------------------------------------------------------------------------------------
# Charts in words: every chart carries a text description (its accessible name, and the text the
# page shows under it) stating what it shows and its key numbers, built from the aggregated frame.
# --------------------------------------------------------------------------------------------


def _fmt(v: float, fmt: str = "{:.1f}") -> str:
    return "not estimable" if pd.isna(v) else fmt.format(v)


def describe(title: str, what: str, items: Sequence[str], hidden: Sequence[str] = (), min_cell: int = DEFAULT_MIN_CELL) -> str:
    """'<title>. <what>. <item>; <item>. Not shown (fewer than k cases or no data): <hidden>.'"""
    text = f"{title.rstrip('.')}. {what.rstrip('.')}."
    if items:
        text += " " + "; ".join(items) + "."
    else:
        text += f" Nothing to show: every group has fewer than {min_cell} cases or no data."
    if hidden:
        text += f" Not shown (fewer than {min_cell} cases or no data): {', '.join(hidden)}."
    return text


def nothing_to_show_layer(message: str) -> Spec:
    """A text mark saying in words that a chart has nothing to draw (dataset "nothing")."""
    return mark_layer("text", "nothing", encoding(x=value(0), y=value(24), text=channel("message:N")),
                      align="left", fontSize=14, fontStyle="italic", color="#3d4852")  # fmt: skip


def _nothing_message(min_cell: int) -> str:
    return f"Nothing to show: every group has fewer than {min_cell} cases, or no data."


def _suppressed_text(n: float, min_cell: int) -> str:
    # A cell with no data at all is not a small cell: say so instead of "n < k".
    return "no data" if n == 0 else f"suppressed (n < {min_cell})"


def _size(v: float) -> str:
    """A count for a chart's description; a size hidden by the small-cell rule says so."""
    return f"{v:,.0f}" if pd.notna(v) else "size not shown"


def _of(count: float, n: float) -> str:
    """'54 of 90', or words where the small-cell rule hides the group's size."""
    return f"{count:,.0f} of {n:,.0f}" if pd.notna(n) else "size not shown (protects a smaller group)"


def _without_partner_sizes(frame: pd.DataFrame, min_cell: int, also: Sequence[str] = (), within: str | None = None) -> pd.DataFrame:
    """The frame with `n` (and the `also` counts) blank for groups hidden only to protect a smaller
    one (small-cell rule 2, spinedash.privacy): their tooltips then show no size. `within`: the
    column whose values split the frame into margins (the time point: each adds up on its own)."""
    mask = partner_mask(frame["n"], min_cell, within=None if within is None else frame[within])
    if not mask.any():
        return frame
    out = frame.copy()
    for col in ("n", *also):
        out[col] = out[col].astype("float64").mask(mask)
    # Their rates, means and medians stay, at the precision the page prints them: to full double
    # precision, 54/57 = 0.947368… names its denominator (the size withheld above).
    for col in out.columns:
        if col not in ("n", *also) and pd.api.types.is_float_dtype(out[col]):
            out[col] = out[col].mask(mask, out[col].round(PARTNER_DECIMALS))
    return out


# Decimals kept in the chart data of a group hidden to protect a smaller one (a share to whole percent).
PARTNER_DECIMALS = 2


def _suppressed_note(labels: Sequence[str], min_cell: int) -> list[str]:
    if not labels:
        return []
    return [f"Not shown (fewer than {min_cell} cases or no data): " + ", ".join(labels)]


def _axis_title(label: str, unit: str | None) -> str:
    return f"{label} ({unit})" if unit else label


def _flag(frame: pd.DataFrame) -> np.ndarray:
    return frame["suppressed"].fillna(False).astype(bool).to_numpy()


def _tp_order(timepoints) -> list[str]:
    # Standard and custom ("d90") time points, in days after surgery.
    return [timepoint_label(tp) for tp in sorted(set(timepoints), key=timepoint_days)]


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
_BENCHMARK_LEGEND_STYLE: Spec = {
    "orient": "bottom", "direction": "vertical", "labelLimit": 420, "titleLimit": 420,
    "symbolFillColor": "transparent", "symbolStrokeColor": BENCHMARK_COLOUR, "symbolStrokeWidth": 1.8,
}  # fmt: skip
# Group legends sit above the plot, leaving the bottom to the published figures' longer legend.
# Two columns: a one-row legend of four approaches is clipped in a half-width chart.
# Long group names differ at the end ("Uniportal full-endoscopic (interlaminar)" / "(transforaminal)"): cut
# at the legend's or axis's limit they read the same twice. A long name with a bracket keeps its first word
# and the bracket ("Uniportal … (interlaminar)"); tooltips and tables keep the full name.
GROUP_LABEL_CHARS = 24
GROUP_LABEL_EXPR = (
    f"length(datum.label) > {GROUP_LABEL_CHARS} && indexof(datum.label, '(') > 0 "
    "? split(datum.label, ' ')[0] + ' … ' + slice(datum.label, indexof(datum.label, '(')) : datum.label"
)
_GROUP_LEGEND: Spec = {"orient": "top", "direction": "horizontal", "titleOrient": "left", "columns": 2, "labelExpr": GROUP_LABEL_EXPR}
# Colour shared across layers; each layer's benchmark shapes independent (their legends differ).
_RESOLVE: Spec = {"scale": {"color": "shared", "shape": "independent"}}


def _benchmark_shape_scale(legends: Sequence[str]) -> Spec:
    legends = _unique(legends)
    return {"domain": legends, "range": [BENCHMARK_SHAPES[i % len(BENCHMARK_SHAPES)] for i in range(len(legends))]}


def _chart(
    layers: list[Spec], datasets: dict[str, pd.DataFrame], height: int | Spec, title: str, subtitle: Subtitle,
    extra: Sequence[str] = (), description: str = "", min_cell: int = DEFAULT_MIN_CELL, main: str = "shown",
) -> Spec:
    """The finished layered chart: container width, fit-x, title with the subtitle lines, the data,
    and `description` (the chart in words; Vega makes it the chart's accessible name).

    Only the datasets some layer draws are converted and sent. When the `main` dataset is empty —
    every group suppressed or without data — the chart is a sentence saying so, not bare axes.
    """
    if main in datasets and datasets[main].empty:
        layers = [nothing_to_show_layer(_nothing_message(min_cell))]
        datasets = {"nothing": pd.DataFrame({"message": [_nothing_message(min_cell)]})}
        height = 60
    used = {layer["data"]["name"] for layer in layers if "data" in layer}
    props: Spec = {"description": description} if description else {}
    if extra:
        # The chart's own notes unwrapped, for places that lay them out themselves (the PDF report).
        props["usermeta"] = {"notes": [str(line) for line in extra if line]}
    return layer_chart(
        layers,
        {name: records(frame) for name, frame in datasets.items() if name in used},
        title=_title(title, subtitle, extra),
        height=height,
        resolve=_RESOLVE,
        **props,
    )


# --------------------------------------------------------------------------------------------
# One row per group: distribution, bars, shares
# --------------------------------------------------------------------------------------------


def _row_layers_for_suppressed(y_field: str = "group", y_offset: str | None = None) -> list[Spec]:
    """Italic "suppressed (n < k)" text where a hidden group's row would be (dataset "hidden")."""
    enc = encoding(
        x=value(6),
        y=channel(f"{y_field}:N"),
        text=channel("text:N"),
        yOffset=channel(f"{y_offset}:N") if y_offset else None,
    )
    return [mark_layer("text", "hidden", enc, align="left", baseline="middle", fontStyle="italic",
                       color=SUPPRESSED_COLOUR, fontSize=12)]  # fmt: skip


def _suppressed_rows(frame: pd.DataFrame, hidden_mask: np.ndarray, min_cell: int) -> pd.DataFrame:
    hidden = frame[hidden_mask]
    return pd.DataFrame({"group": hidden["group"].astype(str).to_numpy(),
                         "text": [_suppressed_text(n, min_cell) for n in hidden["n"]]})  # fmt: skip


def _row_benchmarks(benchmarks: pd.DataFrame | None, domain: Sequence[str], data_kind: str) -> tuple[list[Spec], dict[str, pd.DataFrame]]:
    """Published values on a per-group axis: a symbol on the matching approach row; a dashed rule across
    all rows when the figure applies to any approach. Returns the layers and their datasets."""
    b = _benchmark_frame(benchmarks, ("mean", "median"), data_kind)
    if b.empty:
        return [], {}
    shape = channel("legend:N", title=BENCHMARK_LEGEND, scale=_benchmark_shape_scale(b["legend"]), legend=_BENCHMARK_LEGEND_STYLE)
    tips = [tooltip("legend:N", "Published figure"), tooltip("value:Q", "Value", ".1f"),
            tooltip("source:N", "Source"), tooltip("note:N", "Note")]  # fmt: skip
    point = {"filled": False, "size": 130, "strokeWidth": 2, "color": BENCHMARK_COLOUR}
    on_row = b[b["approach"].isin(domain)]
    anywhere = b[b["approach"].isna()]
    layers, datasets = [], {}
    if not on_row.empty:
        datasets["benchmarks_on_row"] = on_row
        layers.append(mark_layer("point", "benchmarks_on_row",
                                 encoding(x=channel("value:Q"), y=channel("approach:N"), shape=shape, tooltip=tips), **point))  # fmt: skip
    if not anywhere.empty:
        datasets["benchmarks_any"] = anywhere
        layers.append(mark_layer("rule", "benchmarks_any", encoding(x=channel("value:Q"), tooltip=tips),
                                 strokeDash=[5, 4], color=BENCHMARK_COLOUR, strokeWidth=1.5))  # fmt: skip
        layers.append(mark_layer("point", "benchmarks_any",
                                 encoding(x=channel("value:Q"), y=value(-8), shape=shape, tooltip=tips), **point))  # fmt: skip
    return layers, datasets


def _group_axis(domain: list[str], group_title: str) -> Spec:
    return channel("group:N", title=group_title, scale={"domain": domain}, sort=domain, axis={"labelExpr": GROUP_LABEL_EXPR})


def distribution_chart(
    summary: pd.DataFrame,
    value_label: str,
    unit: str | None,
    title: str | None = None,
    subtitle: Subtitle = None,
    min_cell: int = DEFAULT_MIN_CELL,
    group_title: str = "Approach",
    benchmarks: pd.DataFrame | None = None,
) -> Spec:
    """Horizontal box per group from `summarise_distribution`: whisker p5–p95, box q1–q3, median tick,
    median 95% CI as a thick bar through the box."""
    domain = group_order(summary["group"])
    hidden_mask = _flag(summary)
    shown = _without_partner_sizes(summary, min_cell)[~hidden_mask].copy()
    shown["median_ci"] = [_ci_text(lo, hi) for lo, hi in zip(shown["median_ci_low"], shown["median_ci_high"], strict=True)]
    shown = shown[["group", "n", "median", "median_ci_low", "median_ci_high", "median_ci", "q1", "q3", "p5", "p95", "mean"]]
    hidden = _suppressed_rows(summary, hidden_mask, min_cell)

    y = _group_axis(domain, group_title)
    colour = channel("group:N", title=group_title, scale=colour_scale(domain), legend=None)
    tips = [
        tooltip("group:N", group_title),
        tooltip("n:Q", "Cases", ","),
        tooltip("median:Q", "Median", ".1f"),
        tooltip("median_ci:N", "Median 95% CI"),
        tooltip("q1:Q", "Lower quartile", ".1f"),
        tooltip("q3:Q", "Upper quartile", ".1f"),
        tooltip("p5:Q", "5th percentile", ".1f"),
        tooltip("p95:Q", "95th percentile", ".1f"),
        tooltip("mean:Q", "Mean", ".1f"),
    ]
    x = channel("p5:Q", title=_axis_title(value_label, unit), scale={"zero": True, "nice": True})
    bench_layers, bench_data = _row_benchmarks(benchmarks, domain, "median")
    layers = [
        mark_layer("rule", "shown", encoding(y=y, tooltip=tips, x=x, x2=secondary("p95"), color=colour), strokeWidth=1.5),
        # A pale box with a full-colour outline: 3:1 against white where a 0.35-opacity box was not.
        mark_layer("bar", "shown", encoding(y=y, tooltip=tips, x=channel("q1:Q"), x2=secondary("q3"), color=colour, stroke=colour),
                   size=22, fillOpacity=0.3, strokeWidth=1.5),
        mark_layer("bar", "shown", encoding(y=y, tooltip=tips, x=channel("median_ci_low:Q"), x2=secondary("median_ci_high"), color=colour), size=8),
        mark_layer("tick", "shown", encoding(y=y, tooltip=tips, x=channel("median:Q")), thickness=3, size=30, color="black"),
        *bench_layers,
        *(_row_layers_for_suppressed() if len(hidden) else []),
    ]
    notes = ["Box: middle half of cases; line: 5th–95th percentile; black tick: median; dark bar: its 95% CI"]
    u = f" {unit}" if unit else ""
    items = [f"{r.group}: median {_fmt(r.median)}{u} (95% CI {r.median_ci}), middle half {_fmt(r.q1)} to {_fmt(r.q3)}, "
             f"n = {_size(r.n)}" for r in shown.itertuples()]  # fmt: skip
    text = describe(title or value_label, f"{value_label} by {group_title.lower()}: median, its 95% CI and the middle half of cases",
                    items, list(hidden["group"]), min_cell)  # fmt: skip
    return _chart(layers, {"shown": shown, "hidden": hidden, **bench_data}, {"step": ROW_STEP}, title or value_label,
                  subtitle, notes + _suppressed_note(list(hidden["group"]), min_cell), text, min_cell)  # fmt: skip


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
) -> Spec:
    """One horizontal bar per group (median or mean from `summarise_distribution`); medians carry
    their 95% CI as an error bar."""
    if value_col not in ("median", "mean"):
        raise ValueError(f"value_col must be 'median' or 'mean', got {value_col!r}")
    domain = group_order(summary["group"])
    hidden_mask = _flag(summary)
    cols = ["group", "n", value_col] + (["median_ci_low", "median_ci_high"] if value_col == "median" else [])
    shown = _without_partner_sizes(summary, min_cell).loc[~hidden_mask, cols].copy()
    shown["label"] = [f"{v:,.1f}" for v in shown[value_col]]
    hidden = _suppressed_rows(summary, hidden_mask, min_cell)

    word = "Median" if value_col == "median" else "Mean"
    y = _group_axis(domain, group_title)
    tips = [tooltip("group:N", group_title), tooltip("n:Q", "Cases", ","), tooltip(f"{value_col}:Q", word, ".1f")]
    if value_col == "median":
        shown["median_ci"] = [_ci_text(lo, hi) for lo, hi in zip(shown["median_ci_low"], shown["median_ci_high"], strict=True)]
        tips.append(tooltip("median_ci:N", "Median 95% CI"))
    layers = [
        mark_layer("bar", "shown", encoding(
            y=y, tooltip=tips,
            x=channel(f"{value_col}:Q", title=f"{word} {_axis_title(value_label.lower(), unit)}"),
            color=channel("group:N", title=group_title, scale=colour_scale(domain), legend=None),
        ), size=24),
    ]  # fmt: skip
    if value_col == "median":
        layers.append(mark_layer("rule", "shown", encoding(y=y, tooltip=tips, x=channel("median_ci_low:Q"), x2=secondary("median_ci_high")),
                                 strokeWidth=2, color="black"))  # fmt: skip
    x_text = "median_ci_high" if value_col == "median" else value_col
    layers.append(mark_layer("text", "shown", encoding(y=y, tooltip=tips, x=channel(f"{x_text}:Q"), text=channel("label:N")),
                             align="left", dx=6, color="#222222"))  # fmt: skip
    bench_layers, bench_data = _row_benchmarks(benchmarks, domain, value_col)
    layers += [*bench_layers, *(_row_layers_for_suppressed() if len(hidden) else [])]
    notes = ["Black line: 95% CI of the median"] if value_col == "median" else []
    u = f" {unit}" if unit else ""
    items = [f"{r.group}: {word.lower()} {_fmt(getattr(r, value_col))}{u}"
             + (f" (95% CI {r.median_ci})" if value_col == "median" else "") + f", n = {_size(r.n)}"
             for r in shown.itertuples()]  # fmt: skip
    text = describe(title or f"{word} {value_label.lower()}", f"{word} {value_label.lower()} by {group_title.lower()}", items,
                    list(hidden["group"]), min_cell)  # fmt: skip
    return _chart(layers, {"shown": shown, "hidden": hidden, **bench_data}, {"step": ROW_STEP},
                  title or f"{word} {value_label.lower()}", subtitle, notes + _suppressed_note(list(hidden["group"]), min_cell),
                  text, min_cell)  # fmt: skip


SHARE_LABELS: dict[str, str] = {"same_day": "Same day", "within_24h": "Within 24 hours"}


def share_chart(
    shares: pd.DataFrame,
    which: Sequence[str] = ("same_day", "within_24h"),
    title: str = "Discharged home",
    subtitle: Subtitle = None,
    min_cell: int = DEFAULT_MIN_CELL,
    group_title: str = "Approach",
    x_title: str = "Share of cases discharged (%)",
) -> Spec:
    """Horizontal bars of the discharge shares from `discharge_shares`, with Wilson 95% CI error bars."""
    unknown = [w for w in which if w not in SHARE_LABELS]
    if unknown:
        raise ValueError(f"which must name {', '.join(SHARE_LABELS)}; got {unknown}")
    domain = group_order(shares["group"])
    hidden_mask = _flag(shares)
    parts = []
    protected = _without_partner_sizes(shares, min_cell, [f"{w}_n" for w in which])
    for w in which:
        part = protected.loc[~hidden_mask, ["group", "n", f"{w}_n", f"{w}_share", f"{w}_ci_low", f"{w}_ci_high"]]
        part.columns = ["group", "n", "count", "share", "ci_low", "ci_high"]
        parts.append(part.assign(when=SHARE_LABELS[w]))
    shown = pd.concat(parts, ignore_index=True)
    shown["label"] = [f"{s:.0%}" for s in shown["share"]]
    shown["ci"] = [_ci_text(lo * 100, hi * 100, "{:.0f}%") for lo, hi in zip(shown["ci_low"], shown["ci_high"], strict=True)]
    hidden = _suppressed_rows(shares, hidden_mask, min_cell)

    whens = [SHARE_LABELS[w] for w in which]
    base = {
        "y": _group_axis(domain, group_title),
        "yOffset": channel("when:N", scale={"domain": whens}, sort=whens),
        "tooltip": [
            tooltip("group:N", group_title),
            tooltip("when:N", "Discharged"),
            tooltip("share:Q", "Share", ".0%"),
            tooltip("ci:N", "95% CI (Wilson)"),
            tooltip("count:Q", "Cases discharged", ","),
            tooltip("n:Q", "Cases with a recorded stay", ","),
        ],
    }
    # Fill opacity, not opacity: the paler "within 24 hours" bar keeps a full-colour outline, so it
    # still stands out from white by 3:1 (WCAG 2.1 SC 1.4.11).
    opacity = channel("when:N", title="Discharged", scale={"domain": whens, "range": [1.0, 0.35][: len(whens)] or [1.0]},
                      legend={"orient": "bottom"} if len(whens) > 1 else None)  # fmt: skip
    group_colour = channel("group:N", title=group_title, scale=colour_scale(domain), legend=None)
    layers = [
        mark_layer("bar", "shown", encoding(
            **base,
            x=channel("share:Q", title=x_title, scale={"domain": [0, 1]}, axis={"format": "%", "tickCount": 10}),
            color=group_colour,
            stroke=group_colour,
            fillOpacity=opacity,
        ), strokeWidth=1.5),
        mark_layer("rule", "shown", encoding(**base, x=channel("ci_low:Q"), x2=secondary("ci_high")), strokeWidth=1.5, color="black"),
        mark_layer("text", "shown", encoding(**base, x=channel("ci_high:Q"), text=channel("label:N")),
                   align="left", dx=4, fontSize=11, color="#222222"),
        *(_row_layers_for_suppressed() if len(hidden) else []),
    ]  # fmt: skip
    notes = ["Black lines: 95% confidence interval (Wilson)"]
    items = [f"{r.group}, {r.when.lower()}: {r.label} (95% CI {r.ci}), {_of(r.count, r.n)}" for r in shown.itertuples()]
    text = describe(title, f"Share of cases discharged {' and '.join(w.lower() for w in whens)}, by {group_title.lower()}", items,
                    list(hidden["group"]), min_cell)  # fmt: skip
    return _chart(layers, {"shown": shown, "hidden": hidden}, {"step": ROW_STEP // len(whens)}, title, subtitle,
                  notes + _suppressed_note(list(hidden["group"]), min_cell), text, min_cell)  # fmt: skip


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
) -> Spec:
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
    # A group hidden to protect a smaller one: its curve to whole percent. At full precision the
    # first step, 1 − d/n, would name the size the tables withhold (spinedash.privacy rule 2).
    partners = set(medians.loc[partner_mask(medians["n"], min_cell), "group"].astype(str))
    if partners:
        curves = curves.copy()
        rows = curves["group"].astype(str).isin(partners)
        for col in ("share_returned", "ci_low", "ci_high"):
            curves.loc[rows, col] = curves.loc[rows, col].round(PARTNER_DECIMALS)
    domain = group_order([*medians["group"], *curves["group"]])
    # The legend is shared with the faint CI band; force full-opacity line symbols so it stays readable.
    legend = {**_GROUP_LEGEND, "symbolType": "stroke", "symbolOpacity": 1, "symbolStrokeWidth": 3, "symbolFillColor": "transparent"}
    colour = channel("group:N", title=group_title, scale=colour_scale(domain), sort=domain, legend=legend)
    # labelFlush off: flushed to the axis end, the last day label ran into the one before ("380400").
    x = channel("days:Q", title="Days since surgery", scale={"zero": True, "nice": True}, axis={"labelFlush": False})
    y = channel("share_returned:Q", title=y_title, scale={"domain": [0, 1]}, axis={"format": "%"})
    point_tips = [
        tooltip("group:N", group_title),
        tooltip("days:Q", "Day", ".0f"),
        tooltip("share_returned:Q", "Share returned", ".0%"),
        tooltip("ci_low:Q", "95% CI from", ".0%"),
        tooltip("ci_high:Q", "95% CI to", ".0%"),
    ]
    datasets: dict[str, pd.DataFrame] = {"curves": curves, "half": pd.DataFrame({"half": [0.5]})}
    layers = [
        mark_layer("area", "curves", encoding(x=x, y=channel("ci_low:Q"), y2=secondary("ci_high"), color=colour),
                   interpolate="step-after", opacity=0.15),
        mark_layer("line", "curves", encoding(x=x, y=y, color=colour), interpolate="step-after", strokeWidth=2.2),
        mark_layer("point", "curves", encoding(x=x, y=y, tooltip=point_tips), opacity=0, size=40),
        mark_layer("rule", "half", encoding(y=channel("half:Q")), strokeDash=[2, 3], color="#999999"),
    ]  # fmt: skip
    shown_medians = _without_partner_sizes(medians, min_cell, ["events"])[~_flag(medians) & medians["median_days"].notna()].copy()
    if not shown_medians.empty:
        shown_medians["half"] = 0.5
        shown_medians["median_ci"] = [_ci_text(lo, hi, "{:.0f}") for lo, hi in zip(shown_medians["median_ci_low"], shown_medians["median_ci_high"], strict=True)]
        datasets["medians"] = shown_medians[["group", "n", "events", "median_days", "median_ci", "half"]]
        layers.append(mark_layer("point", "medians", encoding(
            x=channel("median_days:Q"),
            y=channel("half:Q"),
            color=colour,
            tooltip=[
                tooltip("group:N", group_title),
                tooltip("median_days:Q", "Median days", ".0f"),
                tooltip("median_ci:N", "Median 95% CI (days)"),
                tooltip("n:Q", "Cases", ","),
                tooltip("events:Q", "Returned", ","),
            ],
        ), shape="circle", filled=True, size=70, stroke="white", strokeWidth=1))  # fmt: skip
    if hidden_groups:
        text = pd.DataFrame(
            {
                "group": hidden_groups,
                "text": [f"{g}: {_suppressed_text(n, min_cell)}" for g, n in zip(hidden_groups, hidden_rows["n"], strict=True)],
                "row": np.arange(len(hidden_groups)),
            }
        )
        text["y"] = 0.97 - 0.06 * text["row"]
        datasets["hidden"] = text
        layers.append(mark_layer("text", "hidden", encoding(x=value(8), y=channel("y:Q"), text=channel("text:N"), color=colour),
                                 align="left", fontStyle="italic", fontSize=12))  # fmt: skip
    notes = ["Shaded: 95% confidence band; dots: median time to return (where reached)"]
    if min_cell > 1:
        notes.append(f"Each curve ends where fewer than {min_cell} patients remain at risk")
    items = []
    for r in _without_partner_sizes(medians, min_cell, ["events"])[~_flag(medians)].itertuples():
        med = (f"median {r.median_days:.0f} days (95% CI {_ci_text(r.median_ci_low, r.median_ci_high, '{:.0f}')})"
               if pd.notna(r.median_days) else "median not reached")  # fmt: skip
        items.append(f"{r.group}: {med}, {_of(r.events, r.n)} returned")
    text = describe(title, f"Kaplan–Meier curves of the share returned over days since surgery, by {group_title.lower()}",
                    items, hidden_groups, min_cell)  # fmt: skip
    return _chart(layers, datasets, 360, title, subtitle, notes + _suppressed_note(hidden_groups, min_cell), text, min_cell,
                  main="curves")  # fmt: skip


# --------------------------------------------------------------------------------------------
# Time points: trajectory, change, MCID
# --------------------------------------------------------------------------------------------


def _timepoint_benchmarks(b: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    b = b[b["timepoint"].notna()].copy()
    b["timepoint_label"] = b["timepoint"].map(timepoint_label)
    return b[b["timepoint_label"].isin(order)]


def _benchmark_layers(b: pd.DataFrame, y_field: str = "value") -> list[Spec]:
    """Published figures over time points (dataset "benchmarks"): dashed lines and hollow symbols."""
    if b.empty:
        return []
    shape = channel("legend:N", title=BENCHMARK_LEGEND, scale=_benchmark_shape_scale(b["legend"]), legend=_BENCHMARK_LEGEND_STYLE)
    base = {
        "x": channel("timepoint_label:N"),
        "y": channel(f"{y_field}:Q"),
        "tooltip": [tooltip("legend:N", "Published figure"), tooltip("timepoint_label:N", "When"),
                    tooltip(f"{y_field}:Q", "Value", ".2~f"), tooltip("source:N", "Source"), tooltip("note:N", "Note")],
    }  # fmt: skip
    return [
        mark_layer("line", "benchmarks", encoding(**base, detail=channel("legend:N")),
                   strokeDash=[5, 4], color=BENCHMARK_COLOUR, strokeWidth=1.2, opacity=0.7),
        mark_layer("point", "benchmarks", encoding(**base, shape=shape), filled=False, size=140, strokeWidth=2, color=BENCHMARK_COLOUR),
    ]  # fmt: skip


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


def _suppressed_cell_layer(hidden: pd.DataFrame, colour: Spec) -> list[Spec]:
    # Vertical italic text standing where the group's point or bar would be, so a hidden cell reads
    # as "hidden", never as a zero or a gap. Dataset "hidden", with its y (the axis bottom) in column y.
    if hidden.empty:
        return []
    enc = encoding(x=channel("timepoint_label:N"), xOffset=channel("group:N"), y=channel("y:Q"), text=channel("text:N"), color=colour)
    return [mark_layer("text", "hidden", enc, angle=270, align="left", baseline="middle", dx=4, fontStyle="italic", fontSize=11)]


def _per_group(shown: pd.DataFrame, col: str, fmt: str) -> list[str]:
    """'Open: before surgery 7.1 (n = 330), 12 months 2.4 (n = 290)' per group, time points in order."""
    items = []
    for group, rows in shown.groupby("group", sort=False):
        cells = [f"{str(r.timepoint_label).lower() if r.timepoint_label == 'Before surgery' else r.timepoint_label} "
                 f"{_fmt(getattr(r, col), fmt)} (n = {_size(r.n)})" for r in rows.itertuples()]  # fmt: skip
        items.append(f"{group}: " + ", ".join(cells))
    return items


# Time point labels on two lines ("Before" / "surgery"): on one line, in a narrow chart, they ran
# together ("Before surgery12 months") or Vega dropped every other one.
TIME_LABELS: Spec = {"labelAngle": 0, "labelExpr": "split(datum.label, ' ')", "labelOverlap": False, "labelPadding": 4}


def _time_axis(order: list[str]) -> Spec:
    return channel(
        "timepoint_label:N",
        title="Time since surgery",
        scale={"domain": order, "paddingInner": 0.25},
        sort=order,
        axis=TIME_LABELS,
    )


def _group_offset(domain: list[str]) -> Spec:
    return channel("group:N", sort=domain, scale={"domain": domain})


def trajectory_chart(
    traj: pd.DataFrame,
    measure_label: str,
    benchmarks: pd.DataFrame | None = None,
    title: str | None = None,
    subtitle: Subtitle = None,
    min_cell: int = DEFAULT_MIN_CELL,
    group_title: str = "Approach",
    y_max: float | None = None,
    y_min: float = 0.0,
) -> Spec:
    """Mean score per group at each time point (clinical order, "Before surgery" first) with 95% CI
    error bars; published figures as hollow dark-grey symbols on dashed lines."""
    b = _benchmark_frame(benchmarks, ("mean", "median"), "mean")
    order = _tp_order([*traj["timepoint"], *b["timepoint"].dropna()])
    b = _timepoint_benchmarks(b, order)
    domain = group_order(traj["group"])
    hidden_mask = _flag(traj)
    # A group hidden to protect a smaller one at a time point: its estimate without its counts.
    shown = _without_partner_sizes(traj, min_cell, within="timepoint").loc[~hidden_mask, ["group", "timepoint_label", "n", "mean", "ci_low", "ci_high"]].copy()
    shown["ci"] = [_ci_text(lo, hi) for lo, hi in zip(shown["ci_low"], shown["ci_high"], strict=True)]
    # n printed in the chart itself, along the foot of each group's column (where a hidden cell's
    # "suppressed" stands): the patients behind a mean change between time points ("all
    # available"), and a reader must see it without hovering (issue 14).
    shown["n_text"] = [f"n={int(n):,}" if pd.notna(n) else "n hidden" for n in shown["n"]]
    shown["n_y"] = 0.0
    hidden, hidden_names = _suppressed_cells(traj, hidden_mask, min_cell)
    if y_max is None:
        top = np.nanmax([*shown["ci_high"].to_numpy(dtype=float), *b["value"].to_numpy(dtype=float), 0.0])
        y_max = 10.0 if top <= 10 else 100.0

    colour = channel("group:N", title=group_title, scale=colour_scale(domain), sort=domain, legend=dict(_GROUP_LEGEND))
    base = {"x": _time_axis(order), "xOffset": _group_offset(domain), "color": colour}
    y = channel("mean:Q", title=measure_label, scale={"domain": [y_min, y_max]})
    tips = [
        tooltip("group:N", group_title),
        tooltip("timepoint_label:N", "When"),
        tooltip("mean:Q", "Mean", ".2f"),
        tooltip("ci:N", "95% CI"),
        tooltip("n:Q", "Cases with a score", ","),
    ]
    layers = [
        mark_layer("line", "shown", encoding(**base, y=y), strokeWidth=2),
        mark_layer("rule", "shown", encoding(**base, y=channel("ci_low:Q"), y2=secondary("ci_high")), strokeWidth=2),
        mark_layer("point", "shown", encoding(**base, y=y, tooltip=tips), filled=True, size=70),
        mark_layer("text", "shown", encoding(**base, y=channel("n_y:Q"), text=channel("n_text:N")),
                   angle=270, align="left", baseline="middle", dx=4, fontSize=9),
        *_benchmark_layers(b),
        *_suppressed_cell_layer(hidden, colour),
    ]
    notes = ["Dots: mean; bars: 95% confidence interval; n at the foot of each column: patients with a score at that time point"]
    text = describe(title or measure_label, f"Mean {measure_label} by {group_title.lower()} at each time point, with n",
                    _per_group(shown, "mean", "{:.1f}"), hidden_names, min_cell)  # fmt: skip
    return _chart(layers, {"shown": shown, "benchmarks": b, "hidden": hidden.assign(y=0.0)}, 380, title or measure_label,
                  subtitle, notes + _suppressed_note(hidden_names, min_cell), text, min_cell)  # fmt: skip


def change_chart(
    change: pd.DataFrame,
    measure_label: str,
    benchmarks: pd.DataFrame | None = None,
    title: str | None = None,
    subtitle: Subtitle = None,
    min_cell: int = DEFAULT_MIN_CELL,
    group_title: str = "Approach",
    higher_is_better: bool = False,
) -> Spec:
    """Mean change from before surgery per group and time point (`pain_change`), 95% CI error bars.
    Below zero is an improvement — above zero for a higher-is-better score (EQ-5D, mJOA)."""
    b = _benchmark_frame(benchmarks, ("change",), None)
    order = _tp_order([*change["timepoint"], *b["timepoint"].dropna()])
    b = _timepoint_benchmarks(b, order)
    domain = group_order(change["group"])
    hidden_mask = _flag(change)
    # A group hidden to protect a smaller one at a time point: its estimate without its counts.
    shown = _without_partner_sizes(change, min_cell, within="timepoint").loc[~hidden_mask, ["group", "timepoint_label", "n", "mean_change", "ci_low", "ci_high"]].copy()
    shown["ci"] = [_ci_text(lo, hi) for lo, hi in zip(shown["ci_low"], shown["ci_high"], strict=True)]
    hidden, hidden_names = _suppressed_cells(change, hidden_mask, min_cell)
    low = float(np.nanmin([*shown["ci_low"].to_numpy(dtype=float), *b["value"].to_numpy(dtype=float), 0.0]))

    name = measure_label.split(" (")[0]
    colour = channel("group:N", title=group_title, scale=colour_scale(domain), sort=domain, legend=dict(_GROUP_LEGEND))
    base = {"x": _time_axis(order), "xOffset": _group_offset(domain), "color": colour}
    better = "above 0 = better" if higher_is_better else "below 0 = better"
    y = channel("mean_change:Q", title=f"Change in {name} (points; {better})")
    tips = [
        tooltip("group:N", group_title),
        tooltip("timepoint_label:N", "When"),
        tooltip("mean_change:Q", "Mean change", "+.2f"),
        tooltip("ci:N", "95% CI"),
        tooltip("n:Q", "Cases with both scores", ","),
    ]
    layers = [
        mark_layer("rule", "zero", encoding(y=channel("zero:Q")), color="#777777"),
        mark_layer("line", "shown", encoding(**base, y=y), strokeWidth=2),
        mark_layer("rule", "shown", encoding(**base, y=channel("ci_low:Q"), y2=secondary("ci_high")), strokeWidth=2),
        mark_layer("point", "shown", encoding(**base, y=y, tooltip=tips), filled=True, size=70),
        *_benchmark_layers(b),
        *_suppressed_cell_layer(hidden, colour),
    ]
    notes = ["Change = score at the time point minus score before surgery, in cases with both; bars: 95% CI"]
    datasets = {"zero": pd.DataFrame({"zero": [0.0]}), "shown": shown, "benchmarks": b, "hidden": hidden.assign(y=low)}
    text = describe(title or f"Change in {name} since surgery",
                    f"Mean change in {name} from before surgery by {group_title.lower()}, {better}, with n",
                    _per_group(shown, "mean_change", "{:+.1f}"), hidden_names, min_cell)  # fmt: skip
    return _chart(layers, datasets, 360, title or f"Change in {name} since surgery", subtitle,
                  notes + _suppressed_note(hidden_names, min_cell), text, min_cell)  # fmt: skip


def mcid_chart(
    rates: pd.DataFrame,
    threshold_text: str,
    benchmarks: pd.DataFrame | None = None,
    title: str = "Patients reaching a clinically important improvement",
    subtitle: Subtitle = None,
    min_cell: int = DEFAULT_MIN_CELL,
    group_title: str = "Approach",
    y_title: str = "Share reaching the threshold (%)",
) -> Spec:
    """Share of responders per group and time point (`mcid_rates`) as bars with Wilson 95% CI error bars.

    `threshold_text` names the threshold and its source, e.g. "Improvement of at least 3.2 points
    in VAS leg pain (Parai 2020, Swespine)"; it leads the subtitle.
    """
    b = _benchmark_frame(benchmarks, ("share",), None).rename(columns={"value": "share"})
    order = _tp_order([*rates["timepoint"], *b["timepoint"].dropna()])
    b = _timepoint_benchmarks(b, order)
    domain = group_order(rates["group"])
    hidden_mask = _flag(rates)
    # A group hidden to protect a smaller one at a time point: its estimate without its counts.
    shown = _without_partner_sizes(rates, min_cell, ["responders"], within="timepoint").loc[~hidden_mask, ["group", "timepoint_label", "n", "responders", "share", "ci_low", "ci_high"]].copy()
    shown["ci"] = [_ci_text(lo * 100, hi * 100, "{:.0f}%") for lo, hi in zip(shown["ci_low"], shown["ci_high"], strict=True)]
    hidden, hidden_names = _suppressed_cells(rates, hidden_mask, min_cell)

    colour = channel("group:N", title=group_title, scale=colour_scale(domain), sort=domain, legend=dict(_GROUP_LEGEND))
    base = {"x": _time_axis(order), "xOffset": _group_offset(domain)}
    tips = [
        tooltip("group:N", group_title),
        tooltip("timepoint_label:N", "When"),
        tooltip("share:Q", "Share", ".0%"),
        tooltip("ci:N", "95% CI (Wilson)"),
        tooltip("responders:Q", "Reached the threshold", ","),
        tooltip("n:Q", "Cases with both scores", ","),
    ]
    layers = [
        mark_layer("bar", "shown", encoding(
            **base, y=channel("share:Q", title=y_title, scale={"domain": [0, 1]}, axis={"format": "%"}), color=colour, tooltip=tips,
        )),
        mark_layer("rule", "shown", encoding(**base, y=channel("ci_low:Q"), y2=secondary("ci_high")), strokeWidth=1.5, color="black"),
        *_benchmark_layers(b, y_field="share"),
        *_suppressed_cell_layer(hidden, colour),
    ]  # fmt: skip
    notes = [threshold_text, "Black lines: 95% confidence interval (Wilson)"]
    text = describe(title, f"Share of patients {threshold_text} by {group_title.lower()}, with n",
                    _per_group(shown, "share", "{:.0%}"), hidden_names, min_cell)  # fmt: skip
    return _chart(layers, {"shown": shown, "benchmarks": b, "hidden": hidden.assign(y=0.0)}, 340, title, subtitle,
                  notes + _suppressed_note(hidden_names, min_cell), text, min_cell)  # fmt: skip
