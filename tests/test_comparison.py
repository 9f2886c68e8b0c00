"""Group masks for the Compare page."""

import numpy as np
import pandas as pd
import pytest

from spinedash.comparison import REST, available_modes, group_choices, group_pair

CASES = pd.DataFrame(
    {
        "approach": pd.Categorical(["Open", "Full-endoscopic", "Microscopic", "Open", None]),
        "surgeon": ["A", "B", "A", "C", None],
        "site": ["North"] * 5,
    }
)


def test_modes_need_two_values():
    assert available_modes(CASES) == ["Approach vs approach", "Surgeon vs the rest"]


def test_approach_choices_in_vocabulary_order():
    assert group_choices(CASES, "Approach vs approach") == ["Full-endoscopic", "Microscopic", "Open"]


def test_approach_pair_masks():
    pair = group_pair(CASES, "Approach vs approach", "Open", "Full-endoscopic")
    np.testing.assert_array_equal(pair.in_a, [True, False, False, True, False])
    np.testing.assert_array_equal(pair.in_b, [False, True, False, False, False])
    assert (pair.label_a, pair.label_b) == ("Open", "Full-endoscopic")


def test_surgeon_vs_rest_excludes_unrecorded_surgeon():
    pair = group_pair(CASES, "Surgeon vs the rest", "A", None)
    np.testing.assert_array_equal(pair.in_a, [True, False, True, False, False])
    np.testing.assert_array_equal(pair.in_b, [False, True, False, True, False])
    assert pair.label_b == REST
    assert not (pair.in_a & pair.in_b).any()


def test_same_group_twice_is_refused():
    with pytest.raises(ValueError, match="two different"):
        group_pair(CASES, "Approach vs approach", "Open", "Open")


def test_categorical_and_text_columns_give_the_same_masks():
    as_text = CASES.assign(approach=CASES["approach"].astype("string"))
    for frame in (CASES, as_text):
        pair = group_pair(frame, "Approach vs approach", "Open", "Microscopic")
        np.testing.assert_array_equal(pair.in_a, [True, False, False, True, False])
        np.testing.assert_array_equal(pair.in_b, [False, False, True, False, False])
    absent = group_pair(CASES, "Approach vs approach", "Tubular MIS", "Open")
    assert not absent.in_a.any()


def test_comparison_table_matches_compare_groups():
    from spinedash.analysis import compare_groups
    from spinedash.comparison import comparison_table
    from spinedash.sample import load_sample

    cases = load_sample()
    pair, table = comparison_table(cases, "Approach vs approach", "Open", "Full-endoscopic", min_cell=5)
    expected = compare_groups(cases, pair.in_a, pair.in_b, "Open", "Full-endoscopic", min_cell=5)
    pd.testing.assert_frame_equal(table, expected)
