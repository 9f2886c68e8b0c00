"""Write the registry- and tool-shaped export files in tests/data/exports/ (run this file to rebuild).

Twelve small, deterministic files laid out the way real exports arrive: a NORspine lumbar and an NKR
cervical "datadump" as Rapporteket writes them, a REDCap longitudinal export (raw codes and labels), a classic (non-longitudinal) REDCap export with repeating instruments,
a PROM system's tidy export, a Swespine-style and a Spine Tango-style clinic file, an operations file
plus a follow-up file, a workbook with one sheet per time point and a cervical clinic file.

Every file is rendered from one list of synthetic cases (`lumbar_cases()` / `cervical_cases()`), so a
test can compare what the import makes of a file with the truth it was written from. All patients
are invented (synthetic data). README.md beside this file says which public source each column name
and code comes from and what is assumed.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl

HERE = Path(__file__).resolve().parent
TIMEPOINT_DAYS = {"pre": -14, "6w": 42, "3m": 91, "12m": 365, "24m": 730}


@dataclass
class Case:
    """One synthetic operated case, in SpineDash's words (the truth every file is written from)."""

    case_id: str
    patient_id: str
    surgery_date: dt.date
    age: int
    sex: str  # "male" | "female"
    condition: str
    approach: str
    technique: str  # visualisation: naked eye, loupes, microscope, endoscope
    procedure: str
    level: str
    site: str
    surgeon: str
    stay_days: int
    minutes: int
    dural_tear: bool
    # measure -> time point -> value (missing time points absent)
    scores: dict[str, dict[str, float]] = field(default_factory=dict)
    satisfaction: dict[str, int] = field(default_factory=dict)  # 1 (satisfied) … 5 (dissatisfied)


def _pick(rng: random.Random, options):
    return options[rng.randrange(len(options))]


def lumbar_cases(n: int = 14, seed: int = 12) -> list[Case]:
    """Lumbar discectomies and decompressions with leg/back pain (0–10), ODI and EQ-5D at pre, 3m, 12m, 24m."""
    rng = random.Random(seed)
    kinds = [
        # condition, procedure, approach, technique
        ("Herniated disc", "Discectomy", "Microscopic", "microscope"),
        ("Herniated disc", "Discectomy", "Full-endoscopic", "endoscope"),
        ("Herniated disc", "Discectomy", "Open", "loupes"),
        ("Spinal stenosis", "Decompression", "Microscopic", "microscope"),
        ("Spinal stenosis", "Laminectomy", "Open", "naked eye"),
    ]
    cases = []
    for i in range(n):
        condition, procedure, approach, technique = kinds[i % len(kinds)]
        day = dt.date(2023, 1, 9) + dt.timedelta(days=23 * i + rng.randrange(5))
        leg_pre = rng.randrange(5, 10)
        back_pre = rng.randrange(3, 9)
        odi_pre = rng.randrange(30, 62)
        eq_pre = round(rng.uniform(0.05, 0.6), 3)
        scores = {
            "leg": {"pre": leg_pre, "3m": max(0, leg_pre - rng.randrange(3, 7)), "12m": max(0, leg_pre - rng.randrange(2, 8))},
            "back": {"pre": back_pre, "3m": max(0, back_pre - rng.randrange(1, 4)), "12m": max(0, back_pre - rng.randrange(1, 5))},
            "odi": {"pre": odi_pre, "3m": max(0, odi_pre - rng.randrange(10, 30)), "12m": max(0, odi_pre - rng.randrange(8, 34))},
            "eq5d": {"pre": eq_pre, "3m": round(min(1.0, eq_pre + rng.uniform(0.1, 0.4)), 3), "12m": round(min(1.0, eq_pre + rng.uniform(0.05, 0.45)), 3)},
        }
        if i % 3 == 0:  # two-year follow-up for every third case (the public datadump code has none)
            for m in scores:
                scores[m]["24m"] = scores[m]["12m"]
        if i in (4, 11):  # no 12-month answer
            for m in scores:
                scores[m].pop("12m", None)
        cases.append(
            Case(
                case_id=f"{1001 + i}",
                patient_id=f"{5001 + i}",
                surgery_date=day,
                age=rng.randrange(24, 82),
                sex="female" if i % 2 else "male",
                condition=condition,
                approach=approach,
                technique=technique,
                procedure=procedure,
                level=_pick(rng, ["L4-L5", "L5-S1", "L3-L4"]),
                site=_pick(rng, ["Haukeland", "Tromsø"]),
                surgeon=_pick(rng, ["Surgeon A", "Surgeon B", "Surgeon C"]),
                stay_days=0 if technique == "endoscope" else rng.randrange(1, 5),
                minutes=rng.randrange(35, 150),
                dural_tear=(i == 7),
                scores=scores,
                satisfaction={tp: (1 if i % 4 else 4) if tp == "12m" else rng.randrange(1, 4) for tp in ("3m", "12m") if tp in scores["leg"]},
            )
        )
    return cases


