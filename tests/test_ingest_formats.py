"""Clinic exports in other languages and shapes: what the import suggests, what it asks, and the cases
once the questions are answered.

The files are tests/data/exports/ (written by make_exports.py from known synthetic cases). Each test
goes through the stages a user goes through in the wizard: the map stage's column choices and code
tables (`value_table`: "recognised" = suggested from SpineDash's vocabulary, "ask" = an ambiguous word
the user must answer), then `load_outcomes` with the answers as a profile dict, checked against the
truth the file was written from.
"""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest

from spinedash.ingest import OutcomeDataError, load_outcomes
from spinedash.ingest.column_grid import duplicate_targets
from spinedash.ingest.map import choose_columns, value_table
from spinedash.ingest.read import read_tables
from spinedash.ingest.shape import detect_layout, shape
from tests.data.exports import make_exports, make_redcap_classic

EXPORTS = make_exports.HERE
LUMBAR = make_exports.lumbar_cases()
CERVICAL = make_exports.cervical_cases()


def _map_stage(name: str) -> tuple[pd.DataFrame, dict[str, tuple[str | None, int]]]:
    """The shaped table and, per source column, (suggested target, position), as the wizard's Columns step sees it."""
    tables = read_tables(str(EXPORTS / name))
    shaped = shape(tables, detect_layout(tables).settings)
    choices, _ = choose_columns([str(c) for c in shaped.cases.columns], None, shaped.timepoint, shaped.cases)
    return shaped.cases, {c.source: (c.target, c.position) for c in choices}


def _codes(frame: pd.DataFrame, columns: dict, source: str, target: str | None = None) -> dict[str, tuple[object, str]]:
    """The Codes step's table for one source column: value -> (maps to, status)."""
    mapped, position = columns[source]
    table = value_table(frame.iloc[:, position], target or mapped, source=source)
    return {row.value: (row.maps_to if row.status != "ask" else None, row.status) for row in table.itertuples()}


def _asked(frame, columns, source, target=None) -> set[str]:
    return {v for v, (_, status) in _codes(frame, columns, source, target).items() if status == "ask"}


def _profile(answers: dict | None) -> dict | None:
    """The wizard's answers as an import profile (what "Save profile" writes)."""
    return None if answers is None else {"spinedash_profile": 1, **answers}


def _problems(name: str, answers: dict | None = None) -> dict[str, set[str]]:
    with pytest.raises(OutcomeDataError) as refused:
        load_outcomes(str(EXPORTS / name), _profile(answers))
    out: dict[str, set[str]] = {}
    for p in refused.value.problems:
        out.setdefault(p.column, set()).add(p.message.split("'")[1] if "'" in p.message else p.message)
    return out


# --- Swespine-style (Swedish words, VAS 0-100, follow-up at 1 and 2 years) -----------------------

SWESPINE = "swespine_style_clinic.csv"
SWESPINE_ANSWERS = {"codes": {"Op.metod": {"Mikroskop": "Microscopic", "Endoskopisk": "Full-endoscopic"}}}


def test_swespine_columns_and_codes_suggested_from_the_vocabulary():
    frame, columns = _map_stage(SWESPINE)
    assert columns["Personnr (pseudonym)"][0] == "case_id"
    assert columns["Kön"][0] == "sex" and columns["Diagnos"][0] == "condition" and columns["Op.metod"][0] == "approach"
    assert columns["VAS ben 2 år"][0] == "vas_leg_24m" and columns["EQ-5D 1 år"][0] == "eq5d_12m"
    assert columns["Nöjd 1 år"][0] == "satisfied_12m"
    assert columns["Helhetsbedömning 1 år"][0] is None  # a global assessment: the user's choice, shown as ignored
    assert _codes(frame, columns, "Kön") == {"Man": ("male", "recognised"), "Kvinna": ("female", "recognised")}
    assert _codes(frame, columns, "Diagnos") == {"Diskbråck": ("Herniated disc", "recognised"),
                                                 "Spinal stenos": ("Spinal stenosis", "recognised")}
    assert _codes(frame, columns, "Op.metod")["Öppen"] == ("Open", "recognised")
    # "Mikroskop" is how the surgeon saw (a tube would make it Tubular MIS); "Endoskopisk" is an umbrella word
    assert _asked(frame, columns, "Op.metod") == {"Mikroskop", "Endoskopisk"}
    assert _codes(frame, columns, "Nöjd 1 år") == {"Nöjd": ("yes", "recognised"), "Inte nöjd": ("no", "recognised")}


