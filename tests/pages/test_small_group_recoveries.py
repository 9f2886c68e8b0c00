"""Replays, on the pages themselves, the subtractions that could still give a small group away.

Each test crafts an upload with a group of 1..k−1 cases, opens the pages with AppTest, reads every
number the pages print (text, sidebar, tables, chart descriptions), does the attacker's subtraction
and fails if any value in 1..k−1 comes out. Each replay is also run with the protection switched
off, where it must succeed: a replay that cannot find the group unprotected proves nothing.

1. Filter differencing: a filter leaving out a small group shows the view's count beside the file's.
2. Blank grouping values: per-group tables left blank-approach rows out, so the view's count minus
   the groups gave the blank group.
3. A group hidden only to protect a smaller one printed its counts ("k of n", returned + censored).
4. Across pages: a partition of the view printed on one page against the same view's total on another.
"""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from spinedash.dataset import Dataset
from spinedash.sample import load_sample
from tests.pages.apptest import run_page

K = 5
ANALYTICS = ["pages/overview.py", "pages/recovery.py", "pages/pain.py", "pages/compare.py", "pages/benchmarking.py",
             "pages/export.py"]  # fmt: skip

_NUMBER = re.compile(r"(?<![\w.])\d{1,3}(?:,\d{3})+(?![\d.])|(?<![\w.,])\d+(?![\d.,]\d)")


def _texts(at) -> list[str]:
    """Every piece of text the run shows: main area and sidebar, tables cell by cell, charts in words."""
    parts: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success"):
        parts.extend(str(el.value) for el in getattr(at, kind))
    for kind in ("markdown", "caption", "info", "warning"):
        parts.extend(str(el.value) for el in getattr(at.sidebar, kind))
    for frame in [*at.dataframe, *at.table]:
        value = frame.value
        parts.extend(str(v) for v in value.reset_index().to_numpy().ravel().tolist())
    for el in at.get("vega_lite_chart"):
        spec = json.loads(el.proto.spec)
        parts.append(json.dumps(spec.get("title", "")))
    for exp in at.expander:
        parts.extend(str(el.value) for el in exp.markdown)
    return parts


def printed_numbers(at) -> set[int]:
    """Every whole number printed on the page ("2,497", "71", "(3 of 40)")."""
    found: set[int] = set()
    for text in _texts(at):
        text = text.replace("\\", "")
        for match in _NUMBER.findall(text):
            found.add(int(match.replace(",", "")))
    return found


def small_differences(total: int, numbers: set[int]) -> set[int]:
    """total − x for every printed x where that is 1..k−1: what a subtraction from the total gives."""
    return {total - x for x in numbers if 0 < total - x < K}


def _upload(cases: pd.DataFrame, key: str) -> Dataset:
    return Dataset(cases.reset_index(drop=True), "clinic.csv", is_synthetic=False, content_key=key)


def _with_small_site(n_small: int = 3) -> pd.DataFrame:
    cases = load_sample().head(400).copy()
    cases["site"] = cases["site"].astype(object)
    cases.loc[cases.index[[5, 50, 100][:n_small]], "site"] = "Site Z"
    return cases


def _protection_off(monkeypatch) -> None:
    import spinedash.privacy as privacy
    import spinedash.ui.page as page

    monkeypatch.setattr(privacy, "leaves_out_small_group", lambda shown, total, min_cell: False)
    monkeypatch.setattr(page, "leaves_out_small_group", lambda shown, total, min_cell: False)


# ------------------------------------------------------------------------------------------------
# 1. Filter differencing
# ------------------------------------------------------------------------------------------------


def _filter_replay(page: str) -> set[int]:
    """Open `page` with every site but the 3-case 'Site Z' selected; subtract each number from the file's 400."""
    dataset = _upload(_with_small_site(), "crafted-filter-difference")
    at = run_page(page, query_params={"filter_site": ["North", "South"]}, session={"data_source_dataset": dataset})
    assert not at.exception, at.exception
    numbers = printed_numbers(at)
    assert 400 in numbers, "the file's count is printed (sidebar): the attacker has the total"
    return small_differences(400, numbers)


