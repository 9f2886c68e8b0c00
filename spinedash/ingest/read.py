"""Read stage: bytes to tables.

`read_tables(sources)` turns each source (a path, bytes or a binary file-like) into tables: one per
CSV/TSV/Parquet file, one per worksheet of an XLSX ("file.xlsx/Sheet1"). A table's columns are its
header cells as text, its index the spreadsheet row numbers (header row = 1 when the header is on
top), and `frame.attrs` records how it was read (format, header row, decimal comma, notes).

The format is judged from the bytes, not the name. Exports carry title rows, semicolons and decimal
commas, Latin-1, blank rows: all handled here. No Streamlit.
"""

from __future__ import annotations

import csv
import ctypes
import functools
import io
import mmap
import os
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from spinedash import schema
from spinedash.ingest.cells import _MISSING_ARRAY, _MISSING_SET, _fail, _missing_text, _rows_short
from spinedash.ingest.map import PARALLEL_ROWS, _column_pool, _key, _measure_words, match_header
from spinedash.validation import OutcomeDataError

# A million cases of the full schema written with one decimal is ~240 MB as CSV; the same cases laid
# out long, one row per case and time point (six), ~470 MB (tests check both against the sample
# cohort). The cap leaves a fifth more for longer ids and free text.
MAX_UPLOAD_MB = 600
# Rows one table may hold. A long export has a row per case and time point (a million cases at six
# time points is six million rows); the cases they make are capped by shape.MAX_CASES.
MAX_ROWS = 10_000_000
MAX_COLUMNS = 500
# A CSV whose rows differ in width (title rows, ragged exports) is read cell by cell in Python, which
# holds ~10× the file in memory: that path keeps the cap uploads had before long files were read.
MAX_RAGGED_MB = 320
# Rows × columns of one table, which is what bounds memory once read (up to 8 bytes a cell): the
# 1M × 6 long export (27 columns) is 162 million cells, the same cases wide 41 million. Without it
# a small Parquet file of repeated values could claim 10 million rows × 500 columns.
MAX_CELLS = 250_000_000
# An XLSX is a zip: refuse one that would unpack to more than this (about 650,000 rows of the full
# template's 38 columns), or whose parts inflate more than MAX_ZIP_RATIO-fold (zip bombs; real
# worksheets compress about 10-fold), judged from the zip directory before anything is inflated.
MAX_XLSX_UNPACKED_MB = 1000
MAX_ZIP_RATIO = 100
# Exports often carry a title, a date and a blank line above the header; look this far down for it.
HEADER_SEARCH_ROWS = 30

Source = str | os.PathLike | bytes | bytearray | memoryview | BinaryIO
# Control characters (Unicode category Cc: U+0000–U+001F, U+007F–U+009F) other than tab and line
# breaks: binary data, not text. One regex pass instead of a category lookup per character.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")





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


def _map_file(path: Path) -> mmap.mmap | None:
    """The file mapped read-only from the page cache, or None when it cannot be (empty, not a regular
    file, unreadable, over MAX_UPLOAD_MB): the caller then reads it as bytes, with that path's messages."""
    try:
        with open(path, "rb") as f:
            if os.fstat(f.fileno()).st_size > MAX_UPLOAD_MB * 1024 * 1024:
                return None
            return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):
        return None


def _looks_like_text(head: bytes) -> bool:
    """Whether the head of a file is text as `_detect_format` judges it, and not blank (the bytes path
    says "empty"), without the rest of the file."""
    if not head.strip(b" \t\r\n\x00\xef\xbb\xbf") or head[:4] == b"PAR1" or head[:2] == b"PK":
        return False
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return False
    return not any(head.startswith(magic) for magic in _NOT_A_TABLE)


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
    controls = len(_CONTROLS.findall(sample))
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
            pa.BufferReader(utf8 if utf8 is not None else text.encode("utf-8")),
            read_options=pacsv.ReadOptions(column_names=[f"f{i}" for i in range(width)]),
            parse_options=_parse_options(delimiter, newlines_in_values='"' in text),
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
        # takes them as they come and pandas pads the short ones. It holds every cell as a Python
        # string (~10× the file in memory), so only up to the size the cap was before long files.
        if len(text) > MAX_RAGGED_MB * 1024 * 1024:
            raise _fail(f"The file's rows have different numbers of cells, and SpineDash reads such files up to "
                        f"{MAX_RAGGED_MB} MB. Export it again as a plain table: one header row, the same number of "
                        f"cells on every row.") from None
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


