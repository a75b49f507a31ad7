"""The definitions page's content: the disclosure rules (DOMAIN §9) and the KPI definitions table, from
registry entries given by the caller."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from dashboard.ui import ids
from dashboard.ui.words import label, t

# The disclosure rules in the order a reader needs them: what is withheld, from how small, what is not, the
# second cells, the same everywhere, case lists, what the rules cannot stop, and how a withheld cell looks.
DISCLOSURE_RULES = ("primary", "threshold", "zero", "secondary", "consistent", "cases", "residual", "marks")


def disclosure_rules(threshold: int, lang: str) -> dbc.Card:
    """What the dashboard withholds and why, for the deployment's ``threshold``, as a titled list."""
    params = {"threshold": threshold, "largest": threshold - 1}
    items = []
    for rule in DISCLOSURE_RULES:
        items += [
            html.Dt(t(f"disclosure_{rule}_lead", lang), className="col-md-3 col-xl-2"),
            html.Dd(t(f"disclosure_{rule}", lang, **params), className="col-md-9 col-xl-10"),
        ]
    return dbc.Card(
        dbc.CardBody(
            [
                html.H5(t("disclosure_title", lang), className="card-title"),
                html.P(t("disclosure_intro", lang)),
                html.Dl(items, className="row mb-0"),
            ]
        ),
        id=ids.DISCLOSURE,
        className="mb-4",
    )


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
