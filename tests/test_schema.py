"""The data dictionary: names, kinds, dtypes, and the README copy kept in sync."""

from pathlib import Path

import pandas as pd
import pytest

from spinedash import schema


def test_canonical_columns_are_the_issue_list():
    names = set(schema.CANONICAL_COLUMNS)
    for measure in ("vas_leg", "vas_back"):
        for tp in ("pre", "2w", "6w", "3m", "6m", "12m"):
            assert f"{measure}_{tp}" in names
    for tp in ("pre", "6w", "3m", "12m"):
        assert f"odi_{tp}" in names
    assert "odi_2w" not in names
    assert len(names) == len(schema.CANONICAL_COLUMNS), "column names must be unique"
    assert set(schema.REQUIRED_COLUMNS) == {"case_id", "condition", "approach"}


def test_pain_column_names_and_unknown_timepoint():
    assert schema.pain_column("vas_leg", "12m") == "vas_leg_12m"
    with pytest.raises(KeyError):
        schema.pain_column("odi", "2w")


def test_to_canonical_dtypes_casts_and_orders():
    raw = pd.DataFrame(
        {
            "vas_leg_pre": [7, 5],
            "case_id": [1, 2],
            "approach": ["Open", "Microscopic"],
            "surgery_date": ["2024-01-02", "2024-02-03"],
            "reoperation_12m": [True, None],
            "not_canonical": ["x", "y"],
        }
    )
    out = schema.to_canonical_dtypes(raw)
    assert list(out.columns) == ["case_id", "surgery_date", "approach", "vas_leg_pre", "reoperation_12m"]
    assert out["case_id"].tolist() == ["1", "2"]
    assert isinstance(out["approach"].dtype, pd.CategoricalDtype)
    assert out["surgery_date"].dtype == "datetime64[ns]"
    assert out["vas_leg_pre"].dtype == "float64"
    assert str(out["reoperation_12m"].dtype) == "boolean"
    assert out["reoperation_12m"].isna().tolist() == [False, True]


def test_readme_carries_the_current_data_dictionary():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert schema.data_dictionary_markdown() in readme, "regenerate with: python -m spinedash.schema"


def test_without_blank_columns_keeps_required_and_recorded_columns():
    from spinedash.dataset import without_blank_columns

    cases = pd.DataFrame(
        {"case_id": ["1", "2"], "condition": [None, None], "approach": ["Open", "Open"],
         "age": [float("nan")] * 2, "vas_leg_pre": [7.0, float("nan")]}
    )
    out = without_blank_columns(cases)
    assert list(out.columns) == ["case_id", "condition", "approach", "vas_leg_pre"]


def test_dataset_description_with_and_without_the_number_of_cases():
    import pandas as pd

    from spinedash.dataset import Dataset

    upload = Dataset(pd.DataFrame({"case_id": ["a", "b"]}), "clinic.csv", is_synthetic=False, content_key="k")
    sample = Dataset(pd.DataFrame({"case_id": ["a", "b", "c"]}), "Sample cohort", is_synthetic=True, content_key="sample")
    assert upload.describe() == "clinic.csv — 2 cases" and upload.describe(count=False) == "clinic.csv"
    assert sample.describe() == "Sample cohort — synthetic demonstration data, 3 cases"
    assert sample.describe(count=False) == "Sample cohort — synthetic demonstration data"


def test_readme_carries_the_current_measure_table():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert schema.measure_table_markdown() in readme, "regenerate with: python -m spinedash.schema"


def test_short_source_is_author_and_year_and_the_full_citation_stays_on_the_page():
    assert schema.short_source("Parai et al., Eur Spine J 2020;29:663–9, ISSLS Prize (Swespine, n=98,732)") == "Parai 2020"
    assert schema.short_source("Mannion et al., Eur Spine J 2020 split an item; Mannion et al., Eur Spine J 2009 split") == "Mannion 2020, 2009"
    assert schema.short_source("no published default: set your own") == "no published default"
    assert schema.short_source("1 or 2 counts as success: the indicator (Rapporteket/rygg R/x.R lines 1-9)") == "Rapporteket"
    assert schema.short_source("a long free-text source with no author and no colon at all") == "a long free-text source…"
    short = schema.measure_table_short()
    full = schema.measure_table()
    assert list(short.columns) == list(schema.MEASURE_TABLE_SHORT)
    assert short["source"].str.len().max() <= schema.SHORT_SOURCE_CHARS + 1  # one line in a narrow column
    listed = schema.measure_sources_markdown()
    for r in full.itertuples(index=False):  # nothing lost: every full citation, instrument and disagreement is listed
        assert r.source in listed and r.instrument in listed and r[10] in listed
