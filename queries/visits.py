"""就诊与分级诊疗: where residents are treated, at which level, at what cost, and how far from home.

Each function answers one panel of the visits page for a view; every number comes from a registry KPI.
The ICD-10 chapter chosen on the page (``state.chapter``) narrows every visit KPI of the page.
"""

from __future__ import annotations

from dashboard.core.state import ViewState
from queries.kpi.catalog import get_catalog
from queries.panels import PanelData, cards, kpi_trends, members, panel, values
from queries.selection import Selection, View, city_filters, selection

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


def _sel(view: View) -> Selection:
    return selection(view, page_filters(view.state))


def visit_cards(view: View) -> PanelData:
    """The page's KPI cards, narrowed by the chosen chapter."""
    return cards(view, CARD_KPIS, page_filters(view.state))


def visits_by_level(view: View) -> PanelData:
    """诊疗人次 by institution level and month."""
    return panel(
        "visits.by_level", view, lambda: PanelData(values(_sel(view), "visit_count", ("level",), "month"))
    )


def share_trends(view: View) -> PanelData:
    """基层就诊率 and 县域就诊率 by month against their targets, with a trend test each."""
    return panel("visits.shares", view, lambda: kpi_trends(_sel(view), SHARE_KPIS))


def cost_by_level(view: View) -> PanelData:
    """次均门急诊费用 by institution level, with the interval of the mean."""
    return panel(
        "visits.cost_by_level", view, lambda: PanelData(values(_sel(view), "avg_outpatient_cost", ("level",)))
    )


def visit_types(view: View) -> PanelData:
    """Home and online visits by month (counts), and each type's share of all visits over the period."""

    def compute():
        frame = values(_sel(view), "visit_count", ("visit_type",), "month")
        return PanelData(frame[frame["visit_type"].isin(TYPES_SHOWN)].reset_index(drop=True))

    return panel("visits.types", view, compute)


def residence_flows(view: View) -> PanelData:
    """Visits of each district's residents by the district where they were treated (counts and row shares).

    Residents are those of the selected district (if any); the place of care is not filtered, so visits
    leaving the district stay in view.
    """

    def compute():
        sel = _sel(view)
        filters = city_filters(sel.filters)
        if view.state.district:
            filters = filters.replace(residence_district=(view.state.district,))
        frame = values(sel, "visit_count", ("residence_district", "district"), filters=filters)
        catalog = get_catalog(view.database_url)
        frame["care_name"] = [catalog.name("district", c, view.state.lang) for c in frame["district_code"]]
        totals = frame.groupby("res_district")["value"].transform("sum")
        frame = frame.assign(share=frame["value"] / totals)
        return PanelData(frame)

    return panel("visits.flows", view, compute)


def member_visits(view: View) -> PanelData:
    """诊疗人次 of the selection's member units (one drill level down), for drilling in."""
    return panel("visits.members", view, lambda: members(_sel(view), "visit_count"))


def diagnoses(view: View) -> PanelData:
    """诊疗人次 by ICD-10 chapter, or by category within the chosen chapter."""

    def compute():
        by = "icd_category" if view.state.chapter else "icd_chapter"
        frame = values(_sel(view), "visit_count", (by,))
        frame = frame.sort_values("value", ascending=False, na_position="last").reset_index(drop=True)
        return PanelData(frame, {"level": by, "chapter": view.state.chapter})

    return panel("visits.diagnoses", view, compute)
