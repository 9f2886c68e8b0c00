"""The outcome data dictionary: one row per operated case, canonical column names and types.

Everything that reads or writes outcome data (the sample generator, the upload reader, the
analysis) agrees on this one list. Ranges here are plausibility limits for validation, not
clinical norms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from spinedash.catalogue import REGIONS, Measure, load_catalogue

_CATALOGUE = load_catalogue()

# Every outcome measure of data/measures.csv, in catalogue order: id -> Measure (label, scale,
# direction, MCID and its source, time points). New code takes its measures from here.
MEASURES: dict[str, Measure] = _CATALOGUE.measures

# Follow-up time points from data/timepoints.csv, with their nominal day after surgery.
# "pre" is the true pre-operative baseline; nothing else may be called baseline. Any other day
# after surgery is a custom time point "d<days>" (see timepoint_days / timepoint_label).
TIMEPOINT_DAYS: dict[str, int] = {t.id: t.days for t in _CATALOGUE.timepoints.values()}
TIMEPOINT_LABELS: dict[str, str] = {t.id: t.label for t in _CATALOGUE.timepoints.values()}

# The lumbar first-year measures whose columns are fixed in the template and the sample cohort
# (a derived view kept for older code): measure -> time points, scale max, label with scale.
PAIN_MEASURES: dict[str, dict] = {
    m.id: {
        "timepoints": m.dictionary_timepoints,
        "max": int(m.scale_max) if float(m.scale_max).is_integer() else m.scale_max,
        "label": m.label_with_scale,
    }
    for m in MEASURES.values()
    if m.dictionary_timepoints
}
VAS_TIMEPOINTS: tuple[str, ...] = PAIN_MEASURES["vas_leg"]["timepoints"]
ODI_TIMEPOINTS: tuple[str, ...] = PAIN_MEASURES["odi"]["timepoints"]

# Spine region of a case: a column, derived from the level or the procedure when the file has none.
REGION_VALUES: tuple[str, ...] = REGIONS

COMPLICATIONS: tuple[str, ...] = ("none", "dural tear", "nerve root injury", "infection", "haematoma", "other")
SEXES: tuple[str, ...] = ("female", "male", "other")


@dataclass(frozen=True)
class ColumnSpec:
    """One canonical column: its name, kind, unit, plausibility range and what it means."""

    name: str
    kind: str  # "id", "category", "date", "number", "boolean"
    group: str  # "identity and case mix", "operation", "recovery", "pain and function", "safety"
    description: str
    unit: str = ""
    min: float | None = None
    max: float | None = None
    allowed: tuple[str, ...] | None = None  # fixed vocabulary; None = free text or knowledge-base values
    example: str = ""
    aliases: tuple[str, ...] = field(default_factory=tuple)  # header spellings seen in exports


def timepoint_days(tp: str) -> int:
    """Nominal day after surgery of a standard ("12m" -> 365) or custom ("d90" -> 90) time point."""
    return _CATALOGUE.timepoint(tp).days


def timepoint_label(tp: str) -> str:
    """"12 months", "Before surgery", "Day 90"."""
    return _CATALOGUE.timepoint(tp).label


def parse_outcome_column(name: str) -> tuple[str, str] | None:
    """(measure, time point) of an outcome column ("ndi_12m" -> ("ndi", "12m")); None for any other column."""
    return _CATALOGUE.parse_column(name)


def outcome_column(measure: str, timepoint: str) -> str:
    """Column name of a measure at a time point, e.g. ("ndi", "12m") -> "ndi_12m".

    Raises KeyError for an unknown measure, or a standard time point the measure is not recorded at.
    """
    name = f"{measure}_{timepoint}"
    if parse_outcome_column(name) is None:
        raise KeyError(f"{measure} is not recorded at {timepoint}")
    return name


def _outcome_spec(measure: str, tp: str) -> ColumnSpec:
    m = MEASURES[measure]
    when = "before surgery (baseline)" if tp == "pre" else f"at {timepoint_label(tp).lower()}"
    # The fixed lumbar columns keep the wording the data dictionary has always used.
    word = {"vas_leg": "VAS leg pain", "vas_back": "VAS back pain", "odi": "Oswestry Disability Index"}.get(m.id, m.instrument)
    return ColumnSpec(
        name=m.column(tp),
        kind="number",
        group="pain and function",
        description=f"{word} {when}; blank if not recorded.",
        unit=m.scale,
        min=m.scale_min,
        max=m.scale_max,
        example=m.example if tp == "pre" else "",
    )


def _pain_columns() -> list[ColumnSpec]:
    return [_outcome_spec(m, tp) for m, info in PAIN_MEASURES.items() for tp in info["timepoints"]]


COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("case_id", "id", "identity and case mix", "Unique pseudonymous case identifier (no names, no hospital numbers).", example="C00001"),
    ColumnSpec("surgery_date", "date", "identity and case mix", "Date of the operation.", example="2024-03-18"),
    ColumnSpec("age", "number", "identity and case mix", "Age at surgery.", unit="years", min=0, max=120, example="46"),
    ColumnSpec("sex", "category", "identity and case mix", "Sex recorded for the case.", allowed=SEXES, example="female"),
    ColumnSpec("condition", "category", "identity and case mix", "Diagnosis operated on, one of the knowledge base's conditions.", example="Herniated disc"),
    ColumnSpec("approach", "category", "identity and case mix", "Surgical approach, one of the knowledge base's four (Full-endoscopic, Tubular MIS, Microscopic, Open) or one the source documents do not describe (Biportal endoscopic). A tube makes it Tubular MIS whatever the scope; a microscope without a tube makes it Microscopic, even for open microdiscectomy; naked eye or loupes make it Open.", example="Full-endoscopic"),
    ColumnSpec("technique", "category", "identity and case mix", "How it was done, in the clinic's words: how the surgeon sees (naked eye, loupes, microscope, endoscope) or the named technique (uniportal full-endoscopic transforaminal or interlaminar, biportal endoscopic UBE/BESS, tubular microscopic, microendoscopic MED, open microdiscectomy); any value is kept as written.", example="Uniportal full-endoscopic, transforaminal"),
    ColumnSpec("procedure", "category", "identity and case mix", "What was done: discectomy, decompression, foraminotomy, laminectomy, fusion…", example="Discectomy"),
    ColumnSpec("revision", "boolean", "identity and case mix", "A revision (an earlier operation at this level) rather than the first operation.", example="no"),
    ColumnSpec("spinal_level", "category", "identity and case mix", "Operated level, e.g. L4-L5, L5-S1 or C5-C6; a case at several levels keeps the most cranial (L4-L5 for L4-L5 and L5-S1).", example="L5-S1"),
    ColumnSpec("levels_operated", "number", "identity and case mix", "Number of spinal levels operated; a whole number from 1 to 25 (the motion segments from C0-C1 to L5-S1). When the file has no such column, counted from a level cell naming several levels (L4-L5, L5-S1: 2) or from the registry's level flags.", unit="levels", min=1, max=25, example="1"),
    ColumnSpec("region", "category", "identity and case mix", "Spine region; when blank, worked out from the level (C…, T…, L… or S…) or the procedure (ACDF, TLIF…).", allowed=REGION_VALUES, example="lumbar"),
    ColumnSpec("surgeon", "category", "identity and case mix", "Operating surgeon (pseudonym or code).", example="Surgeon A"),
    ColumnSpec("site", "category", "identity and case mix", "Hospital or clinic site.", example="North"),
    ColumnSpec("operation_minutes", "number", "operation", "Skin-to-skin operation time.", unit="minutes", min=0, max=1440, example="55"),
    ColumnSpec("blood_loss_ml", "number", "operation", "Estimated blood loss.", unit="mL", min=0, max=10000, example="15"),
    ColumnSpec("anesthesia", "category", "operation", "Anaesthesia used, e.g. local with sedation, general.", example="local with sedation"),
    ColumnSpec("length_of_stay_hours", "number", "recovery", "Hospital stay from admission to discharge.", unit="hours", min=0, max=24 * 365, example="6"),
    ColumnSpec("return_to_activities_days", "number", "recovery", "Days to return to daily activities; blank = not yet returned at last follow-up (censored).", unit="days", min=0, max=3650, example="9"),
    ColumnSpec("return_to_work_days", "number", "recovery", "Days to return to work; blank = not yet returned at last follow-up (censored).", unit="days", min=0, max=3650, example="28"),
    ColumnSpec("employed_before_surgery", "boolean", "recovery", "Working before surgery (return to work is analysed only for these).", example="yes"),
    ColumnSpec("last_followup_days", "number", "recovery", "Days from surgery to the last follow-up contact; the censoring time for blank return dates.", unit="days", min=0, max=3650 * 3, example="365"),
    *_pain_columns(),
    ColumnSpec("complication", "category", "safety", "Main peri-operative complication.", allowed=COMPLICATIONS, example="none"),
    ColumnSpec("reoperation_12m", "boolean", "safety", "Re-operated at the same level within 12 months.", example="no"),
    ColumnSpec("recurrence_12m", "boolean", "safety", "Recurrent herniation or symptoms within 12 months.", example="no"),
    ColumnSpec("satisfied_12m", "boolean", "safety", "Patient satisfied with the result at 12 months.", example="yes"),
)

CANONICAL_COLUMNS: tuple[str, ...] = tuple(c.name for c in COLUMNS)
REQUIRED_COLUMNS: tuple[str, ...] = ("case_id", "condition", "approach")
RECOVERY_COLUMNS: tuple[str, ...] = ("length_of_stay_hours", "return_to_activities_days", "return_to_work_days")
PAIN_COLUMNS: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.group == "pain and function")
# A file must carry at least one of these to be worth analysing (or any catalogue outcome column:
# see is_outcome_column).
OUTCOME_COLUMNS: tuple[str, ...] = RECOVERY_COLUMNS + PAIN_COLUMNS

# Outcome columns of the catalogue beyond the fixed ones (NDI, mJOA, EQ-5D, 24 months…): read, checked
# and kept when a file has them, never added blank when it has not. Custom days ("ndi_d90") too.
OPTIONAL_COLUMNS: tuple[ColumnSpec, ...] = tuple(
    _outcome_spec(m.id, tp) for m in MEASURES.values() for tp in m.timepoints if m.column(tp) not in CANONICAL_COLUMNS
)
COLUMN_BY_NAME: dict[str, ColumnSpec] = {c.name: c for c in (*COLUMNS, *OPTIONAL_COLUMNS)}


def spec_for(name: str) -> ColumnSpec | None:
    """The column's spec: fixed, optional outcome, or a custom-day outcome ("ndi_d90"); None if unknown."""
    spec = COLUMN_BY_NAME.get(name)
    if spec is None:
        parsed = parse_outcome_column(name)
        if parsed is not None:
            spec = _outcome_spec(*parsed)
    return spec


