"""Exports never carry a live spreadsheet formula or markup, end to end from an upload.

tests/test_export.py checks `neutralise_formulas` for every dangerous leading character and reads
back =, - and @ from the files. Here every character (=, +, -, @, tab, carriage return) goes the
whole way a surgeon's data goes — uploaded text read by `load_outcomes` where the reader keeps it,
or a frame built directly where the reader trims it — into the CSV and XLSX downloads, and is read
back from the bytes: by Python's csv module as a spreadsheet would see the cell, and by openpyxl
as the cell's type. Chart images get the same treatment for markup: an SVG carries a surgeon's
name as text, never as an element.
"""

from __future__ import annotations

import csv
import io

import altair as alt
import openpyxl
import pandas as pd
import pytest

from spinedash.export import FORMULA_PREFIXES, chart_image, to_csv_bytes, to_xlsx_bytes
from spinedash.ingest import load_outcomes

DANGEROUS = ["=", "+", "-", "@", "\t", "\r"]
PAYLOAD = "cmd|' /C calc'!A0"


def test_the_list_of_dangerous_characters_is_owasps():
    # OWASP CSV injection: =, +, -, @, tab (0x09), carriage return (0x0D).
    assert set(FORMULA_PREFIXES) == set(DANGEROUS)


def _csv_cells(data: bytes) -> list[list[str]]:
    text = data.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline="")))


def _frame(prefix: str) -> pd.DataFrame:
    value = f"{prefix}{PAYLOAD}"
    return pd.DataFrame({
        "case_id": pd.Series(["C1", f"{prefix}2+3"], dtype="str"),
        "surgeon": pd.Series([value, "Dr Plain"], dtype="category"),
        "site": pd.Series([value, None], dtype="object"),
        "procedure": pd.Series([value, "Discectomy"], dtype="string"),
        "vas_leg_change": [-3.5, 1.0],  # a negative number is data, not a formula
        f"{prefix}header": [1, 2],
    })


@pytest.mark.parametrize("prefix", DANGEROUS, ids=repr)
def test_csv_cells_and_headers_read_back_as_text(prefix):
    cells = _csv_cells(to_csv_bytes(_frame(prefix)))
    header, first, second = cells[0], cells[1], cells[2]
    assert header[-1] == f"'{prefix}header"
    assert first[1:4] == [f"'{prefix}{PAYLOAD}"] * 3
    assert second[0] == f"'{prefix}2+3"
    assert first[4] == "-3.5"
    # No cell of the file starts with a character a spreadsheet would evaluate.
    assert not any(c.startswith(tuple(DANGEROUS)) for row in cells for c in row if c != "-3.5")


def test_a_line_break_inside_a_cell_cannot_start_a_row_with_a_formula():
    """'Dr X<CR>=1+1' is one cell; written unquoted, the part after the break would open a new row as a live formula."""
    frame = pd.DataFrame({"surgeon": ["Dr X\r=1+1", "Dr Y\n@SUM(1)", "Dr Z\r\n-2+3"], "n": [1, 2, 3]})
    cells = _csv_cells(to_csv_bytes(frame))
    assert cells == [["surgeon", "n"], ["Dr X\r=1+1", "1"], ["Dr Y\n@SUM(1)", "2"], ["Dr Z\r\n-2+3", "3"]]


@pytest.mark.parametrize("prefix", DANGEROUS, ids=repr)
def test_xlsx_cells_and_headers_read_back_as_strings(prefix):
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx_bytes(_frame(prefix))))
    ws = book.worksheets[0]
    rows = [list(row) for row in ws.iter_rows()]
    prefix = prefix.replace("\r", "\n")  # XML reads a stored carriage return back as a line feed
    assert rows[0][-1].value == f"'{prefix}header"
    for cell in rows[1][1:4]:
        assert cell.value == f"'{prefix}{PAYLOAD}" and cell.data_type == "s"
    assert rows[2][0].value == f"'{prefix}2+3"
    assert rows[1][4].value == -3.5 and rows[1][4].data_type == "n"
    assert all(c.data_type != "f" for ws in book.worksheets for row in ws.iter_rows() for c in row)


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@"])
def test_uploaded_formula_text_stays_neutral_from_upload_to_download(prefix):
    """Upload -> load_outcomes -> CSV/XLSX export: the surgeon, site and procedure a file carried come out neutralised.

    (Tab and carriage return cannot survive the reader, which trims cells; they are covered above.)
    """
    value = f"{prefix}HYPERLINK(\"http://127.0.0.1:9/\",\"click\")"
    quoted = '"' + value.replace('"', '""') + '"'
    upload = (
        "case_id,condition,approach,vas_leg_pre,vas_leg_12m,surgeon,site,procedure\n"
        f"C1,Herniated disc,Open,7,2,{quoted},{quoted},{quoted}\n"
        "C2,Herniated disc,Open,6,1,Dr Plain,North,Discectomy\n"
    ).encode()
    cases = load_outcomes(upload, filename="upload.csv").cases
    assert cases.loc[0, "surgeon"] == value  # the reader keeps the text as the surgeon typed it

    cells = _csv_cells(to_csv_bytes(cases))
    header = cells[0]
    first = dict(zip(header, cells[1], strict=True))
    for column in ("surgeon", "site", "procedure"):
        assert first[column] == "'" + value

    ws = openpyxl.load_workbook(io.BytesIO(to_xlsx_bytes(cases))).worksheets[0]
    names = [c.value for c in ws[1]]
    for column in ("surgeon", "site", "procedure"):
        cell = ws.cell(row=2, column=names.index(column) + 1)
        assert cell.value == "'" + value and cell.data_type == "s"


def test_chart_svg_carries_uploaded_names_as_text_not_markup():
    names = ["<script>alert(1)</script>", "<img src=x onerror=alert(2)>", "Dr & Co"]
    frame = pd.DataFrame({"surgeon": names, "cases": [3, 4, 5]})
    chart = alt.Chart(frame).mark_bar().encode(x=alt.X("surgeon:N", title="Surgeon"), y=alt.Y("cases:Q", title="Cases"))
    svg = chart_image(chart, "svg", "Cases by surgeon <b>bold</b>", ["Data: <img src=x onerror=alert(3)>.csv"]).decode()
    assert "<script" not in svg and "<img" not in svg and "<b>" not in svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in svg
    assert "&lt;img src=x onerror=alert(2)&gt;" in svg or "&lt;img src=x onerror=alert(2)&gt;".replace("=", "&#61;") in svg
    assert "Dr &amp; Co" in svg
