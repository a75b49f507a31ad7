"""双向转诊: who sends patients where, how many come back down, and whether referrals are completed in time.

Each function answers one panel of the referrals page for a view; every number comes from a registry KPI, by
the referring institution (the KPIs' geography) unless a flow's receiving side is asked for.
"""

from __future__ import annotations

import pandas as pd

from dashboard.core.messages import Message
from dashboard.core.reference import OTHER_UNITS
from queries.access import visible_institutions
from queries.kpi.catalog import get_catalog
from queries.panels import TOP_UNITS, PanelData, cards, kpi_trends, members, panel, values
from queries.selection import View, selection

CARD_KPIS = (
    "up_referrals",
    "down_referrals",
    "down_referral_share",
    "referral_completion_rate",
    "referral_completion_days",
)
TOP_PAIRS = 25
TOP_DIAGNOSES = 15


def referral_cards(view: View) -> PanelData:
    return cards(view, CARD_KPIS)


def level_flows(view: View) -> PanelData:
    """Referrals from each institution level to each receiving level."""
    return panel(
        "referrals.levels",
        view,
        lambda: PanelData(values(selection(view), "referral_count", ("level", "to_level"))),
    )


def institution_flows(view: View) -> PanelData:
    """The busiest referring → receiving institution pairs (the download holds every pair), each side named."""

    def compute():
        sel = selection(view)
        catalog = get_catalog(view.database_url)
        by = ("institution", "to_institution")
        if sel.scope.unrestricted:
            frame = values(sel, "referral_count", by)
        else:  # receivers outside the viewer's scope are one aggregate, 其他机构, never named
            visible = visible_institutions(catalog, sel.scope)
            hidden = tuple(sorted(set(catalog.parents["institution"]) - visible))
            named = values(
                sel,
                "referral_count",
                by,
                filters=sel.filters.replace(to_institution=tuple(sorted(visible)) or ("_none",)),
            )
            frame = named
            if hidden:
                others = values(
                    sel,
                    "referral_count",
                    ("institution",),
                    filters=sel.filters.replace(to_institution=hidden),
                )
                others = others.assign(to_institution_id=OTHER_UNITS)[named.columns]
                frame = pd.concat([named, others], ignore_index=True)
        frame["to_name"] = [
            OTHER_UNITS if c == OTHER_UNITS else catalog.name("institution", c, view.state.lang)
            for c in frame["to_institution_id"]
        ]
        frame = frame.sort_values("value", ascending=False, na_position="last").reset_index(drop=True)
        return PanelData(frame, {"top": TOP_PAIRS})

    return panel("referrals.institutions", view, compute)


def pair_trend(view: View) -> PanelData:
    """The chosen institution pair's referrals by month, up and down (a flow clicked in the diagram)."""

    def compute():
        if not view.state.pair:
            return PanelData(message=Message.of("choose_flow"))
        source, target = view.state.pair.split("~")
        sel = selection(view)
        filters = sel.filters.without("institution", "team", "doctor").replace(
            institution=(source,), to_institution=(target,)
        )
        frames = [values(sel, k, (), "month", filters) for k in ("up_referrals", "down_referrals")]
        catalog = get_catalog(view.database_url)
        return PanelData(
            pd.concat(frames, ignore_index=True),
            {
                "source": source,
                "target": target,
                "source_name": catalog.name("institution", source, view.state.lang),
                "target_name": catalog.name("institution", target, view.state.lang),
            },
        )

    return panel("referrals.pair", view, compute)


def monthly_directions(view: View) -> PanelData:
    """Up and down referrals by month, and the down-referral share with its interval."""

    def compute():
        sel = selection(view)
        kpis = ("up_referrals", "down_referrals", "down_referral_share")
        frame = pd.concat([values(sel, k, (), "month") for k in kpis], ignore_index=True).drop(
            columns=["name"]
        )
        return PanelData(frame)

    return panel("referrals.monthly", view, compute)


def completion_trends(view: View) -> PanelData:
    """转诊完成率 and days to completion by month, with trend tests."""
    return panel(
        "referrals.completion",
        view,
        lambda: kpi_trends(selection(view), ("referral_completion_rate", "referral_completion_days")),
    )


def top_up_diagnoses(view: View) -> PanelData:
    """The ICD-10 categories most often referred up."""

    def compute():
        frame = values(selection(view), "up_referrals", ("icd_category",))
        frame = frame.sort_values("value", ascending=False, na_position="last").reset_index(drop=True)
        return PanelData(frame, {"top": TOP_DIAGNOSES})

    return panel("referrals.diagnoses", view, compute)


def by_unit(view: View) -> PanelData:
    """Down-referral share and completion rate by consortium (or, inside a consortium, by member), each unit
    classified against the whole selection."""

    def compute():
        sel = selection(view)
        level = "consortium" if sel.level in (None, "district") else sel.child
        frames = []
        for kpi_id in ("down_referral_share", "referral_completion_rate"):
            data = members(sel, kpi_id, level)
            if data.empty:
                return data
            frames.append(data.frame)
        frame = pd.concat(frames, ignore_index=True)
        return PanelData(frame, {"level": level, "key": data.meta["key"], "top": TOP_UNITS})

    return panel("referrals.units", view, compute)
