"""Every crafted hostile or broken upload ends in a result or an OutcomeDataError with a message.

The corpus (tests/fuzz/corpus.py) is generated in memory at collection; nothing large is on disk.
Below the parametrised sweep are the regression tests, one per bug the corpus found in
spinedash/ingest/, each checking the message a user sees.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from spinedash.ingest import OutcomeDataError, load_outcomes
from spinedash.ingest import read as ingest_read
from tests.fuzz import corpus
from tests.fuzz.outcomes import read_hostile

ROOT = Path(__file__).resolve().parents[2]
CRAFTED = dict(corpus.crafted_corpus())

# Inputs that are valid exports under their damage and must be read, not refused.
MUST_READ = {
    "only_header", "only_header_xlsx", "only_header_parquet", "utf16le_bom", "utf16be_bom", "latin1_names",
    "mixed_utf8_cp1252", "utf8_bom_semicolon", "cr_only_newlines", "crlf_newlines", "xlsx_formulas",
    "csv_html_in_cells", "csv_markdown_in_cells", "xlsx_lying_dimension_50_rows", "parquet_binary_column",
    "csv_duplicate_unknown_headers", "shift_jis",
}


def test_corpus_is_large_and_small_on_disk():
    assert len(CRAFTED) >= 180
    # The largest crafted file is an 8 MB cell; the zip bombs are a few hundred kB.
    assert max(len(b) for b in CRAFTED.values()) < 9 * 2**20
    assert len(CRAFTED["xlsx_zip_bomb_sheet_256mb"]) < 400_000


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", list(CRAFTED))
def test_crafted_input_is_read_or_refused_with_a_message(name):
    outcome = read_hostile(CRAFTED[name], name)
    if name in MUST_READ:
        assert outcome == "read"


def test_reading_every_crafted_input_keeps_memory_bounded():
    """One process reads the whole corpus; its peak RSS stays far below what the bombs would take.

    Before the zip-bomb check the 256 MB sheet bomb alone took the process past 1.3 GB (a 1 GB bomb
    past 5 GB, and 130 s).
    """
    script = (
        "import json, resource, sys, time\n"
        "from tests.fuzz.corpus import crafted_corpus\n"
        "from spinedash.ingest import load_outcomes, OutcomeDataError\n"
        "slow = {}\n"
        "for name, data in crafted_corpus():\n"
        "    t = time.perf_counter()\n"
        "    try:\n"
        "        load_outcomes(data, filename=name)\n"
        "    except OutcomeDataError:\n"
        "        pass\n"
        "    slow[name] = time.perf_counter() - t\n"
        # VmHWM, not ru_maxrss: Linux carries ru_maxrss over fork and exec, so it reported the pytest
        # process's own size (1 GB after a test that reads a 200,000-row file) as this script's peak.
        "hwm = [ln for ln in open('/proc/self/status') if ln.startswith('VmHWM:')]\n"
        "peak = int(hwm[0].split()[1]) / 1024 if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
        "print(json.dumps({'peak_mb': peak, 'slowest': max(slow.items(), key=lambda kv: kv[1])}))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300, check=True)
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    assert figures["peak_mb"] < 600, figures
    assert figures["slowest"][1] < 20, figures


# ------------------------------------------------------------------------------------------------
# Regression tests: one per bug found.
# ------------------------------------------------------------------------------------------------

def _refusal(data: bytes, name: str = "upload") -> str:
    with pytest.raises(OutcomeDataError) as info:
        load_outcomes(data, filename=name)
    return str(info.value)


def test_openpyxl_parses_with_defusedxml():
    # openpyxl switches to defusedxml's parsers when the package is importable (openpyxl/xml/__init__.py).
    import openpyxl.xml
    import openpyxl.xml.functions

    assert openpyxl.xml.DEFUSEDXML is True
    assert openpyxl.xml.functions.iterparse.__module__.startswith("defusedxml")
    assert openpyxl.xml.functions.fromstring.__module__.startswith("defusedxml")


@pytest.mark.parametrize("name", ["xlsx_billion_laughs_sheet", "xlsx_billion_laughs_shared_strings",
                                  "xlsx_billion_laughs_workbook", "xlsx_external_entity", "xlsx_quadratic_blowup"])
def test_xml_entities_in_a_workbook_are_refused_by_name(name):
    t = time.perf_counter()
    message = _refusal(CRAFTED[name])
    assert time.perf_counter() - t < 5
    assert "declares XML entities" in message
    assert "root:" not in message  # /etc/passwd never read


@pytest.mark.parametrize("name", ["xlsx_zip_bomb_sheet_256mb", "xlsx_zip_bomb_shared_strings_256mb"])
def test_zip_bomb_is_refused_from_the_zip_directory_without_inflating(name):
    # Bug: the 1 GB sheet bomb took 130 s and 5 GB of memory before ending in a refusal.
    t = time.perf_counter()
    message = _refusal(CRAFTED[name])
    assert time.perf_counter() - t < 2
    assert "inflates" in message and "zip bombs" in message


def test_workbook_unpacking_beyond_the_limit_is_refused(monkeypatch):
    monkeypatch.setattr(ingest_read, "MAX_XLSX_UNPACKED_MB", 0)
    message = _refusal(corpus.good_xlsx())
    assert "unpacks to" in message and "reads workbooks up to 0 MB unpacked" in message


@pytest.mark.parametrize("offset", [0.25, 0.5, 0.75])
def test_corrupt_compressed_data_in_a_workbook_is_refused(offset):
    # Bug: zlib.error escaped while the rows were read (openpyxl reads read-only sheets lazily).
    # Deterministic: damage the worksheet's deflate stream itself, at a fixed share of its length.
    import io
    import zipfile

    data = bytearray(corpus.good_xlsx(200))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        sheet = zf.getinfo("xl/worksheets/sheet1.xml")
    name_len = int.from_bytes(data[sheet.header_offset + 26 : sheet.header_offset + 28], "little")
    extra_len = int.from_bytes(data[sheet.header_offset + 28 : sheet.header_offset + 30], "little")
    start = sheet.header_offset + 30 + name_len + extra_len
    middle = start + int(sheet.compress_size * offset)
    data[middle : middle + 8] = bytes(b ^ 0xFF for b in data[middle : middle + 8])
    message = _refusal(bytes(data))
    assert "damaged compressed data" in message or "could not be read" in message, message


@pytest.mark.parametrize("name", ["xlsx_sheet_not_xml", "xlsx_sheet_random", "xlsx_workbook_empty", "xlsx_styles_garbage",
                                  "xlsx_bad_cell_ref", "xlsx_bad_number", "xlsx_shared_index_out_of_range", "xlsx_bad_date_cell"])
def test_broken_xml_inside_a_workbook_is_refused(name):
    # Bug: ParseError, ValueError and IndexError escaped from the lazily read sheet.
    assert "The Excel workbook could not be read" in _refusal(CRAFTED[name])


def test_rows_beyond_a_wrong_dimension_tag_are_read():
    # Bug: read-only openpyxl stopped at <dimension ref="A1:J2"> and dropped 49 of 50 cases silently.
    result = load_outcomes(corpus.lying_dimension_xlsx(50), filename="lying.xlsx")
    assert result.rows_accepted == 50
    assert result.cases["case_id"].tolist()[-1] == "C49"


def test_workbook_rows_are_bounded_while_read(monkeypatch):
    monkeypatch.setattr(ingest_read, "MAX_ROWS", 10)
    assert "more than 10 rows" in _refusal(corpus.lying_dimension_xlsx(50))


def test_workbook_row_wider_than_the_column_limit_is_refused():
    sheet = (f'<?xml version="1.0"?><worksheet {corpus._NS}><dimension ref="A1"/><sheetData>'
             '<row r="1"><c r="A1" t="inlineStr"><is><t>case_id</t></is></c><c r="XFD1"><v>1</v></c></row>'
             "</sheetData></worksheet>")
    assert "16,384 columns" in _refusal(corpus.hand_xlsx(sheet))


@pytest.mark.parametrize("name", ["parquet_bitflip_1", "parquet_bitflip_6", "parquet_bitflip_11"])
def test_corrupt_parquet_metadata_is_refused(name):
    # Bug: JSONDecodeError / UnicodeDecodeError from the pandas metadata escaped from to_pandas().
    assert "The Parquet file could not be read" in _refusal(CRAFTED[name])


def test_too_many_parquet_columns_names_the_count():
    # Bug: the limit's own OutcomeDataError was re-wrapped as "could not be read (OutcomeDataError)".
    message = _refusal(CRAFTED["parquet_10000_columns"])
    assert "10,000 columns" in message and "OutcomeDataError" not in message


def test_binary_parquet_text_columns_are_read_as_text():
    # Bug: a BYTE_ARRAY column without a UTF-8 annotation (older Impala/Spark writers) raised UnicodeDecodeError.
    buf = io.BytesIO()
    pq.write_table(pa.table({
        "case_id": pa.array([b"C1", b"C\xff2"], pa.binary()),
        "condition": pa.array([b"Herniated disc"] * 2, pa.binary()),
        "approach": ["Open", "Open"],
        "vas_leg_pre": [7.0, 6.0],
    }), buf)
    result = load_outcomes(buf.getvalue(), filename="binary.parquet")
    assert result.cases["case_id"].tolist() == ["C1", "C\ufffd2"]
    assert result.cases["condition"].tolist() == ["Herniated disc"] * 2


@pytest.mark.parametrize("date", ["0000-01-01", "9999-12-31", "31/12/9999", "01.01.1000"])
def test_dates_outside_the_nanosecond_range_are_reported_not_raised(date):
    # Bug: OutOfBoundsDatetime escaped from astype("datetime64[ns]").
    message = _refusal(corpus._one_row(surgery_date=date))
    assert "surgery_date, rows 2: Expected a date" in message and date in message


def test_parquet_timestamps_outside_the_nanosecond_range_are_reported():
    buf = io.BytesIO()
    pq.write_table(pa.table({
        "case_id": ["C1", "C2"], "condition": ["Herniated disc"] * 2, "approach": ["Open"] * 2, "vas_leg_pre": [7.0, 6.0],
        "surgery_date": pa.array([0, 10**12], pa.timestamp("s")),  # 1970 and the year 33658
    }), buf)
    message = _refusal(buf.getvalue())
    assert "surgery_date, rows 3: Expected a date" in message


def test_dates_31_february_and_friends_are_refused_with_the_cell():
    for date in ("31/02/2024", "30/02/2024", "29/02/2023", "2024-02-30", "2024-13-45"):
        assert f"found '{date}'" in _refusal(corpus._one_row(surgery_date=date))


@pytest.mark.parametrize("name", ["csv_huge_cell_condition_8mb", "csv_huge_cell_case_id_8mb", "csv_huge_header_4mb",
                                  "csv_huge_cell_number_2mb"])
def test_csv_cell_beyond_the_csv_field_limit_is_refused(name):
    # Bug: _csv.Error ("field larger than field limit (131072)") escaped.
    message = _refusal(CRAFTED[name])
    assert "A cell could not be read as CSV" in message
    assert len(message) < 500


def test_one_line_of_two_million_columns_is_refused_fast():
    # Bug: Arrow was set up with two million column readers first (124 s) before the column limit.
    t = time.perf_counter()
    message = _refusal(CRAFTED["csv_one_line_no_newline_4mb"])
    assert time.perf_counter() - t < 10
    assert "at least 32,769 columns" in message


def test_huge_cells_are_clipped_in_messages():
    buf = io.BytesIO()
    pq.write_table(pa.table({
        "case_id": ["C1"], "condition": ["Q" * 1_000_000], "approach": ["Open"], "vas_leg_pre": [7.0],
        "H" * 100_000: ["x"], "complication": ["W" * 500_000],
    }), buf)
    error = pytest.raises(OutcomeDataError, load_outcomes, buf.getvalue(), filename="huge.parquet").value
    assert all(len(p.message) < 600 and len(p.column) < 600 for p in error.problems)
    assert "Unknown condition 'QQQQ" in str(error) and "…'" in str(error)


def test_ignored_huge_header_is_clipped_in_the_warning():
    frame = pd.DataFrame({"case_id": ["C1"], "condition": ["Herniated disc"], "approach": ["Open"], "vas_leg_pre": [7.0],
                          "Z" * 100_000: ["x"]})
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    result = load_outcomes(buf.getvalue(), filename="wide-header.parquet")
    assert sum(len(w) for w in result.warnings) < 2_000


def test_formula_cells_are_data_never_evaluated():
    # Script-written workbooks hold formulas with no cached value: data_only=True reads them as blank.
    result = load_outcomes(CRAFTED["xlsx_formulas"], filename="formulas.xlsx")
    first = result.cases.iloc[0]
    assert pd.isna(first["age"]) and pd.isna(first["length_of_stay_hours"])
    assert result.cases["surgeon"].tolist()[1] == "@SUM(1)"  # formula-looking text stays text
    wb = openpyxl.load_workbook(io.BytesIO(CRAFTED["xlsx_formulas"]))
    assert wb.active["E2"].value == "=40+6"  # the file really holds a formula


def _declare_size(data: bytes, member: str, size: int) -> bytes:
    """The zip with `member`'s uncompressed size in the central directory replaced by `size`."""
    out = bytearray(data)
    name = member.encode()
    at = out.find(b"PK\x01\x02")
    while at != -1:
        name_len = int.from_bytes(out[at + 28: at + 30], "little")
        if out[at + 46: at + 46 + name_len] == name:
            out[at + 24: at + 28] = size.to_bytes(4, "little")
            return bytes(out)
        at = out.find(b"PK\x01\x02", at + 4)
    raise AssertionError(f"{member} not in the central directory")


