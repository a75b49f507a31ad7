"""Tables a panel shows instead of a chart: the outlier case list (a paged grid) and the policy in force."""

from __future__ import annotations

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import pandas as pd
from dash import html

from dashboard.core.reference import LEVELS
from dashboard.ui.words import join, label, t

POLICY_ROWS = (
    "base_rate",
    "k_high",
    "k_low",
    "high_outlier_top_up",
    "low_outlier_payment",
    "readmission_days",
    "grouper_version",
    "risk_cut_points",
    "capitation_warning_line",
)


# Whole numbers with thousands separators on the screen; the value itself (and so the download) is unchanged.
THOUSANDS = {"function": "d3.format(',')(params.value)"}


def grid(
    frame: pd.DataFrame, columns: list[tuple[str, str]], note: str = "", numbers: tuple[str, ...] = ()
) -> html.Div:
    """Rows as a sortable, paged grid: ``columns`` are (field, header) pairs; numbers keep their sort order,
    the ``numbers`` fields shown with thousands separators."""
    return html.Div(
        [
            dag.AgGrid(
                rowData=frame.to_dict("records"),
                columnDefs=[
                    {"field": f, "headerName": h, **({"valueFormatter": THOUSANDS} if f in numbers else {})}
                    for f, h in columns
                ],
                defaultColDef={
                    "sortable": True,
                    "resizable": True,
                    "filter": True,
                    "flex": 1,
                    "minWidth": 90,
                    "wrapHeaderText": True,  # long Chinese headers wrap instead of ending in "…"
                    "autoHeaderHeight": True,
                },
                dashGridOptions={
                    "pagination": True,
                    "paginationPageSize": 10,
                    "paginationPageSizeSelector": False,
                    "animateRows": False,
                },
                className="ag-theme-alpine",
                style={"height": "460px", "width": "100%"},
            ),
            html.Div(note, className="small text-muted mt-1") if note else None,
        ]
    )


def case_rows(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The outlier case list as the screen shows it and its download holds it: the query's coarse values
    (month, stay band, cost to 100 元) with the bands and the kind of outlier in words; never more precise."""
    kinds = {"high": t("high_cost_outlier_share", lang), "low": t("low_cost_outlier_share", lang)}
    return frame.assign(
        los_band=[label("los_band", band, lang) for band in frame["los_band"]],
        kind=frame["kind"].map(kinds),
    )


def case_table(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The case list's download: the rows of the screen under the screen's column headers."""
    return case_rows(frame, lang).rename(columns=lambda field: label("case_column", field, lang))


def outlier_cases(frame: pd.DataFrame, meta: dict, lang: str) -> html.Div:
    """The outlier case list as a grid (rows from ``case_rows``, the same as the download)."""
    columns = [(field, label("case_column", field, lang)) for field in frame.columns]
    note = t("outlier_cases_note", lang, limit=meta["limit"])
    return grid(case_rows(frame, lang), columns, note, numbers=("cost",))


def policy_table(frame: pd.DataFrame, meta: dict, lang: str) -> html.Div:
    """The policy parameters in force, one column per year (level coefficients included), where the risk
    levels come from, and the file's version: never where the file lies on the server."""
    labels = {k: t(f"policy_{k}", lang) for k in POLICY_ROWS if k in frame}
    labels |= {
        f"coefficient_{lv}": t("policy_coefficient", lang, level=label("level", lv, lang))
        for lv in LEVELS
        if f"coefficient_{lv}" in frame
    }
    shown = frame.assign(base_rate=frame["base_rate"].map("{:,.0f}".format))
    if "low_outlier_payment" in shown:
        shown["low_outlier_payment"] = [
            label("low_outlier_payment", v, lang) for v in shown["low_outlier_payment"]
        ]
    shown = shown.set_index("year")[list(labels)].rename(columns=labels).T
    table = dbc.Table.from_dataframe(
        shown.reset_index(names=""), size="sm", bordered=False, className="mb-1 small"
    )
    derived = meta.get("risk_source") == "derived"
    risk = (
        t("risk_source_derived", lang, versions=join(meta.get("derived_versions", ()), lang))
        if derived
        else t("risk_source_catalogue", lang)
    )
    return html.Div(
        [
            table,
            html.Div(risk, className="small text-muted"),
            html.Div(
                f"{t('policy_version', lang)}: {meta.get('fingerprint', '')}", className="small text-muted"
            ),
        ]
    )
