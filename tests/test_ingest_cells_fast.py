"""The fast paths of the shared cell converters give the answers of the plain ones.

`_has_repeats` (ids checked without hashing when they are sorted or short) against a Python set;
`_by_unique` on a categorical column (worked out per category, one gather at the end) against the
same cells as plain text.
"""

from __future__ import annotations

import functools
import random
import string

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from spinedash.ingest.cells import _by_unique, _has_repeats, _to_bool, _to_date, _to_label, _to_mapped


def _random_texts(rng: random.Random) -> list[str | None]:
    n = rng.randint(0, 40)
    alphabet = rng.choice(["ab", "a\x00", "abc xyz", string.ascii_letters + "øå"])
    longest = rng.choice([0, 1, 3, 7, 8, 9, 14])
    exactly_eight = longest == 8 and rng.random() < 0.5
    texts: list[str | None] = [
        "".join(rng.choice(alphabet) for _ in range(longest if exactly_eight else rng.randint(0, longest))) for _ in range(n)
    ]
    if rng.random() < 0.3:
        texts.sort()
    for _ in range(rng.randint(0, 2)):
        if texts:
            texts[rng.randrange(len(texts))] = None
    return texts


@pytest.mark.parametrize("seed", range(6))
def test_has_repeats_agrees_with_a_set(seed):
    rng = random.Random(seed)
    for _ in range(400):
        texts = _random_texts(rng)
        arr = pa.array(texts, rng.choice([pa.string(), pa.large_string()]))
        if len(texts) > 2 and rng.random() < 0.4:
            cut = rng.randint(1, len(texts) - 1)
            arr = pa.chunked_array([arr.slice(0, cut), arr.slice(cut)])
        elif len(texts) > 1 and rng.random() < 0.3:
            arr = arr.slice(1)  # an offset into the buffers
        present = [t for t in arr.to_pylist() if t is not None]
        assert _has_repeats(arr) == (len(set(present)) < len(present)), arr.to_pylist()


def test_has_repeats_on_a_sorted_million_and_one_repeat():
    ids = pa.array([f"C{i:07d}" for i in range(200_000)])
    assert not _has_repeats(ids)
    assert _has_repeats(pa.concat_arrays([ids, pa.array(["C0100000"])]))
    long_ids = pa.array([f"patient-{i:09d}" for i in range(50_000)][::-1])  # long, not sorted: hashed
    assert not _has_repeats(long_ids)
    assert _has_repeats(pa.concat_arrays([long_ids, pa.array(["patient-000000007"])]))


CELLS = ["yes", " no", "ja", "maybe", None, "", "N/A", "2024-03-18", "18/03/2024", "L4/5", "l4-l5 ", "Nei", "yes", "x"]


def _both(cells: list, rng: np.random.Generator) -> tuple[pd.Series, pd.Series]:
    rows = rng.choice(len(cells), size=300)
    plain = pd.Series([cells[i] for i in rows], index=np.arange(300) + 2, dtype="object")
    # categories that no row uses must not leak into the result
    cat = pd.Series(pd.Categorical(plain, categories=[*dict.fromkeys(c for c in cells if c is not None), "unused"]),
                    index=plain.index)
    return plain, cat


@pytest.mark.parametrize("convert", [
    _to_bool,
    lambda s: _to_mapped(s, {"yes": "Y", "ja": "Y", "no": "N"}),
    lambda s: (_to_label(s), pd.Series(False, index=s.index)),
    lambda s: _to_date(s, "date")[:2],
    lambda s: _by_unique(s, lambda u: pd.Series(np.where(u.str.len() > 3, u.str.len(), np.nan))),
], ids=["bool", "mapped", "label", "date", "number"])
def test_by_unique_on_categories_gives_what_plain_text_gives(convert):
    rng = np.random.default_rng(7)
    for _ in range(5):
        plain, cat = _both(CELLS, rng)
        values_plain, bad_plain = convert(plain)
        values_cat, bad_cat = convert(cat)
        pd.testing.assert_series_equal(values_cat, values_plain, check_categorical=True)
        pd.testing.assert_series_equal(bad_cat, bad_plain)