def specs_for(columns) -> tuple[ColumnSpec, ...]:
    """The fixed columns, then the outcome columns beyond them that `columns` holds, in catalogue order."""
    extra = [spec_for(c) for c in columns if c not in CANONICAL_COLUMNS]
    extra = [s for s in extra if s is not None]
    order = {m: i for i, m in enumerate(MEASURES)}

    def key(spec: ColumnSpec) -> tuple[int, int]:
        measure, tp = parse_outcome_column(spec.name)
        return order[measure], timepoint_days(tp)

    return (*COLUMNS, *sorted(extra, key=key))


def is_outcome_column(name: str) -> bool:
    """Stay, return to activities or work, or any catalogue measure at any time point."""
    return name in RECOVERY_COLUMNS or parse_outcome_column(name) is not None


def outcome_columns_in(columns) -> list[str]:
    """The catalogue outcome columns among `columns`, in catalogue then time order."""
    return [s.name for s in specs_for(columns) if s.name in set(columns) and s.group == "pain and function"]


def measures_in(columns) -> list[str]:
    """Catalogue measures with at least one column among `columns`, in catalogue order."""
    present = {p[0] for p in map(parse_outcome_column, columns) if p is not None}
    return [m for m in MEASURES if m in present]


def timepoints_in(measure: str, columns) -> list[str]:
    """Time points (standard and custom) at which `measure` has a column among `columns`, in time order."""
    found = [p[1] for p in map(parse_outcome_column, columns) if p is not None and p[0] == measure]
    return sorted(found, key=timepoint_days)


