"""数据质量 — is the data complete, valid and on time? Per institution and month, after DHIS2's data-quality
app: completeness (months reported against months expected, and each month's rows against the institution's
own history), validity (the share of its rows the loads quarantined, by reason), timeliness (days from the end
of the data month to the load that brought it); and the last loads with their reports.

Counts that leave the server are the registry's count KPIs (visits, discharges, referrals) and go through
disclosure control like every other number: a withheld count stays withheld here, and its cell says only
that it is withheld, never whether it looked anomalous. Quarantined rows of an institution and month are
shown as a share only when there are at least as many as the disclosure threshold.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace

import numpy as np
import pandas as pd
import sqlalchemy as sa

from dashboard.core.db import get_engine
from dashboard.core.months import add_months, month_end
from dashboard.core.schema import (
    agg_visit_org,
    fact_followup,
    fact_inpatient,
    fact_referral,
    load_coverage,
    load_log,
)
from dashboard.core.settings import suppression_threshold
from queries.execution import kpi_values
from queries.kpi.builder import Request
from queries.kpi.catalog import get_catalog
from queries.kpi.expressions import bucket
from queries.kpi.filters import EVERYTHING
from queries.panels import PanelData, panel
from queries.selection import View, selection
from queries.sums import cache_key, cached

# The fact tables the page looks at: the ViewState's ``table`` value, the warehouse table, its count KPI
# (None: no KPI counts follow-ups, so their months show marks without numbers).
SOURCES = {
    "visits": ("fact_visit", "visit_count"),
    "inpatient": ("fact_inpatient", "discharges"),
    "referrals": ("fact_referral", "referral_count"),
    "followups": ("fact_followup", None),
}
PERSON_COLUMNS = ("patient_id",)
HISTORY_MONTHS = 12  # a month is compared with the median of the institution's 12 months before it
LOW, HIGH = 0.5, 2.0  # below half or above twice that median is marked as an anomaly
MONTHS_SHOWN = 12
STATUSES = ("missing", "anomaly_low", "anomaly_high", "withheld", "ok")


def source_of(view: View) -> tuple[str, str, str | None]:
    name = view.state.table or "visits"
    table, kpi = SOURCES.get(name, SOURCES["visits"])
    return name, table, kpi


def _monthly_statement(table: str) -> sa.Select:
    """Rows per institution and month of a fact table, over the whole warehouse (from the rollup for visits)."""
    if table == "fact_visit":
        t = agg_visit_org
        return sa.select(t.c.institution_id, t.c.month, sa.func.sum(t.c.n).label("rows")).group_by(
            t.c.institution_id, t.c.month
        )
    source = {
        "fact_inpatient": (fact_inpatient.c.institution_id, fact_inpatient.c.discharge_date),
        "fact_referral": (fact_referral.c.from_institution_id, fact_referral.c.referral_date),
        "fact_followup": (fact_followup.c.institution_id, fact_followup.c.followup_date),
    }[table]
    institution, date = source
    month = bucket(date, "month").label("month")
    return sa.select(institution.label("institution_id"), month, sa.func.count().label("rows")).group_by(
        institution, month
    )


def monthly_rows(database_url: str, table: str) -> pd.DataFrame:
    """Internal: rows per institution and month (never shown as such; see the module docstring)."""
    catalog = get_catalog(database_url)

    def compute():
        with get_engine(database_url).connect() as conn:
            frame = pd.DataFrame(
                conn.execute(_monthly_statement(table)).all(), columns=["institution_id", "month", "rows"]
            )
        frame["month"] = pd.to_datetime(frame["month"]).dt.date
        frame["rows"] = frame["rows"].astype("int64")
        return frame

    return cached(cache_key("quality:monthly", table, EVERYTHING, catalog), compute)


def load_history(database_url: str) -> pd.DataFrame:
    """The loads, newest first: when, how, from where, rows read, loaded and quarantined."""
    catalog = get_catalog(database_url)

    def compute():
        columns = [c for c in load_log.columns if c.name != "report"]
        statement = sa.select(*columns).order_by(load_log.c.loaded_at.desc())
        with get_engine(database_url).connect() as conn:
            if not sa.inspect(conn).has_table(load_log.name):
                return pd.DataFrame(columns=[c.name for c in columns])
            return pd.DataFrame(conn.execute(statement).all(), columns=[c.name for c in columns])

    return cached(cache_key("quality:loads", (), EVERYTHING, catalog), compute)


def load_report(database_url: str, load_id: str) -> dict | None:
    """A load's report as it was written (report.json), or None for an unknown load."""
    statement = sa.select(load_log.c.report).where(load_log.c.load_id == load_id)
    with get_engine(database_url).connect() as conn:
        if not sa.inspect(conn).has_table(load_log.name):
            return None
        text = conn.execute(statement).scalar_one_or_none()
    return json.loads(text) if text else None


