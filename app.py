"""SpineDash router: the pages, the shared sidebar, nothing else."""

from pathlib import Path

import streamlit as st

from spinedash.ui.accessibility import accessibility_style
from spinedash.ui.data_source import show_data_source_in_sidebar
from spinedash.ui.demo import demo_banner
from spinedash.ui.errors import apology_on_error
from spinedash.ui.layout import page_style

# A bundled icon: a Material icon as page_icon makes every browser fetch it from Google's font
# servers, and SpineDash must work offline without calling out.
st.set_page_config(page_title="SpineDash", page_icon=str(Path(__file__).parent / "data" / "icon.png"), layout="wide")

pages = {
    "SpineDash": [
        st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
        st.Page("pages/procedures.py", title="Procedures", icon=":material/menu_book:"),
    ],
    "Outcomes": [
        st.Page("pages/recovery.py", title="Recovery", icon=":material/directions_walk:"),
        st.Page("pages/pain.py", title="Patient-reported outcomes", icon=":material/healing:"),
        st.Page("pages/compare.py", title="Compare", icon=":material/compare_arrows:"),
        st.Page("pages/benchmarking.py", title="Benchmarking", icon=":material/scatter_plot:"),
    ],
    "Your data": [
        st.Page("pages/data.py", title="Data", icon=":material/upload_file:"),
        st.Page("pages/export.py", title="Report and export", icon=":material/ios_share:"),
    ],
}

navigation = st.navigation(pages)
# An unexpected error anywhere below shows an apology and a way back, never a traceback; the
# details go to the server log without any data (spinedash.ui.errors).
with apology_on_error(navigation.title):
    with st.sidebar:
        st.caption("SpineDash · outcomes review for spine surgery")
        show_data_source_in_sidebar()
    page_style()  # wrapping rows for tablets; see spinedash/ui/layout.py
    accessibility_style()  # caption contrast; see spinedash/ui/accessibility.py
    demo_banner()
    navigation.run()