def cervical_cases(n: int = 10, seed: int = 15) -> list[Case]:
    """ACDF and posterior foraminotomy cases with arm/neck pain (NRS 0–10), NDI and EQ-5D."""
    rng = random.Random(seed)
    kinds = [
        ("Herniated disc", "ACDF", "Microscopic", "microscope"),
        ("Nerve root compression", "Posterior foraminotomy", "Microscopic", "microscope"),
        ("Spinal stenosis", "ACDF", "Open", "loupes"),
        ("Nerve root compression", "Posterior foraminotomy", "Full-endoscopic", "endoscope"),
    ]
    cases = []
    for i in range(n):
        condition, procedure, approach, technique = kinds[i % len(kinds)]
        arm = rng.randrange(5, 10)
        neck = rng.randrange(3, 9)
        ndi = rng.randrange(28, 60)
        eq = round(rng.uniform(0.1, 0.6), 3)
        scores = {
            "arm": {"pre": arm, "3m": max(0, arm - rng.randrange(2, 7)), "12m": max(0, arm - rng.randrange(2, 8))},
            "neck": {"pre": neck, "3m": max(0, neck - rng.randrange(1, 4)), "12m": max(0, neck - rng.randrange(1, 5))},
            "ndi": {"pre": ndi, "3m": max(0, ndi - rng.randrange(6, 24)), "12m": max(0, ndi - rng.randrange(6, 28))},
            "eq5d": {"pre": eq, "3m": round(min(1.0, eq + rng.uniform(0.05, 0.35)), 3), "12m": round(min(1.0, eq + rng.uniform(0.05, 0.4)), 3)},
        }
        if i == 6:
            for m in scores:
                scores[m].pop("12m")
        cases.append(
            Case(
                case_id=f"{2001 + i}",
                patient_id=f"{7001 + i}",
                surgery_date=dt.date(2023, 2, 6) + dt.timedelta(days=31 * i + rng.randrange(4)),
                age=rng.randrange(30, 78),
                sex="male" if i % 2 else "female",
                condition=condition,
                approach=approach,
                technique=technique,
                procedure=procedure,
                level="C5-C6;C6-C7" if i == 2 else _pick(rng, ["C5-C6", "C6-C7", "C4-C5"]),
                site=_pick(rng, ["St. Olavs", "Ullevål"]),
                surgeon=_pick(rng, ["Surgeon D", "Surgeon E"]),
                stay_days=rng.randrange(0, 3),
                minutes=rng.randrange(45, 160),
                dural_tear=False,
                scores=scores,
                satisfaction={tp: rng.randrange(1, 4) for tp in ("3m", "12m") if tp in scores["arm"]},
            )
        )
    return cases


# ------------------------------------------------------------------------------------------------
# Writers
# ------------------------------------------------------------------------------------------------


def _r_csv2(rows: list[dict], columns: list[str], quoted: set[str]) -> bytes:
    """Bytes as R's write.csv2(x, row.names = FALSE, fileEncoding = 'latin1', na = '') writes them.

    write.csv2: ";" between fields, "," as the decimal mark, character columns and the header in
    double quotes, numbers bare, NA as an empty field, CRLF-free "\\n" line ends on Linux.
    """
    out = io.StringIO()
    out.write(";".join(f'"{c}"' for c in columns) + "\n")
    for row in rows:
        cells = []
        for c in columns:
            v = row.get(c)
            if v is None:
                cells.append("")
            elif c in quoted:
                cells.append('"' + str(v).replace('"', '""') + '"')
            elif isinstance(v, float):
                cells.append(f"{v:g}".replace(".", ","))
            else:
                cells.append(str(v))
        out.write(";".join(cells) + "\n")
    return out.getvalue().encode("latin-1")


