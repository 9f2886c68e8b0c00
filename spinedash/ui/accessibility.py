"""Theme fixes for WCAG 2.1 AA that Streamlit's theme options cannot express.

Streamlit draws st.caption in the text colour with `opacity: 0.6`: #767d83 on white (4.17:1) and
#717981 on the sidebar's #f2f5f8 (4.03:1), both under the 4.5:1 AA minimum for small text, and the
theme has no option for it. #5c6670 keeps captions visibly quieter than body text (#1b2631) while
reaching 5.85:1 on white, 5.35:1 on the sidebar and about 5:1 on the light blue of an st.info box.
tests/e2e/test_accessibility.py runs axe-core on every page to hold this.
"""

from __future__ import annotations

import streamlit as st

CAPTION_COLOUR = "#5c6670"

# Sent as an element of the page, not as style-only HTML: Streamlit puts style-only st.html in its
# event container, which a browser opening a page as its first visit after a server start never
# shows, leaving the captions faded on that page. The marker span lets the element hide its own
# container (a hidden container takes no gap); a <style> applies wherever it sits.
_CSS = f"""<style>
[data-testid="stCaptionContainer"] {{ opacity: 1; color: {CAPTION_COLOUR}; }}
[data-testid="stElementContainer"]:has(.spinedash-a11y-css) {{ display: none; }}
</style><span class="spinedash-a11y-css"></span>"""


def accessibility_style() -> None:
    """The CSS above, once per run (app.py calls it before the page; its container is hidden)."""
    st.html(_CSS)
