"""The audit page's table: the newest events first, in the viewer's language."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from dashboard.ui.words import label, t

COLUMNS = ("at", "username", "role", "scope", "address", "kind", "page", "filters", "rows", "detail")


def audit_table(rows: list[dict], lang: str):
    """A compact table of audit events (a message when none matches)."""
    if not rows:
        return html.Div(t("audit_none", lang), className="text-muted")
    head = html.Thead(html.Tr([html.Th(label("audit_column", c, lang)) for c in COLUMNS]))
    body = html.Tbody(
        [
            html.Tr(
                [
                    html.Td(row["at"].strftime("%Y-%m-%d %H:%M:%S")),
                    html.Td(row["username"]),
                    html.Td(t(f"role_{row['role']}", lang) if row["role"] else ""),
                    html.Td(row["scope"]),
                    html.Td(row["address"]),
                    html.Td(label("audit_kind", row["kind"], lang)),
                    html.Td(row["page"]),
                    html.Td(row["filters"], className="text-break"),
                    html.Td("" if row["rows"] is None else str(row["rows"]), className="text-end"),
                    html.Td(row["detail"], className="text-break small"),
                ]
            )
            for row in rows
        ]
    )
    return dbc.Table([head, body], size="sm", striped=True, responsive=True, className="small")
