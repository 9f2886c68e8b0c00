"""Downloads: the template CSV and the data dictionary for a spine region, with the header spellings the reader accepts.

A region's template is built from data, not spelled here:

- data/templates/regions.csv names each region's template measures (lumbar: VAS leg and back, ODI,
  EQ-5D; cervical: VAS neck and arm, NDI, mJOA, EQ-5D) and what to write instead (NRS, COMI, EMS…);
- data/measures.csv (the catalogue) gives each measure's time points, up to 24 months, so the
  template has one column per measure and time point, after the fixed case columns of the schema;
- data/templates/<region>.csv holds three invented example cases (not evidence, not patients). The
  lumbar stay of 3.2 h echoes PELD day surgery (Medicine 2019); every other value is ASSUMPTION.

`template_csv(region)` loads back unchanged through `load_outcomes` (tested for every region).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

from spinedash import schema
from spinedash.catalogue import DATA_DIR, load_catalogue
from spinedash.ingest.map import header_aliases

TEMPLATES_DIR: Path = DATA_DIR / "templates"
DEFAULT_REGION = "lumbar"


@lru_cache(maxsize=1)
def _regions() -> dict[str, tuple[tuple[str, ...], str]]:
    table = pd.read_csv(TEMPLATES_DIR / "regions.csv", dtype=str, keep_default_na=False, encoding="utf-8")
    catalogue = load_catalogue()
    out: dict[str, tuple[tuple[str, ...], str]] = {}
    for row in table.to_dict("records"):
        measures = tuple(row["measures"].split())
        for m in measures:
            if m not in catalogue.measures or row["region"] not in catalogue.measures[m].regions:
                raise ValueError(f"data/templates/regions.csv: {m!r} is no {row['region']} measure of data/measures.csv")
        out[row["region"]] = (measures, row["note"])
    return out


def template_regions() -> tuple[str, ...]:
    """The regions with a template, in file order: ("lumbar", "cervical")."""
    return tuple(_regions())


def template_measures(region: str = DEFAULT_REGION) -> tuple[str, ...]:
    """The catalogue ids of the region's template measures, in catalogue order."""
    measures, _ = _regions()[region]
    return tuple(m for m in load_catalogue().measures if m in measures)


def template_note(region: str = DEFAULT_REGION) -> str:
    """What to write instead of the template's measures (NRS for VAS, COMI, EMS…), in words."""
    return _regions()[region][1]


def template_columns(region: str = DEFAULT_REGION) -> list[str]:
    """The fixed case columns (identity, operation, recovery, safety), then each template measure at
    each of its catalogue time points (before surgery … 24 months), in catalogue order."""
    measures, _ = _regions()[region]
    catalogue = load_catalogue()
    outcomes = [catalogue.measures[m].column(tp) for m in catalogue.measures if m in measures
                for tp in catalogue.measures[m].timepoints]
    fixed = [c.name for c in schema.COLUMNS if c.group != "pain and function"]
    safety = [c.name for c in schema.COLUMNS if c.group == "safety"]
    head = [c for c in fixed if c not in safety]
    return head + outcomes + safety


def _examples(region: str) -> pd.DataFrame:
    path = TEMPLATES_DIR / f"{region}.csv"
    rows = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    extra = [c for c in rows.columns if c not in template_columns(region)]
    if extra:
        raise ValueError(f"{path.name}: column(s) {', '.join(extra)} are not in the {region} template")
    return rows.reindex(columns=template_columns(region), fill_value="")


def template_frame(region: str = DEFAULT_REGION) -> pd.DataFrame:
    """The template as text cells: every column of `template_columns(region)`, three example rows."""
    return _examples(region)


def template_csv(region: str = DEFAULT_REGION) -> bytes:
    """A CSV with the region's columns and three example rows (UTF-8 with BOM so Excel shows ø and –)."""
    return template_frame(region).to_csv(index=False).encode("utf-8-sig")


def _outcome_pattern_rows(region: str) -> list[dict]:
    """One row per catalogue measure used in the region but not in its template: accepted as `<id>_<time point>`."""
    measures, _ = _regions()[region]
    rows = []
    for m in load_catalogue().measures.values():
        if region not in m.regions or m.id in measures:
            continue
        rows.append({
            "column": f"{m.id}_<time point>", "group": "pain and function", "type": "number", "unit": m.scale,
            "allowed range or values": m.scale, "required": "",
            "description": f"{m.instrument}, instead of or beside the template's measures: one column per time "
                           f"point ({', '.join(m.timepoints)} or d<days>), e.g. {m.column(m.timepoints[-2])}. "
                           "Blank if not recorded.",
            "example": m.example,
        })
    return rows


def data_dictionary_table(region: str = DEFAULT_REGION) -> pd.DataFrame:
    """The region's data dictionary: every template column with its accepted header spellings, then the
    region's other catalogue measures as `<measure>_<time point>` patterns."""
    columns = template_columns(region)
    specs = [schema.spec_for(c) for c in columns]
    table = pd.DataFrame([
        {
            "column": s.name, "group": s.group, "type": s.kind, "unit": s.unit,
            "allowed range or values": (", ".join(s.allowed) if s.allowed
                                        else (f"{s.min:g}–{s.max:g}" if s.min is not None and s.max is not None else "")),
            "required": "yes" if s.name in schema.REQUIRED_COLUMNS else "",
            "description": s.description, "example": s.example,
        }
        for s in specs
    ] + _outcome_pattern_rows(region))
    table["also accepted as"] = [", ".join(header_aliases(c)) if "<" not in c else "" for c in table["column"]]
    return table


def data_dictionary_csv(region: str = DEFAULT_REGION) -> bytes:
    """The region's data dictionary as CSV bytes for download."""
    return data_dictionary_table(region).to_csv(index=False).encode("utf-8-sig")