@pytest.mark.parametrize("page", ANALYTICS)
def test_recovery_1_a_filter_leaving_out_a_small_group_does_not_give_it_away(page):
    assert _filter_replay(page) == set(), page


def test_recovery_1_replay_finds_the_group_when_the_protection_is_off(monkeypatch):
    _protection_off(monkeypatch)
    assert 3 in _filter_replay("pages/recovery.py")


def test_recovery_1_the_page_says_why_and_a_wider_gap_is_shown():
    dataset = _upload(_with_small_site(), "crafted-filter-difference")
    at = run_page("pages/recovery.py", query_params={"filter_site": ["North", "South"]}, session={"data_source_dataset": dataset})
    assert any("leave out fewer than 5 of the file" in w.value for w in at.warning)
    assert any("All but fewer than 5 of 400 cases" in m.value for m in at.sidebar.markdown)
    # Leaving out North (≥ k cases) is an ordinary view with both counts.
    at = run_page("pages/recovery.py", query_params={"filter_site": ["South", "Site Z"]}, session={"data_source_dataset": dataset})
    assert not at.warning and at.get("vega_lite_chart")


def _within_condition() -> tuple[Dataset, dict, dict]:
    """The 3 'Site Z' cases are herniated discs: herniated disc in every site but Z is within 3 of
    herniated disc in every site (a wider view anyone can open), though far from the whole file."""
    cases = _with_small_site()
    cases["condition"] = cases["condition"].astype(object)
    cases.loc[cases.index[[5, 50, 100]], "condition"] = "Herniated disc"
    dataset = _upload(cases, "crafted-wider-view")
    narrow = {"filter_condition": ["Herniated disc"], "filter_site": ["North", "South"]}
    return dataset, narrow, {"filter_condition": ["Herniated disc"]}


def _wider_view_replay(page: str) -> set[int]:
    dataset, narrow, wider = _within_condition()
    wide = run_page(page, query_params=wider, session={"data_source_dataset": dataset})
    n_wide = int((dataset.cases["condition"] == "Herniated disc").sum())
    assert not wide.exception and n_wide in printed_numbers(wide) and 400 - n_wide >= K
    at = run_page(page, query_params=narrow, session={"data_source_dataset": dataset})
    assert not at.exception, at.exception
    return small_differences(n_wide, printed_numbers(at))


@pytest.mark.parametrize("page", ["pages/recovery.py", "pages/overview.py", "pages/export.py"])
def test_recovery_1_a_view_within_fewer_than_k_of_a_wider_view_is_not_shown(page):
    assert _wider_view_replay(page) == set(), page


def test_recovery_1_wider_view_replay_finds_the_group_when_the_protection_is_off(monkeypatch):
    import spinedash.privacy as privacy
    import spinedash.ui.filters as ui_filters
    import spinedash.ui.page as page

    for module in (privacy, ui_filters, page):
        monkeypatch.setattr(module, "small_step_from", lambda shown, wider, min_cell: None)
    assert 3 in _wider_view_replay("pages/recovery.py")


def test_recovery_1_the_wider_view_message_names_the_filter():
    dataset, narrow, _ = _within_condition()
    at = run_page("pages/recovery.py", query_params=narrow, session={"data_source_dataset": dataset})
    assert any("Without the Site filter" in w.value for w in at.warning)
    assert any("Count not shown" in m.value for m in at.sidebar.markdown)


# ------------------------------------------------------------------------------------------------
# 2 and 3. Per-group tables: blank grouping values, and groups hidden to protect a smaller one
# ------------------------------------------------------------------------------------------------

_N_IN_CELL = re.compile(r"n = ([\d,]+)|([\d,]+) of ([\d,]+)")


def _int(text) -> int | None:
    text = str(text).replace("\\", "").strip()
    return int(text.replace(",", "")) if re.fullmatch(r"[\d,]+", text) else None


