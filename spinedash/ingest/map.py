"""Map stage: source columns, codes and units onto the canonical columns of `spinedash.schema`.

Header spellings (measure × time point word forms plus a table of aliases), code tables (sex,
yes/no, complications, knowledge-base aliases for approach and condition), units (stay in days or
hours, VAS 0–100 or 0–10). No Streamlit.
"""

from __future__ import annotations

import difflib
import functools
import os
import re
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from spinedash import schema
from spinedash.catalogue import load_catalogue
from spinedash.ingest.cells import (
    _COMPLICATION_WORDS,
    _SEX_WORDS,
    FALSE_WORDS,
    TRUE_WORDS,
    _by_unique,
    _clip,
    _examples,
    _has_repeats,
    _normalise_levels,
    _rows_short,
    _text,
    _text_series,
    _to_bool,
    _to_date,
    _to_label,
    _to_mapped,
    _to_number,
    _word_key,
)
from spinedash.knowledge import REGION_WORDS, VALUE_KINDS, load_knowledge, normalise_label
from spinedash.validation import PARALLEL_ROWS, Problem, make_problem
from spinedash.validation import column_pool as _column_pool


def _key(text: object) -> str:
    """Compact matching key of a header: case-folded letters and digits only ("LOS (days)" -> "losdays")."""
    return re.sub(r"[\W_]+", "", str(text).casefold())


def _tokens(text: object) -> list[str]:
    return re.findall(r"[^\W_]+", str(text).casefold())


# Header words for each measure and time point come from the catalogue (data/measures.csv and
# data/timepoints.csv, column `aliases`), so a new measure needs no code here.
# German and Swedish measure words ("Beinschmerz", "ryggsmärta") are SpineDash's vocabulary in
# data/knowledge/aliases.csv (kind "measure").
_MEASURE_WORDS: dict[str, tuple[str, ...]] = {
    m.id: (*m.aliases, *(w for w, v in load_knowledge().value_words("measure").items() if v == m.id)) for m in schema.MEASURES.values()
}
# Norwegian, Swedish and German time point words ("3 månader", "präop") are SpineDash's vocabulary in
# data/knowledge/aliases.csv (kind "timepoint").
_TIMEPOINT_WORDS: dict[str, tuple[str, ...]] = {
    t: tuple(dict.fromkeys([*load_catalogue().timepoints[t].aliases,
                            *(w for w, v in load_knowledge().value_words("timepoint").items() if v == t)]))
    for t in schema.TIMEPOINT_DAYS
}
_TWELVE_MONTH_WORDS: dict[str, tuple[str, ...]] = {
    # "revision" alone is the revision column (first operation or revision), not a reoperation within 12 months.
    "reoperation_12m": ("reoperation", "reoperated", "re operation", "reop", "reoperation same level"),
    "recurrence_12m": ("recurrence", "recurrent herniation", "reherniation", "re herniation", "recurrence of symptoms"),
    "satisfied_12m": ("satisfied", "satisfaction", "patient satisfied", "satisfied with result", "fornoyd", "fornøyd", "nöjd", "nojd", "nöjd med resultatet", "zufrieden"),
}

# Explicit spellings seen in exports. Headers that carry a unit ("LOS (days)") are handled by
# _UNIT_BASES below, so only unit-free spellings belong here.
_EXPLICIT_ALIASES: dict[str, tuple[str, ...]] = {
    "case_id": ("case id", "case", "case no", "case number", "patient id", "patient", "patient no", "patient number", "id", "record id", "study id", "subject id", "pseudonym", "pasient id",
                "personnr", "personnummer", "patientnummer", "patienten id", "fallnummer", "fall id", "fall nr", "fallnr", "personnr pseudonym", "forlopsid", "forløps id"),
    "surgery_date": ("date of surgery", "surgery date", "date of operation", "operation date", "op date", "operated on", "procedure date", "date", "dos", "operasjonsdato",
                     "op datum", "op.datum", "operationsdatum", "opdato", "op dato", "op-datum", "operationstag"),
    "age": ("age", "age at surgery", "patient age", "alder", "ålder", "alter", "alter bei op"),
    "sex": ("sex", "gender", "kjonn", "kjønn", "kön", "kon", "geschlecht"),
    "condition": ("condition", "diagnosis", "primary diagnosis", "indication", "dx", "pathology", "diagnose", "diagnos", "hauptdiagnose", "hauptpathologie", "pathologie"),
    "approach": ("approach", "surgical approach", "operative approach", "access", "approach family", "op metod", "op.metod", "operationsmetod", "zugang", "tilgang"),
    "procedure": ("procedure", "operation", "operation type", "procedure type", "surgery type", "type of surgery", "intervention", "inngrep"),
    "spinal_level": ("level", "levels", "spinal level", "operated level", "level operated", "segment", "vertebral level", "nivå", "niva"),
    # NKR's AntallNivaaOpr (Rapporteket/nakke R/NakkePreprosesser.R line 66); NORspine's DekompAntNivaa and
    # FusjonAntNivaa count decompressed or fused levels only, so they are not read as levels operated.
    "levels_operated": ("number of levels", "levels operated", "number of levels operated", "no of levels", "n levels", "operated levels",
                        "antall nivå", "antall nivåer", "antall nivå operert", "antallnivaaopr", "antal nivåer", "anzahl segmente", "anzahl level"),
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
    "length_of_stay_hours": ("los", "length of stay", "length of hospital stay", "stay", "hospital stay", "inpatient stay", "hospitalisation", "hospitalization", "liggetid",
                             "liggedogn", "liggedøgn", "vårdtid", "vardtid", "liegedauer", "verweildauer", "aufenthalt", "aufenthaltsdauer"),
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
    **dict.fromkeys(("days", "day", "d", "dager", "dogn", "døgn", "nights", "night", "netter", "natter", "nätter", "dagar", "tage"), "days"),
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
    return _match_header(header) if isinstance(header, str) else _match_header.__wrapped__(header)


@functools.lru_cache(maxsize=8192)
def _match_header(header: str) -> tuple[str, str | None] | None:
    # Remembered: the reader scores the first rows' cells as header candidates, and the same
    # words come back in every file (~8 µs a cell, 10 ms of a wide file's header search).
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
    """kind -> ({normalised alias: canonical name}, canonical names in display order, an example alias).

    Built once per loaded knowledge base (map and validate both ask, on every import) and kept on it,
    as knowledge._entries keeps its terms; read-only for callers.
    """
    kb = load_knowledge()
    cached = kb.__dict__.get("_category_lookups")
    if cached is None:
        cached = kb.__dict__.setdefault("_category_lookups", _build_category_lookups(kb))
    return cached


def _build_category_lookups(kb) -> dict[str, tuple[dict[str, str], tuple[str, ...], str]]:
    out = {}
    undescribed = list(kb.undescribed_approaches)
    for kind, names in (("approach", [*kb.approach_names, *undescribed]), ("condition", kb.condition_names)):
        aliases = kb.aliases[kb.aliases["kind"] == kind]
        hint = f", such as {aliases['alias'].iloc[0]} for {aliases['canonical'].iloc[0]}" if len(aliases) else ""
        lookup = dict(kb.alias_lookup(kind))
        if kind == "approach":
            # An approach the source documents do not describe (biportal endoscopic, UBE) is accepted
            # and kept as itself, never refused nor filed under one of the four (issue 15).
            family = dict(zip(kb.techniques["technique"], kb.techniques["approach"], strict=True))
            words = [(t, family[t]) for t in family if family[t] in undescribed]
            techniques = kb.aliases[kb.aliases["kind"] == "technique"]
            words += [(a, family.get(c)) for a, c in zip(techniques["alias"], techniques["canonical"], strict=True)
                      if family.get(c) in undescribed]
            for word, name in [*((n, n) for n in undescribed), *words]:
                lookup.setdefault(normalise_label(word), name)
        out[kind] = (lookup, tuple(names), hint)
    return out


def _technique_name(value: object) -> object:
    return _technique_lookup().get(normalise_label(value), value) if isinstance(value, str) else value


@functools.cache
def _technique_lookup() -> dict[str, str]:
    """Normalised technique word -> the knowledge base's technique name ("UBE" -> "Biportal endoscopic (UBE/BESS)")."""
    return load_knowledge().alias_lookup("technique")


def _ids_unique(ids: pd.Series) -> bool:
    """`ids.is_unique` (a blank counts as a value), without pandas hashing Arrow text."""
    if getattr(ids.dtype, "storage", None) == "pyarrow" and pd.api.types.is_string_dtype(ids.dtype):
        return bool(ids.isna().sum() <= 1) and not _has_repeats(pa.array(ids.array))
    return bool(ids.is_unique)


@functools.cache
def _background() -> ThreadPoolExecutor:
    """One worker thread for checks that release the GIL while the reader goes on (see load_outcomes)."""
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="spinedash-ingest")