def test_zip_directory_sizes_cannot_lie_past_the_check():
    """A part that declares 1 kB but inflates to 16 MB passes the size check, then fails its CRC:
    zipfile never inflates past the declared size, so the declared sizes bound memory."""
    sheet = corpus._sheet_xml([["case_id", "vas_leg_pre"], ["C" * (16 << 20), "7"]])
    data = _declare_size(corpus.hand_xlsx(sheet), "xl/worksheets/sheet1.xml", 1024)
    assert zipfile.ZipFile(io.BytesIO(data)).getinfo("xl/worksheets/sheet1.xml").file_size == 1024
    message = _refusal(data)
    assert "The Excel workbook could not be read" in message


def test_unsupported_zip_version_is_refused_with_a_message():
    """zipfile raises NotImplementedError for an entry needing a newer zip version (seen from a
    bit flip in a workbook): that is a damaged file, not a crash."""
    import io
    import zipfile

    from spinedash.ingest import OutcomeDataError, load_outcomes
    from tests.fuzz.corpus import good_xlsx

    data = bytearray(good_xlsx())
    # "version needed to extract" of the first local header and of every central directory entry
    data[4:6] = (183).to_bytes(2, "little")
    start = 0
    while (start := data.find(b"PK\x01\x02", start)) != -1:
        data[start + 6 : start + 8] = (183).to_bytes(2, "little")
        start += 4
    with pytest.raises(NotImplementedError):
        with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
            zf.read(zf.namelist()[0])
    with pytest.raises(OutcomeDataError) as caught:
        load_outcomes(bytes(data), filename="clinic.xlsx")
    assert caught.value.problems
