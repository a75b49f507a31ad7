"""The hospital report's slides: a ranked table of the bureau's indicators, then one peer chart per slide."""

from __future__ import annotations

import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html

from dashboard.ui.components.panels import GRAPH_CONFIG
from dashboard.ui.figures.common import unit_bars
from dashboard.ui.formatting import format_kpi
from dashboard.ui.words import label, stand_in_names, t

OUTCOME_CLASS = {"better": "text-success", "worse": "text-danger"}


def _value(row, lang: str) -> str:
    return t("suppressed", lang) if row["suppressed"] else format_kpi(row["unit"], row["value"], lang)


def _ci(row, lang: str) -> str:
    if row["suppressed"] or pd.isna(row["ci_low"]):
        return "—"
    return f"{format_kpi(row['unit'], row['ci_low'], lang)} – {format_kpi(row['unit'], row['ci_high'], lang)}"


def peer_description(meta: dict, lang: str) -> str:
    """Which hospitals the report compares with: 同级同类, or the same level and why."""
    return t(
        f"peers_{meta['peer_group']}",
        lang,
        level=label("level", meta["level"], lang),
        kind=label("institution_type", meta.get("institution_type"), lang),
        count=meta["peer_count"],
    )


def summary_slide(frame: pd.DataFrame, meta: dict, lang: str) -> html.Section:
    name = "name_en" if lang == "en" else "name_zh"
    definition = "definition_en" if lang == "en" else "definition_zh"
    head = html.Thead(
        html.Tr(
            [
                html.Th(t(f"report_{h}", lang))
                for h in ("indicator", "value", "ci", "peer", "rank", "outcome_vs_peers")
            ]
        )
    )
    body = html.Tbody(
        [
            html.Tr(
                [
                    html.Td(row[name], title=row[definition]),
                    html.Td(_value(row, lang), className="text-end fw-semibold"),
                    html.Td(_ci(row, lang), className="text-end small"),
                    html.Td(format_kpi(row["unit"], row["peer_value"], lang), className="text-end"),
                    html.Td(
                        "—" if pd.isna(row["rank"]) else f"{int(row['rank'])}/{int(row['peers'])}",
                        className="text-end",
                    ),
                    html.Td(
                        t(row["outcome"], lang)
                        if row["outcome"] in OUTCOME_CLASS or row["outcome"] == "similar"
                        else "—",
                        className=OUTCOME_CLASS.get(row["outcome"], ""),
                    ),
                ],
                id=f"report-row-{row['kpi']}",
            )
            for row in frame.to_dict("records")
        ]
    )
    return html.Section(
        [
            html.H5(f"{meta['name']} · {label('level', meta['level'], lang)}", className="mb-1"),
            html.Div(
                f"{t('period', lang)} {meta['start']} – {meta['end']} · {peer_description(meta, lang)}",
                className="small text-muted",
            ),
            dbc.Table([head, body], bordered=False, hover=True, size="sm", className="mt-2 mb-1"),
            html.Div(t("peer_basis_note", lang), className="small text-muted"),
        ],
        className="report-slide card card-body mb-3",
    )


def peer_slide(row: dict, peers: pd.DataFrame, lang: str) -> html.Section:
    """One indicator: every peer hospital with its interval, this one dark, the peer level dotted."""
    name = row["name_en" if lang == "en" else "name_zh"]
    rank = (
        "" if pd.isna(row["rank"]) else f" · {t('report_rank', lang)} {int(row['rank'])}/{int(row['peers'])}"
    )
    part = stand_in_names(peers[peers["kpi"] == row["kpi"]], lang).assign(parent=row["peer_value"])
    part = part.sort_values("value", ascending=row["polarity"] == "lower", na_position="last")
    figure = unit_bars(part, "institution_id", row["unit"], lang)
    return html.Section(
        [
            html.H5(f"{name}{rank}", className="mb-1"),
            html.Div(row["definition_en" if lang == "en" else "definition_zh"], className="small text-muted"),
            dcc.Graph(figure=figure, config=GRAPH_CONFIG),
        ],
        className="report-slide card card-body mb-3",
        id=f"report-slide-{row['kpi']}",
    )


def slides(frame: pd.DataFrame, meta: dict, lang: str) -> list:
    return [
        summary_slide(frame, meta, lang),
        *[peer_slide(r, meta["peers"], lang) for r in frame.to_dict("records")],
    ]