# ---------------------------------------------------------------------------------------------
# Columns: every source column gets a target (or is ignored, visibly).
# ---------------------------------------------------------------------------------------------

def _spec(column: str):
    """The schema's ColumnSpec of a canonical column, or None (works before and after the measure catalogue)."""
    spec_for = getattr(schema, "spec_for", None)
    return spec_for(column) if spec_for is not None else schema.COLUMN_BY_NAME.get(column)


def _measures() -> dict[str, tuple[str, ...]]:
    """Measure id -> its time points, from the schema (the measure catalogue once it is there)."""
    measures = getattr(schema, "MEASURES", None)
    if measures:
        return {m: tuple(getattr(info, "timepoints", ())) for m, info in measures.items()}
    return {m: tuple(info["timepoints"]) for m, info in schema.PAIN_MEASURES.items()}


def _measure_words() -> dict[str, str]:
    """Compact key -> measure id, for a header that names a measure without a time point ("ODI", "Oswestry")."""
    table = {_key(m): m for m in _measures()}
    for m, words in _MEASURE_WORDS.items():
        for w in words:
            table.setdefault(_key(w), m)
    return table


def _timepoint_of(text: str) -> str | None:
    """The time point a header or a long file's time-point cell names ("12 mnd" -> "12m"), or None."""
    key = _key(text)
    for tp, words in _TIMEPOINT_WORDS.items():
        if key in {_key(w) for w in words} or key == _key(tp):
            return tp
    return None


def outcome_column(measure: str, timepoint: str) -> str | None:
    """`<measure>_<timepoint>` when the schema knows that column, else None."""
    name = f"{measure}_{timepoint}"
    return name if _spec(name) is not None else None


def complication_flag(header: object) -> str | None:
    """The complication a yes/no column's header names ("Dauralaesion", "Durarift", "Dural tear" -> "dural tear"),
    from the knowledge base's complication words (data/knowledge/aliases.csv); None for any other header."""
    key = normalise_label(str(header))
    named = {normalise_label(c): c for c in VALUE_KINDS["complication"]}
    return named.get(key) or load_knowledge().value_words("complication").get(key)


def _flag_values(values: pd.Series) -> bool:
    """Whether a column's filled cells are all yes/no words (ja/nein, 1/0, Checked…): a flag, not a list of complications."""
    words = _word_key(pd.Series(pd.unique(_text_series(values).dropna()), dtype="object")).str.replace(r"\.0$", "", regex=True)
    return bool(len(words)) and bool(words.isin(TRUE_WORDS | FALSE_WORDS).all())


def _complication_flags(choices: list[ColumnChoice], codes: dict) -> list[tuple[str, int, str]]:
    """(source, position, complication) of the columns read as the complication, when every one of them
    is a yes/no flag named by a complication (Dauralaesion, Infektion: `ColumnChoice.flag`) and has no
    code table of its own; else [] (two columns that both mean the complication are then reported)."""
    found = [(c.source, c.position, c.flag) for c in choices if c.target == "complication"]
    if any(flag is None or _profile_entry(codes, "complication", source) for source, _, flag in found):
        return []
    return found


def _combine_flags(first: pd.Series, frame: pd.DataFrame, flags: list[tuple[str, int, str]]) -> pd.Series:
    """The complication from several flag columns: the first flag said yes in column order, "none"
    where a flag says no and none says yes, blank where every flag is blank. `first` is the first
    flag already read (its complication, "none" or blank)."""
    combined = first.astype("object").to_numpy(copy=True)
    for _, position, flagged in flags[1:]:
        said, _ = _to_bool(frame.iloc[:, position])
        yes = said.fillna(False).to_numpy(dtype=bool)
        no = (~said.fillna(True)).to_numpy(dtype=bool)
        open_ = pd.isna(combined) | (combined == "none")
        combined[yes & open_] = flagged
        combined[no & pd.isna(combined)] = "none"
    return pd.Series(combined, index=first.index, dtype="object")


def _flag_table(complication: str) -> dict[str, str]:
    """A flag column's code table, as a profile would write it (NORspine's PeropKompDura: 0 none, 1 dural tear)."""
    return {**dict.fromkeys(FALSE_WORDS, "none"), **dict.fromkeys(TRUE_WORDS, complication)}


@dataclass(frozen=True)
class ColumnChoice:
    """What one source column becomes. `target` None = not used (see `how`)."""

    position: int
    source: str  # the header as in the shaped table ("OswTot@12m" for a pivoted column)
    target: str | None  # a canonical column (measure x time point composed already)
    unit: str | None = None  # the unit the header states ("LOS (days)" -> "days")
    how: str = "header"  # "header" | "profile" | "measure" | "ignored" (user's choice) | "unmatched" | "blank"
    candidates: tuple[str, ...] = ()  # best guesses when unmatched
    note: str = ""  # why, in the user's words, when it is not simply the header
    flag: str | None = None  # read as the complication: the complication this yes/no flag column names


