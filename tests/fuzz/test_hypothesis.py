"""Generated hostile inputs (hypothesis): random bytes, random CSV grids with dangerous cells in
random encodings, and random damage to valid XLSX and Parquet files. 500 inputs in all, the same
ones every run (derandomized), each ending in a result or an OutcomeDataError with a message.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spinedash import schema
from tests.fuzz import corpus
from tests.fuzz.outcomes import read_hostile

SETTINGS = {
    "deadline": None,
    "derandomize": True,  # CI and a developer run the same inputs
    "database": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}
N_BYTES, N_CSV, N_XLSX, N_PARQUET = 150, 150, 100, 100  # 500 inputs

GOOD_XLSX = corpus.good_xlsx(8)
GOOD_PARQUET = corpus.good_parquet(8)

# Headers: canonical names, registry spellings the reader maps, and junk.
HEADERS = st.one_of(
    st.sampled_from(schema.CANONICAL_COLUMNS),
    st.sampled_from(["Patient ID", "LOS (days)", "VAS leg pre-op", "ODI 1 year", "Technique", "Diagnosis", "Op time (min)",
                     "Date of surgery", "RTW days", "Surgeon", "Hospital", "Employed", "Complications", "Satisfied"]),
    st.text(max_size=12),
)
# Cells: what surgeons' exports hold, and what an attacker would put there.
CELLS = st.one_of(
    st.sampled_from(["Herniated disc", "Spinal stenosis", "HNP", "Full-endoscopic", "Open", "PTED", "microdiscectomy",
                     "yes", "no", "ja", "nei", "n/a", "-", "", "none", "dural tear", "L4-L5", "L5/S1", "F", "m"]),
    st.sampled_from(["1e309", "-1e309", "nan", "inf", "1e-400", "0x10", "١٢", "1,5", "1.234,5", "1 000", "--3", "31/02/2024",
                     "2024-02-30", "00/00/0000", "9999-12-31", "0000-01-01", "99999", "29/02/2023", "12/31/2024", "1/1/1"]),
    st.sampled_from(["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\t=1", "\r=1", '=HYPERLINK("http://x")', "<script>alert(1)</script>",
                     "<img src=x onerror=alert(1)>", "[x](javascript:alert(1))", "**bold**", "$x^2$", '"', '""', "'", "\\"]),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.dates().map(lambda d: d.strftime("%d/%m/%Y")),
    st.text(max_size=30),
)


@st.composite
def csv_files(draw) -> bytes:
    width = draw(st.integers(min_value=1, max_value=12))
    header = draw(st.lists(HEADERS, min_size=width, max_size=width))
    rows = draw(st.lists(st.lists(CELLS, min_size=0, max_size=width + 2), max_size=15))
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    quote = draw(st.booleans())

    def cell(v: str) -> str:
        return '"' + v.replace('"', '""') + '"' if quote or delimiter in v or "\n" in v else v

    text = "\n".join(delimiter.join(cell(v) for v in row) for row in [header, *rows])
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16"]))
    return text.encode(encoding, errors="replace")


@st.composite
def nearly_valid_csv(draw) -> bytes:
    """A valid export with a few cells replaced: most are read, so the whole pipeline runs on them."""
    header = corpus.HEADER.split(",")
    rows = [corpus.ROW.format(i=i).split(",") for i in range(draw(st.integers(min_value=1, max_value=12)))]
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        row = draw(st.sampled_from(rows))
        row[draw(st.integers(min_value=0, max_value=len(header) - 1))] = draw(CELLS).replace(",", " ").replace("\n", " ")
    return "\n".join(",".join(r) for r in [header, *rows]).encode()


@st.composite
def damaged(draw, good: bytes) -> bytes:
    data = bytearray(good)
    kind = draw(st.sampled_from(["flip", "truncate", "splice", "zero"]))
    if kind == "truncate":
        return bytes(data[: draw(st.integers(min_value=0, max_value=len(data) - 1))])
    n = draw(st.integers(min_value=1, max_value=40))
    positions = draw(st.lists(st.integers(min_value=0, max_value=len(data) - 1), min_size=n, max_size=n))
    for pos in positions:
        if kind == "flip":
            data[pos] ^= draw(st.integers(min_value=1, max_value=255))
        elif kind == "zero":
            data[pos] = 0
        else:
            chunk = draw(st.binary(min_size=1, max_size=64))
            data[pos: pos + len(chunk)] = chunk
    return bytes(data)


@settings(max_examples=N_BYTES, **SETTINGS)
@given(st.binary(max_size=4096))
def test_random_bytes(data):
    read_hostile(data, "random.bin")


@settings(max_examples=N_CSV, **SETTINGS)
@given(st.one_of(csv_files(), nearly_valid_csv()))
def test_random_csv_grids(data):
    read_hostile(data, "random.csv")


@settings(max_examples=N_XLSX, **SETTINGS)
@given(damaged(GOOD_XLSX))
def test_damaged_xlsx(data):
    read_hostile(data, "damaged.xlsx")


@settings(max_examples=N_PARQUET, **SETTINGS)
@given(damaged(GOOD_PARQUET))
def test_damaged_parquet(data):
    read_hostile(data, "damaged.parquet")


def test_suite_size_is_at_least_500_generated_inputs():
    assert N_BYTES + N_CSV + N_XLSX + N_PARQUET >= 500