def test_blank_cells_are_whitespace_the_regex_knew_or_a_spelling_of_missing():
    """Blank: only [\\t\\n\\f\\r ], or, once that is trimmed, a spelling of missing ("NA", "-", "."),
    which the typed CSV read parses as null. A vertical tab or a no-break space is not blank."""
    from spinedash.ingest.shape import _blank

    cells = ["", " ", "\t\r\n\f ", "\v", "\u00a0", " x ", "0", None, "  .", "\u2003", "NA", " n/a ", "-", "N/A x", "\u00a0NA"]
    expected = [True, True, True, False, False, False, False, True, True, False, True, True, True, False, False]
    assert _blank(pd.Series(cells, dtype="str")).tolist() == expected
    words = ["NA", " n/a ", "-", "N/A x", "Missing", "missing data", None, "x"]
    for dtype in ("str", "category", object):  # categories and objects strip as Python does; the words alike
        assert _blank(pd.Series(words, dtype=dtype)).tolist() == [True, True, True, False, True, False, True, False], dtype


@pytest.mark.parametrize("late", [False, True])
def test_agreement_within_cases_is_judged_on_every_case_beyond_the_probe(late):
    """Long files of 300,000 rows: the first cases are probed, but a disagreement in the last case
    still makes the column a per-visit one, and agreement everywhere a case column."""
    from spinedash.ingest.shape import _agrees_within_case

    n = 300_000
    case_codes = np.arange(n) // 3

    def first_rows(upto):  # each case's first row with a value: its first row here
        return np.arange(upto) * 3

    present = np.ones(n, dtype=bool)
    agreeing = pd.Series((case_codes % 7).astype(str), dtype="str")
    assert _agrees_within_case(agreeing, present, case_codes.__getitem__, first_rows)
    values = agreeing.copy()
    values.iloc[n - 1 if late else 1] = "differs"
    assert not _agrees_within_case(values, present, case_codes.__getitem__, first_rows)
    alone = np.zeros(n, dtype=bool)
    alone[::3] = True  # one value per case: no case has two, so not a case column by agreement
    assert not _agrees_within_case(agreeing, alone, case_codes.__getitem__, first_rows)


def test_a_long_files_score_columns_are_read_as_numbers_with_the_same_cases():
    """'ODI' / 'VAS leg' columns of a long file (the time point in another column) are parsed by
    Arrow as numbers, like odi_12m in a wide file; the cases are those the text path gives."""
    import importlib

    from spinedash.ingest import load_outcomes
    from spinedash.ingest.read import read_source

    read_stage = importlib.import_module("spinedash.ingest.read")
    csv = (b"case_id,timepoint,condition,approach,VAS leg,ODI\n"
           b"C1,pre,Herniated disc,Open,7.5,40\nC1,12 months,,,2,12\n"
           b"C2,pre,Spinal stenosis,Open,6,38\nC2,12 months,,,,\n")
    frame = read_source(csv, "long.csv")["long.csv"]
    assert str(frame["VAS leg"].dtype) == "float64" and str(frame["ODI"].dtype) == "float64"
    typed = load_outcomes(csv)
    original = read_stage._score_headers
    try:
        read_stage._score_headers = lambda: {}
        assert str(read_source(csv, "long.csv")["long.csv"]["ODI"].dtype) == "str"
        text = load_outcomes(csv)
    finally:
        read_stage._score_headers = original
    pd.testing.assert_frame_equal(typed.cases, text.cases)
    assert typed.cases["vas_leg_12m"].tolist()[0] == 2.0 and typed.warnings == text.warnings


