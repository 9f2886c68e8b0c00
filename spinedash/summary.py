"""What goes into the PDF summary report: figures, charts, comparison, methods and sources.

`summary_content(...)` turns the filtered cases into a `report.ReportContent`; `report.build_report`
lays it out. Kept apart so the content can be tested without drawing a PDF.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from spinedash import analysis, charts, overview
from spinedash.dataset import Dataset
from spinedash.filters import Filters, describe_filters
from spinedash.knowledge import load_knowledge
from spinedash.outcomes import headline_measure, measures_in_view, threshold_measure
from spinedash.report import ReportChart, ReportContent
from spinedash.tables import at_risk_display, comparison_display
from spinedash.vegalite import Spec, without_title

REPORT_TITLE = "SpineDash outcomes summary"


def headline_for_report(cases: pd.DataFrame, min_cell: int) -> pd.DataFrame:
    """Headline figures as the report's table: figure, value, n, comparison with open surgery."""
    measure, change_measure = overview.headline_scores(cases)  # the Overview's cards, by the catalogue's headline rank
    threshold = analysis.mcid_default(measure) if measure else None
    figures = overview.headline_figures(cases, min_cell=min_cell, mcid_threshold=threshold, measure=measure, change_measure=change_measure)
    comparison = figures["comparison_sentence"].where(figures["comparison_sentence"].notna(), "")
    return pd.DataFrame(
        {
            "figure": figures["figure"],
            "value": figures["display"],
            "n": figures["n_display"],  # "< k" for a suppressed figure: its own count is never shown
            "comparison": comparison,
        }
    )


def report_charts(cases: pd.DataFrame, min_cell: int, subtitle: list[str]) -> list[ReportChart]:
    """The key recovery and patient-reported charts; a chart whose columns the data lack is left out.

    The trajectory is the view's headline score and the MCID chart its first score with a default
    threshold, both by the catalogue's headline rank for the region in view (VAS leg for a lumbar
    file; arm pain, and mJOA or EQ-5D, for a cervical one). No score chart when the data hold none.
    """
    lead, rate = headline_measure(cases), threshold_measure(cases)
    builders = [
        ("Hospital stay by approach", lambda: charts.distribution_chart(
            analysis.summarise_distribution(cases, "length_of_stay_hours", min_cell=min_cell),
            "Hospital stay", "hours", title="Hospital stay by approach", subtitle=subtitle, min_cell=min_cell)),
        ("Return to work (employed before surgery)", lambda: _km(cases, min_cell, subtitle)),
    ]
    if lead is not None:
        t = analysis.MEASURES[lead]
        builders.append((f"{t.label} over follow-up", lambda: charts.trajectory_chart(
            analysis.pain_trajectory(cases, t.id, min_cell=min_cell), t.label_with_scale,
            title=f"{t.label}: mean with 95% CI", subtitle=subtitle, min_cell=min_cell, y_max=t.scale_max,
            y_min=min(0.0, t.scale_min))))
    if rate is not None:
        m = analysis.MEASURES[rate]
        threshold = analysis.mcid_default(m.id)
        phrase = f"improved by ≥ {threshold:g} points" if m.kind == "score" else f"rated {threshold:g} or {'more' if m.higher_is_better else 'less'}"
        builders.append((f"Patients reaching the {m.short_label} {'MCID' if m.kind == 'score' else 'cut-off'}", lambda: charts.mcid_chart(
            analysis.mcid_rates(cases, m.id, threshold, min_cell=min_cell), phrase, subtitle=subtitle, min_cell=min_cell)))
    out = []
    for title, build in builders:
        try:
            built = build()
        except analysis.MissingColumnError:
            continue
        spec, table = built if isinstance(built, tuple) else (built, None)
        # The report prints its own heading and the filters once at the top; the chart's own notes
        # go under its heading, the number at risk under a Kaplan–Meier curve.
        notes = spec.get("usermeta", {}).get("notes", [])
        out.append(ReportChart(title, without_title(spec), notes=notes, table=table,
                               table_title="Number still not returned (at risk) on each day after surgery:" if table is not None else "",
                               alt_text=spec.get("description", "")))  # fmt: skip
    return out


def _km(cases: pd.DataFrame, min_cell: int, subtitle: list[str]) -> tuple[Spec, pd.DataFrame]:
    km = analysis.kaplan_meier(cases, "return_to_work_days", min_cell=min_cell, employed_only=True)
    chart = charts.km_chart(km.curves, km.medians, "Return to work (employed before surgery)", subtitle=subtitle,
                            min_cell=min_cell, max_days=365)
    return chart, at_risk_display(km.at_risk, min_cell, medians=km.medians)


