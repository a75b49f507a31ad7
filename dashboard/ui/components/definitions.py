"""The KPI definitions table, from registry entries given by the caller."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from dashboard.ui.words import label, t


def definitions_table(kpis, lang: str) -> dbc.Table:
    head = html.Thead(
        html.Tr([html.Th(t(k, lang)) for k in ("indicator", "definition", "unit", "polarity", "source")])
    )
    rows = []
    for kpi in kpis:
        name = html.Div(
            [
                html.Div(kpi.name_zh if lang == "zh" else kpi.name_en, className="fw-semibold"),
                html.Div(kpi.name_en if lang == "zh" else kpi.name_zh, className="small text-muted"),
                html.Code(kpi.id, className="small"),
            ]
        )
        definition = html.Div(
            [
                html.Div(kpi.definition_zh if lang == "zh" else kpi.definition_en),
                html.Div(
                    kpi.definition_en if lang == "zh" else kpi.definition_zh, className="small text-muted"
                ),
            ]
        )
        rows.append(
            html.Tr(
                [
                    html.Td(name),
                    html.Td(definition),
                    html.Td(label("unit", kpi.unit, lang)),
                    html.Td(label("polarity", kpi.polarity, lang)),
                    html.Td(kpi.source, className="small"),
                ],
                id=f"def-{kpi.id}",
            )
        )
    return dbc.Table([head, html.Tbody(rows)], hover=True, size="sm", className="bg-white")
