"""AppTest for the Data page and the data source every page uses.

Uploads go through the real `st.file_uploader` (AppTest 1.67 supports `set_value` on it, and the
widget's on_change callback runs as in the browser). One AppTest limitation: after `switch_page`,
AppTest's tree holds no sidebar elements for any page, so the sidebar is checked on a first run of
the home page with the session seeded (AppTest also drops app.py's sidebar on reruns of the real app).
"""

from __future__ import annotations

from pathlib import Path

from spinedash.dataset import Dataset
from spinedash.ingest import load_outcomes, read_tables, run_pipeline
from spinedash.ui import data_source, import_wizard
from tests.data.make_fixtures import BROKEN_CSV, MESSY_CSV, MESSY_ROWS
from tests.pages.apptest import APP, TIMEOUT_S, all_text, rendered, run_page

DATA = Path(__file__).resolve().parents[1] / "data"
DATASET_KEY = "data_source_dataset"
IMPORT_STATE = "import_state"


def files_uploader(at):
    # The Data page's one uploader for files (its key changes after each import and after going back
    # to the sample, so it is drawn empty); the other one takes an import profile.
    (uploader,) = [u for u in at.file_uploader if u.key.startswith("import_files")]
    return uploader


def upload(at, name: str, data: bytes):
    files_uploader(at).set_value([(name, data, "text/csv")])
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def in_use(at) -> Dataset | None:
    return at.session_state[DATASET_KEY] if DATASET_KEY in at.session_state else None


def test_data_page_runs_on_the_sample():
    at = run_page("pages/data.py")
    assert not at.exception
    text = all_text(at)
    assert at.title[0].value == "Data"
    assert "Sample cohort — synthetic demonstration data" in text
    assert any("synthetic demonstration data" in i.value for i in at.info)  # ui.synthetic_notice()
    assert "not medical advice" in text.lower()
    assert files_uploader(at).allowed_type  # the uploader is there…
    assert len(at.file_uploader) == 2  # …one for the files, one for an optional import profile, nothing else
    assert at.button(key="use_sample").disabled  # already on the sample
    assert [s.value for s in at.subheader] == ["Follow-up completeness", "Preview", "Data dictionary", "Outcome measures"]


def test_measure_table_has_short_sources_and_the_full_citations_in_an_expander():
    from spinedash.schema import measure_table

    at = run_page("pages/data.py")
    assert not at.exception
    shown = at.dataframe[-1].value
    assert "instrument" not in shown.columns and "where studies disagree" not in shown.columns
    assert shown.set_index("measure").loc["odi", "source"] == "Parai 2020"
    sources = next(e for e in at.expander if e.label.startswith("Sources in full"))
    text = " ".join(m.value for m in sources.markdown)
    assert all(s in text for s in measure_table()["source"])


def test_uploading_a_messy_export_puts_it_in_use():
    at = upload(run_page("pages/data.py"), "clinic.csv", MESSY_CSV.encode("cp1252"))
    dataset = in_use(at)
    assert dataset is not None and not dataset.is_synthetic
    assert dataset.n_cases == MESSY_ROWS
    assert dataset.filename == "clinic.csv"
    assert len(dataset.content_key) == 64  # sha256 of the files' bytes and the profile they were read with
    text = all_text(at)
    assert f"clinic.csv — {MESSY_ROWS} cases" in text
    assert f"{MESSY_ROWS} cases accepted and now in use ({MESSY_ROWS + 1} rows read, 1 blank)" in at.success[0].value
    # Routine conversions are information, not amber warnings (issue 11); an ignored column is a warning.
    assert any("converted to hours" in i.value for i in at.info)
    assert not any("converted" in w.value for w in at.warning) and "ignored" in at.warning[0].value
    assert not any("synthetic demonstration data" in i.value for i in at.info)
    assert not at.button(key="use_sample").disabled
    preview = next(d.value for d in at.dataframe if "vas_leg_pre" in d.value.columns)
    assert preview["case_id"].tolist() == ["N-001", "N-002", "N-003", "N-004", "N-005"]
    completeness = next(t.value for t in at.table if "Before surgery" in t.value.columns)
    assert completeness.loc["VAS leg", "Before surgery"] == "100%"
    assert completeness.loc["VAS leg", "12 months"] == "80%"  # 4 of 5 recorded
    assert completeness.loc["ODI", "2 weeks"] == "—"


