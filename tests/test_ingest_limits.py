"""The import's size limits: bytes per file, rows and cells per table, cases after shaping.

A long export (one row per case and time point) has several rows per case, so rows are capped
generously and cases separately; cells (rows × columns) bound the memory a table takes.
"""

from __future__ import annotations

import importlib
import io
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from spinedash import sample
from spinedash.ingest import MAX_CASES, MAX_CELLS, MAX_ROWS, MAX_UPLOAD_MB, load_outcomes
from spinedash.ingest import read as ingest_read
from spinedash.validation import OutcomeDataError

# the module, not the function spinedash.ingest.shape that the package exports under the same name
ingest_shape = importlib.import_module("spinedash.ingest.shape")
ROOT = Path(__file__).resolve().parents[1]
TIMEPOINTS = ("pre", "2w", "6w", "3m", "6m", "12m")
MEASURES = ("vas_leg", "vas_back", "odi")


def _refusal(data: bytes, **kwargs) -> str:
    with pytest.raises(OutcomeDataError) as err:
        load_outcomes(data, **kwargs)
    return " ".join(p.message for p in err.value.problems)


def _long_csv(n_cases: int, tmp: Path) -> bytes:
    """n synthetic cases laid out as bench/long_format.py writes them: a row per case and time point,
    that visit's VAS leg, VAS back and ODI, the case details on the pre-op row only."""
    buf = io.BytesIO()
    wide_path = tmp / "wide.csv"  # synthetic cases only
    sample.write_cohort_csv(sample.generate_cohort(n_cases, 5), wide_path)
    wide = pacsv.read_csv(wide_path)
    measure_cols = {f"{m}_{tp}" for m in MEASURES for tp in TIMEPOINTS}
    case_cols = [c for c in wide.column_names if c not in measure_cols and c != "case_id"]
    parts = []
    for tp in TIMEPOINTS:
        cols = {"case_id": wide["case_id"], "timepoint": pa.array(np.full(n_cases, tp))}
        for c in case_cols:
            cols[c] = wide[c] if tp == "pre" else pa.nulls(n_cases, type=wide[c].type)
        for m in MEASURES:
            col = f"{m}_{tp}"
            cols[m] = wide[col].cast(pa.float64()) if col in wide.column_names else pa.nulls(n_cases, type=pa.float64())
        parts.append(pa.table(cols))
    long = pa.concat_tables(parts)
    long = long.take(pa.array(np.arange(long.num_rows).reshape(len(TIMEPOINTS), n_cases).T.ravel()))
    pacsv.write_csv(long, buf)
    return buf.getvalue()


def test_a_million_cases_laid_out_long_fit_every_limit(tmp_path):
    """Issue 12: 1M cases × 6 time points, long, was refused by the app's own limits (2M rows)."""
    data = _long_csv(2000, tmp_path)
    table = pacsv.read_csv(io.BytesIO(data))
    bytes_per_case = len(data) / 2000
    assert bytes_per_case * 1_000_000 < 0.9 * MAX_UPLOAD_MB * 1024 * 1024  # room for longer ids and text
    rows = 1_000_000 * len(TIMEPOINTS)
    assert rows <= MAX_ROWS
    assert rows * table.num_columns <= MAX_CELLS
    assert 1_000_000 <= MAX_CASES
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == MAX_UPLOAD_MB


def test_a_long_file_with_more_rows_than_the_case_limit_is_read(monkeypatch, tmp_path):
    data = _long_csv(40, tmp_path)  # 240 rows
    monkeypatch.setattr(ingest_shape, "MAX_CASES", 40)
    result = load_outcomes(data, filename="long.csv")
    assert result.layout["kind"] == "long"
    assert len(result.cases) == 40 and result.rows_read == 240
    monkeypatch.setattr(ingest_shape, "MAX_CASES", 39)
    message = _refusal(data, filename="long.csv")
    assert "holds 40 cases" in message and "at most 39" in message


def test_a_wide_file_over_the_case_limit_is_refused(monkeypatch):
    data = b"case_id,condition,approach,vas_leg_pre\nC1,Herniated disc,Open,7\nC2,Herniated disc,Open,6\nC3,Herniated disc,Open,5\n"
    monkeypatch.setattr(ingest_shape, "MAX_CASES", 2)
    assert "holds 3 cases; SpineDash reads at most 2." in _refusal(data)
    monkeypatch.setattr(ingest_shape, "MAX_CASES", 3)
    assert len(load_outcomes(data).cases) == 3


CSV = b"case_id,condition,approach,vas_leg_pre\nC1,Herniated disc,Open,7\nC2,Herniated disc,Open,6\nC3,Herniated disc,Open,5\n"


@pytest.mark.parametrize(
    "data",
    [
        CSV,  # the typed reader
        CSV.replace(b",", b";"),  # the text grid (semicolons)
        b"Export from the registry\n" + CSV,  # a title row: the csv module
    ],
    ids=["typed", "semicolon", "title-row"],
)
def test_cells_beyond_the_limit_are_refused_whichever_reader(monkeypatch, data):
    monkeypatch.setattr(ingest_read, "MAX_CELLS", 11)  # 3 rows × 4 columns = 12
    message = _refusal(data)
    assert "3 rows of 4 columns (12 cells)" in message and "at most 11 cells" in message
    monkeypatch.setattr(ingest_read, "MAX_CELLS", 12)
    assert len(load_outcomes(data).cases) == 3


def test_parquet_cells_are_judged_from_its_metadata(monkeypatch):
    frame = pd.read_csv(io.BytesIO(CSV))
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    monkeypatch.setattr(ingest_read, "MAX_CELLS", 11)
    assert "(12 cells)" in _refusal(buf.getvalue())


def test_rows_beyond_the_row_limit_are_refused(monkeypatch):
    monkeypatch.setattr(ingest_read, "MAX_ROWS", 2)
    assert "The file has 3 rows; SpineDash reads at most 2." in _refusal(CSV)


def test_ragged_files_keep_the_smaller_cap_of_the_cell_by_cell_reader(monkeypatch):
    ragged = CSV + b"C4,Herniated disc,Open,4,extra,cells\n"
    assert len(load_outcomes(ragged).cases) == 4  # read cell by cell, the extra cells ignored
    monkeypatch.setattr(ingest_read, "MAX_RAGGED_MB", 0.00001)  # about 10 bytes
    message = _refusal(ragged)
    assert "different numbers of cells" in message and "plain table" in message
