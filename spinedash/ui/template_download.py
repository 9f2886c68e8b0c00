"""The Data page's template and data dictionary downloads, one spine region at a time (lumbar, cervical)."""

from __future__ import annotations

import streamlit as st

from spinedash.catalogue import load_catalogue
from spinedash.ingest import data_dictionary_csv, template_csv, template_regions
from spinedash.ingest.template import DEFAULT_REGION, template_measures, template_note


def _help(regions: list[str]) -> str:
    measures = load_catalogue().measures
    each = "; ".join(f"{r}: {', '.join(measures[m].label for m in template_measures(r))}" for r in regions)
    return (f"The template's scores, from the measure catalogue — {each}. Each at every time point from before "
            "surgery to 24 months, with three invented example rows to overwrite.")


def show_template_downloads() -> str:
    """A region choice and the two download buttons for it; returns the region chosen."""
    regions = list(template_regions())
    region = st.segmented_control(
        "Template for", regions, default=DEFAULT_REGION, key="template_region", required=True,
        format_func=str.capitalize,
        help=_help(regions),
    ) or DEFAULT_REGION
    # A wrapping row, not two columns: at tablet width a half column cut "Download the data dictionar…".
    row = st.container(horizontal=True)
    row.download_button("Download the template (CSV)", template_csv(region), f"spinedash_template_{region}.csv", "text/csv",
                        key="download_template", icon=":material/download:")
    row.download_button("Download the data dictionary (CSV)", data_dictionary_csv(region),
                        f"spinedash_data_dictionary_{region}.csv", "text/csv", key="download_dictionary",
                        icon=":material/download:")
    st.caption(template_note(region))
    return region