def test_a_long_file_with_NA_on_its_follow_up_rows_gives_the_cases_either_reader_gives(monkeypatch):
    """R and SPSS write "NA" where a follow-up row has no case details. The typed read parses those
    as null (Arrow skips a null when it builds a column's dictionary: 0.7 s of a 1M × 6 file), the
    forgiving read keeps the word; both must see no answer there, not a second value that would
    split 'sex' into 'sex@pre' and 'sex@12m'."""
    import importlib

    from spinedash.ingest import load_outcomes

    read_stage = importlib.import_module("spinedash.ingest.read")
    csv = (b"case_id,timepoint,sex,condition,approach,VAS leg,ODI\n"
           b"C1,pre,female,Herniated disc,Open,7.5,40\nC1,12 months,NA,NA,-,2,12\n"
           b"NA,NA,NA,NA,NA,NA,NA\n"
           b"C2,pre,male,Spinal stenosis,Open,6,38\nC2,12 months,NA,n/a,NA,NA,NA\n")
    typed = load_outcomes(csv)
    frame = read_stage.read_source(csv, "long.csv")["long.csv"]
    assert len(frame) == 4 and frame["sex"].isna().sum() == 2 and isinstance(frame["sex"].dtype, pd.CategoricalDtype)
    monkeypatch.setattr(read_stage, "_read_csv_typed", lambda raw: None)
    text = load_outcomes(csv)
    pd.testing.assert_frame_equal(typed.cases, text.cases)
    assert typed.warnings == text.warnings and typed.rows_read == text.rows_read
    assert typed.cases["sex"].tolist() == ["female", "male"] and typed.layout["kind"] == "long"
    assert {"sex", "condition", "approach"} <= set(typed.column_mapping), typed.column_mapping  # case columns, not sex@12m
    assert any("blank row" in note for note in typed.info), typed.info


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32])
def test_code_counts_skip_missing_codes(dtype):
    from spinedash.validation import _code_counts

    rng = np.random.default_rng(3)
    k = 5
    codes = rng.integers(-1, k - 1, size=1000).astype(dtype)  # the last category unused, −1 = missing
    expected = np.array([(codes == i).sum() for i in range(k)])
    np.testing.assert_array_equal(_code_counts(codes, k), expected)


@functools.cache
def _cohort_200k() -> pd.DataFrame:
    from spinedash import sample

    return sample.generate_cohort(200_000, 11).astype(object)


def _messy_200k(problems: bool) -> bytes:
    cohort = _cohort_200k().copy()
    cohort = cohort.rename(columns={"length_of_stay_hours": "LOS", "vas_leg_pre": "VAS leg pre-op"})
    for c in ["VAS leg pre-op", *(c for c in cohort.columns if c.startswith("vas_leg_"))]:
        cohort[c] = (pd.to_numeric(cohort[c]) * 10).round()
    cohort.loc[::97, "complication"] = "wound dehiscence"
    cohort.loc[::89, "sex"] = "F"
    cohort.loc[::83, "condition"] = "Cervical disc herniation"
    cohort.loc[::61, "spinal_level"] = "L4/5, L5/S1"
    cohort.loc[::7, "surgery_date"] = pd.to_datetime(cohort.loc[::7, "surgery_date"]).dt.strftime("%d/%m/%Y")
    cohort["Notes"] = "x"
    if problems:
        cohort.loc[[5, 70_000, 199_998], "age"] = "forty"
        cohort.loc[[9, 150_000], "approach"] = "Laser"
        cohort.loc[[11, 120_000], "employed_before_surgery"] = "perhaps"
    return cohort.to_csv(index=False).encode()


@pytest.mark.parametrize("problems", [False, True], ids=["warnings", "problems"])
def test_map_stage_on_every_core_gives_the_one_by_one_answer(problems, monkeypatch):
    """A 200,000-row file's columns are converted on a thread per core: the cases, warnings, notes
    and problems (rows and order) are exactly those of converting the columns one after another."""
    from spinedash.ingest import OutcomeDataError, load_outcomes
    from spinedash.ingest import map as ingest_map

    data = _messy_200k(problems)

    def outcome():
        try:
            r = load_outcomes(data)
        except OutcomeDataError as err:
            return ("error", [(p.column, p.rows, p.message, p.n_rows) for p in err.problems], None)
        return ("ok", (r.warnings, r.info, r.column_mapping, r.rows_accepted), r.cases)

    pools = []
    real_pool = ingest_map._column_pool
    monkeypatch.setattr(ingest_map, "_column_pool", lambda: pools.append(1) or real_pool())
    parallel = outcome()
    assert pools, "200,000 rows: the map stage should use its threads"
    monkeypatch.setattr(ingest_map, "PARALLEL_ROWS", 10**12)
    serial = outcome()
    assert len(pools) == 1
    assert parallel[:2] == serial[:2]
    assert parallel[0] == ("error" if problems else "ok")
    if not problems:
        assert any("free-text complication" in w for w in parallel[1][0]) and any("0–100" in i for i in parallel[1][1])
        pd.testing.assert_frame_equal(parallel[2], serial[2])


def test_vas_scale_decision_skips_missing_values_and_blank_columns():
    from spinedash.ingest.map import decide_vas_scale

    blank = np.full(5, np.nan)
    decision = decide_vas_scale([blank, np.array([70.0, np.nan, 20, 5]), np.array([np.nan, 35.0])])
    assert (decision.unit, decision.evidence) == ("0-100", "max 70, 3 of 4 values above 10: looks like 0–100")
    decision = decide_vas_scale([np.array([np.nan, -1.0, 50, 60]), blank])
    assert (decision.unit, decision.evidence) == ("0-10", "max 60, 2 of 3 values above 10: looks like 0–10")
    assert decide_vas_scale([blank, np.array([])]).unit is None


