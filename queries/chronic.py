"""慢病管理 for hypertension and diabetes: the care cascade, control rates compared fairly (funnel plots,
standardisation), trends, and a family-doctor team's detail as counts.

The disease comes from the filter bar (hypertension when none is chosen). Every number comes from the
registry's chronic KPIs; no patient identity leaves the database, only counts.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from dashboard.core.messages import Message
from dashboard.core.state import ViewState
from queries.comparators import compare_units, compared_funnel, kind_of
from queries.kpi.builder import NotApplicable, output_column
from queries.kpi.registry import REGISTRY
from queries.kpi.sources import Window, required_followups
from queries.panels import PanelData, cards, kpi_trends, panel, request, values
from queries.selection import Selection, View, selection

PREFIX = {"hypertension": "htn", "diabetes": "dm"}
STANDARDISATION = (
    "indirect_age_sex"  # the method of crude_vs_standardised (its column in the frame), named by the UI
)


def disease_of(state: ViewState) -> str:
    return state.disease or "hypertension"


def kpis_of(state: ViewState) -> dict[str, str]:
    pre = PREFIX[disease_of(state)]
    return {
        "management": f"{pre}_management_rate",
        "standardised": f"{pre}_standardized_management_rate",
        "control": f"{pre}_control_rate",
    }


def _kpi_view(view: View) -> View:
    """The disease picks the KPIs; it is not also a filter on them (a diabetes filter on hypertension KPIs
    would select nobody)."""
    return replace(view, state=replace(view.state, disease=""))


def _sel(view: View) -> Selection:
    return selection(_kpi_view(view))


def chronic_cards(view: View) -> PanelData:
    return cards(_kpi_view(view), tuple(kpis_of(view.state).values()))


def cascade(view: View) -> PanelData:
    """Estimated patients → managed → standardised management → controlled, as counts.

    Estimated patients and the management rate are by residence, so they exist only for the city or a
    district; the later steps are by managing institution.
    """

    def compute():
        sel, kpis = _sel(view), kpis_of(view.state)
        rows = []
        try:
            m = values(sel, kpis["management"]).iloc[0]
            rows.append(("estimated", m["denominator"], "residence", None, None))
        except NotApplicable:
            m = None
        s = values(sel, kpis["standardised"]).iloc[0]
        c = values(sel, kpis["control"]).iloc[0]
        management = (m["value"], kpis["management"]) if m is not None else (None, None)
        rows.append(("managed", s["denominator"], "institution", *management))
        rows.append(("standardised", s["numerator"], "institution", s["value"], kpis["standardised"]))
        rows.append(("controlled", c["numerator"], "institution", c["value"], kpis["control"]))
        frame = pd.DataFrame(rows, columns=["step", "patients", "geography", "rate", "kpi"])
        return PanelData(frame, {"disease": disease_of(view.state), "estimated_shown": m is not None})

    return panel("chronic.cascade", view, compute)


def control_funnel(view: View, level: str) -> PanelData:
    """The control rate of every managing institution (or team) on a funnel plot around the view's
    comparator (the city by default), one funnel per institution level; units outside the 99.8% limits are
    flagged (their verdict read through the KPI's polarity) and listed.

    A funnel of one unit says nothing: once an institution (or team) is chosen, the plot shows its peers
    (the units of its consortium, or of its institution) with the chosen one highlighted.
    """

    def compute():
        sel, kpis = _sel(view), kpis_of(view.state)
        kpi = REGISTRY[kpis["control"]]
        peers_of = {"institution": ("institution", "team", "doctor"), "team": ("team", "doctor")}[level]
        chosen = getattr(view.state, level) if sel.level in peers_of else ""
        filters = sel.filters.without(*peers_of) if chosen else sel.filters
        units, groups, comparator, _frame = compared_funnel(
            view.database_url,
            request(sel, kpi.id, (level,), filters),
            kind_of(view.state.compare),
            "crude",
            view.state.limits,
            view.state.lang,
        )
        key = output_column(level)
        units = units.assign(kpi=kpi.id)
        units["chosen"] = units[key] == chosen
        if units.empty:
            return PanelData(units)
        meta = {
            "groups": groups,
            "level": level,
            "key": key,
            "kpi": kpi.id,
            "limits": view.state.limits,
            "comparator": comparator,
        }
        return PanelData(units.sort_values("denominator", ascending=False).reset_index(drop=True), meta)

    return panel(f"chronic.funnel.{level}", view, compute)


def trends(view: View) -> PanelData:
    """Control and standardised management by quarter (whole quarters), with a trend test each."""
    kpis = kpis_of(view.state)
    return panel(
        "chronic.trends",
        view,
        lambda: kpi_trends(_sel(view), (kpis["control"], kpis["standardised"]), history=True),
    )


def crude_vs_standardised(view: View) -> PanelData:
    """Crude and age/sex-standardised control rate of the member units (districts for the city), each
    standardised to the view's comparator (the city by default; institutions and teams to their level's)."""

    def compute():
        sel, kpis = _sel(view), kpis_of(view.state)
        level = sel.child if sel.level not in ("team", "doctor") else "team"
        frame, comparator = compare_units(
            view.database_url,
            request(sel, kpis["control"], (level,)),
            kind_of(view.state.compare),
            "standardised",
            view.state.lang,
        )
        frame = frame.rename(
            columns={"value": "adjusted", "ci_low": "adjusted_low", "ci_high": "adjusted_high"}
        )
        frame = frame.assign(kpi=kpis["control"], method=STANDARDISATION)
        meta = {
            "level": level,
            "key": output_column(level),
            "method": STANDARDISATION,
            "comparator": comparator,
        }
        return PanelData(frame, meta)

    return panel("chronic.standardised", view, compute)


def followup_completeness(view: View) -> PanelData:
    """Managed patients by the number of follow-ups they had in the period (counts), with the control rate
    of each group: how complete the scope's (or a team's) follow-up is, without naming anyone."""

    def compute():
        sel, kpis = _sel(view), kpis_of(view.state)
        frame = values(sel, kpis["control"], ("followups",))
        window = Window(sel.filters.start, sel.filters.end)
        return PanelData(frame, {"months": window.months, "required": required_followups(window)})

    return panel("chronic.followups", view, compute)


def team_doctors(view: View) -> PanelData:
    """The selected team's doctors: their visits in the period (a team must be chosen)."""

    def compute():
        if not view.state.team:
            return PanelData(message=Message.of("choose_team"))
        frame = values(_sel(view), "visit_count", ("doctor",))
        return PanelData(
            frame.sort_values("value", ascending=False).reset_index(drop=True), {"key": "doctor_id"}
        )

    return panel("chronic.team_doctors", view, compute)