def pain_column(measure: str, timepoint: str) -> str:
    """Column name of a pain/function score at a time point, e.g. ("vas_leg", "12m") -> "vas_leg_12m"."""
    return outcome_column(measure, timepoint)


# --- spine region -------------------------------------------------------------------------------

_LEVEL_REGION = {"c": "cervical", "t": "thoracic", "th": "thoracic", "l": "lumbar", "s": "lumbar"}
_LEVEL = re.compile(r"^\s*(c|th|t|l|s)\s*-?\s*\d", re.IGNORECASE)
# Procedure words that name the region (ACDF is anterior cervical; TLIF is lumbar). Others say nothing.
_PROCEDURE_REGION = (
    (re.compile(r"\b(acdf|accf|cervical|cervikal|laminoplasty|nakke|halsrygg|hws)\b", re.IGNORECASE), "cervical"),
    (re.compile(r"\b(thoracic|thorakal|bws)\b", re.IGNORECASE), "thoracic"),
    (re.compile(r"\b(tlif|plif|alif|xlif|olif|llif|lumbar|lumbal|lws|korsrygg|ländrygg)\b", re.IGNORECASE), "lumbar"),
)
_REGION_WORDS = {
    "cervical": "cervical", "c": "cervical", "neck": "cervical", "nakke": "cervical", "cervikal": "cervical",
    "thoracic": "thoracic", "t": "thoracic", "th": "thoracic", "thorakal": "thoracic",
    "lumbar": "lumbar", "l": "lumbar", "lumbosacral": "lumbar", "lumbal": "lumbar", "korsrygg": "lumbar", "ländrygg": "lumbar",
}


