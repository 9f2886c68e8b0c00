"""AppTest for the Procedures page: runs clean, and each section answers by widget key."""

from spinedash.knowledge import GENERAL, NOT_DESCRIBED
from tests.pages.apptest import all_text, run_page

PAGE = "pages/procedures.py"


def _table(at, column: str):
    """The first table with `column` among its columns."""
    return next(t.value for t in at.table if column in t.value.columns)


def _markdown(at) -> str:
    return "\n".join(str(m.value) for m in at.markdown)


def _treats(approach: str) -> str:
    """How a "treats" card starts: the approach's colour square, then its name in bold."""
    return f"&#9632;</span> **{approach}** — "


def test_procedures_runs_with_every_section_and_the_disclaimer():
    at = run_page(PAGE)
    assert not at.exception
    assert [t.value for t in at.title] == ["Procedures"]
    assert [h.value for h in at.header] == [
        "By condition", "One approach in detail", "Compare approaches", "How the documents map onto the four approaches",
        "Search the procedure knowledge",
    ]
    assert at.selectbox(key="procedures_condition").value == "Herniated disc"
    assert at.multiselect(key="procedures_compare").value == ["Full-endoscopic", "Open"]
    text = all_text(at)
    assert "not medical advice" in text.lower()
    # Users see document titles, never the hashed file stems.
    assert "Spinal Endoscopy: A Minimally Invasive Approach to Spinal Care" in text
    assert "07378135274634d7" not in text
    # Outcomes from the data for the condition, the side-by-side comparison, the document mapping, the techniques.
    assert len(at.table) == 4


def test_choosing_spinal_stenosis_shows_the_approaches_that_treat_it():
    at = run_page(PAGE)
    at.selectbox(key="procedures_condition").set_value("Spinal stenosis").run()
    assert not at.exception
    text = _markdown(at)
    assert "Approaches the source documents describe for spinal stenosis" in text
    for approach in ("Full-endoscopic", "Microscopic"):
        assert _treats(approach) in text
    # Open and tubular are not claimed: they sit under "Not stated in sources". The document that lists
    # stenosis without naming a technique is shown apart, under no approach.
    assert _treats("Open") not in text and _treats("Tubular MIS") not in text
    assert "**Open** — The source documents describe open surgery only as the comparison" in text
    assert [e.label for e in at.expander if e.label.startswith("Not stated")] == [
        "Not stated in sources: Tubular MIS, Open"]
    assert "**Minimally invasive surgery, no technique named**" in text
    assert _treats(GENERAL) in text
    captions = "\n".join(c.value for c in at.caption)
    assert "Source: Microscopic Spine Surgery" in captions


def test_condition_without_a_stated_approach_for_open_mentions_only_seeded_ones():
    at = run_page(PAGE)
    at.selectbox(key="procedures_condition").set_value("Spinal infection").run()
    text = _markdown(at)
    assert _treats("Full-endoscopic") in text
    for approach in ("Tubular MIS", "Microscopic", "Open"):
        assert _treats(approach) not in text


def test_browsing_an_approach_shows_every_attribute_with_sources():
    at = run_page(PAGE)
    at.selectbox(key="procedures_approach").set_value("Microscopic").run()
    assert not at.exception
    text = _markdown(at)
    for label in ("How the surgeon sees the anatomy", "Anaesthesia", "Techniques", "Patient selection"):
        assert f"**{label}**" in text
    assert "Microdiscectomy" in text
    assert "*Not stated in sources*" in text  # anaesthesia is not in the microscopic document
    assert ":gray[— Microscopic Spine Surgery]" in text


def test_comparison_table_and_fewer_than_two():
    at = run_page(PAGE)
    at.multiselect(key="procedures_compare").set_value(["Full-endoscopic", "Tubular MIS", "Open"]).run()
    assert not at.exception
    table = _table(at, "Tubular MIS")  # the side-by-side comparison
    assert list(table.columns) == ["Full-endoscopic", "Tubular MIS", "Open"]
    assert "Hospital stay" in table.index and "Patient selection" in table.index
    at.multiselect(key="procedures_compare").set_value(["Open"]).run()
    assert len(at.table) == 3  # the outcome join, the document mapping and the techniques are left
    assert any("at least two" in i.value for i in at.info)


def test_search_finds_4_mm_with_its_source():
    at = run_page(PAGE)
    at.text_input(key="procedures_search").input("4 mm").run()
    assert not at.exception
    captions = [c.value for c in at.caption]
    assert "1 matching passage for “4 mm”" in captions
    hits = [m.value for m in at.markdown if "4 mm working channel" in m.value and "· How the surgeon" in m.value]
    assert len(hits) == 1
    assert "Percutaneous and Endoscopic Spine Procedures (Endoscopic Discectomy)" in hits[0]


