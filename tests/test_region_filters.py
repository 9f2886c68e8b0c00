"""Region, technique and revision filters (spinedash.filters), on a small frame worked by hand."""

from __future__ import annotations

import pandas as pd

from spinedash.filters import Filters, apply_filters, describe_filters, filter_options, no_match_message


def _cases():
    return pd.DataFrame({
        "case_id": ["a", "b", "c", "d"],
        "region": pd.Categorical(["lumbar", "cervical", "cervical", None]),
        "technique": pd.Categorical(["Biportal endoscopic (UBE/BESS)", "Microscope", "Loupes", "Microscope"]),
        "revision": pd.array([False, True, False, None], dtype="boolean"),
    })


def test_options_in_the_surgeons_words_and_order():
    options = filter_options(_cases())
    assert options.regions == ("cervical", "lumbar")  # head to pelvis
    assert options.techniques == ("Biportal endoscopic (UBE/BESS)", "Loupes", "Microscope")
    assert options.revisions == ("First operation", "Revision")
    assert filter_options(_cases().drop(columns="revision")).revisions is None


def test_filters_keep_the_right_cases():
    cases = _cases()
    assert apply_filters(cases, Filters(regions=("cervical",)))["case_id"].tolist() == ["b", "c"]
    assert apply_filters(cases, Filters(techniques=("Microscope",)))["case_id"].tolist() == ["b", "d"]
    assert apply_filters(cases, Filters(revisions=("Revision",)))["case_id"].tolist() == ["b"]
    assert apply_filters(cases, Filters(revisions=("First operation",)))["case_id"].tolist() == ["a", "c"]  # unknown drops out
    both = Filters(regions=("cervical",), revisions=("First operation",))
    assert apply_filters(cases, both)["case_id"].tolist() == ["c"]
    assert describe_filters(both) == "Spine region: cervical · First operation or revision: First operation"


def test_an_emptying_region_filter_is_named():
    cases = _cases()
    message = no_match_message(cases, Filters(regions=("thoracic",)))
    assert "Spine region" in message
