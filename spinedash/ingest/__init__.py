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
from spinedash.ingest.profile import ProfileSource, detect_profile, dump_profile, load_profile
from spinedash.ingest.read import MAX_CELLS, MAX_COLUMNS, MAX_ROWS, MAX_UPLOAD_MB, Source, read_tables
from spinedash.ingest.shape import MAX_CASES, detect_layout, shape
from spinedash.ingest.template import data_dictionary_csv, data_dictionary_table, template_csv, template_regions
from spinedash.ingest.validate import explain_refusal, validate
from spinedash.validation import OutcomeDataError, Problem

__all__ = [
    "MAX_CASES",
    "MAX_CELLS",
    "MAX_COLUMNS",
    "MAX_ROWS",
    "MAX_UPLOAD_MB",
    "IngestResult",
    "OutcomeDataError",
    "Problem",
    "data_dictionary_csv",
    "data_dictionary_table",
    "dump_profile",
    "load_profile",
    "read_tables",
    "run_pipeline",
    "header_aliases",
    "load_outcomes",
    "match_header",
    "template_csv",
    "template_regions",
]


@dataclass(frozen=True)
class IngestResult:
    """Cases read from one export, in the canonical schema, and what the reader did to get them."""

    cases: pd.DataFrame
    warnings: tuple[str, ...] = field(default_factory=tuple)  # worth the user's attention
    column_mapping: dict[str, str] = field(default_factory=dict)  # original header -> canonical column
    rows_read: int = 0
    rows_accepted: int = 0
    file_format: str = ""
    info: tuple[str, ...] = field(default_factory=tuple)  # routine conversions: said, not warned about
    profile: dict = field(default_factory=dict)  # the profile used (given, built-in, or {} = headers only)
    layout: dict = field(default_factory=dict)  # the layout section used


def load_outcomes(sources: Source | list[Source], profile: ProfileSource | None = None, *,
                  filename: str | None = None) -> IngestResult:
    """Read an outcome export into canonical cases, or raise OutcomeDataError listing every problem.

    Args:
        sources: a path, the file's bytes, or a binary file-like (e.g. Streamlit's UploadedFile);
            or a list of them (the files of one export: operations + follow-up, a month's files).
        profile: an import profile (path, bytes or dict) saying how to read the export; without one,
            a built-in profile whose columns the files carry is used, else the headers decide.
        filename: the name to quote in messages; the format is judged from the bytes, not the name.
    Raises:
        OutcomeDataError: the files are not readable tables or break the data dictionary. Its
            `recognised` (source column -> canonical) and `candidates` (missing required column ->
            source columns that may hold it) say what was understood.
    """
    if isinstance(profile, str) and not profile.lower().endswith(".json") and not os.path.exists(profile):
        # load_outcomes(data, "export.csv") was the old call: the name is keyword-only now.
        raise TypeError(f"load_outcomes: {profile!r} is not a profile file; pass a file name as filename=…")
    prof = load_profile(profile) if profile is not None else None
    many = isinstance(sources, list | tuple)
    tables = read_tables(sources, None if many else [filename], (prof or {}).get("read"))
    info: list[str] = []
    if prof is None:
        prof = detect_profile(tables) or {}
        if prof:
            info.append(f"Recognised as {prof.get('name', 'a known export')}: read with SpineDash's built-in import profile.")
    return run_pipeline(tables, prof, info)


def run_pipeline(tables: dict[str, pd.DataFrame], prof: dict, info: list[str] | None = None) -> IngestResult:
    """shape -> map -> validate on tables already read, as the profile `prof` says ({} = headers decide)."""
    info = list(info or [])
    layout = rebind_tables(prof.get("layout") or detect_layout(tables).settings, tables)
    shaped = shape(tables, layout)
    frame = shaped.cases
    attrs = frame.attrs
    header_row = attrs.get("header_row", 1)
    decimal_comma = attrs.get("decimal_comma", False)
    if (prof.get("read") or {}).get("decimal") == ",":
        decimal_comma = True
    warnings: list[str] = []
    info += list(attrs.get("notes", [])) + list(shaped.notes)
    mapped = map_columns(frame, decimal_comma=decimal_comma, header_row=header_row, profile={**prof, "layout": layout},
                         timepoint=shaped.timepoint, layout_case_id=layout.get("case_id"))
    warnings += mapped.warnings
    info += mapped.info
    try:
        cases, more, more_info = validate(mapped, frame.index, header_row=header_row)
    except OutcomeDataError as error:
        raise explain_refusal(error, frame, mapped, layout) from None
    warnings += more
    info += more_info
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
        info=tuple(info),
        profile=prof,
        layout=dict(layout),
    )


# Layout settings that name a table, and the columns that table must hold.
_TABLE_KEYS = {"table": ("case_id", "timepoint_column", "instrument_column", "value_column"),
               "operations": ("case_id", "operation_date", "patient_id"),
               "followup": ("followup_date", "patient_id"),
               "case_sheet": ("case_id",)}


def rebind_tables(layout: dict, tables: dict[str, pd.DataFrame]) -> dict:
    """A saved layout applied to next month's files: table names that are not among `tables`
    ("operations_2024-05.csv" last time) are re-found by their sheet name, else by the columns the
    layout says they hold. Unchanged when the names fit."""
    layout = dict(layout)
    taken = {layout[k] for k in _TABLE_KEYS if k in layout and layout[k] in tables}
    for key, column_keys in _TABLE_KEYS.items():
        name = layout.get(key)
        if not isinstance(name, str) or name in tables:
            continue
        sheet = name.rsplit("/", 1)[-1]
        same_sheet = [t for t in tables if "/" in t and t.rsplit("/", 1)[-1] == sheet and t not in taken]
        need = {str(layout[c]) for c in column_keys if isinstance(layout.get(c), str)}
        if key == "followup" and isinstance(layout.get("patient_id"), str):
            need = {layout["patient_id"], *([layout["followup_date"]] if isinstance(layout.get("followup_date"), str) else [])}
        fits = [t for t, f in tables.items() if t not in taken and need <= {str(c) for c in f.columns}]
        if key == "operations" and isinstance(layout.get("followup_date"), str):
            fits = [t for t in fits if layout["followup_date"] not in {str(c) for c in tables[t].columns}] or fits
        found = (same_sheet or fits or [None])[0]
        if found is not None:
            layout[key] = found
            taken.add(found)
    return layout
