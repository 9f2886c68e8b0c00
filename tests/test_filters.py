"""spinedash.filters: options, masks, descriptions and the 'which filter emptied it' message."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spinedash.filters import (
    FilterOptions,
    Filters,
    apply_filters,
    count_matching,
    describe_filters,
    emptying_filter,
    filter_mask,
    filter_options,
    is_default,
    no_match_message,
    slider_bounds,
)
from spinedash.schema import to_canonical_dtypes


def cases() -> pd.DataFrame:
    raw = pd.DataFrame(
        {
            "case_id": ["C1", "C2", "C3", "C4", "C5", "C6"],
            "surgery_date": ["2024-01-05", "2024-02-10", "2024-03-15", "2024-03-31", "2024-05-01", None],
            "age": [38.0, 45.0, 52.0, 61.0, np.nan, 70.0],
            "sex": ["female", "male", "male", "female", "male", "female"],
            "condition": ["Spinal stenosis", "Herniated disc", "Herniated disc", "Spinal stenosis", "Herniated disc", None],
            "approach": ["Open", "Full-endoscopic", "Microscopic", "Tubular MIS", "Full-endoscopic", "Open"],
            "spinal_level": ["L5-S1", "L4-L5", "C5-C6", "L3-L4", "L5-S1", "T12-L1"],
            "site": ["North", "South", "North", "North", "South", "North"],
        }
    )
    return to_canonical_dtypes(raw)


def ids(df: pd.DataFrame) -> list[str]:
    return list(df["case_id"])


def test_default_filters_return_the_same_frame():
    df = cases()
    assert is_default(Filters())
    assert apply_filters(df, Filters()) is df
    assert describe_filters(Filters()) == "All cases"
    assert emptying_filter(df, Filters()) is None


def test_is_default_false_for_any_restriction():
    assert not is_default(Filters(sites=("North",)))
    assert not is_default(Filters(age_range=(40, 60)))
    assert not is_default(Filters(date_range=(date(2024, 1, 1), date(2024, 2, 1))))


def test_options_follow_vocabulary_and_spine_order():
    opts = filter_options(cases())
    # APPROACHES order, not alphabetical; only values present.
    assert opts.approaches == ("Full-endoscopic", "Tubular MIS", "Microscopic", "Open")
    assert opts.conditions == ("Herniated disc", "Spinal stenosis")
    # Head to pelvis: cervical, thoracic, lumbar.
    assert opts.spinal_levels == ("C5-C6", "T12-L1", "L3-L4", "L4-L5", "L5-S1")
    assert opts.sexes == ("female", "male")
    assert opts.sites == ("North", "South")
    assert opts.age_range == (38.0, 70.0)
    assert opts.date_range == (date(2024, 1, 5), date(2024, 5, 1))
    # Absent columns have no options at all.
    assert opts.surgeons is None and opts.procedures is None


def test_options_skip_unused_categories_and_put_unknown_values_last():
    df = cases()
    df["approach"] = df["approach"].cat.add_categories(["Robotic"])
    df.loc[0, "approach"] = "Robotic"
    df["site"] = df["site"].cat.add_categories(["Unused"])
    opts = filter_options(df)
    assert opts.approaches == ("Full-endoscopic", "Tubular MIS", "Microscopic", "Open", "Robotic")
    assert "Unused" not in opts.sites


def test_options_of_frame_without_filter_columns():
    assert filter_options(pd.DataFrame({"case_id": ["C1"]})) == FilterOptions()


def test_category_filters_combine_with_and():
    df = cases()
    f = Filters(conditions=("Herniated disc",), approaches=("Full-endoscopic", "Microscopic"))
    assert ids(apply_filters(df, f)) == ["C2", "C3", "C5"]
    f = Filters(conditions=("Herniated disc",), approaches=("Full-endoscopic",), sites=("South",))
    assert ids(apply_filters(df, f)) == ["C2", "C5"]
    assert count_matching(df, f) == 2


def test_missing_category_value_never_matches():
    df = cases()
    # C6 has no condition recorded.
    assert "C6" not in ids(apply_filters(df, Filters(conditions=("Herniated disc", "Spinal stenosis"))))


def test_value_not_in_categories_matches_nothing():
    df = cases()
    assert len(apply_filters(df, Filters(sites=("Nowhere",)))) == 0


def test_age_range_is_inclusive_and_drops_missing_age():
    df = cases()
    assert ids(apply_filters(df, Filters(age_range=(45, 61)))) == ["C2", "C3", "C4"]
    assert "C5" not in ids(apply_filters(df, Filters(age_range=(0, 120))))


def test_date_range_includes_the_whole_end_day():
    df = cases()
    df.loc[3, "surgery_date"] = pd.Timestamp("2024-03-31 16:30")
    f = Filters(date_range=(date(2024, 2, 10), date(2024, 3, 31)))
    assert ids(apply_filters(df, f)) == ["C2", "C3", "C4"]


def test_filters_on_absent_columns_are_ignored():
    df = cases().drop(columns=["site", "age"])
    f = Filters(sites=("Nowhere",), age_range=(90, 100), surgeons=("Surgeon A",))
    assert ids(apply_filters(df, f)) == ids(df)
    assert emptying_filter(df, f) is None


def test_plain_string_columns_work_too():
    df = cases()
    df["site"] = df["site"].astype(str)
    assert ids(apply_filters(df, Filters(sites=("South",)))) == ["C2", "C5"]


def test_describe_filters_reads_like_the_sidebar():
    f = Filters(conditions=("Herniated disc",), approaches=("Full-endoscopic", "Microscopic"), age_range=(40.0, 60.0))
    assert describe_filters(f) == "Condition: Herniated disc · Approach: Full-endoscopic, Microscopic · Age 40–60"
    f = Filters(sites=("North",), date_range=(date(2024, 1, 1), date(2024, 6, 30)))
    assert describe_filters(f) == "Site: North · Surgery date 2024-01-01 to 2024-06-30"
    assert describe_filters(Filters(age_range=(40.5, 60))) == "Age 40.5–60"


def test_emptying_filter_names_the_first_filter_that_left_nothing():
    df = cases()
    # Herniated disc + Full-endoscopic leaves C2 and C5 (both South); Site North empties it.
    f = Filters(conditions=("Herniated disc",), approaches=("Full-endoscopic",), sites=("North",))
    assert apply_filters(df, f).empty
    assert emptying_filter(df, f) == "Site"
    # Applied in order: the approach filter already empties stenosis cases before site is reached.
    f = Filters(conditions=("Spinal stenosis",), approaches=("Microscopic",), sites=("South",))
    assert emptying_filter(df, f) == "Approach"
    assert emptying_filter(df, Filters(age_range=(90, 99))) == "Age"
    assert emptying_filter(df.iloc[0:0], Filters(sites=("North",))) is None


def test_filters_are_frozen_and_hashable():
    f = Filters(approaches=("Open",))
    with pytest.raises(AttributeError):
        f.approaches = ()  # type: ignore[misc]
    assert {f: 1}[Filters(approaches=("Open",))] == 1


def test_slider_bounds_cover_fractional_ages():
    assert slider_bounds((38.4, 70.2)) == (38, 71)


@settings(max_examples=60, deadline=None)
@given(
    approaches=st.lists(st.sampled_from(["Full-endoscopic", "Tubular MIS", "Microscopic", "Open"]), unique=True),
    sites=st.lists(st.sampled_from(["North", "South"]), unique=True),
    low=st.integers(30, 75),
    width=st.integers(0, 40),
)
def test_mask_agrees_with_a_plain_row_by_row_check(approaches, sites, low, width):
    df = cases()
    f = Filters(approaches=tuple(approaches), sites=tuple(sites), age_range=(low, low + width))
    expected = [
        (not approaches or r.approach in approaches)
        and (not sites or r.site in sites)
        and (pd.notna(r.age) and low <= r.age <= low + width)
        for r in df.itertuples()
    ]
    assert list(filter_mask(df, f)) == expected


def test_no_match_message_names_the_filter():
    df = cases()
    f = Filters(conditions=("Herniated disc",), approaches=("Full-endoscopic",), sites=("North",))
    assert no_match_message(df, f) == "No cases match: the Site filter left nothing. Widen it or press Reset filters."
    assert no_match_message(df.iloc[0:0], f) == "No cases match these filters."


# ---------------------------------------------------------------- the sidebar widgets (AppTest)


def _sidebar_script():
    """Runs as a Streamlit script: a small cohort, the sidebar filters, and the result echoed."""
    import pandas as pd
    import streamlit as st

    from spinedash.filters import describe_filters
    from spinedash.schema import to_canonical_dtypes
    from spinedash.ui.filters import min_cell_setting, sidebar_filters

    n = 40
    approaches = ["Full-endoscopic", "Tubular MIS", "Microscopic", "Open"]
    raw = pd.DataFrame(
        {
            "case_id": [f"C{i}" for i in range(n)],
            "surgery_date": pd.date_range("2024-01-01", periods=n, freq="7D"),
            "age": [30.0 + i for i in range(n)],
            "condition": ["Herniated disc" if i % 2 else "Spinal stenosis" for i in range(n)],
            "approach": [approaches[i % 4] for i in range(n)],
            "site": ["North" if i < 30 else "South" for i in range(n)],
        }
    )
    if st.session_state.get("drop_site"):
        raw = raw.drop(columns=["site"])
    filters = sidebar_filters(to_canonical_dtypes(raw))
    st.session_state["result"] = describe_filters(filters)
    st.session_state["min_cell_value"] = min_cell_setting()


def _apptest():
    from streamlit.testing.v1 import AppTest

    return AppTest.from_function(_sidebar_script, default_timeout=60)


def _sidebar_text(at) -> str:
    return "\n".join(str(m.value) for m in at.sidebar.markdown) + "\n".join(str(w.value) for w in at.sidebar.warning)


def test_sidebar_without_query_params_filters_nothing():
    at = _apptest().run()
    assert not at.exception
    assert at.session_state["result"] == "All cases"
    assert "40 of 40 cases" in _sidebar_text(at)
    assert at.multiselect(key="filter_approach").options == ["Full-endoscopic", "Tubular MIS", "Microscopic", "Open"]
    assert at.number_input(key="min_cell").value == 5
    assert at.button(key="filter_reset").disabled


def test_query_params_preset_the_widgets():
    at = _apptest()
    at.query_params["filter_approach"] = ["Open", "Microscopic"]
    at.query_params["filter_age"] = ["40", "60"]
    at.query_params["min_cell"] = "10"
    at.run()
    assert not at.exception
    assert at.multiselect(key="filter_approach").value == ["Open", "Microscopic"]
    assert at.slider(key="filter_age").value == (40, 60)
    assert at.session_state["result"] == "Approach: Open, Microscopic · Age 40–60"
    # Ages 40..60 are cases 10..30; Microscopic or Open is i % 4 in (2, 3): 10, 11, 14, 15, 18, 19, 22, 23, 26, 27, 30.
    assert "11 of 40 cases" in _sidebar_text(at)
    assert at.session_state["min_cell_value"] == 10


def test_unknown_query_param_value_is_dropped():
    at = _apptest()
    at.query_params["filter_approach"] = ["Open", "Robotic"]
    at.run()
    assert not at.exception
    assert at.multiselect(key="filter_approach").value == ["Open"]


def test_interacting_then_reset_clears_every_filter():
    at = _apptest()
    at.query_params["filter_age"] = ["40", "60"]
    at.run()
    at.multiselect(key="filter_site").select("South").run()
    at.multiselect(key="filter_condition").select("Herniated disc").run()
    assert at.session_state["result"] == "Condition: Herniated disc · Site: South · Age 40–60"
    at.button(key="filter_reset").click().run()
    assert not at.exception
    assert at.session_state["result"] == "All cases"
    assert at.multiselect(key="filter_site").value == []
    assert at.slider(key="filter_age").value == (30, 69)


def test_no_match_names_the_emptying_filter():
    at = _apptest()
    at.query_params["filter_age"] = ["30", "35"]
    at.query_params["filter_site"] = "South"
    at.run()
    assert "0 of 40 cases" in _sidebar_text(at)
    # Site is applied before age: South (cases 30–39) leaves ten, then ages 30–35 leave none.
    assert "the Age filter left nothing" in _sidebar_text(at)


def test_widgets_only_for_columns_present_and_values_persist():
    at = _apptest().run()
    at.multiselect(key="filter_approach").select("Open").run()
    at.session_state["drop_site"] = True
    at.run()
    assert not at.exception
    assert [w.key for w in at.sidebar.multiselect] == ["filter_condition", "filter_approach"]
    assert at.multiselect(key="filter_approach").value == ["Open"]


def test_half_picked_date_range_runs_to_the_last_date():
    from spinedash.ui.filters import _date_range

    first, last = date(2024, 1, 1), date(2024, 12, 31)
    assert _date_range((first, last), first, last) is None
    assert _date_range((date(2024, 3, 1),), first, last) == (date(2024, 3, 1), last)
    assert _date_range((date(2024, 3, 1), date(2024, 4, 1)), first, last) == (date(2024, 3, 1), date(2024, 4, 1))
    assert _date_range((), first, last) is None


# --- Shared links: values the data lacks are named, reversed ranges swapped -------------------

def _link_options():
    from spinedash.filters import FilterOptions

    return FilterOptions(
        conditions=("Herniated disc", "Spinal stenosis"),
        approaches=("Full-endoscopic", "Open"),
        age_range=(18.0, 92.0),
        date_range=(date(2021, 1, 1), date(2025, 12, 31)),
    )


def test_a_valid_link_needs_nothing():
    from spinedash.filters import check_link

    check = check_link(
        {"conditions": ["Herniated disc"], "age_range": ["40", "70"], "date_range": ["2024-01-01", "2024-06-30"]},
        _link_options(),
    )
    assert check.corrected == {} and check.notes == []


def test_a_link_names_every_value_the_data_does_not_have():
    from spinedash.filters import check_link

    check = check_link(
        {"conditions": ["Herniated disc", "Broken leg"], "approaches": ["Laser"], "sites": ["North"]},
        _link_options(),
    )
    assert check.corrected == {}
    (note,) = check.notes
    assert "ignored" in note
    assert "Condition “Broken leg”" in note and "Approach “Laser”" in note
    assert "Site (the data has no site column)" in note
    assert "Herniated disc" not in note  # a value the data has is applied, not reported


def test_a_reversed_range_is_swapped_and_said():
    from spinedash.filters import check_link

    check = check_link({"age_range": ["70", "40"], "date_range": ["2024-06-30", "2024-01-01"]}, _link_options())
    assert check.corrected == {"age_range": ["40", "70"], "date_range": ["2024-01-01", "2024-06-30"]}
    assert any("70–40" in n and "40–70" in n for n in check.notes)
    assert any("2024-06-30 to 2024-01-01" in n and "2024-01-01 to 2024-06-30" in n for n in check.notes)


def test_a_range_past_the_data_is_clamped_and_nonsense_is_ignored():
    from spinedash.filters import check_link

    check = check_link({"age_range": ["10", "60"]}, _link_options())
    assert check.corrected == {"age_range": ["18", "60"]}
    assert "18–92" in check.notes[0]
    check = check_link({"age_range": ["abc", "60"], "date_range": ["2024-02-31", "2024-06-30"]}, _link_options())
    assert check.corrected == {}
    assert "Age abc–60" in check.notes[0] and "Surgery date 2024-02-31 to 2024-06-30" in check.notes[0]
