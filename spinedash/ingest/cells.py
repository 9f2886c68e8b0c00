"""Cells to values, a column at a time: the converters every stage shares.

Text cleaning, "missing" spellings, numbers, yes/no, dates, spinal levels, labels. Arrow compute and
per-distinct-value parsing, no Python per cell. No Streamlit.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from spinedash.knowledge import load_knowledge
from spinedash.validation import OutcomeDataError, Problem, categories_used, make_problem


def _fail(message: str, column: str = "(whole file)") -> OutcomeDataError:
    return OutcomeDataError([Problem(column, (), message)])


def _rows_short(rows: list[int], k: int = 8) -> str:
    from spinedash.validation import format_rows

    return format_rows(tuple(rows[:200]), len(rows), max_items=k)



# Spellings of "no value" in exports; "none" is not one of them (it is a complication value).
MISSING_TOKENS = frozenset({"", "n/a", "na", "-", "--", ".", "nan", "null", "#n/a", "n.a.", "nd", "missing"})
# English yes/no and sex words here; the Norwegian, Swedish, German (and other) words are SpineDash's
# own vocabulary in data/knowledge/aliases.csv (kinds "yes/no" and "sex"), read by load_knowledge.
_VOCABULARY = load_knowledge()
TRUE_WORDS = frozenset({"yes", "y", "true", "t", "1"} | {w for w, v in _VOCABULARY.value_words("yes/no").items() if v == "yes"})
FALSE_WORDS = frozenset({"no", "n", "false", "f", "0"} | {w for w, v in _VOCABULARY.value_words("yes/no").items() if v == "no"})
_SEX_WORDS = {
    **dict.fromkeys(("f", "female", "woman", "w", "fem"), "female"),
    **dict.fromkeys(("m", "male", "man", "masc"), "male"),
    **dict.fromkeys(("other", "o", "x", "d", "non binary", "nonbinary"), "other"),
    **_VOCABULARY.value_words("sex"),
}
_COMPLICATION_WORDS = {
    **dict.fromkeys(("none", "no", "nil", "no complication", "ingen", "0", "nei", "nej", "keine", "ingen komplikasjon",
                     "ingen komplikation", "keine komplikation"), "none"),
    **dict.fromkeys(("dural tear", "durotomy", "incidental durotomy", "dural leak", "csf leak", "dura tear", "duratear",
                     "durarift", "duraskade", "duraskada", "durariss", "duraverletzung"), "dural tear"),
    **dict.fromkeys(("nerve root injury", "nerve injury", "root injury", "nerve root damage", "neural injury", "nerveskade",
                     "nervskada", "nervenverletzung", "nervenwurzelverletzung"), "nerve root injury"),
    **dict.fromkeys(("infection", "wound infection", "ssi", "surgical site infection", "deep infection", "superficial infection",
                     "infeksjon", "sårinfeksjon", "infektion", "sårinfektion", "wundinfektion"), "infection"),
    **dict.fromkeys(("haematoma", "hematoma", "epidural haematoma", "epidural hematoma", "wound haematoma", "wound hematoma",
                     "hematom", "hämatom"), "haematoma"),
    **dict.fromkeys(("other", "annet", "annat", "andere", "sonstige"), "other"),
    # Words naming one complication, with their sources: data/knowledge/aliases.csv (kind "complication").
    **_VOCABULARY.value_words("complication"),
}
# Case variants of the tokens, so the check is one hash lookup per cell, no lower-casing.
_MISSING_ARRAY = pa.array(sorted({v for t in MISSING_TOKENS for v in (t, t.upper(), t.title(), t.capitalize())}))


def _cell_text(v: object) -> object:
    """One spreadsheet cell (Excel gives int, float, datetime, bool, str) as the text a person sees."""
    if isinstance(v, bool | np.bool_):
        return "true" if v else "false"
    if isinstance(v, float | np.floating):
        if np.isnan(v):
            return None
        return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else repr(float(v))
    if isinstance(v, pd.Timestamp) or hasattr(v, "isoformat"):
        ts = pd.Timestamp(v)
        return ts.strftime("%Y-%m-%d") if ts == ts.normalize() else ts.isoformat()
    return str(v)


def _text(s: pd.Series) -> pa.Array:
    """Cells as trimmed Arrow strings, with every spelling of 'missing' as null."""
    if s.dtype == "str" or isinstance(s.dtype, pd.StringDtype):
        arr = pa.array(s.array)
    elif pd.api.types.is_integer_dtype(s.dtype):
        arr = pa.array(s.astype("Int64").array).cast(pa.string())
    elif pd.api.types.is_datetime64_any_dtype(s.dtype):
        arr = pa.array(s.dt.strftime("%Y-%m-%d").array)
    elif isinstance(s.dtype, pd.CategoricalDtype):
        categories = pa.array(s.cat.categories.map(_cell_text).tolist(), type=pa.string(), from_pandas=True)
        arr = categories.take(pa.array(s.cat.codes.to_numpy(), mask=s.isna().to_numpy()))
    elif pd.api.types.is_bool_dtype(s.dtype):
        arr = pa.array(s.map({True: "true", False: "false"}).tolist(), type=pa.string(), from_pandas=True)
    else:
        arr = pa.array(s.astype("object").map(_cell_text, na_action="ignore").tolist(), type=pa.string(), from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if _untouched(arr):
        return arr.cast(pa.large_string())
    arr = pc.utf8_trim_whitespace(arr.cast(pa.large_string()))
    missing = pc.is_in(arr, value_set=_MISSING_ARRAY.cast(pa.large_string()))
    return pc.if_else(missing, pa.scalar(None, pa.large_string()), arr)


_LONGEST_MISSING = max(len(t.encode()) for t in MISSING_TOKENS)


def _text_buffers(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """An Arrow string or large_string array's offsets (len + 1, its slice applied) and bytes, as numpy views."""
    large = pa.types.is_large_string(arr.type)
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64 if large else np.int32)[arr.offset : arr.offset + len(arr) + 1]
    raw = arr.buffers()[2]
    return offsets, (np.frombuffer(raw, dtype=np.uint8) if raw is not None else np.zeros(0, dtype=np.uint8))