def test_swespine_is_refused_only_for_the_asked_words_then_loads_right():
    assert _problems(SWESPINE) == {"Op.metod": {"Mikroskop", "Endoskopisk"}}
    result = load_outcomes(str(EXPORTS / SWESPINE), _profile(SWESPINE_ANSWERS))
    got = result.cases.set_index(result.cases["case_id"].astype(str))
    assert len(got) == len(LUMBAR)
    for t in LUMBAR:
        row = got.loc[f"SE-{t.case_id}"]
        assert (row["condition"], row["approach"], row["sex"]) == (t.condition, t.approach, t.sex), t.case_id
        assert row["surgery_date"] == pd.Timestamp(t.surgery_date)
        assert row["length_of_stay_hours"] == t.stay_days * 24
        assert row["spinal_level"] == t.level  # "L4/L5" written with a slash
        assert row["vas_leg_pre"] == t.scores["leg"]["pre"]  # VAS 0-100 read back onto 0-10
        for tp in ("12m", "24m"):
            want = t.scores["leg"].get(tp)
            assert (want is None and pd.isna(row[f"vas_leg_{tp}"])) or row[f"vas_leg_{tp}"] == want, (t.case_id, tp)
        if "12m" in t.satisfaction:
            assert row["satisfied_12m"] == (t.satisfaction["12m"] <= 2), t.case_id
        else:
            assert pd.isna(row["satisfied_12m"])
    assert any("Helhetsbedömning 1 år" in w for w in result.warnings), "the ignored column is reported"


def test_a_doubtful_swedish_answer_is_asked_not_guessed():
    frame = pd.DataFrame({"Nöjd 1 år": ["Nöjd", "Tveksam", "Inte nöjd", "nöjd"]})
    table = value_table(frame["Nöjd 1 år"], "satisfied_12m").set_index("value")
    assert table.loc["Tveksam", "status"] == "ask" and pd.isna(table.loc["Tveksam", "maps_to"])
    assert table.loc["Nöjd", "maps_to"] == "yes" and table.loc["Inte nöjd", "maps_to"] == "no"


# --- Spine Tango-style (German words, COMI, tab-separated, decimal comma) ------------------------

TANGO = "spine_tango_style_clinic.tsv"
TANGO_ANSWERS = {"codes": {"Zugang": {"endoskopisch": "Full-endoscopic"}}}


def test_spine_tango_columns_and_codes_suggested_from_the_vocabulary():
    frame, columns = _map_stage(TANGO)
    assert columns["Fall-Nr"][0] == "case_id" and columns["Hauptpathologie"][0] == "condition"
    assert columns["Aufenthalt (Tage)"][0] == "length_of_stay_hours"
    assert columns["COMI praeop"][0] == "comi_back_pre" and columns["COMI 12 Mo"][0] == "comi_back_12m"
    assert columns["Beinschmerz praeop"][0] == "vas_leg_pre" and columns["Zufriedenheit 12 Mo"][0] == "satisfaction_score_12m"
    # a yes/no flag headed by a complication word (data/knowledge/aliases.csv): ja = dural tear, nein = none
    assert columns["Dauralaesion"][0] == "complication"
    assert _codes(frame, columns, "Dauralaesion") == {"ja": ("dural tear", "recognised"), "nein": ("none", "recognised")}
    assert _codes(frame, columns, "Geschlecht") == {"männlich": ("male", "recognised"), "weiblich": ("female", "recognised")}
    assert _codes(frame, columns, "Hauptpathologie") == {"Bandscheibenvorfall": ("Herniated disc", "recognised"),
                                                         "Spinalkanalstenose": ("Spinal stenosis", "recognised")}
    zugang = _codes(frame, columns, "Zugang")
    assert zugang["mikroskopisch"] == ("Microscopic", "recognised") and zugang["offen"] == ("Open", "recognised")
    assert _asked(frame, columns, "Zugang") == {"endoskopisch"}
    assert _codes(frame, columns, "Zufriedenheit 12 Mo") == {
        "sehr zufrieden": ("5", "recognised"), "eher unzufrieden": ("2", "recognised")}


def test_spine_tango_is_refused_only_for_the_asked_word_then_loads_right():
    assert _problems(TANGO) == {"Zugang": {"endoskopisch"}}
    result = load_outcomes(str(EXPORTS / TANGO), _profile(TANGO_ANSWERS))
    got = result.cases.set_index(result.cases["case_id"].astype(str))
    assert len(got) == len(LUMBAR)
    for t in LUMBAR:
        row = got.loc[f"T{t.case_id}"]
        assert (row["condition"], row["approach"], row["sex"]) == (t.condition, t.approach, t.sex), t.case_id
        assert row["surgery_date"] == pd.Timestamp(t.surgery_date)  # dd.mm.yyyy
        assert row["length_of_stay_hours"] == t.stay_days * 24
        assert row["complication"] == ("dural tear" if t.dural_tear else "none")
        for tp in ("pre", "3m", "12m"):
            want = round(0.5 * t.scores["leg"][tp] + 0.05 * t.scores["odi"][tp], 1) if tp in t.scores["leg"] else None
            have = row[f"comi_back_{tp}"]
            assert (want is None and pd.isna(have)) or have == pytest.approx(want), (t.case_id, tp)  # decimal comma
        assert row["vas_leg_pre"] == t.scores["leg"]["pre"]
        if "12m" in t.satisfaction:
            assert row["satisfaction_score_12m"] == 6 - t.satisfaction["12m"]  # sehr zufrieden = 5 … sehr unzufrieden = 1


