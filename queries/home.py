"""运营总览, the consortium director's Monday page: the home KPIs as cards, the member units' scorecard against
their parent and target, and the red-red list (worse than the parent and getting worse)."""

from __future__ import annotations

import pandas as pd

from queries.comparisons import comparisons_offered, earlier_periods, kpi_outcomes
from queries.kpi.builder import NotApplicable, output_column
from queries.kpi.registry import REGISTRY
from queries.kpi.stats import target_met
from queries.panels import PanelData, cards, localise, panel, request, target_for
from queries.selection import View, selection
from queries.sums import parallel

HOME_KPIS = (
    "primary_care_visit_share",
    "htn_control_rate",
    "dm_control_rate",
    "htn_standardized_management_rate",
    "down_referral_share",
    "referral_completion_rate",
    "avg_outpatient_cost",
    "cmi",
)
SCORECARD_COLUMNS = [
    "name",
    "kpi",
    "value",
    "ci_low",
    "ci_high",
    "numerator",
    "denominator",
    "outcome",
    "target",
    "target_met",
    "value_previous",
    "value_last_year",
    "suppressed",
]


def home_cards(view: View) -> PanelData:
    """The home KPIs as cards (``meta["cards"]``), with what the URL held that was ignored (``meta["dropped"]``)."""
    return cards(view, HOME_KPIS)


def scorecard(view: View) -> PanelData:
    """Child units of the selection × home KPIs, with outcome against the parent and target status.

    The frame is long (unit × KPI); ``meta`` holds the child level and the red-red list: units worse than the
    parent whose value also moved the wrong way by more than its interval's half-width since the earlier
    period named by ``meta["compared_with"]`` (the previous month or quarter, else the same period last year).
    """
    return panel("home.scorecard", view, lambda: _scorecard(view))


def _scorecard(view: View) -> PanelData:
    sel = selection(view)
    child = sel.child
    if child is None:
        return PanelData(meta={"level": None, "red_red": pd.DataFrame()})
    key = output_column(child)
    frames, red = [], []
    # getting worse: since the previous month or quarter (环比) where the period has one, else since the same
    # period last year (同比)
    earlier = comparisons_offered(sel.filters)[0]

    def fetch(kpi_id: str):
        try:
            return earlier_periods(sel.database_url, request(sel, kpi_id, (child,)))
        except NotApplicable:
            return None

    for kpi_id, units in zip(HOME_KPIS, parallel(fetch, HOME_KPIS), strict=True):
        kpi = REGISTRY[kpi_id]
        if units is None:
            continue
        # members are compared with their parent (the current selection), not with the city;
        # the same request as the card's: one shared (cached, single-flight) query serves both
        parent = earlier_periods(sel.database_url, request(sel, kpi_id)).iloc[0]
        units["outcome"] = kpi_outcomes(units, parent["value"], kpi, sel.filters)
        units["kpi"] = kpi_id
        units["target"] = target_for(sel, kpi_id)
        units["target_met"] = target_met(
            units["value"], units["target"].iloc[0] if len(units) else None, kpi.polarity
        )
        frames.append(units[[key, *SCORECARD_COLUMNS]])
        # over the period's settled months: a provisional month's readmissions or completions are not all in
        change = units[f"change_{earlier}"]
        half = (units["ci_high"] - units["ci_low"]) / 2
        worsening = (change < -half) if kpi.polarity == "higher" else (change > half)
        for _, unit in units[(units["outcome"] == "worse") & worsening.fillna(False)].iterrows():
            red.append(
                {
                    key: unit[key],
                    "name": unit["name"],
                    "kpi": kpi_id,
                    "value": unit[f"value_{earlier}"] + unit[f"change_{earlier}"],  # the months compared
                    "previous": unit[f"value_{earlier}"],
                    "parent": parent["value"],
                }
            )
    long = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    red_red = localise(
        pd.DataFrame(red, columns=[key, "name", "kpi", "value", "previous", "parent"]),
        sel.database_url,
        sel.lang,
    )
    return PanelData(long, {"level": child, "key": key, "red_red": red_red, "compared_with": earlier})