def _candidates(header: str, k: int = 3) -> tuple[str, ...]:
    """Canonical columns whose spellings are nearest to an unmatched header (for the wizard to offer)."""
    key = _key(header)
    if not key:
        return ()
    close = difflib.get_close_matches(key, list(_ALIASES), n=12, cutoff=0.6)
    out = list(dict.fromkeys(_ALIASES[c][0] for c in close))
    tokens = set(_tokens(header))
    for m, words in _MEASURE_WORDS.items():  # "OswTot", "NDI score" share a word with a measure
        if any(set(_tokens(w)) <= tokens or _key(w) in key for w in words if len(_key(w)) >= 3):
            out += [c for c in schema.CANONICAL_COLUMNS if c.startswith(m + "_")][:1]
    return tuple(dict.fromkeys(out))[:k]


def _resolve_target(value: object, source: str, timepoint: dict[str, str]) -> tuple[str | None, str]:
    """A profile's column value (canonical column, measure id, or measure_timepoint) -> (column, problem text)."""
    value = str(value)
    if _spec(value) is not None:
        return value, ""
    if value in _measures():
        tp = timepoint.get(source) or (source.rsplit("@", 1)[1] if "@" in source else None) or _timepoint_of(source)
        if tp is None:
            return None, f"is mapped to the measure {value} but names no time point; map it to e.g. {value}_12m"
        column = outcome_column(value, tp)
        if column is None:
            return None, f"is {value} at {tp}, a time point SpineDash does not record for {value}"
        return column, ""
    return None, f"is mapped to {value!r}, which is not a column or measure SpineDash knows"


def choose_columns(header: list[str], columns: dict | None = None, timepoint: dict[str, str] | None = None,
                   frame: pd.DataFrame | None = None, case_id: str | None = None) -> tuple[list[ColumnChoice], list[Problem]]:
    """One ColumnChoice per source column: the profile's choice, else the header's meaning, else candidates.

    Args:
        header: the source column names, in order.
        columns: a profile's "columns" section: source name (or the name before "@") -> target or None.
        timepoint: pivoted column -> time point id, from the shape stage.
        frame: the table, only to tell a blank unnamed column from one holding values.
        case_id: the column the layout identifies cases by (an operation id when a patient has
            several operations); another column whose header reads as an id is then not the case id.
    """
    columns = dict(columns or {})
    if case_id and case_id in header and case_id not in columns:
        columns[case_id] = "case_id"
    timepoint = timepoint or {}
    measure_words = _measure_words()
    choices: list[ColumnChoice] = []
    problems: list[Problem] = []
    # A yes/no column headed by a complication ("Dauralaesion") is the complication column, read through a
    # flag code table (_flag_table) in map_columns; only when nothing else gives the complication. Several
    # such flags are all read as the complication and combined there (_combine_flags).
    complication_taken = "complication" in columns.values() or any(
        (m := match_header(h)) is not None and m[0] == "complication" for h in header if h not in columns)
    flag_columns: list[str] = []
    for i, name in enumerate(header):
        base = name.rsplit("@", 1)[0] if "@" in name else name
        key = name if name in columns else (base if base in columns else None)
        if key is not None:
            if columns[key] is None:
                choices.append(ColumnChoice(i, name, None, how="ignored", note="ignored by your choice"))
                continue
            target, problem = _resolve_target(columns[key], name, timepoint)
            if problem:
                problems.append(make_problem(_clip(name), (), f"The profile says this column {problem}."))
                choices.append(ColumnChoice(i, name, None, how="unmatched", candidates=_candidates(base)))
                continue
            unit = match_header(base)[1] if match_header(base) and match_header(base)[0] == target else None
            flagged = complication_flag(base) if target == "complication" and frame is not None else None
            flag = flagged if flagged and _flag_values(frame.iloc[:, i]) else None
            note = f"a yes/no flag: yes = {flag}, no = none" if flag else ""
            choices.append(ColumnChoice(i, name, target, unit, how="profile", note=note, flag=flag))
            continue
        if not name:
            has_values = frame is not None and pc.any(pc.is_valid(_text(frame.iloc[:, i]))).as_py()
            choices.append(ColumnChoice(i, f"column {i + 1} (no header)", None, how="unmatched" if has_values else "blank"))
            continue
        m = match_header(name)
        if m is not None and m[0] == "case_id" and case_id and case_id in header and name != case_id:
            choices.append(ColumnChoice(i, name, None, how="unmatched", candidates=("case_id",),
                                        note=f"the layout identifies cases by '{case_id}'"))
            continue
        if m is not None:
            choices.append(ColumnChoice(i, name, m[0], m[1]))
            continue
        if "@" in name or name in timepoint:
            # "Leg pain (0-10)", "ODI (%)": the scale in brackets is not part of the measure's name.
            measure = measure_words.get(_key(base)) or measure_words.get(_key(re.sub(r"\(.*?\)|\[.*?\]", "", base)))
            tp = timepoint.get(name) or name.rsplit("@", 1)[1]
            column = outcome_column(measure, tp) if measure else None
            if column is not None:
                choices.append(ColumnChoice(i, name, column, how="measure", note=f"{base} at {tp}"))
                continue
        flagged = complication_flag(base) if frame is not None else None
        if flagged and _flag_values(frame.iloc[:, i]):
            if not complication_taken or flag_columns:
                # Several flags (Dauralaesion, Infektion, Nervenwurzelverletzung) together are the complication:
                # map_columns combines them, a case flagged in none of them being "none".
                complication_taken = True
                flag_columns.append(name)
                choices.append(ColumnChoice(i, name, "complication", how="header", note=f"a yes/no flag: yes = {flagged}, no = none",
                                            flag=flagged))
                continue
            choices.append(ColumnChoice(i, name, None, how="unmatched", candidates=("complication",),
                                        note=f"a yes/no flag for {flagged}, but another column gives the complication: SpineDash keeps one per case"))
            continue
        choices.append(ColumnChoice(i, name, None, how="unmatched", candidates=_candidates(base)))
    return choices, problems


# ---------------------------------------------------------------------------------------------
# Codes: a value table per categorical column; profile code tables applied before the defaults.
# ---------------------------------------------------------------------------------------------

