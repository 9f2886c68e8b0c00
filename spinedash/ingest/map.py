"""Map stage: source columns, codes and units onto the canonical columns of `spinedash.schema`.

Header spellings (measure × time point word forms plus a table of aliases), code tables (sex,
yes/no, complications, knowledge-base aliases for approach and condition), units (stay in days or
hours, VAS 0–100 or 0–10). No Streamlit.
"""

from __future__ import annotations

import functools
import re
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from spinedash import schema
from spinedash.catalogue import load_catalogue
from spinedash.ingest.cells import (
    _COMPLICATION_WORDS,
    _SEX_WORDS,
    _by_unique,
    _clip,
    _examples,
    _normalise_levels,
    _text,
    _text_series,
    _to_bool,
    _to_date,
    _to_label,
    _to_mapped,
    _to_number,
)
from spinedash.knowledge import load_knowledge, normalise_label
from spinedash.validation import Problem, make_problem


def _key(text: object) -> str:
    """Compact matching key of a header: case-folded letters and digits only ("LOS (days)" -> "losdays")."""
    return re.sub(r"[\W_]+", "", str(text).casefold())


def _tokens(text: object) -> list[str]:
    return re.findall(r"[^\W_]+", str(text).casefold())


# Header words for each measure and time point come from the catalogue (data/measures.csv and
# data/timepoints.csv, column `aliases`), so a new measure needs no code here.
_MEASURE_WORDS: dict[str, tuple[str, ...]] = {m.id: m.aliases for m in schema.MEASURES.values()}
_TIMEPOINT_WORDS: dict[str, tuple[str, ...]] = {t: load_catalogue().timepoints[t].aliases for t in schema.TIMEPOINT_DAYS}
_TWELVE_MONTH_WORDS: dict[str, tuple[str, ...]] = {
    # "revision" alone is the revision column (first operation or revision), not a reoperation within 12 months.
    "reoperation_12m": ("reoperation", "reoperated", "re operation", "reop", "reoperation same level"),
    "recurrence_12m": ("recurrence", "recurrent herniation", "reherniation", "re herniation", "recurrence of symptoms"),
    "satisfied_12m": ("satisfied", "satisfaction", "patient satisfied", "satisfied with result", "fornoyd", "fornøyd"),
}

# Explicit spellings seen in exports. Headers that carry a unit ("LOS (days)") are handled by
# _UNIT_BASES below, so only unit-free spellings belong here.
_EXPLICIT_ALIASES: dict[str, tuple[str, ...]] = {
    "case_id": ("case id", "case", "case no", "case number", "patient id", "patient", "patient no", "patient number", "id", "record id", "study id", "subject id", "pseudonym", "pasient id"),
    "surgery_date": ("date of surgery", "surgery date", "date of operation", "operation date", "op date", "operated on", "procedure date", "date", "dos", "operasjonsdato"),
    "age": ("age", "age at surgery", "patient age", "alder"),
    "sex": ("sex", "gender", "kjonn", "kjønn"),
    "condition": ("condition", "diagnosis", "primary diagnosis", "indication", "dx", "pathology", "diagnose"),
    "approach": ("approach", "surgical approach", "operative approach", "access", "approach family"),
    "procedure": ("procedure", "operation", "operation type", "procedure type", "surgery type", "type of surgery", "intervention", "inngrep"),
    "spinal_level": ("level", "levels", "spinal level", "operated level", "level operated", "segment", "vertebral level", "nivå", "niva"),
    "surgeon": ("surgeon", "operating surgeon", "surgeon code", "operator", "kirurg"),
    "site": ("site", "hospital", "clinic", "centre", "center", "unit", "sykehus"),
    "anesthesia": ("anesthesia", "anaesthesia", "anesthetic", "anaesthetic", "anesthesia type", "anaesthesia type", "type of anaesthesia", "type of anesthesia"),
    "employed_before_surgery": ("employed", "employed before surgery", "employed preop", "employed pre op", "working before surgery", "in work", "in work before surgery", "working"),
    "technique": ("surgical technique", "teknikk", "operative technique", "technique detail", "surgical technique detail", "visualisation", "visualization", "magnification", "endoscopic technique"),
    "revision": ("revision", "revision surgery", "reoperation at this level", "previous surgery same level", "first operation or revision", "reoperasjon"),
    "region": ("region", "spine region", "spinal region", "anatomical region"),
    "complication": ("complication", "complications", "main complication", "complication type", "adverse event", "komplikasjon"),
}