def _untouched(arr: pa.Array) -> bool:
    """True when trimming and the missing tokens would leave every cell of an Arrow text array as
    it is: no cell starts or ends with whitespace (or any non-ASCII byte, to be safe) and none is
    short enough to be a missing token ("NA", "-"). Ids usually are: a million of them are then
    judged from their lengths and edge bytes (~3 ms) instead of trimmed and looked up (~25 ms).
    """
    large = pa.types.is_large_string(arr.type)
    if not (large or pa.types.is_string(arr.type)) or len(arr) == 0 or arr.buffers()[2] is None:
        return False
    offsets, data = _text_buffers(arr)
    valid = None if not arr.null_count else arr.is_valid().to_numpy(zero_copy_only=False)
    step = 65_536  # in slices that stay in the cache: fresh million-row temporaries cost more than the checks
    n = len(arr)
    for at in range(0, n, step):
        upto = min(at + step, n)
        starts, ends = offsets[at:upto], offsets[at + 1 : upto + 1]
        if valid is not None:
            keep = valid[at : at + step]
            starts, ends = starts[keep], ends[keep]
            if not len(starts):
                continue
        if (ends - starts).min() <= _LONGEST_MISSING or _EDGE_BYTES[data[starts]].any() or _EDGE_BYTES[data[ends - 1]].any():
            return False
    return True


_EDGE_BYTES = np.zeros(256, dtype=bool)
_EDGE_BYTES[[9, 10, 11, 12, 13, 28, 29, 30, 31, 32]] = True  # what utf8_trim_whitespace trims in ASCII
_EDGE_BYTES[128:] = True  # any non-ASCII byte at an edge: maybe a no-break or other Unicode space


_MISSING_SET = frozenset(_MISSING_ARRAY.to_pylist())  # "" and every spelling of missing, as written