def test_a_complication_flag_column_is_read_as_the_complication():
    """Norwegian 0/1 "Durarift", English "Dural tear" yes/no: the flag's complication when yes, none when no."""
    csv = (b"case_id,surgery_date,condition,approach,ODI pre,Durarift\n"
           b"1,2024-01-02,Herniated disc,Open,40,0\n"
           b"2,2024-01-03,Herniated disc,Open,41,1\n"
           b"3,2024-01-04,Herniated disc,Open,42,\n")
    result = load_outcomes(csv, filename="flags.csv")
    assert result.cases["complication"].astype("object").tolist()[:2] == ["none", "dural tear"]
    assert pd.isna(result.cases["complication"].iloc[2])  # blank stays not recorded, never "none"
    assert any("'Durarift' is a yes/no flag for dural tear" in i for i in result.info)
    english = load_outcomes(csv.replace(b"Durarift", b"Wound infection").replace(b",0\n", b",no\n").replace(b",1\n", b",yes\n"),
                            filename="flags.csv")
    assert english.cases["complication"].astype("object").tolist()[:2] == ["none", "infection"]


def test_nkr_datadump_reads_its_dural_tear_flag_as_the_complication():
    path = EXPORTS / "nkr_cervical_datadump.csv"
    frame = pd.read_csv(path, sep=";", encoding="latin-1", dtype=str, keep_default_na=False)
    frame["PerOpKomplDurarift"] = ["1"] + ["0"] * (len(frame) - 2) + [""]
    out = io.StringIO()
    frame.to_csv(out, sep=";", index=False)
    result = load_outcomes(out.getvalue().encode("latin-1"), filename="dataDumpNakke.csv")
    assert result.profile.get("name") == "NKR degenerative cervical datadump (Rapporteket)"
    got = result.cases["complication"].astype("object").tolist()
    assert got[0] == "dural tear" and set(got[1:-1]) == {"none"} and pd.isna(got[-1])
    assert "PerOpKomplDurarift alone" in " ".join(json.loads((EXPORTS.parents[2] / "data" / "profiles" / "nkr_cervical.json").read_text(encoding="utf-8"))["assumptions"])


def test_a_complication_word_column_that_is_not_yes_no_is_not_a_flag():
    header = ["case_id", "Infektion"]
    frame = pd.DataFrame({"case_id": ["1", "2"], "Infektion": ["tief", "oberflächlich"]})
    choices, _ = choose_columns(header, None, None, frame)
    assert choices[1].target is None


def test_several_flags_together_give_the_complication_but_a_complication_column_wins():
    frame = pd.DataFrame({"case_id": ["1", "2"], "Dauralaesion": ["ja", "nein"], "Infektion": ["nein", "nein"]})
    choices, _ = choose_columns(list(frame.columns), None, None, frame)
    assert [c.target for c in choices] == ["case_id", "complication", "complication"]
    assert all(c.note.startswith("a yes/no flag") for c in choices[1:])
    assert duplicate_targets(choices) == {}  # the Columns step does not ask to keep one
    frame["Complication"] = ["none", "dural tear"]
    choices, _ = choose_columns(list(frame.columns), None, None, frame)
    assert [c.target for c in choices] == ["case_id", None, None, "complication"]
    assert choices[2].candidates == ("complication",) and "another column gives the complication" in choices[2].note


_FLAGS_CSV = b"""case_id,surgery_date,age,sex,condition,approach,vas_leg_pre,vas_leg_12m,Dauralaesion,Infektion,Nervenwurzelverletzung
A1,2024-01-02,50,f,Herniated disc,Microscopic,7,2,ja,nein,nein
A2,2024-01-03,60,m,Herniated disc,Microscopic,6,1,nein,ja,nein
A3,2024-01-04,61,m,Herniated disc,Microscopic,6,1,nein,nein,nein
A4,2024-01-04,61,m,Herniated disc,Microscopic,6,1,,,
A5,2024-01-04,61,m,Herniated disc,Microscopic,6,1,ja,ja,nein
A6,2024-01-04,61,m,Herniated disc,Microscopic,6,1,,nein,ja
A7,2024-01-04,61,m,Herniated disc,Microscopic,6,1,,nein,
"""


