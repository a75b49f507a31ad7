"""The data-quality page's tables: institutions (or one institution's months), the last loads, and the chosen
load's quarantined rows by reason with the codes it could not map."""

from __future__ import annotations

from dataclasses import replace

import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html

from dashboard.core.state import ViewState
from dashboard.ui.formatting import format_int, format_percent
from dashboard.ui.words import label, t

PAGE = "/data-quality"


def _share(value) -> str:
    return "—" if pd.isna(value) else format_percent(float(value))


def _days(value) -> str:
    return "—" if pd.isna(value) else str(int(value))


def _count(row) -> str:
    if row["status"] == "withheld" or pd.isna(row["count"]):
        return "—"
    return format_int(row["count"])


def _table(head: list[str], rows: list, numeric_from: int = 2) -> dbc.Table:
    cells = [html.Th(h, className="text-end" if i >= numeric_from else "") for i, h in enumerate(head)]
    return dbc.Table(
        [html.Thead(html.Tr(cells)), html.Tbody(rows)],
        bordered=False,
        hover=True,
        size="sm",
        responsive=True,
        className="align-middle small mb-0",
    )


def _td(text: str, numeric: bool = True) -> html.Td:
    return html.Td(text, className="text-end font-monospace" if numeric else "")


def _reason(reason, lang: str) -> str:
    """A reason code (bad_code:visit_type) in words: its kind named, the column as it is."""
    if not isinstance(reason, str) or not reason:
        return ""
    kind, _, column = reason.partition(":")
    return f"{label('quality_reason_kind', kind, lang)} {column}".strip()


def summary_table(frame: pd.DataFrame, meta: dict, state: ViewState):
    """Institutions with their completeness, anomalies, quarantined share and days to load, each a link to
    its months; or, with an institution chosen, its months."""
    lang = state.lang
    if meta.get("level") == "month":
        head = [
            t("quality_month", lang),
            t("quality_status_head", lang),
            t("quality_rows", lang),
            t("quality_quarantined", lang),
            t("quality_main_reason", lang),
            t("quality_loaded_at", lang),
            t("quality_days_to_load", lang),
        ]
        rows = [
            html.Tr(
                [
                    html.Td(r["month"].isoformat()[:7]),
                    html.Td(label("quality_status", r["status"], lang)),
                    _td(_count(r)),
                    _td(_share(r["quarantined_share"])),
                    html.Td(_reason(r["main_reason"], lang), className="text-end small"),
                    _td(r["loaded_at"] if isinstance(r["loaded_at"], str) else "—"),
                    _td(_days(r["days_to_load"])),
                ]
            )
            for _, r in frame.iterrows()
        ]
        return _table(head, rows)
    head = [
        t("quality_institution", lang),
        t("quality_expected", lang),
        t("quality_reported", lang),
        t("quality_completeness", lang),
        t("quality_anomalies", lang),
        t("quality_quarantined", lang),
        t("quality_days_to_load", lang),
    ]
    rows = []
    for _, r in frame.iterrows():
        target = state.select("institution", r["institution_id"])
        rows.append(
            html.Tr(
                [
                    html.Td(dcc.Link(r["name"], href=PAGE + target.to_query())),
                    _td(str(r["expected"])),
                    _td(str(r["reported"])),
                    _td(_share(r["completeness"])),
                    _td(str(r["anomalies"])),
                    _td(_share(r["quarantined_share"])),
                    _td(_days(r["days_to_load"])),
                ]
            )
        )
    return _table(head, rows, numeric_from=1)


def summary_download(data, lang: str) -> pd.DataFrame:
    frame = data.frame.copy()
    if "status" in frame:
        frame["status"] = [label("quality_status", s, lang) for s in frame["status"]]
        frame["count"] = frame["count"].where(~frame["withheld"].astype(bool))
    if "month" in frame:
        frame["month"] = [m.isoformat()[:7] for m in frame["month"]]
    return frame


def grid_table(data, lang: str) -> pd.DataFrame:
    """The grid's download: one row per institution and month, as the cells show it."""
    return summary_download(data, lang)


def loads_table(frame: pd.DataFrame, state: ViewState):
    lang = state.lang
    if frame.empty:
        return html.P(t("quality_no_loads", lang), className="text-muted")
    head = [
        t("quality_loaded_at", lang),
        t("quality_mode", lang),
        t("quality_source", lang),
        t("quality_read", lang),
        t("quality_loaded", lang),
        t("quality_quarantined", lang),
    ]
    rows = []
    for _, r in frame.iterrows():
        chosen = replace(state, load=r["load_id"])
        rows.append(
            html.Tr(
                [
                    html.Td(dcc.Link(r["loaded_at"], href=PAGE + chosen.to_query())),
                    html.Td(label("load_mode", r["mode"], lang)),
                    html.Td(
                        html.Span(r["mapping"] or r["source"], title=r["source"]),
                        className="text-truncate",
                        style={"maxWidth": "14rem"},
                    ),
                    _td(format_int(r["rows_read"])),
                    _td(format_int(r["rows_loaded"])),
                    _td(_share(r["quarantined_share"])),
                ]
            )
        )
    return _table(head, rows, numeric_from=3)


def loads_download(data, lang: str) -> pd.DataFrame:
    return data.frame


def reasons_table(frame: pd.DataFrame, meta: dict, lang: str):
    if frame.empty:
        return html.P(t("quality_nothing_quarantined", lang), className="text-muted")
    head = [t("quality_table", lang), t("quality_reason", lang), t("quality_rows", lang)]
    rows = [
        html.Tr(
            [
                html.Td(label("table", r["table"], lang)),
                html.Td(
                    html.Code(r["item"])
                    if r["kind"] != "reason"
                    else label("quality_reason_kind", r["item"].split(":")[0], lang)
                    + f" {r['item'].partition(':')[2]}"
                ),
                _td(t("quality_few", lang) if r["few"] else format_int(r["rows"])),
            ],
            className="" if r["kind"] == "reason" else "table-light",
        )
        for _, r in frame.iterrows()
    ]
    caption = html.Div(
        t("quality_report_of", lang, load=meta.get("load_id") or "—"), className="text-muted small mb-1"
    )
    return html.Div([caption, _table(head, rows)])


def reasons_download(data, lang: str) -> pd.DataFrame:
    return data.frame
