"""AppTest driving the import on the Data page through every step and back: two files, a column read
differently in the Columns grid, a code and a unit mapped, the profile saved, then next month's files
with the profile in a fresh session: one step, the same cases. Also: a recognised file goes straight
to "Check and use", and a refusal for repeated ids switches to the long layout with one click."""

from __future__ import annotations

import json

from spinedash.ingest import MAX_UPLOAD_MB, dump_profile, load_outcomes
from spinedash.ingest.column_grid import target_label
from tests.pages.apptest import all_text, rendered, run_page

STATE = "import_state"
DATASET_KEY = "data_source_dataset"
STEP = "import_step"


def export(month: int) -> tuple[bytes, bytes]:
    """An operations file and a follow-up file as a clinic's system writes them (sex 1/2, 'MIS', a bare
    LOS, a 'Theatre' column SpineDash does not know: it is the site)."""
    ops = ["Operation no,Patient no,Operation date,Diagnosis,Approach,Sex,LOS,Theatre"]
    fu = ["Patient no,Form date,Leg pain (0-10),ODI (%)"]
    for i in range(6):
        pid = 100 * month + i
        ops.append(f"OP{pid},{pid},2024-{month:02d}-{10 + i:02d},Herniated disc,{'MIS' if i % 2 else 'Open'},{1 + i % 2},{1 + i % 3},"
                   f"{'North' if i < 3 else 'South'}")
        fu.append(f"{pid},2024-{month:02d}-{1 + i:02d},{6 + i % 3},{40 + i}")
        fu.append(f"{pid},2024-{month + 3:02d}-{10 + i:02d},{2 + i % 2},{20 + i}")
    return ("\n".join(ops) + "\n").encode(), ("\n".join(fu) + "\n").encode()


def files_uploader(at):
    (uploader,) = [u for u in at.file_uploader if u.key.startswith("import_files")]
    return uploader


def upload_files(at, month: int):
    ops, fu = export(month)
    files_uploader(at).set_value([(f"operations_{month}.csv", ops, "text/csv"), (f"followup_{month}.csv", fu, "text/csv")])
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def ok(at):
    assert not at.exception, [e.value for e in at.exception]
    return at


def step_title(at) -> str:
    return next(s.value for s in at.subheader if s.value[:2] in {"1.", "2.", "3.", "4.", "5.", "6."})


def grid(at):
    (editor,) = at.data_editor
    return editor


def code_table(at, target: str):
    """The Codes step's table of one column (its key follows the profile's code table)."""
    (editor,) = [e for e in at.data_editor if e.key.startswith(f"import_codes_{target}_")]
    return editor


def code_rows(at, target: str):
    return code_table(at, target).value.set_index("value in your file")


def units_table(at):
    (editor,) = [e for e in at.data_editor if e.key.startswith("import_units_")]
    return editor


def edit_table(at, editor, row: int, column: str, value: str):
    """Set one cell of an editable table, as a user's edit in the browser arrives."""
    at.session_state[editor.key] = {"edited_rows": {row: {column: value}}, "added_rows": [], "deleted_rows": []}
    return ok(at.run())


def map_code(at, target: str, value: str, maps_to: str):
    editor = code_table(at, target)
    return edit_table(at, editor, editor.value["value in your file"].tolist().index(value), "maps to", maps_to)


def set_unit(at, column: str, unit: str):
    editor = units_table(at)
    return edit_table(at, editor, editor.value.index.tolist().index(column), "unit", unit)


def edit_grid(at, source: str, read_as: str):
    """Set the "read as" cell of one source column, as a user's edit in the browser arrives."""
    editor = grid(at)
    row = editor.value["column in your file"].tolist().index(source)
    at.session_state[editor.key] = {"edited_rows": {row: {"read as": read_as}}, "added_rows": [], "deleted_rows": []}
    return ok(at.run())


