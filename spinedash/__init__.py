"""SpineDash: spine-surgery procedure knowledge beside recovery and pain outcomes.

The library is plain Python, pandas and Altair; only `spinedash.ui` imports Streamlit.
"""

__version__ = "0.1.0"