def _recode(raw: pd.Series, table: dict) -> pd.Series:
    """Cells through a profile's code table (source code -> canonical value; null = missing); others unchanged."""
    lookup = {str(k).strip(): v for k, v in table.items()}
    lookup_folded = {k.casefold(): v for k, v in lookup.items()}

    def parse(u: pd.Series) -> pd.Series:
        def one(v):
            v = str(v)
            if v in lookup:
                return lookup[v]
            if v.casefold() in lookup_folded:
                return lookup_folded[v.casefold()]
            if v.endswith(".0") and v[:-2] in lookup:  # Excel and Parquet give 1.0 for the code 1
                return lookup[v[:-2]]
            return v
        return u.map(one).astype("object")

    return _by_unique(raw, parse)[0]


def _apply_cutoff(raw: pd.Series, cutoff: dict) -> pd.Series:
    """A rating (1–5) -> yes/no by the stated cut-off: codes in satisfied_if are yes, other numbers no."""
    yes = {str(v).strip() for v in cutoff.get("satisfied_if", [])}
    no = {str(v).strip() for v in cutoff.get("not_satisfied_if", [])}

    def parse(u: pd.Series) -> pd.Series:
        def one(v):
            v = str(v)
            v2 = v[:-2] if v.endswith(".0") else v
            if v2 in yes:
                return "yes"
            if v2 in no or (not no and re.fullmatch(r"-?\d+(\.\d+)?", v2)):
                return "no"
            return v
        return u.map(one).astype("object")

    return _by_unique(raw, parse)[0]


# Words exports use for sex, yes/no and complications in Norwegian, Swedish and German as well.
_SEX_NUMBER_NOTE = ("ISO/IEC 5218 codes sex 1 = male, 2 = female; NORspine and most registries follow it. "
                    "0/1 has no standard meaning: say which is which.")


def value_table(raw: pd.Series, target: str, codes: dict | None = None, source: str | None = None) -> pd.DataFrame:
    """Every distinct value of a categorical source column with its count and what it maps to.

    Columns: value, count, maps_to (canonical value or None), status ("recognised" | "your code" |
    "ask" | "unmapped"), note. Ambiguous words ("MIS") are "ask" with the candidates in the note;
    codes no table covers are "unmapped", never guessed (sex 1/2 gets a suggestion with its standard).
    `source`: the column's header, for a complication flag ("Dauralaesion": ja = dural tear, nein = none).
    """
    text = _text_series(raw)
    counts = text.value_counts(dropna=True)
    codes = {str(k): v for k, v in (codes or {}).items()}
    spec = _spec(target)
    kb = load_knowledge()
    rows = []
    numeric_sex = target == "sex" and set(counts.index) <= {"0", "1", "2", "1.0", "2.0", "0.0"}
    flagged = complication_flag(source.rsplit("@", 1)[0]) if target == "complication" and source else None
    flag = _flag_table(flagged) if flagged and _flag_values(raw) else {}
    for value, count in counts.items():
        maps_to, status, note = None, "unmapped", ""
        if value in codes:
            maps_to, status = codes[value], "your code"
        elif target in ("approach", "condition", "technique", "procedure"):
            t = kb.resolve_term(value, target)
            if t.status == "known" and (t.kind == target or (target == "approach" and t.approach)):
                maps_to, status = (t.value if t.kind == target else t.approach), "recognised"
                if t.region:
                    note = f"region: {t.region} (recorded in the region column)"
            elif t.status == "ambiguous":
                options = t.approach_candidates if target == "approach" and t.approach_candidates else t.candidates
                status, note = "ask", f"Which one? {', '.join(options)}. {t.note}".strip()
            elif target == "approach" and (scope := _scope_question(t, value)) is not None:
                status, note = "ask", f"Which one? {', '.join(scope[0])}. {scope[1]}"
            elif t.status == "known":
                note = f"'{value}' is a {t.kind}, not a {target}."
        elif numeric_sex:
            if set(counts.index) <= {"1", "2", "1.0", "2.0"}:
                maps_to, status = {"1": "male", "2": "female"}[value[0]], "suggested"
            note = _SEX_NUMBER_NOTE
        elif target == "sex":
            maps_to = _SEX_WORDS.get(_word_key(pd.Series([value])).iloc[0])
        elif target == "complication":
            word = _word_key(pd.Series([value])).str.replace(r"\.0$", "", regex=True).iloc[0]
            maps_to = flag.get(word) or _COMPLICATION_WORDS.get(word)
            if word in flag:
                note = f"'{_clip(source)}' is a yes/no flag for {flagged}"
        elif target.startswith("satisfaction_score"):
            t = kb.resolve_term(value, "satisfaction")
            if t.known:
                maps_to, note = t.value, f"on SpineDash's 1 (worst) … 5 (best) rating: {t.note}".strip(": ")
            elif t.ambiguous:
                status, note = "ask", f"Which one? {', '.join(t.candidates)}. {t.note}".strip()
            elif re.fullmatch(r"[1-5](\.0)?", value):
                maps_to, note = value.removesuffix(".0"), "read as 1 (worst) … 5 (best): if 1 is the best answer in your file, turn the scale round"
        elif spec is not None and spec.kind == "boolean":
            v = _word_key(pd.Series([value])).str.replace(r"\.0$", "", regex=True).iloc[0]
            maps_to = "yes" if v in TRUE_WORDS else ("no" if v in FALSE_WORDS else None)
            if maps_to is None and target.startswith("satisfied"):
                t = kb.resolve_term(value, "satisfied")
                if t.known:
                    maps_to, note = t.value, t.note
                elif t.ambiguous:
                    status, note = "ask", f"Which one? {', '.join(t.candidates)}. {t.note}".strip()
            if maps_to is None and re.fullmatch(r"\d", v) and target.startswith("satisfied"):
                note = "a rating: set a cut-off (e.g. 1–2 on a 1–5 scale = satisfied)"
        else:
            maps_to = value  # free text (surgeon, site, level): kept as written
        if maps_to is not None and status == "unmapped":
            status = "recognised"
        rows.append({"value": value, "count": int(count), "maps_to": maps_to, "status": status, "note": note})
    return pd.DataFrame(rows, columns=["value", "count", "maps_to", "status", "note"])


# ---------------------------------------------------------------------------------------------
# Units, decided per column with the evidence shown.
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class UnitDecision:
    unit: str | None  # "days" | "hours" | … | "0-100" | "0-10"; None = nothing to decide
    evidence: str  # "max 14, median 2, whole numbers: looks like days"
    source: str  # "header" | "profile" | "values"


def decide_stay_unit(values: pd.Series) -> UnitDecision:
    """Days or hours for a stay column whose header names no unit, from its values.

    Inpatient stays in whole days rarely pass a few weeks; stays in hours run past 24 for any
    overnight case and carry fractions (day surgery of 3.2 h, Medicine 2019). So: whole numbers with
    a median of at most 7 and a maximum of at most 60 read as days; anything else as hours.
    """
    v = pd.to_numeric(values, errors="coerce").dropna()
    if v.empty:
        return UnitDecision("hours", "no values: hours, the dictionary's unit", "values")
    mx, med = float(v.max()), float(v.median())
    whole = bool((v == v.round()).all())
    facts = f"max {mx:g}, median {med:g}" + (", whole numbers" if whole else "")
    if whole and med <= 7 and mx <= 60:
        return UnitDecision("days", f"{facts}: looks like days", "values")
    return UnitDecision("hours", f"{facts}: looks like hours", "values")