def coverage(database_url: str, table: str) -> pd.DataFrame:
    """Per institution and month, what the load that last brought it said: its time, rows loaded and
    quarantined (by first reason)."""
    catalog = get_catalog(database_url)

    def compute():
        c, log = load_coverage, load_log
        statement = (
            sa.select(c.c.institution_id, c.c.month, c.c.reason, c.c.rows, log.c.loaded_at, log.c.load_id)
            .select_from(c.join(log, log.c.load_id == c.c.load_id))
            .where(c.c.table_name == table)
        )
        with get_engine(database_url).connect() as conn:
            if not sa.inspect(conn).has_table(load_coverage.name):  # a warehouse built before the load log
                return pd.DataFrame(
                    columns=["institution_id", "month", "reason", "rows", "loaded_at", "load_id"]
                )
            frame = pd.DataFrame(
                conn.execute(statement).all(),
                columns=["institution_id", "month", "reason", "rows", "loaded_at", "load_id"],
            )
        if frame.empty:
            return frame
        frame["month"] = pd.to_datetime(frame["month"]).dt.date
        latest = frame.groupby(["institution_id", "month"], dropna=False)["loaded_at"].transform("max")
        return frame[frame["loaded_at"] == latest].reset_index(drop=True)

    return cached(cache_key("quality:coverage", table, EVERYTHING, catalog), compute)


def _institutions(view: View) -> list[str]:
    """The institutions of the view's selection (its district, consortium or institution), in code order."""
    sel = selection(view)
    catalog = get_catalog(view.database_url)
    wanted = dict(sel.filters.values)
    out = []
    for code, (district, consortium, _level) in catalog.parents["institution"].items():
        if "district" in wanted and district not in wanted["district"]:
            continue
        if "consortium" in wanted and consortium not in wanted["consortium"]:
            continue
        if "institution" in wanted and code not in wanted["institution"]:
            continue
        out.append(code)
    return sorted(out)


def grid(view: View) -> PanelData:
    """Institution × month of the selected period's last 12 months: status, count (where a KPI gives it
    and it is not withheld), quarantined share, days to load."""
    return panel("quality-grid", view, lambda: _grid(view))


def _grid(view: View) -> PanelData:
    name, table, kpi = source_of(view)
    sel = selection(view)
    end = sel.filters.end.replace(day=1)
    start = max(sel.filters.start.replace(day=1), add_months(end, -(MONTHS_SHOWN - 1)))
    months = []
    m = start
    while m <= end:
        months.append(m)
        m = add_months(m, 1)
    institutions = _institutions(view)
    rows = monthly_rows(view.database_url, table)
    rows = rows[rows["institution_id"].isin(institutions)]
    frame = pd.MultiIndex.from_product([institutions, months], names=["institution_id", "month"]).to_frame(
        index=False
    )
    frame = frame.merge(rows, how="left", on=["institution_id", "month"])
    frame["rows"] = frame["rows"].fillna(0).astype("int64")
    first = rows.groupby("institution_id")["month"].min()
    frame["expected"] = frame["month"] >= frame["institution_id"].map(first).fillna(dt.date.max)
    frame["median"] = [
        _history_median(rows, code, month)
        for code, month in zip(frame["institution_id"], frame["month"], strict=True)
    ]
    shown = _shown_counts(view, kpi, start, end)
    frame = frame.merge(shown, how="left", on=["institution_id", "month"])
    threshold = suppression_threshold()
    frame["withheld"] = (
        frame["withheld"].fillna(False).astype(bool) if kpi else (frame["rows"].between(1, threshold - 1))
    )
    frame["status"] = [_status(r, threshold) for r in frame.itertuples()]
    frame = frame.merge(
        _validity(view.database_url, table, threshold), how="left", on=["institution_id", "month"]
    )
    # the share of a withheld cell would give its count back (quarantined / (loaded + quarantined))
    frame.loc[frame["status"] == "withheld", ["quarantined_share", "main_reason"]] = np.nan
    frame["name"] = [
        get_catalog(view.database_url).name("institution", c, view.state.lang)
        for c in frame["institution_id"]
    ]
    out = frame[
        [
            "institution_id",
            "name",
            "month",
            "status",
            "count",
            "withheld",
            "quarantined_share",
            "main_reason",
            "loaded_at",
            "days_to_load",
        ]
    ].copy()
    # what leaves the server: no raw row count, no history median (they would give back a withheld count)
    return PanelData(
        out, {"source": name, "table": table, "kpi": kpi, "months": months, "threshold": threshold}
    )


