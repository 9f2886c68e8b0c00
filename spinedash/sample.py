"""The synthetic sample cohort: invented cases in the canonical schema, shaped like published series.

Every case is synthetic. The numbers that shape it come from /work/shared/evidence.md, cited by the
short source name beside each parameter; anything evidence.md does not give is marked "ASSUMPTION:"
with the reason. Only two conditions appear — "Herniated disc" and "Spinal stenosis" — because
evidence.md has figures for those two only.

The generator is vectorised numpy (one draw per column per step, never a loop over cases), so the
same function makes the 2,500-case sample the app ships with and the 1,000,000-case cohorts the
performance work uses (bench/make_cohorts.py).

Regenerate the committed file with `python -m spinedash.sample`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from spinedash import schema

SAMPLE_SEED = 20250630
SAMPLE_N = 2500
SAMPLE_PATH = Path(__file__).resolve().parent.parent / "data" / "sample_cohort.csv"

# ---------------------------------------------------------------------------------------------
# Calendar
# ---------------------------------------------------------------------------------------------
FIRST_SURGERY = np.datetime64("2021-01-01", "D")
LAST_SURGERY = np.datetime64("2025-12-31", "D")
# ASSUMPTION: the export was taken on this day; later visits have not happened yet, so recent cases
# have shorter follow-up (the shortest possible is 181 days, for surgery on 2025-12-31).
DATA_CUTOFF = np.datetime64("2026-06-30", "D")
# ASSUMPTION: yearly volume grows by about a quarter over the five years (density 1 + 0.25 t on t in
# [0, 1]); no source in evidence.md gives a service's growth.
VOLUME_GROWTH = 0.25

# ---------------------------------------------------------------------------------------------
# Case mix. Index order everywhere: condition (disc, stenosis) x approach (APPROACHES order:
# Full-endoscopic, Tubular MIS, Microscopic, Open).
# ---------------------------------------------------------------------------------------------
# Only the two conditions with figures in evidence.md.
CONDITIONS: tuple[str, ...] = ("Herniated disc", "Spinal stenosis")
DISC, STENOSIS = 0, 1
# Parameter tables below list approaches in this order; tests/test_sample.py checks it is APPROACHES'.
APPROACH_ORDER: tuple[str, ...] = ("Full-endoscopic", "Tubular MIS", "Microscopic", "Open")
ENDO, TUBULAR, MICRO, OPEN = (APPROACH_ORDER.index(a) for a in APPROACH_ORDER)
# ASSUMPTION: about two thirds disc herniation, one third stenosis, typical of a lumbar practice.
CONDITION_P = np.array([0.65, 0.35])

SURGEONS: tuple[str, ...] = tuple(f"Surgeon {c}" for c in "ABCDEF")
SITES: tuple[str, ...] = ("North", "South")
SURGEON_SITE = np.array([0, 0, 0, 1, 1, 1])  # A–C operate at North, D–F at South
# ASSUMPTION: unequal case loads, none dominant.
SURGEON_VOLUME = np.array([0.22, 0.18, 0.15, 0.17, 0.14, 0.14])
# ASSUMPTION: each surgeon's preference multiplies the condition's base approach mix (columns in
# approach order). A is the endoscopic specialist, B mostly microscopic, C tubular, D mixed,
# E still does much open surgery, F leans endoscopic.
SURGEON_APPROACH_WEIGHT = np.array(
    [
        [4.0, 0.4, 0.5, 0.3],
        [0.6, 0.8, 1.6, 1.0],
        [0.7, 2.5, 0.9, 0.7],
        [1.2, 1.0, 1.0, 1.0],
        [0.3, 0.5, 1.2, 2.5],
        [1.8, 1.0, 1.0, 0.6],
    ]
)
# ASSUMPTION: small surgeon effects, enough to show in a funnel plot but not to dominate approach.
SURGEON_IMPROVEMENT_SHIFT = np.array([0.02, 0.0, -0.02, 0.01, -0.03, 0.01])  # share of baseline score
SURGEON_COMPLICATION_OR = np.array([0.9, 1.0, 1.1, 0.9, 1.25, 1.0])
SURGEON_MINUTES_FACTOR = np.array([0.9, 1.0, 1.05, 1.0, 1.1, 0.95])

# ASSUMPTION: base approach mix by condition; open is a small share for disc, laminectomy commoner
# for stenosis.
APPROACH_BASE = np.array([[0.28, 0.18, 0.44, 0.10], [0.15, 0.20, 0.40, 0.25]])
# ASSUMPTION: the endoscopic share rises over the five years (weight x exp(0.9 (t - 0.5)), t in [0, 1]).
ENDOSCOPIC_TREND = 0.9

PROCEDURES: tuple[str, ...] = ("Discectomy", "Decompression", "Laminectomy", "Foraminotomy", "Fusion")
# Stenosis procedure by approach over (Decompression, Laminectomy, Foraminotomy, Fusion).
# ASSUMPTION: open stenosis surgery is laminectomy, the others decompression, with some foraminotomy
# (commonest endoscopically) and a small share of fusion, mostly open or microscopic (about 8% overall).
# Disc herniation is always a discectomy.
STENOSIS_PROCEDURE_P = np.array(
    [
        [0.85, 0.00, 0.15, 0.00],
        [0.88, 0.00, 0.08, 0.04],
        [0.86, 0.00, 0.05, 0.09],
        [0.00, 0.80, 0.00, 0.20],
    ]
)
STENOSIS_PROCEDURE_CODES = np.array([1, 2, 3, 4])  # indices into PROCEDURES

LEVELS: tuple[str, ...] = ("L2-L3", "L3-L4", "L4-L5", "L5-S1")
LEVEL_P = np.array(
    [
        # Gadjradj BMJ 2022: L5-S1 52%/48%, L4-L5 38%/44% -> about 50% and 41%; the rest (ASSUMPTION)
        # split 7% L3-L4, 2% L2-L3.
        [0.02, 0.07, 0.41, 0.50],
        # ASSUMPTION: stenosis mostly L4-L5 then L3-L4 (no level figures in evidence.md).
        [0.05, 0.27, 0.58, 0.10],
    ]
)

# Age at surgery: mean, SD, clip range.
# Gadjradj BMJ 2022: disc age about 45. SD 11 is an ASSUMPTION.
# ASSUMPTION: stenosis mean 68 (SD 9); PMC2996343 studied patients >= 70, so a general stenosis
# population is a little younger than that series.
AGE = np.array([[45.0, 11.0, 18.0, 85.0], [68.0, 9.0, 35.0, 92.0]])
# Gadjradj BMJ 2022: male 55% vs 58% -> 56.5%. ASSUMPTION: stenosis 50% male. ASSUMPTION: sex is
# recorded as female/male only, as the registries report it; "other" does not occur in the sample.
MALE_P = np.array([0.565, 0.50])
# ASSUMPTION: employed before surgery, by condition, under 65 / 65 and over.
EMPLOYED_P = np.array([[0.82, 0.12], [0.65, 0.06]])

# Technique by condition x approach (rows disc, stenosis; columns in approach order). ASSUMPTION:
# one typical technique per cell, not drawn at random: PTED is transforaminal (Gadjradj BMJ 2022),
# the microendoscopic laminotomy of PMC3234002 sits under Tubular MIS, microdiscectomy under
# Microscopic (as in data/benchmarks.csv); the rest is a plausible choice. Every case is a first
# operation (ASSUMPTION: the sample holds no revisions) in the lumbar spine.
TECHNIQUES: tuple[str, ...] = (
    "Uniportal full-endoscopic (transforaminal)", "Uniportal full-endoscopic (interlaminar)", "Tubular microscopic",
    "Microendoscopic (MED)", "Open microdiscectomy", "Microscope", "Loupes",
)
TECHNIQUE_BY_CELL = np.array([[0, 2, 4, 6], [1, 3, 5, 6]])

ANESTHESIA: tuple[str, ...] = ("general", "local with sedation")
# Endoscopic discectomy "is performed under local anesthesia and sedation" (doc 001 seeds).
# ASSUMPTION: 85% of endoscopic disc cases, 55% of endoscopic stenosis cases (longer operations),
# a few tubular cases; everything else and every fusion under general anaesthesia.
LOCAL_SEDATION_P = np.array([[0.85, 0.05, 0.0, 0.0], [0.55, 0.03, 0.0, 0.0]])

# ---------------------------------------------------------------------------------------------
# Operation
# ---------------------------------------------------------------------------------------------
# Operation minutes, median by condition x approach (lognormal spread below).
OPERATION_MINUTES = np.array(
    [
        # Endoscopic 48: PELD 41.3/45.8 (Medicine 2019) and 55.8 (Peng 2010).
        # Tubular = microscopic + 11 (meta PMC4037525: minimally invasive +11 min vs standard).
        # ASSUMPTION: microscopic 55, open 65.
        [48.0, 66.0, 55.0, 65.0],
        # ASSUMPTION: endoscopic decompression 72, tubular 82, open laminectomy 100.
        # Microscopic = endoscopic + 12.7 (Neurospine 2022: endoscopic -12.7 min vs microscopic).
        [72.0, 82.0, 84.7, 100.0],
    ]
)
OPERATION_MINUTES_SIGMA = 0.25  # ASSUMPTION: log-scale spread
FUSION_EXTRA_MINUTES = 90.0  # ASSUMPTION
# Blood loss mL, used as the median by condition x approach.
BLOOD_LOSS_ML = np.array(
    [
        # rs-109537: PELD 10.8 vs MED 71.3 mL. Microscopic = MED + 13.6 (meta PMC4037525: minimally
        # invasive -13.6 mL vs standard). ASSUMPTION: open 120.
        [10.8, 71.3, 84.9, 120.0],
        # ASSUMPTION: endoscopic 45, tubular 70, open laminectomy 200. Microscopic = endoscopic + 33
        # (Neurospine 2022 / Spine J 2024: endoscopic -33 mL vs microscopic).
        [45.0, 70.0, 78.0, 200.0],
    ]
)
BLOOD_LOSS_SIGMA = 0.5  # ASSUMPTION
FUSION_EXTRA_BLOOD_ML = 300.0  # ASSUMPTION

# ---------------------------------------------------------------------------------------------
# Stay and return to activities / work
# ---------------------------------------------------------------------------------------------
# Length of stay hours, median by condition x approach. Endoscopic disc surgery is a mixture of day
# surgery and an overnight stay (below), so its entry is unused.
STAY_HOURS = np.array(
    [
        # Tubular 48.1 h: MED in rs-109537. Microscopic 67 h: inpatient 2.8 days (Medicine 2019).
        # ASSUMPTION: open 96 h; the seeds only say open surgery "may require multiple days" (doc 004).
        [np.nan, 48.1, 67.2, 96.0],
        # ASSUMPTION: microscopic 72 h (Nerland's stay is not confirmed), tubular 48 h, open 120 h.
        # Endoscopic = microscopic - 1.79 days (Neurospine 2022) = 72 - 43 = 29 h.
        [29.0, 48.0, 72.0, 120.0],
    ]
)
# PELD day surgery 3.2 h (Medicine 2019); PELD overnight 22.7 h (rs-109537; Peng 2010 17.3 h).
ENDO_DAY_SURGERY_HOURS = 3.2
ENDO_OVERNIGHT_HOURS = 22.7
ENDO_DAY_SURGERY_P = 0.6  # ASSUMPTION: share of endoscopic disc cases discharged the same day
STAY_SIGMA = 0.35  # ASSUMPTION
FUSION_EXTRA_STAY_HOURS = 72.0  # ASSUMPTION
STAY_AGE_PER_YEAR = 0.012  # ASSUMPTION: +1.2% stay per year of age above the condition's mean age
SITE_STAY_FACTOR = np.array([0.95, 1.05])  # ASSUMPTION: South discharges a little later than North
# ASSUMPTION: a complication stretches the stay by half and adds a day.
COMPLICATION_STAY_FACTOR, COMPLICATION_STAY_EXTRA_HOURS = 1.5, 24.0

# ASSUMPTION: return to daily activities (median days), earlier than return to work; evidence.md has
# no figure.
ACTIVITIES_DAYS = np.array([[7.0, 12.0, 14.0, 21.0], [10.0, 14.0, 18.0, 28.0]])
ACTIVITIES_SIGMA = 0.6  # ASSUMPTION
# Return to work after discectomy 5.1 +/- 6.0 weeks (J Korean Neurosurg Soc 2020) = 35.7 +/- 42 days,
# used for microscopic disc surgery as a lognormal: sigma^2 = ln(1 + (42/35.7)^2) = ln 2.384 = 0.869,
# sigma = 0.932; median = 35.7 / exp(0.869 / 2) = 35.7 / 1.544 = 23.1 days.
WORK_MEDIAN_DAYS, WORK_SIGMA = 23.1, 0.932
# ASSUMPTION (magnitude): endoscopic earlier ("the return to work is timely", doc 001 seeds),
# tubular a little earlier, open later; stenosis x1.2; fusion x2.
WORK_APPROACH_FACTOR = np.array([0.7, 0.9, 1.0, 1.3])
WORK_STENOSIS_FACTOR, WORK_FUSION_FACTOR = 1.2, 2.0
# Lewandrowski (J Spine Surg): 92.5% returned to work; the other 7.5% never return (censored).
RETURN_TO_WORK_P = 0.925

# ---------------------------------------------------------------------------------------------
# Pain and function
# ---------------------------------------------------------------------------------------------
MEASURES: tuple[str, ...] = ("vas_leg", "vas_back", "odi")
# Baseline mean and SD by condition x measure.
BASELINE = np.array(
    [
        # VAS leg 6.85 +/- 2.1: Gadjradj BMJ 2022 67.3 +/- 21.7 vs 69.9 +/- 20.6 (0-100); Swespine 6.7.
        # VAS back 4.7: Swespine 4.7; Gadjradj 48.7 vs 45.4 (0-100). SD 2.8 is an ASSUMPTION.
        # ODI 45: Gadjradj 44.5 vs 45.5. SD 16 is an ASSUMPTION.
        [[6.85, 2.1], [4.7, 2.8], [45.0, 16.0]],
        # ASSUMPTION: stenosis VAS leg 6.3 and back 5.5 (no stenosis VAS in evidence.md).
        # ODI 44.2: PMC2996343. SD 15 is an ASSUMPTION.
        [[6.3, 2.2], [5.5, 2.5], [44.2, 15.0]],
    ]
)
BASELINE_CORRELATION = 0.5  # ASSUMPTION: leg, back and ODI share a latent severity
# Mean 12-month improvement (points) by condition x approach x measure (leg, back, ODI).
IMPROVEMENT_12M = np.array(
    [
        [
            # ASSUMPTION (magnitude): endoscopic a little better on leg pain than microscopic, direction
            # from Gadjradj BMJ 2022 12-month VAS leg medians 0.7 vs 1.6 /10.
            [4.9, 2.4, 30.0],
            # Arts JAMA 2009: tubular slightly worse than conventional microdiscectomy (magnitude ASSUMPTION).
            [4.3, 2.1, 27.5],
            # Swespine: leg -4.5, back -2.2; NORspine (Werner 2017): ODI -28.7 (leg -4.4).
            [4.5, 2.2, 28.7],
            # ASSUMPTION: open a little worse than microscopic.
            [4.3, 1.9, 27.5],
        ],
        [
            # ASSUMPTION: stenosis VAS leg -3.5 and back -2.0 (not in evidence.md); endoscopic ODI as
            # microscopic.
            [3.6, 2.0, 16.9],
            # Hermansen 2017: ODI improvement 15.2-16.9 across decompression techniques; tubular at
            # the low end.
            [3.5, 2.0, 16.0],
            # Microdecompression ODI -16.9 (Acta Neurochir 2015).
            [3.5, 2.0, 16.9],
            # Laminectomy ODI 44.2 -> 27.9 = -16.3 (PMC2996343); Nerland BMJ 2015 equivalent (difference 1.3).
            [3.5, 1.8, 16.3],
        ],
    ]
)
# Each case improves by a share of its own baseline score, so more pain before gives a larger change.
# ASSUMPTION: 15% of cases are non-responders, in line with Swespine's 79% reaching the leg-pain MCID;
# responders improve by most of their baseline, non-responders little (some worsen). Responder status
# is shared by the three measures; the spread within a group is correlated 0.7 across measures.
NON_RESPONDER_P = 0.10
NON_RESPONDER_SHARE = np.array([0.15, 0.0, 0.10])  # ASSUMPTION: mean share for non-responders (leg, back, ODI)
RESPONDER_SD = np.array([0.18, 0.30, 0.20])  # ASSUMPTION
NON_RESPONDER_SD = np.array([0.30, 0.35, 0.30])  # ASSUMPTION
RESPONSE_CORRELATION = 0.7
# CALIBRATION (not clinical): added to the responders' mean share so the observed mean 12-month change
# matches IMPROVEMENT_12M after the losses the model adds on top (clipping to the scale, complications,
# recurrences, surgeon shifts). Found by generating 1,000,000 cases; tests/test_sample.py checks the
# resulting means against the cited figures.
SHARE_CALIBRATION = np.array([0.05, 0.04, 0.04])
# Share of the 12-month improvement reached at 2w, 6w, 3m, 6m, 12m, by condition x approach.
# Disc leg pain and ODI: TELD cohort PMC6283221, VAS leg 7.64 -> 1.71 (6 w) -> 0.81 (1 y): by 6 weeks
# (7.64 - 1.71) / (7.64 - 0.81) = 0.87 of the 1-year change (ODI (67.2 - 15.7) / (67.2 - 8.5) = 0.88),
# then a plateau. Used for endoscopic; ASSUMPTION: microscopic, tubular (Arts JAMA 2009: slightly
# worse early) and open progressively slower. All 2-week values are ASSUMPTION (not confirmed).
# Stenosis: PMC2996343 ODI 44.2 -> 25.6 (3 m) -> 27.9 (12 m): the 3-month change is 18.6 / 16.3 = 1.14
# of the 12-month one (slight loss later); 6-week and 6-month values interpolated (ASSUMPTION).
LEG_SHAPE = np.array(
    [
        [[0.78, 0.87, 0.94, 0.98, 1.0], [0.64, 0.80, 0.91, 0.97, 1.0], [0.70, 0.84, 0.93, 0.98, 1.0], [0.58, 0.78, 0.90, 0.96, 1.0]],
        [[0.70, 0.95, 1.14, 1.07, 1.0], [0.58, 0.86, 1.12, 1.06, 1.0], [0.62, 0.90, 1.14, 1.07, 1.0], [0.50, 0.82, 1.10, 1.06, 1.0]],
    ]
)
# ASSUMPTION: back (wound) pain recovers later than leg pain, least so after endoscopic surgery and
# most after open surgery; same for both conditions.
BACK_SHAPE_ONE = np.array([[0.60, 0.85, 0.95, 0.98, 1.0], [0.35, 0.70, 0.90, 0.97, 1.0], [0.40, 0.75, 0.90, 0.97, 1.0], [0.10, 0.55, 0.85, 0.95, 1.0]])
BACK_SHAPE = np.stack([BACK_SHAPE_ONE, BACK_SHAPE_ONE])
FOLLOWUP_TIMEPOINTS: tuple[str, ...] = ("2w", "6w", "3m", "6m", "12m")
MEASUREMENT_SD = np.array([0.7, 0.7, 5.0])  # ASSUMPTION: visit-to-visit noise, VAS points and ODI points
COMPLICATION_IMPROVEMENT_LOSS = 0.15  # ASSUMPTION: a complication costs 15% of baseline in improvement
# ASSUMPTION: after a recurrence leg pain comes back (40% of baseline), back and ODI less (20%).
RECURRENCE_IMPROVEMENT_LOSS = np.array([0.40, 0.20, 0.20])

# ---------------------------------------------------------------------------------------------
# Safety
# ---------------------------------------------------------------------------------------------
COMPLICATION_P = np.array(
    [
        # rs-109537: PELD 9.4% vs MED 12.1%, one definition for both approaches (minor events
        # included). ASSUMPTION: microscopic 10%, open 12%. NORspine's 3% (Werner 2017) counts only
        # surgeon-reported peri-operative events, so it sets the type split below, not the rate.
        [0.094, 0.121, 0.10, 0.12],
        # Nerland BMJ 2015: microdecompression 9.8% vs laminectomy 15.0%. Endoscopic = 9.8% x RR 0.43
        # (Neurospine 2022) = 4.2%. ASSUMPTION: tubular 8%.
        [0.042, 0.08, 0.098, 0.15],
    ]
)
FUSION_COMPLICATION_P = 0.18  # ASSUMPTION: as PMC2996343's 18% after laminectomy in patients >= 70
COMPLICATION_AGE_LOG_OR = 0.02  # ASSUMPTION: odds x1.02 per year above the condition's mean age
# Complication type split over schema.COMPLICATIONS[1:] (dural tear, nerve root injury, infection,
# haematoma, other). Werner 2017: dural tear 2% of 3% -> about two thirds of complications; we use 60%
# for tubular, microscopic and open. ASSUMPTION: endoscopic has fewer dural tears and more nerve root
# irritation.
COMPLICATION_TYPE_P = np.array(
    [
        [0.30, 0.35, 0.05, 0.10, 0.20],
        [0.60, 0.10, 0.10, 0.08, 0.12],
        [0.60, 0.10, 0.10, 0.08, 0.12],
        [0.60, 0.10, 0.10, 0.08, 0.12],
    ]
)
RECURRENCE_P = np.array(
    [
        # PELD 5.2% (rs-109537; Ruetten 2008 6.2%). Tubular (MED) from PTED vs MED recurrence OR 1.60
        # (meta): odds 0.052/0.948 = 0.0549 / 1.60 = 0.0343 -> 3.3%. rs-109537's MED 0.9% is one small
        # cohort. ASSUMPTION: microscopic as tubular (Ruetten found equal rates; the meta's RR 1.95 for
        # minimally invasive vs standard points the other way), open 2.5%.
        [0.052, 0.033, 0.033, 0.025],
        # ASSUMPTION: stenosis symptom recurrence 4%.
        [0.04, 0.04, 0.04, 0.04],
    ]
)
REOPERATION_P = np.array(
    [
        # PTED vs MED revision OR 1.77 (meta), a bit above the recurrence OR. ASSUMPTION: endoscopic 4.0%;
        # tubular odds 0.0417 / 1.77 = 0.0235 -> 2.3%; microscopic as tubular; open 2.0%.
        [0.040, 0.023, 0.023, 0.020],
        # ASSUMPTION: stenosis 3% (fusion uses FUSION_REOPERATION_P).
        [0.03, 0.03, 0.03, 0.03],
    ]
)
FUSION_RECURRENCE_P, FUSION_REOPERATION_P = 0.02, 0.02  # ASSUMPTION
# ASSUMPTION: 60% of recurrences are re-operated; the rest of the reoperation rate falls on cases
# without recurrence, with haematoma or infection adding 20 points.
REOPERATION_GIVEN_RECURRENCE = 0.6
# Satisfaction at 12 months: logistic in the case's improvement relative to the condition's expected
# (microscopic) improvement. ASSUMPTION: coefficients chosen so about 88% are satisfied overall,
# between PMC3234002 (84.9%) and the TELD cohort PMC6283221 (94.1%).
SATISFACTION_INTERCEPT, SATISFACTION_SLOPE, SATISFACTION_COMPLICATION = 2.9, 2.5, -1.0

# ---------------------------------------------------------------------------------------------
# Follow-up
# ---------------------------------------------------------------------------------------------
# ASSUMPTION: questionnaire missingness growing with time, among visits that are due: 2 w about 10%,
# 6 w 13%, 3 m 14%, 6 m 18%, 12 m 22% (registries' 12-month response rates of about 70-75% are not in
# evidence.md). Permanent drop-out by each time point, plus an independent missed visit. Visits after
# DATA_CUTOFF are not due yet, so overall about 30% of 12-month values are blank.
DROPOUT_BY = np.array([0.03, 0.05, 0.07, 0.10, 0.14])
MISSED_VISIT_P = np.array([0.07, 0.08, 0.08, 0.09, 0.09])
VISIT_LATE_SHARE = 0.15  # ASSUMPTION: a visit happens 0-15% of its nominal day late, never early
BASELINE_MISSING_P = 0.03  # ASSUMPTION: pre-operative questionnaire missing
ODI_EXTRA_MISSING_P = 0.04  # ASSUMPTION: ODI left incomplete when the VAS was answered
OPERATION_MINUTES_MISSING_P = 0.02  # ASSUMPTION
BLOOD_LOSS_MISSING_P = 0.06  # ASSUMPTION: not always estimated for small losses

# How many decimals each number column keeps (the writer and the generator both apply this).
ONE_DECIMAL_COLUMNS = frozenset({"length_of_stay_hours"} | {c for c in schema.PAIN_COLUMNS if c.startswith("vas_")})


def _decimals(column: str) -> int:
    return 1 if column in ONE_DECIMAL_COLUMNS else 0


def _round(values: np.ndarray, decimals: int) -> np.ndarray:
    """Round so the result is the double nearest to the decimal text the CSV holds (exact round trip)."""
    if decimals == 0:
        return np.rint(values)
    scale = 10.0**decimals
    return np.rint(values * scale) / scale


def _pick(rng: np.random.Generator, p: np.ndarray) -> np.ndarray:
    """One category index per row of `p` (n x k probabilities; rows need not be normalised)."""
    cum = np.cumsum(p, axis=1)
    u = rng.random(len(p)) * cum[:, -1]
    return np.minimum((u[:, None] >= cum).sum(axis=1), p.shape[1] - 1)


def _categorical(codes: np.ndarray, names: tuple[str, ...]) -> pd.Categorical:
    """Codes into `names` as a Categorical whose categories are the used names, sorted.

    That is what `to_canonical_dtypes` infers from text read back from CSV, so both compare equal.
    """
    used = np.flatnonzero(np.bincount(codes, minlength=len(names)))
    order = sorted(used, key=lambda i: names[i])
    remap = np.zeros(len(names), dtype=np.int64)
    remap[order] = np.arange(len(order))
    return pd.Categorical.from_codes(remap[codes], categories=[names[i] for i in order])


def _case_ids(n: int) -> pd.api.extensions.ExtensionArray:
    """C000001, C000002, … (wider past 999,999 cases), built in arrow: a Python loop costs a second per million."""
    digits = pc.utf8_lpad(pc.cast(pa.array(np.arange(1, n + 1)), pa.string()), max(6, len(str(n))), "0")
    return pd.array(pc.binary_join_element_wise("C", digits, "").to_pandas(), dtype="str")


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _logit(p: np.ndarray) -> np.ndarray:
    return np.log(p / (1.0 - p))


def generate_cohort(n: int, seed: int = 0) -> pd.DataFrame:
    """Generate `n` synthetic operated cases in the canonical schema, reproducibly from `seed`.

    Returns a frame with every column of `schema.COLUMNS` in dictionary order and canonical dtypes;
    numbers are rounded as `write_cohort_csv` writes them, so writing and reading back is exact.

    Raises:
        ValueError: if `n` is not a positive integer.
    """
    if int(n) != n or n < 1:
        raise ValueError(f"n must be a positive whole number of cases, got {n!r}")
    n = int(n)
    rng = np.random.default_rng(seed)

    # --- when: volume growing over time (inverse CDF of density proportional to 1 + g t) -------
    span_days = int((LAST_SURGERY - FIRST_SURGERY).astype(int)) + 1
    g = VOLUME_GROWTH
    u = rng.random(n)
    t = (np.sqrt(1.0 + 2.0 * g * u * (1.0 + g / 2.0)) - 1.0) / g
    day = np.sort(np.minimum((t * span_days).astype(np.int64), span_days - 1))  # case ids in date order
    surgery_date = FIRST_SURGERY + day
    t = (day + 0.5) / span_days
    potential_followup = (DATA_CUTOFF - surgery_date).astype(np.int64)

    # --- who and what -----------------------------------------------------------------------------
    cond = (rng.random(n) >= CONDITION_P[0]).astype(np.int64)
    surgeon = _pick(rng, np.broadcast_to(SURGEON_VOLUME, (n, len(SURGEONS))))
    site = SURGEON_SITE[surgeon]
    weights = APPROACH_BASE[cond] * SURGEON_APPROACH_WEIGHT[surgeon]
    weights[:, ENDO] *= np.exp(ENDOSCOPIC_TREND * (t - 0.5))
    appr = _pick(rng, weights)
    is_disc = cond == DISC

    procedure = np.zeros(n, dtype=np.int64)  # Discectomy
    sten_proc = STENOSIS_PROCEDURE_CODES[_pick(rng, STENOSIS_PROCEDURE_P[appr])]
    procedure[~is_disc] = sten_proc[~is_disc]
    is_fusion = procedure == PROCEDURES.index("Fusion")

    level = _pick(rng, LEVEL_P[cond])
    age_mean = AGE[cond, 0]
    age = np.clip(np.rint(rng.normal(age_mean, AGE[cond, 1])), AGE[cond, 2], AGE[cond, 3])
    male = rng.random(n) < MALE_P[cond]
    sex_codes = male.astype(np.int64)  # index into ("female", "male")
    employed = rng.random(n) < EMPLOYED_P[cond, (age >= 65).astype(np.int64)]
    local = (rng.random(n) < LOCAL_SEDATION_P[cond, appr]) & ~is_fusion

    # --- operation --------------------------------------------------------------------------------
    minutes = (OPERATION_MINUTES[cond, appr] + FUSION_EXTRA_MINUTES * is_fusion) * SURGEON_MINUTES_FACTOR[surgeon]
    minutes = np.clip(minutes * np.exp(rng.normal(0.0, OPERATION_MINUTES_SIGMA, n)), 15.0, 600.0)
    blood = (BLOOD_LOSS_ML[cond, appr] + FUSION_EXTRA_BLOOD_ML * is_fusion) * np.exp(rng.normal(0.0, BLOOD_LOSS_SIGMA, n))
    blood = np.clip(blood, 0.0, 3000.0)
    minutes[rng.random(n) < OPERATION_MINUTES_MISSING_P] = np.nan
    blood[rng.random(n) < BLOOD_LOSS_MISSING_P] = np.nan

    # --- safety -----------------------------------------------------------------------------------
    base_p = np.where(is_fusion, FUSION_COMPLICATION_P, COMPLICATION_P[cond, appr])
    logit = _logit(base_p) + np.log(SURGEON_COMPLICATION_OR[surgeon]) + COMPLICATION_AGE_LOG_OR * (age - age_mean)
    has_complication = rng.random(n) < _sigmoid(logit)
    complication = np.where(has_complication, 1 + _pick(rng, COMPLICATION_TYPE_P[appr]), 0)
    bleed_or_infection = np.isin(complication, [schema.COMPLICATIONS.index("infection"), schema.COMPLICATIONS.index("haematoma")])

    recurrence_p = np.where(is_fusion, FUSION_RECURRENCE_P, RECURRENCE_P[cond, appr])
    reoperation_p = np.where(is_fusion, FUSION_REOPERATION_P, REOPERATION_P[cond, appr])
    recurrence = rng.random(n) < recurrence_p
    # Solve P(reop) = q P(rec) + r (1 - P(rec)) for r, the reoperation chance without recurrence.
    q = REOPERATION_GIVEN_RECURRENCE
    r = np.clip((reoperation_p - q * recurrence_p) / (1.0 - recurrence_p), 0.0, 1.0) + 0.2 * bleed_or_infection
    reoperation = rng.random(n) < np.where(recurrence, q, r)
    recurrence_day = rng.integers(14, 366, n)  # ASSUMPTION: uniform over the year

    # --- stay -------------------------------------------------------------------------------------
    stay_median = STAY_HOURS[cond, appr].copy()
    endo_disc = is_disc & (appr == ENDO)
    day_case = rng.random(n) < ENDO_DAY_SURGERY_P
    stay_median[endo_disc] = np.where(day_case, ENDO_DAY_SURGERY_HOURS, ENDO_OVERNIGHT_HOURS)[endo_disc]
    stay_median = stay_median + FUSION_EXTRA_STAY_HOURS * is_fusion
    stay = stay_median * np.exp(STAY_AGE_PER_YEAR * (age - age_mean)) * SITE_STAY_FACTOR[site]
    stay = stay * np.exp(rng.normal(0.0, STAY_SIGMA, n))
    stay = np.where(has_complication, stay * COMPLICATION_STAY_FACTOR + COMPLICATION_STAY_EXTRA_HOURS, stay)
    stay = _round(np.clip(stay, 1.5, 24.0 * 60), 1)
    discharge_day = np.ceil(stay / 24.0)

    # --- pain and function ------------------------------------------------------------------------
    severity = rng.standard_normal(n)
    response_shared = rng.standard_normal(n)
    responder = rng.random(n) >= NON_RESPONDER_P
    improvement_mean = IMPROVEMENT_12M[cond, appr]  # n x 3
    pain: dict[str, np.ndarray] = {}
    expected_share = np.empty((n, 3))
    achieved_share = np.empty((n, 3))
    for m, measure in enumerate(MEASURES):
        scale_max = schema.PAIN_MEASURES[measure]["max"]
        mean, sd = BASELINE[cond, m, 0], BASELINE[cond, m, 1]
        z = BASELINE_CORRELATION**0.5 * severity + (1 - BASELINE_CORRELATION) ** 0.5 * rng.standard_normal(n)
        true_pre = np.clip(mean + sd * z, 0.0, scale_max)
        # Improvement as a share of the baseline score, so more pain before gives a larger change.
        share_mean = improvement_mean[:, m] / mean
        # Responders' mean share so that the mixture's mean is share_mean: (mean - p_nr s_nr) / (1 - p_nr).
        responder_mean = (share_mean - NON_RESPONDER_P * NON_RESPONDER_SHARE[m]) / (1 - NON_RESPONDER_P) + SHARE_CALIBRATION[m]
        eps = RESPONSE_CORRELATION**0.5 * response_shared + (1 - RESPONSE_CORRELATION) ** 0.5 * rng.standard_normal(n)
        share = np.where(
            responder,
            responder_mean + RESPONDER_SD[m] * eps,
            NON_RESPONDER_SHARE[m] + NON_RESPONDER_SD[m] * eps,
        )
        share = share + SURGEON_IMPROVEMENT_SHIFT[surgeon]
        share = share - COMPLICATION_IMPROVEMENT_LOSS * has_complication
        share = np.clip(share, -0.5, 1.0)
        expected_share[:, m] = share_mean
        achieved_share[:, m] = share - RECURRENCE_IMPROVEMENT_LOSS[m] * recurrence
        pain[f"{measure}_pre"] = true_pre
        shape = (BACK_SHAPE if measure == "vas_back" else LEG_SHAPE)[cond, appr]  # n x 5
        for k, tp in enumerate(FOLLOWUP_TIMEPOINTS):
            if tp not in schema.PAIN_MEASURES[measure]["timepoints"]:
                continue
            tp_day = schema.TIMEPOINT_DAYS[tp]
            share_tp = share * shape[:, k] - RECURRENCE_IMPROVEMENT_LOSS[m] * (recurrence & (recurrence_day <= tp_day))
            value = true_pre * (1.0 - share_tp) + MEASUREMENT_SD[m] * rng.standard_normal(n)
            pain[f"{measure}_{tp}"] = np.clip(value, 0.0, scale_max)

    # --- follow-up: which visits happened, and when -----------------------------------------------
    dropout_u = rng.random(n)
    attended = {}
    visit_day = {}
    last_contact = discharge_day.copy()
    for k, tp in enumerate(FOLLOWUP_TIMEPOINTS):
        nominal = schema.TIMEPOINT_DAYS[tp]
        day_k = nominal + np.floor(rng.random(n) * VISIT_LATE_SHARE * nominal)
        came = (dropout_u >= DROPOUT_BY[k]) & (rng.random(n) >= MISSED_VISIT_P[k]) & (day_k <= potential_followup)
        attended[tp], visit_day[tp] = came, day_k
        last_contact = np.where(came, np.maximum(last_contact, day_k), last_contact)
    pre_missing = rng.random(n) < BASELINE_MISSING_P
    for measure in MEASURES:
        for tp in schema.PAIN_MEASURES[measure]["timepoints"]:
            col = f"{measure}_{tp}"
            missing = pre_missing.copy() if tp == "pre" else ~attended[tp]
            if measure == "odi":
                missing |= rng.random(n) < ODI_EXTRA_MISSING_P
            values = _round(pain[col], _decimals(col))
            values[missing] = np.nan
            pain[col] = values

    # --- return to activities and work, censored at the last contact -------------------------------
    activities = ACTIVITIES_DAYS[cond, appr] * np.where(is_fusion, 1.5, 1.0)  # ASSUMPTION: fusion x1.5
    activities = activities * np.exp(0.01 * (age - age_mean) + rng.normal(0.0, ACTIVITIES_SIGMA, n))
    activities = np.maximum(np.rint(np.where(has_complication, activities * 1.5, activities)), 1.0)
    work = WORK_MEDIAN_DAYS * WORK_APPROACH_FACTOR[appr] * np.where(is_disc, 1.0, WORK_STENOSIS_FACTOR)
    work = work * np.where(is_fusion, WORK_FUSION_FACTOR, 1.0) * np.exp(rng.normal(0.0, WORK_SIGMA, n))
    work = np.maximum(np.rint(np.where(has_complication, work * 1.5, work)), activities)  # never before activities
    returns_to_work = employed & (rng.random(n) < RETURN_TO_WORK_P)
    activities_seen = np.where(activities <= last_contact, activities, np.nan)
    work_seen = np.where(returns_to_work & (work <= last_contact), work, np.nan)

    # --- 12-month yes/no: asked at the 12-month follow-up, blank without it (as NORspine asks about
    # reoperation in its 12-month questionnaire), so rates among answered cases are not inflated.
    seen_12m = attended["12m"]
    relative = np.where(is_disc, achieved_share[:, 0] / expected_share[:, 0], achieved_share[:, 2] / expected_share[:, 2])
    satisfied_logit = SATISFACTION_INTERCEPT + SATISFACTION_SLOPE * (relative - 1.0) + SATISFACTION_COMPLICATION * has_complication
    satisfied = rng.random(n) < _sigmoid(satisfied_logit)

    def known(values: np.ndarray, known_mask: np.ndarray) -> pd.arrays.BooleanArray:
        return pd.arrays.BooleanArray(values.copy(), ~known_mask)

    frame = {
        "case_id": _case_ids(n),
        "surgery_date": surgery_date.astype("datetime64[ns]"),
        "age": age,
        "sex": _categorical(sex_codes, ("female", "male")),
        "condition": _categorical(cond, CONDITIONS),
        "approach": _categorical(appr, APPROACH_ORDER),
        "technique": _categorical(TECHNIQUE_BY_CELL[cond, appr], TECHNIQUES),
        "procedure": _categorical(procedure, PROCEDURES),
        "revision": pd.arrays.BooleanArray(np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)),
        "spinal_level": _categorical(level, LEVELS),
        "region": _categorical(np.zeros(n, dtype=np.int64), ("lumbar",)),
        "surgeon": _categorical(surgeon, SURGEONS),
        "site": _categorical(site, SITES),
        "operation_minutes": _round(minutes, 0),
        "blood_loss_ml": _round(blood, 0),
        "anesthesia": _categorical(local.astype(np.int64), ANESTHESIA),
        "length_of_stay_hours": stay,
        "return_to_activities_days": activities_seen,
        "return_to_work_days": work_seen,
        "employed_before_surgery": pd.arrays.BooleanArray(employed, np.zeros(n, dtype=bool)),
        "last_followup_days": last_contact,
        **pain,
        "complication": _categorical(complication, schema.COMPLICATIONS),
        "reoperation_12m": known(reoperation, seen_12m),
        "recurrence_12m": known(recurrence, seen_12m),
        "satisfied_12m": known(satisfied, seen_12m),
        # The synthetic cases are single-level operations with no count of levels recorded: left blank.
        "levels_operated": np.full(n, np.nan),
    }
    df = pd.DataFrame({c: frame[c] for c in schema.CANONICAL_COLUMNS})
    return schema.to_canonical_dtypes(df)


def write_cohort_csv(df: pd.DataFrame, path: str | Path) -> None:
    """Write a canonical frame as the sample CSV: ISO dates, yes/no, blanks for missing, rounded numbers.

    VAS scores and hours keep one decimal, every other number is written as a whole number.
    Uses pyarrow's CSV writer, which writes a million cases in seconds.
    """
    arrays = []
    for spec in schema.COLUMNS:
        s = df[spec.name]
        if spec.kind == "date":
            arrays.append(pa.array(s.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]"), mask=s.isna().to_numpy()))
        elif spec.kind == "number":
            values = _round(s.to_numpy(dtype="float64", na_value=np.nan), _decimals(spec.name))
            mask = np.isnan(values)
            if _decimals(spec.name) == 0:
                arrays.append(pa.array(np.where(mask, 0, values).astype(np.int64), mask=mask))
            else:
                arrays.append(pa.array(values, mask=mask))
        elif spec.kind == "boolean":
            b = s.astype("boolean")
            indices = pa.array(b.fillna(False).to_numpy(dtype=np.int8), mask=b.isna().to_numpy())
            arrays.append(pa.DictionaryArray.from_arrays(indices, pa.array(["no", "yes"])).cast(pa.string()))
        elif spec.kind == "category":
            # A categorical goes to arrow as a dictionary array; decoding it in C++ is fast.
            arrays.append(pa.array(s.astype("category"), from_pandas=True).cast(pa.string()))
        else:
            arrays.append(pa.array(s.astype("str"), from_pandas=True).cast(pa.string()))
    table = pa.table(arrays, names=list(schema.CANONICAL_COLUMNS))
    with open(path, "wb") as f:
        f.write((",".join(schema.CANONICAL_COLUMNS) + "\n").encode())
        # quoting "none" raises if any value would need quotes, rather than writing a broken file.
        pacsv.write_csv(table, f, pacsv.WriteOptions(include_header=False, quoting_style="none"))


def read_cohort_csv(path: str | Path) -> pd.DataFrame:
    """Read a CSV written by `write_cohort_csv` back into canonical dtypes (pyarrow engine)."""
    raw = pd.read_csv(path, engine="pyarrow", true_values=["yes", "true"], false_values=["no", "false"])
    return schema.to_canonical_dtypes(raw)


def load_sample() -> pd.DataFrame:
    """The bundled synthetic sample cohort (data/sample_cohort.csv) in canonical dtypes."""
    return read_cohort_csv(SAMPLE_PATH)


if __name__ == "__main__":
    cohort = generate_cohort(SAMPLE_N, SAMPLE_SEED)
    write_cohort_csv(cohort, SAMPLE_PATH)
    print(f"wrote {len(cohort):,} synthetic cases to {SAMPLE_PATH}")
