"""The knowledge catalogue: loader checks, the whole catalogue walked, and the views the page uses."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from spinedash import vocabulary
from spinedash.knowledge import (
    AMBIGUOUS,
    ATTRIBUTES,
    DEFAULT_DATA_DIR,
    EVIDENCE,
    GENERAL,
    KINDS,
    NOT_DESCRIBED,
    NOT_STATED,
    STATUS_INVESTIGATES,
    STATUS_NOT_STATED,
    STATUS_TREATS,
    VALUE_KINDS,
    VISUALISATIONS,
    KnowledgeError,
    load_knowledge,
    normalise_label,
)

SEEDS = Path("/work/shared/seeds")
K = load_knowledge()


@pytest.fixture()
def data_copy(tmp_path: Path) -> Path:
    """A private copy of data/ (knowledge files only) to break on purpose."""
    dest = tmp_path / "data"
    (dest / "knowledge").mkdir(parents=True)
    shutil.copy(DEFAULT_DATA_DIR / "sources.csv", dest / "sources.csv")
    for f in (DEFAULT_DATA_DIR / "knowledge").glob("*.csv"):
        shutil.copy(f, dest / "knowledge" / f.name)
    return dest


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1))


# --- agreement with the shared vocabulary ------------------------------------------------------


def test_names_agree_with_vocabulary():
    assert tuple(K.approach_names) == vocabulary.APPROACHES
    assert tuple(K.condition_names) == vocabulary.CONDITIONS
    four = K.approaches[K.approaches["approach"].isin(K.approach_names)]
    invasive = set(four.loc[four["minimally_invasive"], "approach"])
    assert invasive == vocabulary.MINIMALLY_INVASIVE
    assert set(vocabulary.APPROACH_COLOURS) == set(K.approach_names)


# --- sources ---------------------------------------------------------------------------------


def test_sources_are_the_five_seed_documents_with_titles_not_hashes():
    assert sorted(K.sources["file_name"]) == sorted(p.name for p in SEEDS.glob("*.txt"))
    assert (K.sources["source_id"] + ".txt").tolist() == K.sources["file_name"].tolist()
    for row in K.sources.itertuples():
        assert row.source_id not in row.title
        first_line = (SEEDS / row.file_name).read_text().splitlines()[0].strip()
        # A title is the document's own first line unless the column says SpineDash assigned it.
        assert (first_line == row.title) != row.title_assigned
    assert K.sources.loc[K.sources["title_assigned"], "source_id"].tolist() == ["001_2b5505d830d1bacf"]


def test_every_cited_source_exists():
    known = set(K.sources["source_id"])
    cited = set(K.facts["source_id"]) | set(K.indications["source_id"])
    for cell in pd.concat([K.conditions["source_ids"], K.approaches["source_ids"]]):
        cited |= set(cell.split(";"))
    cited.discard("")
    assert cited <= known
    assert cited == known, "every seed document should be cited somewhere"


def test_facts_are_paraphrased_not_copied():
    """No fact, description or reason repeats seven consecutive words of a seed document."""
    seed_words = " ".join(normalise_label(p.read_text()) for p in SEEDS.glob("*.txt")).split()
    shingles = {" ".join(seed_words[i:i + 7]) for i in range(len(seed_words) - 6)}
    texts = pd.concat([K.facts["value"], K.conditions["description"], K.indications["why"], K.approaches["summary"],
                       K.categories["why"], K.sources["scope"]])
    for text in texts:
        words = normalise_label(text).split()
        copied = [" ".join(words[i:i + 7]) for i in range(len(words) - 6) if " ".join(words[i:i + 7]) in shingles]
        assert not copied, f"copied from a seed: {copied[0]!r}"


# --- the whole catalogue, walked ---------------------------------------------------------------


@pytest.mark.parametrize("approach", [*vocabulary.APPROACHES, GENERAL])
@pytest.mark.parametrize("attribute", list(ATTRIBUTES))
def test_every_approach_has_every_attribute_with_a_source(approach, attribute):
    facts = K.facts[(K.facts["approach"] == approach) & (K.facts["attribute"] == attribute)]
    assert len(facts) >= 1
    for fact in facts.itertuples():
        if fact.value == NOT_STATED:
            assert len(facts) == 1 and fact.source_id == ""
        else:
            assert fact.value.strip() and fact.source_id in set(K.sources["source_id"])
            assert K.source_title(fact.source_id)


@pytest.mark.parametrize("condition", vocabulary.CONDITIONS)
def test_every_condition_is_described_and_has_a_full_matrix_row(condition):
    description, titles = K.describe_condition(condition)
    assert len(description) > 40 and titles
    rows = K.approaches_for(condition)
    assert sorted(rows["approach"]) == sorted(vocabulary.APPROACHES)
    assert set(rows["status"]) <= {STATUS_TREATS, STATUS_INVESTIGATES, STATUS_NOT_STATED}
    assert rows["why"].str.len().gt(20).all()
    treats = rows[rows["status"] != STATUS_NOT_STATED]
    assert (treats["source_title"] != "").all()
    assert set(treats["source_title"].str.split("; ").explode()) <= set(K.sources["title"])


def test_matrix_refers_only_to_known_names_and_cites_every_treats():
    assert set(K.indications["approach"]) == {*vocabulary.APPROACHES, GENERAL}
    assert set(K.indications["condition"]) == set(vocabulary.CONDITIONS)
    treats = K.indications[K.indications["status"] != STATUS_NOT_STATED]
    assert (treats["source_id"] != "").all()
    assert (K.indications.loc[K.indications["status"] == STATUS_NOT_STATED, "source_id"] == "").all()


def test_same_kind_of_evidence_gets_the_same_answer():
    """Two cells resting on the same kind of evidence never get different answers."""
    answers = K.indications.groupby("evidence")["status"].unique()
    for evidence, statuses in answers.items():
        assert len(statuses) == 1, f"{evidence!r} gives {list(statuses)}"
        assert statuses[0] == EVIDENCE[evidence]
    # Only a document naming the condition gives an answer other than "not stated in sources".
    claimed = K.indications[K.indications["status"] != STATUS_NOT_STATED]
    assert set(claimed["evidence"]) <= {"named as treated", "named as the traditional operation", "named as investigated"}


def test_a_listed_procedure_is_not_a_treated_condition():
    """Decompression (relieving pressure on nerves) and fusion (stabilising) name a procedure, not a condition:
    nerve root compression and instability get the same answer wherever that is all the document says."""
    cells = K.indications.set_index(["condition", "approach"])
    for condition in ("Nerve root compression", "Instability / spondylolisthesis"):
        for subject in ("Microscopic", GENERAL):
            cell = cells.loc[(condition, subject)]
            assert cell["evidence"] == "procedure named, condition not"
            assert cell["status"] == STATUS_NOT_STATED


def test_inconsistent_evidence_is_rejected(data_copy):
    _edit(data_copy / "knowledge/indications.csv",
          'Nerve root compression,Microscopic,"procedure named, condition not",not stated in sources,',
          'Nerve root compression,Microscopic,"procedure named, condition not",treats,')
    with pytest.raises(KnowledgeError, match=r"indications\.csv: rows \[\d+\] give a status their kind of evidence"):
        load_knowledge(data_copy)


def test_document_003_is_filed_under_no_single_approach():
    """"When Minimally Invasive Spine Surgery Could Be Necessary" names no tube, microscope or endoscope."""
    doc = "003_5e1c680b3a19a61f"
    text = (SEEDS / f"{doc}.txt").read_text().casefold()
    for word in ("tub", "retractor", "endoscop", "microscop"):
        assert word not in text
    for frame, col in ((K.facts, "source_id"), (K.indications, "source_id")):
        filed = set(frame.loc[frame[col] == doc, "approach"])
        assert filed <= {GENERAL, "Open"}, filed  # Open: only its statements about traditional open surgery
    assert set(K.categories.loc[K.categories["source_ids"] == doc, "filed_under"]) == {GENERAL}
    # So scoliosis and instability are no longer tubular indications.
    cells = K.indications.set_index(["condition", "approach"])["status"]
    assert cells[("Scoliosis / deformity", "Tubular MIS")] == STATUS_NOT_STATED
    assert cells[("Instability / spondylolisthesis", "Tubular MIS")] == STATUS_NOT_STATED
    assert cells[("Scoliosis / deformity", GENERAL)] == STATUS_TREATS


def test_every_document_category_is_mapped_and_explained():
    mapping = K.category_mapping()
    assert set(mapping["filed_under"]) == {*vocabulary.APPROACHES, GENERAL}
    assert mapping["why"].str.len().gt(30).all()
    assert set(K.sources["title"]) <= set(mapping["source_title"].str.split("; ").explode())


def test_matrix_asserts_what_the_seeds_say():
    def status(condition, approach):
        return K.indications.loc[
            (K.indications["condition"] == condition) & (K.indications["approach"] == approach), "status"
        ].iloc[0]

    # Microscopic Spine Surgery lists herniated discs, stenosis, DDD, tumours and deformities.
    for condition in ("Herniated disc", "Spinal stenosis", "Degenerative disc disease", "Spinal tumour",
                      "Scoliosis / deformity"):
        assert status(condition, "Microscopic") == STATUS_TREATS
    # Spinal Endoscopy alone describes diagnostic use (investigating, not treating) and infection.
    assert status("Back pain of unclear cause", "Full-endoscopic") == STATUS_INVESTIGATES
    # It names spinal instability among the problems it addresses.
    assert status("Instability / spondylolisthesis", "Full-endoscopic") == STATUS_TREATS
    assert status("Spinal infection", "Full-endoscopic") == STATUS_TREATS
    for approach in ("Tubular MIS", "Microscopic", "Open", GENERAL):
        assert status("Spinal infection", approach) == STATUS_NOT_STATED
    # The tubular (MISS) document is about disc herniation only.
    tubular = K.indications[(K.indications["approach"] == "Tubular MIS") & (K.indications["status"] == STATUS_TREATS)]
    assert tubular["condition"].tolist() == ["Herniated disc"]
    # Open surgery is only a contrast: the seeds tie it to disc herniation and nothing else.
    open_treats = K.indications[(K.indications["approach"] == "Open") & (K.indications["status"] == STATUS_TREATS)]
    assert open_treats["condition"].unique().tolist() == ["Herniated disc"]


# --- aliases ---------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["Full endoscopic", "full-endoscopic", "FULL_ENDOSCOPIC", "  full--endoscopic  "])
def test_normalise_label_ignores_case_and_punctuation(text):
    assert normalise_label(text) == "full endoscopic"


@pytest.mark.parametrize(("kind", "alias", "canonical"), [
    ("approach", "PTED", "Full-endoscopic"),  # a technique word: its approach family
    ("approach", "peld", "Full-endoscopic"),
    ("approach", "MED", "Tubular MIS"),
    ("approach", "micro-discectomy", "Microscopic"),
    ("approach", "open discectomy", "Open"),
    ("approach", "Tubular MIS", "Tubular MIS"),
    ("condition", "Lumbar disc herniation", "Herniated disc"),
    ("condition", "LSS", "Spinal stenosis"),
    ("condition", "pinched nerve", "Nerve root compression"),
    ("condition", "Scoliosis/deformity", "Scoliosis / deformity"),
    ("condition", "spondylolisthesis", "Instability / spondylolisthesis"),
])
def test_alias_lookup_resolves(kind, alias, canonical):
    assert K.alias_lookup(kind)[normalise_label(alias)] == canonical
    assert K.resolve(kind, alias) == canonical


def test_alias_lookup_contains_every_canonical_name_and_only_canonical_targets():
    for kind in KINDS:
        names = K.names(kind)
        lookup = K.alias_lookup(kind)
        assert all(lookup[normalise_label(n)] == n for n in names)
        assert set(lookup.values()) == set(names)
    assert K.resolve("approach", "acupuncture") is None


# Boundary cases: each pair is two words a registry might use, and where a spine surgeon files them.
# (word, column kind, expected kind, expected value or AMBIGUOUS, expected approach or None)
BOUNDARY = [
    # Open / Microscopic: the microscope decides, not the word "open".
    ("microdiscectomy", "approach", "approach", "Microscopic", "Microscopic"),
    ("open microdiscectomy", "approach", "technique", "Open microdiscectomy", "Microscopic"),
    ("microscope", "approach", "technique", "Microscope", None),  # with or without a tube: not decided by itself
    ("conventional discectomy", "approach", "approach", "Open", "Open"),
    ("open discectomy", "approach", "approach", "Open", "Open"),
    ("loupes", "approach", "technique", "Loupes", "Open"),
    ("naked eye", "approach", "technique", "Naked eye", "Open"),
    # A tube decides Tubular MIS whatever the scope.
    ("tubular microdiscectomy", "approach", "approach", "Tubular MIS", "Tubular MIS"),
    ("tubular microdiscectomy", "technique", "technique", "Tubular microscopic", "Tubular MIS"),
    ("MED", "technique", "technique", "Microendoscopic (MED)", "Tubular MIS"),
    ("METRx", "technique", "technique", AMBIGUOUS, "Tubular MIS"),  # endoscope or microscope, tube either way
    # Uniportal routes vs biportal (not described in the documents: its own family).
    ("PTED", "approach", "technique", "Uniportal full-endoscopic (transforaminal)", "Full-endoscopic"),
    ("TESSYS", "approach", "technique", "Uniportal full-endoscopic (transforaminal)", "Full-endoscopic"),
    ("YESS", "approach", "technique", "Uniportal full-endoscopic (transforaminal)", "Full-endoscopic"),
    ("PETD", "approach", "technique", "Uniportal full-endoscopic (transforaminal)", "Full-endoscopic"),
    ("PEID", "approach", "technique", "Uniportal full-endoscopic (interlaminar)", "Full-endoscopic"),
    ("FEID", "approach", "technique", "Uniportal full-endoscopic (interlaminar)", "Full-endoscopic"),
    ("UBE", "approach", "technique", "Biportal endoscopic (UBE/BESS)", "Biportal endoscopic"),
    ("BESS", "approach", "technique", "Biportal endoscopic (UBE/BESS)", "Biportal endoscopic"),
    ("biportal", "approach", "technique", "Biportal endoscopic (UBE/BESS)", "Biportal endoscopic"),
    # Umbrella terms are asked about.
    ("MIS", "approach", "approach", AMBIGUOUS, None),
    ("MISS", "approach", "approach", AMBIGUOUS, None),
    ("minimally invasive spine surgery", "approach", "approach", AMBIGUOUS, None),
    ("endoscopic", "approach", "approach", AMBIGUOUS, None),
    ("spinal endoscopy", "approach", "approach", AMBIGUOUS, None),
    ("endoscopic discectomy", "approach", "approach", AMBIGUOUS, None),
    ("FESS", "approach", "approach", AMBIGUOUS, None),  # also sinus surgery
    ("mini-open", "approach", "approach", AMBIGUOUS, None),
    ("MIS-TLIF", "approach", "approach", AMBIGUOUS, None),
    # Procedures go to the procedure column, and say nothing about the approach.
    ("MIS-TLIF", "procedure", "procedure", "TLIF", None),
    ("TLIF", "approach", "procedure", "TLIF", None),
    ("PLIF", "procedure", "procedure", "PLIF", None),
    ("ALIF", "procedure", "procedure", "ALIF", None),
    ("XLIF", "procedure", "procedure", "Lateral interbody fusion (XLIF/LLIF)", None),
    ("OLIF", "procedure", "procedure", "Oblique lateral interbody fusion (OLIF)", None),
    ("laminotomy", "procedure", "procedure", "Laminotomy", None),
    ("hemilaminotomy", "procedure", "procedure", "Laminotomy", None),
    ("laminectomy", "procedure", "procedure", "Laminectomy", None),
    ("foraminotomy", "procedure", "procedure", "Foraminotomy", None),
    ("microdiscectomy", "procedure", "procedure", "Discectomy", None),
    ("diagnostic", "condition", "procedure", "Diagnostic endoscopy", None),  # a purpose, not a condition
    # Cervical registries' procedure words (NKR), and registry spellings of fusion types (NORspine).
    ("posterior foraminotomy", "procedure", "procedure", "Foraminotomy", None),
    ("ACDF", "approach", "procedure", "ACDF", None),
    ("Fusion (TLIF)", "procedure", "procedure", "TLIF", None),
    ("Fusion (PLF)", "procedure", "procedure", "Fusion", None),
    ("disc prosthesis", "procedure", "procedure", "Disc arthroplasty", None),
    ("cervical disc herniation", "condition", "condition", "Herniated disc", None),
    ("cervical radiculopathy", "condition", "condition", AMBIGUOUS, None),
    # Herniation types are herniations; a bulge or an annular tear is not (standard nomenclature).
    ("disc protrusion", "condition", "condition", "Herniated disc", None),
    ("extrusion", "condition", "condition", "Herniated disc", None),
    ("sequestration", "condition", "condition", "Herniated disc", None),
    ("HIVD", "condition", "condition", "Herniated disc", None),
    ("recurrent herniation", "condition", "condition", "Herniated disc", None),
    ("far-lateral herniation", "condition", "condition", "Herniated disc", None),
    ("bulging disc", "condition", "condition", AMBIGUOUS, None),
    ("disc bulge", "condition", "condition", AMBIGUOUS, None),
    ("annular tear", "condition", "condition", AMBIGUOUS, None),
    # Stenosis by name vs symptoms, which are asked about.
    ("DLSS", "condition", "condition", "Spinal stenosis", None),
    ("LSS", "condition", "condition", "Spinal stenosis", None),
    ("neurogenic claudication", "condition", "condition", AMBIGUOUS, None),
    ("sciatica", "condition", "condition", AMBIGUOUS, None),
    ("radiculopathy", "condition", "condition", AMBIGUOUS, None),
    ("cauda equina", "condition", "condition", AMBIGUOUS, None),
    ("myelopathy", "condition", "condition", AMBIGUOUS, None),
    ("synovial cyst", "condition", "condition", AMBIGUOUS, None),
    ("spondylolysis", "condition", "condition", AMBIGUOUS, None),
    ("spondylolisthesis", "condition", "condition", "Instability / spondylolisthesis", None),
    # Back pain with a cause not stated is not "unclear cause".
    ("unexplained back pain", "condition", "condition", "Back pain of unclear cause", None),
    ("chronic back pain", "condition", "condition", AMBIGUOUS, None),
    ("low back pain", "condition", "condition", AMBIGUOUS, None),
    ("LBP", "condition", "condition", AMBIGUOUS, None),
]


@pytest.mark.parametrize(("word", "column", "kind", "value", "approach"), BOUNDARY)
def test_alias_boundaries(word, column, kind, value, approach):
    term = K.resolve_term(word, column)
    assert term.kind == kind, term
    if value == AMBIGUOUS:
        assert term.ambiguous and term.value is None and term.candidates and term.note
        assert K.resolve(column, word) is None  # the legacy lookup never files it silently
    else:
        assert term.known and term.value == value, term
    assert term.approach == approach, term
    if approach is not None:
        assert term.described == (approach in vocabulary.APPROACHES)


def test_unknown_words_resolve_to_nothing():
    term = K.resolve_term("acupuncture", "approach")
    assert term.status == "unknown" and term.kind is None and term.value is None and not term.candidates


def test_no_ambiguous_alias_maps_to_one_value_without_the_mark():
    """An alias row that lists candidates is marked ambiguous, and every umbrella word is asked about."""
    rows = K.aliases
    with_candidates = rows[rows["candidates"] != ""]
    assert (with_candidates["canonical"] == AMBIGUOUS).all()
    assert (rows.loc[rows["canonical"] == AMBIGUOUS, "candidates"] != "").all()
    # The same word (within a kind) never also maps to one value elsewhere.
    for kind in KINDS:
        lookup = K.alias_lookup(kind)
        for alias in rows.loc[(rows["kind"] == kind) & (rows["canonical"] == AMBIGUOUS), "alias"]:
            assert normalise_label(alias) not in lookup, (kind, alias)
    umbrella = ["MIS", "MISS", "minimally invasive spine surgery", "minimally invasive", "endoscopic",
                "spinal endoscopy", "endoscopic spine surgery", "FESS", "mini-open"]
    for word in umbrella:
        assert K.resolve_term(word, "approach").ambiguous, word
        assert word.casefold() not in {a.casefold() for a in K.alias_lookup("approach")}


def test_every_alias_names_a_target_kind_and_a_known_target():
    assert set(K.aliases["kind"]) == set(KINDS) | set(VALUE_KINDS)
    for row in K.aliases[K.aliases["kind"].isin(KINDS)].itertuples():
        targets = row.candidates.split(";") if row.canonical == AMBIGUOUS else [row.canonical]
        allowed = K.names(row.kind) + (K.undescribed_approaches if row.kind == "approach" else [])
        assert set(targets) <= set(allowed), row


# --- techniques and procedures -------------------------------------------------------------------


@pytest.mark.parametrize("technique", load_knowledge().technique_names)
def test_every_technique_has_an_approach_family_and_a_visualisation(technique):
    row = K.techniques.set_index("technique").loc[technique]
    assert row["visualisation"] in VISUALISATIONS
    assert row["note"]
    if row["approach"] == "":  # only how the surgeon sees: a microscope or an endoscope, tube or not
        assert technique in {"Microscope", "Endoscope"} and K.technique_approach(technique) is None
        return
    assert row["approach"] in vocabulary.APPROACHES or row["approach"] in K.undescribed_approaches
    if row["approach"] not in vocabulary.APPROACHES:
        assert row["source_ids"] == "" and not K.is_described(row["approach"])


def test_biportal_is_its_own_family_not_described_in_the_documents():
    assert K.undescribed_approaches == ["Biportal endoscopic"]
    assert K.technique_approach("Biportal endoscopic (UBE/BESS)") == "Biportal endoscopic"
    assert K.resolve("approach", "UBE") is None  # not filed under one of the four
    with pytest.raises(KnowledgeError, match="unknown technique"):
        K.technique_approach("Laser")


def test_sample_technique_values_are_catalogue_techniques():
    """The sample cohort's technique column (written by `measures`) uses the catalogue's names."""
    from spinedash.sample import load_sample

    cases = load_sample()
    for (technique, approach), _ in cases.groupby(["technique", "approach"], observed=True):
        term = K.resolve_term(technique, "technique")
        assert term.known and term.kind == "technique", technique
        assert term.approach in (approach, None), (technique, approach)


def test_data_values_the_documents_do_not_describe_are_named():
    found = K.describe_data_values(
        ["Open", "Biportal endoscopic", None],
        ["PTED", "Microendoscopic (MED)", "open microdiscectomy", "UBE", "Loupes", "Laser"],
    )
    assert found["value"].tolist() == ["Biportal endoscopic", "PTED", "UBE", "Loupes", "Laser"]
    statements = dict(zip(found["value"], found["statement"], strict=True))
    assert statements["PTED"] == f"PTED: {NOT_DESCRIBED}. Filed under Full-endoscopic."
    assert statements["UBE"] == f"UBE: {NOT_DESCRIBED}. Filed under no approach the documents describe."
    assert statements["Laser"] == f"Laser: {NOT_DESCRIBED}."
    assert K.describe_data_values(["Open"], ["Microendoscopic (MED)"]).empty


def test_terms_lists_every_reading():
    readings = {(t.kind, t.value) for t in K.terms("microdiscectomy")}
    assert readings == {("approach", "Microscopic"), ("procedure", "Discectomy")}
    assert K.terms("acupuncture") == []


def test_aliases_are_unique_after_normalisation():
    for kind in KINDS:
        rows = K.aliases[K.aliases["kind"] == kind]
        keys = rows["alias"].map(normalise_label)
        assert not keys.duplicated().any()


# --- views -----------------------------------------------------------------------------------


def test_approaches_for_stenosis():
    rows = K.approaches_for("lumbar spinal stenosis")
    treats = rows.loc[rows["status"] == STATUS_TREATS, "approach"].tolist()
    assert treats == ["Full-endoscopic", "Microscopic"]
    assert rows["approach"].tolist()[-2:] == ["Tubular MIS", "Open"]
    with_general = K.approaches_for("lumbar spinal stenosis", include_general=True)
    assert with_general["approach"].tolist()[-1] == GENERAL
    assert with_general["status"].tolist()[-1] == STATUS_TREATS
    assert rows.loc[0, "source_title"] == "Spinal Endoscopy: A Minimally Invasive Approach to Spinal Care"


def test_approaches_for_herniated_disc_joins_both_endoscopy_documents():
    row = K.approaches_for("Herniated disc").set_index("approach").loc["Full-endoscopic"]
    assert row["source_title"] == (
        "Spinal Endoscopy: A Minimally Invasive Approach to Spinal Care; "
        "Percutaneous and Endoscopic Spine Procedures (Endoscopic Discectomy)"
    )


def test_compare_is_attributes_by_approaches():
    table = K.compare(["PTED", "Open"])
    assert table.columns.tolist() == ["Full-endoscopic", "Open"]
    assert table.index[0] == "What it aims at"
    assert "least invasive" in table.loc["What it aims at", "Full-endoscopic"]
    assert "Patient selection" in table.index
    assert table.loc["How the surgeon sees the anatomy", "Open"] == NOT_STATED
    assert "4 mm" in table.loc["How the surgeon sees the anatomy", "Full-endoscopic"]
    assert table.loc["Anaesthesia", "Open"] == NOT_STATED
    assert table.loc["Typical duration", "Full-endoscopic"] == "About one hour on average."
    with pytest.raises(KnowledgeError, match="unknown approach"):
        K.compare(["Full-endoscopic", "Laser"])


def test_source_titles_for_covers_only_the_compared_attributes():
    assert K.source_titles_for(["Microscopic"]) == ["Microscopic Spine Surgery"]
    # Open's facts from the endoscopic-discectomy document are about tissue and patient selection.
    assert "Percutaneous and Endoscopic Spine Procedures (Endoscopic Discectomy)" in K.source_titles_for(["Open"])
    assert K.source_titles_for(["Open"], ["tissue"]) == [
        "Percutaneous and Endoscopic Spine Procedures (Endoscopic Discectomy)",
        "When Minimally Invasive Spine Surgery Could Be Necessary",
    ]
    assert K.source_titles_for(["Open"], ["patient_selection"]) == [
        "Percutaneous and Endoscopic Spine Procedures (Endoscopic Discectomy)"
    ]


def test_facts_for_keeps_display_order_and_titles():
    facts = K.facts_for("Microscopic")
    assert list(dict.fromkeys(facts["attribute"])) == list(ATTRIBUTES)
    techniques = facts.loc[facts["attribute"] == "techniques", "value"].iloc[0]
    for word in ("Microdiscectomy", "laminectomy", "fusion", "decompression"):
        assert word in techniques
    assert set(facts.loc[facts["value"] != NOT_STATED, "source_title"]) == {"Microscopic Spine Surgery"}


@pytest.mark.parametrize("query", ["4 mm", "4mm", "4 MM"])
def test_search_finds_the_working_channel(query):
    found = K.search(query)
    assert len(found) == 1
    assert found.loc[0, "subject"] == "Full-endoscopic"
    assert found.loc[0, "source_title"] == "Percutaneous and Endoscopic Spine Procedures (Endoscopic Discectomy)"


def test_search_needs_every_word_and_matches_word_starts():
    assert set(K.search("hospital stay")["subject"]) == {"Full-endoscopic", "Tubular MIS", "Open", GENERAL}
    assert K.search("sedat")["text"].str.contains("sedation").all()
    assert K.search("sedation laminectomy").empty
    assert K.search("   ").empty
    assert list(K.search("").columns) == ["kind", "subject", "topic", "text", "source_title"]


def test_source_title_rejects_unknown_ids():
    assert K.source_title("002_493ca593e6267fb3") == "Microscopic Spine Surgery"
    with pytest.raises(KnowledgeError, match="unknown source_id"):
        K.source_title("999_nope")


def test_load_is_cached_per_directory():
    assert load_knowledge() is load_knowledge(DEFAULT_DATA_DIR)


# --- broken catalogues -------------------------------------------------------------------------


def test_copy_of_the_catalogue_loads(data_copy):
    k = load_knowledge(data_copy)
    assert k is not K
    pd.testing.assert_frame_equal(k.facts, K.facts)


@pytest.mark.parametrize("rel", ["sources.csv", "knowledge/facts.csv", "knowledge/aliases.csv"])
def test_missing_file_is_named(data_copy, rel):
    (data_copy / rel).unlink()
    with pytest.raises(KnowledgeError, match=f"{rel}: file not found"):
        load_knowledge(data_copy)


def test_missing_column_is_named(data_copy):
    _edit(data_copy / "knowledge/indications.csv", "condition,approach,evidence,status,why,source_id",
          "condition,approach,evidence,status,reason,source_id")
    with pytest.raises(KnowledgeError, match=r"knowledge/indications\.csv: missing required column\(s\) \['why'\]"):
        load_knowledge(data_copy)


def test_unknown_source_id_is_named(data_copy):
    _edit(data_copy / "knowledge/facts.csv", "About one hour on average.\",001_2b5505d830d1bacf",
          "About one hour on average.\",001_deadbeef")
    with pytest.raises(KnowledgeError, match=r"knowledge/facts\.csv: unknown source_id\(s\) \['001_deadbeef'\]"):
        load_knowledge(data_copy)


def test_uncited_fact_is_rejected(data_copy):
    _edit(data_copy / "knowledge/facts.csv", "About one hour on average.\",001_2b5505d830d1bacf",
          "About one hour on average.\",")
    with pytest.raises(KnowledgeError, match=r"knowledge/facts\.csv: rows .* cite no source_id"):
        load_knowledge(data_copy)


def test_matrix_with_unknown_approach_is_named(data_copy):
    _edit(data_copy / "knowledge/indications.csv", "Spinal infection,Open,", "Spinal infection,Laser,")
    with pytest.raises(KnowledgeError, match=r"knowledge/indications\.csv: unknown approach\(es\) \['Laser'\]"):
        load_knowledge(data_copy)


def test_matrix_with_unknown_condition_is_named(data_copy):
    _edit(data_copy / "knowledge/indications.csv", "Spinal infection,Open,", "Gout,Open,")
    with pytest.raises(KnowledgeError, match=r"knowledge/indications\.csv: unknown condition\(s\) \['Gout'\]"):
        load_knowledge(data_copy)


def test_matrix_with_a_missing_cell_is_rejected(data_copy):
    path = data_copy / "knowledge/indications.csv"
    lines = [ln for ln in path.read_text().splitlines() if not ln.startswith("Spinal infection,Open,")]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(KnowledgeError, match=r"indications\.csv: missing cells \['Spinal infection × Open'\]"):
        load_knowledge(data_copy)


def test_missing_attribute_is_rejected(data_copy):
    _edit(data_copy / "knowledge/facts.csv", "Open,techniques,Not stated in sources,\n", "")
    with pytest.raises(KnowledgeError, match=r"facts\.csv: no fact .* \['Open/techniques'\]"):
        load_knowledge(data_copy)


@pytest.mark.parametrize(("line", "duplicate"), [
    ("approach,microdiscectomy,Tubular MIS,,,SpineDash vocabulary\n", "microdiscectomy"),  # the same alias pointing elsewhere
    ("approach,P.T.E.D,Full-endoscopic,,,SpineDash vocabulary\n", "p t e d"),  # harmless punctuation must not hide a clash…
    ("condition,Slipped-Disc,Spinal stenosis,,,SpineDash vocabulary\n", "slipped disc"),
    ("approach,full endoscopic,Open,,,SpineDash vocabulary\n", "full endoscopic"),  # an alias that is another canonical name
    ("approach,mis,Tubular MIS,,,SpineDash vocabulary\n", "mis"),  # an umbrella term quietly given one target
])
def test_duplicated_alias_is_rejected(data_copy, line, duplicate):
    path = data_copy / "knowledge/aliases.csv"
    if duplicate == "p t e d":
        path.write_text(path.read_text() + line + "approach,p-t-e-d,Full-endoscopic,,,SpineDash vocabulary\n")
    else:
        path.write_text(path.read_text() + line)
    with pytest.raises(KnowledgeError, match=rf"aliases\.csv: .*duplicated after normalisation: \['{duplicate}'\]"):
        load_knowledge(data_copy)


def test_alias_to_unknown_canonical_is_rejected(data_copy):
    path = data_copy / "knowledge/aliases.csv"
    path.write_text(path.read_text() + "approach,laser discectomy,Laser,,,SpineDash vocabulary\n")
    with pytest.raises(KnowledgeError, match=r"aliases\.csv: unknown canonical approach name\(s\) \['Laser'\]"):
        load_knowledge(data_copy)


def test_alias_with_candidates_must_be_marked_ambiguous(data_copy):
    path = data_copy / "knowledge/aliases.csv"
    path.write_text(path.read_text() + "approach,keyhole,Tubular MIS,Tubular MIS;Microscopic,umbrella,SpineDash vocabulary\n")
    with pytest.raises(KnowledgeError, match=r"aliases\.csv: rows \[\d+\] list candidates but are not marked"):
        load_knowledge(data_copy)


def test_ambiguous_alias_needs_candidates_and_a_note(data_copy):
    path = data_copy / "knowledge/aliases.csv"
    path.write_text(path.read_text() + "approach,keyhole,ambiguous,,,SpineDash vocabulary\n")
    with pytest.raises(KnowledgeError, match=r"aliases\.csv: ambiguous rows \[\d+\] need candidates and a note"):
        load_knowledge(data_copy)


def test_alias_source_is_a_seed_or_our_own_vocabulary(data_copy):
    """A translation is SpineDash's vocabulary, never passed off as a fact from a seed document."""
    sources = K.aliases.set_index(["kind", "alias"])["source"]
    assert sources[("condition", "diskbråck")].startswith("SpineDash vocabulary: Swedish")
    assert sources[("approach", "microspine surgery")] == "002_493ca593e6267fb3"
    path = data_copy / "knowledge/aliases.csv"
    path.write_text(path.read_text() + "condition,diskprolaps,Herniated disc,,,Swedish dictionary\n")
    with pytest.raises(KnowledgeError, match=r"aliases\.csv: unknown source\(s\) .*\['Swedish dictionary'\]"):
        load_knowledge(data_copy)


