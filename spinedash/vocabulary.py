"""The shared words of SpineDash: approach and condition names, their order and their colours.

The knowledge base (data/knowledge/) is the source of truth for what these names mean; this module
fixes their display order and colours so every chart and table in the app agrees. A test checks
the two never drift apart.
"""

from __future__ import annotations

# Least to most invasive: the order the seeds draw the contrast in.
APPROACHES: tuple[str, ...] = ("Full-endoscopic", "Tubular MIS", "Microscopic", "Open")

# The approaches the app counts as minimally invasive. Microscopic surgery is included because the
# Microscopic Spine Surgery document calls it "minimally invasive spine surgery"; open is the contrast.
MINIMALLY_INVASIVE: frozenset[str] = frozenset({"Full-endoscopic", "Tubular MIS", "Microscopic"})
OPEN_APPROACH = "Open"

CONDITIONS: tuple[str, ...] = (
    "Herniated disc",
    "Spinal stenosis",
    "Nerve root compression",
    "Degenerative disc disease",
    "Scoliosis / deformity",
    "Instability / spondylolisthesis",
    "Spinal tumour",
    "Spinal infection",
    "Back pain of unclear cause",
)

# Okabe–Ito palette: distinguishable with the common colour-vision deficiencies. One colour per
# approach everywhere in the app. Its orange (#E69F00, 2.25:1 on white) and reddish purple
# (#CC79A7, 3.06:1) are darkened in lightness only, hue kept, to pass WCAG 2.1's 3:1 for graphics
# with a margin; tests/test_charts.py checks every approach colour against white.
APPROACH_COLOURS: dict[str, str] = {
    "Full-endoscopic": "#0072B2",  # blue, 5.19:1
    "Tubular MIS": "#BB8100",  # orange (Okabe–Ito #E69F00 darkened), 3.36:1
    "Microscopic": "#009E73",  # bluish green, 3.42:1
    "Open": "#C870A1",  # reddish purple (Okabe–Ito #CC79A7 darkened), 3.34:1
}
# Any approach found in data but not in the list above (should not happen after ingest) is grey.
OTHER_COLOUR = "#7f7f7f"