def table_margins(at) -> list[list[int]]:
    """The group sizes every per-group table prints, one list per margin (a table's rows, or one
    time point's column), with what a reader can work out for a row whose size is hidden: returned
    plus not yet returned, the number at risk on day 0, "n = …" or "… of n" in a cell."""
    margins = []
    for element in at.table:
        table = element.value
        columns = [str(c).replace("\\", "") for c in table.columns]
        table.columns = columns
        if {"Cases", "Patients"} & set(columns) or "Day 0" in columns:
            sizes = []
            for _, row in table.iterrows():
                size = _int(row.get("Cases", row.get("Patients", "")))
                if size is None and {"Returned", "Not yet returned (censored)"} <= set(columns):
                    parts = [_int(row["Returned"]), _int(row["Not yet returned (censored)"])]
                    size = None if None in parts else sum(parts)
                if size is None and "Day 0" in columns:
                    size = _int(row["Day 0"])
                if size is not None:
                    sizes.append(size)
            margins.append(sizes)
            continue
        for column in columns:  # time point tables: "6.1 (5.5–6.7), n = 53", "20.5% (…), 9 of 44"
            sizes = []
            for cell in table[column]:
                match = _N_IN_CELL.search(str(cell).replace("\\", ""))
                if match:
                    sizes.append(int((match.group(1) or match.group(3)).replace(",", "")))
            if sizes:
                margins.append(sizes)
    return margins


def table_recoveries(at) -> set[int]:
    """Every printed number minus the sum of a table margin's shown sizes, where that is 1..k−1."""
    numbers = printed_numbers(at)
    found = set()
    for sizes in table_margins(at):
        found |= small_differences_of(numbers, sum(sizes))
    return found


def small_differences_of(totals: set[int], shown: int) -> set[int]:
    return {t - shown for t in totals if 0 < t - shown < K}


def _with_blank_approaches() -> pd.DataFrame:
    cases = load_sample().head(400).copy()
    cases["approach"] = cases["approach"].astype(object)
    cases.loc[cases.index[[5, 50, 100]], "approach"] = None
    return cases


def _table_replay(page: str) -> tuple[set[int], object]:
    dataset = _upload(_with_blank_approaches(), "crafted-blank-approach")
    at = run_page(page, session={"data_source_dataset": dataset})
    assert not at.exception, at.exception
    assert at.table, "the page shows its per-group tables"
    return table_recoveries(at), at


@pytest.mark.parametrize("page", ["pages/recovery.py", "pages/pain.py"])
def test_recovery_2_and_3_per_group_tables_minus_the_total_do_not_give_a_small_group(page):
    found, at = _table_replay(page)
    assert found == set(), (page, found)
    text = " ".join(str(v) for t in at.table for v in t.value.index)
    assert "Approach not recorded" in text, "the blank approaches are a row of their own"


def test_recovery_2_replay_finds_the_blank_group_when_blank_rows_are_left_out(monkeypatch):
    from spinedash import analysis

    monkeypatch.setattr(analysis, "_group_codes", analysis._recorded_group_codes)
    found, _ = _table_replay("pages/recovery.py")
    assert 3 in found


def test_recovery_3_replay_finds_the_group_when_a_protecting_group_prints_its_counts(monkeypatch):
    import numpy as np

    from spinedash import tables

    monkeypatch.setattr(tables, "partner_mask", lambda counts, min_cell, within=None: np.zeros(len(counts), dtype=bool))
    for page in ("pages/recovery.py", "pages/pain.py"):
        found, _ = _table_replay(page)
        assert 3 in found, page


# ------------------------------------------------------------------------------------------------
# 4. Across pages: the Overview's cells per quarter against Recovery's cases per approach
# ------------------------------------------------------------------------------------------------


def _cross_page_cases() -> pd.DataFrame:
    """3 cases without an approach; Open (35 cases, all in one quarter) the smallest other approach.

    Recovery's stay table hides the 3 and, to protect them, Open's 35. The Overview's volume chart
    would show Open's one cell (its quarter's hidden cells are the 3 and a small "Other" cell), so
    the cases in view minus Recovery's shown groups minus Open's cell would give the 3.
    """
    plan = {"2024-01-15": {None: 3, "Other": 6, "Open": 35, "Microscopic": 40, "Full-endoscopic": 40, "Tubular MIS": 40},
            "2024-04-15": {"Other": 40, "Microscopic": 40, "Full-endoscopic": 40, "Tubular MIS": 40},
            "2024-07-15": {"Other": 40, "Microscopic": 40, "Full-endoscopic": 40, "Tubular MIS": 40}}  # fmt: skip
    dates = [day for day, part in plan.items() for a, k in part.items() for _ in range(k)]
    approaches = [a for part in plan.values() for a, k in part.items() for _ in range(k)]
    cases = load_sample().head(len(dates)).copy()
    assert cases["length_of_stay_hours"].notna().all()  # Recovery's stay table then counts every case
    cases["surgery_date"] = pd.to_datetime(dates)
    cases["approach"] = pd.Series(approaches, index=cases.index, dtype=object)
    return cases


