"""DRG绩效 page: which query feeds which chart."""

from __future__ import annotations

from dataclasses import replace

from dash import dcc, html

from callbacks.panels import PanelSpec, cards_spec, register_panels
from dashboard import charts
from dashboard.components.panels import case_table, graph
from dashboard.i18n import t
from queries import drg_performance as q
from queries.builder import output_column

CASE_COLUMNS = {
    "month": ("出院月份", "Discharged"),
    "institution": ("机构", "Institution"),
    "department": ("科室", "Department"),
    "drg_code": ("DRG", "DRG"),
    "drg_name": ("组名", "Group"),
    "los": ("住院日", "Days"),
    "total_cost": ("费用（元）", "Cost (yuan)"),
    "cost_ratio": ("费用/全市组均值", "Cost / region mean"),
    "kind": ("类型", "Type"),
}


def _groups(data, state, names):
    level, group = data.meta["level"], data.meta["group"]
    drill = "group" if group_level_below(group) else None
    figure = charts.unit_bars(
        data.frame, output_column(level), "count", state.lang, drill, top=data.meta["top"]
    )
    crumbs = []
    path = [group[:1], group[:3], group[:4]] if group else []
    for code in ["", *dict.fromkeys(c for c in path if c)]:
        if code == group:
            break
        label = code or t("groups_back", state.lang)
        crumbs.append(
            dcc.Link(label, href="/drg" + replace(state, group=code).to_query(), className="me-3 small")
        )
    return html.Div([html.Div(crumbs) if crumbs else None, graph("drg-groups", figure)])


def group_level_below(group: str) -> bool:
    """A group can be drilled while it is not yet a single DRG."""
    return q.group_level(group) != "drg"


def _quadrant(by: str):
    def draw(data, state, names):
        level = data.meta["level"]
        drill = level if level != "department" else None
        return charts.quadrant_plot(
            data.frame, output_column(level), data.meta["region_cmi"], state.lang, drill, data.meta["chosen"]
        )

    return draw


def _cases(data, state, names):
    frame = data.frame.assign(
        total_cost=data.frame["total_cost"].round(0), cost_ratio=data.frame["cost_ratio"].round(2)
    )
    frame["kind"] = frame["kind"].map(
        {"high": t("high_cost_outlier_share", state.lang), "low": t("low_cost_outlier_share", state.lang)}
    )
    columns = [(f, h[1] if state.lang == "en" else h[0]) for f, h in CASE_COLUMNS.items()]
    return case_table(frame, columns, t("outlier_cases_note", state.lang).format(limit=data.meta["limit"]))


SPECS = {
    "drg-cards": cards_spec(q.CARD_KPIS, extra=q.page_filters),
    "drg-bands": PanelSpec(
        q.weight_bands,
        lambda data, state, names: charts.unit_bars(data.frame, "weight_band", "count", state.lang),
    ),
    "drg-quadrant-institution": PanelSpec(
        lambda url, state: q.quadrant(url, state, "institution"), _quadrant("institution")
    ),
    "drg-quadrant-department": PanelSpec(
        lambda url, state: q.quadrant(url, state, "department"), _quadrant("department")
    ),
    "drg-groups": PanelSpec(q.groups, _groups),
    "drg-group_costs": PanelSpec(
        q.group_costs,
        lambda data, state, names: charts.unit_bars(
            data.frame[~data.frame["suppressed"]], "institution_id", "yuan", state.lang, "institution"
        ),
        note=lambda data, lang: t("group_costs_note", lang).format(
            hidden=int(data.frame["suppressed"].sum())
        ),
    ),
    "drg-outliers": PanelSpec(
        q.outlier_counts, lambda data, state, names: charts.outlier_bars(data.frame, names("drg"), state.lang)
    ),
    "drg-cases": PanelSpec(q.outlier_cases, _cases),
}


def register(app, settings) -> None:
    register_panels(app, SPECS, settings.database_url)
