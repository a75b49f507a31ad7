"""双向转诊 page: which query feeds which chart."""

from __future__ import annotations

from callbacks.panels import PanelSpec, cards_spec, register_panels
from dashboard import charts
from dashboard.i18n import t
from queries import referral_flows as q
from queries.builder import output_column
from queries.registry import REGISTRY


def _pair(data, state, names):
    frame = data.frame.assign(direction=data.frame["kpi"])
    labels = {
        k: (REGISTRY[k].name_en if state.lang == "en" else REGISTRY[k].name_zh) for k in set(frame["kpi"])
    }
    return charts.count_lines(frame, "month", "direction", labels, state.lang)


def _pair_note(data, lang: str) -> str:
    return f"{data.meta['source_name']} → {data.meta['target_name']} · {t('gaps_suppressed', lang)}"


def _units(data, state, names):
    level = data.meta["level"]
    part = data.frame[data.frame["kpi"] == "down_referral_share"]
    return charts.unit_bars(part, output_column(level), "share", state.lang, level, top=data.meta["top"])


SPECS = {
    "referrals-cards": cards_spec(q.CARD_KPIS),
    "referrals-levels": PanelSpec(
        q.level_flows,
        lambda data, state, names: charts.sankey(data.frame, "level", "to_level", names("level"), state.lang),
    ),
    "referrals-institutions": PanelSpec(
        q.institution_flows,
        lambda data, state, names: charts.sankey(
            data.frame,
            "institution_id",
            "to_institution_id",
            names("institution"),
            state.lang,
            pairs=True,
            top=data.meta["top"],
        ),
        note=lambda data, lang: t("sankey_hint", lang),
    ),
    "referrals-pair": PanelSpec(q.pair_trend, _pair, note=_pair_note),
    "referrals-monthly": PanelSpec(
        q.monthly_directions,
        lambda data, state, names: charts.direction_bars(data.frame, REGISTRY, state.lang),
    ),
    "referrals-completion": PanelSpec(
        q.completion_trends,
        lambda data, state, names: charts.trend_panels(data.frame, data.meta, REGISTRY, state.lang),
        note=lambda data, lang: t("completion_note", lang),
    ),
    "referrals-diagnoses": PanelSpec(
        q.top_up_diagnoses,
        lambda data, state, names: charts.unit_bars(
            data.frame, "icd_category", "count", state.lang, top=data.meta["top"]
        ),
    ),
    "referrals-units": PanelSpec(q.by_unit, _units, note=lambda data, lang: t("units_hint", lang)),
}


def register(app, settings) -> None:
    register_panels(app, SPECS, settings.database_url)
