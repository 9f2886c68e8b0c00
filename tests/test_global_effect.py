"""NORspine's "Nytte" and NKR's "NytteOpr" (benefit of the operation, 1 helt bra … 7 verre enn noen gang):
a catalogue measure read from both datadumps, shown as the share answering 1-2 and never as a mean of codes."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spinedash import analysis
from spinedash.catalogue import CatalogueError, load_catalogue, parse_measures
from spinedash.ingest import load_outcomes
from tests.data.exports import make_exports
from tests.pages.apptest import all_text, chart_specs, run_page
from tests.test_catalogue import _measures_frame

EXPORTS = make_exports.HERE
PROFILES = Path(__file__).resolve().parents[1] / "data" / "profiles"
CAT = load_catalogue()


def test_the_catalogue_holds_the_benefit_rating_with_the_registries_cutoff():
    m = CAT.measures["global_effect"]
    assert (m.kind, m.scale_min, m.scale_max, m.better, m.cutoff) == ("rating", 1, 7, "lower", 2)
    assert {"3m", "12m"} <= set(m.timepoints) and "pre" not in m.timepoints
    assert m.summary == "share" and not m.has_mean and m.headline is None
    assert "RyggVarTilrettelegg.R lines 590-609" in m.cutoff_source and "NakkeVarTilrettelegg.R lines 687-714" in m.cutoff_source
    assert m.mcid is None  # a rating has a cut-off with its source, no invented MCID
    # every other measure keeps its mean: the scores, and satisfaction 1-5 as the catalogue says
    assert all(x.has_mean for x in CAT.measures.values() if x.id != "global_effect")


@pytest.mark.parametrize(("changes", "message"), [
    ({"summary": "median"}, "summary must be"),
    ({"summary": "share"}, "for a rating"),
    ({"kind": "rating", "timepoints": "12m", "mcid": "", "cutoff": "2", "cutoff_source": "x", "summary": "share", "headline": "1"},
     "cannot be a headline"),
])
def test_a_malformed_summary_is_named(changes, message):
    with pytest.raises(CatalogueError, match=message):
        parse_measures(_measures_frame(**changes), CAT.timepoints)


def test_header_words_name_the_measure():
    from spinedash.ingest.map import match_header

    assert match_header("Nytte3mnd") == ("global_effect_3m", None)
    assert match_header("NytteOpr12mnd") == ("global_effect_12m", None)


@pytest.mark.parametrize(("name", "profile", "columns", "worse"), [
    ("norspine_lumbar_datadump.csv", "norspine_lumbar.json", ("Nytte3mnd", "Nytte12mnd"), 4),
    ("nkr_cervical_datadump.csv", "nkr_cervical.json", ("NytteOpr3mnd", "NytteOpr12mnd"), 3),
])
def test_both_datadumps_read_the_benefit_at_3_and_12_months(name, profile, columns, worse):
    cases = make_exports.cervical_cases() if "nkr" in name else make_exports.lumbar_cases()
    result = load_outcomes(str(EXPORTS / name))
    got = result.cases.set_index(result.cases["case_id"].astype(str))
    for t in cases:
        for tp in ("3m", "12m"):
            have = got.loc[str(t.case_id), f"global_effect_{tp}"]
            want = (2 if t.satisfaction[tp] <= 2 else worse) if tp in t.satisfaction else None
            assert (want is None and pd.isna(have)) or have == want, (t.case_id, tp)
    spec = json.loads((PROFILES / profile).read_text(encoding="utf-8"))
    assert [spec["columns"][c] for c in columns] == ["global_effect_3m", "global_effect_12m"]
    notes = " ".join(spec["assumptions"])
    assert "global_effect" in notes and "no catalogue measure" not in notes and "no measure in" not in notes


def test_unknown_and_zero_are_missing_not_answers():
    path = EXPORTS / "norspine_lumbar_datadump.csv"
    frame = pd.read_csv(path, sep=";", encoding="latin-1", dtype=str, keep_default_na=False)
    answered = np.flatnonzero(frame["Nytte12mnd"].to_numpy() != "")[:2]
    frame.loc[answered[0], "Nytte12mnd"] = "9"
    frame.loc[answered[1], "Nytte12mnd"] = "0"
    out = io.StringIO()
    frame.to_csv(out, sep=";", index=False)
    result = load_outcomes(out.getvalue().encode("latin-1"), filename="dump.csv")
    ids = frame.loc[answered, "ForlopsID"].tolist()
    got = result.cases.set_index(result.cases["case_id"].astype(str))
    assert got.loc[ids, "global_effect_12m"].isna().all()


def test_no_mean_of_codes_and_the_share_counts_helt_bra_and_mye_bedre():
    cases = pd.DataFrame({"approach": ["Open"] * 6, "global_effect_12m": [1, 2, 3, 4, 7, None]})
    with pytest.raises(ValueError, match="no mean"):
        analysis.pain_trajectory(cases, "global_effect", min_cell=1)
    rates = analysis.mcid_rates(cases, "global_effect", analysis.mcid_default("global_effect"), min_cell=1)
    row = rates[rates["timepoint"] == "12m"].iloc[0]
    assert (row["n"], row["responders"]) == (5, 2)


def test_the_outcomes_page_shows_the_share_and_no_mean():
    from spinedash.dataset import Dataset, without_blank_columns

    cases = load_outcomes(str(EXPORTS / "norspine_lumbar_datadump.csv")).cases
    dataset = Dataset(without_blank_columns(cases), "dump.csv", is_synthetic=False, content_key="norspine-benefit")
    at = run_page("pages/pain.py", session={"data_source_dataset": dataset}, query_params={"pain_measure": "Benefit (1–7)"})
    assert not at.exception, [e.value for e in at.exception]
    assert "Benefit of the operation (1–7)" in set(at.table[0].value.index)
    text = all_text(at)
    assert "draws no mean" in text and "Patients reaching the cut-off" in text
    titles = json.dumps(chart_specs(at))
    assert "mean with 95% CI" not in titles
    assert at.number_input(key="mcid_global_effect").value == 2

