"""Shape stage: tables to one row per operated case.

The layouts clinics' exports arrive in, each turned into one row per operated case:

- ``wide``: one row per case already (today's template, registry datadumps);
- ``long``: one row per case and time point, REDCap longitudinal exports included (event names to
  time points, repeating instruments, ``*_complete`` form-status columns, checkbox ``field___N``);
- ``prom_tidy``: one row per case × time point × instrument with a score (PROM systems);
- ``sheet_per_timepoint``: a workbook with one sheet per time point (and perhaps a case sheet);
- ``operations_followup``: an operations file and a follow-up file joined on a patient or case id;
  when a patient has several operations each questionnaire goes to the operation it follows, by date.

`detect_layout` says which layout the tables look like and why; `shape` applies a layout (a
profile's "layout" section). A column pivoted from a time point is named ``"<column>@<time point>"``
and listed in `Shaped.timepoint`; a column seen at one time point only keeps its name and is listed
there too, so the map stage knows when it was measured. Column-at-a-time pandas/numpy, no per-row
Python, no Streamlit. Refusals are `OutcomeDataError`s naming the column and the spreadsheet rows.
"""

from __future__ import annotations

import re
import unicodedata
import weakref
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from spinedash.catalogue import load_catalogue
from spinedash.ingest.cells import _MISSING_SET, _has_repeats, _missing_text
from spinedash.validation import PARALLEL_ROWS, OutcomeDataError, column_pool, make_problem

LAYOUT_KINDS = ("wide", "long", "prom_tidy", "sheet_per_timepoint", "operations_followup")
# Cases the shaped table may hold (one row per operated case), whatever the layout: a long file has
# several rows per case, so the read stage caps rows and cells instead (spinedash.ingest.read).
MAX_CASES = 2_000_000

# Time points SpineDash knows (data/timepoints.csv), with the nominal day after surgery; any other
# day after surgery is a custom time point "d<days>".
_NOMINAL_DAYS = {t.id: t.days for t in load_catalogue().timepoints.values()}
# Follow-up forms dated this many days after an operation count as that time point (by nearest
# nominal day, within these windows); later than the last window -> custom "dNNN".
_DAY_WINDOWS = (("2w", 1, 28), ("6w", 28, 63), ("3m", 63, 136), ("6m", 136, 273), ("12m", 273, 548), ("24m", 548, 1096))
PREOP_WINDOW_DAYS = 90

_TRUE_FLAGS = frozenset({"1", "1.0", "true", "yes", "ja", "j", "y", "x", "checked", "sant", "oui", "si"})
_FALSE_FLAGS = frozenset({"0", "0.0", "false", "no", "nei", "n", "unchecked", "nej", "nein"})


@dataclass(frozen=True)
class LayoutGuess:
    kind: str  # "wide" | "long" | "prom_tidy" | "sheet_per_timepoint" | "operations_followup"
    settings: dict  # the profile's "layout" section that shape() takes
    evidence: str  # one sentence in the user's words: why this layout was guessed


@dataclass(frozen=True)
class Shaped:
    cases: pd.DataFrame  # one row per operated case; columns are source column names (str)
    timepoint: dict[str, str] = field(default_factory=dict)  # pivoted column -> time point id ("odi@12m" -> "12m")
    notes: list[str] = field(default_factory=list)  # what shaping did, in the user's words


# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------


def _fail(column: str, rows, message: str) -> OutcomeDataError:
    return OutcomeDataError([make_problem(column, rows, message)])


def _rows(frame: pd.DataFrame, mask) -> list[int]:
    """Spreadsheet row numbers of the rows under `mask` (the read stage indexes rows by them)."""
    index = frame.index[np.asarray(mask, dtype=bool)]
    if pd.api.types.is_integer_dtype(index):
        return [int(r) for r in index[:1000]]
    positions = np.flatnonzero(np.asarray(mask, dtype=bool))[:1000]
    return [int(p) + 2 for p in positions]


def _short(values, k: int = 4) -> str:
    values = [str(v) for v in values]
    text = ", ".join(f"'{v}'" for v in values[:k])
    return text + (f" and {len(values) - k} more" if len(values) > k else "")


def _fold(text: object) -> str:
    """Lower-case, accents off (å stays å for Norwegian/Swedish 'år'), whitespace squeezed."""
    s = unicodedata.normalize("NFKC", str(text)).strip().lower()
    s = "".join(ch for ch in unicodedata.normalize("NFD", s) if unicodedata.category(ch) != "Mn" or ch == "\u030a")
    s = unicodedata.normalize("NFC", s)
    return re.sub(r"\s+", " ", s)


def _blank(s: pd.Series) -> np.ndarray:
    """True where a cell holds nothing: NaN/None, or in a text column only whitespace or a spelling
    of missing ("NA", "n/a", "-" …, which the typed CSV read parses as null: a cell is blank
    whichever reader read it, and an "NA" on a follow-up row is no answer at that time point).

    Never turns a million-row text column into Python strings: a category column is judged by its
    categories, an Arrow string column by Arrow's own kernels, anything else once per distinct value.
    """
    dtype = s.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        categories = s.cat.categories
        if len(categories) <= 100_000:  # str.strip as before, without a pandas string column per call
            cats = np.fromiter((str(c).strip() in _MISSING_SET for c in categories), dtype=bool, count=len(categories))
        else:
            cats = pd.Series(categories, dtype=object).astype("string").str.strip().isin(_MISSING_SET).fillna(True).to_numpy(dtype=bool)
        codes = s.array.codes
        blank_codes = np.flatnonzero(cats)
        if len(blank_codes) > 3:
            return np.append(cats, True)[codes]  # code -1 (missing) takes the last slot
        # usually one blank category (""): comparing codes is 5× quicker than gathering by code
        out = codes < 0
        for code in blank_codes:
            out |= codes == code
        return out
    if not (pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)):
        return s.isna().to_numpy()
    if getattr(dtype, "storage", None) == "pyarrow":
        arr = pa.chunked_array(s.array._pa_array) if hasattr(s.array, "_pa_array") else pa.array(s.astype(object))
        return np.concatenate([_blank_text(chunk) for chunk in arr.chunks]) if arr.num_chunks else np.zeros(0, dtype=bool)
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    empty = pd.Series(uniques, dtype=object).astype("string").str.strip().isin(_MISSING_SET).fillna(True).to_numpy(dtype=bool)
    return np.append(empty, True)[codes]


_BLANK_BYTES = np.zeros(256, dtype=bool)
_BLANK_BYTES[[9, 10, 12, 13, 32]] = True  # RE2's \s: [\t\n\f\r ]


def _blank_text(arr: pa.Array) -> np.ndarray:
    """True where an Arrow text cell is null, or empty or a spelling of missing once [\t\n\f\r ]
    (what the regex \\s* matched) is trimmed: only the few cells that could be are looked at
    (cells._missing_text)."""
    return _missing_text(arr, _BLANK_BYTES, lambda a: pc.ascii_trim(a, characters=" \t\n\f\r"))


def _col(frame: pd.DataFrame, name) -> pd.Series:
    """The first column called `name` (exports can repeat a header, e.g. blank trailing ones)."""
    at = frame.columns.get_loc(name)
    if isinstance(at, int):
        return frame.iloc[:, at]
    return frame.iloc[:, int(np.flatnonzero(np.asarray(at))[0])]


def _table_label(name: str) -> str:
    return name.split("/", 1)[1] if "/" in name else name


def timepoint_ids() -> tuple[str, ...]:
    """The time point ids of the catalogue (pre, 2w, 6w, 3m, 6m, 12m, 24m)."""
    return tuple(_NOMINAL_DAYS)


# Every word the catalogue lists for a time point (its id, label and aliases), folded.
_CATALOGUE_WORDS = {
    re.sub(r"[\s_-]+", " ", _fold(word)).strip(): t.id for t in load_catalogue().timepoints.values() for word in (t.id, t.label, *t.aliases)
}


def _days_to_timepoint(days: int) -> str:
    for tp, d in _NOMINAL_DAYS.items():
        if days == d:
            return tp
    for tp, lo, hi in ((("3m", 88, 93)), ("6m", 180, 184), ("12m", 360, 366), ("24m", 728, 731)):
        if lo <= days <= hi:
            return tp
    return f"d{days}"


_UNIT = {
    "d": 1, "day": 1, "days": 1, "dag": 1, "dager": 1, "dagar": 1, "tag": 1, "tage": 1, "dogn": 1, "døgn": 1,
    "w": 7, "wk": 7, "wks": 7, "week": 7, "weeks": 7, "uke": 7, "uker": 7, "u": 7, "v": 7, "vecka": 7, "veckor": 7, "woche": 7, "wochen": 7,
    "m": 30, "mo": 30, "mon": 30, "mos": 30, "month": 30, "months": 30, "mnd": 30, "mndr": 30, "mån": 30, "manad": 30, "månad": 30, "månader": 30, "monat": 30, "monate": 30, "monaten": 30, "mt": 30,
    "y": 365, "yr": 365, "yrs": 365, "year": 365, "years": 365, "år": 365, "ar": 365, "aar": 365, "jahr": 365, "jahre": 365, "jahren": 365,
}  # fmt: skip
_PRE_WORDS = (
    "pre", "preop", "pre-op", "pre op", "pre_op", "preoperative", "pre-operative", "preoperativ", "praeop", "praop",
    "baseline", "base line", "before surgery", "before operation", "for operasjon", "før operasjon", "fore operation",
    "före operation", "vor op", "vor der operation", "präop", "t0", "0", "pre-surgery", "presurgery",
)  # fmt: skip
_TP_RE = re.compile(r"^(?:(?P<n1>\d{1,4})\s*[-_ ]?\s*(?P<u1>[a-zåäö]+)|(?P<u2>[a-zåäö]+)\s*[-_ ]?\s*(?P<n2>\d{1,4}))$")


