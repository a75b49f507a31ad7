"""慢病管理 for hypertension and diabetes: the care cascade, control rates compared fairly (funnel plots,
standardisation), trends, and a family-doctor team's detail as counts.

The disease comes from the filter bar (hypertension when none is chosen). Every number comes from the
registry's chronic KPIs; no patient identity leaves the database, only counts.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from dashboard.state import ViewState
from queries.api import funnel, standardised
from queries.builder import NotApplicable, Request, output_column
from queries.panels import PanelData, kpi_trends, page_selection, panel, values
from queries.sources import Window
from queries.views import CHILD_LEVEL, Selection

PREFIX = {"hypertension": "htn", "diabetes": "dm"}
STD_METHOD = "间接标准化（年龄组×性别，参照全市同期）"
STD_METHOD_EN = "indirect standardisation by age band × sex, reference = whole city, same period"


def disease_of(state: ViewState) -> str:
    return state.disease or "hypertension"


def kpis_of(state: ViewState) -> dict[str, str]:
    pre = PREFIX[disease_of(state)]
    return {
        "management": f"{pre}_management_rate",
        "standardised": f"{pre}_standardized_management_rate",
        "control": f"{pre}_control_rate",
    }


def card_kpis(state: ViewState) -> tuple[str, ...]:
    return tuple(kpis_of(state).values())


def card_state(state: ViewState) -> ViewState:
    """The disease picks the KPIs; it is not also a filter on them (a diabetes filter on hypertension KPIs
    would select nobody)."""
    return replace(state, disease="")


def _sel(database_url: str, state: ViewState) -> Selection:
    return page_selection(database_url, card_state(state))


def cascade(database_url: str, state: ViewState) -> PanelData:
    """Estimated patients → managed → standardised management → controlled, as counts.

    Estimated patients and the management rate are by residence, so they exist only for the city or a
    district; the later steps are by managing institution.
    """

    def compute():
        sel, kpis = _sel(database_url, state), kpis_of(state)
        rows = []
        try:
            m = values(database_url, kpis["management"], sel.filters).iloc[0]
            rows.append(("estimated", m["denominator"], "residence", None, None))
        except NotApplicable:
            m = None
        s = values(database_url, kpis["standardised"], sel.filters).iloc[0]
        c = values(database_url, kpis["control"], sel.filters).iloc[0]
        management = (m["value"], kpis["management"]) if m is not None else (None, None)
        rows.append(("managed", s["denominator"], "institution", *management))
        rows.append(("standardised", s["numerator"], "institution", s["value"], kpis["standardised"]))
        rows.append(("controlled", c["numerator"], "institution", c["value"], kpis["control"]))
        frame = pd.DataFrame(rows, columns=["step", "patients", "geography", "rate", "kpi"])
        return PanelData(frame, {"disease": disease_of(state), "estimated_shown": m is not None})

    return panel("chronic.cascade", database_url, state, compute)


def control_funnel(database_url: str, state: ViewState, level: str) -> PanelData:
    """The control rate of every managing institution (or team) on a funnel plot around the city's rate;
    units outside the 99.8% limits are flagged and listed.

    A funnel of one unit says nothing: once an institution (or team) is chosen, the plot shows its peers
    (the units of its consortium, or of its institution) with the chosen one highlighted.
    """

    def compute():
        sel, kpis = _sel(database_url, state), kpis_of(state)
        peers_of = {"institution": ("institution", "team", "doctor"), "team": ("team", "doctor")}[level]
        chosen = getattr(state, level) if sel.level in peers_of else ""
        filters = sel.filters.without(*peers_of) if chosen else sel.filters
        result = funnel(database_url, Request(kpis["control"], filters, (level,)))
        units = result["units"].assign(kpi=kpis["control"])
        units["chosen"] = units[output_column(level)] == chosen
        if units.empty:
            return PanelData(units)
        meta = {
            "benchmark": result["benchmark"],
            "sizes": result["sizes"].tolist(),
            "limits": {k: (lo.tolist(), hi.tolist()) for k, (lo, hi) in result["limits"].items()},
            "level": level,
            "kpi": kpis["control"],
        }
        return PanelData(units.sort_values("denominator", ascending=False).reset_index(drop=True), meta)

    return panel(f"chronic.funnel.{level}", database_url, state, compute)


def trends(database_url: str, state: ViewState) -> PanelData:
    """Control and standardised management by quarter (whole quarters), with a trend test each."""
    kpis = kpis_of(state)
    return panel(
        "chronic.trends",
        database_url,
        state,
        lambda: kpi_trends(
            database_url, _sel(database_url, state), (kpis["control"], kpis["standardised"]), history=True
        ),
    )


def crude_vs_standardised(database_url: str, state: ViewState) -> PanelData:
    """Crude and age/sex-standardised control rate of the member units (districts for the city)."""

    def compute():
        sel, kpis = _sel(database_url, state), kpis_of(state)
        level = CHILD_LEVEL[sel.level] if sel.level not in ("team", "doctor") else "team"
        if level == "doctor":
            level = "team"
        frame = standardised(database_url, Request(kpis["control"], sel.filters, (level,)))
        frame = frame.assign(kpi=kpis["control"], method=STD_METHOD, method_en=STD_METHOD_EN)
        return PanelData(frame, {"level": level, "method": STD_METHOD, "method_en": STD_METHOD_EN})

    return panel("chronic.standardised", database_url, state, compute)


def followup_completeness(database_url: str, state: ViewState) -> PanelData:
    """Managed patients by the number of follow-ups they had in the period (counts), with the control rate
    of each group: how complete the scope's (or a team's) follow-up is, without naming anyone."""

    def compute():
        sel, kpis = _sel(database_url, state), kpis_of(state)
        frame = values(database_url, kpis["control"], sel.filters, ("followups",))
        return PanelData(frame, {"quarters": _quarters(sel)})

    return panel("chronic.followups", database_url, state, compute)


def team_doctors(database_url: str, state: ViewState) -> PanelData:
    """The selected team's doctors: their visits in the period (a team must be chosen)."""

    def compute():
        if not state.team:
            return PanelData(
                message="请选择一个家庭医生团队查看其医生 (choose a family-doctor team to see its doctors)"
            )
        sel = _sel(database_url, state)
        frame = values(database_url, "visit_count", sel.filters, ("doctor",))
        return PanelData(frame.sort_values("value", ascending=False).reset_index(drop=True))

    return panel("chronic.team_doctors", database_url, state, compute)


def _quarters(sel: Selection) -> int:
    return Window(sel.filters.start, sel.filters.end).quarters_touched
