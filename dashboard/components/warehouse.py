"""The warehouse overview shown on the home page until the KPI pages arrive."""

from __future__ import annotations

import datetime as dt

import dash_bootstrap_components as dbc
from dash import html

from dashboard.formatting import format_int, format_large

TABLE_LABELS = {
    "dim_district": ("区县", "Districts"),
    "dim_population": ("人口（区县×年×性别×年龄组）", "Population strata"),
    "dim_consortium": ("医联体", "Consortia"),
    "dim_institution": ("医疗机构", "Institutions"),
    "dim_team": ("家庭医生团队", "Family-doctor teams"),
    "dim_doctor": ("医生", "Doctors"),
    "dim_patient": ("居民", "Residents"),
    "dim_icd10": ("ICD-10 编码", "ICD-10 codes"),
    "dim_drg": ("DRG 分组", "DRG groups"),
    "fact_visit": ("门急诊诊疗人次", "Visits"),
    "fact_inpatient": ("住院病例", "Inpatient cases"),
    "fact_referral": ("转诊", "Referrals"),
    "fact_chronic_registry": ("慢病管理登记", "Chronic registry"),
    "fact_followup": ("慢病随访", "Follow-ups"),
    "fact_contract": ("家庭医生签约", "Contracts"),
    "fact_capitation": ("按人头付费预算", "Capitation budgets"),
    "kpi_target": ("指标目标值", "KPI targets"),
}


def summary_panel(row_counts: dict[str, int], period_start: str, period_end: str, meta: dict[str, str]):
    """Cards for the data period and a table of row counts per warehouse table."""
    rows = []
    for table, count in row_counts.items():
        zh, en = TABLE_LABELS.get(table, (table, table))
        rows.append(
            html.Tr(
                [
                    html.Td([html.Div(zh), html.Small(en, className="text-muted")]),
                    html.Td(html.Code(table)),
                    html.Td(format_int(count), className="text-end font-monospace", **{"data-table": table}),
                    html.Td(format_large(count) if count >= 10_000 else "", className="text-end text-muted"),
                ]
            )
        )
    source = "演示数据" if meta.get("source") == "demo" else meta.get("source", "")
    facts = [
        ("数据期间 Data period", f"{period_start} 至 {period_end}"),
        ("数据来源 Source", f"{source} {meta.get('city_name', '')} · 规模 {meta.get('scale', '-')}"),
        ("加载时间 Loaded", _readable_time(meta.get("loaded_at", ""))),
    ]
    cards = dbc.Row(
        [
            dbc.Col(
                dbc.Card(
                    dbc.CardBody(
                        [
                            html.Div(label, className="text-muted small"),
                            html.Div(value, className="fs-5", id=f"summary-{i}"),
                        ]
                    )
                ),
                md=4,
            )
            for i, (label, value) in enumerate(facts)
        ],
        className="g-3 mb-4",
    )
    table = dbc.Table(
        [
            html.Thead(
                html.Tr(
                    [
                        html.Th("内容 Content"),
                        html.Th("表 Table"),
                        html.Th("行数 Rows", className="text-end"),
                        html.Th(""),
                    ]
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


def error_panel(message: str):
    """A clear message in place of the overview when the warehouse cannot be read."""
    return dbc.Alert(
        [html.H5("无法读取数据仓库 / Cannot read the warehouse"), html.Div(message)],
        color="danger",
        id="warehouse-error",
    )