def _missing_text(arr: pa.Array | pa.ChunkedArray, edge: np.ndarray | None = None,
                  trim: Callable[[pa.Array], pa.Array] = pc.utf8_trim_whitespace) -> np.ndarray:
    """True where an Arrow text cell holds nothing: null, empty once `trim`med, or a spelling of
    missing ("NA", "n/a", "-" …: what the typed CSV read parses as null, so both readers judge a
    cell alike). Only a cell that could be one — no longer than the longest spelling, or with a
    byte marked in `edge` (default: whitespace or any non-ASCII byte) at either end — is trimmed
    and looked up; a column of ids is judged from lengths and edge bytes (`_untouched`)."""
    edge = _EDGE_BYTES if edge is None else edge
    if isinstance(arr, pa.ChunkedArray):  # chunk by chunk: no joined copy of every text
        return np.concatenate([_missing_text(c, edge, trim) for c in arr.chunks]) if arr.num_chunks else np.zeros(0, dtype=bool)
    n = len(arr)
    if n == 0:
        return np.zeros(0, dtype=bool)
    if not (pa.types.is_large_string(arr.type) or pa.types.is_string(arr.type)):
        arr = arr.cast(pa.string())
    if not arr.null_count and not (edge & ~_EDGE_BYTES).any() and _untouched(arr):
        return np.zeros(n, dtype=bool)
    offsets, data = _text_buffers(arr)
    out = offsets[1:] == offsets[:-1]  # no bytes at all: empty as it stands
    if arr.null_count:
        out |= arr.is_null().to_numpy(zero_copy_only=False)
    if not len(data):
        return out
    filled = np.flatnonzero(~out)
    starts, ends = offsets[:-1][filled], offsets[1:][filled]
    at = filled[((ends - starts) <= _LONGEST_MISSING) | edge[data[starts]] | edge[data[ends - 1]]]
    if len(at):
        few = trim(arr.take(pa.array(at)))
        out[at] = pc.fill_null(pc.is_in(few, value_set=_MISSING_ARRAY.cast(few.type)), True).to_numpy(zero_copy_only=False)
    return out


def _text_series(s: pd.Series) -> pd.Series:
    return pd.Series(_text(s).to_pandas().array, index=s.index, dtype="str")


def _clip(text: object, limit: int = 60) -> str:
    """A cell or header as quoted in a message: at most `limit` characters."""
    text = str(text)
    return text if len(text) <= limit else text[:limit] + "…"


def _examples(values: pd.Series, k: int = 3) -> str:
    uniq = list(dict.fromkeys(values.dropna().astype(str).tolist()[:1000]))
    return ", ".join(repr(_clip(v)) for v in uniq[:k]) + (" …" if len(uniq) > k else "")


def _distinct(s: pd.Series) -> tuple[np.ndarray | None, np.ndarray, pd.Series]:
    """(rows, slots, distinct texts): row r's cleaned text is distinct text number
    `slots[rows[r]]` (−1 = missing), or `slots[r]` when `rows` is None.

    A categorical column (a CSV read with dictionary-encoded columns, a Parquet dictionary) is
    cleaned through its categories only — the categories that occur — and `rows` is its codes
    (−1, missing, takes the last slot), so callers work out their answer per category and spread
    it over a million rows with one gather at the end instead of a million trims and lookups.
    """
    if isinstance(s.dtype, pd.CategoricalDtype):
        codes = s.cat.codes.to_numpy()
        k = len(s.cat.categories)
        used = np.flatnonzero(categories_used(codes, k)) if k else np.zeros(0, dtype=np.intp)
        enc = pc.dictionary_encode(_text(pd.Series(s.cat.categories[used])))
        per_used = pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
        per_code = np.full(k + 1, -1, dtype=np.int64)  # last slot: code −1
        per_code[used] = per_used
        return codes, per_code, pd.Series(enc.dictionary.to_pylist(), dtype="object")
    enc = pc.dictionary_encode(_text(s))
    idx = pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    return None, idx, pd.Series(enc.dictionary.to_pylist(), dtype="object")