def vas_scale_facts(values: np.ndarray) -> tuple[int, float, float, int]:
    """What decide_vas_scale weighs of one column: (values present, max, min, values above 10).

    fmax/fmin skip NaN without nanmax's masked copy of a million-row column; NaN > 10 is False.
    """
    return (len(values) - int(np.count_nonzero(np.isnan(values))), float(np.fmax.reduce(values, initial=-np.inf)),
            float(np.fmin.reduce(values, initial=np.inf)), int(np.count_nonzero(values > 10)))


def decide_vas_scale(arrays: list[np.ndarray], facts: list[tuple[int, float, float, int]] | None = None) -> UnitDecision:
    """0–100 or 0–10 for one measure's columns together (see VAS_0_100_SHARE); `facts` are the
    columns' vas_scale_facts when already worked out (the map stage does it beside the conversions)."""
    parts = list(facts or []) + [vas_scale_facts(a) for a in arrays]
    count = sum(p[0] for p in parts)
    if count == 0:
        return UnitDecision(None, "no values", "values")
    mx = max(p[1] for p in parts)
    above = sum(p[3] for p in parts)
    facts_said = f"max {mx:g}, {above} of {count} values above 10"
    if mx <= 100 and min(p[2] for p in parts) >= 0 \
            and above >= VAS_0_100_MIN_COUNT and above / count >= VAS_0_100_SHARE:
        return UnitDecision("0-100", f"{facts_said}: looks like 0–100", "values")
    return UnitDecision("0-10", f"{facts_said}: looks like 0–10", "values")


# ---------------------------------------------------------------------------------------------
# The map stage itself.
# ---------------------------------------------------------------------------------------------

@dataclass
class Mapped:
    """The map stage's answer: canonical columns as typed Series, and what mapping did."""

    columns: dict[str, pd.Series]
    mapping: dict[str, str]  # source header -> canonical column
    header_for: dict[str, str]  # canonical column -> source header, for messages in the user's words
    warnings: list[str]  # worth the user's attention (amber)
    problems: list[Problem]
    ids_unique: Future[bool] | None = None
    info: list[str] = field(default_factory=list)  # routine conversions, said but not a warning
    choices: list[ColumnChoice] = field(default_factory=list)
    units: dict[str, UnitDecision] = field(default_factory=dict)  # canonical column or measure -> decision


def _profile_unit(units: dict, column: str) -> str | None:
    if column in units:
        return str(units[column])
    parsed = column.rsplit("_", 1)[0] if "_" in column else column
    for key in (parsed, column.split("_")[0]):
        if key in units:
            return str(units[key])
    return None


def _profile_entry(section: dict, column: str, label: str):
    """A profile's codes/cut-off entry for a column: keyed by the canonical column, the source header
    (or its name before "@"), or the measure of an outcome column ("satisfaction_score" for
    "satisfaction_score_12m"), so one code table serves a measure at every time point."""
    parsed = schema.parse_outcome_column(column)
    for key in (column, label, str(label).rsplit("@", 1)[0], parsed[0] if parsed else None):
        if key is not None and key in section:
            return section[key]
    return None


@dataclass
class _Converted:
    """One column's conversion: its canonical column(s) and what converting it said."""

    out: dict[str, pd.Series]
    warnings: list[str]
    info: list[str]
    problems: list[Problem]
    decisions: dict[str, UnitDecision]
    ids_unique: Future[bool] | None
    region: pd.Series | None  # the spine region a condition column names (condition only)
    level_counts: pd.Series | None  # levels a multi-level cell names (spinal_level only)
    vas_facts: tuple[int, float, float, int] | None = None  # a 0–10 measure's column: vas_scale_facts