@functools.cache
def _memchr():
    """libc's memchr, called through ctypes (which lets go of the GIL during the call), or None."""
    try:
        found = ctypes.CDLL(None).memchr
    except (OSError, AttributeError, TypeError):  # no C library to load by that name (Windows)
        return None
    found.restype, found.argtypes = ctypes.c_void_p, [ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t]
    return found


def _holds_byte(data: bytes | mmap.mmap, byte: int, start: int = 0) -> bool:
    """True when `byte` occurs in data[start:]. A large file's two halves are searched on two cores
    (memchr through ctypes runs without the GIL): the quote check of a 220 MB file took 25 ms on
    one core, 13 on two, before Arrow's parse could start."""
    n = len(data) - start
    search = _memchr()
    if n < PARALLEL_BYTES or search is None or (os.cpu_count() or 1) < 2:
        return data.find(bytes([byte]), start) >= 0
    view = np.frombuffer(data, dtype=np.uint8)  # no copy; released below, before the caller lets go of `data`
    try:
        address = view.ctypes.data + start
        half = n // 2
        parts = [(address, half), (address + half, n - half)]
        return any(hit is not None for hit in _column_pool().map(lambda part: search(part[0], byte, part[1]), parts))
    finally:
        del view


PARALLEL_BYTES = 16 << 20  # from here the byte search is split between two cores