def _by_unique(s: pd.Series, parse: Callable[[pd.Series], pd.Series]) -> tuple[pd.Series, pd.Series]:
    """Parse each distinct cell once and spread the result over the rows: (values, mask of unparsed cells).

    Categories, dates and yes/no answers repeat: a million rows carry a few thousand distinct
    values, so parsing the distinct ones in pandas costs almost nothing. For a categorical column
    everything is worked out per category and each result reaches the rows in one gather.
    """
    rows, idx, uniques = _distinct(s)
    parsed = parse(uniques).reset_index(drop=True)

    def spread(per_slot: np.ndarray) -> np.ndarray:
        # take, not per_slot[rows]: numpy's take gathers by the small codes as they are (−1 = the last slot)
        return per_slot if rows is None else per_slot.take(rows)

    present = idx >= 0
    if len(parsed) == 0:
        values = pd.Series(np.nan, index=s.index, dtype="object")
        return values, pd.Series(False, index=s.index)
    safe = np.where(present, idx, 0)
    if parsed.dtype == "object" or parsed.dtype == "str":
        # Text results become a Categorical straight from the dictionary codes (no re-hashing).
        cat = pd.Categorical(parsed)
        codes = spread(np.where(present, cat.codes[safe], -1).astype(cat.codes.dtype))
        values = pd.Series(pd.Categorical.from_codes(codes, cat.categories, validate=False), index=s.index)
    else:
        # One gather from the parsed values plus a trailing missing slot for the empty cells (array
        # level: a Series.take would also gather a million-row index only to replace it).
        padded = pd.concat([parsed, pd.Series([None], dtype=parsed.dtype)], ignore_index=True).array
        per_slot = padded.take(np.where(present, idx, len(parsed)))
        values = pd.Series(per_slot if rows is None else per_slot.take(rows), index=s.index)
    unparsed = parsed.isna().to_numpy(dtype=bool)
    if not unparsed.any():  # the usual case: every value read, no gather of a million-row mask
        return values, pd.Series(np.zeros(len(s), dtype=bool), index=s.index)
    return values, pd.Series(spread(present & unparsed[safe]), index=s.index)


def _short_keys(arr: pa.Array) -> np.ndarray | None:
    """Each text of `arr` (no nulls) as one uint64 that two texts share only when they are equal,
    or None when some text is too long for that (over 8 bytes, or 8 beside shorter ones)."""
    n = len(arr)
    lengths = pc.binary_length(arr).to_numpy(zero_copy_only=False)
    lo, hi = int(lengths.min()), int(lengths.max())
    if hi > 8 or (hi == 8 and lo != 8):
        return None
    offsets, data = _text_buffers(arr)
    keys = np.zeros((n, 8), dtype=np.uint8)
    if lo == hi:  # equal lengths: the texts lie back to back
        keys[:, :hi] = data[offsets[0] : offsets[0] + n * hi].reshape(n, hi)
    else:
        at = np.minimum(offsets[:-1, None] + np.arange(hi), len(data) - 1)
        keys[:, :hi] = np.where(np.arange(hi) < lengths[:, None], data[at], 0)
    if hi < 8:
        keys[:, 7] = lengths  # "a" and "a\0" differ by their length byte
    return keys.view(np.uint64).ravel()


def _has_repeats(values: pa.Array | pa.ChunkedArray) -> bool:
    """True when some text occurs more than once among the non-null values of an Arrow string array.

    Ids are what this checks, and a million of them hashed cost ~0.25 s: ids sorted as exports
    usually are answer in one comparison pass; short ids are compared as integers; others hashed.
    """
    arr = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    if arr.null_count:
        arr = arr.drop_null()
    n = len(arr)
    if n < 2:
        return False
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        return pc.count_distinct(arr).as_py() < n
    if pc.all(pc.greater(arr.slice(1), arr.slice(0, n - 1))).as_py():
        return False  # strictly increasing: every text differs from the one before and all before it
    if n > 4 * 65_536 and _has_repeats(arr.slice(0, 65_536)):
        return True  # a long file repeats its ids within its first rows
    keys = _short_keys(arr)
    if keys is not None:
        keys.sort()
        return bool((keys[1:] == keys[:-1]).any())
    return pc.count_distinct(arr).as_py() < n


def _try_cast(t: pa.Array) -> pa.Array | None:
    try:
        return pc.cast(t, pa.float64())
    except pa.ArrowInvalid:
        return None


_NUMBER = r"^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?$"
_THOUSANDS = r"^-?[0-9]{1,3}(,[0-9]{3})+([.][0-9]+)?$"


