"""The import's Codes and Units steps as tables: pure builders and their inverse (no Streamlit).

Codes: one table per categorical column, a row per distinct value: the value, its rows, SpineDash's
suggestion (knowledge-base aliases, or a standard such as ISO/IEC 5218 for sex 1/2), what it **maps
to** (the one editable cell) and a note. A value SpineDash recognised maps to its suggestion; an
ambiguous word ("MIS") or an unknown code starts as "(leave unmapped)", never guessed, and the import
reports it with its rows until the user chooses. `codes_from_grid` turns an edited table back into
the profile's code table for that column, touching only the rows the user changed, so looking at a
table never changes a profile.

Units: one table, a row per column or measure whose unit was decided, with the evidence ("max 14,
median 2: looks like days") and the **unit** (editable; the choices allowed for that row are named
beside it). `units_from_grid` gives the profile's "units" section back.
"""

from __future__ import annotations

import re

import pandas as pd

from spinedash import schema
from spinedash.ingest.map import Mapped, UnitDecision, _unit_factor, decide_stay_unit, decide_vas_scale, value_table
from spinedash.knowledge import load_knowledge

LEAVE_UNMAPPED = "(leave unmapped)"
BLANK = "(blank: missing)"  # a profile's code mapped to null: the cell is read as missing
CODE_COLUMNS = ("value in your file", "rows", "suggested", "maps to", "note")  # shown, in this order
_STATUS = "status"  # value_table's status, kept beside the shown columns for codes_from_grid
DETAIL = "detail"  # the knowledge base's whole note (the "note" cell is one line), said under the table
UNIT_COLUMNS = ("column", "unit", "evidence", "choices")  # the cell to edit, then why: in view on a tablet

_CODED = ("sex", "condition", "approach", "complication", "technique", "procedure")

# The units a column may be given in, the canonical one first; VAS/NRS measures (0–10 in
# data/measures.csv) may arrive on 0–100.
UNIT_CHOICES: dict[str, tuple[str, ...]] = {
    "length_of_stay_hours": ("hours", "days"),
    "operation_minutes": ("minutes", "hours"),
    "return_to_activities_days": ("days", "weeks"),
    "return_to_work_days": ("days", "weeks"),
    "last_followup_days": ("days", "weeks", "months"),
}
SCALE_CHOICES = ("0-10", "0-100")


def _spec(target: str):
    return schema.spec_for(target) if hasattr(schema, "spec_for") else schema.COLUMN_BY_NAME.get(target)


def is_coded(target: str | None) -> bool:
    """True for a column whose values are codes or words to map (sex, approach, yes/no, a rating…)."""
    if target is None:
        return False
    spec = _spec(target)
    return spec is not None and (target in _CODED or spec.kind == "boolean" or target.startswith("satisfaction_score"))


def code_options(target: str) -> list[str]:
    """The canonical values a coded column's values can map to, in the catalogue's order."""
    spec = _spec(target)
    if spec is not None and spec.allowed:
        return list(spec.allowed)
    if spec is not None and spec.kind == "boolean":
        return ["yes", "no"]
    if target.startswith("satisfaction_score"):  # SpineDash's rating, 1 (worst) … 5 (best)
        return ["1", "2", "3", "4", "5"]
    kb = load_knowledge()
    if target in ("condition", "approach", "technique", "procedure"):
        names = list(kb.names(target))
        if target == "approach":
            names += [a for a in kb.undescribed_approaches if a not in names]
        return names
    return []


def is_rating(target: str, grid: pd.DataFrame) -> bool:
    """A satisfied yes/no column holding only numbers: a rating, answered by a cut-off, not a table."""
    return target.startswith("satisfied") and not grid.empty \
        and grid["value in your file"].astype(str).str.fullmatch(r"\d+(\.0)?").all()


def code_table_key(codes_section: dict | None, target: str, source: str) -> str:
    """Where the profile keeps a column's code table: the key the map stage reads it under (the
    canonical column, the source header or its name before "@", or the measure), else the column."""
    section = codes_section or {}
    parsed = schema.parse_outcome_column(target)
    for key in (target, source, source.rsplit("@", 1)[0], parsed[0] if parsed else None):
        if key is not None and key in section:
            return key
    return target


def _candidates(note: str, options: list[str]) -> list[str]:
    """The choices value_table names in an ambiguous value's note ("Which one? A, B. …")."""
    m = re.match(r"Which one\? (.*)", note or "", re.S)
    if not m:
        return []
    text = m.group(1)
    return sorted((o for o in options if o in text), key=text.index)


