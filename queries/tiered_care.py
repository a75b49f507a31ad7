"""就诊与分级诊疗: where residents are treated, at which level, at what cost, and how far from home.

Each function answers one panel of the visits page for a view state; every number comes from a registry KPI.
The ICD-10 chapter chosen on the page (``state.chapter``) narrows every visit KPI of the page.
"""

from __future__ import annotations

from dashboard.state import ViewState
from queries.panels import PanelData, kpi_trends, members, page_selection, panel, values
from queries.views import city_filters

CARD_KPIS = (
    "primary_care_visit_share",
    "in_county_visit_rate",
    "visits_per_capita",
    "visit_count",
    "avg_outpatient_cost",
)
SHARE_KPIS = ("primary_care_visit_share", "in_county_visit_rate")
TYPES_SHOWN = ("home", "online")


def page_filters(state: ViewState) -> tuple[tuple[str, str], ...]:
    return (("icd_chapter", state.chapter),) if state.chapter else ()


def _sel(database_url: str, state: ViewState):
    return page_selection(database_url, state, page_filters(state))


def visits_by_level(database_url: str, state: ViewState) -> PanelData:
    """诊疗人次 by institution level and month."""

    def compute():
        sel = _sel(database_url, state)
        return PanelData(values(database_url, "visit_count", sel.filters, ("level",), "month"))

    return panel("visits.by_level", database_url, state, compute)


def share_trends(database_url: str, state: ViewState) -> PanelData:
    """基层就诊率 and 县域就诊率 by month against their targets, with a trend test each."""

    return panel(
        "visits.shares",
        database_url,
        state,
        lambda: kpi_trends(database_url, _sel(database_url, state), SHARE_KPIS),
    )


def cost_by_level(database_url: str, state: ViewState) -> PanelData:
    """次均门急诊费用 by institution level, with the interval of the mean."""

    def compute():
        sel = _sel(database_url, state)
        return PanelData(values(database_url, "avg_outpatient_cost", sel.filters, ("level",)))

    return panel("visits.cost_by_level", database_url, state, compute)


def visit_types(database_url: str, state: ViewState) -> PanelData:
    """Home and online visits by month (counts), and each type's share of all visits over the period."""

    def compute():
        sel = _sel(database_url, state)
        frame = values(database_url, "visit_count", sel.filters, ("visit_type",), "month")
        return PanelData(frame[frame["visit_type"].isin(TYPES_SHOWN)].reset_index(drop=True))

    return panel("visits.types", database_url, state, compute)


def residence_flows(database_url: str, state: ViewState) -> PanelData:
    """Visits of each district's residents by the district where they were treated (counts and row shares).

    Residents are those of the selected district (if any); the place of care is not filtered, so visits
    leaving the district stay in view.
    """

    def compute():
        sel = _sel(database_url, state)
        filters = city_filters(sel.filters)
        if state.district:
            filters = filters.replace(residence_district=(state.district,))
        frame = values(database_url, "visit_count", filters, ("residence_district", "district"))
        totals = frame.groupby("res_district")["value"].transform("sum")
        frame = frame.assign(share=frame["value"] / totals)
        return PanelData(frame)

    return panel("visits.flows", database_url, state, compute)


def member_visits(database_url: str, state: ViewState) -> PanelData:
    """诊疗人次 of the selection's member units (one drill level down), for drilling in."""
    return panel(
        "visits.members",
        database_url,
        state,
        lambda: members(database_url, _sel(database_url, state), "visit_count"),
    )


def diagnoses(database_url: str, state: ViewState) -> PanelData:
    """诊疗人次 by ICD-10 chapter, or by category within the chosen chapter."""

    def compute():
        sel = _sel(database_url, state)
        by = "icd_category" if state.chapter else "icd_chapter"
        frame = values(database_url, "visit_count", sel.filters, (by,))
        frame = frame.sort_values("value", ascending=False, na_position="last").reset_index(drop=True)
        return PanelData(frame, {"level": by, "chapter": state.chapter})

    return panel("visits.diagnoses", database_url, state, compute)
