"""医保结算与按人头付费: DRG payment against cost (surplus or deficit) by group, department and institution,
what the fund actually settled beside what the policy file's parameters give (实际结算 vs 按政策测算), the
policy in force, and capitation budgets against spend month by month with a projection to the year's end, for
the settlement page. Every number comes from the registry's KPIs (drg_surplus, drg_payment_settled,
drg_payment_policy, capitation_spend_rate).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from dashboard.core.messages import Message
from dashboard.core.policy import get_policy
from queries.comparisons import kpi_band, kpi_outcomes
from queries.kpi.builder import output_column
from queries.kpi.catalog import get_catalog
from queries.kpi.filters import make_filters
from queries.kpi.registry import REGISTRY
from queries.kpi.stats import sign_outcomes
from queries.panels import PanelData, cards, members, panel, values
from queries.selection import View, selection

CARD_KPIS = (
    "drg_surplus",
    "drg_payment_ratio",
    "capitation_spend_rate",
    "insurance_share",
    "avg_inpatient_cost",
    "cmi",
)
TOP = 15


def settlement_cards(view: View) -> PanelData:
    return cards(view, CARD_KPIS)


def surplus_by(view: View, by: str) -> PanelData:
    """DRG surplus (payment − cost) by DRG group or department: the largest deficits and surpluses."""

    def compute():
        frame = values(selection(view), "drg_surplus", (by,))
        # a selection without grouped cases (a village clinic) has no surplus to rank, not an error
        frame = frame.assign(value=pd.to_numeric(frame["value"], errors="coerce")).dropna(subset=["value"])
        frame = frame[frame.iloc[:, 0].notna()]
        if frame.empty:
            return PanelData(message=Message.of("no_drg_cases"))
        frame["outcome"] = sign_outcomes(
            frame["value"], REGISTRY["drg_surplus"].polarity
        )  # surplus or deficit
        ranked = pd.concat([frame.nsmallest(TOP, "value"), frame.nlargest(TOP, "value")]).drop_duplicates()
        ranked = ranked.sort_values("value", ascending=False).reset_index(drop=True)
        return PanelData(ranked, {"by": by, "key": output_column(by), "top": 2 * TOP})

    return panel(f"settlement.surplus.{by}", view, compute)


def surplus_by_unit(view: View) -> PanelData:
    """DRG surplus of the selection's member units (hospitals settle DRG cases; primary care few)."""

    def compute():
        sel = selection(view)
        data = members(sel, "drg_surplus", sel.child or "institution")
        if data.empty:
            return data
        frame = data.frame.sort_values("value", ascending=False).reset_index(drop=True)
        frame["outcome"] = sign_outcomes(frame["value"], REGISTRY["drg_surplus"].polarity)
        return PanelData(frame, {**data.meta, "top": 2 * TOP})

    return panel("settlement.surplus.units", view, compute)


def capitation_year(view: View) -> PanelData:
    """This year's capitation budget against spend, month by month, cumulated, with a straight-line
    projection of spend to 31 December: the surplus the holders keep (结余留用) or the overspend they bear
    (超支不补).

    The monthly budget is the annual budget × the month's share of the year (the KPI's denominator), so the
    annual budget is the elapsed months' budget × 365 / elapsed days. The spend rate so far (which the
    straight-line projection keeps) is placed in the KPI's band: within budget, overspend, or under the
    warning line (推诿?).
    """

    def compute():
        sel = selection(view)
        end = sel.filters.end
        year_start = dt.date(end.year, 1, 1)
        filters = make_filters(year_start, end.replace(day=1), **dict(sel.filters.values))
        months = values(sel, "capitation_spend_rate", (), "month", filters)
        if months.empty or months["denominator"].fillna(0).sum() == 0:
            return PanelData(message=Message.of("no_capitation_budget"))
        elapsed_days = (end - year_start).days + 1
        year_days = (dt.date(end.year, 12, 31) - year_start).days + 1
        budget = float(months["denominator"].sum()) * year_days / elapsed_days
        spent = float(months["numerator"].sum())
        projected = spent * year_days / elapsed_days
        kpi = REGISTRY["capitation_spend_rate"]
        # spend so far / budget so far (= the projection / the annual budget): where the year lies in the band
        rate = pd.DataFrame({"value": [spent / float(months["denominator"].sum())]})
        outcome = kpi_outcomes(rate.assign(ci_low=np.nan, ci_high=np.nan), np.nan, kpi, filters)[0]
        frame = months.assign(
            cumulative_spend=months["numerator"].cumsum(), cumulative_budget=months["denominator"].cumsum()
        )
        meta = {
            "year": end.year,
            "annual_budget": budget,
            "spent": spent,
            "projected": projected,
            "balance": budget - projected,  # > 0: surplus kept; < 0: overspend borne
            "through": end.isoformat(),
            "spend_rate": float(rate["value"].iloc[0]),
            "outcome": str(outcome),  # within_budget, overspend or underuse
            "band": kpi_band(kpi, filters),
        }
        return PanelData(frame, meta)

    return panel("settlement.capitation", view, compute)


