"""Running a KPI request: the builder's statements, the sums from the warehouse (``queries.sums``), the ratio
with its interval, and disclosure control (``queries.disclosure``) before anything is returned, cached.

Results are pandas DataFrames with one row per unit (and period) and these columns: the dimension key
columns, ``name``, ``numerator``, ``denominator``, ``value``, ``ci_low``, ``ci_high``, ``suppressed``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.core.settings import suppression_threshold
from queries.disclosure import protect
from queries.kpi import stats
from queries.kpi.builder import (
    NotApplicable,
    Request,
    build_plan,
    output_column,
    period_column,
    period_windows,
)
from queries.kpi.catalog import Catalog, get_catalog
from queries.kpi.filters import DIMENSIONS
from queries.kpi.provisional import provisional_flags
from queries.kpi.registry import Kpi, get_kpi
from queries.kpi.sources import GROUPER_COLUMNS
from queries.kpi.suppression import primary, protecting_columns
from queries.sums import cache_key, cached, fetch

RESULT_COLUMNS = ["name", "numerator", "denominator", "value", "ci_low", "ci_high", "suppressed"]


def finish(
    kpi: Kpi, frame: pd.DataFrame, request: Request, catalog: Catalog, level: float, threshold: int
) -> pd.DataFrame:
    """Sums into values: the ratio × unit factor, its interval, the names of the units, and suppression of
    small numbers (a suppressed cell shows no number at all, never a 0)."""
    keys = [output_column(d) for d in request.by] + list(period_column(request.grain))
    # a series says which of its periods are provisional (their events' follow-up time has not passed)
    columns = [*keys, *RESULT_COLUMNS, *(["provisional"] if request.grain else [])]
    columns += ["cases"] if "cases" in frame else []  # the cases a total rests on, until protect drops it
    if request.grain and not request.by:
        frame = _every_period(frame, request)
    if frame.empty:
        return pd.DataFrame(columns=columns)
    out = frame.copy()
    for column in ("numerator", "denominator", "numerator_sq", "cases"):
        if column in out:
            # SUM over no rows is NULL: an empty selection has zero events, not an unknown number
            out[column] = pd.to_numeric(out[column], errors="coerce").astype(float).fillna(0.0)
    if "denominator" not in out:
        out["denominator"] = np.nan
    num, den = out["numerator"].to_numpy(), out["denominator"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        value = num if kpi.denominator is None else np.where(den != 0, num / den, np.nan)
    value = value * kpi.factor
    low = high = np.full(len(out), np.nan)
    if kpi.ci == "wilson":
        low, high = stats.wilson_interval(num, den, level)
    elif kpi.ci == "rate":
        low, high = stats.rate_interval(num, den, level)
    elif kpi.ci == "count":
        low, high = stats.poisson_interval(num, level)
    elif kpi.ci == "mean":
        low, high = stats.mean_interval(
            num, out.get("numerator_sq", pd.Series(np.nan)).to_numpy(), den, level
        )
    out["value"] = value
    out["ci_low"] = np.asarray(low) * (kpi.factor if kpi.ci in ("wilson", "rate") else 1)
    out["ci_high"] = np.asarray(high) * (kpi.factor if kpi.ci in ("wilson", "rate") else 1)
    # Primary suppression flags only: the numbers stay for disclosure.protect, which decides the secondary
    # cells and blanks them all (a withheld cell shows no number at all, never a 0).
    out["suppressed"] = primary(out, protecting_columns(kpi), threshold)
    if request.by:
        first = request.by[0]
        out["name"] = [catalog.name(first, code) for code in out[output_column(first)]]
    else:
        out["name"] = None  # the whole selection; the command line and the UI say so in words
    if request.grain:
        out[request.grain] = pd.to_datetime(out[request.grain]).dt.date
        out["provisional"] = provisional_flags(
            kpi, list(out[request.grain]), request.grain, catalog.period_end
        )
    out = out.sort_values(keys).reset_index(drop=True) if keys else out
    return out[columns]


def _every_period(frame: pd.DataFrame, request: Request) -> pd.DataFrame:
    """A series has a row for every period: a period without events has a numerator of 0, not a gap."""
    periods = [label for label, _window in period_windows(request.filters, request.grain)]
    if not frame.empty:
        frame = frame.assign(**{request.grain: pd.to_datetime(frame[request.grain]).dt.date})
    full = pd.DataFrame({request.grain: periods})
    merged = full.merge(frame, on=request.grain, how="left") if not frame.empty else full
    for column in ("numerator", "denominator", *(["cases"] if "cases" in frame else [])):
        merged[column] = merged[column].fillna(0.0) if column in merged else 0.0
    return merged


def kpi_values(
    database_url: str, request: Request, level: float = 0.95, threshold: int | None = None
) -> pd.DataFrame:
    """Values of one KPI by the request's dimensions and time grain (cached).

    Raises:
        UserFacingError (incl. NotApplicable): unknown KPI, dimension or code, or a breakdown the KPI cannot
            honour; the message is meant for the user.
    """
    kpi = get_kpi(request.kpi_id)
    catalog = get_catalog(database_url)
    catalog.validate(request.filters)
    threshold = threshold or suppression_threshold()  # the deployment's (DASHBOARD_SUPPRESSION_THRESHOLD)
    check_one_grouper_version(kpi, request, catalog)
    key = cache_key("values", (request.key(), level, threshold), request.scope, catalog)

    def compute() -> pd.DataFrame:
        plan = build_plan(kpi, request, catalog.warehouse)
        frame = finish(kpi, fetch(plan, database_url), request, catalog, level, threshold)
        return protect(database_url, request, frame, threshold)

    return cached(key, compute)


def check_one_grouper_version(kpi: Kpi, request: Request, catalog: Catalog) -> None:
    """Results of different grouper versions are never averaged: a DRG result over a period with cases of
    two versions is refused unless it is broken down by version."""
    columns = set().union(*(p.columns for p in (kpi.numerator, kpi.denominator) if p is not None))
    asked = [*request.by, *(d for d, _ in request.filters.values)]
    columns |= {
        output_column(d) for d in asked if d in DIMENSIONS
    }  # an unknown one is refused by the builder
    if not columns & GROUPER_COLUMNS or "grouper_version" in request.by:
        return
    chosen = dict(request.filters.values).get("grouper_version")
    versions = [
        v
        for v in catalog.versions_between(request.filters.start, request.filters.end)
        if not chosen or v in chosen
    ]
    if len(versions) > 1:
        raise NotApplicable("grouper_versions_mixed", versions=tuple(versions))
