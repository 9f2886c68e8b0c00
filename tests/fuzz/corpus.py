"""Crafted hostile and broken uploads, generated in memory (nothing large is committed).

`crafted_corpus()` returns (name, bytes) pairs: truncated and corrupt XLSX/Parquet, a zip bomb and
XML entity-expansion workbooks, huge cells, 10,000 columns, duplicate headers, a header with no
rows, mixed encodings, formulas in cells, impossible dates and out-of-range numbers. Every file is a
few hundred kB at most on disk or in memory; the zip bomb is small compressed and large only if
someone inflates it. Run `python3 tests/fuzz/corpus.py OUT_DIR` to write them out for inspection.

Each generator is deterministic (fixed seeds) so a failure names a file that can be re-made.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import sys
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

HEADER = "case_id,condition,approach,surgery_date,age,length_of_stay_hours,vas_leg_pre,vas_leg_12m,surgeon,site"
ROW = "C{i},Herniated disc,Full-endoscopic,2024-03-18,46,6,7,2,Surgeon A,North"


def good_csv(n: int = 5) -> bytes:
    """A small valid export (the base that the corruptions start from)."""
    return ("\n".join([HEADER, *(ROW.format(i=i) for i in range(n))]) + "\n").encode()


def good_frame(n: int = 5) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(good_csv(n)), dtype=str)


def good_xlsx(n: int = 5) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    frame = good_frame(n)
    ws.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        ws.append(list(row))
    # Same bytes every run: openpyxl stamps the save time into docProps and into each zip entry, so
    # the corpus's fixed bit-flip positions would otherwise hit different fields from run to run.
    wb.properties.created = wb.properties.modified = dt.datetime(2024, 1, 1)
    buf = io.BytesIO()
    wb.save(buf)
    return _with_fixed_zip_times(buf.getvalue())


def _with_fixed_zip_times(data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2024, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def good_parquet(n: int = 5) -> bytes:
    buf = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(good_frame(n), preserve_index=False), buf)
    return buf.getvalue()


# ------------------------------------------------------------------------------------------------
# XLSX built by hand, so the XML inside can be anything.
# ------------------------------------------------------------------------------------------------

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>"
)
_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def _sheet_xml(rows: list[list[str]], dimension: str | None = None, prolog: str = "") -> str:
    def col(j: int) -> str:
        name = ""
        j += 1
        while j:
            j, r = divmod(j - 1, 26)
            name = chr(65 + r) + name
        return name

    body = "".join(
        f'<row r="{i + 1}">'
        + "".join(f'<c r="{col(j)}{i + 1}" t="inlineStr"><is><t>{v}</t></is></c>' for j, v in enumerate(row))
        + "</row>"
        for i, row in enumerate(rows)
    )
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<worksheet {_NS}>{dim}<sheetData>{body}</sheetData></worksheet>'


def _shared_strings(strings: list[str], prolog: str = "") -> str:
    items = "".join(f"<si><t>{s}</t></si>" for s in strings)
    return f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<sst {_NS} count="{len(strings)}" uniqueCount="{len(strings)}">{items}</sst>'


def hand_xlsx(sheet: str | Callable[[zipfile.ZipFile], None], shared: str | None = None,
              workbook: str = _WORKBOOK) -> bytes:
    """A minimal workbook whose sheet1.xml (and sharedStrings.xml) are exactly the text given.

    `sheet` may be a callable that writes xl/worksheets/sheet1.xml itself (for streamed, very large
    members such as the zip bomb).
    """
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _ROOT_RELS)
        zf.writestr("xl/workbook.xml", workbook)
        zf.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        if callable(sheet):
            sheet(zf)
        else:
            zf.writestr("xl/worksheets/sheet1.xml", sheet)
        zf.writestr("xl/sharedStrings.xml", shared if shared is not None else _shared_strings([]))
    return buf.getvalue()


def _header_and_row() -> list[list[str]]:
    return [HEADER.split(","), ROW.format(i=1).split(",")]


# Billion laughs: 10 levels of 10 references, 10^9 "lol"s if a parser expands them.
_LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
    + "]>"
)


def billion_laughs_sheet() -> bytes:
    rows = _header_and_row()
    rows[1][1] = "&lol9;"
    return hand_xlsx(_sheet_xml(rows, prolog=_LAUGHS))


def billion_laughs_shared_strings() -> bytes:
    return hand_xlsx(_sheet_xml(_header_and_row()), shared=_shared_strings(["&lol9;"], prolog=_LAUGHS))


def billion_laughs_workbook() -> bytes:
    workbook = _WORKBOOK.replace('name="Sheet1"', 'name="&lol9;"').replace("<workbook ", _LAUGHS + "<workbook ", 1)
    return hand_xlsx(_sheet_xml(_header_and_row()), workbook=workbook)


def external_entity_sheet() -> bytes:
    """XXE: a cell whose text is the server's /etc/passwd if the parser resolves external entities."""
    rows = _header_and_row()
    rows[1][1] = "&xxe;"
    return hand_xlsx(_sheet_xml(rows, prolog='<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'))


