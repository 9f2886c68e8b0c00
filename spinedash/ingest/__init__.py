"""Read a clinic's outcome export into the canonical case table: a pipeline of four stages.

    read      bytes -> tables               spinedash.ingest.read
    shape     tables -> one row per case    spinedash.ingest.shape
    map       columns, codes, units         spinedash.ingest.map
    validate  -> canonical cases            spinedash.ingest.validate

`load_outcomes` accepts what registries and spreadsheets really produce — semicolons and decimal
commas, Latin-1, title rows above the header, "LOS (days)", VAS on 0–100, dd/mm/yyyy dates, "ja/nei"
— maps it onto `spinedash.schema`, and either returns the cases with the warnings worth reading, or
raises `OutcomeDataError` listing every problem with the spreadsheet rows it is on (header row = 1).

Pure Python + pandas/pyarrow; no Streamlit. Everything is column-at-a-time (no per-row Python).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import pandas as pd
import pyarrow as pa

from spinedash.ingest.map import header_aliases, map_columns, match_header
from spinedash.ingest.profile import ProfileSource, load_profile
from spinedash.ingest.read import MAX_COLUMNS, MAX_ROWS, MAX_UPLOAD_MB, Source, read_tables
from spinedash.ingest.shape import detect_layout, shape
from spinedash.ingest.template import data_dictionary_csv, data_dictionary_table, template_csv
from spinedash.ingest.validate import validate
from spinedash.validation import OutcomeDataError, Problem

__all__ = [
    "MAX_COLUMNS",
    "MAX_ROWS",
    "MAX_UPLOAD_MB",
    "IngestResult",
    "OutcomeDataError",
    "Problem",
    "data_dictionary_csv",
    "data_dictionary_table",
    "header_aliases",
    "load_outcomes",
    "match_header",
    "template_csv",
]


@dataclass(frozen=True)
class IngestResult:
    """Cases read from one file, in the canonical schema, and what the reader did to get them."""

    cases: pd.DataFrame
    warnings: tuple[str, ...] = field(default_factory=tuple)
    column_mapping: dict[str, str] = field(default_factory=dict)  # original header -> canonical column
    rows_read: int = 0
    rows_accepted: int = 0
    file_format: str = ""


def load_outcomes(sources: Source | list[Source], profile: ProfileSource | None = None, *,
                  filename: str | None = None) -> IngestResult:
    """Read an outcome export into canonical cases, or raise OutcomeDataError listing every problem.

    Args:
        sources: a path, the file's bytes, or a binary file-like (e.g. Streamlit's UploadedFile);
            or a list of them (several files of one export).
        profile: an import profile (path, bytes or dict) saying how to read the export.
        filename: the name to quote in messages; the format is judged from the bytes, not the name.
    Raises:
        OutcomeDataError: the file is not a readable table or breaks the data dictionary.
    """
    if isinstance(profile, str) and not profile.lower().endswith(".json") and not os.path.exists(profile):
        # load_outcomes(data, "export.csv") was the old call: the name is keyword-only now.
        raise TypeError(f"load_outcomes: {profile!r} is not a profile file; pass a file name as filename=…")
    prof = load_profile(profile) if profile is not None else {}
    many = isinstance(sources, list | tuple)
    tables = read_tables(sources, None if many else [filename])
    layout = prof.get("layout") or detect_layout(tables).settings
    shaped = shape(tables, layout)
    frame = shaped.cases
    attrs = frame.attrs
    warnings = list(attrs.get("notes", [])) + list(shaped.notes)
    mapped = map_columns(frame, decimal_comma=attrs.get("decimal_comma", False), header_row=attrs.get("header_row", 1))
    warnings += mapped.warnings
    cases, more = validate(mapped, frame.index, header_row=attrs.get("header_row", 1))
    warnings += more
    # Hand the reader's scratch memory back to the system: a long-running server keeps what its
    # allocator holds, and a million-row read leaves ~150 MB of it behind.
    pa.default_memory_pool().release_unused()
    return IngestResult(
        cases=cases,
        warnings=tuple(warnings),
        column_mapping=mapped.mapping,
        rows_read=attrs.get("rows_read", len(frame)),
        rows_accepted=len(cases),
        file_format=attrs.get("format", ""),
    )

