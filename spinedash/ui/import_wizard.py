"""The import on the Data page: one uploader, then Files -> Layout -> Columns -> Codes -> Units -> Check and use.

It only drives the pure stages in `spinedash.ingest` (read, shape, map, validate; the Columns grid's
rows and choices in `spinedash.ingest.column_grid`, the Codes and Units tables in
`spinedash.ingest.value_grid`) and edits one import profile (a dict) as the user
answers; the profile downloads as JSON and, uploaded with next month's files, imports them in one
step with no questions. Files a built-in profile, an uploaded profile or the template recognises go
straight to "Check and use"; the steps stay shown and changeable.

The uploader is a drop zone: the files dropped together are read into this session's state (the
tables, never written to disk or logged) and the uploader is emptied, so the next drop starts a new
import instead of joining the last one's files.
"""

from __future__ import annotations

import copy
import hashlib
import json

import pandas as pd
import streamlit as st

from spinedash.ingest import rebind_tables, run_pipeline
from spinedash.ingest.column_grid import (
    GRID_COLUMNS,
    column_grid,
    columns_from_grid,
    duplicate_targets,
    read_as_options,
    target_label,
    template_fits,
    unrecognised,
)
from spinedash.ingest.map import choose_columns, map_columns
from spinedash.ingest.profile import detect_profile, dump_profile, load_profile
from spinedash.ingest.read import MAX_UPLOAD_MB, read_tables
from spinedash.ingest.shape import LAYOUT_KINDS, detect_layout, shape
from spinedash.ingest.validate import column_label
from spinedash.ingest.value_grid import (
    CODE_COLUMNS,
    DETAIL,
    LEAVE_UNMAPPED,
    UNIT_COLUMNS,
    code_grid,
    code_table_key,
    codes_from_grid,
    is_coded,
    is_rating,
    maps_to_options,
    unit_grid,
    unit_options,
    units_from_grid,
    unmapped_fate,
    unmapped_values,
)
from spinedash.tables import escape_markdown
from spinedash.ui import data_source
from spinedash.ui.common import show_table
from spinedash.validation import OutcomeDataError, problems_frame

_STATE_KEY = data_source.IMPORT_STATE_KEY  # {"files", "label", "tables", "profile", "profile_source", "report"}
_FILES_GENERATION_KEY = "import_files_generation"  # bumped once files are read: the uploader is drawn empty
STEP_KEY = "import_step"
STEPS = ("1. Files", "2. Layout", "3. Columns", "4. Codes", "5. Units", "6. Check and use")
CHECK = len(STEPS) - 1

LAYOUT_WORDS = {
    "wide": "one row per operated case",
    "long": "one row per case and time point (long; REDCap longitudinal)",
    "prom_tidy": "one row per patient × time point × questionnaire score (PROM system export)",
    "sheet_per_timepoint": "one sheet per time point in a workbook",
    "operations_followup": "an operations file and a follow-up file, joined by patient",
}
LONG_BUTTON = "Read as one row per case and visit"
_RESETS_KEY = "import_table_resets"  # table prefix -> times an edit that changed nothing was drawn over
_SHAPING_KEYS = ("case_id", "patient_id", "timepoint_column", "instrument_column", "value_column", "followup_date", "operation_date")


def _state() -> dict:
    return st.session_state.setdefault(_STATE_KEY, {})


def files_uploader_key() -> str:
    """The uploader's key: new after every import (the next drop starts afresh) and after going back to the sample."""
    base = data_source.uploader_key(data_source.IMPORT_FILES_KEY)
    generation = st.session_state.get(_FILES_GENERATION_KEY, 0)
    return base if generation == 0 else f"{base}_n{generation}"


def _files_key(files) -> str:
    h = hashlib.sha256()
    for f in files:
        h.update(f.name.encode())
        h.update(hashlib.sha256(f.getvalue()).digest())
    return h.hexdigest()


def _show_error(error: OutcomeDataError, what: str) -> None:
    n = len(error.problems)
    st.error(f"{escape_markdown(what)}: {n} problem{'s' if n != 1 else ''} found.", icon=":material/error:")
    show_table(problems_frame(error.problems), hide_index=True)
    data_source.show_refusal_hints(error)


