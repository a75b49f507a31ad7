"""DRG绩效: case mix, efficiency against the region, low-risk mortality, the MDC → ADRG → DRG drill-down and
outlier cases, for the DRG performance page. Every number comes from a registry KPI except the outlier case
list, which is rows as coarse as DOMAIN §9 allows (no identity, month, stay band, cost to 100 元), capped at
CASE_LIST_LIMIT and shown only where the view holds at least the disclosure threshold of cases.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import sqlalchemy as sa

from dashboard.core.db import get_engine
from dashboard.core.messages import Message
from dashboard.core.settings import suppression_threshold
from dashboard.core.state import ViewState
from queries.execution import check_one_grouper_version
from queries.kpi.builder import output_column, row_conditions
from queries.kpi.catalog import get_catalog
from queries.kpi.filters import ENUMERATED
from queries.kpi.registry import REGISTRY
from queries.kpi.sources import Window, inpatient_cases
from queries.kpi.stats import sign_outcomes
from queries.panels import PanelData, cards, panel, request, values
from queries.selection import Selection, View, city_filters, selection

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
# The case list's columns (DOMAIN §9). Left out: the department (with month, institution and group it narrows
# a case to a handful of beds) and the cost's ratio to the group's region-wide mean: that mean is public (the
# group's average cost city-wide for the year), so an exact ratio times it gives back the exact cost, and a
# rounded ratio is no more use than the rounded cost beside the kind.
CASE_COLUMNS = ("month", "institution", "drg_code", "drg_name", "los_band", "cost", "kind")
# Length-of-stay bands of the case list, in days, each up to its bound; the last is open. A same-day stay counts
# as 1 day (the national rule); a 0 from a loader falls in the first band.
LOS_BANDS = ((3, "1-3"), (7, "4-7"), (14, "8-14"), (30, "15-30"))
LOS_OPEN_BAND = "31+"
COST_ROUNDING = 100  # 元: the case list's costs are rounded to the nearest hundred


def group_level(group: str) -> str | None:
    """The drill level of a group code: an MDC is one letter, an ADRG three characters, a DRG four."""
    return {1: "mdc", 3: "adrg", 4: "drg"}.get(len(group or ""))


def page_filters(state: ViewState) -> tuple[tuple[str, str], ...]:
    """The chosen MDC, ADRG or DRG narrows every KPI of the page (cards included)."""
    level = group_level(state.group)
    return ((level, state.group),) if level else ()


def _sel(view: View) -> Selection:
    return selection(view, page_filters(view.state))


def drg_cards(view: View) -> PanelData:
    """The page's KPI cards, narrowed by the chosen group, and where the risk levels of low-risk mortality
    come from (the DRG catalogue, or derived from the warehouse for versions whose catalogue has none)."""
    data = cards(view, CARD_KPIS, page_filters(view.state))
    if data.message:
        return data
    catalog = get_catalog(view.database_url)
    sel = _sel(view)
    derived = sorted(
        set(catalog.versions_between(sel.filters.start, sel.filters.end)) & catalog.derived_risk_versions
    )
    return replace(data, meta={**data.meta, "derived_versions": derived})


def weight_bands(view: View) -> PanelData:
    """Discharges by weight band (how heavy the case mix is), ungrouped cases shown apart."""

    def compute():
        frame = values(_sel(view), "discharges", ("weight_band",))
        order = {band: i for i, band in enumerate(ENUMERATED["weight_band"])}  # light to heavy, top to bottom
        return PanelData(frame.sort_values("weight_band", key=lambda s: s.map(order)).reset_index(drop=True))

    return panel("drg.bands", view, compute)


def quadrant(view: View, by: str) -> PanelData:
    """CMI × surplus per case of each institution (or department): who treats heavy cases, who gains."""

    def compute():
        sel = _sel(view)
        # institutions are shown beside their peers in the selection (the chosen one ringed); departments
        # are those of the selection itself
        filters = sel.filters if by == "department" else sel.filters.without("institution", "team", "doctor")
        cmi = values(sel, "cmi", (by,), filters=filters)
        surplus = values(sel, "drg_surplus", (by,), filters=filters)
        key = cmi.columns[0]
        frame = cmi.merge(surplus[[key, "value"]].rename(columns={"value": "surplus"}), on=key, how="left")
        frame["surplus_per_case"] = frame["surplus"] / frame["denominator"]
        # gaining or losing per case: the sign read through the surplus's polarity
        frame["outcome"] = sign_outcomes(frame["surplus_per_case"], REGISTRY["drg_surplus"].polarity)
        region = values(sel, "cmi", filters=city_filters(sel.filters), comparator=True)
        meta = {
            "level": by,
            "key": key,
            "region_cmi": float(region["value"].iloc[0]),
            "chosen": view.state.institution,
        }
        return PanelData(frame, meta)

    return panel(f"drg.quadrant.{by}", view, compute)


def groups(view: View) -> PanelData:
    """Discharges and CMI by MDC, or by ADRG within the chosen MDC, or by DRG within the chosen ADRG."""

    def compute():
        group = view.state.group
        level = {None: "mdc", "mdc": "adrg", "adrg": "drg", "drg": "drg"}[group_level(group)]
        frame = values(_sel(view), "discharges", (level,))
        # ungrouped cases belong to no group (see the bands)
        frame = frame.dropna(subset=[output_column(level)])
        frame = frame.sort_values("value", ascending=False, na_position="last").reset_index(drop=True)
        meta = {"level": level, "key": output_column(level), "group": group, "top": TOP_GROUPS}
        return PanelData(frame, meta)

    return panel("drg.groups", view, compute)


def group_costs(view: View) -> PanelData:
    """The chosen DRG's average cost at every institution that treats it, the selected one highlighted."""

    def compute():
        group = view.state.group
        if group_level(group) != "drg":
            return PanelData(message=Message.of("choose_drg"))
        sel = selection(view)
        filters = city_filters(sel.filters).replace(drg=(group,))
        frame = values(sel, "avg_inpatient_cost", ("institution",), filters=filters)
        region = values(sel, "avg_inpatient_cost", filters=filters, comparator=True)
        frame["parent"] = float(region["value"].iloc[0])
        frame["chosen"] = frame["institution_id"] == view.state.institution
        frame = frame.sort_values("value", ascending=False, na_position="last").reset_index(drop=True)
        return PanelData(frame, {"drg": group})

    return panel("drg.group_costs", view, compute)