def test_several_complication_flags_are_combined_one_complication_a_case():
    # A Spine Tango-style file with a yes/no column per complication: reading only the first flag
    # said "none" for a case whose infection was flagged, and that the file recorded no other one.
    result = load_outcomes(_FLAGS_CSV, filename="flags.csv")
    assert result.cases["complication"].astype("object").where(result.cases["complication"].notna(), None).tolist() == [
        "dural tear", "infection", "none", None, "dural tear", "nerve root injury", "none"]
    assert {k: v for k, v in result.column_mapping.items() if v == "complication"} == {
        "Dauralaesion": "complication", "Infektion": "complication", "Nervenwurzelverletzung": "complication"}
    note = next(i for i in result.info if "flag columns give the complication" in i)
    assert "counted under the first of them" in note and "'Infektion' (infection)" in note
    assert not any("records no other complication" in i for i in result.info)
    assert not any("ignored" in w for w in result.warnings)
    # The same, saved as a profile and read again: both columns mapped to the complication, no refusal.
    again = load_outcomes(_FLAGS_CSV, {"spinedash_profile": 1, "columns": dict(result.column_mapping)}, filename="flags.csv")
    pd.testing.assert_series_equal(again.cases["complication"], result.cases["complication"])


def test_complication_words_have_a_source_and_name_a_complication():
    from spinedash.knowledge import load_knowledge
    from spinedash.schema import COMPLICATIONS

    aliases = load_knowledge().aliases
    rows = aliases[aliases["kind"] == "complication"]
    assert {"dauralaesion", "duraläsion", "durariss", "durarift", "duraskada", "infektion", "infeksjon"} <= set(rows["alias"])
    assert set(rows["canonical"]) <= set(COMPLICATIONS)
    own = rows[rows["source"].str.startswith("SpineDash vocabulary")]
    # a word no public form was checked for says so; the registries' own words name their file and line
    assert all("assumption" in src or "line" in src or "English" in src for src in own["source"])
    assert "NakkePreprosesser.R line 70" in rows.set_index("alias").loc["durarift", "source"]
    # A header the cell vocabulary reads as a complication is also a flag header ("Nervenverletzung").
    from spinedash.ingest.map import complication_flag

    assert {complication_flag(h) for h in ("Nervenverletzung", "Nerveskade", "Nervskada", "Nervenwurzelverletzung")} == {"nerve root injury"}


def test_satisfaction_words_alone_are_asked():
    table = value_table(pd.Series(["zufrieden", "sehr zufrieden", "4"]), "satisfaction_score_12m").set_index("value")
    assert table.loc["zufrieden", "status"] == "ask"  # 4 or 5 depends on the scale's other words
    assert table.loc["sehr zufrieden", "maps_to"] == "5"


# --- cervical clinic file (English, region-qualified condition words) -----------------------------

CERVICAL_FILE = "cervical_clinic.csv"
RADICULOPATHY = "Cervical radiculopathy (foraminal stenosis)"


def test_cervical_condition_words_resolve_with_their_region_and_radiculopathy_is_asked():
    frame, columns = _map_stage(CERVICAL_FILE)
    codes = _codes(frame, columns, "Diagnosis")
    assert codes["Cervical disc herniation"] == ("Herniated disc", "recognised")
    assert codes["Cervical spinal stenosis"] == ("Spinal stenosis", "recognised")
    assert codes[RADICULOPATHY] == (None, "ask")  # a symptom: never mapped silently
    assert _problems(CERVICAL_FILE) == {"Diagnosis": {RADICULOPATHY}}


def test_cervical_clinic_loads_as_cervical_with_ndi_and_arm_pain_once_answered():
    answers = {"codes": {"Diagnosis": {RADICULOPATHY: "Nerve root compression"}}}
    result = load_outcomes(str(EXPORTS / CERVICAL_FILE), _profile(answers))
    got = result.cases.set_index(result.cases["case_id"].astype(str))
    assert len(got) == len(CERVICAL)
    assert (got["region"] == "cervical").all()
    assert {"ndi_pre", "ndi_3m", "ndi_12m", "vas_arm_pre", "vas_arm_12m", "vas_neck_pre"} <= set(got.columns)
    for t in CERVICAL:
        row = got.loc[f"CX{t.case_id}"]
        assert (row["condition"], row["approach"], row["procedure"]) == (t.condition, t.approach, t.procedure), t.case_id
        for tp in ("pre", "3m", "12m"):
            want = t.scores["ndi"].get(tp)
            assert (want is None and pd.isna(row[f"ndi_{tp}"])) or row[f"ndi_{tp}"] == want, (t.case_id, tp)
            want = t.scores["arm"].get(tp)
            assert (want is None and pd.isna(row[f"vas_arm_{tp}"])) or row[f"vas_arm_{tp}"] == want, (t.case_id, tp)