# Columns that carry a unit: header stem (without the unit) -> column. "LOS (days)", "Op time (min)".
_UNIT_BASES: dict[str, tuple[str, ...]] = {
    "length_of_stay_hours": ("los", "length of stay", "length of hospital stay", "stay", "hospital stay", "inpatient stay", "hospitalisation", "hospitalization", "liggetid"),
    "operation_minutes": ("op time", "operation time", "operative time", "operating time", "surgery time", "surgical time", "duration of surgery", "surgery duration", "op duration", "skin to skin", "operation", "duration", "operasjonstid"),
    "blood_loss_ml": ("ebl", "blood loss", "estimated blood loss", "bloodloss", "blodtap"),
    "return_to_activities_days": ("rta", "rtda", "return to activities", "return to daily activities", "return to activity", "return to normal activities", "back to daily activities", "daily activities"),
    "return_to_work_days": ("rtw", "return to work", "back to work", "time to return to work", "time to work"),
    "last_followup_days": ("last follow up", "last followup", "follow up", "followup", "fu", "last fu", "follow up time", "time to last follow up"),
    "age": ("age", "age at surgery"),
}
_CANONICAL_UNIT: dict[str, str] = {
    "length_of_stay_hours": "hours",
    "operation_minutes": "minutes",
    "blood_loss_ml": "mL",
    "return_to_activities_days": "days",
    "return_to_work_days": "days",
    "last_followup_days": "days",
    "age": "years",
}
_UNIT_WORDS: dict[str, str] = {
    **dict.fromkeys(("days", "day", "d", "dager", "dogn", "døgn"), "days"),
    **dict.fromkeys(("hours", "hour", "hrs", "hr", "h", "timer"), "hours"),
    **dict.fromkeys(("minutes", "minute", "mins", "min", "minutter"), "minutes"),
    **dict.fromkeys(("weeks", "week", "wks", "wk", "uker"), "weeks"),
    **dict.fromkeys(("ml", "millilitres", "milliliters"), "mL"),
    **dict.fromkeys(("years", "year", "yrs", "yr", "y", "år"), "years"),
}
_SECONDS = {"minutes": 60, "hours": 3600, "days": 86400, "weeks": 604800}


def _unit_factor(unit: str, canonical_unit: str) -> float | None:
    """Multiplier from `unit` to `canonical_unit`; None when the two cannot be converted."""
    if unit == canonical_unit:
        return 1.0
    if unit in _SECONDS and canonical_unit in _SECONDS:
        return _SECONDS[unit] / _SECONDS[canonical_unit]
    return None


def _build_aliases() -> dict[str, tuple[str, str | None]]:
    """Compact key -> (canonical column, unit the header states or None)."""
    table: dict[str, tuple[str, str | None]] = {}

    def add(alias: str, column: str, unit: str | None = None) -> None:
        k = _key(alias)
        if k in table and table[k][0] != column:
            raise RuntimeError(f"header alias {alias!r} maps to both {table[k][0]} and {column}")
        table.setdefault(k, (column, unit))

    for spec in schema.COLUMNS:
        add(spec.name, spec.name, _CANONICAL_UNIT.get(spec.name))
    for spec in schema.OPTIONAL_COLUMNS:
        add(spec.name, spec.name)
    for measure, m in schema.MEASURES.items():
        for tp in m.timepoints:
            for word in _MEASURE_WORDS[measure]:
                for when in _TIMEPOINT_WORDS[tp]:
                    add(f"{word} {when}", f"{measure}_{tp}")
                    add(f"{when} {word}", f"{measure}_{tp}")
                    add(f"{word} at {when}", f"{measure}_{tp}")
    for column, words in _TWELVE_MONTH_WORDS.items():
        for word in words:
            add(word, column)
            for when in _TIMEPOINT_WORDS["12m"]:
                add(f"{word} {when}", column)
                add(f"{word} within {when}", column)
    for column, words in _EXPLICIT_ALIASES.items():
        for word in words:
            add(word, column)
    for column, words in _UNIT_BASES.items():
        for word in words:
            if _key(word) not in table:
                add(word, column)
    return table


