"""Downloads: the template CSV and the data dictionary, with the header spellings the reader accepts."""

from __future__ import annotations

import pandas as pd

from spinedash import schema
from spinedash.ingest.map import header_aliases

# Three illustrative cases (not evidence): a day-case endoscopic discectomy, a tubular decompression,
# an open fusion. Stay 3.2 h echoes PELD day surgery (Medicine 2019); the rest is ASSUMPTION.
_TEMPLATE_ROWS = [
    {"case_id": "C00001", "surgery_date": "2024-03-18", "age": "46", "sex": "female", "condition": "Herniated disc",
     "approach": "Full-endoscopic", "procedure": "Discectomy", "spinal_level": "L5-S1", "surgeon": "Surgeon A", "site": "North",
     "operation_minutes": "55", "blood_loss_ml": "10", "anesthesia": "local with sedation", "length_of_stay_hours": "3.2",
     "return_to_activities_days": "7", "return_to_work_days": "21", "employed_before_surgery": "yes", "last_followup_days": "365",
     "vas_leg_pre": "7", "vas_leg_2w": "2", "vas_leg_6w": "2", "vas_leg_3m": "1", "vas_leg_6m": "1", "vas_leg_12m": "1",
     "vas_back_pre": "5", "vas_back_2w": "3", "vas_back_6w": "2", "vas_back_3m": "2", "vas_back_6m": "2", "vas_back_12m": "2",
     "odi_pre": "44", "odi_6w": "20", "odi_3m": "14", "odi_12m": "10",
     "complication": "none", "reoperation_12m": "no", "recurrence_12m": "no", "satisfied_12m": "yes"},
    {"case_id": "C00002", "surgery_date": "2024-04-02", "age": "68", "sex": "male", "condition": "Spinal stenosis",
     "approach": "Tubular MIS", "procedure": "Decompression", "spinal_level": "L4-L5", "surgeon": "Surgeon B", "site": "North",
     "operation_minutes": "85", "blood_loss_ml": "40", "anesthesia": "general", "length_of_stay_hours": "26",
     "return_to_activities_days": "14", "return_to_work_days": "", "employed_before_surgery": "no", "last_followup_days": "365",
     "vas_leg_pre": "6", "vas_leg_2w": "3", "vas_leg_6w": "3", "vas_leg_3m": "2", "vas_leg_6m": "", "vas_leg_12m": "2",
     "vas_back_pre": "6", "vas_back_2w": "4", "vas_back_6w": "3", "vas_back_3m": "3", "vas_back_6m": "", "vas_back_12m": "3",
     "odi_pre": "42", "odi_6w": "30", "odi_3m": "26", "odi_12m": "24",
     "complication": "dural tear", "reoperation_12m": "no", "recurrence_12m": "no", "satisfied_12m": "yes"},
    {"case_id": "C00003", "surgery_date": "2024-05-21", "age": "59", "sex": "female", "condition": "Instability / spondylolisthesis",
     "approach": "Open", "procedure": "Fusion", "spinal_level": "L4-L5", "surgeon": "Surgeon A", "site": "South",
     "operation_minutes": "180", "blood_loss_ml": "350", "anesthesia": "general", "length_of_stay_hours": "96",
     "return_to_activities_days": "42", "return_to_work_days": "90", "employed_before_surgery": "yes", "last_followup_days": "200",
     "vas_leg_pre": "6", "vas_leg_2w": "4", "vas_leg_6w": "3", "vas_leg_3m": "3", "vas_leg_6m": "2", "vas_leg_12m": "",
     "vas_back_pre": "7", "vas_back_2w": "5", "vas_back_6w": "4", "vas_back_3m": "3", "vas_back_6m": "3", "vas_back_12m": "",
     "odi_pre": "48", "odi_6w": "38", "odi_3m": "30", "odi_12m": "",
     "complication": "none", "reoperation_12m": "no", "recurrence_12m": "", "satisfied_12m": ""},
]


def template_csv() -> bytes:
    """A CSV with every canonical column and three example rows (UTF-8 with BOM so Excel shows ø and –)."""
    frame = pd.DataFrame(_TEMPLATE_ROWS, columns=list(schema.CANONICAL_COLUMNS))
    return frame.to_csv(index=False).encode("utf-8-sig")


def data_dictionary_table() -> pd.DataFrame:
    """The data dictionary with a column of header spellings the reader also accepts."""
    table = schema.data_dictionary()
    table["also accepted as"] = [", ".join(header_aliases(c)) for c in table["column"]]
    return table


def data_dictionary_csv() -> bytes:
    """The data dictionary as CSV bytes for download."""
    return data_dictionary_table().to_csv(index=False).encode("utf-8-sig")

