"""Property: any import profile applied to any bytes ends in cases or an OutcomeDataError with a message
(issue 12). Profiles are generated section by section, from plausible to nonsense, and applied to random
bytes, random CSV grids and nearly valid exports; the built-in profiles are applied to them too."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from spinedash import schema
from spinedash.ingest.profile import builtin_profiles
from spinedash.ingest.shape import LAYOUT_KINDS
from tests.fuzz import corpus
from tests.fuzz.outcomes import read_hostile
from tests.fuzz.test_hypothesis import SETTINGS, csv_files, nearly_valid_csv

N_PROFILES = 200

NAMES = st.one_of(st.sampled_from(corpus.HEADER.split(",")), st.sampled_from(["Patient ID", "x", "", "@", "a@12m"]),
                  st.text(max_size=10))
TARGETS = st.one_of(st.sampled_from(list(schema.CANONICAL_COLUMNS)), st.sampled_from(list(schema.MEASURES)),
                    st.none(), st.text(max_size=10), st.integers(), st.lists(st.integers(), max_size=2))
JSONISH = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8)),
                       lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
                       max_leaves=6)
LAYOUT = st.fixed_dictionaries(
    {"kind": st.one_of(st.sampled_from(LAYOUT_KINDS), st.text(max_size=6))},
    optional={"table": NAMES, "case_id": NAMES, "timepoint_column": NAMES, "instrument_column": NAMES,
              "value_column": NAMES, "patient_id": NAMES, "operation_date": NAMES, "followup_date": NAMES,
              "operations": NAMES, "followup": NAMES,
              "timepoints": st.dictionaries(st.text(max_size=6), st.one_of(st.sampled_from(["pre", "3m", "12m", "d90"]), JSONISH), max_size=3),
              "sheets": st.dictionaries(st.text(max_size=6), st.text(max_size=4), max_size=3)},
)
PROFILES = st.fixed_dictionaries(
    {"spinedash_profile": st.just(1)},
    optional={
        "name": st.text(max_size=10),
        "read": st.fixed_dictionaries({}, optional={"delimiter": st.sampled_from([",", ";", "\t", "|", "", "ab", "\n"]),
                                                    "encoding": st.sampled_from(["latin-1", "utf-8", "utf-16", "nonsense", ""]),
                                                    "decimal": st.sampled_from([",", ".", "x"])}),
        "layout": LAYOUT,
        "columns": st.dictionaries(NAMES, TARGETS, max_size=6),
        "codes": st.dictionaries(st.sampled_from(["sex", "approach", "condition", "complication", "satisfied_12m", "x"]),
                                 st.dictionaries(st.text(max_size=5), st.one_of(st.text(max_size=12), st.none(), st.integers()), max_size=4),
                                 max_size=3),
        "units": st.dictionaries(st.sampled_from(["length_of_stay_hours", "operation_minutes", "vas_leg", "odi", "x"]),
                                 st.one_of(st.sampled_from(["days", "hours", "minutes", "weeks", "0-100", "0-10", "parsecs"]), JSONISH),
                                 max_size=3),
        "cutoffs": st.dictionaries(st.sampled_from(["satisfaction", "satisfied_12m", "x"]), JSONISH, max_size=2),
        "assumptions": st.lists(st.text(max_size=10), max_size=2),
    },
)
DATA = st.one_of(st.binary(max_size=512), csv_files(), nearly_valid_csv())


@settings(max_examples=N_PROFILES, **SETTINGS)
@given(PROFILES, DATA)
def test_any_profile_on_any_bytes_ends_in_cases_or_a_refusal(profile, data):
    read_hostile(data, "export.csv", profile)


@settings(max_examples=40, **SETTINGS)
@given(st.one_of(PROFILES.map(lambda p: json.dumps(p).encode()), st.binary(max_size=200), JSONISH.map(lambda v: json.dumps(v).encode())))
def test_any_profile_file_ends_in_cases_or_a_refusal(profile_bytes):
    read_hostile(corpus.HEADER.encode() + b"\n" + corpus.ROW.format(i=1).encode() + b"\n", "export.csv", profile_bytes)


@settings(max_examples=60, **SETTINGS)
@given(st.sampled_from([p for _, p in builtin_profiles()] or [{"spinedash_profile": 1}]), DATA)
def test_built_in_profiles_on_any_bytes(profile, data):
    read_hostile(data, "export.csv", profile)