def test_the_wizard_walks_every_step_and_back_and_the_saved_profile_imports_next_month_in_one_step():
    at = upload_files(run_page("pages/data.py"), 1)
    # Not recognised: the steps start at Files, every step listed and reachable.
    assert at.segmented_control(key=STEP).value == 0 and step_title(at) == "1. Files"
    assert [str(o) for o in at.segmented_control(key=STEP).options] == [
        "1. Files", "2. Layout", "3. Columns", "4. Codes", "5. Units", "6. Check and use"]
    assert DATASET_KEY not in at.session_state  # nothing in use before "Check and use"
    assert not files_uploader(at).value  # the uploader is empty again, ready for another export
    # Streamlit's drop zone rounds 600 MB to "1GB per file"; the caption says the limit SpineDash keeps.
    assert any(f"Up to {MAX_UPLOAD_MB} MB per file" in c.value for c in at.caption)
    files = next(t.value for t in at.table if "table" in t.value.columns)
    assert [rendered(t) for t in files["table"]] == ["operations_1.csv", "followup_1.csv"]

    ok(at.button(key="import_next").click().run())
    assert step_title(at) == "2. Layout"
    assert at.selectbox(key="import_layout_kind").value == "operations_followup"  # detected and said
    assert any("joined by patient" in m.value for m in at.markdown)

    ok(at.button(key="import_next").click().run())
    assert step_title(at) == "3. Columns"
    rows = grid(at).value.set_index("column in your file")
    assert rows.loc["Diagnosis", "read as"] == "condition" and rows.loc["Diagnosis", "examples"] == "Herniated disc"
    assert rows.loc["Leg pain (0-10)@3m", "read as"] == target_label("vas_leg_3m")
    assert rows.loc["Leg pain (0-10)@3m", "why"] == "its name, at 3 months"
    # 'Theatre' is not recognised: shown as ignore, with SpineDash's best guesses, and recorded as the visible choice.
    assert rows.loc["Theatre", "read as"] == "ignore" and rows.loc["Theatre", "why"].startswith("left out")
    assert at.session_state[STATE]["profile"]["columns"]["Theatre"] is None
    # The user reads it as the site instead: an edit in the grid.
    at = edit_grid(at, "Theatre", target_label("site"))
    assert at.session_state[STATE]["profile"]["columns"]["Theatre"] == "site"
    assert grid(at).value.set_index("column in your file").loc["Theatre", "why"] == "your choice (profile)"
    ok(at.run())  # the edit survives a rerun
    assert at.session_state[STATE]["profile"]["columns"]["Theatre"] == "site"
    # And leaves out a column it had recognised: a visible choice, named in the report.
    at = edit_grid(at, "Operation date", "ignore")
    assert at.session_state[STATE]["profile"]["columns"]["Operation date"] is None

    ok(at.button(key="import_next").click().run())
    assert step_title(at) == "4. Codes"
    # Codes: a table per coded column. Sex 1/2 is suggested with its standard but not applied; MIS is
    # asked about, not pre-filled; what is left unmapped is listed with its rows.
    sex, approach = code_rows(at, "sex"), code_rows(at, "approach")
    assert sex["suggested"].to_dict() == {"1": "male", "2": "female"} and (sex["maps to"] == "(leave unmapped)").all()
    assert approach.loc["MIS", "maps to"] == "(leave unmapped)" and approach.loc["MIS", "suggested"] == ""
    assert approach.loc["MIS", "note"].startswith("ambiguous: MIS could be Tubular MIS")
    assert approach.loc["Open", "maps to"] == "Open" and approach.loc["MIS", "rows"] == 3
    assert "Left unmapped (the check refuses them and names their rows): 'MIS' (3 rows)" in rendered(all_text(at))
    # The whole note under the table, once for the values it concerns.
    assert [rendered(c.value) for c in at.caption if "ISO/IEC 5218" in c.value] == [
        "'1', '2': ISO/IEC 5218 codes sex 1 = male, 2 = female; NORspine and most registries follow it. "
        "0/1 has no standard meaning: say which is which."]
    assert any(rendered(c.value).startswith("'MIS': ambiguous, could be Tubular MIS, Microscopic") for c in at.caption)
    at = map_code(at, "sex", "1", "male")
    at = map_code(at, "sex", "2", "female")
    at = map_code(at, "approach", "MIS", "Tubular MIS")
    assert at.session_state[STATE]["profile"]["codes"] == {"sex": {"1": "male", "2": "female"}, "approach": {"MIS": "Tubular MIS"}}
    assert code_rows(at, "approach").loc["MIS", "maps to"] == "Tubular MIS"  # drawn again from the profile
    assert "Left unmapped" not in all_text(at)

    ok(at.button(key="import_next").click().run())
    assert step_title(at) == "5. Units"
    # Units: the bare LOS is decided from its values with the evidence said; the user corrects it in the table.
    stay = units_table(at).value.loc["length_of_stay_hours"]
    assert stay["evidence"] == "max 3, median 2, whole numbers: looks like days" and stay["unit"] == "days"
    at = set_unit(at, "length_of_stay_hours", "hours")
    assert at.session_state[STATE]["profile"]["units"] == {"length_of_stay_hours": "hours"}
    stay = units_table(at).value.loc["length_of_stay_hours"]
    assert stay["unit"] == "hours" and stay["evidence"].endswith("looks like days; your choice: hours")

    # ... and back through every step to the first, each still holding the answers.
    for title in ("4. Codes", "3. Columns", "2. Layout", "1. Files"):
        ok(at.button(key="import_back").click().run())
        assert step_title(at) == title
        if title == "3. Columns":
            assert grid(at).value.set_index("column in your file").loc["Theatre", "read as"] == target_label("site")
        if title == "4. Codes":
            assert code_rows(at, "approach").loc["MIS", "maps to"] == "Tubular MIS"
    assert "import_back" not in [b.key for b in at.button]

    ok(at.segmented_control(key=STEP).set_value(5).run())  # straight to the last step
    assert step_title(at) == "6. Check and use"
    ok(at.text_input(key="import_profile_name").set_value("Clinic test export").run())
    ok(at.button(key="import_check").click().run())
    assert any("6 cases accepted and now in use" in s.value for s in at.success), [e.value for e in at.error]
    assert any("Columns left out by your choice: Operation date" in rendered(i.value) for i in at.info)  # said in the report
    first = at.session_state[DATASET_KEY].cases
    assert first["sex"].tolist() == ["male", "female"] * 3
    assert first["approach"].tolist() == ["Open", "Tubular MIS"] * 3
    assert first["site"].tolist() == ["North"] * 3 + ["South"] * 3  # the grid's edit
    assert "surgery_date" not in first.columns  # left out, as chosen (a blank column is not kept)
    assert first["length_of_stay_hours"].tolist() == [1.0, 2.0, 3.0, 1.0, 2.0, 3.0]  # hours, as chosen
    assert first["vas_leg_3m"].notna().all() and first["odi_pre"].notna().all()

    saved = at.download_button(key="import_download_profile").proto.url and dump_profile(at.session_state[STATE]["profile"])
    text = json.loads(saved)
    assert text["codes"]["sex"] == {"1": "male", "2": "female"} and text["codes"]["approach"] == {"MIS": "Tubular MIS"}
    assert text["units"]["length_of_stay_hours"] == "hours" and text["layout"]["kind"] == "operations_followup"
    assert text["columns"]["Theatre"] == "site" and text["columns"]["Operation date"] is None

    # Next month, a fresh session: the files and the profile, no questions.
    fresh = run_page("pages/data.py")
    fresh.file_uploader(key="import_profile_upload").set_value(("spinedash_import_profile.json", saved, "application/json"))
    fresh.run()
    fresh = upload_files(fresh, 2)
    assert any("6 cases accepted and now in use" in s.value for s in fresh.success), [e.value for e in fresh.error]
    assert any("Clinic test export" in s.value for s in fresh.success)
    assert fresh.segmented_control(key=STEP).value == 5  # straight to "Check and use"; the steps are still there
    month2 = fresh.session_state[DATASET_KEY].cases
    ops, fu = export(2)
    expected = load_outcomes([ops, fu], text).cases
    assert month2["sex"].tolist() == ["male", "female"] * 3
    assert month2["site"].tolist() == ["North"] * 3 + ["South"] * 3
    assert month2["case_id"].tolist() == expected["case_id"].tolist()
    assert month2["vas_leg_3m"].tolist() == expected["vas_leg_3m"].tolist()