def _history_median(rows: pd.DataFrame, code: str, month: dt.date) -> float:
    earlier = rows[
        (rows["institution_id"] == code)
        & (rows["month"] < month)
        & (rows["month"] >= add_months(month, -HISTORY_MONTHS))
    ]
    return float(earlier["rows"].median()) if len(earlier) >= 3 else float("nan")


def _shown_counts(view: View, kpi: str | None, start: dt.date, end: dt.date) -> pd.DataFrame:
    if kpi is None:
        return pd.DataFrame({"institution_id": [], "month": [], "count": [], "withheld": []})
    sel = selection(view)
    filters = replace(sel.filters, start=start, end=month_end(end))
    values = kpi_values(view.database_url, Request(kpi, filters, ("institution",), "month", sel.scope))
    values = values.rename(columns={"numerator": "count", "suppressed": "withheld"})
    values["month"] = pd.to_datetime(values["month"]).dt.date
    return values[["institution_id", "month", "count", "withheld"]]


def _status(row, threshold: int) -> str:
    if not row.expected:
        return "not_expected"
    if row.rows == 0:
        return "missing"
    if row.withheld:
        return "withheld"
    if not np.isnan(row.median) and row.median >= threshold:
        if row.rows < LOW * row.median:
            return "anomaly_low"
        if row.rows > HIGH * row.median:
            return "anomaly_high"
    return "ok"


def _validity(database_url: str, table: str, threshold: int) -> pd.DataFrame:
    cov = coverage(database_url, table)
    if cov.empty:
        return pd.DataFrame(
            columns=[
                "institution_id",
                "month",
                "quarantined_share",
                "main_reason",
                "loaded_at",
                "days_to_load",
            ]
        )
    cov = cov.assign(bad=np.where(cov["reason"] == "", 0, cov["rows"]))
    per = (
        cov.groupby(["institution_id", "month"], dropna=False)
        .agg(rows=("rows", "sum"), bad=("bad", "sum"), loaded_at=("loaded_at", "max"))
        .reset_index()
    )
    share = per["bad"] / per["rows"]
    # a handful of bad rows is not shown as a number: the share of 1–4 rows is said to be "a few"
    per["quarantined_share"] = np.where((per["bad"] == 0) | (per["bad"] >= threshold), share, np.nan)
    # the reason most of a cell's quarantined rows had (their first reason), named only with its share
    bad = cov[cov["reason"] != ""].sort_values(["rows", "reason"], ascending=[False, True])
    top = bad.drop_duplicates(["institution_id", "month"])[["institution_id", "month", "reason"]]
    per = per.merge(top.rename(columns={"reason": "main_reason"}), how="left", on=["institution_id", "month"])
    per["main_reason"] = per["main_reason"].where(per["quarantined_share"].notna() & (per["bad"] > 0))
    per["loaded_at"] = pd.to_datetime(per["loaded_at"])
    ends = pd.to_datetime([month_end(m) for m in per["month"]])
    per["days_to_load"] = (per["loaded_at"].dt.normalize() - ends).dt.days
    per["loaded_at"] = per["loaded_at"].dt.strftime("%Y-%m-%d %H:%M")
    return per[["institution_id", "month", "quarantined_share", "main_reason", "loaded_at", "days_to_load"]]


