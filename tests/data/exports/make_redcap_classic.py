"""Write the classic (non-longitudinal) REDCap exports in tests/data/exports/ (run this file to rebuild).

A small spine clinic's REDCap project without events, exported three times as REDCap writes it: raw
(`redcap_classic_raw.csv`: variable names as headers, choice codes as values), labels
(`redcap_classic_labels.csv`, the "CSV (labels)" download: field labels as headers, choice labels as
values, "Checked"/"Unchecked", "Complete"/"Incomplete"/"Unverified"), and the API's label export with
its default raw headers (`redcap_classic_labels_raw_headers.csv`: variable names as headers, label values). Both are rendered from one data dictionary (`DICTIONARY`, in
REDCap's data-dictionary columns) and one list of synthetic cases, so a test can compare what the
import makes of a file with the truth it was written from. All patients are invented.

The project: a non-repeating form `baseline` (case details, the operation, the questionnaire before
surgery) and a repeating form `follow_up` (one instance per visit: 6 weeks, 3, 12 and 24 months, the
visit in the dropdown `fu_timepoint`), with VAS leg/back pain and ODI for lumbar cases and VAS
arm/neck pain and NDI for cervical ones. Field names and choice codes are **assumed**: REDCap has no
standard spine project.

How REDCap lays a classic export out, from public sources:
- OuhscBbmc/REDCapR `inst/test-data/projects/repeating-instruments/data.csv` (and `…-sparse/`):
  first columns `record_id,redcap_repeat_instrument,redcap_repeat_instance`; the record's own row
  has both repeat columns empty and only the non-repeating forms' fields; each instance of a
  repeating form is a row with the form's name and instance number and only that form's fields;
  `<form>_complete` after each form's fields; its `dictionary.csv`: choices as "0, Female | 1, Male".
- REDCapR `inst/test-data/projects/dag/data.csv`: `redcap_data_access_group` (the group's unique
  name) right after the record id columns; `…/checkboxes-1/data.csv`: a checkbox is one column per
  choice, `field___code`, 0/1.
- REDCapR `inst/test-data/specific-redcapr/read-batch-simple/label.R`: the label export writes choice
  labels ("Female"), "Checked"/"Unchecked" and "Complete"/"Incomplete"/"Unverified";
  `label-header.R`: with label headers a field's column is its label ("Study ID", "Age (years)"),
  every form-status column is "Complete?", a checkbox column is "<label> (choice=<choice label>)".
- redcap-tools/PyCap `redcap/methods/records.py` (`export_records`: `raw_or_label`,
  `raw_or_label_headers`, `export_data_access_groups`, `export_checkbox_labels`, and its label
  example `record_id,redcap_event_name,…,checkbox_field___1` → `Unchecked`).
- Assumed (not in those sources): the label headers of the three REDCap columns, "Repeat
  Instrument", "Repeat Instance", "Data Access Group", and the repeat-instrument cell holding the
  form's label ("Follow-up") in the label export, as REDCap's own "CSV (labels)" download writes them;
  the data access group on every row of the record, instance rows too.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
from pathlib import Path

from tests.data.exports.make_exports import TIMEPOINT_DAYS, Case, cervical_cases, lumbar_cases

HERE = Path(__file__).resolve().parent

# The project's data dictionary (REDCap's columns: variable, form, field type, field label, choices).
# Choices are REDCap's "code, label | code, label" strings.
DICTIONARY: list[tuple[str, str, str, str, str]] = [
    ("record_id", "baseline", "text", "Record ID", ""),
    ("surgery_date", "baseline", "text", "Date of surgery", ""),
    ("age", "baseline", "text", "Age at surgery (years)", ""),
    ("sex", "baseline", "radio", "Sex", "1, Male | 2, Female"),
    ("diagnosis", "baseline", "dropdown", "Main diagnosis",
     "1, Lumbar disc herniation | 2, Lumbar spinal stenosis | 3, Cervical disc herniation | "
     "4, Cervical foraminal stenosis | 5, Cervical spinal stenosis"),
    ("procedure", "baseline", "dropdown", "Procedure",
     "1, Discectomy | 2, Decompression | 3, Laminectomy | 4, ACDF | 5, Posterior foraminotomy"),
    ("approach", "baseline", "dropdown", "Approach", "1, Full-endoscopic | 2, Microscopic | 3, Tubular MIS | 4, Open"),
    ("level", "baseline", "checkbox", "Operated level(s)", "1, C4-C5 | 2, C5-C6 | 3, C6-C7 | 4, L3-L4 | 5, L4-L5 | 6, L5-S1"),
    ("op_time", "baseline", "text", "Operation time (minutes)", ""),
    ("los_days", "baseline", "text", "Length of stay (days)", ""),
    ("complication", "baseline", "dropdown", "Complication during the stay", "0, None | 1, Dural tear | 2, Wound infection | 3, Other"),
    ("vas_leg_pre", "baseline", "slider", "Leg pain before surgery (VAS 0-10)", ""),
    ("vas_back_pre", "baseline", "slider", "Back pain before surgery (VAS 0-10)", ""),
    ("odi_pre", "baseline", "calc", "ODI before surgery (%)", ""),
    ("vas_arm_pre", "baseline", "slider", "Arm pain before surgery (VAS 0-10)", ""),
    ("vas_neck_pre", "baseline", "slider", "Neck pain before surgery (VAS 0-10)", ""),
    ("ndi_pre", "baseline", "calc", "NDI before surgery (%)", ""),
    ("fu_timepoint", "follow_up", "dropdown", "Follow-up time point", "1, 6 weeks | 2, 3 months | 3, 12 months | 4, 24 months"),
    ("fu_date", "follow_up", "text", "Date completed", ""),
    ("vas_leg", "follow_up", "slider", "Leg pain (VAS 0-10)", ""),
    ("vas_back", "follow_up", "slider", "Back pain (VAS 0-10)", ""),
    ("odi", "follow_up", "calc", "ODI (%)", ""),
    ("vas_arm", "follow_up", "slider", "Arm pain (VAS 0-10)", ""),
    ("vas_neck", "follow_up", "slider", "Neck pain (VAS 0-10)", ""),
    ("ndi", "follow_up", "calc", "NDI (%)", ""),
    ("satisfaction", "follow_up", "radio", "How satisfied are you with the result of the operation?",
     "1, Very satisfied | 2, Satisfied | 3, Neither satisfied nor dissatisfied | 4, Dissatisfied | 5, Very dissatisfied"),
]
FORMS = {"baseline": "Baseline", "follow_up": "Follow-up"}  # form name -> form label
REPEATING = "follow_up"
DAGS = {"Haukeland": "haukeland", "Tromsø": "tromso", "St. Olavs": "st_olavs", "Ullevål": "ulleval"}  # site -> unique group name
STATUS = {0: "Incomplete", 1: "Unverified", 2: "Complete"}
FOLLOW_UPS = ("6w", "3m", "12m", "24m")


def choices(variable: str) -> dict[str, str]:
    """The field's choice codes -> labels, parsed from the dictionary's "1, Male | 2, Female"."""
    text = next(d[4] for d in DICTIONARY if d[0] == variable)
    return dict((p.split(",", 1)[0].strip(), p.split(",", 1)[1].strip()) for p in text.split("|"))


def code_of(variable: str, label: str) -> str:
    return next(code for code, lab in choices(variable).items() if lab == label)


def clinic_cases() -> list[Case]:
    """Ten lumbar and six cervical cases of the shared synthetic lists, each with a 6-week visit added
    (half-way between before surgery and 3 months, rounded down)."""
    out = []
    for c in copy.deepcopy(lumbar_cases()[:10] + cervical_cases()[:6]):
        for key, by_tp in c.scores.items():
            if key != "eq5d":
                by_tp["6w"] = (by_tp["pre"] + by_tp["3m"]) // 2
        out.append(c)
    return out


_DIAGNOSIS = {("lumbar", "Herniated disc"): "Lumbar disc herniation", ("lumbar", "Spinal stenosis"): "Lumbar spinal stenosis",
              ("cervical", "Herniated disc"): "Cervical disc herniation", ("cervical", "Nerve root compression"): "Cervical foraminal stenosis",
              ("cervical", "Spinal stenosis"): "Cervical spinal stenosis"}  # fmt: skip
# the case's score keys -> the project's field (lumbar: leg, back, odi; cervical: arm, neck, ndi)
_FIELDS = {"leg": "vas_leg", "back": "vas_back", "odi": "odi", "arm": "vas_arm", "neck": "vas_neck", "ndi": "ndi"}


def region(c: Case) -> str:
    return "cervical" if c.level.startswith("C") else "lumbar"


def _columns(labels: bool) -> list[str]:
    """Header row in REDCap's order: record id, repeat columns, DAG, then each form's fields and its status."""
    heads = ["record_id", "redcap_repeat_instrument", "redcap_repeat_instance", "redcap_data_access_group"]
    if labels:
        heads = ["Record ID", "Repeat Instrument", "Repeat Instance", "Data Access Group"]
    for form in FORMS:
        for variable, f, kind, label, _ in DICTIONARY[1:]:
            if f != form:
                continue
            if kind == "checkbox":
                heads += [f"{label} (choice={lab})" if labels else f"{variable}___{code}" for code, lab in choices(variable).items()]
            else:
                heads.append(label if labels else variable)
        heads.append("Complete?" if labels else f"{form}_complete")
    return heads


def rows(cases: list[Case], labels: bool) -> list[list[str]]:
    """The export's rows (record row, then its follow-up instances), each a list of cells in header order."""
    raw_heads = _columns(False)
    out = []

    def cell(variable: str, label_value: str) -> str:
        return label_value if labels else code_of(variable, label_value)

    for c in cases:
        dag = DAGS[c.site]
        row = {"record_id": c.case_id, "redcap_data_access_group": dag, "surgery_date": c.surgery_date.isoformat(),
               "age": str(c.age), "sex": cell("sex", c.sex.capitalize()),
               "diagnosis": cell("diagnosis", _DIAGNOSIS[region(c), c.condition]), "procedure": cell("procedure", c.procedure),
               "approach": cell("approach", c.approach), "op_time": str(c.minutes), "los_days": str(c.stay_days),
               "complication": cell("complication", "Dural tear" if c.dural_tear else "None"),
               "baseline_complete": STATUS[2] if labels else "2"}  # fmt: skip
        ticked = set(c.level.split(";"))
        for code, lab in choices("level").items():
            row[f"level___{code}"] = ("Checked" if lab in ticked else "Unchecked") if labels else str(int(lab in ticked))
        for key, by_tp in c.scores.items():
            if key in _FIELDS:
                row[f"{_FIELDS[key]}_pre"] = f"{by_tp['pre']:g}"
        out.append([row.get(h, "") for h in raw_heads])
        instance = 0
        for tp in FOLLOW_UPS:
            if tp not in next(iter(c.scores.values())):
                continue
            instance += 1
            # the 24-month forms are saved but not yet marked complete (Unverified, status 1)
            visit = {"record_id": c.case_id, "redcap_repeat_instrument": FORMS[REPEATING] if labels else REPEATING,
                     "redcap_repeat_instance": str(instance), "redcap_data_access_group": dag,
                     "fu_timepoint": cell("fu_timepoint", {"6w": "6 weeks", "3m": "3 months", "12m": "12 months", "24m": "24 months"}[tp]),
                     "fu_date": (c.surgery_date + dt.timedelta(days=TIMEPOINT_DAYS[tp])).isoformat(),
                     "follow_up_complete": (STATUS[1] if labels else "1") if tp == "24m" else (STATUS[2] if labels else "2")}  # fmt: skip
            for key, by_tp in c.scores.items():
                if key in _FIELDS and tp in by_tp:
                    visit[_FIELDS[key]] = f"{by_tp[tp]:g}"
            if tp in c.satisfaction:
                visit["satisfaction"] = cell("satisfaction", choices("satisfaction")[str(c.satisfaction[tp])])
            out.append([visit.get(h, "") for h in raw_heads])
    return out


def export(cases: list[Case], labels: bool, label_headers: bool | None = None) -> bytes:
    """The CSV as REDCap writes it: comma-separated, UTF-8, "\\n" line ends, quotes only where needed.

    `label_headers` defaults to `labels` (REDCap's "CSV (labels)" download); labels=True with
    label_headers=False is the API's label export with its default raw headers (PyCap
    `export_records(raw_or_label="label")`, `raw_or_label_headers="raw"`).
    """
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(_columns(labels if label_headers is None else label_headers))
    w.writerows(rows(cases, labels))
    return buf.getvalue().encode("utf-8")


def build() -> dict[str, bytes]:
    cases = clinic_cases()
    return {"redcap_classic_raw.csv": export(cases, False), "redcap_classic_labels.csv": export(cases, True),
            "redcap_classic_labels_raw_headers.csv": export(cases, True, label_headers=False)}


if __name__ == "__main__":
    for name, data in build().items():
        (HERE / name).write_bytes(data)
        print(f"{name}: {len(data):,} bytes")