_ALIASES = _build_aliases()
_BASE_ALIASES = {_key(w): column for column, words in _UNIT_BASES.items() for w in words}


def match_header(header: object) -> tuple[str, str | None] | None:
    """The canonical column a header means, and the unit it states: "LOS (days)" -> ("length_of_stay_hours", "days").

    Returns None for a header that matches no column.
    """
    key = _key(header)
    if not key:
        return None
    if key in _ALIASES:
        return _ALIASES[key]
    name = str(header).strip().casefold()
    if schema.parse_outcome_column(name) is not None:  # a custom day: "ndi_d90"
        return name, None
    tokens = _tokens(header)
    if len(tokens) >= 2 and tokens[-1] in _UNIT_WORDS:
        unit = _UNIT_WORDS[tokens[-1]]
        stem = tokens[:-1]
        if stem and stem[-1] in {"in", "i"}:  # "LOS in days", "liggetid i døgn"
            stem = stem[:-1]
        column = _BASE_ALIASES.get("".join(stem))
        if column and _unit_factor(unit, _CANONICAL_UNIT[column]) is not None:
            return column, unit
    return None


def header_aliases(column: str, limit: int = 6) -> list[str]:
    """A few accepted header spellings for a column, for the data dictionary."""
    words: list[str] = []
    if column in _EXPLICIT_ALIASES:
        words += list(_EXPLICIT_ALIASES[column])
    if column in _UNIT_BASES:
        unit = _CANONICAL_UNIT[column]
        words += [f"{w} ({'min' if unit == 'minutes' else unit})" for w in _UNIT_BASES[column][:3]]
        if column == "length_of_stay_hours":
            words.insert(0, "LOS (days)")
    if column in _TWELVE_MONTH_WORDS:
        words += list(_TWELVE_MONTH_WORDS[column])
    parsed = schema.parse_outcome_column(column)
    if parsed is not None and parsed[1] in _TIMEPOINT_WORDS:
        measure, tp = parsed
        words += [f"{w} {t}" for w in _MEASURE_WORDS[measure][:2] for t in _TIMEPOINT_WORDS[tp][:2]]
    seen = dict.fromkeys(w for w in words if w != column)
    return list(seen)[:limit]


# ---------------------------------------------------------------------------------------------
# The pipeline.
# ---------------------------------------------------------------------------------------------

def _category_lookups() -> dict[str, tuple[dict[str, str], tuple[str, ...], str]]:
    """kind -> ({normalised alias: canonical name}, canonical names in display order, an example alias)."""
    kb = load_knowledge()
    out = {}
    for kind, names in (("approach", kb.approach_names), ("condition", kb.condition_names)):
        aliases = kb.aliases[kb.aliases["kind"] == kind]
        hint = f", such as {aliases['alias'].iloc[0]} for {aliases['canonical'].iloc[0]}" if len(aliases) else ""
        out[kind] = (kb.alias_lookup(kind), tuple(names), hint)
    return out


@functools.cache
def _background() -> ThreadPoolExecutor:
    """One worker thread for checks that release the GIL while the reader goes on (see load_outcomes)."""
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="spinedash-ingest")



@dataclass
class Mapped:
    """The map stage's answer: canonical columns as typed Series, and what mapping did."""

    columns: dict[str, pd.Series]
    mapping: dict[str, str]  # source header -> canonical column
    header_for: dict[str, str]  # canonical column -> source header, for messages in the user's words
    warnings: list[str]
    problems: list[Problem]
    ids_unique: Future[bool] | None = None