def quadratic_blowup_sheet() -> bytes:
    """One 50 kB entity referenced 5,000 times: 250 MB if expanded (no nesting, so 'depth' limits miss it)."""
    rows = _header_and_row()
    rows[1][1] = "&a;" * 5000
    return hand_xlsx(_sheet_xml(rows, prolog=f'<!DOCTYPE r [<!ENTITY a "{"x" * 50_000}">]>'))


def zip_bomb_sheet(inflated_mb: int = 1024) -> bytes:
    """A worksheet member that inflates to `inflated_mb` MB of valid XML (one enormous cell text).

    Compressed it is about a thousandth of that (about 1 MB for 1 GB), streamed into the zip so the
    inflated text never exists in this process's memory.
    """

    def write(zf: zipfile.ZipFile) -> None:
        chunk = b"A" * (1 << 20)
        head = (f'<?xml version="1.0" encoding="UTF-8"?><worksheet {_NS}><sheetData>'
                f'<row r="1"><c r="A1" t="inlineStr"><is><t>case_id</t></is></c></row>'
                f'<row r="2"><c r="A2" t="inlineStr"><is><t>').encode()
        tail = b"</t></is></c></row></sheetData></worksheet>"
        info = zipfile.ZipInfo("xl/worksheets/sheet1.xml")
        info.compress_type = zipfile.ZIP_DEFLATED
        with zf.open(info, "w", force_zip64=True) as out:
            out.write(head)
            for _ in range(inflated_mb):
                out.write(chunk)
            out.write(tail)

    return hand_xlsx(write)


