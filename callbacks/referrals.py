"""双向转诊 page: which query feeds which chart."""

from __future__ import annotations

from callbacks.panels import PanelSpec, cards_spec, register_panels
from dashboard.ui import notes
from dashboard.ui.figures import common
from dashboard.ui.figures import referrals as figures
from queries import referrals as q
from queries.definitions import REGISTRY

SPECS = {
    "referrals-cards": cards_spec(q.referral_cards),
    "referrals-levels": PanelSpec(
        q.level_flows, lambda data, state: figures.sankey(data.frame, "level", "to_level", state.lang)
    ),
    "referrals-institutions": PanelSpec(
        q.institution_flows,
        lambda data, state: figures.sankey(
            data.frame, "institution_id", "to_institution_id", state.lang, pairs=True, top=data.meta["top"]
        ),
        note=notes.fixed("sankey_hint"),
    ),
    "referrals-pair": PanelSpec(
        q.pair_trend,
        lambda data, state: figures.pair_lines(data.frame, REGISTRY, state.lang),
        note=notes.pair,
    ),
    "referrals-monthly": PanelSpec(
        q.monthly_directions, lambda data, state: figures.direction_bars(data.frame, REGISTRY, state.lang)
    ),
    "referrals-completion": PanelSpec(
        q.completion_trends,
        lambda data, state: common.trend_panels(data.frame, data.meta, REGISTRY, state.lang),
        note=notes.fixed("completion_note"),
    ),
    "referrals-diagnoses": PanelSpec(
        q.top_up_diagnoses,
        lambda data, state: common.unit_bars(
            data.frame, "icd_category", "count", state.lang, top=data.meta["top"]
        ),
    ),
    "referrals-units": PanelSpec(
        q.by_unit,
        lambda data, state: common.unit_bars(
            data.frame[data.frame["kpi"] == "down_referral_share"],
            data.meta["key"],
            "share",
            state.lang,
            data.meta["level"],
            top=data.meta["top"],
        ),
        note=notes.fixed("units_hint"),
    ),
}


def register(app, settings) -> None:
    register_panels(app, SPECS)