def test_search_with_no_match_says_so():
    at = run_page(PAGE)
    at.text_input(key="procedures_search").input("acupuncture").run()
    assert "0 matching passages for “acupuncture”" in [c.value for c in at.caption]


def test_condition_shows_outcomes_from_the_data_in_use_with_links():
    at = run_page("pages/procedures.py", query_params={"procedures_condition": "Spinal stenosis"})
    assert not at.exception, at.exception
    outcomes = next(t.value for t in at.table if "Median stay (hours)" in t.value.columns)
    assert list(outcomes.index) == ["Full-endoscopic", "Tubular MIS", "Microscopic", "Open"]
    assert outcomes.loc["Open", "Cases"] == "185"
    links = [el for el in at.get("page_link")]
    assert any("filter_condition=Spinal" in str(el.proto) or "Spinal stenosis" in str(el.proto) for el in links)


def test_condition_absent_from_the_data_says_so():
    at = run_page("pages/procedures.py", query_params={"procedures_condition": "Spinal tumour"})
    assert not at.exception
    assert "no cases of spinal tumour" in " ".join(c.value for c in at.caption)


def test_back_pain_of_unclear_cause_is_investigated_not_treated():
    at = run_page(PAGE, query_params={"procedures_condition": "Back pain of unclear cause"})
    assert not at.exception
    text = _markdown(at)
    assert "**Used to investigate back pain of unclear cause, not to treat it**" in text
    assert "&#9632;</span> **Full-endoscopic** — *used to investigate:* " in text
    assert "Approaches the source documents describe for" not in text  # no approach is said to treat it
    assert not at.warning


def test_document_003_is_shown_under_no_approach_and_the_mapping_is_explained():
    at = run_page(PAGE, query_params={"procedures_condition": "Scoliosis / deformity"})
    text = _markdown(at)
    assert _treats("Tubular MIS") not in text  # the document never names a tube
    assert _treats("Microscopic") in text and _treats(GENERAL) in text
    mapping = _table(at, "Filed under")
    row = mapping.loc["Minimally invasive spine surgery"]
    assert row["Filed under"] == GENERAL
    assert row["Document"] == "When Minimally Invasive Spine Surgery Could Be Necessary"
    captions = "\n".join(c.value for c in at.caption)
    assert "open microdiscectomy" in captions and "Microscopic" in captions


def test_general_category_can_be_browsed():
    at = run_page(PAGE, query_params={"procedures_approach": GENERAL})
    assert not at.exception
    text = _markdown(at)
    assert "preserve the function of the spine" in text
    assert ":gray[— When Minimally Invasive Spine Surgery Could Be Necessary]" in text


def test_techniques_say_which_the_documents_do_not_describe():
    at = run_page(PAGE)
    table = _table(at, "How the surgeon sees")
    assert table.loc["Biportal endoscopic (UBE/BESS)", "Described in"] == NOT_DESCRIBED
    assert table.loc["Biportal endoscopic (UBE/BESS)", "Filed under"] == "Biportal endoscopic"
    assert table.loc["Microendoscopic (MED)", "Filed under"] == "Tubular MIS"
    assert set(table["How the surgeon sees"]) == {"naked eye", "loupes", "microscope", "endoscope"}


def test_undescribed_approach_in_the_data_is_named_as_such():
    from spinedash.dataset import Dataset
    from spinedash.sample import load_sample

    cases = load_sample().head(60).copy()
    cases["approach"] = cases["approach"].astype(str)
    cases.loc[cases.index[:5], "approach"] = "Biportal endoscopic"
    cases["technique"] = "Microendoscopic (MED)"
    cases.loc[cases.index[:5], "technique"] = "Biportal endoscopic (UBE/BESS)"
    dataset = Dataset(cases, "test file", is_synthetic=False, content_key="t")
    at = run_page(PAGE, session={"data_source_dataset": dataset})
    assert not at.exception, at.exception
    text = _markdown(at)
    assert f"- Biportal endoscopic: {NOT_DESCRIBED}. Shown as recorded, not filed under another approach." in text
    assert f"- Biportal endoscopic (UBE/BESS): {NOT_DESCRIBED}. Filed under no approach the documents describe." in text
    # The sample holds only described approaches, but techniques the documents never name.
    plain = _markdown(run_page(PAGE))
    assert f"- Uniportal full-endoscopic (transforaminal): {NOT_DESCRIBED}. Filed under Full-endoscopic." in plain
    assert f"- Loupes: {NOT_DESCRIBED}. Filed under Open." in plain
    assert "- Microendoscopic (MED):" not in plain  # the MISS document names tubes with endoscopic video
    assert f"- Biportal endoscopic: {NOT_DESCRIBED}" not in plain
