"""The import wizard on the Data page: Files -> Layout -> Columns -> Codes -> Units -> Check and use.

It only drives the pure stages in `spinedash.ingest` (read, shape, map, validate) and edits one
import profile (a dict) as the user answers; the profile downloads as JSON and, uploaded with next
month's files, imports them in one step with no questions. Files and profile live in this session's
state only: nothing is written to disk or kept on the server.
"""

from __future__ import annotations

import copy
import hashlib
import json

import pandas as pd
import streamlit as st

from spinedash import schema
from spinedash.ingest import rebind_tables, run_pipeline
from spinedash.ingest.map import choose_columns, map_columns, value_table
from spinedash.ingest.profile import detect_profile, dump_profile, load_profile
from spinedash.ingest.read import MAX_UPLOAD_MB, read_tables
from spinedash.ingest.shape import LAYOUT_KINDS, detect_layout, shape
from spinedash.ingest.validate import column_label
from spinedash.knowledge import load_knowledge
from spinedash.tables import escape_markdown
from spinedash.ui import data_source
from spinedash.ui.common import show_table
from spinedash.validation import OutcomeDataError, problems_frame

_STATE_KEY = data_source.IMPORT_STATE_KEY  # {"files": key, "tables": {...}, "profile": {...}, "report": UploadReport | None}

LAYOUT_WORDS = {
    "wide": "one row per operated case",
    "long": "one row per case and time point (long; REDCap longitudinal)",
    "prom_tidy": "one row per patient × time point × questionnaire score (PROM system export)",
    "sheet_per_timepoint": "one sheet per time point in a workbook",
    "operations_followup": "an operations file and a follow-up file, joined by patient",
}
IGNORE = "(leave out)"
UNMAPPED = "(leave unmapped: reported)"
_CODED = ("sex", "condition", "approach", "complication", "technique", "procedure")
_UNIT_CHOICES = {"length_of_stay_hours": ("hours", "days"), "operation_minutes": ("minutes", "hours"),
                 "return_to_activities_days": ("days", "weeks"), "return_to_work_days": ("days", "weeks"),
                 "last_followup_days": ("days", "weeks", "months")}


def _state() -> dict:
    return st.session_state.setdefault(_STATE_KEY, {})


def _files_key(files) -> str:
    h = hashlib.sha256()
    for f in files:
        h.update(f.name.encode())
        h.update(hashlib.sha256(f.getvalue()).digest())
    return h.hexdigest()


def _targets() -> list[str]:
    optional = [c.name for c in getattr(schema, "OPTIONAL_COLUMNS", ())]
    return list(dict.fromkeys([*schema.CANONICAL_COLUMNS, *optional]))


def _allowed_values(target: str) -> list[str]:
    spec = schema.spec_for(target) if hasattr(schema, "spec_for") else schema.COLUMN_BY_NAME.get(target)
    if spec is not None and spec.allowed:
        return list(spec.allowed)
    if spec is not None and spec.kind == "boolean":
        return ["yes", "no"]
    kb = load_knowledge()
    if target in ("condition", "approach", "technique", "procedure"):
        names = list(kb.names(target))
        if target == "approach":
            names += [a for a in kb.undescribed_approaches if a not in names]
        return names
    return []


def _show_error(error: OutcomeDataError, what: str) -> None:
    n = len(error.problems)
    st.error(f"{what}: {n} problem{'s' if n != 1 else ''} found.", icon=":material/error:")
    show_table(problems_frame(error.problems), hide_index=True)
    data_source.show_refusal_hints(error)


def _read_files(files) -> dict | None:
    """Tables of the uploaded files, read once per file set (kept in this session only)."""
    state = _state()
    key = _files_key(files)
    if state.get("files") != key:
        state.clear()
        state["files"] = key
        try:
            state["tables"] = read_tables([f.getvalue() for f in files], [f.name for f in files])
            state["read_error"] = None
        except OutcomeDataError as err:
            state["tables"], state["read_error"] = None, err
    if state.get("read_error") is not None:
        _show_error(state["read_error"], "The files cannot be read")
        return None
    return state["tables"]