def map_columns(frame: pd.DataFrame, decimal_comma: bool = False, header_row: int = 1) -> Mapped:
    """Source columns of one-row-per-case `frame` -> canonical columns, converted cell by column.

    Columns are matched by header spelling; codes (yes/no, sex, approach and condition aliases,
    complications) and units (stay, VAS scale) are converted. Problems are collected, not raised.
    """
    header = [str(c) for c in frame.columns]
    warnings: list[str] = []
    problems: list[Problem] = []
    mapping: dict[str, str] = {}
    units: dict[str, str | None] = {}
    position: dict[str, int] = {}
    claimed: dict[str, list[str]] = {}
    ignored: list[str] = []
    for i, name in enumerate(header):
        if not name:
            if pc.any(pc.is_valid(_text(frame.iloc[:, i]))).as_py():
                ignored.append(f"column {i + 1} (no header)")
            continue
        m = match_header(name)
        if m is None:
            ignored.append(name)
            continue
        column, unit = m
        claimed.setdefault(column, []).append(name)
        if column in position:
            continue
        mapping[name], units[column], position[column] = column, unit, i
    for column, names in claimed.items():
        if len(names) > 1:
            problems.append(make_problem(
                ", ".join(_clip(n) for n in names), [header_row],
                f"These columns all mean {column}; keep one of them (or rename the others)."))
    if ignored:
        warnings.append(f"Columns not in the data dictionary were ignored: {', '.join(_clip(n) for n in ignored[:20])}" + (" …" if len(ignored) > 20 else "") + ".")
    header_for = {c: n for n, c in mapping.items()}
    if "approach" not in position and "technique" in position:
        # Many exports have only "Technique" (PTED, microdiscectomy): it names the approach too.
        # The technique column keeps the words as written; the approach is looked up from them.
        position["approach"], units["approach"] = position["technique"], None
        header_for["approach"] = header_for["technique"]
        warnings.append(f"'{_clip(header_for['technique'])}' also gives the approach (no approach column in the file).")

    lookups = _category_lookups()
    out: dict[str, pd.Series] = {}
    ids_unique: Future[bool] | None = None
    for column, pos in position.items():
        spec = schema.spec_for(column)
        raw = frame.iloc[:, pos]
        label = header_for[column]
        if spec.kind == "id":
            out[column] = _text_series(raw)
            if column == "case_id":
                # Hashing a million ids takes ~0.25 s and releases the GIL: it runs beside the
                # conversions below, and validation takes its answer instead of hashing again.
                ids_unique = _background().submit(lambda ids=out[column]: bool(ids.is_unique))
        elif spec.kind == "number":
            values, bad = _to_number(raw, decimal_comma)
            if column == "length_of_stay_hours" and bad.any():
                values, bad = _stay_with_units(raw, values, bad)
            if bad.any():
                problems.append(make_problem(label, bad.index[bad.to_numpy()], f"Expected a number ({spec.unit or 'no unit'}); found {_examples(_text_series(raw[bad]))}."))
            values, note = _convert_unit(column, label, units[column], values)
            if note:
                warnings.append(note)
            out[column] = values
        elif spec.kind == "boolean":
            values, bad = _to_bool(raw)
            if bad.any():
                problems.append(make_problem(label, bad.index[bad.to_numpy()], f"Expected yes or no (also y/n, 1/0, true/false, ja/nei); found {_examples(_text_series(raw[bad]))}."))
            out[column] = values
        elif spec.kind == "date":
            values, bad, notes, date_problems = _to_date(raw, label)
            warnings += notes
            problems += date_problems
            if bad.any():
                problems.append(make_problem(label, bad.index[bad.to_numpy()], f"Expected a date such as 2024-03-18 or 18/03/2024; found {_examples(_text_series(raw[bad]))}."))
            out[column] = values
        elif column in lookups:
            lookup, names, hint = lookups[column]
            problems += _map_known(raw, label, column, lookup, names, hint, out)
        elif column == "sex":
            values, bad = _to_mapped(raw, _SEX_WORDS)
            if bad.any():
                problems.append(make_problem(label, bad.index[bad.to_numpy()], f"Expected female, male or other (also f/m, woman/man); found {_examples(_text_series(raw[bad]))}."))
            out[column] = values
        elif column == "complication":
            values, bad = _to_mapped(raw, _COMPLICATION_WORDS)
            if bad.any():
                warnings.append(f"'{label}': {int(bad.sum())} free-text complication{'s' if bad.sum() > 1 else ''} ({_examples(_text_series(raw[bad]))}) counted as 'other'.")
                values = values.astype("object").mask(bad, "other")
            out[column] = values
        elif column == "spinal_level":
            out[column] = _by_unique(raw, _normalise_levels)[0]
        else:
            out[column] = _to_label(raw)


    warnings += _rescale_vas(out, header_for)
    return Mapped(out, mapping, header_for, warnings, problems, ids_unique)



