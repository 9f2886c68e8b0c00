"""Which patient-reported outcomes a view holds, region by region (pure pandas; no Streamlit).

The Patient-reported outcomes page lists the catalogue measures present in the cases in view.
Cervical and lumbar cases are never pooled in one chart: a view holding several spine regions is
shown one region at a time (`regions_in_view`, `cases_for_region`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from spinedash.catalogue import Measure, load_catalogue
from spinedash.filters import REGION_ORDER, present_values
from spinedash.schema import MEASURES, parse_outcome_column, timepoint_days, timepoint_label

# A view whose region is not recorded (no level, procedure or region column).
UNKNOWN_REGION = "region not recorded"


def regions_in_view(cases: pd.DataFrame) -> list[str]:
    """The spine regions among the cases, head to pelvis; UNKNOWN_REGION last when some cases have none."""
    if "region" not in cases.columns:
        return []
    found = present_values(cases["region"])
    regions = [r for r in REGION_ORDER if r in found] + sorted(r for r in found if r not in REGION_ORDER)
    if regions and cases["region"].isna().any():
        regions.append(UNKNOWN_REGION)
    return regions


def cases_for_region(cases: pd.DataFrame, region: str | None) -> pd.DataFrame:
    """The cases of one region (UNKNOWN_REGION: those without one); all cases for None."""
    if region is None or "region" not in cases.columns:
        return cases
    column = cases["region"]
    keep = column.isna() if region == UNKNOWN_REGION else (column.astype("object") == region)
    return cases[keep.to_numpy(dtype=bool)]


def measures_in_view(cases: pd.DataFrame) -> list[Measure]:
    """Catalogue measures with at least one recorded value among the cases, in catalogue order."""
    found: set[str] = set()
    for column in cases.columns:
        parsed = parse_outcome_column(column)
        if parsed is not None and parsed[0] not in found and cases[column].notna().any():
            found.add(parsed[0])
    return [m for m in MEASURES.values() if m.id in found]


def measure_overview(cases: pd.DataFrame) -> pd.DataFrame:
    """One row per measure present: what it is, which way is better, when recorded, how many answered,
    and the default threshold with its source (or "set your own")."""
    rows = []
    for m in measures_in_view(cases):
        times = sorted(
            (tp for c in cases.columns if (p := parse_outcome_column(c)) and p[0] == m.id and cases[c].notna().any()
             for tp in [p[1]]),
            key=timepoint_days,
        )
        first = m.column(times[0])
        if m.kind == "rating":
            threshold = f"{m.cutoff:g} or {'more' if m.higher_is_better else 'less'} = {m.short_label.split(' (')[0].lower()} reached"
            source = m.cutoff_source
        elif m.mcid is None:
            threshold, source = "none: set your own", m.mcid_range or m.mcid_source
        else:
            threshold, source = f"{m.mcid:g} points", m.mcid_source
        rows.append(
            {
                "Measure": m.label_with_scale,
                "Better": "higher" if m.higher_is_better else "lower",
                "Recorded at": ", ".join(timepoint_label(t) for t in times),
                "Patients with a first score": int(np.count_nonzero(cases[first].notna().to_numpy())),
                "Default threshold": threshold,
                "Source": source,
            }
        )
    return pd.DataFrame(rows, columns=["Measure", "Better", "Recorded at", "Patients with a first score", "Default threshold", "Source"])


def _recorded(cases: pd.DataFrame, column: str) -> bool:
    return column in cases.columns and bool(cases[column].notna().any())


def headline_measures(cases: pd.DataFrame, *, with_threshold: bool = False, scores_only: bool = False) -> list[str]:
    """The scores a page may lead with for these cases, best first — the catalogue's `headline` rank
    (data/measures.csv) among the measures of the spine regions in view, kept where the cases hold a
    12-month value (and one before surgery, for a score).

    VAS leg, then ODI… for a lumbar view; arm pain, then NDI… for a cervical one; COMI or EQ-5D for a
    file with only those. All regions' measures when the region is not recorded. `with_threshold`
    keeps only measures with a default threshold (an MCID, or a rating's cut-off): what a
    "reached the MCID" figure needs. `scores_only` leaves ratings out (change needs a score before surgery).
    """
    regions = [r for r in regions_in_view(cases) if r != UNKNOWN_REGION]
    out = []
    for m in load_catalogue().headline_order(regions):
        if scores_only and m.kind == "rating":
            continue
        if with_threshold and (m.cutoff if m.kind == "rating" else m.mcid) is None:
            continue
        needed = [m.column("12m")] + ([] if m.kind == "rating" else [m.column("pre")])
        if all(_recorded(cases, c) for c in needed):
            out.append(m.id)
    return out


def headline_measure(cases: pd.DataFrame) -> str | None:
    """The score the view leads with (Overview, PDF, the funnel's first measure, Procedures): the first
    of `headline_measures` — VAS leg for a lumbar file, arm pain or NDI for a cervical one, whether
    or not it has a published MCID. None when the cases hold no 12-month score."""
    found = headline_measures(cases)
    return found[0] if found else None


def threshold_measure(cases: pd.DataFrame, *, scores_only: bool = False) -> str | None:
    """The first headline measure with a default threshold: what "reached the MCID at 12 months"
    figures use (Overview card and quarterly panels, Compare's MCID row). VAS leg for a lumbar file;
    for a cervical one arm pain and NDI have no published default, so mJOA, COMI neck or EQ-5D."""
    found = headline_measures(cases, with_threshold=True, scores_only=scores_only)
    return found[0] if found else None


def region_phrase(cases: pd.DataFrame) -> str:
    """"lumbar", "cervical and lumbar" or "spine region not recorded": which cases a comparison covers."""
    regions = [r for r in regions_in_view(cases) if r != UNKNOWN_REGION]
    if not regions:
        return "spine region not recorded"
    text = regions[0] if len(regions) == 1 else ", ".join(regions[:-1]) + " and " + regions[-1]
    if UNKNOWN_REGION in regions_in_view(cases):
        text += " (and some with no region recorded)"
    return text


def mcid_note(cases: pd.DataFrame) -> str:
    """"MCID threshold: VAS leg 3.2 points — Parai et al., …" for the view's MCID row's score ("" if none)."""
    measure = threshold_measure(cases, scores_only=True)
    if measure is None or MEASURES[measure].kind != "score":
        return ""
    m = MEASURES[measure]
    return f"MCID threshold: {m.short_label} {m.mcid:g} points — {m.mcid_source}."