def _either(choices: list[str]) -> str:
    return choices[0] if len(choices) == 1 else f"{', '.join(choices[:-1])} or {choices[-1]}"


def _code_for(codes: dict, value: str):
    if value in codes:
        return True, codes[value]
    if value.endswith(".0") and value[:-2] in codes:  # Excel and Parquet give 1.0 for the code 1
        return True, codes[value[:-2]]
    return False, None


def code_grid(raw: pd.Series, target: str, codes: dict | None = None, source: str | None = None) -> pd.DataFrame:
    """The Codes table of one column: a row per distinct value, most frequent first.

    Args:
        raw: the source column's cells.
        target: the canonical column it is read as ("sex", "approach", …).
        codes: the profile's code table for this column (source value -> canonical value; null = missing).
        source: the column's header (a complication flag such as "Dauralaesion" reads ja/nein by it).

    Returns:
        Columns CODE_COLUMNS, then "status" (value_table's) and "detail" (the whole note), not shown. "suggested" is what SpineDash would read the value as (blank when it
        cannot tell); "maps to" is the profile's choice, else the suggestion for a recognised value,
        else LEAVE_UNMAPPED (ambiguous words and unknown codes are never filled in).
    """
    codes = {str(k).strip(): v for k, v in (codes or {}).items()}
    table = value_table(raw, target, None, source=source)  # SpineDash's own reading, before the profile's codes
    options = code_options(target)
    rows = []
    for r in table.itertuples(index=False):
        value, suggestion = str(r.value), (None if pd.isna(r.maps_to) else str(r.maps_to))
        note = detail = str(r.note or "")
        if r.status == "ask":
            choices = _candidates(note, options)
            note = f"ambiguous: {value} could be {_either(choices) if choices else 'several things'} — choose"
            rest = re.sub(r"^Which one\? .*?\. ", "", detail) if choices else detail
            detail = f"ambiguous, could be {_either(choices)}. {rest}".strip() if choices else rest
        elif r.status == "suggested":
            note = "suggested by a standard, not applied — choose"
        elif r.status == "unmapped":
            note = note or f"not recognised — choose, or leave it unmapped ({unmapped_fate(target)})"
        have, code = _code_for(codes, value)
        if have:
            maps_to = BLANK if code is None else str(code)
            note = "your choice (profile)" + (f": {value} was ambiguous" if r.status == "ask" else "")
        elif r.status == "recognised":
            maps_to = suggestion
        else:
            maps_to = LEAVE_UNMAPPED
        rows.append({"value in your file": value, "rows": int(r.count), "suggested": suggestion or "",
                     "maps to": maps_to, "note": note, _STATUS: str(r.status),
                     DETAIL: "" if detail == note else detail})
    return pd.DataFrame(rows, columns=[*CODE_COLUMNS, _STATUS, DETAIL])


def maps_to_options(target: str, grid: pd.DataFrame) -> list[str]:
    """The "maps to" cell's choices: the canonical values, anything the table already shows, and LEAVE_UNMAPPED."""
    shown = [str(v) for v in grid["maps to"] if v not in (None, LEAVE_UNMAPPED)] if not grid.empty else []
    return list(dict.fromkeys([*code_options(target), *shown, LEAVE_UNMAPPED]))


def codes_from_grid(built: pd.DataFrame, edited: pd.DataFrame, codes: dict | None = None) -> dict:
    """The column's code table after the user's edits: `codes` with each changed row applied.

    A row set to LEAVE_UNMAPPED loses its code (a recognised value goes back to SpineDash's reading);
    a row set to its own suggestion for a recognised value needs no code; any other choice is recorded.
    Rows the user did not change are left as they were, so an unedited table returns `codes` unchanged.
    """
    out = {str(k).strip(): v for k, v in (codes or {}).items()}
    before = built.set_index("value in your file")
    for value, pick in zip(edited["value in your file"], edited["maps to"], strict=True):
        value = str(value)
        pick = None if pick is None or (isinstance(pick, float) and pd.isna(pick)) or str(pick).strip() == "" else str(pick)
        if value not in before.index or pick == before.at[value, "maps to"]:
            continue
        key = value if value in out or not value.endswith(".0") or value[:-2] not in out else value[:-2]
        recognised = before.at[value, _STATUS] == "recognised"
        if pick in (None, LEAVE_UNMAPPED):
            out.pop(key, None)
        elif pick == BLANK:
            out[key] = None
        elif recognised and pick == before.at[value, "suggested"]:
            out.pop(key, None)
        else:
            out[key] = pick
    return out