def test_vas_scale_decision_from_facts_worked_out_beforehand_is_the_same():
    from spinedash.ingest.map import decide_vas_scale, vas_scale_facts

    columns = [np.full(5, np.nan), np.array([70.0, np.nan, 20, 5]), np.array([np.nan, 35.0]), np.array([-1.0, 9])]
    for split in range(len(columns) + 1):
        facts = [vas_scale_facts(c) for c in columns[:split]]
        assert decide_vas_scale(columns[split:], facts) == decide_vas_scale(columns)


def _trimmed_reference(arr: pa.Array) -> pa.Array:
    """What _text does to Arrow text, the long way: trim every cell, then the missing tokens as null."""
    import pyarrow.compute as pc

    from spinedash.ingest.cells import _MISSING_ARRAY

    arr = pc.utf8_trim_whitespace(arr.cast(pa.large_string()))
    missing = pc.is_in(arr, value_set=_MISSING_ARRAY.cast(pa.large_string()))
    return pc.if_else(missing, pa.scalar(None, pa.large_string()), arr)


@pytest.mark.parametrize("seed", range(4))
def test_text_of_ids_left_untouched_agrees_with_trimming_every_cell(seed):
    # _text skips the trim and the missing-token lookup when no cell could change: checked in slices
    # of 65,536 cells, so the cell that needs trimming is put anywhere, also past the first slice.
    from spinedash.ingest.cells import _text, _untouched

    rng = random.Random(seed)
    n = rng.choice([1, 3, 65_536, 65_537, 140_000])
    ids = [f"C{i:07d}" for i in range(n)]
    odd = rng.choice([" C1", "C1\t", "NA", "n/a", "-", "C1\u00a0", "\u2003C1", "é12345678", None, "ABCDEFGHIJ"])
    at = rng.randrange(n)
    ids[at] = odd
    for typ in (pa.string(), pa.large_string()):
        arr = pa.array(ids, type=typ)
        if rng.random() < 0.5 and n > 2:
            arr = arr.slice(1)
        expected_untouched = odd in (None, "ABCDEFGHIJ") or (at == 0 and len(arr) < n)
        assert _untouched(arr) is expected_untouched
        assert _text(pd.Series(arr.to_pylist(), dtype="str")).equals(_trimmed_reference(arr))


def test_dates_all_iso_and_mixed_spellings_read_alike():
    got, bad, notes, problems = _to_date(pd.Series(["2024-03-18", "2024-3-1", "18/03/2024", "45000", "soon", None]), "Op date")
    assert got.tolist()[:4] == [pd.Timestamp("2024-03-18"), pd.Timestamp("2024-03-01"), pd.Timestamp("2024-03-18"),
                                pd.Timestamp("2023-03-15")]
    assert bad.tolist() == [False, False, False, False, True, False]
    iso_only, bad, notes, _ = _to_date(pd.Series(["2024-03-18", "2024-03-18T10:00", None]), "Op date")
    assert iso_only.tolist()[:2] == [pd.Timestamp("2024-03-18"), pd.Timestamp("2024-03-18 10:00")] and not bad.any() and notes == []


@pytest.mark.parametrize("seed", range(4))
def test_word_lookup_in_python_agrees_with_pandas_string_methods(seed):
    from spinedash.ingest.cells import FALSE_WORDS, TRUE_WORDS, _map_words, _word_key

    rng = random.Random(seed)
    pool = ["Yes", " NO ", "ja", "Nei", "1.0", "0", "y_e-s", "MALE", "kvinne", "n/a", "1.00", "Ja\u00a0", "nein\t", "x.0", "TRUE"]
    words = pd.Series(list(dict.fromkeys(rng.choice(pool) for _ in range(rng.randint(1, 12)))), dtype="object")
    yes_no = {**dict.fromkeys(TRUE_WORDS, True), **dict.fromkeys(FALSE_WORDS, False)}
    expected = _word_key(words).str.replace(r"\.0$", "", regex=True).map(yes_no).astype("boolean")
    pd.testing.assert_series_equal(_map_words(yes_no, point_zero=True, dtype="boolean")(words), expected)
    sex = {"male": "male", "kvinne": "female", "ja": "?"}
    got = _map_words(sex)(words)
    assert got.isna().tolist() == _word_key(words).map(sex).isna().tolist()
    assert got.dropna().tolist() == _word_key(words).map(sex).dropna().tolist()


