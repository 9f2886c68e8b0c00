"""Build tests/data/cervical_clinic.csv: a small invented cervical clinic export (not evidence, not real patients).

40 operated cases at C4-C7, in the clinic's own headers: NDI, neck and arm pain, EQ-5D, mJOA for
the myelopathy cases, anterior (ACDF) and posterior (foraminotomy) operations. Deterministic:

    python3 tests/data/make_cervical.py
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

PATH = Path(__file__).with_name("cervical_clinic.csv")
HEADER = [
    "Patient ID", "Date of surgery", "Age", "Sex", "Diagnosis", "Approach", "Technique", "Procedure", "Level",
    "LOS (hours)", "NDI pre-op", "NDI 3 months", "NDI 12 months", "Neck pain pre-op", "Neck pain 12 months",
    "Arm pain pre-op", "Arm pain 12 months", "EQ-5D pre-op", "EQ-5D 12 months", "mJOA pre-op", "mJOA 12 months",
]


def rows(n: int = 40, seed: int = 15) -> list[list[str]]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        posterior = i % 3 == 0
        myelopathy = i % 4 == 1
        approach, technique, procedure = (
            ("Microscopic", "Microscope", "Posterior foraminotomy") if posterior else ("Open", "Loupes", "ACDF")
        )
        diagnosis = "Spinal stenosis" if myelopathy else "Herniated disc"
        level = ["C4-C5", "C5-C6", "C6-C7"][i % 3]
        ndi_pre = rng.integers(30, 60)
        neck_pre, arm_pre = rng.integers(4, 9), rng.integers(5, 10)
        eq_pre = round(float(rng.uniform(0.2, 0.6)), 2)
        follow = i < 32  # the last eight have not reached 12 months
        row = [
            f"CX{i + 1:03d}", f"2024-{1 + i % 12:02d}-{1 + i % 27:02d}", str(rng.integers(35, 75)), ["F", "M"][i % 2],
            diagnosis, approach, technique, procedure, level, str(rng.integers(20, 60)),
            str(ndi_pre), str(ndi_pre - rng.integers(5, 20)), str(ndi_pre - rng.integers(10, 30)) if follow else "",
            str(neck_pre), str(max(0, neck_pre - rng.integers(1, 5))) if follow else "",
            str(arm_pre), str(max(0, arm_pre - rng.integers(2, 7))) if follow else "",
            f"{eq_pre:.2f}", f"{min(1.0, eq_pre + float(rng.uniform(0.05, 0.4))):.2f}" if follow else "",
            str(rng.integers(10, 15)) if myelopathy else "", str(rng.integers(13, 18)) if myelopathy and follow else "",
        ]
        out.append(row)
    return out


def write(path: Path = PATH) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(HEADER)
        w.writerows(rows())


if __name__ == "__main__":
    write()
    print(f"wrote {PATH}")
