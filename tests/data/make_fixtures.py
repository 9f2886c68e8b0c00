"""Write the crafted upload fixtures in tests/data/ (run: python3 tests/data/make_fixtures.py).

Small, hand-made files that look like real clinic exports: title rows above the header, a second
sheet, Latin-1 names, a PDF and random bytes where a table was expected. The tests read the files
on disk (as a user's upload would arrive) and import MESSY_ROWS and friends from here.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd

HERE = Path(__file__).resolve().parent

# A registry-style export: Norwegian clinic, semicolons, decimal commas, Latin-1, aliases for every
# header, VAS on 0–100, stay in days, dd/mm/yyyy dates, ja/nei, "n/a", a blank row, trailing blank rows.
MESSY_CSV = (
    "Patient ID;Date of surgery;Age;Gender;Diagnosis;Technique;Level;Surgeon;Hospital;Op time (min);EBL;"
    "LOS (days);RTW days;Employed;VAS leg pre-op;VAS leg 6 weeks;VAS leg 12 months;VAS back preop;"
    "ODI pre-op;ODI 1 year;Complications;Reoperation;Satisfied;Comment\n"
    "N-001;03/04/2024;46;F;Herniated disc;PTED;L5/S1;Søren;Zürich;55;10;0,5;21;ja;72;20;10;50;44;12;none;nei;ja;day case\n"
    "N-002;13/04/2024;68;m;lumbar spinal stenosis;open;L4-5;Søren;Zürich;95;150;3;n/a;nei;80;40;30;60;48;30;dural tear;nei;ja;\n"
    "N-003;21/05/2024;52;f;HNP;microdiscectomy;L4/L5;Åse;Zürich;70;20;1;35;ja;65;25;;45;40;;none;nei;n/a;\n"
    ";;;;;;;;;;;;;;;;;;;;;;;\n"
    "N-004;02/06/2024;39;M;herniated disc;Full-endoscopic;L5-S1;Åse;Zürich;50;5;0,25;14;ja;90;10;5;55;52;8;none;nei;ja;\n"
    "N-005;17/06/2024;74;F;stenosis;tubular;L3-L4;Søren;Zürich;80;40;1,5;-;nei;70;30;20;70;46;22;infection;ja;nei;\n"
    ";;;;;;;;;;;;;;;;;;;;;;;\n"
    ";;;;;;;;;;;;;;;;;;;;;;;\n"
)
MESSY_ROWS = 5

# Broken on purpose: an unknown approach, VAS leg 11 on a 0–10 scale, a negative stay, age 250 and a
# repeated case id. Rows as a spreadsheet shows them: header = 1.
BROKEN_CSV = (
    "case_id,condition,approach,age,length_of_stay_hours,vas_leg_pre,vas_leg_12m\n"
    "B1,Herniated disc,Full-endoscopic,45,6,7,2\n"  # row 2
    "B2,Herniated disc,Laser,51,6,8,2\n"  # row 3: unknown approach
    "B3,Spinal stenosis,Open,250,96,6,3\n"  # row 4: age 250
    "B4,Spinal stenosis,Open,70,-5,6,3\n"  # row 5: negative stay
    "B5,Herniated disc,Microscopic,38,24,11,1\n"  # row 6: VAS 11
    "B1,Herniated disc,Tubular MIS,60,30,5,2\n"  # row 7: duplicate of row 2
)


def titled_workbook(third_vas_leg: float = 8) -> bytes:
    """An XLSX export: a 'Read me' sheet first; the 'Outcomes' sheet has two title rows and a blank row above the header.

    Spreadsheet rows: title 1–2, blank 3, header 4, cases 5–7. `third_vas_leg` lets a test put an
    out-of-range VAS on row 7.
    """
    wb = openpyxl.Workbook()
    readme = wb.active
    readme.title = "Read me"
    readme["A1"] = "Exported from the spine registry"
    readme["A2"] = "Contact the registry office for questions"
    ws = wb.create_sheet("Outcomes")
    ws["A1"] = "Spine outcomes export"
    ws["A2"] = "Generated 2025-01-31"
    # row 3 is blank; the header is row 4; data rows are 5, 6, 7
    header = ["Case ID", "Surgery date", "Diagnosis", "Surgical approach", "Age", "LOS (hours)", "VAS leg preop", "ODI 12m", "Satisfied"]
    rows = [
        ["X1", dt.datetime(2024, 3, 18), "Herniated disc", "Full-endoscopic", 46, 6.5, 7, 10, True],
        ["X2", dt.datetime(2024, 4, 2), "Spinal stenosis", "Tubular MIS", 68, 26, 6, 24, False],
        [3, dt.datetime(2024, 5, 21), "Herniated disc", "Open", 59, 96, third_vas_leg, None, None],
    ]
    for j, h in enumerate(header, start=1):
        ws.cell(row=4, column=j, value=h)
    for i, row in enumerate(rows, start=5):
        for j, v in enumerate(row, start=1):
            ws.cell(row=i, column=j, value=v)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def cohort_parquet() -> bytes:
    frame = pd.DataFrame(
        {
            "case_id": ["P1", "P2", "P3"],
            "surgery_date": pd.to_datetime(["2024-01-10", "2024-02-11", "2024-03-12"]),
            "condition": pd.Categorical(["Herniated disc", "Spinal stenosis", "Herniated disc"]),
            "approach": ["PELD", "Microscopic", "Open"],
            "age": [40, 71, 55],
            "vas_leg_pre": [7.5, 6.0, 8.0],
            "vas_leg_12m": [1.0, None, 3.0],
            "employed_before_surgery": [True, False, None],
        }
    )
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    return buf.getvalue()


def pdf_document() -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="Outcome report - not a table")
    return bytes(pdf.output())


def zip_not_xlsx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("outcomes.csv", "case_id,approach\n1,Open\n")
    return buf.getvalue()


def random_bytes() -> bytes:
    return random.Random(20250131).randbytes(4096)


FIXTURES = {
    "messy_export.csv": lambda: MESSY_CSV.encode("cp1252"),
    "broken_export.csv": lambda: BROKEN_CSV.encode("utf-8"),
    "titled_export.xlsx": titled_workbook,
    "cohort.parquet": cohort_parquet,
    "report.pdf": pdf_document,
    "archive.zip": zip_not_xlsx,
    "random.bin": random_bytes,
}


def main() -> None:
    for name, make in FIXTURES.items():
        (HERE / name).write_bytes(make())
        print(f"wrote tests/data/{name}")


if __name__ == "__main__":
    main()
