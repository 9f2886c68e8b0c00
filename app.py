"""SpineDash router: the pages, the shared sidebar, nothing else."""

import streamlit as st

st.set_page_config(page_title="SpineDash", page_icon=":material/monitor_heart:", layout="wide")

pages = {
    "SpineDash": [
        st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
        st.Page("pages/procedures.py", title="Procedures", icon=":material/menu_book:"),
    ],
}

navigation = st.navigation(pages)
with st.sidebar:
    st.caption("SpineDash · outcomes review for spine surgery")
navigation.run()
