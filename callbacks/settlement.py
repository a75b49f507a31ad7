"""医保结算与按人头付费 page: which query feeds which chart."""

from __future__ import annotations

import dash_bootstrap_components as dbc
import numpy as np
from dash import html

from callbacks.panels import PanelSpec, cards_spec, register_panels
from dashboard import charts
from dashboard.i18n import t
from queries import settlement as q
from queries.builder import output_column


def _signed(frame):
    """Surplus in green, deficit in red."""
    return frame.assign(outcome=np.where(frame["value"] >= 0, "better", "worse"))


def _surplus(by: str, drill: str | None = None):
    def draw(data, state, names):
        key = output_column(data.meta.get("level", by))
        level = data.meta.get("level") if drill else None
        return charts.unit_bars(_signed(data.frame), key, "yuan", state.lang, level, top=2 * q.TOP)

    return draw


def _policy(data, state, names):
    """The policy parameters as a small table, one column per year."""
    labels = {
        k: t(f"policy_{k}", state.lang)
        for k in (
            "base_rate",
            "k_high",
            "k_low",
            "high_outlier_top_up",
            "readmission_days",
            "grouper_version",
            "risk_cut_points",
        )
    }
    frame = data.frame.assign(base_rate=data.frame["base_rate"].map("{:,.0f}".format))
    frame = frame.set_index("year")[list(labels)].rename(columns=labels).T
    table = dbc.Table.from_dataframe(
        frame.reset_index(names=""), size="sm", bordered=False, className="mb-1 small"
    )
    return html.Div(
        [
            table,
            html.Div(f"{t('policy_file', state.lang)}: {data.meta['file']}", className="small text-muted"),
        ]
    )


SPECS = {
    "settlement-cards": cards_spec(q.CARD_KPIS),
    "settlement-surplus-drg": PanelSpec(
        lambda url, state: q.surplus_by(url, state, "drg"),
        _surplus("drg"),
        note=lambda d, lang: t("surplus_hint", lang),
    ),
    "settlement-surplus-department": PanelSpec(
        lambda url, state: q.surplus_by(url, state, "department"), _surplus("department")
    ),
    "settlement-surplus-units": PanelSpec(q.surplus_by_unit, _surplus("institution", drill="unit")),
    "settlement-capitation": PanelSpec(
        q.capitation_year,
        lambda data, state, names: charts.capitation_progress(data.frame, data.meta, state.lang),
        note=lambda data, lang: t("capitation_note", lang).format(through=data.meta["through"]),
    ),
    "settlement-policy": PanelSpec(q.policy_in_force, _policy),
    "settlement-capitation_members": PanelSpec(
        q.capitation_members,
        lambda data, state, names: charts.budget_and_spend(
            data.frame, output_column(data.meta["level"]), state.lang, data.meta["level"]
        ),
    ),
}


def register(app, settings) -> None:
    register_panels(app, SPECS, settings.database_url)