def test_a_profile_uploaded_after_the_files_checks_them_at_once():
    at = upload_files(run_page("pages/data.py"), 1)
    assert DATASET_KEY not in at.session_state
    profile = {"spinedash_profile": 1, "name": "Late profile", "columns": {"Theatre": "site"},
               "codes": {"sex": {"1": "male", "2": "female"}, "approach": {"MIS": "Tubular MIS"}}}
    at.file_uploader(key="import_profile_upload").set_value(("p.json", json.dumps(profile).encode(), "application/json"))
    ok(at.run())
    assert at.session_state[DATASET_KEY].n_cases == 6
    assert step_title(at) == "6. Check and use" and any("Late profile" in s.value for s in at.success)


def test_a_file_the_template_recognises_goes_straight_to_check_and_use():
    text = b"case_id,condition,approach,vas_leg_pre,vas_leg_12m\nA1,Herniated disc,Open,7,2\nA2,Spinal stenosis,Microscopic,6,3\n"
    at = run_page("pages/data.py")
    files_uploader(at).set_value([("clinic.csv", text, "text/csv")])
    ok(at.run())
    assert at.session_state[DATASET_KEY].n_cases == 2
    assert at.segmented_control(key=STEP).value == 5 and step_title(at) == "6. Check and use"
    ok(at.segmented_control(key=STEP).set_value(2).run())  # the steps are still shown and changeable
    assert grid(at).value["read as"].tolist()[:3] == ["case id", "condition", "approach"]