def test_broken_upload_shows_the_problem_table_and_keeps_the_data_in_use():
    at = upload(run_page("pages/data.py"), "clinic.csv", MESSY_CSV.encode("cp1252"))
    at = upload(at, "broken.csv", BROKEN_CSV.encode())
    assert "broken.csv" in at.error[0].value and "5 problems" in at.error[0].value
    table = next(t.value for t in at.table if "what was expected" in t.value.columns)
    assert table.columns.tolist() == ["column", "rows", "what was expected"]
    rows = {rendered(c): rendered(r) for c, r in zip(table["column"], table["rows"], strict=True)}
    assert rows["approach"] == "3" and rows["case_id"] == "2, 7" and rows["vas_leg_pre"] == "6"
    assert in_use(at).filename == "clinic.csv"  # the earlier good upload is still in use


def test_use_sample_button_and_clearing_the_uploader_go_back_to_the_sample():
    at = upload(run_page("pages/data.py"), "clinic.csv", MESSY_CSV.encode("cp1252"))
    at.button(key="use_sample").click().run()
    assert in_use(at) is None
    assert "Sample cohort — synthetic demonstration data" in all_text(at)
    # Everything read from the upload is let go: no report of it, an empty uploader.
    assert "clinic.csv" not in all_text(at)
    assert IMPORT_STATE not in at.session_state
    assert not files_uploader(at).value and files_uploader(at).key != "import_files"

    at = upload(at, "again.csv", MESSY_CSV.replace("N-001", "N-101").encode("cp1252"))
    assert in_use(at).filename == "again.csv"
    # After an import the uploader is empty again, ready for the next export (a new drop is a new import).
    assert not files_uploader(at).value
    at.button(key="use_sample").click().run()
    assert in_use(at) is None and IMPORT_STATE not in at.session_state


def test_the_same_files_are_read_and_checked_once(monkeypatch):
    reads, checks = [], []

    def counting_read(sources, names=None, options=None):
        reads.append(list(names))
        return read_tables(sources, names, options)

    def counting_check(tables, profile, info=None):
        checks.append(list(tables))
        return run_pipeline(tables, profile, info)

    monkeypatch.setattr(import_wizard, "read_tables", counting_read)
    monkeypatch.setattr(import_wizard, "run_pipeline", counting_check)
    data = MESSY_CSV.encode("cp1252")
    at = upload(run_page("pages/data.py"), "a.csv", data)
    at = upload(at, "a.csv", data)  # the same file dropped again
    at.run()  # plain reruns never read or check
    assert reads == [["a.csv"]] and len(checks) == 1
    assert in_use(at).filename == "a.csv"
    at = upload(at, "renamed.csv", data)  # another name is another import
    assert in_use(at).filename == "renamed.csv" and len(reads) == 2


def first_run_with(session: dict):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    for key, value in session.items():
        at.session_state[key] = value
    return at.run()


def test_sidebar_shows_the_upload_and_goes_back_to_the_sample():
    result = load_outcomes(DATA / "messy_export.csv")
    at = first_run_with({DATASET_KEY: Dataset(result.cases, "clinic.csv", False, "clinic.csv", "k")})
    assert not at.exception
    assert f"clinic.csv — {MESSY_ROWS} cases" in [c.value for c in at.sidebar.caption]
    at.sidebar.button(key="sidebar_use_sample").click().run()
    assert in_use(at) is None  # the button's callback dropped the upload


def test_sidebar_on_the_sample():
    at = first_run_with({})
    assert not at.exception
    captions = [c.value for c in at.sidebar.caption]
    assert any(c.startswith("Sample cohort — synthetic demonstration data,") for c in captions)
    # no way "back" when already on the sample (the landing page's filter Reset button is another matter)
    assert "sidebar_use_sample" not in [b.key for b in at.sidebar.button]


def test_the_shared_sample_cannot_be_changed_through_one_session():
    """The sample is read once per server and handed out as shallow copies: copy-on-write keeps
    anything a page does to its frame out of every other session's."""
    mine = data_source._sample_cases()
    before = data_source._sample_cases()["vas_leg_pre"].copy()
    mine["vas_leg_pre"] = 0.0
    mine.loc[mine.index[0], "approach"] = "Open"
    theirs = data_source._sample_cases()
    assert theirs["vas_leg_pre"].equals(before)
    assert theirs is not mine and len(theirs) == len(mine)
