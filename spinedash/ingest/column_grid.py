"""The import's Columns step as a table: one row per source column, its sample values, what it is read as.

Pure (no Streamlit): the wizard draws `column_grid(...)` as an editable table whose "read as" cell is a
choice among `read_as_options()`, and turns the edited table back into the profile's "columns"
section with `columns_from_grid(...)`. Every choice is a canonical column, a measure × time point, or
"ignore"; what is ignored is the user's visible choice (the profile records it as null and the
import's report names it).
"""

from __future__ import annotations

import pandas as pd

from spinedash import schema
from spinedash.ingest.cells import _cell_text
from spinedash.ingest.map import ColumnChoice, _candidates, choose_columns
from spinedash.ingest.shape import detect_layout
from spinedash.ingest.validate import column_label

IGNORE = "ignore"
GRID_COLUMNS = ("column in your file", "read as", "examples", "why")  # "read as" second: in view on a tablet
_HOW_WORDS = {"header": "its name", "profile": "your choice (profile)", "blank": "empty"}


def read_as_targets() -> list[str]:
    """Every column a source column can be read as: the case columns, then each measure at each time point."""
    outcome = [f"{m}_{tp}" for m, info in schema.MEASURES.items() for tp in info.timepoints]
    fixed = [c for c in schema.CANONICAL_COLUMNS if schema.parse_outcome_column(c) is None]
    return list(dict.fromkeys([*fixed, *outcome, *(c for c in schema.CANONICAL_COLUMNS if c not in fixed)]))


def target_label(target: str | None) -> str:
    """A target as the grid shows it: "VAS leg pain at 12 months (vas_leg_12m)"; None -> "ignore"."""
    if target is None:
        return IGNORE
    label = column_label(target)
    return label if label.replace(" ", "_") == target else f"{label} ({target})"


def read_as_options() -> list[str]:
    """The "read as" cell's choices, in order: "ignore", then every target in the surgeon's words."""
    return [IGNORE, *(target_label(t) for t in read_as_targets())]


def _target_of(label: object) -> str | None:
    """The target a "read as" label names (inverse of `target_label`); None for "ignore" or a blank cell."""
    text = str(label or "").strip()
    if not text or text == IGNORE:
        return None
    if text.endswith(")") and "(" in text:
        text = text[text.rindex("(") + 1:-1]
    return text if text in set(read_as_targets()) else next((t for t in read_as_targets() if target_label(t) == str(label).strip()), None)


def _why(choice: ColumnChoice, shaping: set[str], case_id: str | None = None) -> str:
    if choice.source == case_id and choice.target == "case_id":
        return "the case id the layout names (Layout step)"
    if choice.how == "unmatched":
        if choice.source in shaping:
            return "used to lay out the cases (Layout step)"
        if choice.candidates:
            return "not recognised; maybe " + ", ".join(column_label(c) for c in choice.candidates)
        return "not recognised"
    if choice.how == "measure":
        tp = choice.source.rsplit("@", 1)[1] if "@" in choice.source else None
        if not tp:
            return "its name"
        when = schema.timepoint_label(tp).lower()
        return f"its name, {when}" if tp == "pre" else f"its name, at {when}"
    if choice.flag is not None:
        return choice.note  # "a yes/no flag: yes = infection, no = none" (several are read together)
    if choice.how == "ignored":
        base = choice.source.rsplit("@", 1)[0] if "@" in choice.source else choice.source
        maybe = _candidates(base)
        return "left out" + ("; maybe " + ", ".join(column_label(c) for c in maybe) if maybe else "")
    return _HOW_WORDS.get(choice.how, choice.how)


def column_grid(frame: pd.DataFrame, choices: list[ColumnChoice], shaping: set[str] | frozenset[str] = frozenset(),
                case_id: str | None = None, examples: int = 3) -> pd.DataFrame:
    """One row per source column (blank unnamed columns left out): its name, a few distinct values,
    what it is read as (the suggestion or the profile's choice; "ignore" when nothing fits) and why,
    with the best candidates for a column that was not recognised."""
    rows = []
    for c in choices:
        if c.how == "blank":
            continue
        column = frame.iloc[:, c.position].dropna().head(500)
        # Cells as a person sees them: an age of 50 read as a number is "50", not "50.0".
        values = column.map(_cell_text).astype("str").str.strip() if column.dtype.kind == "f" else column.astype("str").str.strip()
        sample = [v for v in values.unique()[: examples + 2] if v][:examples]
        rows.append({"column in your file": c.source, "examples": ", ".join(sample),
                     "read as": target_label(c.target), "why": _why(c, set(shaping), case_id)})
    return pd.DataFrame(rows, columns=list(GRID_COLUMNS))


