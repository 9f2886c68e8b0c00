"""The one small-cell rule (spinedash.privacy): each part checked by hand and by brute force."""

from itertools import product

import numpy as np
import pandas as pd
import pytest

from spinedash import privacy


def test_small_counts_are_never_shown():
    assert [privacy.count_text(n, 5) for n in (0, 1, 4, 5, 1234)] == ["0", "< 5", "< 5", "5", "1,234"]
    assert privacy.count_text(np.nan, 5) == "—"
    assert privacy.is_small(3, 5) and not privacy.is_small(0, 5) and not privacy.is_small(5, 5)
    assert privacy.is_small(np.array([0, 1, 4, 5, np.nan]), 5).tolist() == [False, True, True, False, False]
    assert privacy.count_text(2, 1) == "2"  # k = 1 turns the rule off


def test_complementary_suppression_by_hand():
    # Surgeons 3, 40, 12, 25: the 3 alone would be total − the rest, so the 12 goes too.
    assert privacy.complementary_suppression([3, 40, 12, 25], 5).tolist() == [True, False, True, False]
    # Two small cells holding 1 + 2 = 3 < 5 together: one more (the 6) is hidden.
    assert privacy.complementary_suppression([1, 2, 6, 50], 5).tolist() == [True, True, True, False]
    # Two small cells holding 4 + 3 = 7 ≥ 5: nothing else needs hiding.
    assert privacy.complementary_suppression([4, 3, 60], 5).tolist() == [True, True, False]
    # Nothing small: nothing hidden; empty groups are never "hidden".
    assert privacy.complementary_suppression([0, 9, 60], 5).tolist() == [False, False, False]
    # Already hidden for another reason (e.g. a whole row): counted as hidden.
    assert privacy.complementary_suppression([7, 9, 60], 5, hidden=[True, False, False]).tolist() == [True, True, False]
    # k = 1: off.
    assert privacy.complementary_suppression([1, 2, 3], 1).tolist() == [False, False, False]


def test_total_must_hide_when_no_partner_is_left():
    counts = [3, 40]
    hidden = privacy.complementary_suppression(counts, 5)
    assert hidden.tolist() == [True, True]
    assert not privacy.total_must_hide(counts, hidden, 5)  # 43 over two hidden groups: no single one recovered
    assert privacy.total_must_hide([3], privacy.complementary_suppression([3], 5), 5)
    assert privacy.total_must_hide([1, 2], privacy.complementary_suppression([1, 2], 5), 5)


@pytest.mark.parametrize("k", [3, 5])
def test_no_small_cell_recoverable_by_subtraction(k):
    """Brute force over every table of 2–4 cells holding 0..2k patients each: a reader who sees the
    total, the shown cells and which cells are hidden (each hidden one non-empty) lists every table
    that fits; no small hidden cell has only one value across them, and no hidden group of ≥ k is
    ever labelled small."""
    for size in (2, 3, 4):
        for table in product(range(0, 2 * k + 1), repeat=size):
            hidden = privacy.complementary_suppression(table, k)
            assert all(hidden[i] for i, v in enumerate(table) if 0 < v < k)
            if not hidden.any() or privacy.total_must_hide(table, hidden, k):
                continue  # nothing hidden, or the total is not shown
            remainder = sum(table) - sum(v for v, h in zip(table, hidden, strict=True) if not h)
            m = int(hidden.sum())
            fits = [c for c in product(range(1, remainder + 1), repeat=m) if sum(c) == remainder]
            for j, value in enumerate(v for v, h in zip(table, hidden, strict=True) if h):
                if 0 < value < k:
                    assert len({c[j] for c in fits}) > 1, (table, hidden)
            assert remainder >= k


def test_protect_margins_within_each_quarter():
    frame = pd.DataFrame(
        {"quarter": ["Q1", "Q1", "Q1", "Q2", "Q2", "Q2"], "approach": list("ABC") * 2, "n": [2, 30, 8, 20, 30, 40]}
    )
    assert privacy.protect_margins(frame, "n", "quarter", 5).tolist() == [True, False, True, False, False, False]
    assert privacy.protect_margins(frame, "n", None, 5).tolist() == [True, False, True, False, False, False]


def test_at_risk_cut():
    times = np.array([10, 20, 30, 40, 50])
    assert privacy.at_risk_cut(times, np.array([9, 7, 5, 4, 2]), 5) == 30
    assert privacy.at_risk_cut(times, np.array([9, 8, 7, 6, 5]), 5) == np.inf
    assert privacy.at_risk_cut(times, np.array([3, 2, 1, 1, 1]), 5) == -np.inf
    assert privacy.at_risk_cut(times, np.array([3, 2, 1, 1, 1]), 1) == np.inf


def test_rule_text_names_k():
    text = privacy.rule_text(7)
    assert "fewer than 7" in text and "complementary suppression" in text and "< 7" in text


def test_protect_table_covers_every_margin():
    # Quarters × approaches; the blank approach ("Not recorded") has 2 cases in Q1.
    frame = pd.DataFrame(
        {
            "quarter": [q for q in ("Q1", "Q2", "Q3", "Q4") for _ in range(3)],
            "approach": ["Open", "Tubular", "Not recorded"] * 4,
            "n": [30, 8, 2, 25, 9, 0, 40, 12, 0, 33, 20, 0],
        }
    )
    hidden = privacy.protect_table(frame, "n", ["quarter", "approach", None], 5)
    assert hidden[2] and hidden.sum() < 8  # the small cell, and not the whole table
    # Every margin: hidden cells hold 0, or ≥ 5 over ≥ 2 cells, or are all its non-empty cells
    # (a margin whose total the caller must then not show).
    marked = frame.assign(h=hidden)
    for within in ("quarter", "approach", None):
        parts = [marked] if within is None else [p for _, p in marked.groupby(within)]
        for part in parts:
            held = part.loc[part["h"], "n"]
            all_hidden = (part["h"] | (part["n"] == 0)).all()
            assert held.empty or all_hidden or (held.sum() >= 5 and len(held) >= 2), (within, part)