def _block_size(size: int) -> int:
    """Bytes Arrow parses at a time: its 1 MB for most files, up to 8 MB for large ones (still 32
    blocks or more to share between the cores). A 220 MB file then comes in ~30 chunks a column
    instead of ~210, and turning them into pandas columns took ~35 ms less (bench/README.md)."""
    return min(8 << 20, max(1 << 20, size // 32))


def _parse_options(delimiter: str, newlines_in_values: bool) -> pacsv.ParseOptions:
    """How SpineDash has Arrow split a CSV: double-quoted cells, "" for a quote, blank lines kept as
    rows (so row numbers stay the spreadsheet's); line breaks inside quoted cells when told."""
    return pacsv.ParseOptions(delimiter=delimiter, quote_char='"', double_quote=True, newlines_in_values=newlines_in_values, ignore_empty_lines=False)


def _piece_size(size: int) -> int:
    """Bytes of a file parsed as one piece (`_parse_in_pieces`): as many as Arrow's blocks."""
    return _block_size(size)


def _breaks_inside_cells(head: str, delimiter: str) -> bool:
    """True when a quoted cell among the file's first rows holds a line break (~4 ms for 256 kB)."""
    reader = csv.reader(io.StringIO(head, newline=""), delimiter=delimiter)
    try:
        rows = sum(1 for _ in reader)
    except csv.Error:
        return True
    return rows < reader.line_num


def _parse_in_pieces(
    data: bytes | mmap.mmap, start: int, head: str, names: list[str], delimiter: str, convert_options: pacsv.ConvertOptions,
) -> pa.Table | None:
    """A large quoted file parsed as pieces cut at line breaks, one piece a task on the column pool,
    as Arrow parses an unquoted file; None for a small file or when a cut fell inside a quoted cell.

    A quoted cell may hold a line break, so Arrow, told so, first walks the whole file on one core
    to find where its blocks may end (0.3 s of a 1M x 6 long file's 2 s parse). Here each piece is
    parsed whole, as one block, so the only place a quoted line break can mislead is a cut, and a cut
    inside a quoted cell shows itself: Arrow reads the piece's last cell to the end of the piece, so
    its text ends with the line break at the cut (a number column fails to parse). Each piece starts
    where the one before truly ended, so checking every piece's last cell proves every cut. A text
    cell that legitimately ends with a line break looks the same and sends the file to the plain parse.

    A file whose first rows (`head`) already hold a line break in a cell is parsed whole from the
    start: with many such cells a cut would land in one, and the pieces would be parsed in vain.
    """
    size = _piece_size(len(data))
    if len(data) - start < 2 * size or (os.cpu_count() or 1) < 2 or _breaks_inside_cells(head, delimiter):
        return None
    cuts = [start]
    while (end := data.find(b"\n", cuts[-1] + size)) >= 0 and end + 1 < len(data):
        cuts.append(end + 1)
    cuts.append(len(data))
    buffer = pa.py_buffer(data)

    def parse(i: int) -> pa.Table:
        first, end = cuts[i], cuts[i + 1]
        return pacsv.read_csv(
            pa.BufferReader(buffer.slice(first, end - first)),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1 if i == 0 else 0, block_size=end - first + 1, use_threads=False),
            parse_options=_parse_options(delimiter, newlines_in_values=False),  # a piece is one block: its quoted breaks read right
            convert_options=convert_options,
        )

    pieces = list(_column_pool().map(parse, range(len(cuts) - 1)))
    for piece in pieces[:-1]:
        last = piece.column(piece.num_columns - 1) if piece.num_rows and piece.num_columns else None
        if last is not None and not pa.types.is_floating(last.type):
            cell = last[len(last) - 1].as_py()
            if isinstance(cell, str) and cell.endswith(("\n", "\r")):
                return None
    return pa.concat_tables(pieces)


def _read_csv_typed(data: bytes | mmap.mmap) -> tuple[pd.DataFrame, list[str]] | None:
    """The common case read fast: a UTF-8, comma- (or tab-, pipe-) separated file whose first line is the header.

    Arrow parses the number columns itself (multithreaded, no text copy of the file) and reads the
    text columns dictionary-encoded, so each distinct value is cleaned once. Any cell Arrow cannot
    parse exactly as the text path would — a stray word in a number column, a blank line, a ragged
    row, bytes that are not UTF-8 (Arrow checks every text cell; number cells must be numbers) —
    makes this return None, and the caller reads the file the slow, forgiving way (which also
    finds the rows to report). `data` is the file's bytes, or the file mapped from the page cache
    (`_map_file`: nothing copied). Returns (frame with integer column labels and spreadsheet row
    numbers as index, header cells), or None.
    """
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return None
    start = 3 if data[:3] == b"\xef\xbb\xbf" else 0
    head_bytes = data[start : start + 4 * 65536]
    # The header is read here, not by Arrow (skip_rows=1): it must be UTF-8 too. Up to the last line
    # break of the head, so a character cut at the end of the head does not count.
    if not _valid_utf8(head_bytes if len(data) <= start + len(head_bytes) else head_bytes[: head_bytes.rfind(b"\n") + 1]):
        return None
    body = pa.py_buffer(data)  # zero-copy, read by Arrow without the GIL
    if start:
        body = body.slice(start)
    quoted = _holds_byte(data, ord('"'), start)
    head = head_bytes.decode("utf-8", errors="ignore")  # ignore: only a character cut at the end
    sample = head[:65536]
    controls = len(_CONTROLS.findall(sample))
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
    scores = _score_headers()
    for name, cell in zip(names, header, strict=True):
        m = match_header(cell) if cell else None
        kind = schema.spec_for(m[0]).kind if m else None
        if m is None and cell and (measure := scores.get(_key(cell))) is not None and measure not in seen:
            # A long file's score column ("ODI", "VAS leg": the measure, its time point in another
            # column) is a number column like odi_12m in a wide file, parsed by Arrow alike.
            types[name] = pa.float64()
            seen.add(measure)
        elif m is None or m[0] in seen or kind == "id":
            types[name] = pa.string()
        elif kind == "number":
            types[name] = pa.float64()
        else:
            types[name] = pa.dictionary(pa.int32(), pa.string())
        if m is not None:
            seen.add(m[0])
    missing = _MISSING_ARRAY.to_pylist()
    # Plain text as pandas' str holds it (large_string): converting a string column cast it, a copy
    # of every offset (48 MB a column of six million cells).
    types = {name: pa.large_string() if t == pa.string() else t for name, t in types.items()}
    # A long file (a score without its time point: "ODI" beside a visit column) leaves its case
    # details blank on most rows. A missing cell parsed as null is skipped when Arrow builds the
    # column's dictionary: 0.7 s of a 1M × 6 file's parse. A wide file, mostly filled, gains nothing
    # and its null categories cost more to convert, so it keeps them as text (blank alike: read._empty_cells).
    long_file = bool(seen & set(scores.values()))
    convert_options = pacsv.ConvertOptions(column_types=types, null_values=missing, strings_can_be_null=long_file, quoted_strings_can_be_null=True)
    try:
        table = _parse_in_pieces(data, start, head, names, delimiter, convert_options) if quoted else None
    except pa.ArrowInvalid:
        table = None  # a piece cut inside a quoted cell, or a cell Arrow cannot parse: the whole file at once decides
    try:
        if table is None:
            table = pacsv.read_csv(
                pa.BufferReader(body),
                read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=_block_size(len(data))),
                parse_options=_parse_options(delimiter, newlines_in_values=quoted),
                convert_options=convert_options,
            )
    except pa.ArrowInvalid:
        return None
    _check_size(table.num_rows, table.num_columns)
    rows = table.num_rows
    columns = table.columns
    del table

    def to_pandas(i: int) -> pd.Series:
        # Each Arrow column is let go once converted, as to_pandas(self_destruct=True) would.
        column, columns[i] = columns[i], None
        if pa.types.is_dictionary(column.type):
            return _categorical(column)
        return column.to_pandas()

    # Table.to_pandas converts one column after another on this machine; a large file's columns are
    # converted on every core (Arrow releases the GIL), each into a pandas column of its own.
    if rows >= PARALLEL_ROWS and len(columns) > 1 and (os.cpu_count() or 1) > 1:
        converted = list(_column_pool().map(to_pandas, range(len(columns))))
    else:
        converted = [to_pandas(i) for i in range(len(columns))]
    frame = pd.DataFrame(dict(enumerate(converted)), copy=False)
    frame.index = pd.RangeIndex(2, len(frame) + 2)  # spreadsheet row numbers: the header is row 1
    return frame, header


