"""A page panel: a card with a title, download links (CSV with BOM, Excel), a loading state, and a body that
shows a chart or an explicit message. Pages lay panels out by key; callbacks/panels.py fills them."""

from __future__ import annotations

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import dcc, html

from dashboard.ui import ids
from dashboard.ui.words import t

GRAPH_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["lasso2d", "select2d"], "responsive": True}


def _download_links(key: str, lang: str) -> html.Div:
    return html.Div(
        [
            dbc.Button(
                t("download_csv", lang), id=ids.panel_csv(key), size="sm", color="link", className="p-0 me-3"
            ),
            dbc.Button(
                t("download_xlsx", lang), id=ids.panel_xlsx(key), size="sm", color="link", className="p-0"
            ),
        ],
        className="small text-nowrap",
    )


def panel_card(key: str, title: str, lang: str, hint: str = "") -> dbc.Card:
    links = _download_links(key, lang)
    return dbc.Card(
        dbc.CardBody(
            [
                html.Div(
                    [html.H6(title, className="me-auto mb-1"), links], className="d-flex align-items-start"
                ),
                html.Div(hint, className="small text-muted mb-1") if hint else None,
                dcc.Loading(
                    html.Div(id=ids.panel_body(key), className="panel-body"), type="dot", delay_show=150
                ),
                dcc.Download(id=ids.panel_file(key)),
                dcc.Store(id=ids.panel_trigger(key), data=key),
            ]
        ),
        className="h-100 panel-card",
        id=f"panel-{key}",
    )


def panel_row(*cards_and_widths) -> dbc.Row:
    """Panels side by side: pairs of (card, width on large screens out of 12)."""
    return dbc.Row(
        [dbc.Col(card, lg=width, className="mb-3") for card, width in cards_and_widths], className="g-3"
    )


def message(text: str) -> dbc.Alert:
    return dbc.Alert(text, color="light", className="mb-0 small panel-message")


def graph(key: str, figure: go.Figure, note: str = "") -> html.Div:
    return html.Div(
        [
            dcc.Graph(
                id=ids.panel_graph(key),
                figure=figure,
                # the camera button saves the chart as a PNG named after its panel
                config={
                    **GRAPH_CONFIG,
                    "toImageButtonOptions": {"format": "png", "filename": key, "scale": 2},
                },
            ),
            html.Div(note, className="small text-muted") if note else None,
        ]
    )


def cards_strip(key: str, title: str, lang: str, hint: str = "") -> html.Div:
    """A page's heading with its KPI cards below (cards are their own boxes: no frame around them)."""
    return html.Div(
        [
            html.Div(
                [
                    html.H4(title, className="mb-0 me-auto"),
                    _download_links(key, lang),
                ],
                className="d-flex align-items-end mb-1",
            ),
            html.Div(hint, className="small text-muted mb-2") if hint else None,
            dcc.Loading(html.Div(id=ids.panel_body(key), className="mb-2"), type="dot", delay_show=150),
            dcc.Download(id=ids.panel_file(key)),
            dcc.Store(id=ids.panel_trigger(key), data=key),
        ]
    )