def institution_summary(view: View) -> PanelData:
    """Per institution (or, with one chosen, per month): completeness, validity and timeliness."""
    return panel("quality-summary", view, lambda: _summary(view))


def _summary(view: View) -> PanelData:
    data = grid(view)  # the grid panel's cached cells: the same view's grid is not computed twice
    frame = data.frame
    if data.empty:
        return data
    if view.state.institution:
        months = frame[frame["institution_id"] == view.state.institution].drop(
            columns=["institution_id", "name"]
        )
        return PanelData(months.reset_index(drop=True), {**data.meta, "level": "month"})
    grouped = frame.groupby(["institution_id", "name"], sort=False)
    out = grouped.agg(
        expected=("status", lambda s: int((s != "not_expected").sum())),
        reported=("status", lambda s: int(s.isin(["ok", "withheld", "anomaly_low", "anomaly_high"]).sum())),
        anomalies=("status", lambda s: int(s.isin(["anomaly_low", "anomaly_high"]).sum())),
        quarantined_share=("quarantined_share", "mean"),
        days_to_load=("days_to_load", "median"),
    ).reset_index()
    out["completeness"] = np.where(
        out["expected"] > 0, out["reported"] / out["expected"].where(out["expected"] > 0), np.nan
    )
    out = out[
        [
            "institution_id",
            "name",
            "expected",
            "reported",
            "completeness",
            "anomalies",
            "quarantined_share",
            "days_to_load",
        ]
    ]
    return PanelData(out, {**data.meta, "level": "institution"})


def loads(view: View) -> PanelData:
    """The last loads (newest first) with their totals and the share they quarantined."""

    def compute():
        frame = load_history(view.database_url).head(20).copy()
        if frame.empty:
            return PanelData(frame)
        frame["quarantined_share"] = np.where(
            frame["rows_read"] > 0,
            frame["rows_quarantined"] / frame["rows_read"].where(frame["rows_read"] > 0),
            np.nan,
        )
        frame["loaded_at"] = pd.to_datetime(frame["loaded_at"]).dt.strftime("%Y-%m-%d %H:%M")
        return PanelData(
            frame[
                [
                    "load_id",
                    "loaded_at",
                    "mode",
                    "source",
                    "mapping",
                    "rows_read",
                    "rows_loaded",
                    "rows_quarantined",
                    "quarantined_share",
                ]
            ]
        )

    return panel("quality-loads", view, compute)


def reasons(view: View) -> PanelData:
    """The latest load's quarantined rows by table and reason, and the codes it could not map or find."""

    def compute():
        history = load_history(view.database_url)
        if history.empty:
            return PanelData()
        chosen = view.state.load if view.state.load in set(history["load_id"]) else history["load_id"].iloc[0]
        report = load_report(view.database_url, chosen) or {}
        records = []
        for table, result in (report.get("tables") or {}).items():
            for reason, n in (result.get("reasons") or {}).items():
                records.append({"table": table, "kind": "reason", "item": reason, "rows": n})
            for bucket_name in ("unmapped_codes", "unknown_values"):
                for column, values in (result.get(bucket_name) or {}).items():
                    if column in PERSON_COLUMNS:
                        continue  # pseudonyms of people are no one's business on a page
                    for value, n in values.items():
                        records.append(
                            {"table": table, "kind": bucket_name, "item": f"{column} = {value}", "rows": n}
                        )
        frame = pd.DataFrame(records, columns=["table", "kind", "item", "rows"])
        # a handful of rows is said to be a few, not counted (as every small count the product shows)
        frame["few"] = frame["rows"].between(1, suppression_threshold() - 1)
        frame["rows"] = frame["rows"].where(~frame["few"])
        return PanelData(frame, {"load_id": report.get("load_id"), "status": report.get("status")})

    return panel("quality-reasons", view, compute)