def test_labels_in_python_agree_with_pandas():
    from spinedash.ingest.cells import _labels

    words = pd.Series(["Open  micro\tdiscectomy", "TLIF", " a\u00a0 b ", "x\n\ny", "5"], dtype="object")
    pd.testing.assert_series_equal(_labels(words), words.astype("str").str.replace(r"\s+", " ", regex=True))
    with_missing = pd.Series(["a  b", None], dtype="object")
    pd.testing.assert_series_equal(_labels(with_missing), with_missing.astype("str").str.replace(r"\s+", " ", regex=True))


@pytest.mark.parametrize("seed", range(4))
def test_missing_text_agrees_with_trimming_and_looking_up_every_cell(seed):
    """cells._missing_text looks only at cells that could be blank (short, or whitespace or
    non-ASCII at an edge): the same answer as trimming every cell and looking it up."""
    import pyarrow.compute as pc

    from spinedash.ingest.cells import _MISSING_ARRAY, _missing_text

    rng = random.Random(seed)
    pool = ["", " ", "\t", "\u00a0", "\u2003 ", "a", " a", "a ", "é", "\u00a0x", "\x1c", "abc", None,
            "NA", " na", "n/a ", "-", "--", ".", "\u00a0NULL", "missing", "Missing", "MISSING ", "nd", "C0000001", "N.A.", "n.a"]
    texts = [rng.choice(pool) for _ in range(rng.randint(1, 300))]
    for typ in (pa.string(), pa.large_string()):
        arr = pa.array(texts, type=typ)
        arr = arr.slice(rng.randint(0, len(arr) - 1)) if rng.random() < 0.5 else arr
        trimmed = pc.utf8_trim_whitespace(arr)
        expected = pc.or_(pc.is_null(trimmed), pc.is_in(trimmed, value_set=_MISSING_ARRAY.cast(typ))).to_numpy(zero_copy_only=False)
        assert _missing_text(arr).tolist() == expected.tolist()
        assert _missing_text(pa.chunked_array([arr.slice(0, len(arr) // 2), arr.slice(len(arr) // 2)])).tolist() == expected.tolist()
    ids = pa.array([f"C{i:07d}" for i in range(1000)])  # judged from lengths and edges alone
    assert not _missing_text(ids).any()


@pytest.mark.parametrize("seed", range(8))
def test_text_column_to_categories_gives_what_arrow_gives(seed):
    """A parsed text column (blocks with dictionaries of their own, nulls, sliced blocks, more than
    127 words) becomes the categorical column Arrow's own conversion makes, codes as small as they go."""
    from spinedash.ingest.read import _categorical

    rng = random.Random(seed)
    words = [f"w{i}" for i in range(rng.choice([1, 5, 127, 128, 300]))]
    chunks = []
    for _ in range(rng.randint(1, 5)):
        cells = [None if rng.random() < 0.4 else rng.choice(words) for _ in range(rng.randint(0, 400))]
        chunk = pa.array(cells, type=pa.string()).dictionary_encode()
        if len(chunk) > 4 and rng.random() < 0.5:
            chunk = chunk.slice(rng.randint(1, 3))  # a block that starts inside its buffers
        chunks.append(chunk)
    column = pa.chunked_array(chunks, type=pa.dictionary(pa.int32(), pa.string()))
    expected = column.combine_chunks().to_pandas()
    got = _categorical(column)
    assert isinstance(got.dtype, pd.CategoricalDtype)
    assert list(got.cat.categories) == list(expected.cat.categories)
    assert got.cat.categories.dtype == expected.cat.categories.dtype
    assert got.astype(object).tolist() == expected.astype(object).tolist()
    assert got.cat.codes.dtype == np.min_scalar_type(-max(len(got.cat.categories), 1))


def test_text_column_with_no_blocks_is_an_empty_categorical():
    from spinedash.ingest.read import _categorical

    got = _categorical(pa.chunked_array([], type=pa.dictionary(pa.int32(), pa.string())))
    assert len(got) == 0 and isinstance(got.dtype, pd.CategoricalDtype)