def _map_known(raw, label, column, lookup, names, hint, out) -> list[Problem]:
    """Map approach/condition values through the knowledge base's aliases; one problem per unknown value."""
    values, unknown = _by_unique(raw, lambda u: u.map(lambda v: lookup.get(normalise_label(v))))
    out[column] = values
    problems: list[Problem] = []
    if unknown.any():
        bad_values = _text_series(raw[unknown])
        groups = bad_values.groupby(bad_values, sort=False).groups
        for n, (value, idx) in enumerate(groups.items()):
            if n == 20:
                problems.append(make_problem(label, bad_values.index, f"… and {len(groups) - 20} more unknown {column} values."))
                break
            problems.append(make_problem(
                label, idx,
                f"Unknown {column} {_clip(value)!r}. Known values: {', '.join(names)} (or an alias the knowledge base lists{hint})."))
    return problems


_STAY_WITH_UNIT = r"^([0-9]+(?:[.,][0-9]+)?)\s*(d|days?|døgn|h|hrs?|hours?|t|timer)$"


def _stay_with_units(raw: pd.Series, values: pd.Series, bad: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Stay cells that carry their own unit ("3 d", "6 h", "2 days") are converted to hours."""

    def parse(u: pd.Series) -> pd.Series:
        parts = u.astype("str").str.lower().str.extract(_STAY_WITH_UNIT)
        num = pd.to_numeric(parts[0].str.replace(",", ".", regex=False), errors="coerce")
        return num * parts[1].str[0].map({"d": 24.0, "h": 1.0, "t": 1.0})

    subset = raw[bad]
    hours, still_bad = _by_unique(subset, parse)
    values = values.copy()
    values[bad] = hours.astype("float64")
    bad = bad.copy()
    bad[bad] = still_bad
    return values, bad


def _convert_unit(column: str, label: str, unit: str | None, values: pd.Series) -> tuple[pd.Series, str | None]:
    canonical = _CANONICAL_UNIT.get(column)
    if canonical is None:
        return values, None
    if unit is None:
        if column == "length_of_stay_hours" and values.notna().any():
            # The header names no unit. Values cannot settle it: day-surgery stays of 3.2 h
            # (PELD day surgery, Medicine 2019) look like inpatient stays of 3 days. Hours is the
            # dictionary's unit, so read hours and say so.
            return values, (f"'{label}' names no unit: read as hours (median {values.median():g}). "
                            f"If the values are days, rename the column 'LOS (days)' and upload again.")
        return values, None
    factor = _unit_factor(unit, canonical)
    if factor is None or factor == 1.0:
        return values, None
    return values * factor, f"'{label}' is in {unit}: converted to {canonical} (×{factor:g})."


# A VAS column set is read as 0–100 when its values above 10 are common, not when a single one
# turns up: a typed 11 in a 0–10 file must be reported, and the 12-month column of a 0–100 file can
# lie wholly under 10 (median 7/100 at 12 months, Gadjradj BMJ 2022), so the decision is per measure
# (all VAS leg columns together), not per column.
VAS_0_100_SHARE = 0.2  # ASSUMPTION: at least a fifth of values above 10 …
VAS_0_100_MIN_COUNT = 2  # ASSUMPTION: … and more than one such value, so one typo never rescales a file


def _rescale_vas(out: dict[str, pd.Series], header_for: dict[str, str]) -> list[str]:
    warnings = []
    for measure in ("vas_leg", "vas_back"):
        cols = [c for c in out if c.startswith(measure + "_")]
        if not cols:
            continue
        # Column by column in numpy: no concatenated copy of a million-row file's VAS columns.
        arrays = [out[c].to_numpy(dtype=np.float64, na_value=np.nan) for c in cols]
        counts = [len(a) - int(np.count_nonzero(np.isnan(a))) for a in arrays]
        count = sum(counts)
        if count == 0:
            continue
        with_values = [a for a, n in zip(arrays, counts, strict=True) if n]
        if max(np.nanmax(a) for a in with_values) > 100 or min(np.nanmin(a) for a in with_values) < 0:
            continue
        above = sum(int(np.count_nonzero(a > 10)) for a in arrays)  # NaN > 10 is False
        if above >= VAS_0_100_MIN_COUNT and above / count >= VAS_0_100_SHARE:
            for c in cols:
                out[c] = out[c] / 10
            names = ", ".join(f"'{header_for[c]}'" for c in cols)
            warnings.append(f"VAS recorded on 0–100, divided by 10 to the app's 0–10 scale: {names}.")
    return warnings


