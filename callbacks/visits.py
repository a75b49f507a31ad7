"""就诊与分级诊疗 page: which query feeds which chart."""

from __future__ import annotations

from callbacks.panels import PanelSpec, cards_spec, register_panels
from dashboard.ui import notes
from dashboard.ui.figures import common
from dashboard.ui.figures import visits as figures
from queries import visits as q
from queries.definitions import REGISTRY

SPECS = {
    "visits-cards": cards_spec(q.visit_cards),
    "visits-by_level": PanelSpec(
        q.visits_by_level, lambda data, state: common.stacked_counts(data.frame, "month", "level", state.lang)
    ),
    "visits-shares": PanelSpec(
        q.share_trends,
        lambda data, state: common.trend_panels(data.frame, data.meta, REGISTRY, state.lang),
        note=notes.not_applicable,
    ),
    "visits-cost_by_level": PanelSpec(
        q.cost_by_level, lambda data, state: common.unit_bars(data.frame, "level", "yuan", state.lang)
    ),
    "visits-types": PanelSpec(
        q.visit_types, lambda data, state: common.count_lines(data.frame, "month", "visit_type", state.lang)
    ),
    "visits-flows": PanelSpec(
        q.residence_flows, lambda data, state: figures.flow_matrix(data.frame, state.lang)
    ),
    "visits-members": PanelSpec(
        q.member_visits,
        lambda data, state: common.unit_bars(
            data.frame, data.meta["key"], "count", state.lang, drill_level=data.meta["level"]
        ),
    ),
    "visits-diagnoses": PanelSpec(
        q.diagnoses,
        # a chapter opens its categories; categories are the last level
        lambda data, state: common.unit_bars(
            data.frame,
            data.meta["level"],
            "count",
            state.lang,
            drill_level=None if data.meta["chapter"] else "chapter",
            top=20,
        ),
        note=notes.chapters,
    ),
}


def register(app, settings) -> None:
    register_panels(app, SPECS)