def parse_timepoint(value: object) -> str | None:
    """A time point id for a label such as "3 months", "12_months_arm_1", "1 år", "Pre-op"; None if unsure.

    REDCap's arm suffix ("_arm_1", "(Arm 1: Surgery)") is ignored. "1 year" is 12m, "2 years" 24m;
    a count of days, weeks or months that is not a catalogue time point becomes "dNNN".
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    s = _fold(value)
    s = re.sub(r"\s*\(arm \d+[^)]*\)\s*$", "", s)
    s = re.sub(r"_arm_\d+$", "", s)
    s = s.replace("_", " ").strip()
    s = re.sub(r"\b(follow[ -]?up|oppfolging|oppfølging|uppföljning|uppfoljning|kontroll|ktr|fu|nach op|post[ -]?op|postoperative|after surgery|etter operasjon|efter operation)\b", " ", s)
    s = re.sub(r"\s+", " ", s).strip(" -.:")
    if s in _NOMINAL_DAYS:
        return s
    if re.sub(r"[\s_-]+", " ", s).strip() in _CATALOGUE_WORDS:
        return _CATALOGUE_WORDS[re.sub(r"[\s_-]+", " ", s).strip()]
    if s in _PRE_WORDS or s.replace(" ", "") in {w.replace(" ", "") for w in _PRE_WORDS}:
        return "pre"
    m = re.fullmatch(r"d(\d{1,4})", s)
    if m:
        return _days_to_timepoint(int(m.group(1)))
    m = _TP_RE.fullmatch(s)
    if not m:
        return None
    n = int(m.group("n1") or m.group("n2"))
    unit = m.group("u1") or m.group("u2")
    if unit not in _UNIT:
        return None
    if _UNIT[unit] == 30:
        return {3: "3m", 6: "6m", 12: "12m", 24: "24m"}.get(n) or _days_to_timepoint(round(n * 30.44))
    if _UNIT[unit] == 365:
        return {1: "12m", 2: "24m"}.get(n) or _days_to_timepoint(n * 365)
    if _UNIT[unit] == 7:
        return {2: "2w", 6: "6w"}.get(n) or _days_to_timepoint(n * 7)
    return _days_to_timepoint(n)


def _tp_order(tp: str) -> float:
    if tp in _NOMINAL_DAYS:
        return _NOMINAL_DAYS[tp]
    m = re.fullmatch(r"d(\d+)", tp)
    return float(m.group(1)) if m else 1e9


# ---------------------------------------------------------------------------------------------
# Column groups: REDCap checkboxes (field___code) and registry flag columns (OpL45, OpL5S1 …)
# ---------------------------------------------------------------------------------------------

_CHECKBOX = re.compile(r"^(?P<field>.+?)___(?P<code>[A-Za-z0-9_.-]+)$")
# with label headers: "Race (choice=Asian)" (REDCapR inst/test-data/specific-redcapr/read-batch-simple/label-header.R)
_CHECKBOX_LABEL = re.compile(r"^(?P<field>.+) \(choice=(?P<code>.+)\)$")


def _flag_on(s: pd.Series) -> np.ndarray:
    """True where a 0/1, yes/no or Checked/Unchecked cell is on."""
    if pd.api.types.is_bool_dtype(s.dtype):
        return s.fillna(False).to_numpy(dtype=bool)
    if pd.api.types.is_numeric_dtype(s.dtype):
        return (s.fillna(0).to_numpy() == 1)
    text = s.astype("string").str.strip().str.lower()
    return text.isin(list(_TRUE_FLAGS)).fillna(False).to_numpy(dtype=bool)


def _collapse_group(frame: pd.DataFrame, columns: list[str], values: list[str], how: str,
                    counts: np.ndarray | None = None) -> pd.Series:
    """One column from a group of flag columns: the value of each flagged column, ";"-joined or the first.
    `counts`, when given, receives how many of the columns each row flags."""
    out = np.full(len(frame), None, dtype=object)
    for col, val in zip(columns, values, strict=True):
        s = frame[col]
        on = _flag_on(s)
        cell: object = val
        if not on.any():
            # checkbox-label exports write the choice's label in the cell instead of 1/Checked
            text = s.astype("string").str.strip()
            known = text.str.lower().isin(list(_FALSE_FLAGS | _TRUE_FLAGS)).fillna(True).to_numpy(dtype=bool)
            on = ~_blank(s) & ~known
            cell = text.to_numpy(dtype=object, na_value=None)
        if not on.any():
            continue
        if counts is not None:
            counts += on
        fill = on & np.equal(out, None)
        out[fill] = cell[fill] if isinstance(cell, np.ndarray) else cell
        if how != "first":
            more = on & ~fill
            out[more] = out[more] + ";" + (cell[more] if isinstance(cell, np.ndarray) else cell)
    return pd.Series(out, index=frame.index, dtype=object)


def _apply_groups(frame: pd.DataFrame, layout: dict, notes: list[str], label: str) -> pd.DataFrame:
    """Collapse REDCap checkbox columns and the layout's flag groups into one column each."""
    out = frame
    groups: dict[str, tuple[list[str], list[str], str]] = {}
    if layout.get("checkboxes", "collapse") == "collapse":
        found: dict[str, list[tuple[str, str]]] = {}
        for col in frame.columns:
            m = _CHECKBOX.match(str(col)) or _CHECKBOX_LABEL.match(str(col))
            if m:
                found.setdefault(m.group("field"), []).append((str(col), m.group("code")))
        for fieldname, members in found.items():
            if len(members) >= 2 and fieldname not in frame.columns:
                groups[fieldname] = ([c for c, _ in members], [code for _, code in members], "join")
        if groups:
            notes.append(
                f"{label}: checkbox columns were combined into one column each, the ticked choices joined by ';': "
                + "; ".join(f"{f} ← {', '.join(g[0][:3])}{' …' if len(g[0]) > 3 else ''}" for f, g in groups.items())
                + "."
            )
    count_as: dict[str, str] = {}
    for name, spec in (layout.get("flag_groups") or {}).items():
        columns = spec.get("columns") if isinstance(spec, dict) else list(spec)
        how = spec.get("multiple", "join") if isinstance(spec, dict) else "join"
        present = [c for c in columns if c in frame.columns]
        if not present:
            continue
        groups[name] = (present, present, "first" if how == "first" else "join")
        rule = "the first in this order: " + ", ".join(present) if how == "first" else "all flagged, joined by ';'"
        notes.append(f"{label}: the flag columns {', '.join(present)} were combined into '{name}' ({rule}).")
        if isinstance(spec, dict) and isinstance(spec.get("count_as"), str):
            # How many of the group's columns a row flags, e.g. the number of levels operated when a
            # registry keeps one flag a level (blank when none is flagged).
            count_as[name] = spec["count_as"]
            notes.append(f"{label}: the number of them flagged on each row is read as '{spec['count_as']}'.")
    copies = {str(k): str(v) for k, v in (layout.get("copy_columns") or {}).items() if v in frame.columns}
    if copies:
        notes.append(f"{label}: " + "; ".join(f"'{src}' is also read as '{dst}'" for dst, src in copies.items()) + ", as the layout says.")
    if not groups and not copies:
        return out
    new: dict[str, pd.Series] = {}
    for name, (cols, vals, how) in groups.items():
        counts = np.zeros(len(frame), dtype=np.int64) if name in count_as else None
        new[name] = _collapse_group(frame, cols, vals, how, counts)
        if counts is not None:
            new[count_as[name]] = pd.Series(np.where(counts > 0, counts, np.nan), index=frame.index)
    used = {c for cols, _, _ in groups.values() for c in cols}
    keep = {c: frame[c] for c in frame.columns if c not in used}
    copied = {dst: frame[src] for dst, src in copies.items()}
    out = pd.DataFrame({**keep, **new, **copied}, index=frame.index)
    out.attrs = dict(frame.attrs)
    return out


def _drop_form_status(frame: pd.DataFrame, notes: list[str], label: str) -> pd.DataFrame:
    # raw headers "<form>_complete"; with label headers every form's status column is "Complete?"
    # (REDCapR inst/test-data/specific-redcapr/read-batch-simple/label-header.R)
    status = list(dict.fromkeys(c for c in frame.columns if str(c).endswith("_complete") or str(c).strip() == "Complete?"))
    if not status:
        return frame
    notes.append(f"{label}: REDCap form-status columns were ignored: {', '.join(status)}.")
    out = frame.drop(columns=status)
    out.attrs = dict(frame.attrs)
    return out


# ---------------------------------------------------------------------------------------------
# The pivot at the heart of every multi-row layout: rows (case, time point) -> one row per case
# ---------------------------------------------------------------------------------------------


def _scatter(column: pd.Series, rows: np.ndarray, where: np.ndarray, n: int) -> pd.Series:
    """A length-n column holding column[rows] at positions `where`, missing elsewhere (dtype kept)."""
    source = np.full(n, -1, dtype=np.intp)
    source[where] = rows
    return _take(column, source)


def _take(column: pd.Series, source: np.ndarray) -> pd.Series:
    """column[source], missing where `source` is -1 (dtype kept)."""
    return pd.Series(column.array.take(source, allow_fill=True), copy=False)


_MEMO: dict[str, tuple[weakref.ref, object]] = {}


def _memo(kind: str, s: pd.Series, compute):
    """compute(s), remembered for the Arrow data behind `s` while that data lives.

    detect_layout and shape ask the same questions of the same id and time point columns (each
    hashes or compares six million cells of a long file: ~0.1 s). Arrow data is immutable and a
    changed column is new data, so the answer holds; one entry per kind, dropped with its data.
    """
    data = getattr(s.array, "_pa_array", None)
    if data is None:
        return compute(s)
    hit = _MEMO.get(kind)
    if hit is not None and hit[0]() is data:
        return hit[1]
    value = compute(s)

    def forget(ref, kind=kind):
        if (entry := _MEMO.get(kind)) is not None and entry[0] is ref:
            _MEMO.pop(kind, None)

    _MEMO[kind] = (weakref.ref(data, forget), value)
    return value