def test_region_in_the_condition_word_is_recorded_when_nothing_else_says():
    csv = (b"case_id,surgery_date,condition,ODI pre,approach\n"
           b"1,2024-01-02,Cervical disc herniation,40,Open\n"
           b"2,2024-01-03,Lumbal spinal stenos,40,Open\n"
           b"3,2024-01-04,Thoracic disc herniation,40,Open\n"
           b"4,2024-01-05,Herniated disc,40,Open\n")
    result = load_outcomes(csv, filename="no_levels.csv")
    got = result.cases.set_index("case_id")
    assert got["condition"].tolist() == ["Herniated disc", "Spinal stenosis", "Herniated disc", "Herniated disc"]
    assert got["region"].astype("object").tolist()[:3] == ["cervical", "lumbar", "thoracic"]
    assert pd.isna(got["region"].iloc[3])
    assert any("names the spine region on 3 rows" in i for i in result.info)
    # a region the file records is kept
    recorded = load_outcomes(csv.replace(b"approach\n", b"approach,region\n").replace(b",Open\n", b",Open,lumbar\n"), filename="r.csv")
    assert (recorded.cases["region"] == "lumbar").all()


# --- the vocabulary itself ---------------------------------------------------------------------


def test_vocabulary_rows_say_their_source_and_seed_citations_are_real():
    """A row citing a seed document names a word that document uses; every other row is our own vocabulary."""
    from pathlib import Path

    from spinedash.knowledge import OWN_VOCABULARY, load_knowledge, normalise_label

    seeds = Path("/work/shared/seeds")
    aliases = load_knowledge().aliases
    cited = aliases[~aliases["source"].str.startswith(OWN_VOCABULARY)]
    assert len(cited) >= 1
    if seeds.is_dir():
        for row in cited.itertuples():
            text = normalise_label((seeds / f"{row.source}.txt").read_text(encoding="utf-8"))
            assert normalise_label(row.alias) in text, row
    translations = aliases[aliases["source"].str.contains("translation")]
    assert {"Norwegian", "Swedish", "German"} <= {w for s in translations["source"] for w in s.replace(",", " ").split()}
    kinds = set(translations["kind"])
    assert {"condition", "approach", "technique", "sex", "yes/no", "satisfied", "satisfaction", "timepoint"} <= kinds


def test_time_point_words_name_catalogue_time_points():
    from spinedash.catalogue import load_catalogue
    from spinedash.ingest.map import match_header
    from spinedash.knowledge import load_knowledge

    words = load_knowledge().value_words("timepoint")
    assert set(words.values()) <= set(load_catalogue().timepoints)
    assert match_header("ODI 3 månader") == ("odi_3m", None)
    assert match_header("ODI präop") == ("odi_pre", None)
    assert match_header("ODI 2 Jahre") == ("odi_24m", None)
    assert match_header("ODI 12 måneder") == ("odi_12m", None)
    measures = load_knowledge().value_words("measure")
    assert set(measures.values()) <= set(load_catalogue().measures)
    assert match_header("Rückenschmerz 3 Monate") == ("vas_back_3m", None)
    assert match_header("Ryggsmärta 1 år") == ("vas_back_12m", None)


# --- several levels in one cell ------------------------------------------------------------------


def test_several_levels_keep_the_most_cranial_and_are_reported():
    csv = (b"case_id,surgery_date,condition,approach,level,ODI pre\n"
           b"1,2024-01-02,Herniated disc,Open,\"L5-S1, L4-L5\",40\n"
           b"2,2024-01-03,Herniated disc,Open,L4/5 og L5/S1,41\n"
           b"3,2024-01-04,Spinal stenosis,Open,L3-L4;L4-L5;L5-S1,42\n"
           b"4,2024-01-05,Spinal stenosis,Open,L4-L5,43\n"
           b"5,2024-01-06,Herniated disc,Open,C6-C7 + C5-C6,44\n")
    result = load_outcomes(csv, filename="levels.csv")
    assert result.cases["spinal_level"].astype("object").tolist() == ["L4-L5", "L4-L5", "L3-L4", "L4-L5", "C5-C6"]
    notes = [w for w in result.warnings if "more than one level" in w]
    assert len(notes) == 1
    assert notes[0].startswith("'level' names more than one level on 4 rows (3 rows with 2 levels, 1 row with 3 levels; rows 2–4, 6).")
    # the number of levels is kept: what each cell names, 1 for a single level
    assert result.cases["levels_operated"].tolist() == [2, 2, 3, 1, 2]
    assert "kept in levels_operated" in notes[0]


def test_a_column_stating_the_number_of_levels_wins_and_counted_levels_fill_its_blanks():
    csv = (b"case_id,surgery_date,condition,approach,level,Number of levels,ODI pre\n"
           b"1,2024-01-02,Spinal stenosis,Open,\"L4-L5, L5-S1\",3,40\n"
           b"2,2024-01-03,Spinal stenosis,Open,\"L4-L5, L5-S1\",,41\n"
           b"3,2024-01-04,Herniated disc,Open,L5-S1,1,42\n")
    result = load_outcomes(csv, filename="levels.csv")
    assert result.cases["levels_operated"].tolist() == [3, 2, 1]
    assert choose_columns(["AntallNivaaOpr", "Antall nivå"])[0][0].target == "levels_operated"


