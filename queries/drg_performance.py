"""DRG绩效: case mix, efficiency against the region, low-risk mortality, the MDC → ADRG → DRG drill-down and
outlier cases, for the DRG performance page. Every number comes from a registry KPI except the outlier case
list, which is rows (without any patient identity), capped at CASE_LIST_LIMIT.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from dashboard.db import get_engine
from dashboard.state import ViewState
from queries.api import check_one_grouper_version
from queries.builder import Request, output_column, row_conditions
from queries.catalog import get_catalog
from queries.filters import ENUMERATED
from queries.panels import PanelData, page_selection, panel, values
from queries.registry import REGISTRY
from queries.sources import Window, _inpatient_facts
from queries.views import city_filters

CARD_KPIS = (
    "cmi",
    "drg_total_weight",
    "drg_group_count",
    "cost_efficiency_index",
    "time_efficiency_index",
    "low_risk_mortality",
    "drg_grouping_rate",
    "discharges",
)
CASE_LIST_LIMIT = 200
TOP_GROUPS = 25


def group_level(group: str) -> str | None:
    """The drill level of a group code: an MDC is one letter, an ADRG three characters, a DRG four."""
    return {1: "mdc", 3: "adrg", 4: "drg"}.get(len(group or ""))


def page_filters(state: ViewState) -> tuple[tuple[str, str], ...]:
    """The chosen MDC, ADRG or DRG narrows every KPI of the page (cards included)."""
    level = group_level(state.group)
    return ((level, state.group),) if level else ()


def _sel(database_url: str, state: ViewState):
    return page_selection(database_url, state, page_filters(state))


def weight_bands(database_url: str, state: ViewState) -> PanelData:
    """Discharges by weight band (how heavy the case mix is), ungrouped cases shown apart."""

    def compute():
        sel = _sel(database_url, state)
        frame = values(database_url, "discharges", sel.filters, ("weight_band",))
        order = {band: i for i, band in enumerate(ENUMERATED["weight_band"])}  # light to heavy, top to bottom
        return PanelData(frame.sort_values("weight_band", key=lambda s: s.map(order)).reset_index(drop=True))

    return panel("drg.bands", database_url, state, compute)


def quadrant(database_url: str, state: ViewState, by: str) -> PanelData:
    """CMI × surplus per case of each institution (or department): who treats heavy cases, who gains."""

    def compute():
        sel = _sel(database_url, state)
        # institutions are shown beside their peers in the selection (the chosen one ringed); departments
        # are those of the selection itself
        filters = sel.filters if by == "department" else sel.filters.without("institution", "team", "doctor")
        cmi = values(database_url, "cmi", filters, (by,))
        surplus = values(database_url, "drg_surplus", filters, (by,))
        key = cmi.columns[0]
        frame = cmi.merge(surplus[[key, "value"]].rename(columns={"value": "surplus"}), on=key, how="left")
        frame["surplus_per_case"] = frame["surplus"] / frame["denominator"]
        region = values(database_url, "cmi", city_filters(sel.filters))
        return PanelData(
            frame, {"level": by, "region_cmi": float(region["value"].iloc[0]), "chosen": state.institution}
        )

    return panel(f"drg.quadrant.{by}", database_url, state, compute)


def groups(database_url: str, state: ViewState) -> PanelData:
    """Discharges and CMI by MDC, or by ADRG within the chosen MDC, or by DRG within the chosen ADRG."""

    def compute():
        sel = _sel(database_url, state)
        level = {None: "mdc", "mdc": "adrg", "adrg": "drg", "drg": "drg"}[group_level(state.group)]
        frame = values(database_url, "discharges", sel.filters, (level,))
        frame = frame.dropna(
            subset=[output_column(level)]
        )  # ungrouped cases belong to no group (see the bands)
        frame = frame.sort_values("value", ascending=False, na_position="last").reset_index(drop=True)
        return PanelData(frame, {"level": level, "group": state.group, "top": TOP_GROUPS})

    return panel("drg.groups", database_url, state, compute)


def group_costs(database_url: str, state: ViewState) -> PanelData:
    """The chosen DRG's average cost at every institution that treats it, the selected one highlighted."""

    def compute():
        if group_level(state.group) != "drg":
            return PanelData(
                message="在上方下钻到一个DRG组，查看其在各机构的费用分布 (drill down to a DRG group above)"
            )
        sel = page_selection(database_url, state)
        filters = city_filters(sel.filters)
        frame = values(
            database_url, "avg_inpatient_cost", filters.replace(drg=(state.group,)), ("institution",)
        )
        region = values(database_url, "avg_inpatient_cost", filters.replace(drg=(state.group,)))
        frame["parent"] = float(region["value"].iloc[0])
        frame["chosen"] = frame["institution_id"] == state.institution
        frame = frame.sort_values("value", ascending=False, na_position="last").reset_index(drop=True)
        return PanelData(frame, {"drg": state.group})

    return panel("drg.group_costs", database_url, state, compute)


