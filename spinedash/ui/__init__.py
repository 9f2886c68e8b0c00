"""The one place SpineDash talks to Streamlit: cached loaders and the widgets every page shares.

Nothing else under spinedash/ imports streamlit; pages call these helpers and the pure core.
"""

from spinedash.ui.common import DISCLAIMER, disclaimer, ensure_app_router, synthetic_notice

__all__ = ["DISCLAIMER", "disclaimer", "ensure_app_router", "synthetic_notice"]