def _starting_profile(tables: dict, uploaded) -> tuple[dict, str]:
    """The profile to start from: the one uploaded, else a built-in one the files fit, else none."""
    state = _state()
    if uploaded is not None:
        key = hashlib.sha256(uploaded.getvalue()).hexdigest()
        if state.get("profile_source") != key:
            try:
                state["profile"] = load_profile(uploaded.getvalue())
            except OutcomeDataError as err:
                _show_error(err, f"{uploaded.name} is not an import profile SpineDash can use")
                return {}, "broken"
            state["profile_source"] = key
            state["auto_run"] = True
        return state["profile"], "uploaded"
    if "profile" not in state:
        found = detect_profile(tables)
        state["profile"] = copy.deepcopy(found) if found else {"spinedash_profile": 1}
        state["profile_source"] = "builtin" if found else "new"
        state["auto_run"] = bool(found)
    return state["profile"], state["profile_source"]


def _check_and_use(tables: dict, profile: dict, label: str) -> None:
    content_key = _state()["files"] + hashlib.sha256(dump_profile(profile)).hexdigest()
    try:
        result = run_pipeline(tables, profile)
        report = data_source.UploadReport(label, content_key, result=result)
        data_source.use_upload(result, label, content_key)
    except OutcomeDataError as err:
        report = data_source.UploadReport(label, content_key, error=err)
    _state()["report"] = report


def show_import_wizard() -> None:
    """The whole import: files and an optional profile, then the steps, then the report."""
    st.header("Import your export")
    st.markdown(
        "Upload one or several files of one export (CSV/TSV, Excel with all its sheets, Parquet) and, if you have one, "
        "the **import profile** you saved last time: then it is one step, no questions. Otherwise SpineDash "
        "suggests the layout, the columns, the codes and the units, and you correct what it got wrong."
    )
    files = st.file_uploader("Export files", type=["csv", "tsv", "txt", "xlsx", "parquet"], accept_multiple_files=True,
                             key=data_source.uploader_key(data_source.IMPORT_FILES_KEY), help=f"Up to {MAX_UPLOAD_MB} MB each.")
    uploaded_profile = st.file_uploader("Import profile (optional)", type=["json"], key=data_source.uploader_key(data_source.IMPORT_PROFILE_KEY))
    if not files:
        st.caption("Nothing uploaded yet.")
        return
    tables = _read_files(files)
    if tables is None:
        return
    profile, source = _starting_profile(tables, uploaded_profile)
    if source == "broken":
        return
    label = " + ".join(f.name for f in files)
    state = _state()
    if state.pop("auto_run", False):
        _check_and_use(tables, profile, label)
        if state["report"].ok:
            st.rerun()  # the sidebar, drawn before this page, names the new data on the next run
    if source == "uploaded":
        st.success(f"Using your import profile **{escape_markdown(profile.get('name') or uploaded_profile.name)}**.",
                   icon=":material/task_alt:")
    elif source == "builtin":
        st.success(f"Recognised as **{escape_markdown(profile.get('name', ''))}**: SpineDash's built-in profile is used.",
                   icon=":material/task_alt:")
    for note in profile.get("assumptions") or []:
        st.caption(f"Assumed: {escape_markdown(str(note))}")

    report = state.get("report")
    done = report is not None and report.ok and source in ("uploaded", "builtin")
    with st.expander("The import, step by step", expanded=not done):
        _steps(tables, profile, label)
    if state.get("report") is not None:
        data_source.show_report(state["report"])
        st.download_button("Download the import profile", dump_profile(profile), "spinedash_import_profile.json",
                           "application/json", key="import_download_profile", icon=":material/download:",
                           help="Upload it with next month's files: one step, no questions.")


