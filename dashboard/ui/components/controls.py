"""Options of the pickers a page has besides the filter bar."""

from __future__ import annotations

import dash_bootstrap_components as dbc

from dashboard.ui.words import pick, t


def kpi_options(kpis, lang: str) -> list[dict]:
    """A KPI picker's options: each KPI of the registry named in ``lang``."""
    return [{"label": pick(kpi, lang), "value": kpi.id} for kpi in kpis]


def radio(component_id: str, choices: tuple[tuple[str, str], ...], value: str, lang: str) -> dbc.RadioItems:
    """A row of radio buttons: (value, catalogue key of its label) pairs."""
    return dbc.RadioItems(
        id=component_id,
        options=[{"label": t(key, lang), "value": choice} for choice, key in choices],
        value=value,
        inline=True,
        className="small",
    )


def compare_radio(component_id: str, state, lang: str) -> dbc.RadioItems:
    """The view's comparator: the city, the parent, or the units' peers (``compare`` in the URL)."""
    choices = (("city", "compare_city"), ("parent", "compare_parent"), ("peer", "compare_peer"))
    return radio(component_id, choices, state.compare or "city", lang)


def limits_radio(component_id: str, state, lang: str) -> dbc.RadioItems:
    """The funnels' control limits: widened for overdispersion (the default) or plain (``limits``)."""
    choices = (
        ("overdispersed", "limits_choice_overdispersed"),
        ("plain", "limits_choice_plain"),
    )
    return radio(component_id, choices, state.limits, lang)