# ---------------------------------------------------------------------------------------------
# Taking files and a profile in
# ---------------------------------------------------------------------------------------------

def _uploaded_profile(uploaded) -> tuple[dict | None, OutcomeDataError | None]:
    if uploaded is None:
        return None, None
    try:
        return load_profile(uploaded.getvalue()), None
    except OutcomeDataError as err:
        return None, err


def _take_files(files, uploaded_profile) -> None:
    """Read the files dropped together into this session's state, choose the profile to start from,
    and, when the files are recognised, check and use them at once."""
    st.session_state[_FILES_GENERATION_KEY] = st.session_state.get(_FILES_GENERATION_KEY, 0) + 1
    state = _state()
    key = _files_key(files)
    if state.get("files") == key:
        return  # the same files again: already read, nothing changes
    label = " + ".join(f.name for f in files)
    state.clear()
    state.update(files=key, label=label)
    size = sum(f.size for f in files) / 1e6
    with st.spinner(f"Reading {label} ({size:,.1f} MB)…", show_time=True):
        try:
            state["tables"] = read_tables([f.getvalue() for f in files], [f.name for f in files])
        except OutcomeDataError as err:
            state["tables"] = None
            state["report"] = data_source.UploadReport(label, key, error=err)
            return
    profile, error = _uploaded_profile(uploaded_profile)
    if profile is not None:
        state.update(profile=profile, profile_source="uploaded", profile_key=_sha(uploaded_profile))
    else:
        found = detect_profile(state["tables"])
        if found:
            state.update(profile=copy.deepcopy(found), profile_source="builtin")
        else:
            state.update(profile={"spinedash_profile": 1}, profile_source="template" if template_fits(state["tables"]) else "new")
        if error is not None:
            state["profile_error"] = (uploaded_profile.name, error)
    if state["profile_source"] == "new":
        st.session_state[STEP_KEY] = 0
    else:
        st.session_state[STEP_KEY] = CHECK
        _check_and_use(with_spinner=True)


def _sha(uploaded) -> str:
    return hashlib.sha256(uploaded.getvalue()).hexdigest()


def _take_profile(uploaded) -> None:
    """A profile uploaded (or changed) after the files: it replaces the mapping, and the files are checked with it."""
    if uploaded is None or st.session_state.get(_STATE_KEY, {}).get("profile_key") == _sha(uploaded):
        return
    state = _state()
    profile, error = _uploaded_profile(uploaded)
    state["profile_key"] = _sha(uploaded)
    if error is not None:
        state["profile_error"] = (uploaded.name, error)
        return
    state.pop("profile_error", None)
    state.update(profile=profile, profile_source="uploaded")
    if state.get("tables") is not None:
        st.session_state[STEP_KEY] = CHECK
        _check_and_use(with_spinner=True)
        st.rerun()  # the sidebar, drawn before this page, names the data now in use


def _check_and_use(with_spinner: bool = False) -> None:
    """Run shape -> map -> validate with the profile; on success the cases are in use on every page."""
    state = _state()
    tables, profile, label = state["tables"], state["profile"], state["label"]
    content_key = hashlib.sha256(state["files"].encode() + dump_profile(profile)).hexdigest()  # the files and how they were read
    try:
        if with_spinner:
            with st.spinner(f"Checking {label}…", show_time=True):
                result = run_pipeline(tables, profile)
        else:
            result = run_pipeline(tables, profile)
        report = data_source.UploadReport(label, content_key, result=result)
        data_source.use_upload(result, label, content_key)
    except OutcomeDataError as err:
        report = data_source.UploadReport(label, content_key, error=err)
    state["report"] = report


def _use_long_layout(layout: dict) -> None:
    """The one-click answer to repeated ids that look like one row per visit: the long layout, checked at once."""
    state = _state()
    state["profile"]["layout"] = dict(layout)
    st.session_state.pop("import_layout_kind", None)
    st.session_state[STEP_KEY] = CHECK
    _check_and_use()


def _go(step: int) -> None:
    st.session_state[STEP_KEY] = step


# ---------------------------------------------------------------------------------------------
# The wizard
# ---------------------------------------------------------------------------------------------