@pytest.mark.parametrize("bad", [b"1.5", b"0", b"30"])
def test_a_number_of_levels_that_is_not_a_whole_count_is_refused_naming_the_rows(bad):
    csv = b"case_id,surgery_date,condition,approach,levels operated,ODI pre\n1,2024-01-02,Herniated disc,Open,1,40\n2,2024-01-03,Herniated disc,Open," + bad + b",41\n"
    with pytest.raises(OutcomeDataError) as refused:
        load_outcomes(csv, filename="levels.csv")
    assert any(p.column.startswith("levels operated") and ("whole number" in p.message or "between 1 and 25" in p.message)
               for p in refused.value.problems), refused.value.problems


def test_the_data_page_shows_cases_by_levels_operated():
    from spinedash.dataset import Dataset, without_blank_columns
    from spinedash.quality import levels_operated_table
    from tests.pages.apptest import run_page

    cases = load_outcomes(str(EXPORTS / "nkr_cervical_datadump.csv")).cases
    table = levels_operated_table(cases)
    assert table["cases"].to_dict() == {"1 level": len(CERVICAL) - 1, "2 levels": 1}
    assert levels_operated_table(cases.drop(columns="levels_operated")) is None
    dataset = Dataset(without_blank_columns(cases), "dump.csv", is_synthetic=False, content_key="nkr-levels")
    at = run_page("pages/data.py", session={"data_source_dataset": dataset})
    assert not at.exception, [e.value for e in at.exception]
    assert any(h.value == "Levels operated" for h in at.subheader)
    shown = next(t.value for t in at.table if "levels operated" in (t.value.index.name or ""))
    assert shown.loc["2 levels", "cases"] == 1


# --- classic (non-longitudinal) REDCap project with repeating instruments -------------------------

CLASSIC = "redcap_classic_repeating.csv"


def _redcap_answers() -> dict:
    """The Columns and Codes answers for SpineDash's example REDCap project (those of its built-in raw
    profile), without its layout: the classic project's layout is detected."""
    from spinedash.ingest.profile import load_profile

    raw = load_profile(EXPORTS.parent.parent.parent / "data" / "profiles" / "redcap_longitudinal_raw.json")
    return {"spinedash_profile": 1, **{k: raw[k] for k in ("columns", "codes", "units", "cutoffs")},
            "columns": {**raw["columns"], "level": "spinal_level", "prom_timepoint": None}}


def _check_lumbar(cases: pd.DataFrame, timepoints=("pre", "3m", "12m", "24m")) -> None:
    got = cases.set_index(cases["case_id"].astype(str))
    assert len(got) == len(LUMBAR)
    for t in LUMBAR:
        row = got.loc[t.case_id]
        assert (row["condition"], row["approach"], row["sex"], row["spinal_level"]) == (t.condition, t.approach, t.sex, t.level)
        assert row["surgery_date"] == pd.Timestamp(t.surgery_date)
        assert row["complication"] == ("dural tear" if t.dural_tear else "none") or (not t.dural_tear and pd.isna(row["complication"]))
        for measure, key in (("vas_leg", "leg"), ("vas_back", "back"), ("odi", "odi"), ("eq5d", "eq5d")):
            for tp in timepoints:
                want, have = t.scores[key].get(tp), row[f"{measure}_{tp}"]
                assert (want is None and pd.isna(have)) or have == pytest.approx(want), (t.case_id, measure, tp)
        if "12m" in t.satisfaction:
            assert row["satisfaction_score_12m"] == 6 - t.satisfaction["12m"]


def test_classic_redcap_layout_is_detected_with_each_instance_a_visit():
    tables = read_tables(str(EXPORTS / CLASSIC))
    guess = detect_layout(tables)
    assert guess.kind == "long"
    assert guess.settings == {"kind": "long", "table": CLASSIC, "case_id": "record_id", "redcap": True, "repeat_instrument": "proms",
                              "followup_date": "prom_date", "operation_date": "surgery_date"}
    # the dropdown holds raw codes: the user is told it can be chosen instead, with its codes
    assert "'prom_timepoint' holds codes ('0', '1', '2', '3')" in guess.evidence
    shaped = shape(tables, guess.settings)
    assert len(shaped.cases) == len(LUMBAR) and shaped.cases.index.is_unique
    assert set(shaped.timepoint.values()) == {"pre", "3m", "12m", "24m"}
    assert any("1 later instances of the repeating form 'complications'" in n for n in shaped.notes)