def test_repeated_ids_that_look_like_visits_switch_to_the_long_layout_with_one_click():
    # Last month's profile said "one row per case"; this month's export has one row per visit.
    profile = {"spinedash_profile": 1, "name": "Old profile", "layout": {"kind": "wide"}}
    text = (b"record_id,redcap_event_name,condition,approach,vas_leg\n"
            b"1,baseline_arm_1,Herniated disc,Open,7\n1,3_months_arm_1,Herniated disc,Open,3\n"
            b"2,baseline_arm_1,Herniated disc,Open,6\n2,3_months_arm_1,Herniated disc,Open,2\n")
    at = run_page("pages/data.py")
    at.file_uploader(key="import_profile_upload").set_value(("p.json", json.dumps(profile).encode(), "application/json"))
    files_uploader(ok(at.run())).set_value([("visits.csv", text, "text/csv")])
    ok(at.run())
    assert DATASET_KEY not in at.session_state
    assert any("visits.csv" in e.value and "cannot be used" in e.value for e in at.error)
    assert "looks like one row per visit" in all_text(at) and "Do not delete rows" in all_text(at)
    # What was recognised is still shown (an expander with the columns read).
    assert any("What SpineDash recognised" in e.label for e in at.expander)
    ok(at.button(key="import_use_long").click().run())
    assert at.session_state[STATE]["profile"]["layout"]["kind"] == "long"
    assert any("2 cases accepted and now in use" in s.value for s in at.success), [e.value for e in at.error]
    cases = at.session_state[DATASET_KEY].cases
    assert cases["vas_leg_pre"].tolist() == [7.0, 6.0] and cases["vas_leg_3m"].tolist() == [3.0, 2.0]
    ok(at.segmented_control(key=STEP).set_value(1).run())
    assert at.selectbox(key="import_layout_kind").value == "long"  # the Layout step shows the switch


def test_a_file_set_that_cannot_be_read_says_so_without_a_traceback():
    at = run_page("pages/data.py")
    files_uploader(at).set_value([("a.csv", b"%PDF-1.4 not a table", "text/csv")])
    ok(at.run())
    assert any("a.csv" in e.value and "cannot be used" in e.value for e in at.error)
    assert STEP not in [s.key for s in at.segmented_control]  # no steps for what is not a table


def test_going_back_to_the_sample_lets_go_of_the_imported_files():
    at = run_page("pages/data.py")
    profile = {"spinedash_profile": 1, "codes": {"sex": {"1": "male", "2": "female"}, "approach": {"MIS": "Tubular MIS"}}}
    at.file_uploader(key="import_profile_upload").set_value(("p.json", json.dumps(profile).encode(), "application/json"))
    at = upload_files(at, 1)
    assert at.session_state[DATASET_KEY].n_cases == 6 and STATE in at.session_state
    at.button(key="use_sample").click().run()
    assert STATE not in at.session_state and DATASET_KEY not in at.session_state
    assert all(not u.value for u in at.file_uploader)  # the uploaders are drawn empty
    assert STEP not in [s.key for s in at.segmented_control]  # no import left to step through


