"""AppTest: a classic REDCap project's export (raw, or the "CSV (labels)" download with its repeated
"Complete?" headers) uploaded on the Data page is recognised by its built-in profile and goes straight
to "Check and use" with every case; the earlier steps still open without an error."""

from __future__ import annotations

import pytest

from tests.data.exports import make_redcap_classic
from tests.pages.apptest import run_page

FILES = make_redcap_classic.build()
NAMES = {"redcap_classic_raw.csv": "REDCap classic project export, raw codes (SpineDash spine clinic project)",
         "redcap_classic_labels.csv": "REDCap classic project export, labels (SpineDash spine clinic project)",
         "redcap_classic_labels_raw_headers.csv": "REDCap classic project export, labels with raw headers (SpineDash spine clinic project)"}


def ok(at):
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("name", sorted(NAMES))
def test_classic_redcap_export_is_recognised_and_imported_in_one_step(name):
    at = run_page("pages/data.py")
    (uploader,) = [u for u in at.file_uploader if u.key.startswith("import_files")]
    uploader.set_value([(name, FILES[name], "text/csv")])
    ok(at.run())
    assert any(NAMES[name] in s.value and "built-in profile" in s.value for s in at.success), [s.value for s in at.success]
    assert at.segmented_control(key="import_step").value == 5
    dataset = at.session_state["data_source_dataset"]
    assert dataset.n_cases == len(make_redcap_classic.clinic_cases()) == 16
    for step in (1, 2, 3, 4):  # layout, columns, codes, units: shown and changeable, no traceback
        ok(at.segmented_control(key="import_step").set_value(step).run())
