"""医保结算与按人头付费 page: which query feeds which chart."""

from __future__ import annotations

from callbacks.panels import PanelSpec, cards_spec, register_panels
from dashboard.ui import notes
from dashboard.ui.components.tables import policy_table
from dashboard.ui.figures import settlement as figures
from queries import settlement as q

SPECS = {
    "settlement-cards": cards_spec(q.settlement_cards),
    "settlement-surplus-drg": PanelSpec(
        lambda view: q.surplus_by(view, "drg"),
        lambda data, state: figures.surplus_bars(data.frame, data.meta, state.lang),
        note=notes.fixed("surplus_hint"),
    ),
    "settlement-surplus-department": PanelSpec(
        lambda view: q.surplus_by(view, "department"),
        lambda data, state: figures.surplus_bars(data.frame, data.meta, state.lang),
    ),
    "settlement-surplus-units": PanelSpec(
        q.surplus_by_unit,
        lambda data, state: figures.surplus_bars(
            data.frame, data.meta, state.lang, drill_level=data.meta["level"]
        ),
    ),
    "settlement-capitation": PanelSpec(
        q.capitation_year,
        lambda data, state: figures.capitation_progress(data.frame, data.meta, state.lang),
        note=notes.capitation,
    ),
    "settlement-payments": PanelSpec(
        q.payments,
        lambda data, state: figures.payments_bars(data.frame, data.meta, state.lang),
        note=notes.payments,
    ),
    "settlement-policy": PanelSpec(
        q.policy_in_force, lambda data, state: policy_table(data.frame, data.meta, state.lang)
    ),
    "settlement-capitation_members": PanelSpec(
        q.capitation_members,
        lambda data, state: figures.budget_and_spend(
            data.frame, data.meta["key"], state.lang, data.meta["level"]
        ),
    ),
}


def register(app, settings) -> None:
    register_panels(app, SPECS)