def map_columns(frame: pd.DataFrame, decimal_comma: bool = False, header_row: int = 1,
                profile: dict | None = None, timepoint: dict[str, str] | None = None,
                layout_case_id: str | None = None) -> Mapped:
    """Source columns of one-row-per-case `frame` -> canonical columns, converted cell by column.

    Columns are matched by the profile, else by header spelling; codes (the profile's code tables,
    then yes/no, sex, approach and condition aliases, complications) and units (stay, VAS scale:
    the profile's, else the header's, else decided from the values with the evidence said) are
    converted. Problems are collected, not raised.
    """
    profile = profile or {}
    codes_by_column = profile.get("codes") or {}
    profile_units = profile.get("units") or {}
    cutoffs = profile.get("cutoffs") or {}
    header = [str(c) for c in frame.columns]
    warnings: list[str] = []
    info: list[str] = []
    layout_case = (profile.get("layout") or {}).get("case_id") if layout_case_id is None else layout_case_id
    choices, problems = choose_columns(header, profile.get("columns"), timepoint, frame, case_id=layout_case)
    mapping: dict[str, str] = {}
    units: dict[str, str | None] = {}
    position: dict[str, int] = {}
    claimed: dict[str, list[str]] = {}
    layout = profile.get("layout") or {}
    shaping = {str(layout[k]) for k in ("patient_id", "timepoint_column", "instrument_column", "value_column", "followup_date")
               if isinstance(layout.get(k), str)}
    used_by_layout = [c.source for c in choices if c.how == "unmatched" and c.source in shaping]
    ignored = [c.source for c in choices if c.how == "unmatched" and c.source not in shaping]
    if used_by_layout:
        info.append(f"Used to lay out the cases, not kept as a column: {', '.join(_clip(n) for n in used_by_layout)}.")
    by_choice = [c.source for c in choices if c.how == "ignored"]
    for c in choices:
        if c.target is None:
            continue
        claimed.setdefault(c.target, []).append(c.source)
        if c.target in position:
            continue
        mapping[c.source], units[c.target], position[c.target] = c.target, c.unit, c.position
    flags = _complication_flags(choices, codes_by_column) if len(claimed.get("complication", ())) > 1 else []
    if flags:
        for c in choices:
            if c.target == "complication" and c.source not in mapping:
                mapping[c.source] = "complication"
    for column, names in claimed.items():
        if len(names) > 1 and not (column == "complication" and flags):
            problems.append(make_problem(
                ", ".join(_clip(n) for n in names), [header_row],
                f"These columns all mean {column}; keep one of them (or rename the others)."))
    if ignored:
        warnings.append(f"Columns not in the data dictionary were ignored: {', '.join(_clip(n) for n in ignored[:20])}" + (" …" if len(ignored) > 20 else "") + ".")
    if by_choice:
        info.append(f"Columns left out by your choice: {', '.join(_clip(n) for n in by_choice[:20])}" + (" …" if len(by_choice) > 20 else "") + ".")
    header_for = {}
    for n, c in mapping.items():
        header_for.setdefault(c, n)  # the first source of a column (several flags can give the complication)
    if "approach" not in position and "technique" in position:
        # Many exports have only "Technique" (PTED, microdiscectomy): it names the approach too.
        # The technique column keeps the words as written; the approach is looked up from them.
        position["approach"], units["approach"] = position["technique"], None
        header_for["approach"] = header_for["technique"]
        warnings.append(f"'{_clip(header_for['technique'])}' also gives the approach (no approach column in the file).")

    lookups = _category_lookups()
    ten_point = set(_ten_point_measures())

    def convert(column: str, pos: int) -> _Converted:
        """One source column to its canonical column, and what that did: reads no other column's result."""
        out: dict[str, pd.Series] = {}
        warnings: list[str] = []
        info: list[str] = []
        problems: list[Problem] = []
        decisions: dict[str, UnitDecision] = {}
        ids_unique: Future[bool] | None = None
        condition_region: pd.Series | None = None
        level_counts: pd.Series | None = None
        vas_facts: tuple[int, float, float, int] | None = None
        spec = _spec(column)
        raw = frame.iloc[:, pos]
        label = header_for[column]
        table = _profile_entry(codes_by_column, column, label)
        if table:
            raw = _recode(raw, table)
        cutoff = _profile_entry(cutoffs, column, label) or (cutoffs.get("satisfaction") if column.startswith("satisfied") else None)
        if cutoff and spec.kind == "boolean":
            raw = _apply_cutoff(raw, cutoff)
            info.append(f"'{label}': {cutoff.get('note') or 'codes ' + ', '.join(map(str, cutoff.get('satisfied_if', []))) + ' = satisfied'}.")
        if column.startswith("satisfied") and not cutoff:
            raw = _vocabulary(raw, "satisfied")
        elif column.startswith("satisfaction_score"):
            raw = _vocabulary(raw, "satisfaction")
        if spec.kind == "id":
            out[column] = _text_series(raw)
            if column == "case_id":
                # Hashing a million ids takes ~0.25 s and releases the GIL: it runs beside the
                # conversions below, and validation takes its answer instead of hashing again.
                ids_unique = _background().submit(_ids_unique, out[column])
        elif spec.kind == "number":
            values, bad = _to_number(raw, decimal_comma)
            if column == "length_of_stay_hours" and bad.any():
                values, bad = _stay_with_units(raw, values, bad)
            if column.startswith("satisfaction_score") and bad.any():
                asked, bad = _ask_words(raw, bad, "satisfaction", label)
                problems += asked
            if bad.any():
                problems.append(make_problem(label, bad.index[bad.to_numpy()], f"Expected a number ({spec.unit or 'no unit'}); found {_examples(_text_series(raw[bad]))}."))
            if column == "levels_operated" and (part := (values.notna() & (values != values.round())).to_numpy()).any():
                problems.append(make_problem(label, raw.index[part], f"Expected a whole number of levels (1, 2, 3 …); found {_examples(_text_series(raw[part]))}."))
            unit = _profile_unit(profile_units, column) if column in _CANONICAL_UNIT else None
            source = "profile" if unit else "header"
            if unit is None:
                unit = units[column]
            if unit is None and column == "length_of_stay_hours" and values.notna().any():
                decision = decide_stay_unit(values[~bad])
                unit = decision.unit
                decisions[column] = decision
                info.append(f"'{label}' names no unit; {decision.evidence}. Read as {unit}; if that is wrong, "
                            f"choose the unit in the import's Units step (or name the column 'LOS (hours)').")
            elif unit is not None and column in _CANONICAL_UNIT:
                decisions[column] = UnitDecision(unit, f"{'your profile' if source == 'profile' else 'the header'} says {unit}", source)
            values, note = _convert_unit(column, label, unit, values)
            if note:
                info.append(note)
            out[column] = values
            measure = (_parse(column) or ("", ""))[0]
            if measure in ten_point and profile_units.get(measure) is None:  # for _rescale_vas, worked out here on the pool
                vas_facts = vas_scale_facts(values.to_numpy(dtype=np.float64, na_value=np.nan))
        elif spec.kind == "boolean":
            values, bad = _to_bool(raw)
            if column.startswith("satisfied") and bad.any():
                asked, bad = _ask_words(raw, bad, "satisfied", label)
                problems += asked
            if bad.any():
                hint = (" For a rating, set a cut-off in the import (e.g. 1–2 on a 1–5 scale = satisfied)."
                        if column.startswith("satisfied") else "")
                problems.append(make_problem(label, bad.index[bad.to_numpy()], f"Expected yes or no (also y/n, 1/0, true/false, ja/nei/nej/nein); found {_examples(_text_series(raw[bad]))}.{hint}"))
            out[column] = values
        elif spec.kind == "date":
            values, bad, notes, date_problems = _to_date(raw, label)
            info.extend(notes)
            problems += date_problems
            if bad.any():
                problems.append(make_problem(label, bad.index[bad.to_numpy()], f"Expected a date such as 2024-03-18 or 18/03/2024; found {_examples(_text_series(raw[bad]))}."))
            out[column] = values
        elif column in lookups:
            lookup, names, hint = lookups[column]
            more, region = _map_known(raw, label, column, lookup, names, hint, out,
                                      source=frame.iloc[:, pos] if table else None)
            problems += more
            if column == "condition":
                condition_region = region
        elif column == "sex":
            values, bad = _to_mapped(raw, _SEX_WORDS)
            if bad.any():
                found = _text_series(raw[bad])
                numeric = bool(found.dropna().str.fullmatch(r"[0-9](\.0)?").all())
                hint = (" These look like codes: say what they mean in the import's Codes step "
                        "(e.g. 1 = male, 2 = female)." if numeric else "")
                problems.append(make_problem(label, bad.index[bad.to_numpy()], f"Expected female, male or other (also f/m, woman/man, kvinne/mann, kvinna/man, weiblich/männlich); found {_examples(found)}.{hint}"))
            out[column] = values
        elif column == "complication":
            flagged = None if table else complication_flag(str(label).rsplit("@", 1)[0])
            if flagged and _flag_values(raw):
                # The same code-table step as a profile's (NORspine's PeropKompDura: 0 none, 1 dural tear).
                raw = _recode(raw, _flag_table(flagged))
                if not flags:
                    info.append(f"'{_clip(label)}' is a yes/no flag for {flagged}: yes is read as {flagged}, no as none "
                                f"(the file records no other complication, so the complication rate is the {flagged} rate).")
            values, bad = _to_mapped(raw, _COMPLICATION_WORDS)
            if bad.any():
                warnings.append(f"'{label}': {int(bad.sum())} free-text complication{'s' if bad.sum() > 1 else ''} ({_examples(_text_series(raw[bad]))}) counted as 'other'.")
                values = values.astype("object").mask(bad, "other")
            out[column] = values
        elif column == "spinal_level":
            out[column], note, level_counts = _one_level(frame.iloc[:, pos], table, label)
            if note:
                warnings.append(note)
        elif column == "technique":
            # Known spellings become the knowledge base's names; anything else is kept as written.
            labels = _to_label(raw)
            out[column] = labels.map(_technique_name)
        else:
            out[column] = _to_label(raw)
        return _Converted(out, warnings, info, problems, decisions, ids_unique, condition_region, level_counts, vas_facts)

    items = list(position.items())
    if len(items) > 1 and len(frame) >= PARALLEL_ROWS and (os.cpu_count() or 1) > 1:
        # Columns convert independently and mostly in numpy/Arrow, which release the GIL: a large
        # file's columns are converted on every core. Results are taken in column order, so the
        # warnings, notes and problems come out exactly as the one-by-one loop gives them.
        # The slow columns (text, dates, codes) are started first, the quick number columns last, so
        # neither core is left with a long one at the end.
        slow_first = sorted(range(len(items)), key=lambda i: _spec(items[i][0]).kind == "number")
        pool = _column_pool()
        futures = {i: pool.submit(convert, *items[i]) for i in slow_first}
        converted = [futures[i].result() for i in range(len(items))]
    else:
        converted = [convert(column, pos) for column, pos in items]
    condition_region: pd.Series | None = None
    level_counts: pd.Series | None = None
    out: dict[str, pd.Series] = {}
    decisions: dict[str, UnitDecision] = {}
    ids_unique: Future[bool] | None = None
    vas_facts: dict[str, tuple[int, float, float, int]] = {}
    for part in converted:
        if part.vas_facts is not None:
            (column,) = part.out  # a number column converts to itself alone
            vas_facts[column] = part.vas_facts
        out.update(part.out)
        warnings += part.warnings
        info += part.info
        problems += part.problems
        decisions.update(part.decisions)
        if part.ids_unique is not None:
            ids_unique = part.ids_unique
        if part.region is not None:
            condition_region = part.region
        if part.level_counts is not None:
            level_counts = part.level_counts

    if flags and "complication" in out:
        out["complication"] = _combine_flags(out["complication"], frame, flags)
        named = ", ".join(f"'{_clip(source)}' ({flagged})" for source, _, flagged in flags)
        info.append(f"{len(flags)} yes/no flag columns give the complication: {named}. A case flagged yes in several is "
                    f"counted under the first of them in that order, one complication per case; none where no flag "
                    f"says yes; blank where all are blank.")
    if level_counts is not None:
        # The number of levels a multi-level cell names is kept; a column that states it wins.
        if "levels_operated" in out:
            out["levels_operated"] = out["levels_operated"].fillna(level_counts)
        else:
            out["levels_operated"] = level_counts
            header_for["levels_operated"] = header_for["spinal_level"]
    if condition_region is not None:
        n = int(condition_region.notna().sum())
        if "region" in out:
            recorded = out["region"].astype("object")
            out["region"] = recorded.where(recorded.notna(), condition_region.astype("object"))
        else:
            out["region"] = condition_region.astype("object")
        info.append(f"'{header_for['condition']}' names the spine region on {n:,} row{'s' if n != 1 else ''} "
                    f"({', '.join(sorted(set(condition_region.dropna().astype(str))))}): recorded in the region column"
                    + (" where it was blank." if "region" in header_for else "."))
    vas_notes, vas_decisions = _rescale_vas(out, header_for, profile_units, vas_facts)
    info += vas_notes
    decisions.update(vas_decisions)
    return Mapped(out, mapping, header_for, warnings, problems, ids_unique, info, choices, decisions)