def outlier_counts(view: View) -> PanelData:
    """High- and low-cost outlier cases by DRG group (counts, thresholds from the policy file)."""

    def compute():
        sel = _sel(view)
        frames = []
        for kpi_id in ("high_cost_outlier_share", "low_cost_outlier_share"):
            frame = values(sel, kpi_id, ("drg",))
            frames.append(frame.assign(kind=kpi_id))
        frame = pd.concat(frames, ignore_index=True)
        frame["numerator"] = pd.to_numeric(frame["numerator"], errors="coerce")
        top = frame.groupby("drg_code")["numerator"].sum().nlargest(15).index
        return PanelData(frame[frame["drg_code"].isin(top)].reset_index(drop=True), {"top": 15})

    return panel("drg.outliers", view, compute)


def los_band(los) -> sa.ColumnElement:
    """A stay's band (LOS_BANDS), computed in the database so that exact stays never leave it."""
    days = sa.cast(los, sa.Double)
    return sa.case(*[(days <= upper, band) for upper, band in LOS_BANDS], else_=LOS_OPEN_BAND)


def rounded_cost(cost) -> sa.ColumnElement:
    """A cost to the nearest COST_ROUNDING 元, halves up alike in every dialect (PostgreSQL's round() of a
    double rounds halves to even, DuckDB's away from zero); computed in the database, like the bands."""
    hundreds = sa.func.floor(sa.cast(cost, sa.Double) / COST_ROUNDING + 0.5)
    return sa.cast(hundreds, sa.BigInteger) * COST_ROUNDING


def outlier_cases(view: View) -> PanelData:
    """The outlier cases themselves, as coarse as DOMAIN §9 allows: discharge month, institution, DRG group,
    length-of-stay band, cost to the nearest 100 元 and the kind of outlier, the most extreme first. No patient
    or case identifier, exact date, stay or cost leaves the database. A view holding fewer outlier cases than
    the disclosure threshold (but some) gets a message instead: a short list would single its patients out."""

    def compute():
        sel = _sel(view)
        kpi = REGISTRY["high_cost_outlier_share"]
        asked = request(sel, kpi.id)
        catalog = get_catalog(view.database_url)
        check_one_grouper_version(kpi, asked, catalog)
        # every case flagged against its group's region-wide mean of its discharge year, as the KPIs count
        cases = inpatient_cases(
            Window(sel.filters.start, sel.filters.end),
            {"region_means": True, "optional_columns": catalog.optional_columns},
        )
        # the same filters and data scope as the outlier KPIs, so the list holds the cases they count
        where = [
            sa.or_(cases.c.high_outlier == 1, cases.c.low_outlier == 1),
            *row_conditions(kpi, asked, cases.c),
        ]
        statement = (
            sa.select(
                sa.func.date_trunc("month", cases.c.date).label("month"),
                cases.c.institution_id,
                cases.c.drg_code,
                los_band(cases.c.los).label("los_band"),
                rounded_cost(cases.c.total_cost).label("cost"),
                cases.c.high_outlier,
                sa.func.count().over().label("in_view"),  # before the limit: every outlier case of the view
            )
            .where(*where)
            # the exact ratio orders the rows in the database and is not sent; ties keep one order everywhere
            .order_by(
                sa.func.abs(sa.func.ln(cases.c.mean_ratio)).desc(),
                cases.c.date,
                cases.c.institution_id,
                cases.c.drg_code,
            )
            .limit(CASE_LIST_LIMIT)
        )
        with get_engine(view.database_url).connect() as conn:
            frame = pd.DataFrame(conn.execute(statement).mappings().all())
        if frame.empty:  # no outlier case: the list's columns with no rows (a download says so)
            return PanelData(pd.DataFrame(columns=list(CASE_COLUMNS)))
        threshold = suppression_threshold()
        if int(frame["in_view"].iloc[0]) < threshold:
            return PanelData(message=Message.of("case_list_too_few", threshold=threshold))
        lang = view.state.lang
        frame["month"] = pd.to_datetime(frame["month"]).dt.strftime("%Y-%m")
        frame["institution"] = [catalog.name("institution", c, lang) for c in frame["institution_id"]]
        frame["drg_name"] = [catalog.name("drg", c, lang) for c in frame["drg_code"]]
        frame["cost"] = frame["cost"].astype("int64")
        frame["kind"] = frame["high_outlier"].map({1: "high", 0: "low"})
        return PanelData(frame[list(CASE_COLUMNS)], {"limit": CASE_LIST_LIMIT})

    return panel("drg.cases", view, compute)