def _factorized(s: pd.Series) -> tuple[np.ndarray, object]:
    """pd.factorize(s) (read-only codes, as small an integer as fits), remembered for Arrow text."""

    def compute(s: pd.Series):
        period = _period(s)
        if period:  # the words of the first `period` rows, over and over: factorise those alone
            head, uniques = pd.factorize(s.iloc[:period], use_na_sentinel=True)
            codes = np.tile(head, -(-len(s) // period))[: len(s)]
        else:
            codes, uniques = pd.factorize(s, use_na_sentinel=True)
        small = codes.astype(np.min_scalar_type(-max(len(uniques), 1)), copy=False)
        small.flags.writeable = False
        return small, uniques

    return _memo("factorize", s, compute)


def _period(s: pd.Series, longest: int = 64) -> int | None:
    """The period of an Arrow text column that repeats its first rows over and over (a long file's
    time point column when every case has every visit in the same order), else None.

    One comparison of the column with itself shifted (~20 ms for six million cells) instead of
    hashing every cell (~0.1 s).
    """
    data = getattr(s.array, "_pa_array", None)
    n = len(s)
    if data is None or data.null_count or n < 4 * longest or not (pa.types.is_string(data.type) or pa.types.is_large_string(data.type)):
        return None
    head = data.slice(0, longest + 1).to_pylist()
    period = next((i for i in range(1, longest + 1) if head[i] == head[0]), None)
    if period is None:
        return None
    arr = data.combine_chunks()
    return period if pc.all(pc.equal(arr.slice(period), arr.slice(0, n - period))).as_py() else None


def _run_keys(s: pd.Series) -> np.ndarray | pa.Array | None:
    """The cells as values two cells share only when they are equal (numpy, or Arrow text), without
    hashing; None when that is not cheap or some cell is missing."""
    dtype = s.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        codes = s.cat.codes.to_numpy()
        return None if (codes < 0).any() else codes
    if getattr(dtype, "storage", None) == "pyarrow" and hasattr(s.array, "_pa_array"):
        arr = pa.chunked_array(s.array._pa_array).combine_chunks()
        return None if arr.null_count else arr
    if dtype.kind in "iub":
        return s.to_numpy()
    if dtype.kind == "f":
        values = s.to_numpy()
        return None if np.isnan(values).any() else values
    return None


def _case_runs(ids: pd.Series) -> np.ndarray | None:
    """Where each case's rows start, when the rows come grouped by case (each id on one run of
    adjacent rows, as exports list a case's visits together); None when they do not.

    One comparison of each id with the one before instead of hashing millions of ids (pd.factorize
    of 6M ids was 0.35 s of a 1M × 6 long file's 2.5 s of shaping).
    """
    return _memo("case_runs", ids, _find_case_runs)


def _find_case_runs(ids: pd.Series) -> np.ndarray | None:
    n = len(ids)
    keys = _run_keys(ids) if n else None
    if keys is None:
        return None
    if isinstance(keys, np.ndarray):
        change = keys[1:] != keys[:-1]
    else:
        change = pc.not_equal(keys.slice(1), keys.slice(0, n - 1)).to_numpy(zero_copy_only=False)
    starts = np.flatnonzero(np.concatenate(([True], change)))
    if isinstance(keys, np.ndarray):
        heads = keys[starts]
        grouped = bool((heads[1:] > heads[:-1]).all()) or len(np.unique(heads)) == len(heads)
    else:
        grouped = not _has_repeats(keys.take(starts))
    starts.flags.writeable = False
    return starts if grouped else None


def _first_rows(codes: np.ndarray) -> np.ndarray:
    """The first row of each code, for codes numbered 0, 1, 2 … in order of first appearance."""
    if not len(codes):
        return np.zeros(0, dtype=np.intp)
    seen = np.maximum.accumulate(codes)
    return np.flatnonzero(np.concatenate(([True], seen[1:] > seen[:-1])))


def _pivot(
    frame: pd.DataFrame,
    case_col: str,
    tps: np.ndarray | tuple[np.ndarray, list[str]],
    label: str,
    notes: list[str],
    *,
    case_columns: tuple[str, ...] = (),
    always_pivot: tuple[str, ...] = (),
    dedupe: str = "refuse",
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Rows of (case, time point) to one row per case.

    A column with values at several time points that differ within a case is pivoted to
    "<column>@<tp>"; one whose values agree within every case is a case column and keeps its name;
    one with values at a single time point keeps its name and is recorded with that time point.
    `tps` is each row's time point id, or (codes, ids): each row's index into the ids.

    Cases are numbered in order of first appearance. Every (time point, case) has at most one row,
    kept in `slot`; when each case has one row per time point in the same order (the usual export),
    that row is computed, not looked up, and a column at one time point is a strided view.
    """
    ids = frame[case_col]
    if isinstance(tps, tuple):
        tp_codes, tp_names = np.asarray(tps[0], dtype=np.intp), list(tps[1])
    else:
        tp_codes, tp_values = pd.factorize(pd.Series(tps, index=frame.index), sort=False)
        tp_names = list(tp_values)
    ntp = max(len(tp_names), 1)
    starts = _case_runs(ids)
    n = len(ids)
    case_codes: np.ndarray | None = None  # each row's case number; not made for a regular file (row // ntp)
    if starts is not None:
        ncase = len(starts)
        case_values = pd.Series(ids.array.take(starts))
        first_row = starts
    else:
        codes, uniques = pd.factorize(ids, sort=False)
        case_codes, ncase = codes.astype(np.intp, copy=False), len(uniques)
        case_values = pd.Series(np.asarray(uniques, dtype=object) if ids.dtype == object else uniques)
        first_row = _first_rows(case_codes)
    regular = (
        starts is not None and n == ncase * ntp and bool((np.diff(starts) == ntp).all())
        and len(set(tp_codes[:ntp].tolist())) == ntp and bool((tp_codes.reshape(ncase, ntp) == tp_codes[:ntp]).all())
    )  # fmt: skip
    if regular:
        pos = np.argsort(tp_codes[:ntp])  # where each time point sits within a case's rows
        slot = pos[:, None] + (np.arange(ncase, dtype=np.intp) * ntp)[None, :]
    else:
        if case_codes is None:
            case_codes = np.repeat(np.arange(ncase, dtype=np.intp), np.diff(np.append(starts, n)))
        slot = np.full((ntp, ncase), -1, dtype=np.intp)
        slot[tp_codes, case_codes] = np.arange(n)
        if np.count_nonzero(slot >= 0) < n:  # some case has two rows at one time point
            key = case_codes.astype(np.int64) * ntp + tp_codes
            dup = pd.Series(key).duplicated(keep="first").to_numpy()
            if dedupe == "refuse":
                both = pd.Series(key).duplicated(keep=False).to_numpy()
                first = np.flatnonzero(both)[0]
                raise _fail(
                    case_col,
                    _rows(frame, both),
                    f"{both.sum():,} rows repeat a case and time point (e.g. '{ids.iloc[first]}' at {tp_names[tp_codes[first]]}): "
                    "each case may have one row per time point. Remove the repeated rows, or choose the column "
                    "that tells the visits apart as the time point column.",
                )
            notes.append(f"{label}: {int(dup.sum()):,} repeated rows for the same case and time point were left out (rows {_short(_rows(frame, dup), 8)}); the first was used.")
            keep = ~dup
            frame, case_codes, tp_codes = frame[keep], case_codes[keep], tp_codes[keep]
            n = len(case_codes)
            first_row = _first_rows(case_codes)  # a case's first row is never a repeat: numbering holds
            slot.fill(-1)
            slot[tp_codes, case_codes] = np.arange(n)
    index = frame.index[first_row] if pd.api.types.is_integer_dtype(frame.index) else pd.RangeIndex(ncase)

    def cases_of(rows: np.ndarray) -> np.ndarray:
        """The case number of each of `rows` (ascending)."""
        return rows // ntp if case_codes is None else case_codes[rows]

    def at_timepoint(s: pd.Series, k: int, on_k: np.ndarray) -> pd.Series:
        """The column's cells at time point k, one a case (missing where `on_k` is False)."""
        if regular and n:  # every case's rows in the same order: time point k is every ntp-th row
            if isinstance(s.dtype, pd.CategoricalDtype):
                codes = s.array.codes[pos[k] :: ntp].copy()
                codes[~on_k] = -1
                return pd.Series(pd.Categorical.from_codes(codes, dtype=s.dtype, validate=False), copy=False)
            if isinstance(s.dtype, np.dtype) and s.dtype.kind == "f":  # blank is NaN already
                return pd.Series(s.to_numpy()[pos[k] :: ntp].copy(), copy=False)
        return _take(s, np.where(on_k, slot[k], -1))

    def pivot_column(col_pos: int) -> list[tuple[str, pd.Series, str | None]] | None:
        """One source column as its case-level column(s) with their time points; None: no values."""
        col = frame.columns[col_pos]
        s = frame.iloc[:, col_pos]
        present = ~_blank(s)
        if not present.any():
            return None
        if regular:
            grid = present.reshape(ncase, ntp)
            on = [grid[:, pos[k]] for k in range(ntp)]  # views: the cases with a value at time point k
        else:
            padded = np.append(present, False)  # slot -1 (no row) reads the padding
            on = [padded[slot[k]] for k in range(ntp)]
        at = [k for k in range(ntp) if on[k].any()]
        if col in case_columns or (len(at) > 1 and col not in always_pivot):

            def first_rows(upto: int, on=on, at=at) -> np.ndarray:
                """The first row with a value of each case below `upto` (-1: none)."""
                first = np.full(upto, n, dtype=np.intp)
                for k in at:
                    np.minimum(first, np.where(on[k][:upto], slot[k, :upto], n), out=first)
                first[first == n] = -1
                return first

            if col in case_columns or _agrees_within_case(s, present, cases_of, first_rows):
                return [(str(col), _take(s, first_rows(ncase)), None)]
        if len(at) == 1 and col not in always_pivot:
            return [(str(col), at_timepoint(s, at[0], on[at[0]]), tp_names[at[0]])]
        return [(f"{col}@{tp_names[k]}", at_timepoint(s, k, on[k]), tp_names[k]) for k in sorted(at, key=lambda c: _tp_order(tp_names[c]))]

    positions = [i for i, col in enumerate(frame.columns) if col != case_col]
    if n >= PARALLEL_ROWS and len(positions) > 1:  # columns are independent: one a core (numpy lets go of the GIL)
        pivoted = list(column_pool().map(pivot_column, positions))
    else:
        pivoted = [pivot_column(i) for i in positions]
    out: dict[str, pd.Series] = {case_col: case_values}
    when: dict[str, str] = {}
    empty = []
    for i, parts in zip(positions, pivoted, strict=True):
        if parts is None:
            empty.append(str(frame.columns[i]))
            continue
        for name, column, tp in parts:
            out[name] = column
            if tp is not None:
                when[name] = tp
    if empty:
        notes.append(f"{label}: columns with no values were left out: {_short(empty, 6)}.")
    cases = pd.DataFrame(out, copy=False)  # no consolidating copy of every pivoted column (0.4 s at 1M × 6)
    cases.index = index
    cases.attrs = dict(frame.attrs)
    cases.attrs["rows_read"] = frame.attrs.get("rows_read", len(frame))
    return cases, when


_PROBE_ROWS = 65_536


def _equality_keys(s: pd.Series) -> np.ndarray | pa.Array:
    """Values whose equality is the cells' equality: category codes, numbers, Arrow text, else codes."""
    dtype = s.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return s.cat.codes.to_numpy()
    if getattr(dtype, "storage", None) == "pyarrow" and hasattr(s.array, "_pa_array"):
        return pa.chunked_array(s.array._pa_array).combine_chunks()
    if dtype.kind in "biuf":
        return s.to_numpy()
    return pd.factorize(s, use_na_sentinel=True)[0]


def _differ(keys: np.ndarray | pa.Array, a: np.ndarray, b: np.ndarray) -> bool:
    if isinstance(keys, np.ndarray):
        return bool((keys[a] != keys[b]).any())
    return not pc.all(pc.equal(keys.take(a), keys.take(b))).as_py()


def _agrees_within_case(s: pd.Series, present: np.ndarray, cases_of, first_rows) -> bool:
    """True if some case has this column at two rows and, in every case, all its values are equal.

    Each value is compared with its case's first value (`first_rows(k)`: the first row with a value
    of each case below k, -1 for none; cases numbered by first appearance; `cases_of(rows)`: their
    case numbers) through one gather. A column that differs within cases (a score per visit) shows
    it in the first rows already, so those are compared alone first.
    """
    keys = None
    for head in ((_PROBE_ROWS,) if len(present) > 4 * _PROBE_ROWS else ()) + (len(present),):
        rows = np.flatnonzero(present[:head])
        cases = cases_of(rows)
        firsts = first_rows(int(cases.max()) + 1 if len(cases) else 0)[cases]
        later = rows != firsts
        if head == len(present) and not later.any():
            return False  # one value per case: nothing to agree
        keys = _equality_keys(s) if keys is None else keys
        if later.any() and _differ(keys, rows[later], firsts[later]):
            return False
    return True


# ---------------------------------------------------------------------------------------------
# Layouts
# ---------------------------------------------------------------------------------------------


def _table(tables: dict[str, pd.DataFrame], name: str | None, what: str = "table") -> tuple[str, pd.DataFrame]:
    if not tables:
        raise _fail("(whole file)", [], "There is no table to read.")
    if name is None:
        name = _best_table(tables)
    if name not in tables:
        # a profile saved with last month's file names: match on the sheet name or a single table
        by_sheet = [n for n in tables if _table_label(n) == _table_label(name)]
        if len(by_sheet) == 1:
            name = by_sheet[0]
        else:
            raise _fail("(whole file)", [], f"The layout names the {what} '{name}', which is not among the files: {', '.join(tables)}.")
    return name, tables[name]


def _column(frame: pd.DataFrame, name: str | None, what: str, label: str) -> str:
    if not name:
        raise _fail("(whole file)", [], f"The layout does not say which column of {label} holds the {what}.")
    if name in frame.columns:
        return name
    folded = {_fold(c): c for c in frame.columns}
    if _fold(name) in folded:
        return folded[_fold(name)]
    raise _fail(name, [], f"{label} has no column '{name}' (the {what}); its columns are {_short(list(frame.columns), 8)}.")


def _require_ids(frame: pd.DataFrame, col: str, what: str) -> None:
    missing = _blank(frame[col])
    if missing.any() and not missing.all():
        raise _fail(col, _rows(frame, missing), f"The {what} is empty on {missing.sum():,} rows: every row needs one.")
    if missing.all():
        raise _fail(col, [], f"The {what} column '{col}' is empty.")


def _timepoints_for(frame: pd.DataFrame, col: str, mapping: dict | None, label: str, notes: list[str]) -> np.ndarray:
    """Time point ids for the values of a time point column: the layout's mapping, else parsed from the words."""
    codes, names = _timepoint_codes(frame, col, mapping, label, notes)
    return np.asarray([*names, None], dtype=object)[codes]


def _timepoint_codes(frame: pd.DataFrame, col: str, mapping: dict | None, label: str, notes: list[str]) -> tuple[np.ndarray, list[str]]:
    """Each row's time point as (codes, ids): ids in order of first appearance, code -1 for a row
    the layout leaves out. The layout's mapping decides, else the words are parsed."""
    s = _col(frame, col)
    # one decision per distinct word, then spread to the rows by code (no per-row Python)
    codes, distinct = _factorized(s)
    words = [str(u).strip() for u in distinct]
    mapping = {str(k): v for k, v in (mapping or {}).items()}
    folded_map = {_fold(k): v for k, v in mapping.items()}
    table: dict[str, str | None] = {}
    ignored_values = []
    for u in dict.fromkeys(w for w in words if w):
        tp = mapping.get(u, folded_map.get(_fold(u), "")) if (u in mapping or _fold(u) in folded_map) else parse_timepoint(u)
        if tp is None and (u in mapping or _fold(u) in folded_map):
            ignored_values.append(u)  # mapped to null: the user's choice to leave these rows out
        table[u] = tp
    unknown = [u for u, tp in table.items() if tp is None and u not in ignored_values]
    if unknown:
        bad_code = np.asarray([w in unknown for w in words] + [False], dtype=bool)
        raise _fail(
            col,
            _rows(frame, bad_code[codes]),
            f"{_short(unknown)} {'is not a time point' if len(unknown) == 1 else 'are not time points'} SpineDash can place "
            "(it knows before surgery, 2 and 6 weeks, 3, 6, 12 and 24 months, or a number of days): say which time point "
            "each is in the layout step, or leave it out.",
        )
    blank_code = np.asarray([w == "" for w in words] + [True], dtype=bool)
    blank = blank_code[codes]
    if blank.any():
        raise _fail(col, _rows(frame, blank), f"The time point is empty on {blank.sum():,} rows.")
    # words come in order of first appearance, so the ids do too (several words may name one id)
    names = list(dict.fromkeys(tp for tp in (table.get(w) for w in words) if tp is not None))
    number = {tp: i for i, tp in enumerate(names)}
    word_code = np.asarray([number.get(table.get(w), -1) for w in words] + [-1], dtype=np.intp)
    if ignored_values:
        notes.append(f"{label}: rows at {_short(ignored_values)} were left out, as the layout says.")
    return word_code[codes], names


def _shape_wide(tables, layout, notes) -> Shaped:
    name, frame = _table(tables, layout.get("table"))
    others = [n for n in tables if n != name]
    if others:
        workbook = name.rsplit("/", 1)[0] if "/" in name else None
        if workbook is not None and all(n.startswith(workbook + "/") for n in others):
            notes.append(f"Read the sheet '{_table_label(name)}'; other sheets were ignored: {', '.join(_table_label(n) for n in others)}.")
        else:
            notes.append(f"Read '{name}'; other tables were ignored: {', '.join(others)}.")
    frame = _apply_groups(frame, layout, notes, _table_label(name))
    return Shaped(cases=frame, timepoint={}, notes=notes)


def _redcap_fold_repeats(frame: pd.DataFrame, case_col: str, tps: np.ndarray, layout: dict, label: str, notes: list[str]):
    """Fold REDCap repeating-instrument rows into their case × event row (first instance kept, the rest reported)."""
    inst_col = layout.get("repeat_instrument_column", "redcap_repeat_instrument")
    num_col = layout.get("repeat_instance_column", "redcap_repeat_instance")
    if inst_col not in frame.columns and num_col not in frame.columns:
        return frame, tps
    inst = frame[inst_col].astype("string").str.strip() if inst_col in frame.columns else pd.Series(pd.NA, index=frame.index, dtype="string")
    num = pd.to_numeric(frame[num_col], errors="coerce") if num_col in frame.columns else pd.Series(np.nan, index=frame.index)
    repeating = (~_blank(inst)) | num.notna().to_numpy()
    frame = frame.drop(columns=[c for c in (inst_col, num_col) if c in frame.columns])
    if not repeating.any():
        return frame, tps
    rep = frame[repeating]
    ordering = pd.DataFrame({"case": rep[case_col].astype("string"), "tp": tps[repeating], "inst": inst[repeating].fillna(""), "num": num[repeating]})
    ordering = ordering.sort_values(["case", "tp", "inst", "num"], kind="stable")
    later = ordering.duplicated(["case", "tp", "inst"], keep="first")
    if later.any():
        dropped = ordering.index[later.to_numpy()]
        names = sorted({v for v in ordering.loc[later, "inst"] if v}) or ["repeating event"]
        notes.append(
            f"{label}: {len(dropped):,} later instances of the repeating instrument {_short(names)} were left out "
            f"(rows {_short([int(r) for r in dropped] if pd.api.types.is_integer_dtype(frame.index) else [], 8)}); "
            "the first instance per case and time point was used."
        )
    firsts = ordering.index[~later.to_numpy()]
    base_mask = ~repeating
    base = frame[base_mask]
    base_tps = tps[base_mask]
    rep_first = frame.loc[firsts]
    rep_tps = tps[frame.index.get_indexer(firsts)] if frame.index.is_unique else tps[repeating][: len(firsts)]
    # merge: a case × time point takes its values from the event row and every first instance
    combined = pd.concat([base, rep_first])
    # empty cells as missing, so an event row's blank does not hide the instance's value
    combined = pd.DataFrame({c: combined[c].where(~_blank(combined[c])) for c in combined.columns}, index=combined.index)
    ctps = np.concatenate([base_tps, rep_tps])
    key = combined[case_col].astype("string") + "\x1f" + pd.Series(ctps, index=combined.index, dtype="string")
    merged = combined.groupby(key.to_numpy(), sort=False).first()
    first_index = pd.Series(combined.index, index=key.to_numpy()).groupby(level=0, sort=False).first()
    merged.index = first_index.loc[merged.index].to_numpy()
    mtps = np.asarray([k.split("\x1f", 1)[1] for k in first_index.index], dtype=object)
    merged.attrs = dict(frame.attrs)
    return merged, mtps


def _shape_long(tables, layout, notes, *, frame=None, label=None) -> Shaped:
    if frame is None:
        name, frame = _table(tables, layout.get("table"))
        label = _table_label(name)
        others = [n for n in tables if n != name]
        if others:
            notes.append(f"Read '{name}'; other tables were ignored: {', '.join(others)}.")
    case_col = _column(frame, layout.get("case_id"), "case id", label)
    tp_col = _column(frame, layout.get("timepoint_column"), "time point", label)
    _require_ids(frame, case_col, "case id")
    redcap = tp_col == "redcap_event_name" or layout.get("redcap", False)
    if redcap:
        frame = _drop_form_status(frame, notes, label)
    frame = _apply_groups(frame, layout, notes, label)
    tp_codes, tp_names = _timepoint_codes(frame, tp_col, layout.get("timepoints"), label, notes)
    keep = tp_codes >= 0
    if not keep.all():
        frame, tp_codes = frame[keep], tp_codes[keep]
    frame = frame.drop(columns=[tp_col])
    tps: np.ndarray | tuple[np.ndarray, list[str]] = (tp_codes, tp_names)
    if redcap or any(c in frame.columns for c in ("redcap_repeat_instrument", "redcap_repeat_instance")):
        frame, tps = _redcap_fold_repeats(frame, case_col, np.asarray([*tp_names, None], dtype=object)[tp_codes], layout, label, notes)
    cases, when = _pivot(
        frame, case_col, tps, label, notes,
        case_columns=tuple(layout.get("case_columns") or ()), always_pivot=tuple(layout.get("pivot_columns") or ()),
    )  # fmt: skip
    seen = sorted(set(when.values()), key=_tp_order)
    notes.append(f"{label}: {len(frame):,} rows of cases × time points became {len(cases):,} cases with answers at {', '.join(seen) or 'no time point'}.")
    return Shaped(cases=cases, timepoint=when, notes=notes)


def _shape_prom_tidy(tables, layout, notes) -> Shaped:
    name, frame = _table(tables, layout.get("table"))
    label = _table_label(name)
    case_col = _column(frame, layout.get("case_id"), "case id", label)
    tp_col = _column(frame, layout.get("timepoint_column"), "time point", label)
    inst_col = _column(frame, layout.get("instrument_column"), "instrument (questionnaire)", label)
    val_col = _column(frame, layout.get("value_column"), "score", label)
    _require_ids(frame, case_col, "case id")
    tps = _timepoints_for(frame, tp_col, layout.get("timepoints"), label, notes)
    keep = pd.notna(tps)
    frame, tps = frame[keep], tps[keep]
    inst = frame[inst_col].astype("string").str.strip()
    no_inst = _blank(inst)
    if no_inst.any():
        raise _fail(inst_col, _rows(frame, no_inst), f"The instrument is empty on {no_inst.sum():,} rows.")
    ids = frame[case_col]
    case_codes, case_values = pd.factorize(ids, sort=False)
    tp_codes, tp_values = pd.factorize(pd.Series(tps), sort=False)
    inst_codes, inst_values = pd.factorize(inst, sort=False)
    ncase, ntp, ninst = len(case_values), len(tp_values), len(inst_values)
    key = (case_codes.astype(np.int64) * ntp + tp_codes) * ninst + inst_codes
    dup = pd.Series(key).duplicated(keep=False).to_numpy()
    if dup.any():
        first = np.flatnonzero(dup)[0]
        raise _fail(
            val_col,
            _rows(frame, dup),
            f"{dup.sum():,} rows give a second score for the same case, time point and instrument "
            f"(e.g. '{ids.iloc[first]}', {tps[first]}, '{inst.iloc[first]}'): keep one score each.",
        )
    scores = frame[val_col]
    out: dict[str, pd.Series] = {}
    when: dict[str, str] = {}
    for i, instrument in enumerate(inst_values):
        for t in sorted(range(ntp), key=lambda c: _tp_order(tp_values[c])):
            sel = np.flatnonzero((inst_codes == i) & (tp_codes == t))
            if len(sel) == 0:
                continue
            col = f"{instrument}@{tp_values[t]}"
            out[col] = _scatter(scores, sel, case_codes[sel], ncase)
            when[col] = tp_values[t]
    # Case details repeated on every row (procedure date, site …) become case columns; the rest
    # (e.g. completion time) is pivoted by time point like a long file.
    rest = frame.drop(columns=[tp_col, inst_col, val_col])
    first_per_visit = ~pd.Series(case_codes.astype(np.int64) * ntp + tp_codes).duplicated().to_numpy()
    visits = rest[first_per_visit]
    others, more_when = _pivot(visits, case_col, tps[first_per_visit], label, [], case_columns=tuple(layout.get("case_columns") or ()))
    instruments = pd.DataFrame(out)
    instruments.index = others.index
    cases = pd.concat([others, instruments], axis=1)
    cases.attrs = dict(frame.attrs)
    when.update(more_when)
    notes.append(f"{label}: {len(frame):,} scores ({ninst} instruments at {ntp} time points) became {ncase:,} cases.")
    return Shaped(cases=cases, timepoint=when, notes=notes)


def _shape_sheets(tables, layout, notes) -> Shaped:
    sheets = layout.get("sheets") or {}
    if not sheets:
        raise _fail("(whole file)", [], "The layout does not say which sheet holds which time point.")
    resolved = {}
    for sheet, tp in sheets.items():
        name, _ = _table(tables, sheet, "sheet")
        if tp is None:
            continue
        tp_id = tp if (tp in _NOMINAL_DAYS or re.fullmatch(r"d\d+", str(tp))) else parse_timepoint(tp)
        if tp_id is None:
            raise _fail("(whole file)", [], f"The sheet '{_table_label(name)}' is given the time point '{tp}', which SpineDash does not know.")
        resolved[name] = tp_id
    case_id = layout.get("case_id")
    parts, tps = [], []
    for name, tp in resolved.items():
        frame = tables[name]
        col = _column(frame, case_id, "case id", f"the sheet '{_table_label(name)}'")
        frame = frame.rename(columns={col: case_id}) if col != case_id else frame
        blank = _blank(frame[case_id])
        if blank.all():
            continue
        frame = frame[~blank]
        parts.append(frame)
        tps.append(np.full(len(frame), tp, dtype=object))
    if not parts:
        raise _fail(case_id, [], "No sheet has a case id.")
    stacked = pd.concat(parts, ignore_index=False)
    stacked.attrs = dict(parts[0].attrs)
    # rows of different sheets share spreadsheet row numbers: index by position for the pivot
    row_tp = np.concatenate(tps)
    stacked = stacked.reset_index(drop=True)
    stacked = _apply_groups(stacked, layout, notes, "the workbook")
    cases, when = _pivot(stacked, case_id, row_tp, "the workbook", notes, case_columns=tuple(layout.get("case_columns") or ()))
    case_sheet = layout.get("case_sheet")
    if case_sheet:
        cname, cframe = _table(tables, case_sheet, "sheet")
        col = _column(cframe, case_id, "case id", f"the sheet '{_table_label(cname)}'")
        cframe = cframe.rename(columns={col: case_id}) if col != case_id else cframe
        cframe = cframe[~_blank(cframe[case_id])]
        dup = cframe[case_id].duplicated(keep=False).to_numpy()
        if dup.any():
            raise _fail(case_id, _rows(cframe, dup), f"The sheet '{_table_label(cname)}' repeats case ids: it should hold one row per case.")
        cframe = _apply_groups(cframe, layout, notes, _table_label(cname))
        clash = [c for c in cframe.columns if c in cases.columns and c != case_id]
        extra = cases.drop(columns=clash)
        merged = cframe.merge(extra, on=case_id, how="outer", sort=False, suffixes=("", ""))
        missing_case = ~merged[case_id].isin(cframe[case_id]).to_numpy()
        if missing_case.any():
            notes.append(f"{int(missing_case.sum()):,} cases have answers but no row on the sheet '{_table_label(cname)}': {_short(merged.loc[missing_case, case_id].tolist())}.")
        if clash:
            notes.append(f"Columns on '{_table_label(cname)}' and on the time point sheets share names; the case sheet's were used: {_short(clash)}.")
        row_of = pd.Series(cframe.index, index=cframe[case_id].to_numpy())
        at = merged[case_id].map(row_of)
        merged.index = at.astype("int64").to_numpy() if at.notna().all() and pd.api.types.is_integer_dtype(cframe.index) else pd.RangeIndex(len(merged))
        merged.attrs = dict(cframe.attrs)
        cases = merged
    sheets_text = ", ".join(f"'{_table_label(n)}' = {tp}" for n, tp in resolved.items())
    notes.append(f"Read one sheet per time point ({sheets_text}){' with case details from ' + repr(_table_label(case_sheet)) if case_sheet else ''}: {len(cases):,} cases.")
    ignored = [n for n in tables if n not in resolved and (not case_sheet or _table_label(n) != _table_label(case_sheet))]
    if ignored:
        notes.append(f"Sheets not used: {', '.join(_table_label(n) for n in ignored)}.")
    return Shaped(cases=cases, timepoint=when, notes=notes)


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def _parse_dates(frame: pd.DataFrame, col: str, label: str, fmt: str | None = None) -> pd.Series:
    """Dates of a column, dd/mm or mm/dd judged from the values (a day above 12 settles it; else day first)."""
    s = frame[col]
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return s
    text = s.astype("string").str.strip()
    if fmt:
        parsed = pd.to_datetime(text, format=fmt, errors="coerce")
    elif text.dropna().str.match(_ISO_DATE).all():
        parsed = pd.to_datetime(text.str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
    else:
        parts = text.str.extract(r"^(\d{1,2})[./-](\d{1,2})[./-](\d{2,4})")
        first = pd.to_numeric(parts[0], errors="coerce")
        second = pd.to_numeric(parts[1], errors="coerce")
        dayfirst = not ((second > 12).any() and not (first > 12).any())
        parsed = pd.to_datetime(text, dayfirst=dayfirst, errors="coerce", format="mixed")
    bad = parsed.isna().to_numpy() & ~_blank(s)
    if bad.any():
        raise _fail(col, _rows(frame, bad), f"{_short(text[bad].unique().tolist())} {'is not a date' if bad.sum() == 1 else 'are not dates'} SpineDash can read in {label}.")
    return parsed


def _shape_ops_followup(tables, layout, notes) -> Shaped:
    oname, ops = _table(tables, layout.get("operations"), "operations table")
    fname, fus = _table(tables, layout.get("followup"), "follow-up table")
    olabel, flabel = _table_label(oname), _table_label(fname)
    pid = layout.get("patient_id")
    pid_ops = _column(ops, pid.get("operations") if isinstance(pid, dict) else pid, "patient id", olabel) if pid else None
    pid_fu = _column(fus, pid.get("followup") if isinstance(pid, dict) else pid, "patient id", flabel) if pid else None
    case_id = layout.get("case_id")
    case_ops = _column(ops, case_id, "case id", olabel) if case_id else None
    case_in_fu = case_ops is not None and case_ops in fus.columns and not pid
    if not pid and not case_in_fu:
        raise _fail("(whole file)", [], f"The layout must say which column joins {flabel} to {olabel}: a patient id or a case id present in both.")
    ops = ops[~_blank(ops[case_ops if case_in_fu else pid_ops])] if len(ops) else ops
    if case_ops is None:
        case_ops = "operation"
        ops = ops.copy()
        order = ops.groupby(ops[pid_ops].astype("string"), sort=False).cumcount() + 1
        ops[case_ops] = ops[pid_ops].astype("string") + "-" + order.astype("string")
        notes.append(f"{olabel} has no operation id: cases are numbered per patient ('<patient>-1', '<patient>-2' …).")
    dup = ops[case_ops].duplicated(keep=False).to_numpy()
    if dup.any():
        raise _fail(case_ops, _rows(ops, dup), f"{olabel} repeats operation ids: it should hold one row per operation.")
    tp_col = layout.get("timepoint_column")
    tp_col = _column(fus, tp_col, "time point", flabel) if tp_col else None
    fus = fus[~_blank(fus[case_ops if case_in_fu else pid_fu])]
    if case_in_fu:
        if not tp_col:
            raise _fail("(whole file)", [], f"{flabel} is joined on the case id but the layout names no time point column.")
        tps = _timepoints_for(fus, tp_col, layout.get("timepoints"), flabel, notes)
        long = fus.drop(columns=[tp_col])
        assigned_case = long[case_ops]
    else:
        op_date_col = _column(ops, layout.get("operation_date"), "operation date", olabel)
        fu_date_col = _column(fus, layout.get("followup_date"), "questionnaire date", flabel)
        op_dates = _parse_dates(ops, op_date_col, olabel, layout.get("date_format"))
        fu_dates = _parse_dates(fus, fu_date_col, flabel, layout.get("date_format"))
        no_date = op_dates.isna().to_numpy()
        if no_date.any():
            raise _fail(op_date_col, _rows(ops, no_date), "The operation date is empty: questionnaires cannot be placed without it.")
        no_fu_date = fu_dates.isna().to_numpy()
        if no_fu_date.any():
            raise _fail(fu_date_col, _rows(fus, no_fu_date), "The questionnaire date is empty: it cannot be given to an operation without it.")
        window = int(layout.get("preop_window_days", PREOP_WINDOW_DAYS))
        o = pd.DataFrame({"pid": ops[pid_ops].astype("string").to_numpy(), "op_date": op_dates.to_numpy(), "case": ops[case_ops].to_numpy()})
        o = o.sort_values("op_date", kind="stable")
        f = pd.DataFrame({"pid": fus[pid_fu].astype("string").to_numpy(), "fu_date": fu_dates.to_numpy(), "pos": np.arange(len(fus))})
        f = f.sort_values("fu_date", kind="stable")
        back = pd.merge_asof(f, o.rename(columns={"op_date": "prev_date", "case": "prev_case"}), left_on="fu_date", right_on="prev_date", by="pid", direction="backward")
        fwd = pd.merge_asof(f, o.rename(columns={"op_date": "next_date", "case": "next_case"}), left_on="fu_date", right_on="next_date", by="pid", direction="forward", allow_exact_matches=False)
        m = back.merge(fwd[["pos", "next_date", "next_case"]], on="pos").sort_values("pos")
        days_after = (m["fu_date"] - m["prev_date"]).dt.days
        days_before = (m["next_date"] - m["fu_date"]).dt.days
        explicit = None
        if tp_col:
            explicit = _timepoints_for(fus, tp_col, layout.get("timepoints"), flabel, notes)
        is_pre = (days_before <= window).fillna(False).to_numpy()
        if explicit is not None:
            is_pre = (explicit == "pre") & m["next_case"].notna().to_numpy() | (is_pre & m["prev_case"].isna().to_numpy())
        case = np.where(is_pre, m["next_case"].to_numpy(dtype=object), m["prev_case"].to_numpy(dtype=object))
        if explicit is not None:
            tps = explicit.copy()
        else:
            after = days_after.to_numpy()
            tps = np.full(len(m), None, dtype=object)
            tps[is_pre] = "pre"
            for tp, lo, hi in _DAY_WINDOWS:
                sel = ~is_pre & (after >= lo) & (after < hi)
                tps[sel] = tp
            late = ~is_pre & (after >= _DAY_WINDOWS[-1][2])
            tps[late] = [f"d{int(d)}" for d in after[late]]
            same_day = ~is_pre & (after < 1)
            tps[same_day] = None
        unplaced = pd.isna(case) | pd.isna(tps)
        if unplaced.any():
            notes.append(
                f"{flabel}: {int(unplaced.sum()):,} questionnaires follow no operation of their patient "
                f"(or fall on the day of surgery) and were left out: rows {_short(_rows(fus, unplaced), 8)}."
            )
        keep = ~unplaced
        long = fus[keep].drop(columns=[c for c in (fu_date_col, tp_col, pid_fu) if c]).copy()
        long.insert(0, case_ops, case[keep])
        tps = tps[keep]
        if explicit is None:
            # two forms in one window: keep the one nearest the time point's nominal day
            nominal = np.asarray([_NOMINAL_DAYS.get(t, 0) for t in tps])
            dist = np.abs(np.where(tps == "pre", -days_before.to_numpy()[keep], days_after.to_numpy()[keep]) - nominal)
            order = np.lexsort((dist, tps.astype(str), long[case_ops].astype(str).to_numpy()))
            long, tps = long.iloc[order], tps[order]
            dup = pd.DataFrame({"c": long[case_ops].to_numpy(), "t": tps}).duplicated().to_numpy()
            if dup.any():
                notes.append(f"{flabel}: {int(dup.sum()):,} questionnaires fell in the same time point as another of the same operation; the one nearest the nominal day was used (rows {_short(_rows(long, dup), 8)}).")
                long, tps = long[~dup], tps[~dup]
        notes.append(
            f"Questionnaires in {flabel} were given to the operation in {olabel} that they follow by date "
            f"(or, if dated up to {window} days before an operation, to that operation as its pre-op form)."
        )
        assigned_case = long[case_ops]
    long = long.copy()
    long[case_ops] = assigned_case.to_numpy()
    long = _apply_groups(long, layout, notes, flabel)
    answers, when = _pivot(long, case_ops, np.asarray(tps, dtype=object), flabel, notes, always_pivot=tuple(c for c in long.columns if c != case_ops), dedupe="refuse")
    ops = _apply_groups(ops, layout, notes, olabel)
    answers = answers.drop(columns=[c for c in answers.columns if c in ops.columns and c != case_ops])
    cases = ops.merge(answers, on=case_ops, how="left", sort=False)
    cases.index = ops.index
    cases.attrs = dict(ops.attrs)
    with_answers = int(cases[case_ops].isin(answers[case_ops]).sum())
    notes.append(f"{len(ops):,} operations, {with_answers:,} of them with questionnaires.")
    return Shaped(cases=cases, timepoint=when, notes=notes)


def _filled(frame: pd.DataFrame, skip: tuple[str, ...] = ()) -> list[str]:
    """Columns holding a value on some row of `frame`."""
    return [c for c in frame.columns if c not in skip and (~_blank(frame[c])).any()]


def _shape_redcap_classic(tables, layout, notes) -> Shaped:
    """A classic (non-longitudinal) REDCap project whose follow-up form repeats: each instance is a visit.

    The record's non-repeating row holds the operation (and any pre-op answers); the instances of the
    repeating form named in `repeat_instrument` are its questionnaires, placed at the time point its
    `timepoint_column` says (words or codes, via `timepoints`), else by `followup_date` days after the
    record's `operation_date`, as an operations file and a follow-up file would be. Other repeating
    forms (complications) keep their first instance per record; later ones are reported.
    """
    name, frame = _table(tables, layout.get("table"))
    label = _table_label(name)
    inst_col = layout.get("repeat_instrument_column", "redcap_repeat_instrument")
    num_col = layout.get("repeat_instance_column", "redcap_repeat_instance")
    case = _column(frame, layout.get("case_id"), "case id", label)
    _column(frame, inst_col, "repeating instrument", label)
    _require_ids(frame, case, "record id")
    frame = _drop_form_status(frame, notes, label)
    frame = _apply_groups(frame, layout, notes, label)
    inst = frame[inst_col].astype("string").str.strip().fillna("")
    form = str(layout.get("repeat_instrument") or "")
    on_form = (inst.str.casefold() == form.casefold()).to_numpy()
    forms = sorted({v for v in inst.unique() if v})
    if not form or not on_form.any():
        raise _fail(inst_col, [], f"Say which repeating form holds the questionnaires (one instance per visit) in the layout step"
                                  f"{f': {form!r} has no rows' if form else ''}; the file's repeating forms are {_short(forms) or 'none'}.")
    base_mask = (inst == "").to_numpy()
    other = ~on_form & ~base_mask
    ids = (case, inst_col, num_col)
    ops = frame.loc[base_mask, [case, *_filled(frame[base_mask], ids)]]
    if other.any():
        num = pd.to_numeric(frame[num_col], errors="coerce") if num_col in frame.columns else pd.Series(np.nan, index=frame.index)
        rest = frame[other].assign(_form=inst[other], _n=num[other]).sort_values([case, "_form", "_n"], kind="stable")
        later = rest.duplicated([case, "_form"], keep="first").to_numpy()
        if later.any():
            notes.append(f"{label}: {int(later.sum()):,} later instances of the repeating form {_short(sorted(set(rest.loc[later, '_form'])))} "
                         f"were left out (rows {_short(_rows(rest, later), 8)}); the first instance per record was used.")
        for _, rows in rest[~later].groupby("_form", sort=False):
            cols = [c for c in _filled(rows, ids) if c not in ("_form", "_n") and c not in ops.columns]
            if cols:
                ops = ops.merge(rows[[case, *cols]], on=case, how="left", sort=False).set_axis(ops.index)
    # The data access group is written on every row of a record, instances too: it is the record's.
    record_cols = tuple(c for c in layout.get("record_columns", ("redcap_data_access_group",)) if c in frame.columns)
    fus = frame.loc[on_form, [case, *_filled(frame[on_form], ids + record_cols)]]
    both = [c for c in ops.columns if c != case and c in fus.columns]
    if both:
        # A field on the record's own row and on the visits (a baseline form before the repeating
        # follow-up form): the record's row is its answer before surgery.
        ops = ops.rename(columns={c: f"{c}@pre" for c in both})
        notes.append(f"{label}: {_short(both, 6)} on the record's own row {'is' if len(both) == 1 else 'are'} read as before surgery.")
    ops.attrs, fus.attrs = dict(frame.attrs), dict(frame.attrs)
    ops_name, fu_name = f"{label} (record rows)", f"{label} ('{form}' instances)"
    sub = {"kind": "operations_followup", "operations": ops_name, "followup": fu_name, "case_id": case, "checkboxes": "keep"}
    if layout.get("timepoint_column"):
        sub.update(timepoint_column=layout["timepoint_column"], timepoints=layout.get("timepoints"))
    elif layout.get("followup_date") and layout.get("operation_date"):
        sub.update(patient_id=case, operation_date=layout["operation_date"], followup_date=layout["followup_date"])
    else:
        raise _fail(inst_col, [], f"Say which field of the form '{form}' gives the visit's time point (or its date, with the "
                                  f"operation date) in the layout step; its fields are {_short(_filled(frame[on_form], ids), 8)}.")
    notes.append(f"{label}: a REDCap project without events; each instance of the repeating form '{form}' is a visit.")
    return _shape_ops_followup({ops_name: ops, fu_name: fus}, sub, notes)


def shape(tables: dict[str, pd.DataFrame], layout: dict) -> Shaped:
    """One row per operated case from the tables, as `layout` (a profile's "layout" section) says.

    Raises:
        OutcomeDataError: the layout does not fit the tables; the problem names the column and rows.
    """
    layout = dict(layout or {})
    kind = layout.get("kind", "wide")
    notes: list[str] = []
    if kind == "wide":
        shaped = _shape_wide(tables, layout, notes)
    elif kind == "long" and layout.get("repeat_instrument") is not None:
        shaped = _shape_redcap_classic(tables, layout, notes)
    elif kind == "long":
        shaped = _shape_long(tables, layout, notes)
    elif kind == "prom_tidy":
        shaped = _shape_prom_tidy(tables, layout, notes)
    elif kind == "sheet_per_timepoint":
        shaped = _shape_sheets(tables, layout, notes)
    elif kind == "operations_followup":
        shaped = _shape_ops_followup(tables, layout, notes)
    else:
        raise _fail("(whole file)", [], f"'{kind}' is not a layout SpineDash knows; choose one of {', '.join(LAYOUT_KINDS)}.")
    if len(shaped.cases) > MAX_CASES:
        raise _fail("(whole file)", [], f"The file holds {len(shaped.cases):,} cases; SpineDash reads at most {MAX_CASES:,}. "
                                        "Split the export by year or site.")
    return shaped


# ---------------------------------------------------------------------------------------------
# Detection
# ---------------------------------------------------------------------------------------------

_CASE_WORDS = ("case_id", "case id", "case", "caseid", "case no", "case number", "episode_id", "episode", "forlopsid", "mceid",
               "operation id", "operation no", "operation_id", "record_id", "record id", "study_id", "fall-nr", "fallnr", "fall nr",
               "op id", "surgery id")  # fmt: skip
_PATIENT_WORDS = ("patient_id", "patient id", "patient no", "patient number", "patient", "pasientid", "pasient id", "pid",
                  "personnr", "personnr (pseudonym)", "patientnr", "patient-nr", "mrn")  # fmt: skip
_INSTRUMENT_WORDS = ("instrument", "questionnaire", "measure", "prom", "scale", "score_name", "score name", "form", "outcome", "skjema", "instrument_name")
_VALUE_WORDS = ("score", "value", "result", "total", "verdi", "wert", "resultat", "answer")
_TP_WORDS = ("timepoint", "time point", "time_point", "visit", "event", "redcap_event_name", "tidspunkt", "follow-up", "followup", "follow up", "interval", "period", "zeitpunkt")
_OP_DATE_WORDS = ("operation date", "surgery date", "date of surgery", "op date", "opdato", "oprdato", "op.datum", "op-datum", "operasjonsdato", "procedure_date", "procedure date", "surgery_date", "date")
_FU_DATE_WORDS = ("form date", "questionnaire date", "answered", "completed_at", "completed", "date completed", "response date", "utfylt", "utfdato", "date")


def _find(columns, words) -> str | None:
    folded = {_fold(c): c for c in columns}
    for w in words:
        if w in folded:
            return folded[w]
    for w in words:
        for f, c in folded.items():
            if len(w) > 3 and w in f:
                return c
    return None


def _header_score(frame: pd.DataFrame) -> int:
    try:
        from spinedash.ingest.map import match_header
    except ImportError:  # the map stage is not importable on its own (tests of this stage alone)
        return 0
    return len({m[0] for c in frame.columns if (m := match_header(c))})


def _best_table(tables: dict[str, pd.DataFrame]) -> str:
    """The table whose headers name the most canonical columns (the largest one on ties)."""
    if not tables:
        raise _fail("(whole file)", [], "There is no table to read.")
    scores = {name: (_header_score(frame), frame.shape[0] * max(frame.shape[1], 1)) for name, frame in tables.items()}
    return max(scores, key=lambda n: scores[n])


_SNIFF_ROWS = 2_000  # a time-point column shows its values early (rows come grouped by patient); cheap to judge


def _sniffed_values(s: pd.Series, limit: int = 60) -> list:
    # Distinct values of the first rows only: casting and stripping a million-row column for each of
    # a wide file's columns took about as long as reading the file (P1).
    if isinstance(s.dtype, pd.CategoricalDtype):
        s = pd.Series(s.cat.categories)
    head = s.head(_SNIFF_ROWS).dropna()
    if head.dtype == "str" or isinstance(head.dtype, pd.StringDtype):
        # Text (what a CSV gives): stripped in Python, stopping at `limit` distinct values — pandas'
        # cast, strip and unique cost ~1.5 ms a column, a wide file's detection 30 ms of P1.
        seen: dict[str, None] = {}
        for v in head.tolist():
            seen.setdefault(v.strip(), None)
            if len(seen) == limit:
                break
        return [v for v in seen if v != ""]
    values = pd.unique(head.astype("string").str.strip().dropna())[:limit]
    return [v for v in values if v != ""]


def _timepoint_share(s: pd.Series, limit: int = 60) -> tuple[float, list]:
    values = _sniffed_values(s, limit)
    if len(values) < 2:
        return 0.0, values
    ok = [v for v in values if parse_timepoint(v) is not None]
    return len(ok) / len(values), values


def _holds_timepoints(s: pd.Series) -> bool:
    """`share >= 0.8 and len(values) <= 40` of _timepoint_share, stopping as soon as the answer is
    known: a wide file's columns (ids, sexes, diagnoses) fail on their first word or their count."""
    values = _sniffed_values(s)
    n = len(values)
    if n < 2 or n > 40:
        return False
    misses = 0
    for v in values:
        if parse_timepoint(v) is None:
            misses += 1
            if (n - misses) / n < 0.8:
                return False
    return True


def _repeats(s: pd.Series | pd.DataFrame) -> bool:
    if isinstance(s, pd.DataFrame):
        s = s.iloc[:, 0]
    if len(s) > 4 * _PROBE_ROWS and _repeats(s.iloc[:_PROBE_ROWS]):
        return True  # a long file repeats its ids within its first rows
    blank = _blank(s)
    present = s[~blank] if blank.any() else s
    if getattr(present.dtype, "storage", None) == "pyarrow" and pd.api.types.is_string_dtype(present.dtype):
        return _has_repeats(pa.array(present.array))  # Arrow text: no pandas hashing of a million ids
    return bool(present.duplicated().any())


def _id_column(frame: pd.DataFrame) -> str:
    return _find(frame.columns, _CASE_WORDS) or _find(frame.columns, _PATIENT_WORDS) or str(frame.columns[0])


def detect_layout(tables: dict[str, pd.DataFrame]) -> LayoutGuess:
    """The layout the tables look like, with the evidence for it in one sentence.

    Never raises for an unfamiliar file: the fallback is "wide" on the table that looks most like
    outcome data, and the evidence says so.
    """
    if not tables:
        raise _fail("(whole file)", [], "There is no table to read.")
    name = _best_table(tables)
    if tables[name].shape[1] == 0:
        return LayoutGuess("wide", {"kind": "wide", "table": name}, f"'{_table_label(name)}' has no columns.")
    try:
        return _detect(tables, name)
    except (KeyError, IndexError, ValueError, TypeError):
        # an odd file (repeated or empty headers, mixed cells) must still get a layout: the read and
        # validate stages then say what is wrong with it in the user's words
        return LayoutGuess("wide", {"kind": "wide", "table": name}, f"'{_table_label(name)}' is read as one row per operated case.")


def _detect(tables: dict[str, pd.DataFrame], name: str) -> LayoutGuess:
    if len(tables) >= 2:
        guess = _detect_sheets(tables) or _detect_ops_followup(tables)
        if guess:
            return guess
    frame = tables[name]
    label = _table_label(name)
    cols = [str(c) for c in frame.columns]
    # raw headers, or a "CSV (labels)" download's ("Repeat Instrument", "Event Name")
    repeat = next(((i, n) for i, n in _REDCAP_REPEAT if i in cols), None)
    if repeat and not {"redcap_event_name", "Event Name"} & set(cols):
        guess = _detect_redcap_classic(frame, name, label, cols, *repeat)
        if guess is not None:
            return guess
    if "redcap_event_name" in cols:
        case = cols[0] if cols[0] != "redcap_event_name" else _id_column(frame)
        events = pd.unique(_col(frame, "redcap_event_name").astype("string").dropna())
        mapping = {str(e): parse_timepoint(e) for e in events}
        n_cases = _count_cases(_col(frame, case))
        repeat = [c for c in ("redcap_repeat_instrument", "redcap_repeat_instance") if c in cols]
        extras = []
        if repeat:
            extras.append("repeating instruments")
        if any(c.endswith("_complete") for c in cols):
            extras.append("form-status (*_complete) columns")
        if any(_CHECKBOX.match(c) for c in cols):
            extras.append("checkbox columns (field___N)")
        settings = {"kind": "long", "table": name, "case_id": case, "timepoint_column": "redcap_event_name", "timepoints": mapping, "redcap": True}
        unknown = [e for e, tp in mapping.items() if tp is None]
        return LayoutGuess(
            "long",
            settings,
            f"'{label}' is a REDCap longitudinal export: one row per record and event ({len(frame):,} rows for {n_cases:,} "
            f"records in '{case}', events {_short(list(mapping), 4)})"
            + (f", with {', '.join(extras)}" if extras else "")
            + (f"; events {_short(unknown)} need a time point" if unknown else "")
            + ".",
        )
    inst = _find(cols, _INSTRUMENT_WORDS)
    value = _find([c for c in cols if c != inst], _VALUE_WORDS)
    # The time-point column is looked for only when the answer can use it: a tidy PROM file, or
    # repeating ids. A wide file with unique ids skips the search (~10 ms of P1's detection).
    searched = bool(inst and value)
    tp_col = _best_tp_column(frame) if searched else None
    if inst and value and tp_col and inst != tp_col:
        case = _find(cols, _CASE_WORDS) or _find(cols, _PATIENT_WORDS) or cols[0]
        n_inst = _col(frame, inst).nunique()
        settings = {
            "kind": "prom_tidy", "table": name, "case_id": case, "timepoint_column": tp_col, "instrument_column": inst,
            "value_column": value, "timepoints": _tp_mapping(_col(frame, tp_col)),
        }  # fmt: skip
        return LayoutGuess(
            "prom_tidy",
            settings,
            f"'{label}' has one score per row: '{inst}' names {n_inst} instruments, '{value}' holds the score and "
            f"'{tp_col}' the time point, for each '{case}'.",
        )
    case = _id_column(frame)
    repeats = case in frame.columns and _repeats(_col(frame, case))
    if repeats and not searched:
        tp_col = _best_tp_column(frame)
    if tp_col and repeats:
        n = _count_cases(_col(frame, case))
        settings = {"kind": "long", "table": name, "case_id": case, "timepoint_column": tp_col, "timepoints": _tp_mapping(_col(frame, tp_col))}
        return LayoutGuess(
            "long",
            settings,
            f"'{label}' looks like one row per case and visit: '{case}' repeats ({len(frame):,} rows for {n:,} cases) and "
            f"'{tp_col}' holds time points ({_short(list(settings['timepoints']), 4)}).",
        )
    settings = {"kind": "wide", "table": name}
    if repeats:
        return LayoutGuess("wide", settings, f"'{label}' has no time point column, so it is read as one row per operated case; note that '{case}' repeats.")
    others = f" ({len(tables) - 1} other table{'s' if len(tables) > 2 else ''} not used)" if len(tables) > 1 else ""
    return LayoutGuess("wide", settings, f"'{label}' looks like one row per operated case: each '{case}' appears once{others}.")


def _outcome_score(columns: list[str]) -> int:
    """How many of `columns` name a measure (vas_leg, ODI, NDI…): the follow-up form scores highest."""
    try:
        from spinedash.ingest.map import _key, _measure_words, match_header
    except ImportError:  # the map stage is not importable on its own (tests of this stage alone)
        return 0
    from spinedash import schema

    words = _measure_words()
    return sum(1 for c in columns if words.get(_key(c)) or ((m := match_header(c)) and schema.parse_outcome_column(m[0])))


# REDCap's repeat columns: raw headers, and the label headers of a "CSV (labels)" download
_REDCAP_REPEAT = (("redcap_repeat_instrument", "redcap_repeat_instance"), ("Repeat Instrument", "Repeat Instance"))


def _detect_redcap_classic(frame: pd.DataFrame, name: str, label: str, cols: list[str],
                           inst_col: str = "redcap_repeat_instrument", num_col: str = "redcap_repeat_instance") -> LayoutGuess | None:
    """A REDCap project without events whose questionnaire form repeats; None if no form repeats."""
    inst = _col(frame, inst_col).astype("string").str.strip().fillna("")
    forms = [f for f in pd.unique(inst) if f]
    if not forms:
        return None
    case = cols[0] if cols[0] not in (inst_col, num_col) else _id_column(frame)
    dag = next((c for c in ("redcap_data_access_group", "Data Access Group") if c in cols), None)
    ids = (case, inst_col, num_col, "Complete?", *([dag] if dag else []))  # a label download heads every form status "Complete?"
    fields = {f: [c for c in _filled(frame[(inst == f).to_numpy()], ids) if not str(c).endswith("_complete")] for f in forms}
    scores = {f: _outcome_score(fields[f]) for f in forms}
    form = max(forms, key=lambda f: scores[f])
    settings = {"kind": "long", "table": name, "case_id": case, "redcap": True}
    if inst_col != "redcap_repeat_instrument":
        settings.update(repeat_instrument_column=inst_col, repeat_instance_column=num_col)
    if dag and dag != "redcap_data_access_group":
        settings["record_columns"] = [dag]
    n = _col(frame, case).nunique()
    start = f"'{label}' is a REDCap export without events ({n:,} records in '{case}') with the repeating forms {_short(forms, 4)}"
    if scores[form] == 0:
        return LayoutGuess("long", settings, start + ": say which form holds the questionnaires (each instance a visit).")
    settings["repeat_instrument"] = form
    rows = frame[(inst == form).to_numpy()]
    named = _find(fields[form], _TP_WORDS + ("timepoint", "tidspunkt"))
    for col in ([named] if named else []) + [c for c in fields[form] if c != named]:
        share, values = _timepoint_share(_col(rows, col))
        if share >= 0.8 and len(values) <= 40:
            settings.update(timepoint_column=str(col), timepoints=_tp_mapping(_col(rows, col)))
            return LayoutGuess("long", settings, start + f": each instance of '{form}' is a visit, its time point in '{col}'.")
    fu_date = _find(fields[form], _FU_DATE_WORDS)
    base = frame[(inst == "").to_numpy()]
    op_date = _find(_filled(base, ids), _OP_DATE_WORDS)
    codes = f"; '{named}' holds codes ({_short(pd.unique(_col(rows, named).dropna().astype(str)).tolist(), 4)}): choose it as the time point field and say what each code means, if you prefer" if named else ""
    if fu_date and op_date:
        settings.update(followup_date=fu_date, operation_date=op_date)
        return LayoutGuess("long", settings, start + f": each instance of '{form}' is a visit, placed at its time point by '{fu_date}' "
                                                     f"days after '{op_date}'{codes}.")
    return LayoutGuess("long", settings, start + f": each instance of '{form}' is a visit; say which of its fields gives the time point{codes}.")


def _tp_mapping(s: pd.Series) -> dict[str, str | None]:
    # distinct cells first (in order of first appearance), then stripped: not a copy of every row;
    # shape() factorises the same column again, so the codes are remembered
    words = pd.Series(_factorized(s)[1]).astype("string").str.strip().dropna()
    return {str(v): parse_timepoint(v) for v in pd.unique(words) if str(v) != ""}


def _count_cases(ids: pd.Series) -> int:
    """How many distinct ids (blank ones aside): counted as runs when rows come grouped by case."""
    starts = _case_runs(ids)
    return len(starts) if starts is not None else int(ids.nunique())


def _best_tp_column(frame: pd.DataFrame) -> str | None:
    named = _find(frame.columns, _TP_WORDS)
    candidates = ([named] if named else []) + [c for c in frame.columns if c != named]
    for col in candidates[:80]:
        s = _col(frame, col)
        if pd.api.types.is_numeric_dtype(s.dtype) and col != named:
            continue
        if _holds_timepoints(s):
            return str(col)
    return None


def _detect_sheets(tables: dict[str, pd.DataFrame]) -> LayoutGuess | None:
    books: dict[str, list[str]] = {}
    for name in tables:
        if "/" in name:
            books.setdefault(name.rsplit("/", 1)[0], []).append(name)
    for book, names in books.items():
        tp_sheets = {n: parse_timepoint(_table_label(n)) for n in names}
        timed = {n: tp for n, tp in tp_sheets.items() if tp}
        if len(timed) < 2:
            continue
        common = set.intersection(*(set(map(str, tables[n].columns)) for n in timed))
        case = _find(sorted(common), _CASE_WORDS) or _find(sorted(common), _PATIENT_WORDS) or (str(tables[next(iter(timed))].columns[0]) if common else None)
        if not case:
            continue
        untimed = [n for n in names if n not in timed and case in map(str, tables[n].columns)]
        settings = {"kind": "sheet_per_timepoint", "case_id": case, "sheets": {_table_label(n): tp for n, tp in timed.items()}}
        if untimed:
            settings["case_sheet"] = _table_label(untimed[0])
        return LayoutGuess(
            "sheet_per_timepoint",
            settings,
            f"The workbook '{book}' has one sheet per time point ({', '.join(f'{_table_label(n)} = {tp}' for n, tp in timed.items())}), "
            f"joined on '{case}'" + (f", with case details on '{_table_label(untimed[0])}'" if untimed else "") + ".",
        )
    return None


def _detect_ops_followup(tables: dict[str, pd.DataFrame]) -> LayoutGuess | None:
    names = list(tables)
    for a in names:
        for b in names:
            if a == b:
                continue
            ops, fus = tables[a], tables[b]
            shared = [c for c in ops.columns if c in set(fus.columns)]
            if not shared:
                continue
            pid = _find(shared, _PATIENT_WORDS)
            case = _find(ops.columns, _CASE_WORDS)
            if case and case in shared and not _repeats(_col(ops, case)):
                tp = _best_tp_column(fus)
                if tp and _repeats(_col(fus, case)):
                    settings = {"kind": "operations_followup", "operations": a, "followup": b, "case_id": case, "timepoint_column": tp, "timepoints": _tp_mapping(_col(fus, tp))}
                    return LayoutGuess("operations_followup", settings, f"'{_table_label(a)}' has one row per operation and '{_table_label(b)}' one row per questionnaire, joined on '{case}' with time points in '{tp}'.")
            if not pid:
                continue
            op_date = _find([c for c in ops.columns if c != pid], _OP_DATE_WORDS)
            fu_date = _find([c for c in fus.columns if c != pid], _FU_DATE_WORDS)
            if not op_date or not fu_date:
                continue
            # the operations table is the one with fewer rows per patient
            if len(ops) / max(_col(ops, pid).nunique(), 1) > len(fus) / max(_col(fus, pid).nunique(), 1):
                continue
            settings = {"kind": "operations_followup", "operations": a, "followup": b, "patient_id": pid, "operation_date": op_date, "followup_date": fu_date}
            if case and case not in shared:
                settings["case_id"] = case
            tp = _best_tp_column(fus)
            if tp:
                settings["timepoint_column"] = tp
                settings["timepoints"] = _tp_mapping(_col(fus, tp))
            several = int((_col(ops, pid).value_counts() > 1).sum())
            return LayoutGuess(
                "operations_followup",
                settings,
                f"'{_table_label(a)}' lists operations ({len(ops):,}, dated in '{op_date}') and '{_table_label(b)}' questionnaires "
                f"({len(fus):,}, dated in '{fu_date}'), joined on '{pid}'"
                + (f"; {several} patient{'s' if several != 1 else ''} had more than one operation, so each questionnaire goes to the operation it follows by date" if several else "")
                + ".",
            )
    return None