def region_of_level(level: object) -> str | None:
    """"C5-C6" -> "cervical", "T12-L1" -> "thoracic" (the upper level), "L5-S1" -> "lumbar"; None if unreadable."""
    m = _LEVEL.match(str(level)) if isinstance(level, str) else None
    return _LEVEL_REGION[m.group(1).lower()] if m else None


def region_of_procedure(procedure: object) -> str | None:
    """"ACDF" -> "cervical", "TLIF" -> "lumbar"; None when the words do not say."""
    if not isinstance(procedure, str):
        return None
    for pattern, region in _PROCEDURE_REGION:
        if pattern.search(procedure):
            return region
    return None


def _region_codes(s: pd.Series, fn) -> np.ndarray:
    """Per row, the index into REGION_VALUES that `fn` gives the value (−1: none). One call per
    distinct value and one lookup over the category codes: a million rows hold a few dozen levels."""
    values = s if isinstance(s.dtype, pd.CategoricalDtype) else s.astype("category")
    index = {r: i for i, r in enumerate(REGION_VALUES)}
    lut = np.array([index.get(fn(c), -1) for c in values.cat.categories] + [-1], dtype=np.int8)
    return lut[values.cat.codes.to_numpy()]  # code −1 (missing) reads the last slot


def with_region(cases: pd.DataFrame) -> pd.DataFrame:
    """`cases` with its `region` filled: as recorded (normalised to cervical/thoracic/lumbar), else
    from the level, else from the procedure; blank when none of them says.

    A recorded region the app does not know is left as written (validation then names it).
    """
    recorded = cases["region"] if "region" in cases.columns else None
    if recorded is not None:
        words = recorded.astype("category").cat.categories
        if any(_REGION_WORDS.get(str(v).strip().lower()) is None for v in words):
            # Something that is no region: keep it as written so validation can name it.
            normalised = recorded.astype("object").map(lambda v: _REGION_WORDS.get(str(v).strip().lower(), v) if pd.notna(v) else v)
            codes = _region_codes(cases["spinal_level"], region_of_level) if "spinal_level" in cases.columns else None
            if codes is not None:
                normalised = normalised.where(normalised.notna(), pd.Series(np.asarray(REGION_VALUES + (None,), dtype=object)[codes], index=cases.index))
            out = cases.copy(deep=False)
            out["region"] = normalised.astype("category")
            return out
        codes = _region_codes(recorded, lambda v: _REGION_WORDS.get(str(v).strip().lower()))
    else:
        codes = np.full(len(cases), -1, dtype=np.int8)
    for column, fn in (("spinal_level", region_of_level), ("procedure", region_of_procedure)):
        if column in cases.columns and (codes < 0).any():
            codes = np.where(codes < 0, _region_codes(cases[column], fn), codes)
    if recorded is None and (codes < 0).all():
        return cases
    out = cases.copy(deep=False)
    out["region"] = pd.Categorical.from_codes(codes, categories=pd.Index(list(REGION_VALUES), dtype="str"))
    return out