def test_classic_redcap_loads_after_its_codes_are_answered():
    with pytest.raises(OutcomeDataError) as refused:
        load_outcomes(str(EXPORTS / CLASSIC))
    assert {p.column for p in refused.value.problems} == {"sex", "diagnosis", "approach", "satisfaction@12m"}
    result = load_outcomes(str(EXPORTS / CLASSIC), _redcap_answers())
    _check_lumbar(result.cases)


def test_classic_redcap_time_point_field_with_its_codes_gives_the_same_cases():
    by_dates = load_outcomes(str(EXPORTS / CLASSIC), _redcap_answers()).cases
    layout = {"kind": "long", "case_id": "record_id", "redcap": True, "repeat_instrument": "proms",
              "timepoint_column": "prom_timepoint", "timepoints": {"0": "pre", "1": "3m", "2": "12m", "3": "24m"}}
    by_field = load_outcomes(str(EXPORTS / CLASSIC), {**_redcap_answers(), "layout": layout}).cases
    _check_lumbar(by_field)
    pd.testing.assert_frame_equal(by_field.reset_index(drop=True), by_dates.reset_index(drop=True))


def test_classic_redcap_without_a_time_point_asks_for_the_field():
    layout = {"kind": "long", "case_id": "record_id", "repeat_instrument": "proms"}
    with pytest.raises(OutcomeDataError, match=r"Say which field of the form 'proms' gives the visit's time point .*'prom_timepoint'"):
        load_outcomes(str(EXPORTS / CLASSIC), {**_redcap_answers(), "layout": layout})
    with pytest.raises(OutcomeDataError, match=r"Say which repeating form holds the questionnaires .*'complications', 'proms'"):
        load_outcomes(str(EXPORTS / CLASSIC), {**_redcap_answers(), "layout": {**layout, "repeat_instrument": "visits"}})


# --- every export file's outcome, as the README's formats table states it ---------------------------

# files -> (built-in profile detected, or None), the questions a user answers (problem column -> the
# words or codes asked about; {} = one step), and the answers as a profile.
OUTCOMES = {
    ("norspine_lumbar_datadump.csv",): ("NORspine degenerative lumbar datadump (Rapporteket)", {}, None),
    ("nkr_cervical_datadump.csv",): ("NKR degenerative cervical datadump (Rapporteket)", {}, None),
    ("redcap_longitudinal_raw.csv",): ("REDCap longitudinal export, raw codes (SpineDash spine outcomes project)", {}, None),
    ("redcap_longitudinal_labels.csv",): ("REDCap longitudinal export, labels (SpineDash spine outcomes project)", {}, None),
    ("prom_tidy_export.csv",): ("PROM system tidy export (one row per patient × episode × time point × instrument)", {}, None),
    ("redcap_classic_raw.csv",): ("REDCap classic project export, raw codes (SpineDash spine clinic project)", {}, None),
    ("redcap_classic_labels.csv",): ("REDCap classic project export, labels (SpineDash spine clinic project)", {}, None),
    ("redcap_classic_labels_raw_headers.csv",): ("REDCap classic project export, labels with raw headers (SpineDash spine clinic project)", {}, None),
    ("operations.csv", "followup.csv"): (None, {}, None),
    ("workbook_per_timepoint.xlsx",): (None, {}, None),
    ("swespine_style_clinic.csv",): (None, {"Op.metod": {"Mikroskop", "Endoskopisk"}}, SWESPINE_ANSWERS),
    ("spine_tango_style_clinic.tsv",): (None, {"Zugang": {"endoskopisch"}}, TANGO_ANSWERS),
    ("cervical_clinic.csv",): (None, {"Diagnosis": {RADICULOPATHY}}, {"codes": {"Diagnosis": {RADICULOPATHY: "Nerve root compression"}}}),
    (CLASSIC,): (None, {"sex": {"1"}, "diagnosis": {"1", "2"}, "approach": {"1", "2", "3"}, "satisfaction@12m": {"4"}}, "redcap"),
}


def test_every_export_file_has_its_outcome_stated():
    data = {p.name for p in EXPORTS.iterdir() if p.suffix in (".csv", ".tsv", ".xlsx")}
    assert data == {name for names in OUTCOMES for name in names}


@pytest.mark.parametrize("names", list(OUTCOMES), ids=lambda names: names[0])
def test_export_loads_in_one_step_or_after_the_listed_questions(names):
    builtin, questions, answers = OUTCOMES[names]
    paths = [str(EXPORTS / n) for n in names]
    source = paths if len(paths) > 1 else paths[0]
    n = len(CERVICAL) if "cervical" in names[0] else len(LUMBAR)
    if names[0] in make_redcap_classic.build():
        n = len(make_redcap_classic.clinic_cases())  # ten lumbar and six cervical cases
    if not questions:
        result = load_outcomes(source)
        assert result.profile.get("name") == builtin
        assert len(result.cases) == n
        return
    assert _problems(names[0]) == questions, "refused for exactly the listed questions"
    profile = _redcap_answers() if answers == "redcap" else _profile(answers)
    result = load_outcomes(source, profile)
    assert len(result.cases) == n


