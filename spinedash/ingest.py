"""Read a clinic's outcome export (CSV, XLSX or Parquet) into the canonical case table.

`load_outcomes` accepts what registries and spreadsheets really produce — semicolons and decimal
commas, Latin-1, title rows above the header, "LOS (days)", VAS on 0–100, dd/mm/yyyy dates, "ja/nei"
— maps it onto `spinedash.schema`, and either returns the cases with the warnings worth reading, or
raises `OutcomeDataError` listing every problem with the spreadsheet rows it is on (header row = 1).

Pure Python + pandas/pyarrow; no Streamlit. Everything is column-at-a-time (no per-row Python).
"""

from __future__ import annotations

import csv
import functools
import io
import os
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from spinedash import schema
from spinedash.knowledge import load_knowledge, normalise_label
from spinedash.validation import OutcomeDataError, Problem, make_problem, validate_cases

__all__ = [
    "MAX_COLUMNS",
    "MAX_ROWS",
    "MAX_UPLOAD_MB",
    "IngestResult",
    "OutcomeDataError",
    "Problem",
    "data_dictionary_csv",
    "header_aliases",
    "load_outcomes",
    "match_header",
    "template_csv",
]

MAX_UPLOAD_MB = 200
MAX_ROWS = 2_000_000
MAX_COLUMNS = 500
# An XLSX is a zip: refuse one that would unpack to more than this (about 650,000 rows of the full
# template's 38 columns), or whose parts inflate more than MAX_ZIP_RATIO-fold (zip bombs; real
# worksheets compress about 10-fold), judged from the zip directory before anything is inflated.
MAX_XLSX_UNPACKED_MB = 1000
MAX_ZIP_RATIO = 100
# Exports often carry a title, a date and a blank line above the header; look this far down for it.
HEADER_SEARCH_ROWS = 30

Source = str | os.PathLike | bytes | bytearray | memoryview | BinaryIO


@dataclass(frozen=True)
class IngestResult:
    """Cases read from one file, in the canonical schema, and what the reader did to get them."""

    cases: pd.DataFrame
    warnings: tuple[str, ...] = field(default_factory=tuple)
    column_mapping: dict[str, str] = field(default_factory=dict)  # original header -> canonical column
    rows_read: int = 0
    rows_accepted: int = 0
    file_format: str = ""


# ---------------------------------------------------------------------------------------------
# Header aliases: generated from the schema (measure x time point word forms) plus a table.
# ---------------------------------------------------------------------------------------------

def _key(text: object) -> str:
    """Compact matching key of a header: case-folded letters and digits only ("LOS (days)" -> "losdays")."""
    return re.sub(r"[\W_]+", "", str(text).casefold())


def _tokens(text: object) -> list[str]:
    return re.findall(r"[^\W_]+", str(text).casefold())