def _to_number(s: pd.Series, decimal_comma: bool) -> tuple[pd.Series, pd.Series]:
    """(float64 values, mask of cells that are not numbers). Arrow compute, no Python per cell."""
    if s.dtype == "float64":  # already parsed (the typed CSV reader, Parquet): no copy
        return s, pd.Series(np.zeros(len(s), dtype=bool), index=s.index)
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        return pd.to_numeric(s, errors="coerce").astype("float64"), pd.Series(False, index=s.index)
    t = _text(s)
    values = _try_cast(t) if not decimal_comma else _try_cast(pc.replace_substring(t, ",", "."))
    if values is not None:  # clean exports take this path: one cast, no regex
        bad = np.zeros(len(t), dtype=bool)
    else:
        t = pc.replace_substring_regex(t, r"[\s\x{00a0}\x{202f}']", "")
        if decimal_comma:
            # "1.234,5" -> "1234.5"; "3,5" -> "3.5"; "3.5" stays.
            with_comma = pc.match_substring(t, ",")
            t = pc.if_else(with_comma, pc.replace_substring(pc.replace_substring(t, ".", ""), ",", "."), t)
        else:
            # "1,200" is a thousands separator in a comma-delimited file; "3,5" can only be a decimal.
            thousands = pc.match_substring_regex(t, _THOUSANDS)
            t = pc.if_else(thousands, pc.replace_substring(t, ",", ""), pc.replace_substring(t, ",", "."))
        ok = pc.match_substring_regex(t, _NUMBER)
        values = pc.cast(pc.if_else(ok, t, pa.scalar(None, t.type)), pa.float64())
        bad = pc.and_(pc.is_valid(t), pc.invert(pc.fill_null(ok, False))).to_numpy(zero_copy_only=False)
    out = pd.Series(values.to_numpy(zero_copy_only=False), index=s.index, dtype="float64")
    return out, pd.Series(bad, index=s.index)


def _word_key(values: pd.Series) -> pd.Series:
    return values.astype("str").str.lower().str.replace(r"[\s_\-]+", " ", regex=True).str.strip()


_SPACES = re.compile(r"[\s_\-]+")
_POINT_ZERO = re.compile(r"\.0$")


def _word_keys(words: pd.Series, point_zero: bool = False) -> list[str]:
    """_word_key of a few distinct words (no missing ones), in Python: pandas' string methods cost
    ~2 ms a call, for the two or ten words of a yes/no or sex column. `point_zero` also drops a
    trailing ".0" ("1.0" -> "1")."""
    keys = [_SPACES.sub(" ", str(w).lower()).strip() for w in words.tolist()]
    return [_POINT_ZERO.sub("", k) for k in keys] if point_zero else keys


def _map_words(mapping: dict, point_zero: bool = False, dtype: str | None = None) -> Callable[[pd.Series], pd.Series]:
    """A parse for _by_unique: each distinct word's key looked up in `mapping` (None when absent)."""

    def parse(u: pd.Series) -> pd.Series:
        if u.isna().any():  # not what _distinct gives; the pandas way keeps its handling of missing
            keys = _word_key(u)
            if point_zero:
                keys = keys.str.replace(r"\.0$", "", regex=True)
            out = keys.map(mapping)
            return out.astype(dtype) if dtype else out
        values = [mapping.get(k) for k in _word_keys(u, point_zero)]
        return pd.Series(pd.array(values, dtype=dtype) if dtype else values, index=u.index, dtype=dtype or "object")

    return parse


