"""A classic REDCap project's "CSV (labels)" download, uploaded through the real browser file input:
recognised by its built-in profile and in use in one step, lumbar and cervical cases alike."""

from pathlib import Path

import pytest

from tests.e2e.conftest import wait_for_app
from tests.e2e.test_upload import open_data_page, sidebar

pytestmark = pytest.mark.e2e

EXPORTS = Path(__file__).resolve().parents[1] / "data" / "exports"


def test_classic_redcap_label_export_is_recognised_and_used(server, page, artifacts):
    open_data_page(page, server["url"])
    file_input = page.locator('[data-testid="stFileUploader"] input[type="file"]').first
    file_input.set_input_files(str(EXPORTS / "redcap_classic_labels.csv"))
    sidebar(page).get_by_text("redcap_classic_labels.csv — 16 cases").wait_for()
    wait_for_app(page)
    body = page.inner_text("body")
    assert "Recognised as REDCap classic project export, labels (SpineDash spine clinic project)" in body
    assert "16 cases accepted and now in use" in body
    page.screenshot(path=str(artifacts / "data_redcap_classic_labels.png"), full_page=True)