def test_a_refused_file_shows_what_was_recognised_and_leads_to_the_columns_it_may_need():
    # The approach is under a header SpineDash does not know; the template's check still runs once a
    # profile says how to read the file, and the refusal names the candidate.
    profile = {"spinedash_profile": 1, "name": "Clinic"}
    text = b"Patient ID,Diagnose,Metode,VAS leg pre-op\nP1,Herniated disc,Open,7\nP2,Spinal stenosis,Microscopic,6\n"
    at = run_page("pages/data.py")
    at.file_uploader(key="import_profile_upload").set_value(("p.json", json.dumps(profile).encode(), "application/json"))
    files_uploader(ok(at.run())).set_value([("clinic.csv", text, "text/csv")])
    ok(at.run())
    assert any("clinic.csv" in e.value and "cannot be used" in e.value for e in at.error)
    assert "Candidates in your file: 'Metode'" in rendered(all_text(at))
    assert any("What SpineDash recognised" in e.label for e in at.expander)
    ok(at.button(key="import_to_columns").click().run())
    assert step_title(at) == "3. Columns"
    at = edit_grid(at, "Metode", target_label("approach"))
    ok(at.segmented_control(key=STEP).set_value(5).run())
    ok(at.button(key="import_check").click().run())
    assert any("2 cases accepted and now in use" in s.value for s in at.success), [e.value for e in at.error]
    assert at.session_state[DATASET_KEY].cases["approach"].tolist() == ["Open", "Microscopic"]


def test_editing_the_codes_and_units_tables_changes_the_profile_and_the_cases():
    profile = {"spinedash_profile": 1, "name": "Clinic", "columns": {"Theatre": "site"},
               "codes": {"sex": {"1": "male", "2": "female"}, "approach": {"MIS": "Tubular MIS"}}}
    at = run_page("pages/data.py")
    at.file_uploader(key="import_profile_upload").set_value(("p.json", json.dumps(profile).encode(), "application/json"))
    at = upload_files(ok(at.run()), 1)
    before = at.session_state[DATASET_KEY].cases
    assert before["approach"].tolist() == ["Open", "Tubular MIS"] * 3
    assert before["length_of_stay_hours"].tolist() == [24.0, 48.0, 72.0] * 2  # bare LOS read as days

    ok(at.segmented_control(key=STEP).set_value(3).run())
    assert step_title(at) == "4. Codes"
    assert code_rows(at, "approach").loc["MIS", "maps to"] == "Tubular MIS"
    assert code_rows(at, "approach").loc["MIS", "note"].startswith("your choice (profile)")
    at = map_code(at, "approach", "MIS", "Full-endoscopic")
    assert at.session_state[STATE]["profile"]["codes"]["approach"] == {"MIS": "Full-endoscopic"}
    # A recognised value set to "(leave unmapped)" is not a code: it goes back to SpineDash's reading.
    at = map_code(at, "approach", "Open", "(leave unmapped)")
    assert at.session_state[STATE]["profile"]["codes"]["approach"] == {"MIS": "Full-endoscopic"}
    assert code_rows(at, "approach").loc["Open", "maps to"] == "Open"
    # Sex back to unmapped: the code goes, and the value is listed as left unmapped.
    at = map_code(at, "sex", "2", "(leave unmapped)")
    assert at.session_state[STATE]["profile"]["codes"]["sex"] == {"1": "male"}
    assert "'2' (3 rows)" in rendered(all_text(at))
    at = map_code(at, "sex", "2", "female")

    ok(at.segmented_control(key=STEP).set_value(4).run())
    assert step_title(at) == "5. Units"
    at = set_unit(at, "length_of_stay_hours", "0-100")  # not a unit for a stay: refused, named
    assert any("cannot be read in 0-100" in w.value for w in at.warning)
    assert "units" not in at.session_state[STATE]["profile"]
    at = set_unit(at, "length_of_stay_hours", "hours")
    assert at.session_state[STATE]["profile"]["units"] == {"length_of_stay_hours": "hours"}

    ok(at.segmented_control(key=STEP).set_value(5).run())
    ok(at.button(key="import_check").click().run())
    assert any("6 cases accepted and now in use" in s.value for s in at.success), [e.value for e in at.error]
    after = at.session_state[DATASET_KEY].cases
    assert after["approach"].tolist() == ["Open", "Full-endoscopic"] * 3
    assert after["sex"].tolist() == ["male", "female"] * 3
    assert after["length_of_stay_hours"].tolist() == [1.0, 2.0, 3.0] * 2
    saved = json.loads(dump_profile(at.session_state[STATE]["profile"]))
    assert saved["codes"] == {"sex": {"1": "male", "2": "female"}, "approach": {"MIS": "Full-endoscopic"}}
    assert saved["units"] == {"length_of_stay_hours": "hours"}