def _categorical(column: pa.ChunkedArray) -> pd.Series:
    """A parsed text column (one dictionary per parsed block) as a pandas categorical column.

    The blocks' dictionaries are unified (column by column on the pool, not the whole table's at
    once) and each block's int32 indices written straight into the small codes pandas keeps, -1
    where a cell is null. Joining the blocks' indices first and letting Arrow convert them was twice
    the work: 0.25-0.34 s against 0.14 s on two cores for the 17 text columns of a 1M x 6 long file.
    """
    if column.num_chunks == 0 or column.type.index_type != pa.int32() or not pa.types.is_string(column.type.value_type):
        return column.combine_chunks().to_pandas()
    column = column.unify_dictionaries() if column.num_chunks > 1 else column
    categories = column.chunk(0).dictionary
    codes = np.empty(len(column), dtype=np.min_scalar_type(-max(len(categories), 1)))
    at = 0
    for chunk in column.chunks:
        indices = chunk.indices
        n, offset = len(indices), indices.offset
        part = codes[at : at + n]
        np.copyto(part, np.frombuffer(indices.buffers()[1], dtype=np.int32, count=offset + n)[offset:], casting="unsafe")
        if indices.null_count:
            valid = np.unpackbits(np.frombuffer(indices.buffers()[0], dtype=np.uint8), bitorder="little")[offset : offset + n]
            part[valid == 0] = -1
        at += n
    dtype = pd.CategoricalDtype(pd.Index(categories.to_pandas()))
    return pd.Series(pd.Categorical.from_codes(codes, dtype=dtype, validate=False), copy=False)


