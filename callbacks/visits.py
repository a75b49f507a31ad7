"""就诊与分级诊疗 page: which query feeds which chart."""

from __future__ import annotations

from callbacks.panels import PanelSpec, cards_spec, register_panels
from dashboard import charts
from dashboard.i18n import t
from queries import tiered_care as q
from queries.builder import output_column
from queries.registry import REGISTRY


def _not_shown(data, lang: str) -> str:
    skipped = data.meta.get("not_applicable", {})
    return "；".join(skipped.values()) if skipped else ""


def _diagnoses(data, state, names):
    level = data.meta["level"]
    drill = None if level == "icd_category" else "chapter"  # a chapter opens its categories
    return charts.unit_bars(data.frame, output_column(level), "count", state.lang, drill, top=20)


def _members(data, state, names):
    level = data.meta["level"]
    return charts.unit_bars(data.frame, output_column(level), "count", state.lang, level)


SPECS = {
    "visits-cards": cards_spec(q.CARD_KPIS, extra=q.page_filters),
    "visits-by_level": PanelSpec(
        q.visits_by_level,
        lambda data, state, names: charts.stacked_counts(
            data.frame, "month", "level", names("level"), state.lang
        ),
    ),
    "visits-shares": PanelSpec(
        q.share_trends,
        lambda data, state, names: charts.trend_panels(data.frame, data.meta, REGISTRY, state.lang),
        note=_not_shown,
    ),
    "visits-cost_by_level": PanelSpec(
        q.cost_by_level, lambda data, state, names: charts.unit_bars(data.frame, "level", "yuan", state.lang)
    ),
    "visits-types": PanelSpec(
        q.visit_types,
        lambda data, state, names: charts.count_lines(
            data.frame, "month", "visit_type", names("visit_type"), state.lang
        ),
    ),
    "visits-flows": PanelSpec(
        q.residence_flows,
        lambda data, state, names: charts.flow_matrix(data.frame, names("district"), state.lang),
    ),
    "visits-members": PanelSpec(q.member_visits, _members),
    "visits-diagnoses": PanelSpec(
        q.diagnoses,
        _diagnoses,
        note=lambda data, lang: t("chapter_hint", lang) if not data.meta.get("chapter") else "",
    ),
}


def register(app, settings) -> None:
    register_panels(app, SPECS, settings.database_url)