def _csv(rows: list[dict], columns: list[str], delimiter: str = ",", decimal: str = ".", encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    w = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    w.writerow(columns)
    for row in rows:
        cells = []
        for c in columns:
            v = row.get(c)
            if v is None:
                cells.append("")
            elif isinstance(v, float):
                cells.append(f"{v:g}".replace(".", decimal))
            else:
                cells.append(v)
        w.writerow(cells)
    return out.getvalue().encode(encoding)


def _visual_code(technique: str) -> int:
    # OPERASJONSMETODE_MIKRO_MAKRO_ENDO (OpMikroV3 / OprMetodeMikroMakroEndo): 0 none, 1 microscope,
    # 2 loupes (ASSUMED: the public code only shows 1-3 count as "microscope or loupes"), 3 endoscope.
    return {"naked eye": 0, "microscope": 1, "loupes": 2, "endoscope": 3}[technique]


def norspine_lumbar(cases: list[Case]) -> bytes:
    """NORspine (NKR degenerativ rygg) datadump: one row per operation (ForlopsID), V3 variable names."""
    hoved = {"Discectomy": 1, "Decompression": 2, "Laminectomy": 3}
    inngrep = {("Discectomy", False): 1, ("Discectomy", True): 2, ("Decompression", False): 3, ("Decompression", True): 3, ("Laminectomy", False): 4, ("Laminectomy", True): 4}
    rows = []
    for c in cases:
        s = c.scores
        row = {
            "PasientID": c.patient_id,
            "ForlopsID": c.case_id,
            "ReshId": 100407 if c.site == "Haukeland" else 601161,
            "SykehusNavn": c.site,
            "Kjonn": 1 if c.sex == "male" else 2,
            "Alder": c.age,
            "OpDato": c.surgery_date.isoformat(),
            "HovedInngrepV2V3": hoved[c.procedure],
            "InngrepV2V3": inngrep[(c.procedure, c.technique == "naked eye" or c.approach == "Open")],
            "ProlapsoprAlle": 1 if c.condition == "Herniated disc" else 0,
            "LSSopr": 1 if c.condition == "Spinal stenosis" else 0,
            "OpMikroV3": _visual_code(c.technique),
            "OpL34": int(c.level == "L3-L4"),
            "OpL45": int(c.level == "L4-L5"),
            "OpL5S1": int(c.level == "L5-S1"),
            "OpKat": 1,
            "Dagkirurgi": int(c.stay_days == 0),
            "Liggedogn": c.stay_days,
            "KnivtidTot": c.minutes,
            "PeropKompDura": int(c.dural_tear),
            "SmBePre": s["leg"]["pre"],
            "SmRyPre": s["back"]["pre"],
            "OswTotPre": float(s["odi"]["pre"]),
            "EQ5DV3Pre": s["eq5d"]["pre"],
            "Versjon": "V3",
        }
        for tp, suffix in (("3m", "3mnd"), ("12m", "12mnd")):
            if tp not in s["leg"]:
                continue
            due = c.surgery_date + dt.timedelta(days=TIMEPOINT_DAYS[tp] + 5)
            row.update(
                {
                    f"Utfdato{suffix}": due.isoformat(),
                    f"Fornoyd{suffix}": c.satisfaction[tp],
                    f"Nytte{suffix}": 2 if c.satisfaction[tp] <= 2 else 4,
                    f"SmBe{suffix}": s["leg"][tp],
                    f"SmRy{suffix}": s["back"][tp],
                    f"OswTot{suffix}": float(s["odi"][tp]),
                    f"Status{suffix}": 1,
                }
            )
            row["EQ5D3mndV3" if tp == "3m" else "EQ5DV312mnd"] = s["eq5d"][tp]
        rows.append(row)
    columns = [
        "PasientID", "ForlopsID", "ReshId", "SykehusNavn", "Kjonn", "Alder", "OpDato", "HovedInngrepV2V3",
        "InngrepV2V3", "ProlapsoprAlle", "LSSopr", "OpMikroV3", "OpL34", "OpL45", "OpL5S1", "OpKat",
        "Dagkirurgi", "Liggedogn", "KnivtidTot", "PeropKompDura", "SmBePre", "SmRyPre", "OswTotPre",
        "EQ5DV3Pre", "Utfdato3mnd", "Fornoyd3mnd", "Nytte3mnd", "SmBe3mnd", "SmRy3mnd", "OswTot3mnd",
        "EQ5D3mndV3", "Status3mnd", "Utfdato12mnd", "Fornoyd12mnd", "Nytte12mnd", "SmBe12mnd", "SmRy12mnd",
        "OswTot12mnd", "EQ5DV312mnd", "Status12mnd", "Versjon",
    ]  # fmt: skip
    return _r_csv2(rows, columns, quoted={"SykehusNavn", "OpDato", "Utfdato3mnd", "Utfdato12mnd", "Versjon"})


def nkr_cervical(cases: list[Case]) -> bytes:
    """NKR degenerativ nakke datadump (dataDumpNakke.csv): one row per operation (MCEID)."""
    rows = []
    for c in cases:
        s = c.scores
        anterior = c.procedure == "ACDF"
        row = {
            "MCEID": c.case_id,
            "PasientID": c.patient_id,
            "ReshId": 107637 if c.site == "St. Olavs" else 109820,
            "SykehusNavn": c.site,
            "Kjonn": 1 if c.sex == "male" else 2,
            "Alder": c.age,
            "OprDato": c.surgery_date.isoformat(),
            # NakkePreprosess's Inngrep: 1 anterior discectomy for prolapse, 2 posterior decompression,
            # 3 anterior decompression for stenosis without prolapse
            "Inngrep": 1 if anterior and c.condition == "Herniated disc" else (3 if anterior else 2),
            "OprMetodeTilgangFremre": int(anterior),
            "OprMetodeTilgangBakre": int(not anterior),
            "OprMetodeDiskektomi": int(anterior),
            "OprMetodeForamenotomiBakreUniLat": int(not anterior),
            "OprMetodeMikroMakroEndo": _visual_code(c.technique),
            "RtgFunnProlaps": int(c.condition == "Herniated disc"),
            "RtgFunnCervicalSpStenose": int(c.condition == "Spinal stenosis"),
            "RtgFunnRotkanalstenose": int(c.condition == "Nerve root compression"),
            "SideNivaaC4C5": int("C4-C5" in c.level),
            "SideNivaaC5C6": int("C5-C6" in c.level),
            "SideNivaaC6C7": int("C6-C7" in c.level),
            "LiggeDognTotalt": c.stay_days,
            "KnivtidTotalMin": c.minutes,
            "NRSsmerteArmPreOp": s["arm"]["pre"],
            "NRSsmerteNakkePreOp": s["neck"]["pre"],
            "NDIscorePreOp": float(s["ndi"]["pre"]),
            "Eq5DScorePreOp": s["eq5d"]["pre"],
        }
        for tp, suffix in (("3m", "3mnd"), ("12m", "12mnd")):
            if tp not in s["arm"]:
                row[f"StatusUtfyll{suffix}"] = 0
                continue
            row.update(
                {
                    f"UtfyltDato{suffix}": (c.surgery_date + dt.timedelta(days=TIMEPOINT_DAYS[tp] + 3)).isoformat(),
                    f"NytteOpr{suffix}": 2 if c.satisfaction[tp] <= 2 else 3,
                    f"FornoydBeh{suffix}": c.satisfaction[tp],
                    f"NRSsmerteArm{suffix}": s["arm"][tp],
                    f"NRSsmerteNakke{suffix}": s["neck"][tp],
                    f"NDIscore{suffix}": float(s["ndi"][tp]),
                    f"Eq5DScore{suffix}": s["eq5d"][tp],
                    f"StatusUtfyll{suffix}": 1,
                }
            )
        rows.append(row)
    columns = list(rows[0].keys())
    for r in rows:
        columns += [k for k in r if k not in columns]
    return _r_csv2(rows, columns, quoted={"SykehusNavn", "OprDato", "UtfyltDato3mnd", "UtfyltDato12mnd"})


# REDCap: a single-arm longitudinal project. Unique event names are "<event label>_arm_1" lower-cased,
# as in REDCapR's inst/test-data/projects/longitudinal/event.csv.
REDCAP_EVENTS = [
    ("baseline_arm_1", "Baseline", "pre"),
    ("3_months_arm_1", "3 months", "3m"),
    ("12_months_arm_1", "12 months", "12m"),
    ("24_months_arm_1", "24 months", "24m"),
]
REDCAP_APPROACH = {"Open": ("1", "Open"), "Microscopic": ("2", "Microscopic"), "Full-endoscopic": ("3", "Full-endoscopic"), "Tubular MIS": ("4", "Tubular MIS")}
REDCAP_DIAGNOSIS = {"Herniated disc": ("1", "Lumbar disc herniation"), "Spinal stenosis": ("2", "Lumbar spinal stenosis"), "Nerve root compression": ("3", "Foraminal stenosis")}
REDCAP_LEVELS = {"L3-L4": ("1", "L3-L4"), "L4-L5": ("2", "L4-L5"), "L5-S1": ("3", "L5-S1")}
REDCAP_SATISFACTION = {1: "Very satisfied", 2: "Satisfied", 3: "Neither", 4: "Dissatisfied", 5: "Very dissatisfied"}


def redcap_longitudinal(cases: list[Case], labels: bool) -> bytes:
    """REDCap "Export records" CSV of a longitudinal project with a repeating complications instrument.

    Raw: codes, unique event names, checkboxes 0/1, *_complete 0/1/2. Labels: choice labels, event
    labels, checkboxes "Checked"/"Unchecked", *_complete "Incomplete"/"Unverified"/"Complete" (PyCap's
    export_records docstring, REDCapR's export_checkbox_label test data). Headers stay raw in both.
    """
    complete = {0: "Incomplete", 1: "Unverified", 2: "Complete"}
    columns = [
        "record_id", "redcap_event_name", "redcap_repeat_instrument", "redcap_repeat_instance",
        "surgery_date", "age", "sex", "diagnosis", "approach", "level___1", "level___2", "level___3",
        "los_days", "surgery_complete",
        "vas_leg", "vas_back", "odi", "eq5d_index", "satisfaction", "prom_date", "proms_complete",
        "compl_type", "compl_date", "complications_complete",
    ]  # fmt: skip
    rows = []
    for c in cases:
        for ev, label, tp in REDCAP_EVENTS:
            if tp not in c.scores["leg"]:
                continue
            row = {"record_id": c.case_id, "redcap_event_name": label if labels else ev}
            if tp == "pre":
                row.update(
                    {
                        "surgery_date": c.surgery_date.isoformat(),
                        "age": c.age,
                        "sex": ("Male" if c.sex == "male" else "Female") if labels else ("1" if c.sex == "male" else "0"),
                        "diagnosis": REDCAP_DIAGNOSIS[c.condition][1 if labels else 0],
                        "approach": REDCAP_APPROACH[c.approach][1 if labels else 0],
                        "los_days": c.stay_days,
                        "surgery_complete": complete[2] if labels else 2,
                    }
                )
                for code, _ in REDCAP_LEVELS.values():
                    on = REDCAP_LEVELS[c.level][0] == code
                    row[f"level___{code}"] = ("Checked" if on else "Unchecked") if labels else int(on)
            row.update(
                {
                    "vas_leg": c.scores["leg"][tp],
                    "vas_back": c.scores["back"][tp],
                    "odi": c.scores["odi"][tp],
                    "eq5d_index": c.scores["eq5d"][tp],
                    "prom_date": (c.surgery_date + dt.timedelta(days=TIMEPOINT_DAYS[tp])).isoformat(),
                    "proms_complete": (complete[2] if labels else 2) if tp != "24m" else (complete[1] if labels else 1),
                }
            )
            if tp != "pre":
                sat = c.satisfaction.get(tp, 2)
                row["satisfaction"] = REDCAP_SATISFACTION[sat] if labels else sat
            rows.append(row)
            if tp == "pre" and c.dural_tear:
                for k, what in enumerate(["Dural tear", "Wound infection"], start=1):
                    rows.append(
                        {
                            "record_id": c.case_id,
                            "redcap_event_name": label if labels else ev,
                            "redcap_repeat_instrument": "Complications" if labels else "complications",
                            "redcap_repeat_instance": k,
                            "compl_type": what if labels else str(k),
                            "compl_date": (c.surgery_date + dt.timedelta(days=3 * (k - 1))).isoformat(),
                            "complications_complete": complete[2] if labels else 2,
                        }
                    )
    return _csv(rows, columns)


# The classic project's follow-up form says its time point in a dropdown (raw codes; assumed project).
REDCAP_PROM_TIMEPOINT = {"pre": ("0", "Before surgery"), "3m": ("1", "3 months"), "12m": ("2", "12 months"), "24m": ("3", "24 months")}


def redcap_classic(cases: list[Case]) -> bytes:
    """REDCap "Export records" CSV (raw) of a classic project, no events: repeating instruments only.

    Layout as REDCap writes a non-longitudinal project with repeating instruments (PyCap's
    `export_records` docstring, REDCapR's test projects): no `redcap_event_name`; one row per record
    for the non-repeating forms (`redcap_repeat_instrument` and `redcap_repeat_instance` blank); one
    row per instance of a repeating form, carrying the form name and instance number and only that
    form's fields. Here the questionnaire form `proms` repeats (one instance per visit, the visit in
    the dropdown `prom_timepoint` and the date in `prom_date`), and so does `complications`.
    """
    complete = {0: 0, 2: 2}
    columns = [
        "record_id", "redcap_repeat_instrument", "redcap_repeat_instance",
        "surgery_date", "age", "sex", "diagnosis", "approach", "level___1", "level___2", "level___3", "los_days", "surgery_complete",
        "prom_timepoint", "prom_date", "vas_leg", "vas_back", "odi", "eq5d_index", "satisfaction", "proms_complete",
        "compl_type", "compl_date", "complications_complete",
    ]  # fmt: skip
    rows = []
    for c in cases:
        row = {
            "record_id": c.case_id, "surgery_date": c.surgery_date.isoformat(), "age": c.age, "sex": "1" if c.sex == "male" else "0",
            "diagnosis": REDCAP_DIAGNOSIS[c.condition][0], "approach": REDCAP_APPROACH[c.approach][0],
            "los_days": c.stay_days, "surgery_complete": complete[2],
        }  # fmt: skip
        for code, _ in REDCAP_LEVELS.values():
            row[f"level___{code}"] = int(REDCAP_LEVELS[c.level][0] == code)
        rows.append(row)
        instance = 0
        for tp in ("pre", "3m", "12m", "24m"):
            if tp not in c.scores["leg"]:
                continue
            instance += 1
            prom = {
                "record_id": c.case_id, "redcap_repeat_instrument": "proms", "redcap_repeat_instance": instance,
                "prom_timepoint": REDCAP_PROM_TIMEPOINT[tp][0],
                "prom_date": (c.surgery_date + dt.timedelta(days=TIMEPOINT_DAYS[tp])).isoformat(),
                "vas_leg": c.scores["leg"][tp], "vas_back": c.scores["back"][tp], "odi": c.scores["odi"][tp],
                "eq5d_index": c.scores["eq5d"][tp], "proms_complete": complete[2],
            }  # fmt: skip
            if tp != "pre":
                prom["satisfaction"] = c.satisfaction.get(tp, 2)
            rows.append(prom)
        if c.dural_tear:
            for k in (1, 2):  # the project's codes: 1 dural tear, 2 wound infection
                rows.append({"record_id": c.case_id, "redcap_repeat_instrument": "complications", "redcap_repeat_instance": k,
                             "compl_type": str(k), "compl_date": (c.surgery_date + dt.timedelta(days=3 * (k - 1))).isoformat(),
                             "complications_complete": complete[2]})
    return _csv(rows, columns)


def prom_tidy(cases: list[Case]) -> bytes:
    """A PROM system's tidy export: one row per patient x episode x time point x instrument (score)."""
    instruments = {"leg": "NRS leg pain", "back": "NRS back pain", "odi": "ODI", "eq5d": "EQ-5D-5L index"}
    names = {"pre": "Pre-op", "3m": "3 months", "12m": "12 months", "24m": "24 months"}
    columns = ["patient_id", "episode_id", "procedure_date", "procedure", "diagnosis", "approach", "site", "timepoint", "instrument", "score", "completed_at"]
    rows = []
    for c in cases:
        for tp in ("pre", "3m", "12m", "24m"):
            for m, name in instruments.items():
                if tp not in c.scores[m]:
                    continue
                rows.append(
                    {
                        "patient_id": c.patient_id,
                        "episode_id": f"E{c.case_id}",
                        "procedure_date": c.surgery_date.isoformat(),
                        "procedure": c.procedure,
                        "diagnosis": REDCAP_DIAGNOSIS[c.condition][1],
                        "approach": c.approach,
                        "site": c.site,
                        "timepoint": names[tp],
                        "instrument": name,
                        "score": float(c.scores[m][tp]),
                        "completed_at": (c.surgery_date + dt.timedelta(days=TIMEPOINT_DAYS[tp] + 2)).isoformat() + "T09:30:00",
                    }
                )
    return _csv(rows, columns)


def swespine_style(cases: list[Case]) -> bytes:
    """A Swedish clinic's extract in Swespine's words: VAS 0-100, follow-up at 1 and 2 years, Swedish labels."""
    diagnos = {"Herniated disc": "Diskbråck", "Spinal stenosis": "Spinal stenos", "Nerve root compression": "Foraminal stenos"}
    metod = {"Microscopic": "Mikroskop", "Open": "Öppen", "Full-endoscopic": "Endoskopisk", "Tubular MIS": "MIS"}
    helhet = {1: "Helt försvunnen", 2: "Mycket förbättrad", 3: "Något förbättrad", 4: "Oförändrad", 5: "Försämrad"}
    columns = ["Personnr (pseudonym)", "Op.datum", "Ålder", "Kön", "Diagnos", "Op.metod", "Nivå", "Vårdtid (dagar)",
               "VAS ben preop", "VAS rygg preop", "ODI preop", "EQ-5D preop",
               "VAS ben 1 år", "VAS rygg 1 år", "ODI 1 år", "EQ-5D 1 år", "Helhetsbedömning 1 år", "Nöjd 1 år",
               "VAS ben 2 år", "ODI 2 år"]  # fmt: skip
    rows = []
    for c in cases:
        s = c.scores
        row = {
            "Personnr (pseudonym)": f"SE-{c.case_id}",
            "Op.datum": c.surgery_date.isoformat(),
            "Ålder": c.age,
            "Kön": "Man" if c.sex == "male" else "Kvinna",
            "Diagnos": diagnos[c.condition],
            "Op.metod": metod[c.approach],
            "Nivå": c.level.replace("-", "/"),
            "Vårdtid (dagar)": c.stay_days,
            "VAS ben preop": s["leg"]["pre"] * 10,
            "VAS rygg preop": s["back"]["pre"] * 10,
            "ODI preop": s["odi"]["pre"],
            "EQ-5D preop": s["eq5d"]["pre"],
        }
        if "12m" in s["leg"]:
            row.update(
                {
                    "VAS ben 1 år": s["leg"]["12m"] * 10,
                    "VAS rygg 1 år": s["back"]["12m"] * 10,
                    "ODI 1 år": s["odi"]["12m"],
                    "EQ-5D 1 år": s["eq5d"]["12m"],
                    "Helhetsbedömning 1 år": helhet[min(5, c.satisfaction["12m"] + 1)],
                    "Nöjd 1 år": "Nöjd" if c.satisfaction["12m"] <= 2 else ("Tveksam" if c.satisfaction["12m"] == 3 else "Inte nöjd"),
                }
            )
        if "24m" in s["leg"]:
            row.update({"VAS ben 2 år": s["leg"]["24m"] * 10, "ODI 2 år": s["odi"]["24m"]})
        rows.append(row)
    return b"\xef\xbb\xbf" + _csv(rows, columns, delimiter=";", decimal=",")


def spine_tango_style(cases: list[Case]) -> bytes:
    """A German-speaking clinic's extract in Spine Tango's words: COMI (0-10), German labels, tab-separated."""
    pathologie = {"Herniated disc": "Bandscheibenvorfall", "Spinal stenosis": "Spinalkanalstenose", "Nerve root compression": "Foraminalstenose"}
    zugang = {"Microscopic": "mikroskopisch", "Open": "offen", "Full-endoscopic": "endoskopisch", "Tubular MIS": "MIS"}
    columns = ["Fall-Nr", "OP-Datum", "Alter", "Geschlecht", "Hauptpathologie", "Zugang", "Segment", "Aufenthalt (Tage)",
               "Dauralaesion", "COMI praeop", "COMI 3 Mo", "COMI 12 Mo", "Beinschmerz praeop", "Beinschmerz 12 Mo",
               "Zufriedenheit 12 Mo"]  # fmt: skip
    zufrieden = {1: "sehr zufrieden", 2: "eher zufrieden", 3: "weder noch", 4: "eher unzufrieden", 5: "sehr unzufrieden"}
    rows = []
    for c in cases:
        s = c.scores
        comi = {tp: round(0.5 * s["leg"][tp] + 0.05 * s["odi"][tp], 1) for tp in s["leg"]}
        row = {
            "Fall-Nr": f"T{c.case_id}",
            "OP-Datum": c.surgery_date.strftime("%d.%m.%Y"),
            "Alter": c.age,
            "Geschlecht": "männlich" if c.sex == "male" else "weiblich",
            "Hauptpathologie": pathologie[c.condition],
            "Zugang": zugang[c.approach],
            "Segment": c.level,
            "Aufenthalt (Tage)": c.stay_days,
            "Dauralaesion": "ja" if c.dural_tear else "nein",
            "COMI praeop": comi["pre"],
            "COMI 3 Mo": comi.get("3m"),
            "COMI 12 Mo": comi.get("12m"),
            "Beinschmerz praeop": s["leg"]["pre"],
            "Beinschmerz 12 Mo": s["leg"].get("12m"),
            "Zufriedenheit 12 Mo": zufrieden[c.satisfaction["12m"]] if "12m" in c.satisfaction else None,
        }
        rows.append(row)
    return _csv(rows, columns, delimiter="\t", decimal=",")


def operations_and_followup(cases: list[Case]) -> tuple[bytes, bytes]:
    """An operations file and a follow-up file joined by patient. One patient has two operations.

    Patient of the first two cases is the same person: operated on the right (first case) and again
    ten months later. Their questionnaires carry only a date, so each must go to the operation it
    follows: the 3-month form after the first operation, the pre-op and 3-month forms of the second.
    """
    cases = [Case(**{**c.__dict__}) for c in cases]
    cases[1].patient_id = cases[0].patient_id
    cases[1].surgery_date = cases[0].surgery_date + dt.timedelta(days=300)
    cases[0].scores = {m: {tp: v for tp, v in tps.items() if tp in ("pre", "3m")} for m, tps in cases[0].scores.items()}
    ops_cols = ["Operation no", "Patient no", "Operation date", "Diagnosis", "Approach", "Level", "Surgeon", "Stay (nights)"]
    fu_cols = ["Patient no", "Form date", "Leg pain (0-10)", "Back pain (0-10)", "ODI (%)"]
    ops, fus = [], []
    for c in cases:
        ops.append(
            {
                "Operation no": f"OP{c.case_id}",
                "Patient no": c.patient_id,
                "Operation date": c.surgery_date.strftime("%d/%m/%Y"),
                "Diagnosis": c.condition,
                "Approach": c.approach,
                "Level": c.level,
                "Surgeon": c.surgeon,
                "Stay (nights)": c.stay_days,
            }
        )
        for tp in ("pre", "3m", "12m"):
            if tp not in c.scores["leg"]:
                continue
            fus.append(
                {
                    "Patient no": c.patient_id,
                    "Form date": (c.surgery_date + dt.timedelta(days=TIMEPOINT_DAYS[tp])).strftime("%d/%m/%Y"),
                    "Leg pain (0-10)": c.scores["leg"][tp],
                    "Back pain (0-10)": c.scores["back"][tp],
                    "ODI (%)": c.scores["odi"][tp],
                }
            )
    fus.sort(key=lambda r: (r["Patient no"], dt.datetime.strptime(r["Form date"], "%d/%m/%Y")))
    return _csv(ops, ops_cols), _csv(fus, fu_cols)


def workbook_per_timepoint(cases: list[Case]) -> bytes:
    """An XLSX workbook: an "Operations" sheet, then one sheet per questionnaire time point."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Operations"
    ws.append(["Case", "Date of surgery", "Age", "Sex", "Diagnosis", "Approach", "Level", "LOS (days)"])
    for c in cases:
        ws.append([c.case_id, c.surgery_date, c.age, c.sex, c.condition, c.approach, c.level, c.stay_days])
    for tp, title in (("pre", "Pre-op"), ("3m", "3 months"), ("12m", "12 months"), ("24m", "24 months")):
        sh = wb.create_sheet(title)
        sh.append(["Case", "VAS leg", "VAS back", "ODI"])
        for c in cases:
            if tp in c.scores["leg"]:
                sh.append([c.case_id, c.scores["leg"][tp], c.scores["back"][tp], c.scores["odi"][tp]])
    fixed = dt.datetime(2025, 1, 1)
    wb.properties.created = fixed
    wb.properties.modified = fixed
    buf = io.BytesIO()
    wb.save(buf)
    # openpyxl stamps every zip member with the time of writing: restamp them so the file is byte-stable.
    out = io.BytesIO()
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            stable = zipfile.ZipInfo(info.filename, date_time=(2025, 1, 1, 0, 0, 0))
            stable.compress_type = zipfile.ZIP_DEFLATED
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl writes "modified" as now, whatever was set
                body = re.sub(rb"<dcterms:modified([^>]*)>[^<]*<", rb"<dcterms:modified\1>2025-01-01T00:00:00Z<", body)
            dst.writestr(stable, body)
    return out.getvalue()


def cervical_clinic(cases: list[Case]) -> bytes:
    """An English-language cervical clinic file: ACDF and posterior foraminotomy, NDI and arm pain."""
    columns = ["Case ID", "Surgery date", "Age", "Sex", "Diagnosis", "Procedure", "Approach", "Level",
               "LOS (days)", "NDI pre", "NDI 3m", "NDI 12m", "Arm pain pre", "Arm pain 3m", "Arm pain 12m",
               "Neck pain pre", "Neck pain 12m"]  # fmt: skip
    words = {"Herniated disc": "Cervical disc herniation", "Nerve root compression": "Cervical radiculopathy (foraminal stenosis)", "Spinal stenosis": "Cervical spinal stenosis"}
    rows = []
    for c in cases:
        s = c.scores
        rows.append(
            {
                "Case ID": f"CX{c.case_id}",
                "Surgery date": c.surgery_date.isoformat(),
                "Age": c.age,
                "Sex": "M" if c.sex == "male" else "F",
                "Diagnosis": words[c.condition],
                "Procedure": c.procedure,
                "Approach": c.approach,
                "Level": c.level.split(";")[0],
                "LOS (days)": c.stay_days,
                "NDI pre": s["ndi"]["pre"],
                "NDI 3m": s["ndi"]["3m"],
                "NDI 12m": s["ndi"].get("12m"),
                "Arm pain pre": s["arm"]["pre"],
                "Arm pain 3m": s["arm"]["3m"],
                "Arm pain 12m": s["arm"].get("12m"),
                "Neck pain pre": s["neck"]["pre"],
                "Neck pain 12m": s["neck"].get("12m"),
            }
        )
    return _csv(rows, columns)


def build() -> dict[str, bytes]:
    """Every export file, name -> bytes."""
    lumbar, cervical = lumbar_cases(), cervical_cases()
    ops, fu = operations_and_followup(lumbar)
    return {
        "norspine_lumbar_datadump.csv": norspine_lumbar(lumbar),
        "nkr_cervical_datadump.csv": nkr_cervical(cervical),
        "redcap_longitudinal_raw.csv": redcap_longitudinal(lumbar, labels=False),
        "redcap_longitudinal_labels.csv": redcap_longitudinal(lumbar, labels=True),
        "redcap_classic_repeating.csv": redcap_classic(lumbar),
        "prom_tidy_export.csv": prom_tidy(lumbar),
        "swespine_style_clinic.csv": swespine_style(lumbar),
        "spine_tango_style_clinic.tsv": spine_tango_style(lumbar),
        "operations.csv": ops,
        "followup.csv": fu,
        "workbook_per_timepoint.xlsx": workbook_per_timepoint(lumbar),
        "cervical_clinic.csv": cervical_clinic(cervical),
    }


if __name__ == "__main__":
    for name, data in build().items():
        (HERE / name).write_bytes(data)
        print(f"{name}: {len(data):,} bytes")