def _steps(tables: dict, profile: dict, label: str) -> None:
    # 1. Files
    st.subheader("1. Files")
    show_table(pd.DataFrame([{"table": name, "rows": len(f), "columns": f.shape[1]} for name, f in tables.items()]),
               hide_index=True)

    # 2. Layout
    st.subheader("2. Layout")
    guess = detect_layout(tables)
    layout = rebind_tables(profile.get("layout") or guess.settings, tables)
    st.markdown(f"SpineDash reads this as **{LAYOUT_WORDS.get(guess.kind, guess.kind)}**: {escape_markdown(guess.evidence)}")
    kind = layout.get("kind", "wide")
    chosen = st.selectbox("Layout", list(LAYOUT_KINDS), index=list(LAYOUT_KINDS).index(kind) if kind in LAYOUT_KINDS else 0,
                          format_func=lambda k: LAYOUT_WORDS.get(k, k), key="import_layout_kind")
    if chosen != kind:
        layout = guess.settings if guess.kind == chosen else {"kind": chosen}
        profile["layout"] = dict(layout)
    settings = st.text_area("Layout settings (JSON; the columns that hold the case, the time point…)",
                            json.dumps(layout, ensure_ascii=False), key=f"import_layout_settings_{chosen}")
    try:
        edited = json.loads(settings)
        if isinstance(edited, dict) and edited != layout:
            edited["kind"] = chosen
            layout = profile["layout"] = edited
    except json.JSONDecodeError:
        st.warning("The layout settings are not valid JSON; the previous settings are used.")
    profile.setdefault("layout", dict(layout))
    try:
        shaped = shape(tables, layout)
    except OutcomeDataError as err:
        _show_error(err, "The files do not fit this layout")
        return
    for note in shaped.notes:
        st.caption(escape_markdown(note))
    frame = shaped.cases
    # 3. Columns
    st.subheader("3. Columns")
    header = [str(c) for c in frame.columns]
    choices, problems = choose_columns(header, profile.get("columns"), shaped.timepoint, frame,
                                       case_id=layout.get("case_id"))
    rows = []
    for c in choices:
        sample = frame.iloc[:, c.position].dropna().astype("str").head(200).unique()[:3]
        rows.append({"column in your file": c.source, "examples": ", ".join(sample),
                     "read as": column_label(c.target) if c.target else ("left out" if c.how == "ignored" else "not used"),
                     "why": {"header": "its name", "profile": "your profile", "measure": c.note, "ignored": "your choice",
                             "unmatched": ("maybe " + ", ".join(column_label(x) for x in c.candidates)) if c.candidates else "not recognised",
                             "blank": "empty"}.get(c.how, c.how)})
    show_table(pd.DataFrame(rows), hide_index=True)
    for p in problems:
        st.warning(f"{escape_markdown(p.column)}: {escape_markdown(p.message)}")
    sources = [c.source for c in choices if c.how != "blank"]
    left, right = st.columns(2)
    source = left.selectbox("Column in your file", sources, key="import_column_source")
    current = next((c for c in choices if c.source == source), None)
    targets = [IGNORE, *_targets()]
    idx = targets.index(current.target) if current is not None and current.target in targets else 0
    target = right.selectbox("Read as", targets, index=idx, key=f"import_column_target_{source}",
                             format_func=lambda t: t if t == IGNORE else f"{column_label(t)} ({t})")
    if current is not None and (target != (current.target or IGNORE)):
        base = source.rsplit("@", 1)[0] if "@" in source else source
        value = None if target == IGNORE else target
        parsed = schema.parse_outcome_column(target) if value and hasattr(schema, "parse_outcome_column") else None
        if value and "@" in source and parsed:
            value = parsed[0]  # a pivoted column names the measure; the layout gives the time point
        profile.setdefault("columns", {})[base] = value
        st.rerun()

    mapped = map_columns(frame, decimal_comma=frame.attrs.get("decimal_comma", False), profile={**profile, "layout": layout},
                         timepoint=shaped.timepoint, layout_case_id=layout.get("case_id"))
    # 4. Codes
    st.subheader("4. Codes")
    any_codes = False
    for c in choices:
        if c.target is None or c.target not in mapped.columns:
            continue
        spec = schema.spec_for(c.target) if hasattr(schema, "spec_for") else schema.COLUMN_BY_NAME.get(c.target)
        if spec is None or not (c.target in _CODED or spec.kind == "boolean"):
            continue
        codes = (profile.get("codes") or {}).get(c.target, {})
        table = value_table(frame.iloc[:, c.position], c.target, codes)
        if table.empty:
            continue
        open_values = table[table["status"].isin(["ask", "unmapped", "suggested", "your code"])]
        if c.target.startswith("satisfied") and table["value"].str.fullmatch(r"\d+(\.0)?").all():
            any_codes = True
            _cutoff(profile, c, table)
            continue
        if open_values.empty:
            continue
        any_codes = True
        st.markdown(f"**{escape_markdown(c.source)}** → {column_label(c.target)}")
        show_table(table.rename(columns={"maps_to": "read as"}), hide_index=True)
        options = [UNMAPPED, *_allowed_values(c.target)]
        for i, row in enumerate(open_values.head(20).itertuples(index=False)):
            have = codes.get(row.value)
            pick = st.selectbox(f"'{row.value}' ({row.count} rows) means", options,
                                index=options.index(have) if have in options else 0,
                                key=f"import_code_{c.target}_{i}", help=row.note or None)
            if pick != (have if have in options else UNMAPPED):
                table_codes = profile.setdefault("codes", {}).setdefault(c.target, {})
                if pick == UNMAPPED:
                    table_codes.pop(row.value, None)
                else:
                    table_codes[row.value] = pick
                st.rerun()
    if not any_codes:
        st.caption("Every code in the file was recognised.")

    # 5. Units
    st.subheader("5. Units")
    any_units = False
    for column, decision in mapped.units.items():
        choices_ = _UNIT_CHOICES.get(column) or (("0-10", "0-100") if decision.unit in ("0-10", "0-100") else ())
        if not choices_ or decision.unit not in choices_:
            continue
        any_units = True
        name = column_label(column) if column in _UNIT_CHOICES else f"{schema.MEASURES[column].label}" if column in getattr(schema, "MEASURES", {}) else column
        pick = st.radio(f"{name}: {decision.evidence}", choices_, index=choices_.index(decision.unit),
                        key=f"import_unit_{column}", horizontal=True)
        if pick != decision.unit:
            profile.setdefault("units", {})[column] = pick
            st.rerun()
    if not any_units:
        st.caption("No units to decide.")
    # 6. Check and use
    st.subheader("6. Check and use")
    name = st.text_input("Name of this import profile", profile.get("name") or "", key="import_profile_name",
                         placeholder="e.g. Clinic X monthly export")
    if name:
        profile["name"] = name
    # A callback, not the button's return value: it runs before the script, so the report and the
    # data in use are ready in the same run (and AppTest under st.navigation delivers it reliably).
    st.button("Check and use these cases", key="import_check", type="primary", icon=":material/check:",
              on_click=_check_and_use, args=(tables, profile, label))


def _cutoff(profile: dict, choice, table: pd.DataFrame) -> None:
    """A rating column read as satisfied yes/no: the user states which codes count as satisfied."""
    values = sorted(table["value"].str.replace(r"\.0$", "", regex=True).unique(), key=lambda v: float(v))
    current = ((profile.get("cutoffs") or {}).get("satisfaction") or {}).get("satisfied_if", [])
    st.markdown(f"**{escape_markdown(choice.source)}** is a rating ({', '.join(values)}): which answers count as satisfied?")
    picked = st.multiselect("Satisfied if the answer is", values, default=[v for v in current if v in values],
                            key="import_cutoff_satisfied")
    if picked != [v for v in current if v in values]:
        note = f"{', '.join(picked)} on a {values[0]}–{values[-1]} scale = satisfied (your cut-off)"
        profile.setdefault("cutoffs", {})["satisfaction"] = {"satisfied_if": picked, "note": note}
        st.rerun()
