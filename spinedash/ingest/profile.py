"""Import profiles: the whole mapping of one clinic's export (layout, columns, codes, units, cut-offs)
as a small, human-readable JSON file the user keeps and uploads with next month's export.

See the README ("Import profiles") for the format. No Streamlit.
"""

from __future__ import annotations

import codecs
import functools
import json
import os
import re
from pathlib import Path

import pandas as pd

from spinedash.ingest.cells import _fail
from spinedash.validation import OutcomeDataError, Problem

PROFILE_VERSION = 1
SECTIONS = ("spinedash_profile", "name", "description", "detect", "read", "layout", "columns", "codes",
            "units", "cutoffs", "assumptions")

ProfileSource = str | os.PathLike | bytes | bytearray | dict


def load_profile(profile: ProfileSource) -> dict:
    """A profile as a dict, from a path, the file's bytes or a dict; checked for its version and sections.

    Raises:
        OutcomeDataError: the profile is not a SpineDash import profile.
    """
    if isinstance(profile, dict):
        data = profile
    else:
        if isinstance(profile, (bytes, bytearray)):
            raw = bytes(profile)
        else:
            try:
                raw = Path(profile).read_bytes()
            except OSError as exc:
                raise _fail(f"The import profile could not be opened ({exc.strerror or type(exc).__name__}).", "(profile)") from exc
        try:
            data = json.loads(raw.decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise _fail("The import profile is not a JSON file; download it again from SpineDash's Data page.", "(profile)") from exc
    if not isinstance(data, dict) or data.get("spinedash_profile") != PROFILE_VERSION:
        raise _fail(f"This is not a SpineDash import profile (it needs \"spinedash_profile\": {PROFILE_VERSION}).", "(profile)")
    unknown = [k for k in data if k not in SECTIONS]
    if unknown:
        raise _fail(f"The import profile has sections SpineDash does not know: {', '.join(map(str, unknown))}.", "(profile)")
    for key in ("detect", "read", "layout", "columns", "codes", "units", "cutoffs"):
        if key in data and not isinstance(data[key], dict):
            raise _fail(f"The import profile's \"{key}\" section must be an object ({{…}}).", "(profile)")
    problems = _check_sections(data)
    if problems:
        raise OutcomeDataError([Problem("(profile)", (), p) for p in problems])
    return data


def _text_or_null(v: object) -> bool:
    return v is None or isinstance(v, str)


def _check_sections(data: dict) -> list[str]:
    """What is wrong inside the profile's sections, in words; [] when it can be used."""
    out: list[str] = []
    read = data.get("read") or {}
    d = read.get("delimiter")
    if d is not None and not (isinstance(d, str) and len(d) == 1 and d not in "\r\n\"'"):
        out.append('"read" → "delimiter" must be one character such as ";" or ",".')
    enc = read.get("encoding")
    if enc is not None:
        try:
            codecs.lookup(enc) if isinstance(enc, str) and enc else None
            if not (isinstance(enc, str) and enc):
                raise LookupError
        except LookupError:
            out.append(f'"read" → "encoding" {str(enc)[:30]!r} is not a text encoding Python knows (e.g. "latin-1", "utf-8").')
    if read.get("decimal") not in (None, ",", "."):
        out.append('"read" → "decimal" must be "," or ".".')
    layout = data.get("layout") or {}
    if "kind" in layout and not isinstance(layout["kind"], str):
        out.append('"layout" → "kind" must be a word such as "wide" or "long".')
    columns = data.get("columns") or {}
    bad = [k for k, v in columns.items() if not _text_or_null(v)]
    if bad:
        out.append(f'"columns": each value must be a column name, a measure or null; not for {", ".join(map(repr, bad[:5]))}.')
    for column, table in (data.get("codes") or {}).items():
        if not isinstance(table, dict) or not all(_text_or_null(v) for v in table.values()):
            out.append(f'"codes" → "{column}" must map codes to values ({{"1": "male"}}), with null for blank.')
    for column, unit in (data.get("units") or {}).items():
        if not isinstance(unit, str):
            out.append(f'"units" → "{column}" must be a unit such as "days", "hours" or "0-100".')
    for name, cutoff in (data.get("cutoffs") or {}).items():
        if not isinstance(cutoff, dict) or not isinstance(cutoff.get("satisfied_if", []), list) \
                or not isinstance(cutoff.get("not_satisfied_if", []), list) or not _text_or_null(cutoff.get("note")):
            out.append(f'"cutoffs" → "{name}" must be {{"satisfied_if": [codes…], "note": "…"}}.')
    return out


def dump_profile(profile: dict) -> bytes:
    """A profile as indented UTF-8 JSON, sections in the documented order."""
    ordered = {k: profile[k] for k in SECTIONS if k in profile}
    return (json.dumps(ordered, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


PROFILES_DIR = Path(__file__).resolve().parents[2] / "data" / "profiles"


@functools.cache
def builtin_profiles(directory: str | None = None) -> tuple[tuple[str, dict], ...]:
    """(file name, profile) for every built-in profile in data/profiles/, in name order."""
    root = Path(directory) if directory else PROFILES_DIR
    if not root.is_dir():
        return ()
    return tuple((p.name, load_profile(p)) for p in sorted(root.glob("*.json")))


def _columns_of(tables: dict[str, pd.DataFrame]) -> set[str]:
    return {str(c).strip() for frame in tables.values() for c in frame.columns}


def matches(profile: dict, tables: dict[str, pd.DataFrame]) -> bool:
    """True when the tables carry every column of the profile's detect.all_columns, one of any_columns
    and none of no_columns, and their values fit detect.value_patterns."""
    detect = profile.get("detect") or {}
    need, anyof = detect.get("all_columns") or [], detect.get("any_columns") or []
    if not need and not anyof:
        return False
    have = {c.casefold() for c in _columns_of(tables)}
    if not (all(str(c).casefold() in have for c in need) and (not anyof or any(str(c).casefold() in have for c in anyof))):
        return False
    # no_columns: a classic REDCap project's profile must not take the same project's longitudinal
    # export, which differs by its redcap_event_name column.
    if any(str(c).casefold() in have for c in detect.get("no_columns") or []):
        return False
    # value_patterns: {column: regex every non-empty value matches}, e.g. REDCap raw event names
    # ("3_months_arm_1") against labels ("3 months"), two exports with the same columns.
    for column, pattern in (detect.get("value_patterns") or {}).items():
        values = [
            v
            for frame in tables.values()
            for i, c in enumerate(frame.columns)
            if str(c).strip().casefold() == str(column).casefold()
            for v in pd.unique(frame.iloc[:, i].astype("string").dropna())[:200]
            if str(v).strip()
        ]
        if not values or not all(re.search(pattern, str(v)) for v in values):
            return False
    return True


def detect_profile(tables: dict[str, pd.DataFrame]) -> dict | None:
    """The built-in profile whose detect section fits the tables best (most columns named), or None."""
    best, best_score = None, 0
    for _, profile in builtin_profiles():
        if matches(profile, tables):
            detect = profile.get("detect") or {}
            score = len(detect.get("all_columns") or []) * 10 + len(detect.get("any_columns") or [])
            if score > best_score:
                best, best_score = profile, score
    return best