def unmapped_fate(target: str) -> str:
    """What the import does with a value left unmapped in this column, in the user's words (the map stage's rules)."""
    if target == "complication":
        return "counted as 'other'; the report says which"
    if target in ("technique", "procedure"):
        return "kept as written"
    return "the check refuses them and names their rows"


def unmapped_values(grid: pd.DataFrame) -> list[tuple[str, int]]:
    """The values a Codes table leaves unmapped, with their rows: what the import will report."""
    left = grid[grid["maps to"] == LEAVE_UNMAPPED]
    return [(str(v), int(n)) for v, n in zip(left["value in your file"], left["rows"], strict=True)]


# ---------------------------------------------------------------------------------------------
# Units
# ---------------------------------------------------------------------------------------------

def unit_choices(column: str, decision: UnitDecision) -> tuple[str, ...]:
    """The units a column (or a 0–10 measure) may be read in; () when there is nothing to choose."""
    choices = UNIT_CHOICES.get(column) or (SCALE_CHOICES if decision.unit in SCALE_CHOICES else ())
    return choices if decision.unit in choices else ()


def unit_options() -> list[str]:
    """Every unit any row may take (one SelectboxColumn serves the whole table)."""
    return list(dict.fromkeys([u for choices in UNIT_CHOICES.values() for u in choices] + list(SCALE_CHOICES)))


def _values_evidence(column: str, decision: UnitDecision, mapped: Mapped) -> str | None:
    """What the values say when the unit came from the profile: the mapped values converted back."""
    if column == "length_of_stay_hours" and column in mapped.columns:
        factor = _unit_factor(decision.unit, "hours") or 1.0
        return decide_stay_unit(mapped.columns[column] / factor).evidence
    measures = getattr(schema, "MEASURES", {})
    if column in measures and decision.unit in SCALE_CHOICES:
        back = 10.0 if decision.unit == "0-100" else 1.0
        cols = [c for c in mapped.columns if (schema.parse_outcome_column(c) or ("", ""))[0] == column]
        if cols:
            return decide_vas_scale([(mapped.columns[c] * back).to_numpy(dtype="float64", na_value=float("nan"))
                                     for c in cols]).evidence
    return None


def unit_label(column: str, mapped: Mapped | None = None) -> str:
    """A Units row's name: "LOS → hospital stay" (the header in the file, then what it is read as),
    or "VAS leg (all time points)" for a measure."""
    from spinedash.ingest.validate import column_label

    measures = getattr(schema, "MEASURES", {})
    if column in measures:
        return f"{measures[column].short_label} (all time points)"
    label = column_label(column)
    header = (mapped.header_for.get(column) if mapped is not None else None) or ""
    return f"{header} → {label}" if header and header.casefold() != label.casefold() else label


def unit_grid(mapped: Mapped) -> pd.DataFrame:
    """The Units table: a row per decided column or measure (index: its id), with the evidence.

    A unit from the user's profile still shows what the values say, so a wrong choice is visible.
    """
    rows, index = [], []
    for column, decision in mapped.units.items():
        choices = unit_choices(column, decision)
        if not choices:
            continue
        evidence = decision.evidence
        if decision.source == "profile":
            said = _values_evidence(column, decision, mapped)
            evidence = f"{said}; your choice: {decision.unit}" if said else f"your choice: {decision.unit}"
        rows.append({"column": unit_label(column, mapped), "evidence": evidence, "unit": decision.unit, "choices": " or ".join(choices)})
        index.append(column)
    return pd.DataFrame(rows, columns=list(UNIT_COLUMNS), index=pd.Index(index, name="id", dtype="object"))


def units_from_grid(built: pd.DataFrame, edited: pd.DataFrame, units: dict | None = None) -> tuple[dict, list[str]]:
    """The profile's "units" section after the user's edits, and a message per choice refused.

    Only rows whose unit changed are recorded (as the column id, e.g. "length_of_stay_hours", or the
    measure, e.g. "vas_leg"); a unit not allowed for its row is refused and named.
    """
    out = dict(units or {})
    refused = []
    for column, pick in zip(edited.index, edited["unit"], strict=True):
        if column not in built.index or pick == built.at[column, "unit"] or pick is None or pd.isna(pick):
            continue
        allowed = built.at[column, "choices"].split(" or ")
        if str(pick) not in allowed:
            refused.append(f"{built.at[column, 'column']} cannot be read in {pick}: choose {built.at[column, 'choices']}.")
            continue
        out[column] = str(pick)
    return out, refused