def test_a_code_left_unmapped_is_reported_with_its_rows_not_guessed():
    at = upload_files(run_page("pages/data.py"), 1)
    ok(at.segmented_control(key=STEP).set_value(3).run())
    at = map_code(at, "sex", "1", "male")
    at = map_code(at, "sex", "2", "female")
    ok(at.segmented_control(key=STEP).set_value(5).run())
    ok(at.button(key="import_check").click().run())
    assert DATASET_KEY not in at.session_state  # MIS is not guessed
    problems = next(t.value for t in at.table if list(t.value.columns) == ["column", "rows", "what was expected"])
    assert problems["column"].tolist() == ["Approach"] and problems["rows"].tolist() == ["3, 5, 7"]  # its rows, named
    assert rendered(problems["what was expected"].iloc[0]).startswith("'MIS' can mean Tubular MIS")


def test_two_columns_read_as_one_target_each_get_a_codes_table():
    # 'Sex' and 'Gender' are both read as sex (the Columns step warns; the check refuses): the Codes step
    # still draws a table for each, with its own key, instead of failing on a repeated widget key.
    text = b"case_id,condition,approach,Sex,Gender,vas_leg_pre\nA1,Herniated disc,Open,1,m\nA2,Herniated disc,Open,2,f\n"
    at = run_page("pages/data.py")
    files_uploader(at).set_value([("two_sexes.csv", text, "text/csv")])
    ok(at.run())
    ok(at.segmented_control(key=STEP).set_value(3).run())
    tables = [e for e in at.data_editor if e.key.startswith("import_codes_sex_")]
    assert len(tables) == 2 and len({e.key for e in tables}) == 2
    assert sorted(tuple(sorted(e.value["value in your file"])) for e in tables) == [("1", "2"), ("f", "m")]


def test_a_rating_read_as_satisfied_yes_no_asks_for_its_cut_off_in_the_codes_step():
    text = (b"case_id,condition,approach,vas_leg_pre,satisfied_12m\n"
            b"A1,Herniated disc,Open,7,1\nA2,Herniated disc,Open,6,2\nA3,Herniated disc,Open,8,4\nA4,Herniated disc,Open,5,5\n")
    at = run_page("pages/data.py")
    files_uploader(at).set_value([("ratings.csv", text, "text/csv")])
    ok(at.run())
    assert DATASET_KEY not in at.session_state  # a rating is not yes/no until the cut-off is said
    ok(at.segmented_control(key=STEP).set_value(3).run())
    # No value table for a rating: the cut-off control instead.
    assert not [e for e in at.data_editor if e.key.startswith("import_codes_satisfied_12m_")]
    cutoff = at.multiselect(key="import_cutoff_satisfied")
    assert list(cutoff.options) == ["1", "2", "4", "5"] and cutoff.value == []
    ok(cutoff.set_value(["4", "5"]).run())
    assert at.session_state[STATE]["profile"]["cutoffs"]["satisfaction"]["satisfied_if"] == ["4", "5"]
    ok(at.segmented_control(key=STEP).set_value(5).run())
    ok(at.button(key="import_check").click().run())
    assert any("4 cases accepted and now in use" in s.value for s in at.success), [e.value for e in at.error]
    assert at.session_state[DATASET_KEY].cases["satisfied_12m"].tolist() == [False, False, True, True]