def capitation_members(view: View) -> PanelData:
    """Each budget holder's budget, spend and share of the whole: by consortium for the city or a district,
    by member institution inside a consortium."""

    def compute():
        sel = selection(view)
        level = "consortium" if sel.level in (None, "district") else "institution"
        filters = (
            sel.filters.without("institution", "team", "doctor") if level == "institution" else sel.filters
        )
        frame = values(sel, "capitation_spend_rate", (level,), filters=filters).dropna(subset=["denominator"])
        frame = frame[frame["denominator"] > 0]
        frame["budget_share"] = frame["denominator"] / frame["denominator"].sum()
        frame["spend_share"] = frame["numerator"] / frame["numerator"].sum()
        frame["chosen"] = frame.iloc[:, 0] == (view.state.institution if level == "institution" else "")
        kpi = REGISTRY["capitation_spend_rate"]
        frame["outcome"] = kpi_outcomes(frame, np.nan, kpi, sel.filters)  # each holder in the band
        frame = frame.sort_values("denominator", ascending=False).reset_index(drop=True)
        meta = {"level": level, "key": output_column(level), "band": kpi_band(kpi, sel.filters)}
        return PanelData(frame, meta)

    return panel("settlement.capitation_members", view, compute)


def payments(view: View) -> PanelData:
    """What the fund actually settled for the grouped cases (实际结算, the warehouse's drg_payment) beside what
    the policy file's parameters give for the same cases (按政策测算), year by year: editing the policy file
    moves the second and never the first."""

    def compute():
        sel = selection(view)
        settled = values(sel, "drg_payment_settled", grain="year")
        policy = values(sel, "drg_payment_policy", grain="year")
        frame = settled[["year", "value"]].rename(columns={"value": "settled"})
        frame = frame.merge(policy[["year", "value"]].rename(columns={"value": "policy"}), on="year")
        frame = frame.astype({"settled": float, "policy": float})
        if not frame["settled"].abs().sum() and not frame["policy"].abs().sum():
            return PanelData(message=Message.of("no_drg_cases"))
        frame["difference"] = frame["policy"] - frame["settled"]
        meta = {
            "settled": float(frame["settled"].sum()),
            "policy": float(frame["policy"].sum()),
            "fingerprint": get_policy().fingerprint,
        }
        return PanelData(frame, meta)

    return panel("settlement.payments", view, compute)


def policy_in_force(view: View) -> PanelData:
    """The policy file's parameters for each year of the period: what the numbers above were settled by, the
    file's version (never where it lies on the server) and where the risk levels come from."""

    def compute():
        sel = selection(view)
        book = get_policy()
        rows = []
        for entry in book.covering(sel.filters.start.year, sel.filters.end.year):
            rows.append(
                {
                    "year": entry.year,
                    "region": entry.region,
                    "grouper_version": entry.grouper_version,
                    "base_rate": entry.base_rate,
                    "k_high": entry.k_high,
                    "k_low": entry.k_low,
                    "high_outlier_top_up": entry.high_outlier_top_up,
                    "low_outlier_payment": entry.low_outlier_payment,
                    "readmission_days": entry.readmission_days,
                    "risk_cut_points": ", ".join(f"{c:g}" for c in entry.risk_cut_points),
                    "capitation_warning_line": entry.capitation_warning_line,
                    **{f"coefficient_{k}": v for k, v in entry.level_coefficients.items()},
                }
            )
        catalog = get_catalog(view.database_url)
        versions = catalog.versions_between(sel.filters.start, sel.filters.end)
        derived = sorted(set(versions) & catalog.derived_risk_versions)
        meta = {
            "fingerprint": book.fingerprint,
            "risk_source": "derived" if derived else "catalogue",
            "derived_versions": derived,
        }
        return PanelData(pd.DataFrame(rows), meta)

    return panel("settlement.policy", view, compute)
