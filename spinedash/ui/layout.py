"""Page layout that reads at laptop (1366×768) and tablet (820×1180) widths.

Streamlit's st.columns only stack below 640 px of window, so on a tablet with the sidebar open two
charts side by side were drawn ~236 px wide each beside legends taking half of that. Rows here are
horizontal containers whose cells wrap onto the next line once they would fall below a readable
width: the decision follows the space the page really has (sidebar open or not), not the window.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

CHART_ROW_KEY = "chartrow"
CARD_ROW_KEY = "cardrow"
# Narrowest a chart cell may be before it wraps under its neighbour (a 26rem chart keeps a legend
# below it and five quarter labels readable); narrowest a headline card may be.
CHART_MIN_REM = 26
CARD_MIN_REM = 13

_CSS = f"""
<style>
/* Chart rows: each cell grows to share the row, and wraps below {CHART_MIN_REM}rem. */
[class*="st-key-{CHART_ROW_KEY}"] > [data-testid="stLayoutWrapper"] {{
  flex: 1 1 {CHART_MIN_REM}rem; min-width: min({CHART_MIN_REM}rem, 100%);
}}
/* Headline cards: same width within a row, same height, wrapping below {CARD_MIN_REM}rem. */
[class*="st-key-{CARD_ROW_KEY}"] {{ align-items: stretch; }}
[class*="st-key-{CARD_ROW_KEY}"] > [data-testid="stLayoutWrapper"] {{
  flex: 1 1 {CARD_MIN_REM}rem; min-width: min({CARD_MIN_REM}rem, 100%);
}}
[class*="st-key-{CARD_ROW_KEY}"] > [data-testid="stLayoutWrapper"] > div {{ height: 100%; }}
/* A card's label and value wrap instead of being cut ("6,824…", "suppressed (n < 5)"). */
[class*="st-key-{CARD_ROW_KEY}"] [data-testid="stMetric"] p,
[class*="st-key-{CARD_ROW_KEY}"] [data-testid="stMetric"] .stMarkdownEllipsis {{
  white-space: normal; overflow: visible; text-overflow: clip; overflow-wrap: anywhere;
}}
[class*="st-key-{CARD_ROW_KEY}"] [data-testid="stMetricValue"] {{ font-size: 1.9rem; line-height: 1.2; }}
</style>
"""


def page_style() -> None:
    """The layout rules above, once per run (app.py calls it before the page)."""
    st.html(_CSS)


def chart_row(name: str, n: int = 2) -> Sequence:
    """`n` side-by-side cells for charts that stack when the page is too narrow for them side by side."""
    row = st.container(horizontal=True, key=f"{CHART_ROW_KEY}_{name}", gap="medium")
    return [row.container(key=f"chartcell_{name}_{i}") for i in range(n)]


def card_row(name: str):
    """A wrapping row for headline cards: add `card(...)` containers to it."""
    return st.container(horizontal=True, key=f"{CARD_ROW_KEY}_{name}", gap="small")
