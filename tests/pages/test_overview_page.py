"""AppTest for the Overview (landing) page and the guided demo."""

from tests.pages.apptest import all_text, run_page


def test_overview_says_what_it_is_and_not_medical_advice():
    at = run_page("pages/overview.py")
    assert not at.exception, at.exception
    text = all_text(at)
    assert "SpineDash" in text
    assert "not medical advice" in text.lower()
    assert "synthetic demonstration data" in text


def test_headline_figures_carry_their_n_and_open_comparison():
    at = run_page("pages/overview.py")
    labels = [m.label for m in at.metric]
    assert "Cases" in labels
    assert "Median hospital stay" in labels
    assert any("MCID" in label for label in labels)
    cases = next(m for m in at.metric if m.label == "Cases")
    assert cases.value == "2,500"
    assert "minimally invasive" in all_text(at) and " vs open " in all_text(at)


def test_headline_figures_follow_the_filters():
    at = run_page("pages/overview.py", query_params={"filter_approach": ["Open"]})
    cases = next(m for m in at.metric if m.label == "Cases")
    assert cases.value != "2,500"
    assert not at.exception


def test_demo_starts_and_steps_to_the_recovery_page():
    at = run_page("pages/overview.py")
    at.button(key="demo_start").click().run()
    assert not at.exception
    assert "Demo 1 of" in all_text(at)
    at.button(key="demo_next").click().run()
    assert not at.exception
    text = all_text(at)
    assert "Demo 2 of" in text and "Hospital stay by approach" in text
    assert at.multiselect(key="filter_condition").value == ["Herniated disc"]
    at.button(key="demo_end").click().run()
    assert "Demo" not in " ".join(m.value for m in at.markdown if "Demo " in m.value)


def test_demo_walks_every_step_both_ways_and_end_gives_the_filters_back():
    from spinedash.overview import demo_steps

    steps = demo_steps()
    at = run_page("pages/overview.py", query_params={"filter_approach": ["Microscopic"]})
    assert at.multiselect(key="filter_approach").value == ["Microscopic"]
    at.button(key="demo_start").click().run()
    forward = [("demo_next", i) for i in range(1, len(steps))]
    back = [("demo_back", i) for i in range(len(steps) - 2, -1, -1)]
    for button, index in forward + back:
        at.button(key=button).click().run()
        assert not at.exception, (button, index, at.exception)
        text = all_text(at)
        assert f"Demo {index + 1} of {len(steps)}" in text and steps[index].sentence in text
        if steps[index].page != "pages/procedures.py":  # the pages with sidebar filters
            for key in ("filter_condition", "filter_approach"):
                assert at.multiselect(key=key).value == steps[index].query.get(key, [])
    at.button(key="demo_end").click().run()
    assert not at.exception
    assert "Demo 1 of" not in all_text(at)
    assert at.multiselect(key="filter_approach").value == ["Microscopic"]
    assert at.multiselect(key="filter_condition").value == []