_MEASURE_WORDS: dict[str, tuple[str, ...]] = {
    "vas_leg": ("vas leg", "vas leg pain", "leg vas", "leg pain", "leg pain vas", "nrs leg", "leg nrs", "nrs leg pain", "vas ben", "beinsmerte"),
    "vas_back": ("vas back", "vas back pain", "back vas", "back pain", "back pain vas", "nrs back", "back nrs", "nrs back pain", "vas rygg", "ryggsmerte"),
    "odi": ("odi", "odi score", "oswestry", "oswestry disability index", "oswestry disability", "oswestry index"),
}
_TIMEPOINT_WORDS: dict[str, tuple[str, ...]] = {
    "pre": ("pre", "preop", "pre op", "pre operative", "preoperative", "pre operatively", "baseline", "base", "before surgery", "pre surgery", "presurgery", "0"),
    "2w": ("2w", "2 weeks", "2 week", "2 wk", "2 wks", "two weeks", "week 2", "14 days", "14d"),
    "6w": ("6w", "6 weeks", "6 week", "6 wk", "6 wks", "six weeks", "week 6", "42 days", "42d"),
    "3m": ("3m", "3 months", "3 month", "3 mo", "3 mnd", "three months", "month 3", "12 weeks", "12w", "90 days"),
    "6m": ("6m", "6 months", "6 month", "6 mo", "6 mnd", "six months", "month 6", "26 weeks", "180 days"),
    "12m": ("12m", "12 months", "12 month", "12 mo", "12 mnd", "twelve months", "month 12", "1 year", "1 yr", "1y", "one year", "year 1", "52 weeks", "1 aar", "1 år"),
}
_TWELVE_MONTH_WORDS: dict[str, tuple[str, ...]] = {
    "reoperation_12m": ("reoperation", "reoperated", "re operation", "reop", "revision", "reoperation same level"),
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
    "approach": ("approach", "surgical approach", "technique", "surgical technique", "operative approach", "access", "teknikk"),
    "procedure": ("procedure", "operation", "operation type", "procedure type", "surgery type", "type of surgery", "intervention", "inngrep"),
    "spinal_level": ("level", "levels", "spinal level", "operated level", "level operated", "segment", "vertebral level", "nivå", "niva"),
    "surgeon": ("surgeon", "operating surgeon", "surgeon code", "operator", "kirurg"),
    "site": ("site", "hospital", "clinic", "centre", "center", "unit", "sykehus"),
    "anesthesia": ("anesthesia", "anaesthesia", "anesthetic", "anaesthetic", "anesthesia type", "anaesthesia type", "type of anaesthesia", "type of anesthesia"),
    "employed_before_surgery": ("employed", "employed before surgery", "employed preop", "employed pre op", "working before surgery", "in work", "in work before surgery", "working"),
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
    for measure, info in schema.PAIN_MEASURES.items():
        for tp in info["timepoints"]:
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
    for measure in schema.PAIN_MEASURES:
        if column.startswith(measure + "_"):
            tp = column[len(measure) + 1 :]
            words += [f"{w} {t}" for w in _MEASURE_WORDS[measure][:2] for t in _TIMEPOINT_WORDS[tp][:2]]
    seen = dict.fromkeys(w for w in words if w != column)
    return list(seen)[:limit]


# ---------------------------------------------------------------------------------------------
# Bytes in: size limit, format by content, text decoding, delimiter.
# ---------------------------------------------------------------------------------------------

def _fail(message: str, column: str = "(whole file)") -> OutcomeDataError:
    return OutcomeDataError([Problem(column, (), message)])


def _read_source(source: Source, filename: str | None) -> tuple[bytes, str]:
    limit = MAX_UPLOAD_MB * 1024 * 1024
    too_big = f"The file is larger than {MAX_UPLOAD_MB} MB, the most SpineDash reads; export fewer rows or columns."
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    elif isinstance(source, (str, os.PathLike)):
        path = Path(source)
        filename = filename or path.name
        try:
            if path.stat().st_size > limit:
                raise _fail(too_big)
            data = path.read_bytes()
        except OSError as exc:
            raise _fail(f"The file could not be opened ({exc.strerror or type(exc).__name__}).") from exc
    elif hasattr(source, "read"):
        filename = filename or getattr(source, "name", None)
        data = source.getvalue() if hasattr(source, "getvalue") else source.read(limit + 1)
        if not isinstance(data, bytes):
            raise TypeError("load_outcomes needs a binary file (open it with 'rb')")
    else:
        raise TypeError(f"load_outcomes cannot read a {type(source).__name__}")
    if len(data) > limit:
        raise _fail(too_big)
    return data, str(filename or "")


_NOT_A_TABLE = {
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"II*\x00": "a TIFF image",
    b"MM\x00*": "a TIFF image",
    b"\x1f\x8b": "a gzip-compressed file (unpack it first)",
    b"7z\xbc\xaf": "a 7-Zip archive (unpack it first)",
    b"Rar!": "a RAR archive (unpack it first)",
    b"\xd0\xcf\x11\xe0": "an old-style Excel .xls or other Office 97–2003 file (save it as .xlsx or CSV)",
    b"SQLite format": "an SQLite database",
}


def _detect_format(data: bytes) -> str:
    """'xlsx', 'parquet' or 'text', judged by the bytes, not the file name."""
    if data[:4] == b"PAR1":
        return "parquet"
    if data[:2] == b"PK":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                names = set(zf.namelist())
        except (zipfile.BadZipFile, NotImplementedError, ValueError, OSError) as exc:
            raise _fail("The file is a damaged or incomplete zip archive, not a table.") from exc
        if "xl/workbook.xml" in names:
            return "xlsx"
        if any(n.startswith("word/") for n in names):
            raise _fail("The file is a Word document, not a table. Upload a CSV, XLSX or Parquet export.")
        raise _fail("The file is a zip archive that is not an Excel workbook. Upload a CSV, XLSX or Parquet export.")
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        raise _fail("The file is a WebP image, not a table. Upload a CSV, XLSX or Parquet export.")
    for magic, what in _NOT_A_TABLE.items():
        if data.startswith(magic):
            raise _fail(f"The file is {what}, not a table. Upload a CSV, XLSX or Parquet export.")
    return "text"


def _decode(data: bytes) -> tuple[str, str | None]:
    """Text of a CSV export and a note when it was not UTF-8."""
    note = None
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise _fail("The file says it is UTF-16 text but cannot be read as such.") from exc
        note = "The file is UTF-16 text (Excel's 'Unicode text'); read it as such."
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            # Excel on Windows saves "CSV" in the local code page; cp1252 is Latin-1 plus € and quotes.
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError:
                text = data.decode("latin-1")
            note = ("The file is not UTF-8; it was read as Windows-1252 (Latin-1). "
                    "Check that accented names (ø, å, ü) look right in the preview.")
    sample = text[:65536]
    controls = sum(1 for ch in sample if unicodedata.category(ch) == "Cc" and ch not in "\t\r\n")
    if "\x00" in sample or (sample and controls > 0.01 * len(sample)):
        raise _fail("The file holds binary data, not a table. Upload a CSV, XLSX or Parquet export.")
    return text, note


_DELIMITERS = (",", ";", "\t", "|")


def _sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first lines into the most consistent number (> 1) of fields."""
    lines = [ln for ln in text[:65536].splitlines()[:60] if ln.strip()]
    if len(text) > 65536 and len(lines) > 1:
        lines = lines[:-1]  # the last sampled line may be cut in half
    best, best_score = ",", (0.0, 0)
    for d in _DELIMITERS:
        counts = [len(row) for row in csv.reader(lines, delimiter=d)]
        multi = [c for c in counts if c > 1]
        if not multi:
            continue
        mode = max(set(multi), key=multi.count)
        score = (round(counts.count(mode) / len(counts), 2), mode)
        if score > best_score:
            best, best_score = d, score
    return best


def _read_csv_grid(text: str, delimiter: str, utf8: bytes | None = None) -> pd.DataFrame:
    """All cells as text, no header interpretation; rows keep their spreadsheet positions.

    `utf8` is the file's own bytes when they are already UTF-8, saving a re-encoding of the text.
    """
    first_line = next((ln for ln in text[:65536].splitlines() if ln.strip()), "")
    width = len(next(csv.reader([first_line], delimiter=delimiter), []))
    if width > MAX_COLUMNS:  # before Arrow sets up a reader for each (two million columns took minutes)
        raise _too_many_columns(width, at_least=len(first_line) >= 65536)
    try:
        table = pacsv.read_csv(
            io.BytesIO(utf8 if utf8 is not None else text.encode("utf-8")),
            read_options=pacsv.ReadOptions(column_names=[f"f{i}" for i in range(width)]),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter,
                quote_char='"',
                double_quote=True,
                newlines_in_values='"' in text,
                ignore_empty_lines=False,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={f"f{i}": pa.string() for i in range(width)},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                null_values=[],
            ),
        )
        grid = table.to_pandas()
        grid.columns = range(grid.shape[1])
        return grid
    except pa.ArrowInvalid:
        # Rows of different widths (title rows above the header, ragged exports): the csv module
        # takes them as they come and pandas pads the short ones.
        try:
            rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
        except csv.Error as exc:  # e.g. a cell longer than the csv module's field limit (131,072 characters)
            raise _fail(f"A cell could not be read as CSV ({exc}). Check for a runaway quote or a cell pasted by mistake, or export the table again.") from None
        if len(rows) > MAX_ROWS + HEADER_SEARCH_ROWS:
            raise _too_many_rows(len(rows)) from None
        width = max((len(r) for r in rows), default=0)
        grid = pd.DataFrame([r + [""] * (width - len(r)) for r in rows], dtype="str")
        grid.columns = range(grid.shape[1])
        return grid


def _valid_utf8(data: bytes) -> bool:
    """True when the bytes are valid UTF-8, checked by Arrow in place (no decoded copy of the file)."""
    if data.isascii():
        return True
    if len(data) >= 2**31:
        return False
    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int32).tobytes())
    try:
        pa.Array.from_buffers(pa.string(), 1, [None, offsets, pa.py_buffer(data)]).validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _read_csv_typed(data: bytes) -> tuple[pd.DataFrame, list[str]] | None:
    """The common case read fast: a UTF-8, comma- (or tab-, pipe-) separated file whose first line is the header.

    Arrow parses the number columns itself (multithreaded, no text copy of the file) and reads the
    text columns dictionary-encoded, so each distinct value is cleaned once. Any cell Arrow cannot
    parse exactly as the text path would — a stray word in a number column, a blank line, a ragged
    row — makes this return None, and the caller reads the file the slow, forgiving way (which
    also finds the rows to report). Returns (frame with integer column labels and spreadsheet row
    numbers as index, header cells), or None.
    """
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return None
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    if not _valid_utf8(body):
        return None
    head = body[: 4 * 65536].decode("utf-8", errors="ignore")  # ignore: only a character cut at the end
    sample = head[:65536]
    controls = sum(1 for ch in sample if unicodedata.category(ch) == "Cc" and ch not in "\t\r\n")
    if "\x00" in sample or (sample and controls > 0.01 * len(sample)):
        return None
    delimiter = _sniff_delimiter(head)
    first_line = head.split("\n", 1)[0]
    if delimiter == ";" or not first_line.strip():
        return None
    try:
        top = [row for _, row in zip(range(HEADER_SEARCH_ROWS), csv.reader(io.StringIO(head, newline=""), delimiter=delimiter), strict=False)]
    except csv.Error:  # a cell longer than the csv module reads: the slow path reports it
        return None
    header_at, score = _find_header_row(top)
    if header_at != 0 or score == 0:  # title rows above the header, or no header at all: the slow path
        return None
    header = [str(v).strip() for v in top[0]]
    if len(header) > MAX_COLUMNS or any("\n" in v or "\r" in v for v in top[0]):
        return None
    names = [f"f{i}" for i in range(len(header))]
    types: dict[str, pa.DataType] = {}
    seen: set[str] = set()
    for name, cell in zip(names, header, strict=True):
        m = match_header(cell) if cell else None
        kind = schema.COLUMN_BY_NAME[m[0]].kind if m else None
        if m is None or m[0] in seen or kind == "id":
            types[name] = pa.string()
        elif kind == "number":
            types[name] = pa.float64()
        else:
            types[name] = pa.dictionary(pa.int32(), pa.string())
        if m is not None:
            seen.add(m[0])
    missing = _MISSING_ARRAY.to_pylist()
    try:
        table = pacsv.read_csv(
            io.BytesIO(body),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, quote_char='"', double_quote=True,
                newlines_in_values=b'"' in body, ignore_empty_lines=False,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=types, null_values=missing, strings_can_be_null=False, quoted_strings_can_be_null=True,
            ),
        )
    except pa.ArrowInvalid:
        return None
    if table.num_rows > MAX_ROWS:
        raise _too_many_rows(table.num_rows)
    frame = table.to_pandas(split_blocks=True, self_destruct=True)
    del table
    frame.columns = range(frame.shape[1])
    frame.index = np.arange(len(frame)) + 2  # spreadsheet row numbers: the header is row 1
    return frame, header


def _too_many_rows(n: int) -> OutcomeDataError:
    return _fail(f"The file has {n:,} rows; SpineDash reads at most {MAX_ROWS:,}. Split the export by year or site.")


def _too_many_columns(n: int, at_least: bool = False) -> OutcomeDataError:
    return _fail(f"The file has {'at least ' if at_least else ''}{n:,} columns; SpineDash reads at most {MAX_COLUMNS}. Export only the outcome columns.")


def _header_score(cells: list) -> int:
    return len({m[0] for c in cells if c is not None and (m := match_header(c))})


def _find_header_row(rows: list[list]) -> tuple[int, int]:
    """(index, score) of the row among the first HEADER_SEARCH_ROWS whose cells name the most columns."""
    best, best_score = 0, 0
    for i, cells in enumerate(rows[:HEADER_SEARCH_ROWS]):
        score = _header_score(list(cells))
        if score > best_score:
            best, best_score = i, score
    return best, best_score


def _check_unpacked_size(data: bytes) -> None:
    """Refuse a workbook that would unpack beyond MAX_XLSX_UNPACKED_MB or inflate like a zip bomb.

    Judged from the sizes the zip directory declares; Python's zipfile never inflates a part past
    its declared size (it fails the CRC check instead), so a part cannot lie its way past this.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            parts = zf.infolist()
    except (zipfile.BadZipFile, NotImplementedError, ValueError, OSError) as exc:
        raise _fail("The file is a damaged or incomplete zip archive, not a table.") from exc
    total = sum(p.file_size for p in parts)
    if total > MAX_XLSX_UNPACKED_MB * 1024 * 1024:
        raise _fail(f"The Excel workbook unpacks to {total / 1024 ** 2:,.0f} MB; SpineDash reads workbooks up to "
                    f"{MAX_XLSX_UNPACKED_MB:,} MB unpacked. Export CSV instead, or split the export by year or site.")
    for p in parts:
        if p.file_size > 10 * 1024 * 1024 and p.file_size > MAX_ZIP_RATIO * max(p.compress_size, 1):
            raise _fail(f"The Excel workbook's part {p.filename[:80]!r} inflates {p.file_size // max(p.compress_size, 1):,}-fold "
                        f"(real worksheets about 10-fold), as zip bombs do; SpineDash does not open it. Export CSV instead.")


def _xlsx_unreadable(exc: BaseException) -> OutcomeDataError:
    chain = [exc, exc.__cause__, exc.__context__]  # openpyxl wraps defusedxml's refusal in a ValueError
    if any(e is not None and type(e).__module__.startswith("defusedxml") for e in chain):
        return _fail("The Excel workbook declares XML entities, which spreadsheet programs never write and attacks on "
                     "spreadsheet readers use; SpineDash does not read it. Save it again from Excel or export CSV.")
    what = "damaged compressed data" if isinstance(exc, zlib.error) else type(exc).__name__
    return _fail(f"The Excel workbook could not be read ({what}). Save it again from Excel or export CSV.")


def _read_xlsx(data: bytes) -> tuple[pd.DataFrame, list[str]]:
    """The grid of the sheet that has the outcome columns, and notes about the choice."""
    import openpyxl  # imported here: only XLSX uploads pay for it
    from openpyxl.utils.exceptions import InvalidFileException

    _check_unpacked_size(data)
    # A damaged workbook fails lazily, while its rows are read: corrupt deflate data (zlib.error),
    # broken XML (ParseError, a SyntaxError), impossible cell references or values (ValueError),
    # shared-string indexes out of range (IndexError); defusedxml's refusals are ValueErrors too.
    # NotImplementedError: zipfile's answer to an unsupported zip version or compression method.
    unreadable = (InvalidFileException, zipfile.BadZipFile, zlib.error, EOFError, SyntaxError, KeyError, IndexError,
                  ValueError, TypeError, OSError, NotImplementedError)
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except unreadable as exc:
        raise _xlsx_unreadable(exc) from exc
    try:
        scored = []
        for ws in wb.worksheets:
            top = [list(r) for r in ws.iter_rows(min_row=1, max_row=HEADER_SEARCH_ROWS, values_only=True)]
            scored.append((_find_header_row(top)[1], ws))
        if not scored:
            raise _fail("The Excel workbook has no worksheets.")
        best_score, ws = max(scored, key=lambda t: t[0])  # max keeps the first sheet on ties
        if best_score == 0:
            ws = scored[0][1]
        if ws.max_row is not None and ws.max_row > MAX_ROWS + HEADER_SEARCH_ROWS:
            raise _too_many_rows(ws.max_row)
        if ws.max_column is not None and ws.max_column > MAX_COLUMNS:
            raise _too_many_columns(ws.max_column)
        # <dimension> is the writer's claim and some writers get it wrong ("A1:B2" over a thousand
        # rows); read-only openpyxl stops at it and drops the rest silently. Read every row the sheet
        # holds instead, bounded here by count and width.
        ws.reset_dimensions()
        rows = []
        for row in ws.iter_rows(min_row=1, values_only=True):
            if len(row) > MAX_COLUMNS:
                raise _too_many_columns(len(row))
            if len(rows) > MAX_ROWS + HEADER_SEARCH_ROWS:
                raise _fail(f"The sheet has more than {MAX_ROWS:,} rows; SpineDash reads at most {MAX_ROWS:,}. Split the export by year or site.")
            rows.append(row)
        width = max(map(len, rows), default=0)  # without <dimension>, rows end at their last cell
        rows = [r if len(r) == width else (*r, *(None,) * (width - len(r))) for r in rows]
        notes = []
        if len(wb.worksheets) > 1:
            others = [w.title for w in wb.worksheets if w is not ws]
            notes.append(f"Read the sheet '{ws.title}'; other sheets were ignored: {', '.join(others)}.")
    except OutcomeDataError:
        raise
    except unreadable as exc:
        raise _xlsx_unreadable(exc) from exc
    finally:
        wb.close()
    grid = pd.DataFrame(rows, dtype="object") if rows else pd.DataFrame()
    grid.columns = range(grid.shape[1])
    return grid, notes


def _read_parquet(data: bytes) -> pd.DataFrame:
    try:
        pf = pq.ParquetFile(io.BytesIO(data))
        if pf.metadata.num_rows > MAX_ROWS:
            raise _too_many_rows(pf.metadata.num_rows)
        if pf.metadata.num_columns > MAX_COLUMNS:
            raise _too_many_columns(pf.metadata.num_columns)
        table = pf.read()
        for i, f in enumerate(table.schema):
            if pa.types.is_binary(f.type) or pa.types.is_large_binary(f.type) or pa.types.is_fixed_size_binary(f.type):
                # Older writers (Impala, Spark without binaryAsString) store text as plain binary;
                # bytes that are not UTF-8 show as � in messages instead of failing the read.
                text = [None if v is None else v.decode("utf-8", "replace") for v in table.column(i).to_pylist()]
                table = table.set_column(i, f.name, pa.array(text, pa.string()))
        # Dictionary-encoded and other Arrow types become plain pandas columns; cells are re-parsed below.
        # Corrupt pandas metadata fails here (JSONDecodeError, UnicodeDecodeError: both ValueErrors).
        return table.to_pandas()
    except OutcomeDataError:
        raise
    except (pa.ArrowException, OSError, ValueError, TypeError) as exc:
        raise _fail(f"The Parquet file could not be read ({type(exc).__name__}).") from exc


# ---------------------------------------------------------------------------------------------
# Cells to canonical values, a column at a time.
# ---------------------------------------------------------------------------------------------

# Spellings of "no value" in exports; "none" is not one of them (it is a complication value).
MISSING_TOKENS = frozenset({"", "n/a", "na", "-", "--", ".", "nan", "null", "#n/a", "n.a.", "nd", "missing"})
TRUE_WORDS = frozenset({"yes", "y", "true", "t", "1", "ja", "j", "sant"})
FALSE_WORDS = frozenset({"no", "n", "false", "f", "0", "nei", "usant"})
_SEX_WORDS = {
    **dict.fromkeys(("f", "female", "woman", "w", "k", "kvinne", "femme", "fem", "frau"), "female"),
    **dict.fromkeys(("m", "male", "man", "mann", "homme", "masc"), "male"),
    **dict.fromkeys(("other", "o", "x", "diverse", "d", "non binary", "nonbinary", "annet"), "other"),
}
_COMPLICATION_WORDS = {
    **dict.fromkeys(("none", "no", "nil", "no complication", "ingen", "0"), "none"),
    **dict.fromkeys(("dural tear", "durotomy", "incidental durotomy", "dural leak", "csf leak", "dura tear", "duratear"), "dural tear"),
    **dict.fromkeys(("nerve root injury", "nerve injury", "root injury", "nerve root damage", "neural injury"), "nerve root injury"),
    **dict.fromkeys(("infection", "wound infection", "ssi", "surgical site infection", "deep infection", "superficial infection"), "infection"),
    **dict.fromkeys(("haematoma", "hematoma", "epidural haematoma", "epidural hematoma", "wound haematoma", "wound hematoma"), "haematoma"),
    "other": "other",
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
    arr = pc.utf8_trim_whitespace(arr.cast(pa.large_string()))
    missing = pc.is_in(arr, value_set=_MISSING_ARRAY.cast(pa.large_string()))
    return pc.if_else(missing, pa.scalar(None, pa.large_string()), arr)


def _text_series(s: pd.Series) -> pd.Series:
    return pd.Series(_text(s).to_pandas().array, index=s.index, dtype="str")


def _clip(text: object, limit: int = 60) -> str:
    """A cell or header as quoted in a message: at most `limit` characters."""
    text = str(text)
    return text if len(text) <= limit else text[:limit] + "…"


def _examples(values: pd.Series, k: int = 3) -> str:
    uniq = list(dict.fromkeys(values.dropna().astype(str).tolist()[:1000]))
    return ", ".join(repr(_clip(v)) for v in uniq[:k]) + (" …" if len(uniq) > k else "")


def _distinct(s: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """(index of each row's cleaned text among the distinct texts, −1 = missing; the distinct texts).

    A categorical column (a CSV read with dictionary-encoded columns, a Parquet dictionary) is
    cleaned through its categories only — the categories that occur — and the rows follow by
    their codes, so a million rows cost one integer gather instead of a million trims.
    """
    if isinstance(s.dtype, pd.CategoricalDtype):
        codes = s.cat.codes.to_numpy().astype(np.int64)
        used = np.flatnonzero(np.bincount(codes[codes >= 0], minlength=len(s.cat.categories)))
        enc = pc.dictionary_encode(_text(pd.Series(s.cat.categories[used])))
        per_used = pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
        per_code = np.full(len(s.cat.categories) + 1, -1, dtype=np.int64)  # last slot: code −1
        per_code[used] = per_used
        return per_code[codes], pd.Series(enc.dictionary.to_pylist(), dtype="object")
    enc = pc.dictionary_encode(_text(s))
    idx = pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    return idx, pd.Series(enc.dictionary.to_pylist(), dtype="object")


def _by_unique(s: pd.Series, parse: Callable[[pd.Series], pd.Series]) -> tuple[pd.Series, pd.Series]:
    """Parse each distinct cell once and spread the result over the rows: (values, mask of unparsed cells).

    Categories, dates and yes/no answers repeat: a million rows carry a few thousand distinct
    values, so parsing the distinct ones in pandas costs almost nothing.
    """
    idx, uniques = _distinct(s)
    parsed = parse(uniques).reset_index(drop=True)
    present = idx >= 0
    if len(parsed) == 0:
        values = pd.Series(np.nan, index=s.index, dtype="object")
        return values, pd.Series(False, index=s.index)
    safe = np.where(present, idx, 0)
    if parsed.dtype == "object" or parsed.dtype == "str":
        # Text results become a Categorical straight from the dictionary codes (no re-hashing).
        cat = pd.Categorical(parsed)
        codes = np.where(present, cat.codes[safe], -1)
        values = pd.Series(pd.Categorical.from_codes(codes, cat.categories), index=s.index)
    else:
        # One gather from the parsed values plus a trailing missing slot for the empty cells.
        padded = pd.concat([parsed, pd.Series([None], dtype=parsed.dtype)], ignore_index=True)
        values = padded.take(np.where(present, idx, len(parsed)))
        values.index = s.index
    unparsed = parsed.isna().to_numpy(dtype=bool)
    return values, pd.Series(present & unparsed[safe], index=s.index)


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


def _to_bool(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    mapping = {**dict.fromkeys(TRUE_WORDS, True), **dict.fromkeys(FALSE_WORDS, False)}
    # Parsed to "boolean" per distinct word, so the rows are gathered as booleans (no per-row cast).
    values, bad = _by_unique(s, lambda u: _word_key(u).str.replace(r"\.0$", "", regex=True).map(mapping).astype("boolean"))
    return values.astype("boolean"), bad


def _to_mapped(s: pd.Series, mapping: dict[str, str]) -> tuple[pd.Series, pd.Series]:
    """Map cleaned words through `mapping`: (values, mask of unknown cells)."""
    return _by_unique(s, lambda u: _word_key(u).map(mapping))


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


def _to_label(s: pd.Series) -> pd.Series:
    return _by_unique(s, lambda u: u.astype("str").str.replace(r"\s+", " ", regex=True))[0]


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


def _grid_to_frame(grid: pd.DataFrame) -> tuple[pd.DataFrame, list[str], int]:
    """Cut a headerless grid at its header row: (frame with header names, header cells, header row number)."""
    grid = grid.dropna(axis=1, how="all")
    grid.columns = range(grid.shape[1])
    top = grid.head(HEADER_SEARCH_ROWS).astype("object").where(grid.head(HEADER_SEARCH_ROWS).notna(), None)
    h, _ = _find_header_row(top.values.tolist())
    header = ["" if v is None else str(v).strip() for v in top.iloc[h].tolist()] if len(top) else []
    body = grid.iloc[h + 1 :]
    body.index = np.arange(len(body)) + h + 2  # spreadsheet row numbers: header row h+1 (1-based)
    body.columns = range(body.shape[1])
    return body, header, h + 1


def _blank_rows(frame: pd.DataFrame) -> pd.Series:
    """Rows whose every cell is empty or whitespace.

    Column by column over the rows still blank so far: after the first (usually filled) column only
    a handful of candidate rows remain, so a million-row file costs about one column's check.
    """
    candidates = np.arange(len(frame))
    for c in frame.columns:
        if not len(candidates):
            break
        col = frame[c].iloc[candidates]
        if col.dtype == "str" or isinstance(col.dtype, pd.StringDtype):
            arr = pc.utf8_trim_whitespace(pa.array(col.array))
            empty = pc.fill_null(pc.equal(arr, ""), True).to_numpy(zero_copy_only=False)
        elif isinstance(col.dtype, pd.CategoricalDtype):
            # Blank when missing or its category is empty or whitespace: checked per category.
            blank_category = np.append(col.cat.categories.astype("str").str.strip() == "", True)
            empty = blank_category[col.cat.codes.to_numpy()]
        elif col.dtype == "object":
            empty = (col.isna() | (col.astype("str").str.strip() == "")).to_numpy()
        else:
            empty = col.isna().to_numpy()
        candidates = candidates[empty]
    blank = np.zeros(len(frame), dtype=bool)
    blank[candidates] = True
    return pd.Series(blank, index=frame.index)


@functools.cache
def _background() -> ThreadPoolExecutor:
    """One worker thread for checks that release the GIL while the reader goes on (see load_outcomes)."""
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="spinedash-ingest")


def load_outcomes(source: Source, filename: str | None = None) -> IngestResult:
    """Read an outcome export into canonical cases, or raise OutcomeDataError listing every problem.

    Args:
        source: a path, the file's bytes, or a binary file-like (e.g. Streamlit's UploadedFile).
        filename: the name to quote in messages; the format is judged from the bytes, not the name.
    Raises:
        OutcomeDataError: the file is not a readable table or breaks the data dictionary.
    """
    data, filename = _read_source(source, filename)
    blank = b" \t\r\n\x00\xef\xbb\xbf"
    if not data[:65536].strip(blank) and not data.strip(blank):  # the head decides without copying 200 MB
        raise _fail("The file is empty.")
    fmt = _detect_format(data)
    warnings: list[str] = []
    decimal_comma = False

    if fmt == "parquet":
        frame = _read_parquet(data)
        header = [str(c) for c in frame.columns]
        frame.columns = range(frame.shape[1])
        frame.index = np.arange(len(frame)) + 2
        header_row = 1
    elif fmt == "text" and (fast := _read_csv_typed(data)) is not None:
        frame, header = fast
        header_row = 1
    else:
        if fmt == "xlsx":
            grid, notes = _read_xlsx(data)
            warnings += notes
        else:
            text, note = _decode(data)
            if note:
                warnings.append(note)
            delimiter = _sniff_delimiter(text)
            decimal_comma = delimiter == ";"
            utf8 = None if note else (data[3:] if data.startswith(b"\xef\xbb\xbf") else data)
            grid = _read_csv_grid(text, delimiter, utf8)
            if delimiter == ";" and grid.shape[1] > 1:
                warnings.append("Semicolon-separated file: commas in numbers were read as decimal commas (3,5 = 3.5).")
        if grid.shape[1] > MAX_COLUMNS:
            raise _too_many_columns(grid.shape[1])
        if grid.empty or _blank_rows(grid).all():
            raise _fail("The file is empty: no header row and no data rows.")
        frame, header, header_row = _grid_to_frame(grid)

    if len(frame) > MAX_ROWS:
        raise _too_many_rows(len(frame))
    if len(header) > MAX_COLUMNS:
        raise _too_many_columns(len(header))

    # Trailing blank rows are the spreadsheet's, not data; blank rows inside the table are skipped.
    blank = _blank_rows(frame)
    if len(frame) and not blank.all():
        last = blank.index[~blank.to_numpy()][-1]
        frame, blank = frame.loc[:last], blank.loc[:last]
    else:
        frame, blank = frame.iloc[0:0], blank.iloc[0:0]
    rows_read = len(frame)
    if blank.any():
        rows = blank.index[blank.to_numpy()].tolist()
        warnings.append(f"{len(rows)} blank row{'s' if len(rows) > 1 else ''} skipped (row {_rows_short(rows)}).")
        frame = frame.loc[~blank.to_numpy()]

    problems: list[Problem] = []
    mapping: dict[str, str] = {}
    units: dict[str, str | None] = {}
    position: dict[str, int] = {}
    claimed: dict[str, list[str]] = {}
    ignored: list[str] = []
    for i, name in enumerate(header):
        if not name:
            if pc.any(pc.is_valid(_text(frame[i]))).as_py():
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

    lookups = _category_lookups()
    out: dict[str, pd.Series] = {}
    ids_unique: Future[bool] | None = None
    for column, pos in position.items():
        spec = schema.COLUMN_BY_NAME[column]
        raw = frame[pos]
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

    cases = schema.cast_columns(out, frame.index)
    approach_names = lookups["approach"][1]
    condition_names = lookups["condition"][1]
    problems += validate_cases(cases, approach_names, condition_names, header_for=header_for, header_row=header_row,
                               case_ids_unique=ids_unique.result() if ids_unique is not None else None)  # fmt: skip
    if problems:
        raise OutcomeDataError(problems)

    warnings += _completeness_warnings(cases)
    missing = [c for c in schema.CANONICAL_COLUMNS if c not in cases.columns]
    if missing:
        warnings.append(f"Not in the file, left blank: {', '.join(missing)}.")
    cases = _with_all_columns(cases).reset_index(drop=True)
    # Hand the reader's scratch memory back to the system: a long-running server keeps what its
    # allocator holds, and a million-row read leaves ~150 MB of it behind.
    pa.default_memory_pool().release_unused()
    return IngestResult(
        cases=cases,
        warnings=tuple(warnings),
        column_mapping=mapping,
        rows_read=rows_read,
        rows_accepted=len(cases),
        file_format=fmt,
    )


def _rows_short(rows: list[int], k: int = 8) -> str:
    from spinedash.validation import format_rows

    return format_rows(tuple(rows[:200]), len(rows), max_items=k)


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


def _completeness_warnings(cases: pd.DataFrame) -> list[str]:
    present = [c for c in schema.OUTCOME_COLUMNS if c in cases.columns]
    if not present or cases.empty:
        return []
    none = np.ones(len(cases), dtype=bool)
    for c in present:  # column by column: no million-by-25 boolean frame
        none &= cases[c].isna().to_numpy()
        if not none.any():
            return []
    rows = cases.index[none].tolist()
    return [f"{len(rows)} row{'s have' if len(rows) > 1 else ' has'} no outcome values at all (row {_rows_short(rows)}); kept, but they add to no outcome."]


def _with_all_columns(cases: pd.DataFrame) -> pd.DataFrame:
    """Every canonical column present (blank where the file had none), in dictionary order."""
    n = len(cases)
    empty = {
        "number": lambda: np.full(n, np.nan),
        "boolean": lambda: pd.array([None] * n, dtype="boolean"),
        "date": lambda: np.full(n, np.datetime64("NaT", "ns")),
        "category": lambda: pd.Categorical.from_codes(np.full(n, -1), categories=pd.Index([], dtype="str")),
        "id": lambda: pd.array([None] * n, dtype="str"),
    }
    full = {
        spec.name: cases[spec.name] if spec.name in cases.columns else pd.Series(empty[spec.kind](), index=cases.index)
        for spec in schema.COLUMNS
    }
    return pd.DataFrame(full, index=cases.index, copy=False)


# ---------------------------------------------------------------------------------------------
# Downloads: template and data dictionary.
# ---------------------------------------------------------------------------------------------

# Three illustrative cases (not evidence): a day-case endoscopic discectomy, a tubular decompression,
# an open fusion. Stay 3.2 h echoes PELD day surgery (Medicine 2019); the rest is ASSUMPTION.
_TEMPLATE_ROWS = [
    {"case_id": "C00001", "surgery_date": "2024-03-18", "age": "46", "sex": "female", "condition": "Herniated disc",
     "approach": "Full-endoscopic", "procedure": "Discectomy", "spinal_level": "L5-S1", "surgeon": "Surgeon A", "site": "North",
     "operation_minutes": "55", "blood_loss_ml": "10", "anesthesia": "local with sedation", "length_of_stay_hours": "3.2",
     "return_to_activities_days": "7", "return_to_work_days": "21", "employed_before_surgery": "yes", "last_followup_days": "365",
     "vas_leg_pre": "7", "vas_leg_2w": "2", "vas_leg_6w": "2", "vas_leg_3m": "1", "vas_leg_6m": "1", "vas_leg_12m": "1",
     "vas_back_pre": "5", "vas_back_2w": "3", "vas_back_6w": "2", "vas_back_3m": "2", "vas_back_6m": "2", "vas_back_12m": "2",
     "odi_pre": "44", "odi_6w": "20", "odi_3m": "14", "odi_12m": "10",
     "complication": "none", "reoperation_12m": "no", "recurrence_12m": "no", "satisfied_12m": "yes"},
    {"case_id": "C00002", "surgery_date": "2024-04-02", "age": "68", "sex": "male", "condition": "Spinal stenosis",
     "approach": "Tubular MIS", "procedure": "Decompression", "spinal_level": "L4-L5", "surgeon": "Surgeon B", "site": "North",
     "operation_minutes": "85", "blood_loss_ml": "40", "anesthesia": "general", "length_of_stay_hours": "26",
     "return_to_activities_days": "14", "return_to_work_days": "", "employed_before_surgery": "no", "last_followup_days": "365",
     "vas_leg_pre": "6", "vas_leg_2w": "3", "vas_leg_6w": "3", "vas_leg_3m": "2", "vas_leg_6m": "", "vas_leg_12m": "2",
     "vas_back_pre": "6", "vas_back_2w": "4", "vas_back_6w": "3", "vas_back_3m": "3", "vas_back_6m": "", "vas_back_12m": "3",
     "odi_pre": "42", "odi_6w": "30", "odi_3m": "26", "odi_12m": "24",
     "complication": "dural tear", "reoperation_12m": "no", "recurrence_12m": "no", "satisfied_12m": "yes"},
    {"case_id": "C00003", "surgery_date": "2024-05-21", "age": "59", "sex": "female", "condition": "Instability / spondylolisthesis",
     "approach": "Open", "procedure": "Fusion", "spinal_level": "L4-L5", "surgeon": "Surgeon A", "site": "South",
     "operation_minutes": "180", "blood_loss_ml": "350", "anesthesia": "general", "length_of_stay_hours": "96",
     "return_to_activities_days": "42", "return_to_work_days": "90", "employed_before_surgery": "yes", "last_followup_days": "200",
     "vas_leg_pre": "6", "vas_leg_2w": "4", "vas_leg_6w": "3", "vas_leg_3m": "3", "vas_leg_6m": "2", "vas_leg_12m": "",
     "vas_back_pre": "7", "vas_back_2w": "5", "vas_back_6w": "4", "vas_back_3m": "3", "vas_back_6m": "3", "vas_back_12m": "",
     "odi_pre": "48", "odi_6w": "38", "odi_3m": "30", "odi_12m": "",
     "complication": "none", "reoperation_12m": "no", "recurrence_12m": "", "satisfied_12m": ""},
]


def template_csv() -> bytes:
    """A CSV with every canonical column and three example rows (UTF-8 with BOM so Excel shows ø and –)."""
    frame = pd.DataFrame(_TEMPLATE_ROWS, columns=list(schema.CANONICAL_COLUMNS))
    return frame.to_csv(index=False).encode("utf-8-sig")


def data_dictionary_table() -> pd.DataFrame:
    """The data dictionary with a column of header spellings the reader also accepts."""
    table = schema.data_dictionary()
    table["also accepted as"] = [", ".join(header_aliases(c)) for c in table["column"]]
    return table


def data_dictionary_csv() -> bytes:
    """The data dictionary as CSV bytes for download."""
    return data_dictionary_table().to_csv(index=False).encode("utf-8-sig")

