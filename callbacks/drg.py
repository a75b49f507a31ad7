"""DRG绩效 page: which query feeds which chart."""

from __future__ import annotations

from dataclasses import replace

from callbacks.panels import PanelSpec, cards_spec, register_panels
from dashboard.ui import notes
from dashboard.ui.components.composed import group_drill
from dashboard.ui.components.kpi_cards import cards_with_note
from dashboard.ui.components.tables import case_table, outlier_cases
from dashboard.ui.figures import common
from dashboard.ui.figures import drg as figures
from queries import drg as q


def _quadrant(by: str) -> PanelSpec:
    return PanelSpec(
        lambda view: q.quadrant(view, by),
        lambda data, state: figures.quadrant_plot(
            data.frame,
            data.meta["key"],
            data.meta["region_cmi"],
            state.lang,
            None if by == "department" else by,  # departments are not a drill level
            data.meta["chosen"],
        ),
    )


SPECS = {
    "drg-cards": replace(
        cards_spec(q.drg_cards),
        draw=lambda data, state: cards_with_note(
            data.meta["cards"], notes.drg_cards(data, state.lang), state.lang
        ),
    ),
    "drg-bands": PanelSpec(
        q.weight_bands, lambda data, state: common.unit_bars(data.frame, "weight_band", "count", state.lang)
    ),
    "drg-quadrant-institution": _quadrant("institution"),
    "drg-quadrant-department": _quadrant("department"),
    "drg-groups": PanelSpec(
        q.groups, lambda data, state: group_drill("drg-groups", data.frame, data.meta, state)
    ),
    "drg-group_costs": PanelSpec(
        q.group_costs,
        lambda data, state: common.unit_bars(
            data.frame[~data.frame["suppressed"]], "institution_id", "yuan", state.lang, "institution"
        ),
        note=notes.group_costs,
    ),
    "drg-outliers": PanelSpec(
        q.outlier_counts, lambda data, state: figures.outlier_bars(data.frame, state.lang)
    ),
    "drg-cases": PanelSpec(
        q.outlier_cases,
        lambda data, state: outlier_cases(data.frame, data.meta, state.lang),
        table=lambda data, lang: case_table(data.frame, lang),  # the screen's rounded values, not more
    ),
}


def register(app, settings) -> None:
    register_panels(app, SPECS)
