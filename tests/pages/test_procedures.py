"""AppTest for the Procedures page: runs clean, and each section answers by widget key."""

from tests.pages.apptest import all_text, run_page

PAGE = "pages/procedures.py"


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
        "By condition", "One approach in detail", "Compare approaches", "Search the procedure knowledge",
    ]
    assert at.selectbox(key="procedures_condition").value == "Herniated disc"
    assert at.multiselect(key="procedures_compare").value == ["Full-endoscopic", "Open"]
    text = all_text(at)
    assert "not medical advice" in text.lower()
    # Users see document titles, never the hashed file stems.
    assert "Spinal Endoscopy: A Minimally Invasive Approach to Spinal Care" in text
    assert "07378135274634d7" not in text
    assert len(at.table) == 2  # outcomes from the data for the condition, and the side-by-side comparison


def test_choosing_spinal_stenosis_shows_the_approaches_that_treat_it():
    at = run_page(PAGE)
    at.selectbox(key="procedures_condition").set_value("Spinal stenosis").run()
    assert not at.exception
    text = _markdown(at)
    assert "Approaches the source documents describe for spinal stenosis" in text
    for approach in ("Full-endoscopic", "Tubular MIS", "Microscopic"):
        assert _treats(approach) in text
    # Open is not claimed: it sits under "Not stated in sources".
    assert _treats("Open") not in text
    assert "**Open** — The source documents describe open surgery only as the comparison" in text
    assert [e.label for e in at.expander if e.label.startswith("Not stated")] == ["Not stated in sources: Open"]
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
    table = at.table[-1].value  # the side-by-side comparison (the first table is the outcome join)
    assert list(table.columns) == ["Full-endoscopic", "Tubular MIS", "Open"]
    assert "Hospital stay" in table.index
    at.multiselect(key="procedures_compare").set_value(["Open"]).run()
    assert len(at.table) == 1  # only the outcome join is left
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