def show_import_wizard() -> None:
    """The one way in: the uploader (files, and an optional profile), then the steps and the report."""
    st.header("Import your export")  # h2 between the page's h1 and each step's h3 (heading order)
    files = st.file_uploader(
        "Export files", type=["csv", "tsv", "txt", "xlsx", "xls", "parquet"], accept_multiple_files=True,
        key=files_uploader_key(),
        help=f"Select every file of one export together (e.g. operations and follow-up), up to {MAX_UPLOAD_MB} MB each. "
             "A new upload starts a new import.",
    )  # fmt: skip
    # Streamlit's drop zone says "1GB per file": its frontend rounds the 600 MB server.maxUploadSize
    # (any size over 512 MB shows as 1GB; st.file_uploader's max_upload_size sets the same number,
    # so it cannot fix the wording). The caption says the limit SpineDash keeps.
    st.caption(f"Up to {MAX_UPLOAD_MB} MB per file (the box above rounds this to 1GB). CSV, TSV, Excel (every sheet) or Parquet.")
    uploaded_profile = st.file_uploader(
        "Import profile (optional)", type=["json"], key=data_source.uploader_key(data_source.IMPORT_PROFILE_KEY),
        max_upload_size=5,  # MB: a profile is a few kB of JSON, not an export
        help="The .json file you downloaded from SpineDash last time: with it, next month's export imports in one step.",
    )
    if files:
        _take_files(files, uploaded_profile)
        st.rerun()  # an empty uploader for the next drop; the sidebar names the new data
    _take_profile(uploaded_profile)
    state = st.session_state.get(_STATE_KEY, {})  # read, not created: going back to the sample leaves none
    if "profile_error" in state:
        name, error = state["profile_error"]
        _show_error(error, f"{name} is not an import profile SpineDash can use")
    if not state.get("label"):
        st.caption("Nothing uploaded yet.")
        return
    if state.get("tables") is None:  # the files could not be read as tables
        data_source.show_report(state["report"])
        return

    profile, source = state["profile"], state.get("profile_source")
    if source == "uploaded":
        st.success(f"Using your import profile **{escape_markdown(str(profile.get('name') or 'without a name'))}**.",
                   icon=":material/task_alt:")
    elif source == "builtin":
        st.success(f"Recognised as **{escape_markdown(str(profile.get('name', '')))}**: SpineDash's built-in profile is used.",
                   icon=":material/task_alt:")
    elif source == "template":
        st.caption("Read like SpineDash's template: one row per operated case, the columns known by their names.")
    for note in profile.get("assumptions") or []:
        st.caption(f"Assumed: {escape_markdown(str(note))}")

    st.session_state.setdefault(STEP_KEY, 0)
    step = st.segmented_control("Import step", range(len(STEPS)), format_func=lambda i: STEPS[i], key=STEP_KEY,
                                required=True, help="Every step can be opened and changed; the profile keeps your answers.")
    step = CHECK if step is None else int(step)
    st.subheader(STEPS[step])
    if step == 0:
        _files_step(state["tables"], state["label"])
    elif step == CHECK:
        _check_step(profile)
    else:
        _mapping_steps(step, state["tables"], profile)
    _step_buttons(step)


def _step_buttons(step: int) -> None:
    row = st.container(horizontal=True)
    if step > 0:
        row.button(f"Back: {STEPS[step - 1][3:]}", key="import_back", icon=":material/arrow_back:", on_click=_go, args=(step - 1,))
    if step < CHECK:
        row.button(f"Next: {STEPS[step + 1][3:]}", key="import_next", icon=":material/arrow_forward:", on_click=_go, args=(step + 1,),
                   type="primary" if step < CHECK - 1 else "secondary")


def _files_step(tables: dict, label: str) -> None:
    st.markdown(f"Read from **{escape_markdown(label)}**:")
    show_table(pd.DataFrame([{"table": name, "rows": len(f), "columns": f.shape[1]} for name, f in tables.items()]),
               hide_index=True)
    st.caption("To add a file, upload all the export's files together again: each upload is one import.")


def _layout(tables: dict, profile: dict) -> dict | None:
    """The Layout step: the detected layout and why, the user's choice, and its settings."""
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
    return layout


