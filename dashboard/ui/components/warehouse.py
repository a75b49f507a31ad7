"""The warehouse overview: its data period, source and load time, and the rows of every contract table."""

from __future__ import annotations

import datetime as dt

import dash_bootstrap_components as dbc
from dash import html

from dashboard.ui.formatting import format_int, format_large
from dashboard.ui.words import label, t


def summary_panel(
    row_counts: dict[str, int], period_start: str, period_end: str, meta: dict[str, str], lang: str
) -> html.Div:
    """Cards for the data period, source and load time, and a table of row counts per warehouse table."""
    rows = []
    for table, count in row_counts.items():
        rows.append(
            html.Tr(
                [
                    html.Td(label("table", table, lang)),
                    html.Td(html.Code(table)),
                    html.Td(format_int(count), className="text-end font-monospace", **{"data-table": table}),
                    html.Td(format_large(count) if count >= 10_000 else "", className="text-end text-muted"),
                ]
            )
        )
    source = t("source_demo", lang) if meta.get("source") == "demo" else meta.get("source", "")
    facts = [
        (t("fact_period", lang), t("period_to", lang, start=period_start, end=period_end)),
        (
            t("fact_source", lang),
            f"{source} {meta.get('city_name', '')} · {t('scale', lang)} {meta.get('scale', '-')}",
        ),
        (t("fact_loaded", lang), _readable_time(meta.get("loaded_at", ""))),
    ]
    cards = dbc.Row(
        [
            dbc.Col(
                dbc.Card(
                    dbc.CardBody(
                        [
                            html.Div(name, className="text-muted small"),
                            html.Div(value, className="fs-5", id=f"summary-{i}"),
                        ]
                    )
                ),
                md=4,
            )
            for i, (name, value) in enumerate(facts)
        ],
        className="g-3 mb-4",
    )
    head = [t("column_content", lang), t("column_table", lang), t("column_rows", lang)]
    table = dbc.Table(
        [
            html.Thead(
                html.Tr(
                    [html.Th(head[0]), html.Th(head[1]), html.Th(head[2], className="text-end"), html.Th("")]
                )
            ),
            html.Tbody(rows),
        ],
        bordered=False,
        hover=True,
        size="sm",
        className="align-middle",
    )
    return html.Div([cards, dbc.Card(dbc.CardBody(table))])


def _readable_time(iso: str) -> str:
    try:
        return dt.datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return iso or "-"


def error_panel(message: str, lang: str) -> dbc.Alert:
    """A clear message in place of the overview when the warehouse cannot be read."""
    return dbc.Alert(
        [html.H5(t("warehouse_error_title", lang)), html.Div(message)],
        color="danger",
        id="warehouse-error",
    )