def _chart_rows(at, title: str) -> pd.DataFrame:
    import pyarrow as pa

    for el in at.get("vega_lite_chart"):
        if json.loads(el.proto.spec).get("title", {}).get("text") == title:
            return pa.ipc.open_stream(el.proto.datasets[0].data.data).read_all().to_pandas()
    raise AssertionError(f"no chart {title!r}")


def _cross_page_replay() -> set[int]:
    dataset = _upload(_cross_page_cases(), "crafted-cross-page")
    overview = run_page("pages/overview.py", session={"data_source_dataset": dataset})
    recovery = run_page("pages/recovery.py", session={"data_source_dataset": dataset})
    assert not overview.exception and not recovery.exception
    total = len(dataset.cases)
    assert total in printed_numbers(overview) and total in printed_numbers(recovery)
    known: dict[str, int] = {}
    # Overview: an approach whose cell is drawn in every quarter has a known total.
    volume = _chart_rows(overview, "Operations per quarter by approach")
    quarters = set(volume["quarter"])
    for approach, part in volume.groupby("approach"):
        if set(part["quarter"]) == quarters and part["cases"].notna().all():
            known[approach] = int(part["cases"].sum())
    # Recovery: the stay table's cases per approach.
    stay = next(t.value for t in recovery.table if "Cases" in [str(c) for c in t.value.columns])
    for approach, size in stay["Cases"].items():
        if _int(size) is not None:
            known[str(approach).replace("\\", "")] = _int(size)
    groups = {str(a).replace("\\", "") for a in stay.index} - {"Suppressed (small groups)"}
    assert "Approach not recorded" in groups and "Approach not recorded" not in known
    left = total - sum(known[g] for g in groups if g in known)
    return {left} if 0 < left < K else set()


def test_recovery_4_overview_cells_and_recovery_totals_together_do_not_give_a_small_group():
    assert _cross_page_replay() == set()


def test_recovery_4_replay_finds_the_group_when_the_overview_ignores_the_totals_other_pages_list(monkeypatch):
    from spinedash import privacy

    protect_table = privacy.protect_table
    monkeypatch.setattr(privacy, "protect_table", lambda *args, listed=(), **kwargs: protect_table(*args, **kwargs))
    assert _cross_page_replay() == {3}


def _chart_datasets(at) -> list[pd.DataFrame]:
    import pyarrow as pa

    return [pa.ipc.open_stream(d.data.data).read_all().to_pandas() for el in at.get("vega_lite_chart") for d in el.proto.datasets]


def test_recovery_3_a_protecting_group_s_chart_data_carry_no_count_nor_full_precision_rates():
    """A share at full precision names its denominator (54/57 = 0.947368…), and a Kaplan–Meier
    curve's first step 1 − d/n its size: in the charts a protecting group's values are whole percent."""
    _, at = _table_replay("pages/recovery.py")
    stay = next(t.value for t in at.table if "Cases" in [str(c) for c in t.value.columns])
    partners = {str(g).replace("\\", "") for g, size in stay["Cases"].items() if "protects a smaller group" in str(size)}
    assert partners == {"Open"}
    checked = 0
    for data in _chart_datasets(at):
        if "group" not in data.columns:
            continue
        rows = data[data["group"].astype(str).isin(partners)]
        for column in ("n", "count", "events"):
            if column in rows.columns:
                assert rows[column].isna().all(), column
        for column in ("share_returned", "share", "ci_low", "ci_high"):
            if column in rows.columns and len(rows):
                values = rows[column].dropna().to_numpy(dtype=float)
                assert (abs(values * 100 - (values * 100).round()) < 1e-9).all(), (column, values[:5])
                checked += 1
    assert checked >= 3, "the discharge shares and both Kaplan–Meier curves were read"