def _mapping_steps(step: int, tables: dict, profile: dict) -> None:
    """Layout, Columns, Codes, Units: each needs the files shaped as the layout says."""
    if step == 1:
        layout = _layout(tables, profile)
    else:
        layout = rebind_tables(profile.get("layout") or detect_layout(tables).settings, tables)
    try:
        shaped = shape(tables, layout)
    except OutcomeDataError as err:
        _show_error(err, "The files do not fit this layout")
        if step != 1:
            st.button("Change the layout", key="import_to_layout", on_click=_go, args=(1,))
        return
    if step == 1:
        for note in shaped.notes:
            st.caption(escape_markdown(note))
        return
    frame = shaped.cases
    header = [str(c) for c in frame.columns]
    choices, problems = choose_columns(header, profile.get("columns"), shaped.timepoint, frame, case_id=layout.get("case_id"))
    if step == 2:
        _columns_step(frame, choices, problems, layout, profile, shaped.timepoint)
        return
    mapped = map_columns(frame, decimal_comma=frame.attrs.get("decimal_comma", False), profile={**profile, "layout": layout},
                         timepoint=shaped.timepoint, layout_case_id=layout.get("case_id"))
    if step == 3:
        _codes_step(frame, choices, mapped, profile)
    else:
        _units_step(mapped, profile)


def _columns_step(frame: pd.DataFrame, choices, problems, layout: dict, profile: dict, timepoint: dict) -> None:
    """Every source column in an editable table: what it is read as, a choice among every column,
    measure × time point, or "ignore"; unrecognised columns show their best candidates."""
    shaping = {str(layout[k]) for k in _SHAPING_KEYS if isinstance(layout.get(k), str)}
    grid = column_grid(frame, choices, shaping, case_id=layout.get("case_id"))
    st.markdown("Change **read as** where SpineDash guessed wrong: click the cell, then pick or type. A column read as "
                "*ignore* is left out, and the report says so; *why* gives SpineDash's reason and, for a column it did "
                "not recognise, its best guesses.")
    # The key follows the columns: a new layout gives new rows, and old edits must not land on them.
    key = "import_columns_" + hashlib.sha256("\x1f".join(grid["column in your file"]).encode()).hexdigest()[:12]
    edited = st.data_editor(
        grid, key=key, hide_index=True, width="stretch", num_rows="fixed", disabled=[c for c in GRID_COLUMNS if c != "read as"],
        height=min(38 + 35 * len(grid), 600),
        column_config={
            "column in your file": st.column_config.TextColumn("column in your file", pinned=True, width=150),
            "read as": st.column_config.SelectboxColumn("read as", options=read_as_options(), required=True, width=290,
                                                        help="A column SpineDash knows, a measure at a time point, or ignore."),
            "examples": st.column_config.TextColumn("examples", width=140),
            "why": st.column_config.TextColumn("why", width=320),
        },
        alt="Columns of your file: name, examples, what each is read as, and why. Edit 'read as' to change it.",
    )
    read_as = dict(zip(edited["column in your file"], edited["read as"], strict=True))
    columns = columns_from_grid(choices, read_as, profile.get("columns"), shaping, timepoint)
    if columns != (profile.get("columns") or {}):
        profile["columns"] = columns
        st.rerun()
    left_out = unrecognised(choices, shaping)
    if left_out:
        st.markdown("**Left out (read as ignore):**\n"
                    + "\n".join(f"- {escape_markdown(name)}" + (f" — maybe {escape_markdown(', '.join(maybe))}" if maybe else "")
                                 for name, maybe in left_out))
    for p in problems:
        st.warning(f"{escape_markdown(p.column)}: {escape_markdown(p.message)}")
    for target, names in duplicate_targets(choices).items():
        st.warning(f"{', '.join(escape_markdown(n) for n in names)} are all read as {escape_markdown(target_label(target))}: "
                   "keep one and set the others to ignore.")