@functools.cache
def _score_headers() -> dict[str, str]:
    """Compact header key -> measure, for headers that name a numeric measure without a time point."""
    out = {}
    for key, measure in _measure_words().items():
        timepoints = getattr(schema.MEASURES.get(measure), "timepoints", ())
        spec = schema.spec_for(f"{measure}_{timepoints[0]}") if timepoints else None
        if spec is not None and spec.kind == "number":
            out[key] = measure
    return out


def _too_many_rows(n: int) -> OutcomeDataError:
    return _fail(f"The file has {n:,} rows; SpineDash reads at most {MAX_ROWS:,}. Split the export by year or site.")


def _too_many_cells(rows: int, columns: int) -> OutcomeDataError:
    return _fail(f"The file has {rows:,} rows of {columns:,} columns ({rows * columns:,} cells); SpineDash reads at most "
                 f"{MAX_CELLS:,} cells. Export only the columns you need, or split the export by year or site.")


def _check_size(rows: int, columns: int) -> None:
    """Refuse a table over MAX_ROWS rows or MAX_CELLS cells."""
    if rows > MAX_ROWS:
        raise _too_many_rows(rows)
    if rows * columns > MAX_CELLS:
        raise _too_many_cells(rows, columns)


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


def _read_xlsx(data: bytes) -> list[tuple[str, pd.DataFrame]]:
    """(sheet title, grid) for every worksheet, in workbook order."""
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
    sheets = []
    try:
        if not wb.worksheets:
            raise _fail("The Excel workbook has no worksheets.")
        for ws in wb.worksheets:
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
            grid = pd.DataFrame(rows, dtype="object") if rows else pd.DataFrame()
            grid.columns = range(grid.shape[1])
            sheets.append((str(ws.title), grid))
    except OutcomeDataError:
        raise
    except unreadable as exc:
        raise _xlsx_unreadable(exc) from exc
    finally:
        wb.close()
    return sheets


def _read_parquet(data: bytes) -> pd.DataFrame:
    try:
        pf = pq.ParquetFile(io.BytesIO(data))
        if pf.metadata.num_columns > MAX_COLUMNS:
            raise _too_many_columns(pf.metadata.num_columns)
        _check_size(pf.metadata.num_rows, pf.metadata.num_columns)
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


def _empty_cells(col: pd.Series) -> np.ndarray:
    """True where a cell is missing, empty, only whitespace, or a spelling of missing ("NA", "-"):
    the typed read parses those as null, so a row of them is blank whichever reader read it."""
    if col.dtype == "str" or isinstance(col.dtype, pd.StringDtype):
        return _missing_text(pa.array(col.array))
    if isinstance(col.dtype, pd.CategoricalDtype):
        # Blank when missing or its category is: checked per category.
        blank_category = np.append(col.cat.categories.astype("str").str.strip().isin(_MISSING_SET), True)
        return blank_category[col.cat.codes.to_numpy()]
    if col.dtype == "object":
        return (col.isna() | col.astype("str").str.strip().isin(_MISSING_SET)).to_numpy()
    return col.isna().to_numpy()