def _to_bool(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    mapping = {**dict.fromkeys(TRUE_WORDS, True), **dict.fromkeys(FALSE_WORDS, False)}
    # Parsed to "boolean" per distinct word, so the rows are gathered as booleans (no per-row cast).
    values, bad = _by_unique(s, _map_words(mapping, point_zero=True, dtype="boolean"))
    return values.astype("boolean"), bad


def _to_mapped(s: pd.Series, mapping: dict[str, str]) -> tuple[pd.Series, pd.Series]:
    """Map cleaned words through `mapping`: (values, mask of unknown cells)."""
    return _by_unique(s, _map_words(mapping))


_YEAR2_PIVOT = 30  # two-digit years: 00–30 -> 20xx, 31–99 -> 19xx (ASSUMPTION: no surgery before 1931)


def _as_ns(values: pd.Series) -> pd.Series:
    """datetime64[ns], with dates it cannot hold (before 1677-09-22, after 2262-04-11: "0000-01-01",
    "9999-12-31") as NaT, so they are reported as unreadable instead of raising OutOfBoundsDatetime."""
    inside = (values >= pd.Timestamp.min.ceil("D")) & (values <= pd.Timestamp.max.floor("D"))
    return values.where(inside).astype("datetime64[ns]")


def _parse_dates(u: pd.Series, header: str, notes: list[str], mixed: list[str]) -> pd.Series:
    """Distinct date texts -> datetime64. ISO, dd/mm/yyyy (or mm/dd when the file shows it), dd.mm.yyyy, Excel serials."""
    u = u.astype("str")
    out = pd.Series(pd.NaT, index=u.index, dtype="datetime64[ns]")
    iso = u.str.match(r"^\d{4}-\d{1,2}-\d{1,2}(?:[ T].*)?$")
    if iso.any():
        out[iso] = _as_ns(pd.to_datetime(u[iso], format="ISO8601", errors="coerce"))
        if iso.all():  # no other spelling can match a text that starts with a four-digit year
            return out
    parts = u.str.extract(r"^(\d{1,2})([/.\-])(\d{1,2})\2(\d{2}|\d{4})$")
    has = parts[0].notna()
    if has.any():
        a, b, y = (pd.to_numeric(parts[i]) for i in (0, 2, 3))
        slash = has & (parts[1] == "/")
        day, month = a.copy(), b.copy()
        if slash.any():
            first_big, second_big = bool((a[slash] > 12).any()), bool((b[slash] > 12).any())
            if first_big and second_big:
                mixed.extend(u[slash].tolist())
                has = has & ~slash
            elif second_big:
                day[slash], month[slash] = b[slash], a[slash]
                notes.append(f"Dates with slashes in '{header}' were read month first (mm/dd/yyyy), because some have a second number above 12.")
            else:
                notes.append(f"Dates with slashes in '{header}' were read day first (dd/mm/yyyy): 03/04/2024 is 3 April 2024.")
        y = y.where(y >= 100, np.where(y <= _YEAR2_PIVOT, 2000 + y, 1900 + y))
        ymd = pd.DataFrame({"year": y[has], "month": month[has], "day": day[has]})
        out[has] = _as_ns(pd.to_datetime(ymd, errors="coerce"))
    serial = u.str.match(r"^\d{5}(?:\.\d+)?$")
    if serial.any():
        num = pd.to_numeric(u[serial], errors="coerce")
        num = num.where((num >= 10000) & (num <= 80000))
        out[serial] = pd.to_datetime(num, unit="D", origin="1899-12-30", errors="coerce").astype("datetime64[ns]")
        notes.append(f"Numbers in '{header}' were read as Excel date serials.")
    return out


def _to_date(s: pd.Series, header: str) -> tuple[pd.Series, pd.Series, list[str], list[Problem]]:
    """(datetime64 values, mask of unreadable cells, warnings, problems)."""
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        values = _as_ns(pd.to_datetime(s))
        return values, values.isna() & s.notna(), [], []
    notes: list[str] = []
    mixed: list[str] = []
    values, bad = _by_unique(s, lambda u: _parse_dates(u, header, notes, mixed))
    problems = []
    if mixed:
        rows = _text_series(s).isin(mixed)
        problems.append(make_problem(header, s.index[rows.to_numpy()], "Dates with slashes mix day-first (31/01/2024) and month-first (01/31/2024) orders; use one order, preferably 2024-01-31."))
        bad = bad & ~rows
    return values.astype("datetime64[ns]"), bad, notes, problems


_LEVEL = r"^([CTLS])(\d{1,2})[-/–—]?([CTLS]?)(\d{1,2})$"


def _normalise_levels(u: pd.Series) -> pd.Series:
    """Spinal level in one spelling: "L4/5", "l4-l5", "L4–L5" -> "L4-L5"; other text kept as written."""
    u = u.astype("str")
    parts = u.str.upper().str.replace(" ", "", regex=False).str.extract(_LEVEL)
    second = parts[2].where(parts[2].fillna("") != "", parts[0])
    return (parts[0] + parts[1] + "-" + second + parts[3]).where(parts[0].notna(), u)


_WHITESPACE_RUNS = re.compile(r"\s+")


def _labels(u: pd.Series) -> pd.Series:
    """Distinct words with each run of whitespace as one space (in Python: a handful of words)."""
    if u.isna().any():
        return u.astype("str").str.replace(r"\s+", " ", regex=True)
    return pd.Series([_WHITESPACE_RUNS.sub(" ", str(v)) for v in u.tolist()], index=u.index, dtype="str")


def _to_label(s: pd.Series) -> pd.Series:
    return _by_unique(s, _labels)[0]


