"""The long pivot's fast paths give exactly what the implementation before them gave.

`_pivot_before` and its helpers below are spinedash.ingest.shape as it was before the pivot worked
from runs of grouped ids, one slot per case × time point and per-dtype comparisons (commit
193727f); they are the oracle. Every frame here is pivoted both ways and the cases, their dtypes,
index, time points and notes compared: grouped and scattered ids, ids of every kind, cases missing
visits or with visits in another order, blank-only cases, a case whose "case value" conflicts,
repeated visits (refused or the first kept), long frames beyond the probe.
"""

from __future__ import annotations

import importlib

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from spinedash.ingest.cells import _MISSING_SET
from spinedash.validation import OutcomeDataError

# spinedash.ingest re-exports the function shape(), which hides the module of the same name
shp = importlib.import_module("spinedash.ingest.shape")
_PROBE_ROWS, _fail, _rows, _short, _tp_order = shp._PROBE_ROWS, shp._fail, shp._rows, shp._short, shp._tp_order
_fold, parse_timepoint, _col = shp._fold, shp.parse_timepoint, shp._col

# ------------------------------------------------------------------ the implementation before


def _blank_before(s: pd.Series) -> np.ndarray:
    """True where a cell holds nothing (NaN/None, or only whitespace in a text column).

    Written the plain way, cell by cell through Arrow or pandas. Since session 7 a spelling of
    missing ("NA", "-" …: cells._MISSING_SET) is blank too, as the typed CSV read parses it as null:
    this reference says so in the same plain way (the `.isin` below, where it compared with "").

    Never turns a million-row text column into Python strings: a category column is judged by its
    categories, an Arrow string column by Arrow's own kernels, anything else once per distinct value.
    """
    dtype = s.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        codes = s.cat.codes.to_numpy()
        cats = pd.Series(s.cat.categories, dtype=object).astype("string").str.strip().isin(_MISSING_SET).fillna(True).to_numpy(dtype=bool)
        return np.append(cats, True)[codes]  # code -1 (missing) takes the last slot
    if not (pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)):
        return s.isna().to_numpy()
    if getattr(dtype, "storage", None) == "pyarrow":
        arr = pa.chunked_array(s.array._pa_array) if hasattr(s.array, "_pa_array") else pa.array(s.astype(object))
        # blank = only RE2's \s characters ([\t\n\f\r ]): trimmed to nothing, 3× quicker than the regex
        trimmed = pc.ascii_trim(arr, characters=" \t\n\f\r")
        empty = pc.or_(pc.is_null(trimmed), pc.is_in(trimmed, value_set=pa.array(sorted(_MISSING_SET), type=trimmed.type)))
        return pc.fill_null(empty, True).to_numpy(zero_copy_only=False).astype(bool)
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    empty = pd.Series(uniques, dtype=object).astype("string").str.strip().isin(_MISSING_SET).fillna(True).to_numpy(dtype=bool)
    return np.append(empty, True)[codes]


def _scatter_before(column: pd.Series, rows: np.ndarray, where: np.ndarray, n: int) -> pd.Series:
    """A length-n column holding column[rows] at positions `where`, missing elsewhere (dtype kept)."""
    source = np.full(n, -1, dtype=np.intp)
    source[where] = rows
    return pd.Series(column.array.take(source, allow_fill=True))