def zip_bomb_shared_strings(inflated_mb: int = 512) -> bytes:
    """sharedStrings.xml inflating to `inflated_mb` MB: openpyxl reads this part whole, even read-only."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _ROOT_RELS)
        zf.writestr("xl/workbook.xml", _WORKBOOK)
        zf.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        zf.writestr("xl/worksheets/sheet1.xml", _sheet_xml(_header_and_row()))
        info = zipfile.ZipInfo("xl/sharedStrings.xml")
        info.compress_type = zipfile.ZIP_DEFLATED
        with zf.open(info, "w", force_zip64=True) as out:
            out.write(f'<?xml version="1.0" encoding="UTF-8"?><sst {_NS}><si><t>'.encode())
            chunk = b"B" * (1 << 20)
            for _ in range(inflated_mb):
                out.write(chunk)
            out.write(b"</t></si></sst>")
    return buf.getvalue()


def lying_dimension_rows(n_rows: int = 2_100_000) -> bytes:
    """A sheet that says it is A1:B2 but holds more rows than SpineDash reads (each row tiny)."""

    def write(zf: zipfile.ZipFile) -> None:
        info = zipfile.ZipInfo("xl/worksheets/sheet1.xml")
        info.compress_type = zipfile.ZIP_DEFLATED
        with zf.open(info, "w", force_zip64=True) as out:
            out.write(f'<?xml version="1.0" encoding="UTF-8"?><worksheet {_NS}><dimension ref="A1:B2"/><sheetData>'.encode())
            out.write(b'<row r="1"><c r="A1" t="inlineStr"><is><t>case_id</t></is></c>'
                      b'<c r="B1" t="inlineStr"><is><t>vas_leg_pre</t></is></c></row>')
            step = 10_000
            for start in range(2, n_rows + 2, step):
                out.write(b"".join(b'<row><c><v>1</v></c></row>' for _ in range(min(step, n_rows + 2 - start))))
            out.write(b"</sheetData></worksheet>")

    return hand_xlsx(write)


def lying_dimension_xlsx(n_rows: int = 50) -> bytes:
    """A valid export whose <dimension> claims A1:J2 while the sheet holds `n_rows` cases."""
    rows = [HEADER.split(","), *(ROW.format(i=i).split(",") for i in range(n_rows))]
    return hand_xlsx(_sheet_xml(rows, dimension="A1:J2"))


def wide_xlsx(n_columns: int = 10_000) -> bytes:
    return hand_xlsx(_sheet_xml([[f"col{j}" for j in range(n_columns)], ["1"] * n_columns]))


def formulas_xlsx() -> bytes:
    """Formula cells (no cached values, as a script-written workbook has) and formula-looking text."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER.split(","))
    ws.append(["C1", "Herniated disc", "Full-endoscopic", "2024-03-18", "=40+6", "=1/0", "=SUM(A1:A2)", 2, "=HYPERLINK(\"http://x\")", "North"])
    ws.append(["C2", '=cmd|" /C calc"!A0', "Open", "2024-03-18", 50, 6, 7, 2, "@SUM(1)", "North"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def multi_sheet_xlsx(n_sheets: int = 50) -> bytes:
    wb = openpyxl.Workbook()
    for i in range(n_sheets):
        ws = wb.active if i == 0 else wb.create_sheet(f"S{i}")
        ws.append(["x", "y"])
    wb.active.append(["1", "2"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def xlsx_with_member_removed(member: str) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(good_xlsx()))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in src.infolist():
            if info.filename != member:
                zf.writestr(info, src.read(info.filename))
    return buf.getvalue()


def xlsx_with_member_replaced(member: str, data: bytes) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(good_xlsx()))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in src.infolist():
            zf.writestr(info, data if info.filename == member else src.read(info.filename))
    return buf.getvalue()


def xlsx_bad_crc() -> bytes:
    """A workbook whose sheet member fails its CRC check (a bit flipped inside the compressed data)."""
    data = bytearray(good_xlsx())
    zf = zipfile.ZipFile(io.BytesIO(bytes(data)))
    info = zf.getinfo("xl/worksheets/sheet1.xml")
    # Local header: 30 bytes + name + extra; flip a byte in the middle of the stored data.
    name_len = int.from_bytes(data[info.header_offset + 26: info.header_offset + 28], "little")
    extra_len = int.from_bytes(data[info.header_offset + 28: info.header_offset + 30], "little")
    start = info.header_offset + 30 + name_len + extra_len
    data[start + info.compress_size // 2] ^= 0xFF
    return bytes(data)


# ------------------------------------------------------------------------------------------------
# Text files.
# ------------------------------------------------------------------------------------------------

def csv_rows(rows: list[list[str]], sep: str = ",") -> bytes:
    return ("\n".join(sep.join(r) for r in rows) + "\n").encode()


def _one_row(**cells: str) -> bytes:
    header = HEADER.split(",")
    row = ROW.format(i=1).split(",")
    for k, v in cells.items():
        row[header.index(k)] = v
    return csv_rows([header, row])


def wide_csv(n_columns: int = 10_000) -> bytes:
    return csv_rows([[f"col{j}" for j in range(n_columns)], ["1"] * n_columns])


def wide_valid_csv(n_extra: int = 10_000) -> bytes:
    """The canonical columns followed by 10,000 unknown ones."""
    header = HEADER.split(",") + [f"extra{j}" for j in range(n_extra)]
    row = ROW.format(i=1).split(",") + ["x"] * n_extra
    return csv_rows([header, row])


def huge_cell_csv(cell_mb: int = 8, column: str = "condition") -> bytes:
    return _one_row(**{column: "X" * (cell_mb << 20)})


def huge_header_csv(cell_mb: int = 4) -> bytes:
    return csv_rows([["case_id", "H" * (cell_mb << 20), "vas_leg_pre"], ["C1", "x", "7"]])


def many_bad_values_csv(n: int = 20_000) -> bytes:
    """20,000 distinct unknown approaches: the error must stay short."""
    header = HEADER.split(",")
    rows = [header] + [ROW.format(i=i).replace("Full-endoscopic", f"Laser{i}").split(",") for i in range(n)]
    return csv_rows(rows)


def mixed_encoding_csv() -> bytes:
    head = (HEADER + "\n").encode()
    return (head + "C1,Herniated disc,Full-endoscopic,2024-03-18,46,6,7,2,Søren,Zürich\n".encode()
            + "C2,Herniated disc,Open,2024-03-18,46,6,7,2,Søren,Zürich\n".encode("cp1252"))


def crafted_corpus() -> Iterator[tuple[str, bytes]]:
    """Every crafted input, (name, bytes); names say what each one is."""
    rng = random.Random(20240318)
    good = good_csv()
    gx = good_xlsx()
    gp = good_parquet()

    # Empty and nearly empty.
    yield "empty", b""
    yield "whitespace", b"   \n\t\r\n  "
    yield "bom_only", b"\xef\xbb\xbf"
    yield "nul_bytes", b"\x00" * 1000
    yield "one_cell", b"case_id"
    yield "only_header", (HEADER + "\n").encode()
    yield "only_header_xlsx", hand_xlsx(_sheet_xml([HEADER.split(",")]))
    yield "only_header_parquet", _parquet_of(pd.DataFrame({c: pd.Series([], dtype="str") for c in HEADER.split(",")}))
    yield "only_blank_rows", b",,,\n,,,\n,,,\n"
    yield "newlines_only", b"\n" * 10_000

    # Random bytes with and without a plausible magic number in front.
    for i in range(10):
        yield f"random_{i}", rng.randbytes(rng.choice([1, 7, 100, 4096, 65_537]))
    for magic in (b"PAR1", b"PK\x03\x04", b"PK\x05\x06", b"%PDF", b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf", b"RIFF\x00\x00\x00\x00WEBP"):
        yield f"magic_{magic[:4].hex()}_random", magic + rng.randbytes(2000)
    yield "parquet_magic_both_ends", b"PAR1" + rng.randbytes(500) + b"PAR1"

    # Truncated and corrupt XLSX / Parquet / CSV.
    for frac in (0.05, 0.25, 0.5, 0.75, 0.95, 0.99):
        yield f"xlsx_truncated_{int(frac * 100)}", gx[: int(len(gx) * frac)]
        yield f"parquet_truncated_{int(frac * 100)}", gp[: int(len(gp) * frac)]
        yield f"csv_truncated_{int(frac * 100)}", good[: int(len(good) * frac)]
    for i in range(12):
        data = bytearray(gx)
        for _ in range(rng.choice([1, 5, 50])):
            data[rng.randrange(len(data))] = rng.randrange(256)
        yield f"xlsx_bitflip_{i}", bytes(data)
    for i in range(12):
        data = bytearray(gp)
        for _ in range(rng.choice([1, 5, 50])):
            pos = rng.randrange(4, len(data) - 4)  # keep the magic so the Parquet reader is reached
            data[pos] = rng.randrange(256)
        yield f"parquet_bitflip_{i}", bytes(data)
    yield "xlsx_bad_crc", xlsx_bad_crc()
    for member in ("xl/workbook.xml", "xl/worksheets/sheet1.xml", "[Content_Types].xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml"):
        yield f"xlsx_without_{member.replace('/', '_')}", xlsx_with_member_removed(member)
    yield "xlsx_sheet_not_xml", xlsx_with_member_replaced("xl/worksheets/sheet1.xml", b"not xml at all <<<")
    yield "xlsx_sheet_random", xlsx_with_member_replaced("xl/worksheets/sheet1.xml", rng.randbytes(3000))
    yield "xlsx_workbook_empty", xlsx_with_member_replaced("xl/workbook.xml", b"")
    yield "xlsx_styles_garbage", xlsx_with_member_replaced("xl/styles.xml", b"<styleSheet><numFmts count='x'>")
    yield "xlsx_no_sheets", hand_xlsx(_sheet_xml([]), workbook=_WORKBOOK.replace('<sheet name="Sheet1" sheetId="1" r:id="rId1"/>', ""))
    yield "xlsx_sheet_missing_target", hand_xlsx(_sheet_xml([]), workbook=_WORKBOOK.replace('r:id="rId1"', 'r:id="rId9"'))
    yield "xlsx_bad_cell_ref", hand_xlsx(_sheet_xml(_header_and_row()).replace('r="A2"', 'r="ZZZZZZ99999999"'))
    yield "xlsx_bad_number", hand_xlsx(f'<?xml version="1.0"?><worksheet {_NS}><sheetData><row r="1"><c r="A1"><v>abc</v></c></row></sheetData></worksheet>')
    yield "xlsx_shared_index_out_of_range", hand_xlsx(f'<?xml version="1.0"?><worksheet {_NS}><sheetData><row r="1"><c r="A1" t="s"><v>99</v></c></row></sheetData></worksheet>')
    yield "xlsx_bad_date_cell", hand_xlsx(f'<?xml version="1.0"?><worksheet {_NS}><sheetData><row r="1"><c r="A1" t="d"><v>31/02/2024</v></c></row></sheetData></worksheet>')
    yield "zip_not_xlsx", _zip_of({"a.txt": b"hello"})
    yield "zip_empty", _zip_of({})
    yield "docx_like", _zip_of({"word/document.xml": b"<w/>"})
    yield "gzip_csv", zlib.compress(good)  # zlib stream, not a gzip header: judged as text
    yield "parquet_footer_only", b"PAR1" + (1 << 30).to_bytes(4, "little") + b"PAR1"

    # XML attacks inside XLSX, and zip bombs (small here, large only when inflated).
    yield "xlsx_billion_laughs_sheet", billion_laughs_sheet()
    yield "xlsx_billion_laughs_shared_strings", billion_laughs_shared_strings()
    yield "xlsx_billion_laughs_workbook", billion_laughs_workbook()
    yield "xlsx_external_entity", external_entity_sheet()
    yield "xlsx_quadratic_blowup", quadratic_blowup_sheet()
    yield "xlsx_zip_bomb_sheet_256mb", zip_bomb_sheet(256)
    yield "xlsx_zip_bomb_shared_strings_256mb", zip_bomb_shared_strings(256)
    yield "xlsx_lying_dimension_2m_rows", lying_dimension_rows()
    yield "xlsx_lying_dimension_50_rows", lying_dimension_xlsx()

    # Shapes: huge cells, 10,000 columns, duplicate headers.
    yield "csv_10000_columns", wide_csv()
    yield "csv_10000_extra_columns", wide_valid_csv()
    yield "xlsx_10000_columns", wide_xlsx()
    yield "parquet_10000_columns", _parquet_table(pa.table({f"c{j}": pa.array(["1"]) for j in range(10_000)}))
    yield "csv_huge_cell_condition_8mb", huge_cell_csv(8, "condition")
    yield "csv_huge_cell_surgeon_8mb", huge_cell_csv(8, "surgeon")
    yield "csv_huge_cell_case_id_8mb", huge_cell_csv(8, "case_id")
    yield "csv_huge_cell_date_2mb", huge_cell_csv(2, "surgery_date")
    yield "csv_huge_cell_number_2mb", _one_row(age="9" * (2 << 20))
    yield "csv_huge_header_4mb", huge_header_csv()
    yield "csv_one_line_no_newline_4mb", b"x," * (2 << 20)
    yield "csv_20000_unknown_approaches", many_bad_values_csv()
    yield "csv_duplicate_headers", csv_rows([["case_id", "case_id", "condition", "approach", "vas_leg_pre"], ["C1", "C2", "Herniated disc", "Open", "7"]])
    yield "csv_duplicate_alias_headers", csv_rows([["Patient ID", "case_id", "Diagnosis", "condition", "approach", "VAS leg pre-op"], ["C1", "C1", "HNP", "HNP", "Open", "7"]])
    yield "csv_duplicate_unknown_headers", csv_rows([HEADER.split(",") + ["x", "x", "x"], ROW.format(i=1).split(",") + ["1", "2", "3"]])
    yield "csv_blank_headers", csv_rows([["", "", ""], ["1", "2", "3"]])
    yield "csv_ragged", b"case_id,condition\nC1\nC2,Herniated disc,Open,extra,extra\n,,,,,,,,,,,,,,\n"
    yield "csv_unclosed_quote", (HEADER + '\nC1,"Herniated disc,Open\n').encode()
    yield "csv_quotes_everywhere", b'"""""",""",""\n"""\n'
    yield "csv_title_rows_only", b"Spine registry export\nGenerated 2024\n\n\n"
    yield "csv_30_title_rows", ("title\n" * 40 + good.decode()).encode()
    yield "parquet_duplicate_columns", _parquet_table(pa.table([pa.array(["C1"]), pa.array(["C2"])], names=["case_id", "case_id"]))
    yield "parquet_nested_types", _parquet_table(pa.table({"case_id": ["C1"], "condition": [["Herniated disc"]], "approach": [{"a": 1}], "vas_leg_pre": [[1.0, 2.0]]}))
    yield "parquet_binary_column", _parquet_table(pa.table({"case_id": pa.array([b"\x00\xff"], pa.binary()), "condition": ["Herniated disc"], "approach": ["Open"], "vas_leg_pre": [7.0]}))
    yield "parquet_odd_types", _parquet_table(pa.table({
        "case_id": pa.array([1, 2], pa.int64()), "condition": ["Herniated disc", "Herniated disc"], "approach": ["Open", "Open"],
        "surgery_date": pa.array([0, 10**12], pa.timestamp("s")), "age": pa.array([True, False]),
        "vas_leg_pre": pa.array([1.5, None], pa.float32()), "odi_pre": pa.array([1, 2], pa.decimal128(5, 2)),
        "length_of_stay_hours": pa.array([10**18, -(10**18)], pa.int64()),
    }))
    yield "parquet_int_column_names", _parquet_table(pa.table({"0": [1], "1": [2]}))
    yield "parquet_zero_columns", _parquet_table(pa.table({}))

    # Mixed and unusual encodings.
    yield "mixed_utf8_cp1252", mixed_encoding_csv()
    yield "utf16le_bom", b"\xff\xfe" + good.decode().encode("utf-16-le")
    yield "utf16be_bom", b"\xfe\xff" + good.decode().encode("utf-16-be")
    yield "utf16le_no_bom", good.decode().encode("utf-16-le")
    yield "utf16_bom_odd_length", b"\xff\xfe" + good.decode().encode("utf-16-le")[:-1]
    yield "utf32", good.decode().encode("utf-32")
    yield "shift_jis", _one_row(surgeon="山田太郎").decode().encode("shift_jis")
    yield "latin1_names", _one_row(surgeon="Søren Ødegård", site="Zürich").decode().encode("latin-1")
    yield "utf8_bom_semicolon", b"\xef\xbb\xbf" + good.replace(b",", b";")
    yield "control_chars", _one_row(surgeon="A\x01\x02\x03B\x1b[31m")
    yield "rtl_override_and_zero_width", _one_row(surgeon="\u202eevil\u200b\ufeff")
    yield "lone_surrogate_escaped", _one_row(surgeon="\\ud800")
    yield "cr_only_newlines", good.replace(b"\n", b"\r")
    yield "crlf_newlines", good.replace(b"\n", b"\r\n")

    # Formulas and dangerous text in cells.
    yield "csv_formulas", csv_rows([HEADER.split(","), ["=1+1", "=cmd|' /C calc'!A0", "+Open", "-2024", "@SUM(1)", "\t=1", "\r=1", "7", "=HYPERLINK(\"http://x\")", "-North"]])
    yield "xlsx_formulas", formulas_xlsx()
    yield "csv_html_in_cells", _one_row(surgeon="<img src=x onerror=alert(1)>", site="<script>alert(1)</script>")
    yield "csv_markdown_in_cells", _one_row(surgeon="[click](javascript:alert(1))", site="![x](http://127.0.0.1:1/x.png)")
    yield "xlsx_many_sheets", multi_sheet_xlsx()

    # Dates and numbers a validator must refuse, not crash on.
    for i, d in enumerate(("31/02/2024", "30/02/2024", "00/00/0000", "2024-13-45", "2024-02-30", "99/99/9999", "1/1/1", "0000-01-01",
                           "9999-12-31", "2024-02-29T25:61:61", "99999", "10000.5", "1e10", "-1", "today", "2024-03-18 12:00:00+99:00",
                           "29/02/2023", "31/04/2024", "12/31/2024", "31/12/2024;01/31/2024")):
        yield f"date_{i}", _one_row(surgery_date=d)
    for i, n in enumerate(("1e309", "-1e309", "1e-400", "nan", "inf", "-inf", "Infinity", "1.7976931348623157e308", "0x10", "١٢",
                           "1,2,3", "1.2.3", "--5", "+-5", "5e", "e5", ".", "1_000", "1 000 000", "９")):
        yield f"number_{i}", _one_row(age=n, vas_leg_pre=n if i % 2 else "7", length_of_stay_hours=n if i % 3 == 0 else "6")
    yield "numbers_all_huge", csv_rows([HEADER.split(","), *(ROW.format(i=i).replace(",46,6,7,2,", ",1e308,1e308,1e308,1e308,").split(",") for i in range(3))])
    yield "excel_serial_dates_extreme", csv_rows([HEADER.split(","), *(ROW.format(i=i).replace("2024-03-18", s).split(",") for i, s in enumerate(["0", "60", "2958466", "80001", "10000"]))])


def _zip_of(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _parquet_table(table: pa.Table) -> bytes:
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


def _parquet_of(frame: pd.DataFrame) -> bytes:
    return _parquet_table(pa.Table.from_pandas(frame, preserve_index=False))


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "fuzz_corpus")
    out.mkdir(parents=True, exist_ok=True)
    for name, data in crafted_corpus():
        (out / name).write_bytes(data)
        print(f"{len(data):>10,}  {name}")