def test_value_word_must_name_an_allowed_value(data_copy):
    path = data_copy / "knowledge/aliases.csv"
    path.write_text(path.read_text() + "sex,hona,feminine,,,SpineDash vocabulary: Swedish translation\n")
    with pytest.raises(KnowledgeError, match=r"aliases\.csv: unknown canonical sex name\(s\) \['feminine'\]"):
        load_knowledge(data_copy)


def test_technique_with_unknown_visualisation_is_named(data_copy):
    _edit(data_copy / "knowledge/techniques.csv", "Naked eye,Open,naked eye", "Naked eye,Open,x-ray")
    with pytest.raises(KnowledgeError, match=r"techniques\.csv: unknown visualisation\(s\) \['x-ray'\]"):
        load_knowledge(data_copy)


def test_malformed_csv_is_named(data_copy):
    (data_copy / "knowledge/conditions.csv").write_text('condition,description,source_ids\n"unterminated,x,y\n')
    with pytest.raises(KnowledgeError, match=r"knowledge/conditions\.csv"):
        load_knowledge(data_copy)


def test_bad_boolean_is_named(data_copy):
    _edit(data_copy / "knowledge/approaches.csv", ",Open,False,", ",Open,maybe,")
    with pytest.raises(KnowledgeError, match=r"approaches\.csv: column 'minimally_invasive' must be True or False"):
        load_knowledge(data_copy)


def test_knowledge_error_is_a_value_error():
    assert issubclass(KnowledgeError, ValueError)
