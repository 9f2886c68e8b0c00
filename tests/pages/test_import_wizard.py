"""AppTest driving the import wizard on the Data page: two files, a code and a unit mapped, the profile
saved, then next month's files with the profile in a fresh session: one step, the same cases."""

from __future__ import annotations

import json

from spinedash.ingest import dump_profile, load_outcomes
from tests.pages.apptest import run_page

STATE = "import_state"
DATASET_KEY = "data_source_dataset"


def export(month: int) -> tuple[bytes, bytes]:
    """An operations file and a follow-up file as a clinic's system writes them (sex 1/2, 'MIS', a bare LOS)."""
    ops = ["Operation no,Patient no,Operation date,Diagnosis,Approach,Sex,LOS"]
    fu = ["Patient no,Form date,Leg pain (0-10),ODI (%)"]
    for i in range(6):
        pid = 100 * month + i
        ops.append(f"OP{pid},{pid},2024-{month:02d}-{10 + i:02d},Herniated disc,{'MIS' if i % 2 else 'Open'},{1 + i % 2},{1 + i % 3}")
        fu.append(f"{pid},2024-{month:02d}-{1 + i:02d},{6 + i % 3},{40 + i}")
        fu.append(f"{pid},2024-{month + 3:02d}-{10 + i:02d},{2 + i % 2},{20 + i}")
    return ("\n".join(ops) + "\n").encode(), ("\n".join(fu) + "\n").encode()


def upload_files(at, month: int):
    ops, fu = export(month)
    at.file_uploader(key="import_files").set_value([(f"operations_{month}.csv", ops, "text/csv"), (f"followup_{month}.csv", fu, "text/csv")])
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def select_code(at, label_start: str, value: str):
    box = next(s for s in at.selectbox if s.label.startswith(label_start))
    box.set_value(value).run()
    assert not at.exception, [e.value for e in at.exception]


def test_the_wizard_maps_codes_and_units_and_the_saved_profile_imports_next_month_in_one_step():
    at = upload_files(run_page("pages/data.py"), 1)
    assert at.selectbox(key="import_layout_kind").value == "operations_followup"  # detected and said
    assert any("joined by patient" in m.value for m in at.markdown)
    # Codes: sex 1/2 is suggested with its standard but not applied; MIS is asked about.
    assert any(s.label.startswith("'MIS'") for s in at.selectbox)
    select_code(at, "'1'", "male")
    select_code(at, "'2'", "female")
    select_code(at, "'MIS'", "Tubular MIS")
    # Units: the bare LOS is decided from its values with the evidence said; the user corrects it.
    stay = at.radio(key="import_unit_length_of_stay_hours")
    assert "whole numbers: looks like days" in stay.label and stay.value == "days"
    stay.set_value("hours").run()
    at.text_input(key="import_profile_name").set_value("Clinic test export").run()
    at.button(key="import_check").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("6 cases accepted and now in use" in s.value for s in at.success), [e.value for e in at.error]
    first = at.session_state[DATASET_KEY].cases
    assert first["sex"].tolist() == ["male", "female"] * 3
    assert first["approach"].tolist() == ["Open", "Tubular MIS"] * 3
    assert first["length_of_stay_hours"].tolist() == [1.0, 2.0, 3.0, 1.0, 2.0, 3.0]  # hours, as chosen
    assert first["vas_leg_3m"].notna().all() and first["odi_pre"].notna().all()

    profile = at.session_state[STATE]["profile"]
    saved = dump_profile(profile)
    text = json.loads(saved)
    assert text["codes"]["sex"] == {"1": "male", "2": "female"} and text["codes"]["approach"] == {"MIS": "Tubular MIS"}
    assert text["units"]["length_of_stay_hours"] == "hours" and text["layout"]["kind"] == "operations_followup"

    # Next month, a fresh session: the files and the profile, no questions.
    fresh = run_page("pages/data.py")
    fresh.file_uploader(key="import_profile_upload").set_value(("spinedash_import_profile.json", saved, "application/json"))
    fresh.run()
    fresh = upload_files(fresh, 2)
    assert any("6 cases accepted and now in use" in s.value for s in fresh.success), [e.value for e in fresh.error]
    assert any("Clinic test export" in s.value for s in fresh.success)
    month2 = fresh.session_state[DATASET_KEY].cases
    ops, fu = export(2)
    expected = load_outcomes([ops, fu], profile).cases
    assert month2["sex"].tolist() == ["male", "female"] * 3
    assert month2["case_id"].tolist() == expected["case_id"].tolist()
    assert month2["vas_leg_3m"].tolist() == expected["vas_leg_3m"].tolist()


def test_a_file_set_that_cannot_be_read_says_so_without_a_traceback():
    at = run_page("pages/data.py")
    at.file_uploader(key="import_files").set_value([("a.csv", b"%PDF-1.4 not a table", "text/csv")])
    at.run()
    assert not at.exception
    assert any("cannot be read" in e.value for e in at.error)


def test_going_back_to_the_sample_lets_go_of_the_imported_files():
    at = run_page("pages/data.py")
    profile = {"spinedash_profile": 1, "codes": {"sex": {"1": "male", "2": "female"}, "approach": {"MIS": "Tubular MIS"}}}
    at.file_uploader(key="import_profile_upload").set_value(("p.json", json.dumps(profile).encode(), "application/json"))
    at = upload_files(at, 1)
    assert at.session_state[DATASET_KEY].n_cases == 6 and STATE in at.session_state
    at.button(key="use_sample").click().run()
    assert STATE not in at.session_state
    assert all(not u.value for u in at.file_uploader)  # the uploaders are drawn empty