def threshold_notes(cases: pd.DataFrame | None) -> tuple[str, list[str]]:
    """What a responder is (analysis.MCID_DEFINITION) and each default threshold with its source, for
    the measures the cases hold (catalogue order); the lumbar three when no cases are given. A measure without a published
    default says so ("set your own"), a rating gives its cut-off."""
    if cases is None:
        return analysis.MCID_DEFINITION, list(analysis.MCID_CITATIONS.values())
    measures = measures_in_view(cases)
    citations = []
    for m in measures:
        if m.kind == "rating":
            citations.append(f"{m.short_label}: {m.cutoff:g} or {'more' if m.higher_is_better else 'less'} — {m.cutoff_source}")
        elif m.mcid is None:
            citations.append(f"{m.short_label}: no published default (set your own); published range {m.mcid_range}"
                             if m.mcid_range else f"{m.short_label}: {m.mcid_source}")
        else:
            citations.append(f"{m.short_label} {m.mcid:g} points — {m.mcid_source}")
    return analysis.MCID_DEFINITION, citations


def method_notes(min_cell: int, cases: pd.DataFrame | None = None) -> list[str]:
    """How the figures were worked out, in plain words (the thresholds of the measures in `cases`)."""
    return [
        f"Groups with fewer than {min_cell} cases are suppressed (shown as 'suppressed'), never as zero.",
        "Medians carry distribution-free 95% confidence intervals (order statistics); means carry t-based "
        "95% intervals; shares carry Wilson 95% intervals.",
        "Return to work and to daily activities are Kaplan–Meier estimates (statsmodels): patients not yet "
        "back at their last follow-up count until then (censored). Return to work only among patients "
        "employed before surgery.",
        f"Same-day discharge is a stay of {analysis.SAME_DAY_MAX_HOURS:g} hours or less (assumption: the data "
        "have no discharge date).",
        threshold_notes(cases)[0],
        analysis.CAUSAL_CAUTION,
    ]


def report_sources(cases: pd.DataFrame | None = None) -> list[str]:
    """Thresholds of the measures in `cases` and the knowledge-base documents the app stands on."""
    out = [f"MCID thresholds: {c}" for c in threshold_notes(cases)[1]]
    if cases is None or any(m.id in analysis.MCID_ALTERNATIVES["NORspine success"] for m in measures_in_view(cases)):
        out += [f"Success definition: {s}" for s in analysis.MCID_ALTERNATIVE_SOURCES.values()]
    out.append("Funnel-plot limits: Spiegelhalter DJ. Funnel plots for comparing institutional performance. "
               "Stat Med 2005;24:1185–1202.")
    out += [f"Procedure knowledge: {title}" for title in load_knowledge().sources["title"]]
    return out


def summary_content(
    dataset: Dataset,
    cases: pd.DataFrame,
    filters: Filters,
    min_cell: int,
    comparison: tuple[str, str, pd.DataFrame] | None = None,
    on: dt.date | None = None,
) -> ReportContent:
    """Everything the PDF summary shows, for the filtered `cases` of `dataset`."""
    filters_text = describe_filters(filters) or "No filters (all cases)"
    subtitle = [filters_text, dataset.describe()]
    compared = None
    notes: list[str] = []
    methods: list[str] = []
    sentences: list[str] = []
    if comparison is not None:
        from spinedash import comparison as compare

        label_a, label_b, table = comparison
        shown = comparison_display(table, label_a, label_b)
        # The page's own columns: raw and adjusted estimates, p and Holm p; then what was adjusted for.
        compared = shown[compare.tidy_columns(label_a, label_b)]
        notes = compare.comparison_notes(table)
        methods = compare.method_lines(table)
        sentences = [f"{o}: {s}" for o, s in zip(shown["Outcome"], shown["What it means"], strict=True)]
    return ReportContent(
        title=REPORT_TITLE,
        generated_on=on or dt.date.today(),
        data_source=dataset.describe(),
        is_synthetic=dataset.is_synthetic,
        filters_text=filters_text,
        headline=headline_for_report(cases, min_cell),
        charts=report_charts(cases, min_cell, subtitle),
        comparison=compared,
        comparison_notes=notes,
        comparison_methods=methods,
        comparison_sentences=sentences,
        method_notes=method_notes(min_cell, cases),
        sources=report_sources(cases),
    )