def _editor_key(prefix: str, section: object) -> str:
    """A table's key follows what the profile holds for it: after every change it is drawn afresh
    from the profile, so what the table shows is what the import will do (an edit that changed
    nothing, e.g. a recognised value set to unmapped, goes back to SpineDash's reading)."""
    resets = st.session_state.get(_RESETS_KEY, {}).get(prefix, 0)
    digest = hashlib.sha256(json.dumps(section, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()[:10]
    return f"{prefix}_{digest}_{resets}"


def _redraw(prefix: str) -> None:
    resets = st.session_state.setdefault(_RESETS_KEY, {})
    resets[prefix] = resets.get(prefix, 0) + 1


def _codes_step(frame: pd.DataFrame, choices, mapped, profile: dict) -> None:
    """A value table per coded column: each value, its rows, SpineDash's suggestion and what it maps
    to (the one cell to edit); ambiguous words and unknown codes are left unmapped until chosen."""
    tables = []
    for c in choices:
        if c.target is None or c.target not in mapped.columns or not is_coded(c.target):
            continue
        key = code_table_key(profile.get("codes"), c.target, c.source)
        codes = (profile.get("codes") or {}).get(key) or {}
        grid = code_grid(frame.iloc[:, c.position], c.target, codes, source=c.source)
        if not grid.empty:
            tables.append((c, key, codes, grid))
    if not tables:
        st.caption("No coded columns: nothing to map.")
        return
    st.markdown("Change **maps to** where a value means something else: click the cell, then pick. A value left "
                "*(leave unmapped)* is not guessed: under each table, what the import does with it.")
    # Columns SpineDash read whole by itself go last, folded; the split does not follow the user's
    # edits, so a table being answered stays where it is.
    settled = [t for t in tables if (t[3]["status"] == "recognised").all() and not is_rating(t[0].target, t[3])]
    for t in tables:
        if t not in settled:
            _code_table(profile, *t)
    if settled:
        with st.expander(f"Columns whose every value SpineDash recognised ({len(settled)}): "
                         + ", ".join(escape_markdown(t[0].source) for t in settled)):
            for t in settled:
                _code_table(profile, *t)


def _code_table(profile: dict, choice, key: str, codes: dict, grid: pd.DataFrame) -> None:
    if is_rating(choice.target, grid):
        _cutoff(profile, choice, grid)
        return
    name = f"{choice.source} → {column_label(choice.target)}"
    st.markdown(f"**{escape_markdown(choice.source)}** → {escape_markdown(column_label(choice.target))}")
    prefix = f"import_codes_{choice.target}_{choice.position}"  # two columns read as one target still get a table each
    edited = st.data_editor(
        grid, key=_editor_key(prefix, codes), hide_index=True, width="stretch", num_rows="fixed",
        column_order=CODE_COLUMNS, disabled=[c for c in CODE_COLUMNS if c != "maps to"],
        height=min(38 + 35 * len(grid), 400),
        column_config={
            "value in your file": st.column_config.TextColumn("value in your file", pinned=True, width=130),
            "rows": st.column_config.NumberColumn("rows", width=50, help="Rows with this value."),
            "suggested": st.column_config.TextColumn("suggested", width=120,
                                                     help="What SpineDash reads the value as (knowledge base); blank: it cannot tell."),
            "maps to": st.column_config.SelectboxColumn("maps to", options=maps_to_options(choice.target, grid), required=True,
                                                        width=180, help="The value SpineDash uses, or (leave unmapped)."),
            "note": st.column_config.TextColumn("note", width=420),
        },
        alt=f"Values of {name}: each value in your file, its rows, SpineDash's suggestion, what it maps to and a note. "
            "Edit 'maps to' to change it.",
    )
    new = codes_from_grid(grid, edited, codes)
    if new != codes:
        section = profile.setdefault("codes", {})
        if new:
            section[key] = new
        else:
            section.pop(key, None)
        st.rerun()
    if [str(v) for v in edited["maps to"]] != [str(v) for v in grid["maps to"]]:  # an edit that changes nothing: draw the profile's reading again
        _redraw(prefix)
        st.rerun()
    open_rows = grid[(grid["maps to"] == LEAVE_UNMAPPED) & (grid[DETAIL] != "")]
    for detail, values in open_rows.groupby(DETAIL, sort=False)["value in your file"]:  # the note in full, once
        st.caption(", ".join(f"'{escape_markdown(v)}'" for v in values) + f": {escape_markdown(detail)}")
    left = unmapped_values(grid)
    if left:
        st.caption(f"Left unmapped ({unmapped_fate(choice.target)}): "
                   + ", ".join(f"'{escape_markdown(v)}' ({n} row{'s' if n != 1 else ''})" for v, n in left))


def _units_step(mapped, profile: dict) -> None:
    """One table: each column or measure whose unit was decided, the evidence, and the unit (the cell to edit)."""
    grid = unit_grid(mapped)
    if grid.empty:
        st.caption("No units to decide.")
        return
    st.markdown("Change **unit** where SpineDash read the values wrongly: click the cell, then pick one of the row's "
                "*choices*. The *evidence* says what the values look like.")  # fmt: skip
    units = profile.get("units") or {}
    edited = st.data_editor(
        grid, key=_editor_key("import_units", units), hide_index=True, width="stretch", num_rows="fixed",
        disabled=[c for c in UNIT_COLUMNS if c != "unit"], height=min(38 + 35 * len(grid), 400),
        column_config={
            "column": st.column_config.TextColumn("column", pinned=True, width=170),
            "unit": st.column_config.SelectboxColumn("unit", options=unit_options(), required=True, width=90,
                                                     help="The unit the column is in; the row's choices say which fit."),
            "evidence": st.column_config.TextColumn("evidence", width=450,
                                                    help="What the values (or the header, or your profile) say about the unit."),
            "choices": st.column_config.TextColumn("choices", width=120),
        },
        alt="Units: each column, the unit it is read in, the evidence for that unit, and the units it may take. "
            "Edit 'unit' to change it.",
    )
    new, refused = units_from_grid(grid, edited, units)
    for message in refused:
        st.warning(escape_markdown(message))
    if new != units:
        profile["units"] = new
        st.rerun()
    if refused and st.button("Put the units back", key="import_units_reset"):
        _redraw("import_units")
        st.rerun()


def _check_step(profile: dict) -> None:
    state = _state()
    name = st.text_input("Name of this import profile", profile.get("name") or "", key="import_profile_name",
                         placeholder="e.g. Clinic X monthly export")
    if name:
        profile["name"] = name
    # A callback, not the button's return value: it runs before the script, so the report and the
    # data in use are ready in the same run (and AppTest under st.navigation delivers it reliably).
    st.button("Check and use these cases", key="import_check", type="primary", icon=":material/check:", on_click=_check_and_use)
    report = state.get("report")
    if report is None:
        st.caption("Nothing checked yet: the data in use has not changed.")
        return
    data_source.show_report(report)
    suggested = getattr(report.error, "suggested_layout", None) if report.error is not None else None
    if suggested:
        st.button(LONG_BUTTON, key="import_use_long", type="primary", icon=":material/table_rows:",
                  on_click=_use_long_layout, args=(suggested,),
                  help=f"'{suggested['case_id']}' becomes the case and '{suggested['timepoint_column']}' the time point; "
                       "the file is checked again at once.")
    if report.error is not None:
        st.caption("Fix what the report names in the steps above (Columns, Codes, Units), then check again.")
        if any(getattr(report.error, "candidates", {}).values()):
            st.button("Choose the missing columns in 3. Columns", key="import_to_columns", icon=":material/table_edit:",
                      on_click=_go, args=(2,), help="The report names the columns that may hold what is missing.")
    st.download_button("Download the import profile", dump_profile(profile), "spinedash_import_profile.json",
                       "application/json", key="import_download_profile", icon=":material/download:",
                       help="Upload it with next month's files: one step, no questions.")


def _cutoff(profile: dict, choice, table: pd.DataFrame) -> None:
    """A rating column read as satisfied yes/no: the user states which codes count as satisfied."""
    values = sorted(table["value in your file"].str.replace(r"\.0$", "", regex=True).unique(), key=lambda v: float(v))
    current = ((profile.get("cutoffs") or {}).get("satisfaction") or {}).get("satisfied_if", [])
    st.markdown(f"**{escape_markdown(choice.source)}** is a rating ({', '.join(values)}): which answers count as satisfied?")
    picked = st.multiselect("Satisfied if the answer is", values, default=[v for v in current if v in values],
                            key="import_cutoff_satisfied")
    if picked != [v for v in current if v in values]:
        note = f"{', '.join(picked)} on a {values[0]}–{values[-1]} scale = satisfied (your cut-off)"
        profile.setdefault("cutoffs", {})["satisfaction"] = {"satisfied_if": picked, "note": note}
        st.rerun()