def test_readme_formats_table_names_every_export_and_its_outcome():
    readme = (EXPORTS.parents[2] / "README.md").read_text(encoding="utf-8")
    table = readme.split("**Which exports load in one step.**", 1)[1].split("\n\n", 2)[1]
    rows = [r for r in table.splitlines() if r.startswith("| ") and "`" in r]
    for names, (_, questions, _) in OUTCOMES.items():
        row = next((r for r in rows if all(n in r or n.replace("raw", "*").replace("labels", "*") in r for n in names)), None)
        assert row is not None, names
        assert ("one step" in row) == (not questions), names
        for column in questions:
            assert f"`{column.split('@')[0]}`" in row, (names, column)


def test_the_wizard_asks_about_a_satisfaction_word_that_has_no_one_rating():
    """The Codes step's table shows a satisfaction rating column's words: "zufrieden" alone is 4 or 5, so it is asked."""
    from tests.pages.apptest import run_page

    csv = (b"Fall-Nr,OP-Datum,Hauptpathologie,Zugang,ODI praeop,Zufriedenheit 12 Mo\n"
           b"T1,03.01.2024,Bandscheibenvorfall,offen,40,sehr zufrieden\n"
           b"T2,04.01.2024,Bandscheibenvorfall,offen,44,zufrieden\n"
           b"T3,05.01.2024,Spinalkanalstenose,mikroskopisch,48,eher unzufrieden\n")
    at = run_page("pages/data.py")
    (uploader,) = [u for u in at.file_uploader if u.key.startswith("import_files")]
    uploader.set_value([("tango.csv", csv, "text/csv")])
    at.run()
    at.segmented_control(key="import_step").set_value(3).run()
    assert not at.exception, [e.value for e in at.exception]
    (table,) = [e for e in at.data_editor if e.key.startswith("import_codes_satisfaction_score_12m_")]
    rows = table.value.set_index("value in your file")
    asked = rows[rows["maps to"] == "(leave unmapped)"]
    assert asked.index.tolist() == ["zufrieden"] and asked.loc["zufrieden", "note"].startswith("ambiguous: zufrieden could be")
    assert rows.loc["sehr zufrieden", "maps to"] == "5"
    at.session_state[table.key] = {"edited_rows": {table.value["value in your file"].tolist().index("zufrieden"): {"maps to": "4"}},
                                   "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["import_state"]["profile"]["codes"] == {"satisfaction_score_12m": {"zufrieden": "4"}}
    at.segmented_control(key="import_step").set_value(5).run()
    at.button(key="import_check").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("3 cases accepted" in s.value for s in at.success), [e.value for e in at.error]
    cases = at.session_state["data_source_dataset"].cases
    assert cases["satisfaction_score_12m"].tolist() == [5, 4, 2]


def _classic_variant(transform) -> bytes:
    """The classic REDCap test export with its rows changed by `transform(frame) -> frame`."""
    frame = pd.read_csv(EXPORTS / CLASSIC, dtype=str, keep_default_na=False)
    return transform(frame).to_csv(index=False).encode()


def test_classic_redcap_label_export_names_its_time_point_field():
    """A label export writes the dropdown's labels ('3 months'): that field is detected as the time point."""
    labels = {code: label for code, label in make_exports.REDCAP_PROM_TIMEPOINT.values()}
    data = _classic_variant(lambda f: f.assign(prom_timepoint=f["prom_timepoint"].map(lambda v: labels.get(v, v))))
    guess = detect_layout(read_tables(data, ["classic_labels.csv"]))
    assert guess.settings["timepoint_column"] == "prom_timepoint" and guess.settings["repeat_instrument"] == "proms"
    assert guess.settings["timepoints"] == {"Before surgery": "pre", "3 months": "3m", "12 months": "12m", "24 months": "24m"}
    _check_lumbar(load_outcomes(data, _redcap_answers(), filename="classic_labels.csv").cases)


def test_classic_redcap_baseline_on_the_record_row_is_before_surgery():
    """Pre-op answers on the record's own (non-repeating) row, the follow-up visits as instances."""
    def move_baseline(f: pd.DataFrame) -> pd.DataFrame:
        f = f.copy()
        pre = (f["redcap_repeat_instrument"] == "proms") & (f["prom_timepoint"] == "0")
        base = f["redcap_repeat_instrument"] == ""
        for col in ("vas_leg", "vas_back", "odi", "eq5d_index"):
            f.loc[base, col] = f.loc[pre, col].to_numpy()
        return f[~pre]

    result = load_outcomes(_classic_variant(move_baseline), _redcap_answers(), filename="classic_baseline.csv")
    _check_lumbar(result.cases)
    assert any("on the record's own row are read as before surgery" in i for i in result.info)