def to_canonical_dtypes(df: pd.DataFrame) -> pd.DataFrame:
    """Return a frame with every canonical column present in `df` cast to its canonical dtype.

    ids -> str, categories -> category, dates -> datetime64, numbers -> float64 (NaN = missing),
    booleans -> pandas nullable "boolean". Columns are ordered as in the data dictionary; non-canonical
    columns are dropped. Values must already be clean (this casts, it does not parse free text).
    """
    return cast_columns({c: df[c] for c in df.columns if spec_for(c) is not None}, df.index)


def cast_columns(columns: dict[str, pd.Series], index: pd.Index) -> pd.DataFrame:
    """The canonical columns among `columns`, cast and in dictionary order, as one frame.

    Column by column, and a column already in its dtype is not copied: at a million rows, building an
    intermediate DataFrame and casting it consolidates every number column twice (~1 s, ~400 MB).
    Safe to share memory with the input because pandas copies on write.
    """
    cast: dict[str, pd.Series] = {}
    for spec in specs_for(columns):
        if spec.name not in columns:
            continue
        s = columns[spec.name]
        if spec.kind == "id":
            cast[spec.name] = s.astype("str")
        elif spec.kind == "category":
            cast[spec.name] = s if isinstance(s.dtype, pd.CategoricalDtype) else s.astype("category")
        elif spec.kind == "date":
            cast[spec.name] = s if s.dtype == "datetime64[ns]" else pd.to_datetime(s).astype("datetime64[ns]")
        elif spec.kind == "number":
            cast[spec.name] = s if s.dtype == "float64" else pd.to_numeric(s).astype("float64")
        elif spec.kind == "boolean":
            cast[spec.name] = s.astype("boolean")
    return pd.DataFrame(cast, index=index, copy=False)


def data_dictionary() -> pd.DataFrame:
    """The data dictionary as a table for the app, the README and the downloadable template."""
    return pd.DataFrame(
        [
            {
                "column": c.name,
                "group": c.group,
                "type": c.kind,
                "unit": c.unit,
                "allowed range or values": (
                    ", ".join(c.allowed)
                    if c.allowed
                    else (f"{c.min:g}–{c.max:g}" if c.min is not None and c.max is not None else "")
                ),
                "required": "yes" if c.name in REQUIRED_COLUMNS else "",
                "description": c.description,
                "example": c.example,
            }
            for c in COLUMNS
        ]
    )


def data_dictionary_markdown() -> str:
    """The data dictionary as a Markdown table (the README embeds this; a test keeps them in sync)."""
    table = data_dictionary()
    cols = ["column", "type", "unit", "allowed range or values", "required", "description"]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in table[cols].itertuples(index=False):
        cells = [f"`{row[0]}`", *(str(v).replace("|", "/") for v in row[1:])]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def measure_table() -> pd.DataFrame:
    """The outcome measures of the catalogue as a table: one row per measure, for the Data page and README."""
    rows = []
    for m in MEASURES.values():
        if m.kind == "rating":
            threshold = f"{m.cutoff:g} or {'more' if m.higher_is_better else 'less'} at follow-up"
            source = m.cutoff_source
        else:
            threshold = f"{m.mcid:g}" if m.mcid is not None else "—"
            source = m.mcid_source
        rows.append(
            {
                "measure": m.id,
                "label": m.label,
                "instrument": m.instrument,
                "region": ", ".join(m.regions),
                "scale": m.scale,
                "better": m.better,
                "time points": ", ".join(m.timepoints),
                "columns": f"{m.id}_<time point>",
                "default MCID or cut-off": threshold,
                "source": source,
                "where studies disagree": m.mcid_range,
            }
        )
    return pd.DataFrame(rows)