# How the surgeon saw does not give the approach on its own (a tube decides): the approaches to ask about.
_SCOPE_APPROACHES = {"microscope": ("Microscopic", "Tubular MIS"), "endoscope": ("Full-endoscopic", "Biportal endoscopic", "Tubular MIS")}


def _scope_question(term, value) -> tuple[tuple[str, ...], str] | None:
    """For a word that only says how the surgeon saw ("Mikroskop") in an approach column: (options, why)."""
    if term.known and term.kind == "technique" and term.approach is None and term.visualisation in _SCOPE_APPROACHES:
        options = _SCOPE_APPROACHES[term.visualisation]
        how = "a tube was used" if term.visualisation == "microscope" else "a tube or a second portal was used"
        return options, (f"'{_clip(value)}' says how the surgeon saw ({term.visualisation}), not the approach: "
                         f"{' or '.join(options)} depends on whether {how}.")
    return None


def _map_known(raw, label, column, lookup, names, hint, out, source=None) -> tuple[list[Problem], pd.Series | None]:
    """Map approach/condition values through the knowledge base's aliases; one problem per unknown value.

    A condition word led by a region ("Cervical disc herniation") is the condition, and the region
    is returned (per row, None elsewhere) for the region column; None when no value names one.
    `source`: the cells as the file has them, when a profile's code table has rewritten `raw`.
    """
    kb = load_knowledge()
    regions: dict[str, str] = {}

    def one(v):
        key = normalise_label(v)
        hit = lookup.get(key)
        if column == "condition" and (hit is None or key.split(" ", 1)[0] in REGION_WORDS):
            term = kb.resolve_term(str(v), "condition")
            if term.region:
                regions[v] = term.region
            if hit is None and term.known and term.kind == "condition":
                hit = term.value
        return hit

    values, unknown = _by_unique(raw, lambda u: u.map(one))
    out[column] = values
    if column == "condition" and source is not None:
        def region_of(v):
            words = normalise_label(v).split(" ", 1)
            return kb.resolve_term(str(v), "condition").region if len(words) > 1 and words[0] in REGION_WORDS else None

        region = _by_unique(source, lambda u: u.map(region_of))[0]
        region = region if region.notna().any() else None
    else:
        region = _by_unique(raw, lambda u: u.map(regions.get))[0] if regions else None
    problems: list[Problem] = []
    if unknown.any():
        bad_values = _text_series(raw[unknown])
        groups = bad_values.groupby(bad_values, sort=False).groups
        for n, (value, idx) in enumerate(groups.items()):
            if n == 20:
                problems.append(make_problem(label, bad_values.index, f"… and {len(groups) - 20} more unknown {column} values."))
                break
            term = kb.resolve_term(str(value), column)
            scope = _scope_question(term, value) if column == "approach" else None
            if term.status == "ambiguous":
                options = term.approach_candidates if column == "approach" and term.approach_candidates else term.candidates
                message = (f"{_clip(value)!r} can mean {', '.join(options)}: say which in the import's Codes step. "
                           f"{term.note}").strip()
            elif scope is not None:
                message = f"{scope[1]} Say which in the import's Codes step."
            else:
                message = f"Unknown {column} {_clip(value)!r}. Known values: {', '.join(names)} (or an alias the knowledge base lists{hint})."
            problems.append(make_problem(label, idx, message))
    return problems, region