def outlier_counts(database_url: str, state: ViewState) -> PanelData:
    """High- and low-cost outlier cases by DRG group (counts, thresholds from the policy file)."""

    def compute():
        sel = _sel(database_url, state)
        frames = []
        for kpi_id in ("high_cost_outlier_share", "low_cost_outlier_share"):
            frame = values(database_url, kpi_id, sel.filters, ("drg",))
            frames.append(frame.assign(kind=kpi_id))
        frame = pd.concat(frames, ignore_index=True)
        frame["numerator"] = pd.to_numeric(frame["numerator"], errors="coerce")
        top = frame.groupby("drg_code")["numerator"].sum().nlargest(15).index
        return PanelData(frame[frame["drg_code"].isin(top)].reset_index(drop=True), {"top": 15})

    return panel("drg.outliers", database_url, state, compute)


def outlier_cases(database_url: str, state: ViewState) -> PanelData:
    """The outlier cases themselves: discharge month, institution, department, DRG, stay, cost and its
    ratio to the region's mean for the group. No patient or case identifier leaves the database."""

    def compute():
        sel = _sel(database_url, state)
        kpi = REGISTRY["high_cost_outlier_share"]
        request = Request(kpi.id, sel.filters)
        check_one_grouper_version(kpi, request, get_catalog(database_url))
        cases = _inpatient_facts(Window(sel.filters.start, sel.filters.end), {"region_means": True})
        # the same filters and data scope as the outlier KPIs, so the list holds the cases they count
        where = [
            sa.or_(cases.c.high_outlier == 1, cases.c.low_outlier == 1),
            *row_conditions(kpi, request, cases.c),
        ]
        statement = (
            sa.select(
                sa.func.date_trunc("month", cases.c.date).label("month"),
                cases.c.institution_id,
                cases.c.department,
                cases.c.drg_code,
                cases.c.los,
                cases.c.total_cost,
                cases.c.cost_ratio,
                cases.c.high_outlier,
            )
            .where(*where)
            .order_by(sa.func.abs(sa.func.ln(cases.c.cost_ratio)).desc())
            .limit(CASE_LIST_LIMIT)
        )
        with get_engine(database_url).connect() as conn:
            frame = pd.DataFrame(conn.execute(statement).mappings().all())
        if frame.empty:
            return PanelData(frame)
        catalog = get_catalog(database_url)
        frame["month"] = pd.to_datetime(frame["month"]).dt.strftime("%Y-%m")
        frame["institution"] = [catalog.name("institution", c, state.lang) for c in frame["institution_id"]]
        frame["drg_name"] = [catalog.name("drg", c, state.lang) for c in frame["drg_code"]]
        frame["kind"] = frame["high_outlier"].map({1: "high", 0: "low"})
        columns = [
            "month",
            "institution",
            "department",
            "drg_code",
            "drg_name",
            "los",
            "total_cost",
            "cost_ratio",
            "kind",
        ]
        return PanelData(frame[columns], {"limit": CASE_LIST_LIMIT})

    return panel("drg.cases", database_url, state, compute)