# The Data page's measure table: the columns that fit a tablet (820 px with the sidebar open) on one line
# each; the instrument, full citation and where studies disagree go in measure_sources_markdown below it.
# The MCID and its source come right after the label, so a narrow screen shows them without scrolling sideways.
MEASURE_TABLE_SHORT = ("measure", "label", "default MCID or cut-off", "source", "better", "scale", "region", "time points")
SHORT_SOURCE_CHARS = 28


def short_source(source: str) -> str:
    """A citation as a table cell: "Parai et al., Eur Spine J 2020;29:663–9, …" -> "Parai 2020"; several
    citations by one author -> "Mannion 2020, 2009"; anything else cut at a word to SHORT_SOURCE_CHARS + "…"."""
    cited: dict[str, list[str]] = {}
    for author, year in re.findall(r"([A-Z][\w'’-]+) et al\.,[^;()]*?\b((?:19|20)\d\d)\b", source):
        cited.setdefault(author, []).append(year)
    if cited:
        return "; ".join(f"{a} {', '.join(dict.fromkeys(y))}" for a, y in cited.items())
    if len(source) <= SHORT_SOURCE_CHARS:
        return source
    if code := re.search(r"\(([A-Z]\w+)/\w", source):  # "(Rapporteket/rygg R/…)": the registries' own code
        return code.group(1)
    if 0 < source.find(":") <= SHORT_SOURCE_CHARS:  # "no published default: set your own"
        return source.split(":")[0]
    return source[:SHORT_SOURCE_CHARS].rsplit(" ", 1)[0].rstrip(" ,;(") + "…"


def measure_table_short() -> pd.DataFrame:
    """measure_table's MEASURE_TABLE_SHORT columns, the source as short_source (the full one: measure_sources_markdown)."""
    table = measure_table()[list(MEASURE_TABLE_SHORT)]
    # "4 or more at follow-up" -> "4 or more": a rating's cut-off is read at follow-up (said in full below the table).
    cutoff = table["default MCID or cut-off"].str.removesuffix(" at follow-up")
    return table.assign(**{"default MCID or cut-off": cutoff, "source": table["source"].map(short_source)})


def measure_sources_markdown() -> str:
    """Every measure's instrument, default MCID or cut-off with its full source, and where studies disagree, as a
    Markdown list (under the Data page's measure table, whose source cells are short)."""
    lines = []
    for r in measure_table().to_dict("records"):  # by column name: the headers have spaces
        default = r["default MCID or cut-off"] if r["default MCID or cut-off"] != "—" else ""
        line = f"- **{r['label']}** (`{r['measure']}`, {r['instrument']}): " + (f"{default} — {r['source']}" if default else r["source"])
        if r["where studies disagree"]:
            line += f". Where studies disagree: {r['where studies disagree']}"
        lines.append(line + ".")
    return "\n".join(lines)


def _markdown(table: pd.DataFrame, cols: list[str]) -> str:
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in table[cols].itertuples(index=False):
        cells = [f"`{row[0]}`", *(str(v).replace("|", "/") for v in row[1:])]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def measure_table_markdown() -> str:
    """The measure catalogue as a Markdown table (the README embeds this; a test keeps them in sync)."""
    return _markdown(measure_table(), ["measure", "label", "region", "scale", "better", "time points"])


def mcid_table_markdown() -> str:
    """Every measure's default MCID (or cut-off) with its source and where studies disagree, as a Markdown
    table for the README's methods section (a test checks it against data/measures.csv itself)."""
    return _markdown(measure_table(), ["measure", "label", "better", "default MCID or cut-off", "source", "where studies disagree"])


if __name__ == "__main__":
    print(data_dictionary_markdown())
    print()
    print(measure_table_markdown())
    print()
    print(mcid_table_markdown())
