"""双向转诊: who sends patients where, how many come back down, and whether referrals are completed in time.

Each function answers one panel of the referrals page for a view state; every number comes from a registry
KPI, by the referring institution (the KPIs' geography) unless a flow's receiving side is asked for.
"""

from __future__ import annotations

import pandas as pd

from dashboard.state import ViewState
from queries.panels import TOP_UNITS, PanelData, kpi_trends, members, names_for, page_selection, panel, values
from queries.views import CHILD_LEVEL

CARD_KPIS = (
    "up_referrals",
    "down_referrals",
    "down_referral_share",
    "referral_completion_rate",
    "referral_completion_days",
)
TOP_PAIRS = 25
TOP_DIAGNOSES = 15


def level_flows(database_url: str, state: ViewState) -> PanelData:
    """Referrals from each institution level to each receiving level."""

    def compute():
        sel = page_selection(database_url, state)
        return PanelData(values(database_url, "referral_count", sel.filters, ("level", "to_level")))

    return panel("referrals.levels", database_url, state, compute)


def institution_flows(database_url: str, state: ViewState) -> PanelData:
    """The busiest referring → receiving institution pairs (the download holds every pair)."""

    def compute():
        sel = page_selection(database_url, state)
        frame = values(database_url, "referral_count", sel.filters, ("institution", "to_institution"))
        frame = frame.sort_values("value", ascending=False, na_position="last").reset_index(drop=True)
        return PanelData(frame, {"top": TOP_PAIRS})

    return panel("referrals.institutions", database_url, state, compute)


def pair_trend(database_url: str, state: ViewState) -> PanelData:
    """The chosen institution pair's referrals by month, up and down (a flow clicked in the diagram)."""

    def compute():
        if not state.pair:
            return PanelData(
                message="点击机构流向图中的一条流向，查看这对机构的月度趋势 (click a flow to see its trend)"
            )
        source, target = state.pair.split("~")
        sel = page_selection(database_url, state)
        filters = sel.filters.without("institution", "team", "doctor").replace(
            institution=(source,), to_institution=(target,)
        )
        frames = [values(database_url, k, filters, (), "month") for k in ("up_referrals", "down_referrals")]
        source_name, target_name = names_for(database_url, "institution", (source, target), state.lang)
        return PanelData(
            pd.concat(frames, ignore_index=True),
            {"source": source, "target": target, "source_name": source_name, "target_name": target_name},
        )

    return panel("referrals.pair", database_url, state, compute)


def monthly_directions(database_url: str, state: ViewState) -> PanelData:
    """Up and down referrals by month, and the down-referral share with its interval."""

    def compute():
        sel = page_selection(database_url, state)
        kpis = ("up_referrals", "down_referrals", "down_referral_share")
        frame = pd.concat(
            [values(database_url, k, sel.filters, (), "month") for k in kpis], ignore_index=True
        ).drop(columns=["name"])
        return PanelData(frame)

    return panel("referrals.monthly", database_url, state, compute)


def completion_trends(database_url: str, state: ViewState) -> PanelData:
    """转诊完成率 and days to completion by month, with trend tests."""
    return panel(
        "referrals.completion",
        database_url,
        state,
        lambda: kpi_trends(
            database_url,
            page_selection(database_url, state),
            ("referral_completion_rate", "referral_completion_days"),
        ),
    )


def top_up_diagnoses(database_url: str, state: ViewState) -> PanelData:
    """The ICD-10 categories most often referred up."""

    def compute():
        sel = page_selection(database_url, state)
        frame = values(database_url, "up_referrals", sel.filters, ("icd_category",))
        frame = frame.sort_values("value", ascending=False, na_position="last").reset_index(drop=True)
        return PanelData(frame, {"top": TOP_DIAGNOSES})

    return panel("referrals.diagnoses", database_url, state, compute)


def by_unit(database_url: str, state: ViewState) -> PanelData:
    """Down-referral share and completion rate by consortium (or, inside a consortium, by member), each unit
    classified against the whole selection."""

    def compute():
        sel = page_selection(database_url, state)
        level = "consortium" if sel.level in (None, "district") else CHILD_LEVEL[sel.level]
        frames = []
        for kpi_id in ("down_referral_share", "referral_completion_rate"):
            data = members(database_url, sel, kpi_id, level)
            if data.empty:
                return data
            frames.append(data.frame)
        frame = pd.concat(frames, ignore_index=True)
        return PanelData(frame, {"level": level, "top": TOP_UNITS})

    return panel("referrals.units", database_url, state, compute)