def _vocabulary(raw: pd.Series, kind: str) -> pd.Series:
    """Cells that are words of SpineDash's vocabulary of `kind` ("Nöjd", "sehr zufrieden") as their canonical
    value ("yes", "5"); other cells unchanged (an ambiguous word stays, to be reported and asked about)."""
    words = load_knowledge().value_words(kind)

    def parse(u: pd.Series) -> pd.Series:
        return u.map(lambda v: words.get(normalise_label(v), v)).astype("object")

    return _by_unique(raw, parse)[0]


def _ask_words(raw: pd.Series, bad: pd.Series, kind: str, label: str) -> tuple[list[Problem], pd.Series]:
    """Problems for the ambiguous vocabulary words among the `bad` cells, and the bad cells left."""
    problems: list[Problem] = []
    kb = load_knowledge()
    left = bad.copy()
    found = _text_series(raw[bad])
    for value, idx in found.groupby(found, sort=False).groups.items():
        term = kb.resolve_term(str(value), kind)
        if term.ambiguous:
            problems.append(make_problem(label, idx, f"{_clip(value)!r} can mean {' or '.join(term.candidates)}: say which in "
                                                      f"the import's Codes step. {term.note}".strip()))
            left[idx] = False
    return problems, left


# Several levels in one cell: "C5-C6;C6-C7" (registry flags joined), "L4-L5, L5-S1", "L4/5 og L5/S1".
_LEVEL_SEPARATORS = re.compile(r"\s*(?:[;,+&]|\bog\b|\boch\b|\bund\b|\band\b)\s*", re.IGNORECASE)
_REGION_ORDER = {"C": 0, "T": 1, "L": 2, "S": 3}


def _cranial_key(level: str) -> tuple[int, int]:
    m = re.match(r"^([CTLS])(\d{1,2})", level)
    return (_REGION_ORDER[m.group(1)], int(m.group(2))) if m else (9, 99)


def _one_level(raw: pd.Series, table: dict | None, label: str) -> tuple[pd.Series, str | None, pd.Series | None]:
    """One level per case, as the data model holds (SpineDash's rule for multi-level operations).

    A cell naming several levels ("C5-C6;C6-C7") keeps the most cranial one (C5-C6) as the level,
    so the case counts at its top level; the number of levels each row names is returned for the
    levels_operated column (None when no row names more than one) and reported in the warning.
    Each part goes through the profile's code table first (the NKR's "SideNivaaC5C6;SideNivaaC6C7").
    """
    lookup = {str(k).strip().casefold(): v for k, v in (table or {}).items()}
    counts: dict[str, int] = {}

    def parse(u: pd.Series) -> pd.Series:
        def one(v: str):
            parts = [p for p in _LEVEL_SEPARATORS.split(str(v)) if p.strip()]
            if len(parts) < 2:
                return lookup.get(str(v).strip().casefold(), v)
            levels = [str(lookup.get(p.strip().casefold(), p)) for p in parts]
            levels = _normalise_levels(pd.Series(levels, dtype="object")).tolist()
            counts[v] = len(dict.fromkeys(levels))
            return min(levels, key=_cranial_key)
        return _normalise_levels(u.map(one).astype("object")).astype("object")

    values = _by_unique(raw, parse)[0]
    several = {v: n for v, n in counts.items() if n > 1}
    if not several:
        return values, None, None
    per_row = _by_unique(raw, lambda u: u.map(several.get).astype("float64"))[0]
    levels = per_row.where(per_row.notna(), values.notna().astype("float64").where(values.notna()))
    multi = per_row.notna().to_numpy()
    rows = list(raw.index[multi])
    by_count = per_row[multi].astype(int).value_counts().sort_index()
    spread = ", ".join(f"{n:,} row{'s' if n != 1 else ''} with {k} levels" for k, n in by_count.items())
    example = next(iter(several))
    return values, (f"'{_clip(label)}' names more than one level on {len(rows):,} row{'s' if len(rows) != 1 else ''} "
                    f"({spread}; row{'s' if len(rows) != 1 else ''} {_rows_short(rows)}). SpineDash keeps one level per case: the most cranial, so "
                    f"'{_clip(example)}' is read as {values[raw.index[multi][0]]}; the number of levels is kept in levels_operated."), levels


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


def _rescale_vas(out: dict[str, pd.Series], header_for: dict[str, str], profile_units: dict | None = None,
                 facts: dict[str, tuple[int, float, float, int]] | None = None) -> tuple[list[str], dict[str, UnitDecision]]:
    notes: list[str] = []
    decisions: dict[str, UnitDecision] = {}
    profile_units = profile_units or {}
    for measure in _ten_point_measures():
        cols = [c for c in out if (_parse(c) or ("", ""))[0] == measure]
        if not cols:
            continue
        stated = profile_units.get(measure)
        if stated is not None:
            decision = UnitDecision(str(stated).replace("–", "-"), f"your profile says {stated}", "profile")
        else:
            # Column by column in numpy (no concatenated copy of a million-row file's VAS columns),
            # each column's facts taken from the conversion when it worked them out.
            facts = facts or {}
            decision = decide_vas_scale([out[c].to_numpy(dtype=np.float64, na_value=np.nan) for c in cols if c not in facts],
                                        [facts[c] for c in cols if c in facts])
        if decision.unit is None:
            continue
        decisions[measure] = decision
        if decision.unit == "0-100":
            for c in cols:
                out[c] = out[c] / 10
            names = ", ".join(f"'{header_for[c]}'" for c in cols)
            notes.append(f"Pain scores recorded on 0–100 ({decision.evidence}), divided by 10 to the app's 0–10 scale: {names}.")
    return notes, decisions


def _parse(column: str) -> tuple[str, str] | None:
    """(measure, time point) of an outcome column, or None."""
    parse = getattr(schema, "parse_outcome_column", None)
    if parse is not None:
        return parse(column)
    for m in schema.PAIN_MEASURES:
        if column.startswith(m + "_"):
            return m, column[len(m) + 1:]
    return None


def _ten_point_measures() -> list[str]:
    """Measures scored 0–10 (VAS/NRS): the ones a 0–100 file is divided by 10 for."""
    measures = getattr(schema, "MEASURES", None)
    if measures:
        return [m for m, info in measures.items() if getattr(info, "scale_max", None) == 10]
    return [m for m, info in schema.PAIN_MEASURES.items() if info["max"] == 10]