def columns_from_grid(choices: list[ColumnChoice], read_as: dict[str, object], columns: dict | None = None,
                      shaping: set[str] | frozenset[str] = frozenset(), timepoint: dict[str, str] | None = None) -> dict:
    """The profile's "columns" section after the user's grid: `columns` (the profile's so far) with
    every row whose "read as" differs from what the file gave, and every column shown as "ignore" as
    null (a visible choice). A pivoted column ("ODI@12m") read as the same measure at its own time
    point is saved by the measure and its name before "@", so next month every time point follows.

    Args:
        choices: the ColumnChoices the grid was drawn from (`choose_columns`).
        read_as: source column -> the grid's "read as" label.
        columns: the profile's "columns" section before the edit.
        shaping: columns the layout uses (patient id, time point…): never recorded as ignored.
        timepoint: pivoted column -> time point id, from the shape stage.
    """
    out = dict(columns or {})
    timepoint = timepoint or {}
    for c in choices:
        if c.how == "blank" or c.source not in read_as:
            continue
        target = _target_of(read_as[c.source])
        base = c.source.rsplit("@", 1)[0] if "@" in c.source else c.source
        if target is None:
            if c.source in shaping and c.target is None:
                continue  # the layout uses it; leaving it unread is not a choice to record
            if c.how != "ignored":
                out[c.source] = None  # shown as "ignore": recorded, so the report names it as the user's choice
            continue
        if target == c.target and c.how in ("header", "profile", "measure"):
            continue  # unchanged
        tp = timepoint.get(c.source) or (c.source.rsplit("@", 1)[1] if "@" in c.source else None)
        parsed = schema.parse_outcome_column(target)
        if "@" in c.source and parsed and tp == parsed[1]:
            out[base] = parsed[0]  # the measure; the layout gives each pivoted column its time point
            out.pop(c.source, None)
        else:
            out[c.source] = target
    return out


def ignored_columns(columns: dict | None) -> list[str]:
    """Source columns the profile leaves out by the user's choice (null), in order."""
    return [str(k) for k, v in (columns or {}).items() if v is None]


def duplicate_targets(choices: list[ColumnChoice]) -> dict[str, list[str]]:
    """Targets more than one source column is read as (the check refuses these): target -> sources.
    Yes/no flag columns named by a complication (Dauralaesion, Infektion) are not: together they
    give the complication (spinedash.ingest.map combines them)."""
    seen: dict[str, list[ColumnChoice]] = {}
    for c in choices:
        if c.target is not None:
            seen.setdefault(c.target, []).append(c)
    return {t: [c.source for c in cs] for t, cs in seen.items()
            if len(cs) > 1 and not (t == "complication" and all(c.flag is not None for c in cs))}


def template_fits(tables: dict[str, pd.DataFrame]) -> bool:
    """True when the files read like SpineDash's template: one table of one row per operated case whose
    headers name the case id, the condition and the approach (or the technique). Such an upload needs no questions
    before "Check and use" (the check itself still says what is wrong with it)."""
    guess = detect_layout(tables)
    if guess.kind != "wide" or len({name.split("/", 1)[0] for name in tables}) != 1:
        return False  # several files are one export laid out some other way: the steps ask how
    frame = tables[guess.settings.get("table") or next(iter(tables))]
    choices, _ = choose_columns([str(c) for c in frame.columns], None, None, frame)
    named = {c.target for c in choices}
    if "technique" in named:
        named.add("approach")  # the map stage reads the approach from the technique when there is no approach column
    return set(schema.REQUIRED_COLUMNS) <= named


def unrecognised(choices: list[ColumnChoice], shaping: set[str] | frozenset[str] = frozenset()) -> list[tuple[str, list[str]]]:
    """Columns read as nothing that the layout does not use either, each with its best candidates in words."""
    out = []
    for c in choices:
        if c.target is None and c.how in ("unmatched", "ignored") and c.source not in shaping:
            base = c.source.rsplit("@", 1)[0] if "@" in c.source else c.source
            out.append((c.source, [column_label(t) for t in (c.candidates or _candidates(base))]))
    return out
