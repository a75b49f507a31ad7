"""The scorecard grid (dash-ag-grid): member units × key KPIs, coloured by significance, ✓ on target."""

from __future__ import annotations

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import pandas as pd
from dash import html

from dashboard.ui import ids
from dashboard.ui.components.kpi_cards import COMPARISON_WORDS
from dashboard.ui.formatting import format_kpi
from dashboard.ui.words import t, unit_names


def scorecard_rows(long: pd.DataFrame, kpis: dict, lang: str) -> list[dict]:
    """One row per unit with, per KPI: the value (sorts), its text, outcome and a tooltip with CI."""
    rows: dict[str, dict] = {}
    code_column = long.columns[0]
    for record in long.itertuples(index=False):
        code = getattr(record, code_column)
        row = rows.setdefault(code, {"code": code, "name": record.name})  # "code" is the grid's row id
        kpi = kpis[record.kpi]
        value = None if record.value != record.value else float(record.value)
        met = " ✓" if getattr(record, "target_met", None) is True else ""  # the query layer's verdict
        row[record.kpi] = value
        row[f"{record.kpi}__text"] = (
            t("suppressed", lang) if record.suppressed else format_kpi(kpi.unit, value, lang) + met
        )
        row[f"{record.kpi}__outcome"] = record.outcome
        row[f"{record.kpi}__tip"] = (
            f"{t('ci', lang)} {format_kpi(kpi.unit, record.ci_low, lang)} – "
            f"{format_kpi(kpi.unit, record.ci_high, lang)}; "
            f"{t('numerator', lang)} {record.numerator}, {t('denominator', lang)} "
            f"{record.denominator}"
        )
    return list(rows.values())


def scorecard_grid(
    rows: list[dict], kpis: dict, kpi_order: list[str], lang: str, level_label: str
) -> dag.AgGrid:
    columns = [
        {
            "field": "name",
            "headerName": level_label,
            "pinned": "left",
            "width": 200,
            "cellClass": "drill-link",
        }
    ]
    for kpi_id in kpi_order:
        kpi = kpis[kpi_id]
        columns.append(
            {
                "field": kpi_id,
                "headerName": kpi.name_en if lang == "en" else kpi.name_zh,
                "valueFormatter": {"function": f"params.data['{kpi_id}__text'] || '—'"},
                "tooltipField": f"{kpi_id}__tip",
                "cellClassRules": {
                    "cell-better": f"params.data['{kpi_id}__outcome'] == 'better'",
                    "cell-worse": f"params.data['{kpi_id}__outcome'] == 'worse'",
                },
                "type": "rightAligned",
                "width": 124,
            }
        )
    return dag.AgGrid(
        id=ids.HOME_SCORECARD,
        rowData=rows,
        columnDefs=columns,
        defaultColDef={"sortable": True, "resizable": True, "filter": False},
        getRowId="params.data.code",
        columnSize=None,
        dashGridOptions={"tooltipShowDelay": 200, "domLayout": "autoHeight", "animateRows": False},
        className="ag-theme-alpine",
        style={"width": "100%"},
    )


def red_red_list(red: pd.DataFrame, kpis: dict, lang: str, compared_with: str = "previous"):
    """Units worse than their parent and getting worse; each line reads "名称 · 指标: 同比 earlier → now (parent)",
    naming the comparison (环比 or 同比) the movement is measured by."""
    if red.empty:
        return dbc.Alert(t("red_red_none", lang), color="light", className="small mb-0")
    items = []
    for row in red.itertuples(index=False):
        kpi = kpis[row.kpi]
        items.append(
            html.Li(
                [
                    html.Strong(row.name),
                    " · ",
                    kpi.name_en if lang == "en" else kpi.name_zh,
                    ": ",
                    t(COMPARISON_WORDS[compared_with], lang),
                    " ",
                    format_kpi(kpi.unit, row.previous, lang),
                    " → ",
                    html.Span(format_kpi(kpi.unit, row.value, lang), className="text-danger fw-semibold"),
                    f" ({format_kpi(kpi.unit, row.parent, lang)})",
                ]
            )
        )
    return html.Ul(items, className="mb-0 small", id="red-red-items")


def scorecard_panel(frame: pd.DataFrame, meta: dict, kpis: dict, kpi_order: tuple[str, ...], lang: str):
    """(grid or message, title, red-red list) of the home page's scorecard for its data."""
    level = meta.get("level")
    frame = unit_names(frame, lang)  # a unit the warehouse left unnamed (no consortium) says so
    red = red_red_list(
        unit_names(meta.get("red_red", pd.DataFrame()), lang),
        kpis,
        lang,
        meta.get("compared_with", "previous"),
    )
    if level is None or frame.empty:
        return dbc.Alert(t("no_data", lang), color="light"), t("scorecard", lang), red
    order = [k for k in kpi_order if k in set(frame["kpi"])]
    grid = scorecard_grid(scorecard_rows(frame, kpis, lang), kpis, order, lang, t(level, lang))
    return grid, f"{t('scorecard', lang)} · {t(level, lang)}", red


def error_alert(text: str) -> dbc.Alert:
    return dbc.Alert(text, color="danger")
