"""The outcome-measure catalogue: which scores SpineDash knows and when they are recorded.

Two plain CSV files in data/, read by one function, `load_catalogue()`:

- data/measures.csv: one row per measure (VAS/NRS leg, back, neck and arm pain, ODI, NDI, mJOA,
  COMI, EQ-5D, satisfaction…): label, instrument, the spine regions it is used in, scale range,
  whether lower or higher is better, the time points it is recorded at, a default MCID with its
  published source and the range where studies disagree (or "no published default: set your
  own"), a cut-off for ratings, the header spellings exports use (`aliases`, "|"-separated), and
  `headline`: the measure's rank among its region's measures for the one score a page leads with
  (Overview cards, Compare's MCID row, the funnel's first measure, the PDF) — 1 first; blank never;
  and `summary`: "share" for an ordinal rating whose codes are not distances, shown only as the share
  reaching its cut-off, never as a mean of codes (blank or "mean": a mean with its CI may be drawn).
- data/timepoints.csv: before surgery, 2 and 6 weeks, 3, 6, 12 and 24 months with their nominal
  day after surgery and header spellings. Any other day is written `d<days>` ("d90", "d1095").

Outcome columns are `<measure>_<time point>`: "ndi_12m", "eq5d_pre", "vas_arm_d21". The schema,
the reader, the pages and the tests all take their measures from here; nothing else spells them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
MEASURES_PATH = DATA_DIR / "measures.csv"
TIMEPOINTS_PATH = DATA_DIR / "timepoints.csv"

REGIONS: tuple[str, ...] = ("cervical", "thoracic", "lumbar")
NO_DEFAULT = "no published default: set your own"
MEASURE_FIELDS: tuple[str, ...] = (
    "id", "label", "short_label", "instrument", "family", "region", "kind", "scale_min", "scale_max", "decimals",
    "better", "timepoints", "dictionary_timepoints", "mcid", "mcid_source", "mcid_range", "cutoff", "cutoff_source",
    "example", "aliases", "headline", "summary",
)
# How the pages summarise a measure at a time point: "mean" (blank means the same), a mean with its 95% CI,
# meaningful for a score and for a rating whose codes the catalogue accepts as steps of equal size; or
# "share", only the share of patients at or beyond the cut-off, for an ordinal answer whose codes are
# not distances (NORspine's 1 "helt bra" … 7 "verre enn noen gang"): no mean of its codes is ever drawn.
SUMMARIES: tuple[str, ...] = ("mean", "share")
TIMEPOINT_FIELDS: tuple[str, ...] = ("id", "label", "days", "aliases")
# A custom time point: "d" and a whole number of days after surgery (d1 … d3650).
CUSTOM_TIMEPOINT = re.compile(r"d([1-9][0-9]{0,3})")


class CatalogueError(ValueError):
    """data/measures.csv or data/timepoints.csv is malformed: which file, which row, what was expected."""


@dataclass(frozen=True)
class Timepoint:
    id: str  # "pre", "12m", or a custom "d90"
    label: str  # "Before surgery", "12 months", "Day 90"
    days: int  # nominal day after surgery; 0 for "pre"
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Measure:
    """One outcome measure of the catalogue."""

    id: str  # column prefix: "vas_leg", "ndi", "eq5d"
    label: str  # "NDI disability"
    short_label: str  # "NDI"
    instrument: str
    family: str  # "pain", "disability", "myelopathy", "core outcome", "quality of life", "global outcome"
    regions: tuple[str, ...]  # where it is used: ("cervical",), ("lumbar", "thoracic")…
    kind: str  # "score": change from before surgery and an MCID; "rating": a state at follow-up with a cut-off
    scale_min: float
    scale_max: float
    decimals: int
    better: str  # "lower" or "higher"
    timepoints: tuple[str, ...]  # the standard time points it is recorded at
    dictionary_timepoints: tuple[str, ...]  # those that are fixed columns of the template (lumbar first year)
    mcid: float | None  # default threshold for a responder; None = no published default
    mcid_source: str  # authors, journal, year — or NO_DEFAULT
    mcid_range: str  # where studies disagree, with their sources
    cutoff: float | None  # ratings: a value at or beyond this counts as a good result
    cutoff_source: str
    example: str
    aliases: tuple[str, ...]  # header words exports use for the measure ("neck disability index")
    headline: int | None = None  # rank as the view's lead score within its regions (1 first); None = never
    summary: str = "mean"  # "mean": a mean with its CI may be drawn; "share": only the share at the cut-off

    @property
    def has_mean(self) -> bool:
        """Whether a mean of the values is a summary the catalogue accepts (False for an ordinal answer)."""
        return self.summary == "mean"

    @property
    def higher_is_better(self) -> bool:
        return self.better == "higher"

    @property
    def sign(self) -> int:
        """+1 when a rise is an improvement (EQ-5D, mJOA, satisfaction), −1 when a fall is (pain, ODI)."""
        return 1 if self.higher_is_better else -1

    @property
    def scale(self) -> str:
        """The range as the app writes it: "0–10", "−0.6–1"."""
        return f"{_num(self.scale_min)}–{_num(self.scale_max)}"

    @property
    def label_with_scale(self) -> str:
        """"VAS leg pain (0–10)" — the form charts and tables use."""
        return f"{self.label} ({self.scale})"

    @property
    def has_default_mcid(self) -> bool:
        return self.mcid is not None

    def column(self, timepoint: str) -> str:
        return f"{self.id}_{timepoint}"


@dataclass(frozen=True)
class Catalogue:
    measures: dict[str, Measure]
    timepoints: dict[str, Timepoint]  # the standard ones, in time order

    def timepoint(self, tp: str) -> Timepoint:
        """A standard or custom ("d90") time point; KeyError for anything else."""
        if tp in self.timepoints:
            return self.timepoints[tp]
        m = CUSTOM_TIMEPOINT.fullmatch(tp)
        if m:
            return Timepoint(tp, f"Day {int(m.group(1))}", int(m.group(1)))
        raise KeyError(f"unknown time point {tp!r}: one of {', '.join(self.timepoints)} or d<days> such as d90")

    def parse_column(self, name: str) -> tuple[str, str] | None:
        """("ndi", "12m") for "ndi_12m", ("vas_arm", "d21") for "vas_arm_d21"; None if not an outcome column.

        A standard time point must be one the measure is recorded at (ODI has no 2-week column); a
        custom day count is accepted for any measure.
        """
        measure, sep, tp = str(name).rpartition("_")
        if not sep or measure not in self.measures:
            return None
        if tp in self.measures[measure].timepoints or CUSTOM_TIMEPOINT.fullmatch(tp):
            return measure, tp
        return None

    def measures_for_region(self, region: str) -> list[Measure]:
        return [m for m in self.measures.values() if region in m.regions]

    def headline_order(self, regions: tuple[str, ...] | list[str] = ()) -> list[Measure]:
        """The measures a page may lead with, best first, by the catalogue's `headline` rank.

        Only measures used in one of `regions` (all regions when none is given); a measure with no
        rank is never a headline. Ties keep catalogue order. Which of these the data hold is the
        caller's question (spinedash.outcomes.headline_measures).
        """
        pool = [m for m in self.measures.values() if m.headline is not None and (not regions or set(regions) & set(m.regions))]
        return sorted(pool, key=lambda m: m.headline)


def _num(x: float) -> str:
    return f"{x:g}".replace("-", "−")


def _read(path: Path, fields: tuple[str, ...]) -> pd.DataFrame:
    if not path.exists():
        raise CatalogueError(f"{path.name} is missing from {path.parent}")
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    missing = [c for c in fields if c not in df.columns]
    if missing:
        raise CatalogueError(f"{path.name} lacks column(s) {', '.join(missing)}")
    return df.apply(lambda s: s.str.strip())


def _fail(path: Path, i: int, message: str) -> CatalogueError:
    return CatalogueError(f"{path.name} line {i + 2}: {message}")  # +2: header line, 1-based


def _number(path: Path, i: int, field: str, text: str, blank_ok: bool = False) -> float | None:
    if text == "" and blank_ok:
        return None
    try:
        value = float(text)
    except ValueError:
        raise _fail(path, i, f"{field} must be a number, found {text!r}") from None
    return value


def parse_timepoints(df: pd.DataFrame, path: Path = TIMEPOINTS_PATH) -> dict[str, Timepoint]:
    out: dict[str, Timepoint] = {}
    for i, r in enumerate(df.to_dict("records")):
        if not re.fullmatch(r"[a-z0-9]+", r["id"]) or CUSTOM_TIMEPOINT.fullmatch(r["id"]):
            raise _fail(path, i, f"id {r['id']!r} must be short lower-case letters and digits, not d<days>")
        if r["id"] in out:
            raise _fail(path, i, f"id {r['id']!r} appears twice")
        if not r["days"].isdigit():
            raise _fail(path, i, f"days must be a whole number, found {r['days']!r}")
        aliases = tuple(a.strip() for a in r["aliases"].split("|") if a.strip())
        out[r["id"]] = Timepoint(r["id"], r["label"], int(r["days"]), aliases)
    if "pre" not in out or out["pre"].days != 0:
        raise CatalogueError(f"{path.name} must have the time point 'pre' at day 0 (the true baseline)")
    days = [t.days for t in out.values()]
    if days != sorted(days) or len(set(days)) != len(days):
        raise CatalogueError(f"{path.name}: time points must be listed in time order, each on its own day")
    return out


def parse_measures(df: pd.DataFrame, timepoints: dict[str, Timepoint], path: Path = MEASURES_PATH) -> dict[str, Measure]:
    out: dict[str, Measure] = {}
    for i, r in enumerate(df.to_dict("records")):
        mid = r["id"]
        if not re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", mid):
            raise _fail(path, i, f"id {mid!r} must be lower-case words joined by _")
        if mid in out:
            raise _fail(path, i, f"id {mid!r} appears twice")
        for field in ("label", "short_label", "instrument", "family"):
            if not r[field]:
                raise _fail(path, i, f"{field} must not be empty")
        regions = tuple(r["region"].split())
        if not regions or not set(regions) <= set(REGIONS):
            raise _fail(path, i, f"region must be one or more of {', '.join(REGIONS)}, found {r['region']!r}")
        if r["kind"] not in ("score", "rating"):
            raise _fail(path, i, f"kind must be 'score' or 'rating', found {r['kind']!r}")
        if r["better"] not in ("lower", "higher"):
            raise _fail(path, i, f"better must be 'lower' or 'higher', found {r['better']!r}")
        lo, hi = _number(path, i, "scale_min", r["scale_min"]), _number(path, i, "scale_max", r["scale_max"])
        if not lo < hi:
            raise _fail(path, i, "scale_min must be below scale_max")
        tps = tuple(r["timepoints"].split())
        dict_tps = tuple(r["dictionary_timepoints"].split())
        unknown = [t for t in tps if t not in timepoints]
        if not tps or unknown:
            raise _fail(path, i, f"timepoints must name time points of {TIMEPOINTS_PATH.name}, found {r['timepoints']!r}")
        if not set(dict_tps) <= set(tps):
            raise _fail(path, i, "dictionary_timepoints must be among the measure's timepoints")
        mcid = _number(path, i, "mcid", r["mcid"], blank_ok=True)
        if mcid is not None and not 0 < mcid <= hi - lo:
            raise _fail(path, i, f"mcid {mcid:g} must be positive and within the scale")
        if not r["mcid_source"]:
            raise _fail(path, i, f"mcid_source must cite the published default or say {NO_DEFAULT!r}")
        cutoff = _number(path, i, "cutoff", r["cutoff"], blank_ok=True)
        if r["kind"] == "score" and (mcid is None) != (r["mcid_source"] == NO_DEFAULT):
            raise _fail(path, i, f"a score has a default mcid with its source, or no mcid and {NO_DEFAULT!r}")
        if r["kind"] == "rating":
            if cutoff is None or not lo <= cutoff <= hi or not r["cutoff_source"]:
                raise _fail(path, i, "a rating needs a cutoff within the scale and its cutoff_source")
            if "pre" in tps:
                raise _fail(path, i, "a rating is given after surgery: no 'pre' time point")
        elif "pre" not in tps:
            raise _fail(path, i, "a score needs its 'pre' time point to measure change")
        if not r["decimals"].isdigit():
            raise _fail(path, i, "decimals must be a whole number")
        aliases = tuple(a.strip() for a in r["aliases"].split("|") if a.strip())
        if r["headline"] and not (r["headline"].isdigit() and int(r["headline"]) >= 1):
            raise _fail(path, i, f"headline must be a whole number from 1 (first), or blank, found {r['headline']!r}")
        summary = r["summary"] or "mean"
        if summary not in SUMMARIES:
            raise _fail(path, i, f"summary must be 'mean', 'share' or blank (mean), found {r['summary']!r}")
        if summary == "share" and r["kind"] != "rating":
            raise _fail(path, i, "summary 'share' is for a rating with a cut-off; a score's change is a mean")
        if summary == "share" and r["headline"]:
            raise _fail(path, i, "a measure shown only as a share cannot be a headline (pages lead with a mean over follow-up)")
        out[mid] = Measure(
            id=mid, label=r["label"], short_label=r["short_label"], instrument=r["instrument"], family=r["family"],
            regions=regions, kind=r["kind"], scale_min=lo, scale_max=hi, decimals=int(r["decimals"]),
            better=r["better"], timepoints=tuple(t for t in timepoints if t in tps),
            dictionary_timepoints=tuple(t for t in timepoints if t in dict_tps), mcid=mcid,
            mcid_source=r["mcid_source"], mcid_range=r["mcid_range"], cutoff=cutoff,
            cutoff_source=r["cutoff_source"], example=r["example"], aliases=aliases,
            headline=int(r["headline"]) if r["headline"] else None, summary=summary,
        )
    # A column name must read one way only: "vas_leg" + "_12m" must not also be "vas" + "_leg_12m".
    for a in out:
        for b in out:
            if a != b and b.startswith(a + "_"):
                rest = b[len(a) + 1 :]
                if rest in timepoints or CUSTOM_TIMEPOINT.fullmatch(rest):
                    raise CatalogueError(f"{path.name}: measure ids {a!r} and {b!r} make column names ambiguous")
    return out


@lru_cache(maxsize=1)
def load_catalogue() -> Catalogue:
    """The measure and time-point catalogue from data/ (read once, then shared; it never changes while running).

    Raises CatalogueError naming the file and line for anything malformed.
    """
    timepoints = parse_timepoints(_read(TIMEPOINTS_PATH, TIMEPOINT_FIELDS))
    measures = parse_measures(_read(MEASURES_PATH, MEASURE_FIELDS), timepoints)
    return Catalogue(measures=measures, timepoints=timepoints)