def _blank_rows(frame: pd.DataFrame) -> pd.Series:
    """Rows whose every cell is empty or whitespace.

    Column by column over the rows still blank so far: after the first (usually filled) column only
    a handful of candidate rows remain, so a million-row file costs about one column's check. The
    first column checked is the cheapest one (numbers, then categories, text last) that is filled
    in every one of the first rows, else the one with the fewest empty cells there: a case id, not
    a long file's case details, blank on every later visit (checking those first cost 1.2 s at
    1M cases × 6 visits).
    """
    candidates: np.ndarray | None = None  # None: every row (no million-row index made up front)
    head = frame.iloc[:8_192]
    cost = [0 if d.kind in "biufcmM" and not isinstance(d, pd.CategoricalDtype) else 1 if isinstance(d, pd.CategoricalDtype) else 2
            for d in frame.dtypes.tolist()]
    order = sorted(range(frame.shape[1]), key=cost.__getitem__)
    empty_in_head: dict[int, int] = {}
    for i in order:  # the cheapest column filled in every first row, when there is one, goes first
        empty_in_head[i] = int(_empty_cells(head.iloc[:, i]).sum()) if len(head) else 0
        if empty_in_head[i] == 0:
            break
    order.sort(key=lambda i: (empty_in_head.get(i, len(head) + 1), cost[i]))
    for i in order:
        if candidates is not None and not len(candidates):
            break
        empty = _empty_cells(frame.iloc[:, i] if candidates is None else frame.iloc[candidates, i])
        candidates = np.flatnonzero(empty) if candidates is None else candidates[empty]
    blank = np.zeros(len(frame), dtype=bool)
    blank[np.arange(len(frame)) if candidates is None else candidates] = True
    return pd.Series(blank, index=frame.index)




@dataclass
class _Read:
    """One table as read, before it becomes a frame with header names."""

    frame: pd.DataFrame
    header: list[str]
    header_row: int
    decimal_comma: bool = False
    notes: list[str] = field(default_factory=list)


def _trim_blank_rows(frame: pd.DataFrame, notes: list[str]) -> tuple[pd.DataFrame, int]:
    """Drop trailing blank rows (the spreadsheet's) and skip blank rows inside the table, saying so."""
    blank = _blank_rows(frame)
    if len(frame) and not blank.any():  # the usual file: nothing to trim or skip
        return frame, len(frame)
    if len(frame) and not blank.all():
        last = blank.index[~blank.to_numpy()][-1]
        frame, blank = frame.loc[:last], blank.loc[:last]
    else:
        frame, blank = frame.iloc[0:0], blank.iloc[0:0]
    rows_read = len(frame)
    if blank.any():
        rows = blank.index[blank.to_numpy()].tolist()
        notes.append(f"{len(rows)} blank row{'s' if len(rows) > 1 else ''} skipped (row {_rows_short(rows)}): every cell empty or a "
                     "word for missing (NA, n/a, -).")
        frame = frame.loc[~blank.to_numpy()]
    return frame, rows_read


def _from_grid(grid: pd.DataFrame, notes: list[str], decimal_comma: bool = False) -> _Read:
    if grid.shape[1] > MAX_COLUMNS:
        raise _too_many_columns(grid.shape[1])
    frame, header, header_row = _grid_to_frame(grid)
    return _Read(frame, header, header_row, decimal_comma, notes)


def _finish(read: _Read, fmt: str, filename: str) -> pd.DataFrame:
    frame = read.frame
    if len(read.header) > MAX_COLUMNS:
        raise _too_many_columns(len(read.header))
    _check_size(len(frame), frame.shape[1])
    notes = list(read.notes)
    frame, rows_read = _trim_blank_rows(frame, notes)
    frame.columns = list(read.header)
    frame.attrs = {"format": fmt, "header_row": read.header_row, "decimal_comma": read.decimal_comma,
                   "notes": notes, "rows_read": rows_read, "file": filename}
    return frame