def _pivot_before(
    frame: pd.DataFrame,
    case_col: str,
    tps: np.ndarray,
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
    """
    ids = frame[case_col]
    case_codes, case_values = pd.factorize(ids, sort=False)
    tp_codes, tp_values = pd.factorize(pd.Series(tps, index=frame.index), sort=False)
    ntp = len(tp_values)
    ncase = len(case_values)
    key = case_codes.astype(np.int64) * max(ntp, 1) + tp_codes
    dup = pd.Series(key).duplicated(keep="first").to_numpy()
    if dup.any():
        if dedupe == "refuse":
            both = pd.Series(key).duplicated(keep=False).to_numpy()
            first = np.flatnonzero(both)[0]
            raise _fail(
                case_col,
                _rows(frame, both),
                f"{both.sum():,} rows repeat a case and time point (e.g. '{ids.iloc[first]}' at {tps[first]}): "
                "each case may have one row per time point. Remove the repeated rows, or choose the column "
                "that tells the visits apart as the time point column.",
            )
        notes.append(f"{label}: {int(dup.sum()):,} repeated rows for the same case and time point were left out (rows {_short(_rows(frame, dup), 8)}); the first was used.")
        keep = ~dup
        frame, tps, case_codes, tp_codes, key = frame[keep], tps[keep], case_codes[keep], tp_codes[keep], key[keep]
    # factorize numbers cases in order of first appearance: the first rows, in order, are cases 0, 1, 2 …
    first_row = np.flatnonzero(~pd.Series(case_codes).duplicated().to_numpy())
    index = frame.index[first_row] if pd.api.types.is_integer_dtype(frame.index) else pd.RangeIndex(ncase)
    order = np.argsort(case_codes, kind="stable")
    cc_sorted = case_codes[order]
    out: dict[str, pd.Series] = {case_col: pd.Series(np.asarray(case_values, dtype=object) if ids.dtype == object else case_values)}
    when: dict[str, str] = {}
    tp_names = list(tp_values)
    empty = []
    for pos, col in enumerate(frame.columns):
        if col == case_col:
            continue
        s = frame.iloc[:, pos]
        present = ~_blank_before(s)
        if not present.any():
            empty.append(str(col))
            continue
        at = np.flatnonzero(np.bincount(tp_codes[present], minlength=ntp))
        if col in case_columns or (len(at) > 1 and col not in always_pivot and _agrees_within_case_before(s, present, order, cc_sorted)):
            rows_present = np.flatnonzero(present)
            firsts = rows_present[~pd.Series(case_codes[rows_present]).duplicated().to_numpy()]
            out[str(col)] = _scatter_before(s, firsts, case_codes[firsts], ncase)
            continue
        if len(at) == 1 and col not in always_pivot:
            rows_present = np.flatnonzero(present)
            out[str(col)] = _scatter_before(s, rows_present, case_codes[rows_present], ncase)
            when[str(col)] = tp_names[at[0]]
            continue
        for code in sorted(at, key=lambda c: _tp_order(tp_names[c])):
            sel = np.flatnonzero(present & (tp_codes == code))
            name = f"{col}@{tp_names[code]}"
            out[name] = _scatter_before(s, sel, case_codes[sel], ncase)
            when[name] = tp_names[code]
    if empty:
        notes.append(f"{label}: columns with no values were left out: {_short(empty, 6)}.")
    cases = pd.DataFrame(out, copy=False)  # no consolidating copy of every pivoted column (0.4 s at 1M × 6)
    cases.index = index
    cases.attrs = dict(frame.attrs)
    cases.attrs["rows_read"] = frame.attrs.get("rows_read", len(frame))
    return cases, when




def _agrees_within_case_before(s: pd.Series, present: np.ndarray, order: np.ndarray, cc_sorted: np.ndarray) -> bool:
    """True if some case has this column at two rows and, in every case, all its values are equal."""
    if len(order) > 4 * _PROBE_ROWS:
        # A column that differs within cases (a score per visit) shows it in the first cases already:
        # their rows are the head of the case-sorted order, judged alone without factorising millions
        # of cells. Agreement there proves nothing, so then the whole column is judged.
        head = order[:_PROBE_ROWS]
        if _pairs_in_case_before(s.iloc[head], present[head], cc_sorted[:_PROBE_ROWS])[1]:
            return False
    has_pair, differ = _pairs_in_case_before(s, present, cc_sorted, order)
    return has_pair and not differ


def _pairs_in_case_before(s: pd.Series, present: np.ndarray, cases_sorted: np.ndarray, order: np.ndarray | None = None) -> tuple[bool, bool]:
    """(some case has two present values, two present values of one case differ), with `s` and
    `present` in case-sorted order, or in frame order taken through `order`."""
    v = pd.factorize(s, use_na_sentinel=True)[0]  # equal values, equal codes: compare integers
    if order is not None:
        v, present = v[order], present[order]
    # compare each present value with the previous present value of the same case
    idx = np.flatnonzero(present)
    if len(idx) < 2:
        return False, False
    cases = cases_sorted[idx]
    pair_same_case = cases[1:] == cases[:-1]
    if not pair_same_case.any():
        return False, False
    vals = v[idx]
    return True, bool(((vals[1:] != vals[:-1]) & pair_same_case).any())


def _timepoints_for_before(frame: pd.DataFrame, col: str, mapping: dict | None, label: str, notes: list[str]) -> np.ndarray:
    """Time point ids for the values of a time point column: the layout's mapping, else parsed from the words."""
    s = _col(frame, col)
    # one decision per distinct word, then spread to the rows by code (no per-row Python)
    codes, distinct = pd.factorize(s, use_na_sentinel=True)
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
    tps = np.asarray([table.get(w) for w in words] + [None], dtype=object)[codes]
    if ignored_values:
        notes.append(f"{label}: rows at {_short(ignored_values)} were left out, as the layout says.")
    return tps


# ------------------------------------------------------------------ frames to pivot

TPS = ("pre", "2w", "6w", "3m", "6m", "12m")


def _long_frame(seed: int, n_cases: int = 40, *, grouped: bool = True, regular: bool = False, id_kind: str = "str",
                conflict: bool = False, blank_only: bool = True) -> tuple[pd.DataFrame, np.ndarray]:
    """A long frame of cases × visits with a column of every kind the read stage makes, and its time points."""
    rng = np.random.default_rng(seed)
    case_rows, tp_rows = [], []
    for c in range(n_cases):
        visits = list(TPS) if regular else [t for t in TPS if t == "pre" or rng.random() < 0.7]
        if not regular and rng.random() < 0.3:
            rng.shuffle(visits)  # a case's visits in another order
        case_rows += [c] * len(visits)
        tp_rows += visits
    case = np.asarray(case_rows)
    tps = np.asarray(tp_rows, dtype=object)
    n = len(case)
    if not grouped:
        order = rng.permutation(n)
        case, tps = case[order], tps[order]
    is_pre = tps == "pre"
    names = np.asarray([f"C{c:04d}" for c in range(n_cases)], dtype=object)
    ids = {
        "str": pd.Series(names[case], dtype="str"),
        "category": pd.Series(pd.Categorical(names[case], categories=sorted(set(names) | {"unused"}))),
        "int": pd.Series(case * 7 + 1000, dtype="int64"),
        "float": pd.Series(case * 1.5, dtype="float64"),
        "object": pd.Series(names[case], dtype=object),
    }[id_kind]
    sex = np.where(rng.random(n_cases) < 0.5, "female", "male")[case]
    detail = pd.Categorical(np.where(is_pre, sex, ""), categories=["female", "", "male"])
    site = np.asarray(["North", "South", "East"], dtype=object)[case % 3].copy()  # the same on every row of a case
    if conflict:
        site[np.flatnonzero(case == case[-1])[-1]] = "West"  # one case's last row disagrees
    score = np.round(rng.random(n) * 10, 1)
    score[rng.random(n) < 0.2] = np.nan
    note = np.where(rng.random(n) < 0.5, "  ", np.where(rng.random(n) < 0.5, None, "seen"))
    frame = pd.DataFrame({
        "case_id": ids.to_numpy() if id_kind != "category" else ids.array,
        "sex": detail,
        "site": pd.Series(site, dtype="str"),
        "score": score,
        "note": pd.Series(note, dtype="str"),
        "obj": pd.Series(np.where(is_pre, note, None), dtype=object),
        "flag": pd.array(np.where(rng.random(n) < 0.5, 1, 0), dtype="Int64"),
        "date": pd.Series(np.where(is_pre, np.datetime64("2021-01-01") + case.astype("timedelta64[D]"), np.datetime64("NaT"))),
        "empty": np.full(n, np.nan),
        "answered": pd.Series(np.where(tps == "12m", "yes", "  "), dtype="str"),  # one time point only
    })
    if id_kind == "str":
        frame["case_id"] = frame["case_id"].astype("str")
    if blank_only:  # the last case has nothing but its id (and visits with blank cells)
        last = case == n_cases - 1
        for col in ("score", "empty"):
            frame.loc[last, col] = np.nan
        frame.loc[last, "site"] = "North"
    frame.index = pd.RangeIndex(2, n + 2)  # spreadsheet rows, as the read stage numbers them
    frame.attrs = {"rows_read": n, "format": "csv"}
    return frame, tps


def _both(frame, tps, **kw):
    """The pivot now (time points as codes, and as ids) and before, with their notes."""
    notes_before: list[str] = []
    cases_before, when_before = _pivot_before(frame, "case_id", tps, "t", notes_before, **kw)
    codes, names = pd.factorize(pd.Series(tps))
    for given in (tps, (codes, list(names))):
        notes: list[str] = []
        cases, when = shp._pivot(frame, "case_id", given, "t", notes, **kw)
        pd.testing.assert_frame_equal(cases, cases_before, check_exact=True)
        assert list(cases.columns) == list(cases_before.columns)
        assert when == when_before
        assert notes == notes_before
        assert cases.attrs == cases_before.attrs
    return cases_before, when_before


@pytest.mark.parametrize("id_kind", ["str", "category", "int", "float", "object"])
@pytest.mark.parametrize("grouped", [True, False])
@pytest.mark.parametrize("regular", [True, False])
def test_pivot_gives_what_it_gave_before(id_kind, grouped, regular):
    for seed in range(3):
        frame, tps = _long_frame(seed, id_kind=id_kind, grouped=grouped, regular=regular)
        cases, when = _both(frame, tps)
        assert len(cases) == 40
        assert "site" in cases.columns  # agrees within every case: a case column
        assert when["sex"] == "pre" and when["answered"] == "12m"
        assert {"score@pre", "score@12m"} <= set(when)


@pytest.mark.parametrize("grouped", [True, False])
def test_a_conflicting_case_value_is_pivoted_as_before(grouped):
    frame, tps = _long_frame(5, grouped=grouped, conflict=True, blank_only=False)
    cases, when = _both(frame, tps)
    assert "site" not in cases.columns and "site@pre" in cases.columns


def test_case_columns_and_pivot_columns_named_by_the_layout_as_before():
    frame, tps = _long_frame(6)
    _both(frame, tps, case_columns=("score", "answered"), always_pivot=("site", "sex"))


@pytest.mark.parametrize("dedupe", ["refuse", "first"])
@pytest.mark.parametrize("grouped", [True, False])
def test_repeated_visits_are_refused_or_the_first_kept_as_before(dedupe, grouped):
    frame, tps = _long_frame(7, grouped=grouped)
    extra = frame.iloc[[3, 10, 11]]
    frame2 = pd.concat([frame, extra])
    frame2.index = pd.RangeIndex(2, len(frame2) + 2)
    frame2.attrs = dict(frame.attrs)
    tps2 = np.concatenate([tps, tps[[3, 10, 11]]])
    if dedupe == "refuse":
        with pytest.raises(OutcomeDataError) as before:
            _pivot_before(frame2, "case_id", tps2, "t", [], dedupe=dedupe)
        with pytest.raises(OutcomeDataError) as now:
            shp._pivot(frame2, "case_id", tps2, "t", [], dedupe=dedupe)
        assert now.value.problems == before.value.problems
    else:
        _both(frame2, tps2, dedupe=dedupe)


def test_a_frame_beyond_the_probe_pivots_as_before():
    """More rows than the agreement probe looks at (4 × 65,536): a case value conflicting only in
    the last case is still found, and agreement everywhere kept as a case column."""
    for conflict in (False, True):
        frame, tps = _long_frame(8, n_cases=50_000, regular=True, conflict=conflict, blank_only=False)
        assert len(frame) > 4 * _PROBE_ROWS
        cases, _ = _both(frame, tps)
        assert ("site" in cases.columns) is not conflict


@pytest.mark.parametrize("text", ["", " ", "\t\r\n\f ", "\v", "\u00a0", " x ", "0", None, "  .", "\u2003", "é", "\u00a0 "])
def test_blank_cells_as_before(text):
    """The blank test by first byte (text) and by compared codes (categories) is the old one."""
    cells = [text, "a", None, text, " b"] * 3
    for s in (pd.Series(cells, dtype="str"), pd.Series(cells, dtype="category"), pd.Series(cells, dtype=object),
              pd.Series(pd.Categorical(cells, categories=[c for c in dict.fromkeys(cells + ["", " ", "\t", "z"]) if c is not None]))):
        assert shp._blank(s).tolist() == _blank_before(s).tolist()
    sliced = pd.Series(pa.chunked_array([pa.array(cells).slice(2), pa.array(cells)]).to_pandas(types_mapper=pd.ArrowDtype).astype("str"))
    assert shp._blank(sliced).tolist() == _blank_before(sliced).tolist()


@pytest.mark.parametrize("mapping", [None, {"baseline": "pre", "one year": "12m"}, {"Ignore me": None, "one year": "12m"}])
def test_time_point_codes_give_the_ids_as_before(mapping):
    words = ["baseline", "Pre-op", "3 months", "one year", "Ignore me", "12 months", " 3 months "]
    rng = np.random.default_rng(0)
    cells = [words[i] for i in rng.integers(0, len(words), 300)]
    frame = pd.DataFrame({"tp": pd.Series(cells, dtype="str", index=pd.RangeIndex(2, 302))})
    if mapping is None or "Ignore me" not in mapping:
        with pytest.raises(OutcomeDataError) as before:
            _timepoints_for_before(frame, "tp", mapping, "t", [])
        with pytest.raises(OutcomeDataError) as now:
            shp._timepoint_codes(frame, "tp", mapping, "t", [])
        assert now.value.problems == before.value.problems
        return
    notes_before, notes = [], []
    tps = _timepoints_for_before(frame, "tp", mapping, "t", notes_before)
    codes, names = shp._timepoint_codes(frame, "tp", mapping, "t", notes)
    assert notes == notes_before
    assert np.asarray([*names, None], dtype=object)[codes].tolist() == tps.tolist()
    kept = pd.Series(tps[pd.notna(tps)])
    assert names == list(pd.unique(kept))  # ids in order of first appearance, as pd.factorize numbered them


def test_runs_of_grouped_ids_are_found_and_scattered_ids_are_not():
    ids = pd.Series(["b", "b", "a", "a", "a", "c"], dtype="str")
    assert shp._case_runs(ids).tolist() == [0, 2, 5]
    assert shp._case_runs(pd.Series(["b", "a", "b"], dtype="str")) is None
    assert shp._case_runs(pd.Series(["b", None, "b"], dtype="str")) is None
    assert shp._case_runs(pd.Series([3, 3, 1], dtype="int64")).tolist() == [0, 2]
    assert shp._case_runs(pd.Series([3, 1, 3], dtype="int64")) is None


def test_a_remembered_answer_is_never_given_for_changed_data():
    """detect_layout and shape share the runs and codes of a column through a memo on its Arrow
    data: a column changed in place (new Arrow data) is worked out again."""
    ids = pd.Series(["a", "a", "b"], dtype="str")
    assert shp._case_runs(ids).tolist() == [0, 2]
    assert shp._case_runs(ids).tolist() == [0, 2]  # remembered
    ids.iloc[2] = "a"
    assert shp._case_runs(ids).tolist() == [0]
    tp = pd.Series(["pre", "12m", "pre"], dtype="str")
    assert shp._factorized(tp)[0].tolist() == [0, 1, 0]
    tp.iloc[0] = "3m"
    assert shp._factorized(tp)[0].tolist() == [0, 1, 2]


@pytest.mark.parametrize("tail", ["same", "differs", "null"])
def test_a_repeating_time_point_column_is_factorised_as_pandas_does(tail):
    """Every case with every visit in one order: the first rows are factorised and repeated; a
    column that breaks the pattern anywhere (or holds a gap) is factorised whole."""
    cells = ["pre", "2w", "pre ", "12m"] * 100 + ["pre", "2w"]
    if tail == "differs":
        cells[-1] = "6w"
    elif tail == "null":
        cells[-3] = None
    s = pd.Series(cells, dtype="str")
    assert (shp._period(s) == 4) is (tail == "same")
    codes, uniques = shp._factorized(s)
    want_codes, want_uniques = pd.factorize(s, use_na_sentinel=True)
    assert codes.tolist() == want_codes.tolist()
    pd.testing.assert_index_equal(pd.Index(uniques), pd.Index(want_uniques))
