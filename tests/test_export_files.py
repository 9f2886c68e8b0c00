"""The registry-shaped export files in tests/data/exports/ are exactly what make_exports.py writes."""

from __future__ import annotations

import re

import pytest

from tests.data.exports import make_exports

FILES = make_exports.build()


@pytest.mark.parametrize("name", sorted(FILES))
def test_committed_file_matches_generator(name):
    on_disk = (make_exports.HERE / name).read_bytes()
    assert on_disk == FILES[name], f"{name} differs from make_exports.py: run it and commit the result"


def test_eleven_files_as_the_issue_lists_and_a_classic_redcap_project():
    assert len(FILES) == 12
    assert "redcap_classic_repeating.csv" in FILES  # the twelfth: a REDCap project without events (repeating forms)


def test_datadumps_are_written_like_r_write_csv2():
    dump = FILES["norspine_lumbar_datadump.csv"]
    text = dump.decode("latin-1")
    header, first = text.splitlines()[:2]
    assert header.startswith('"PasientID";"ForlopsID";')
    assert re.search(r";0,[0-9]+;", first)  # decimal comma (EQ-5D index)
    assert "Troms\xf8".encode("latin-1") in dump  # Latin-1, not UTF-8