def read_source(source: Source, filename: str | None = None, options: dict | None = None) -> dict[str, pd.DataFrame]:
    """The tables of one file: {name: frame}, one per CSV/TSV/Parquet file, one per non-empty XLSX sheet.

    Each frame's columns are its header cells (text, possibly blank or repeated), its index the
    spreadsheet row numbers, and `frame.attrs` holds "format", "header_row", "decimal_comma",
    "notes" (what reading did, in the user's words), "rows_read" and "file". `options` is a
    profile's "read" section: "delimiter", "encoding", "decimal" (otherwise judged from the bytes).

    Raises:
        OutcomeDataError: the file is not a readable table.
    """
    if isinstance(source, str | os.PathLike) and not options and (mapped := _map_file(Path(source))) is not None:
        # A file on disk: the common CSV is parsed straight from the page cache (reading its bytes
        # first cost ~0.13 s a million cases); anything else is read as bytes below.
        name = filename or Path(source).name or "upload"
        fast = _read_csv_typed(mapped) if _looks_like_text(mapped[:65536]) else None
        del mapped  # Arrow keeps the mapping alive for as long as it needs it
        if fast is not None:
            frame, header = fast
            return {name: _finish(_Read(frame, header, 1), "text", name)}
    data, filename = _read_source(source, filename)
    name = filename or "upload"
    blank = b" \t\r\n\x00\xef\xbb\xbf"
    if not data[:65536].strip(blank) and not data.strip(blank):  # the head decides without copying 200 MB
        raise _fail("The file is empty.")
    fmt = _detect_format(data)

    if fmt == "parquet":
        frame = _read_parquet(data)
        header = [str(c) for c in frame.columns]
        frame.columns = range(frame.shape[1])
        frame.index = np.arange(len(frame)) + 2
        return {name: _finish(_Read(frame, header, 1), fmt, name)}
    options = options or {}
    if fmt == "text" and not options and (fast := _read_csv_typed(data)) is not None:
        frame, header = fast
        return {name: _finish(_Read(frame, header, 1), fmt, name)}
    if fmt == "xlsx":
        sheets = _read_xlsx(data)
        tables = {}
        for title, grid in sheets:
            if grid.empty or _blank_rows(grid).all():
                continue
            tables[f"{name}/{title}"] = _finish(_from_grid(grid, []), fmt, name)
        if not tables:
            raise _fail("The file is empty: no header row and no data rows.")
        return tables
    encoding = options.get("encoding")
    if encoding:
        try:
            text, note = data.decode(encoding).removeprefix("\ufeff"), None
        except (LookupError, UnicodeDecodeError):
            text, note = _decode(data)
        if note is None and encoding.replace("-", "").lower() not in ("utf8", "utf8sig"):
            note = f"Read as {encoding} text, as the import profile says."
    else:
        text, note = _decode(data)
    notes = [note] if note else []
    delimiter = options.get("delimiter") or _sniff_delimiter(text)
    decimal_comma = options["decimal"] == "," if options.get("decimal") else delimiter == ";"
    utf8 = None if note or encoding else (data[3:] if data.startswith(b"\xef\xbb\xbf") else data)
    grid = _read_csv_grid(text, delimiter, utf8)
    if delimiter == ";" and grid.shape[1] > 1:
        notes.append("Semicolon-separated file: commas in numbers were read as decimal commas (3,5 = 3.5).")
    if grid.shape[1] > MAX_COLUMNS:
        raise _too_many_columns(grid.shape[1])
    if grid.empty or _blank_rows(grid).all():
        raise _fail("The file is empty: no header row and no data rows.")
    return {name: _finish(_from_grid(grid, notes, decimal_comma), fmt, name)}


def read_tables(sources: Source | list[Source], filenames: list[str | None] | None = None,
                options: dict | None = None) -> dict[str, pd.DataFrame]:
    """Every table of one source or a list of sources, named by file (and sheet: "file.xlsx/Sheet1").

    Raises:
        OutcomeDataError: a file is not a readable table; the message names the file when there are several.
    """
    many = isinstance(sources, list | tuple)
    items = list(sources) if many else [sources]
    names = list(filenames) if filenames else [None] * len(items)
    tables: dict[str, pd.DataFrame] = {}
    for i, (source, filename) in enumerate(zip(items, names, strict=True)):
        got = read_source(source, filename, options)
        for key, frame in got.items():
            if key == "upload" and many:
                key = f"file {i + 1}"
            while key in tables:
                key += "'"
            tables[key] = frame
    return tables
