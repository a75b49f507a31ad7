"""The query API the pages and the command line use: KPI values with intervals, comparisons and statistics.

Every public function takes a normalised Request (or builds one), so equal questions share a cache entry.
Results are pandas DataFrames with one row per unit (and period) and these columns: the dimension key
columns, ``name``, ``numerator``, ``denominator``, ``value``, ``ci_low``, ``ci_high``, ``suppressed``.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from dashboard.cache import cache_get, cache_set
from dashboard.db import get_engine
from dashboard.policy import PolicyError, get_policy
from queries import stats
from queries.builder import (
    NotApplicable,
    Plan,
    Request,
    build_plan,
    output_column,
    period_column,
    period_windows,
)
from queries.catalog import Catalog, get_catalog
from queries.filters import DIMENSIONS, Filters, Scope, add_months, make_filters, resolve_period
from queries.registry import Kpi, get_kpi
from queries.sources import GROUPER_COLUMNS

SUPPRESSION_THRESHOLD = 5
RESULT_COLUMNS = ["name", "numerator", "denominator", "value", "ci_low", "ci_high", "suppressed"]
_CODE_FINGERPRINT = hashlib.sha256(
    b"".join(p.read_bytes() for p in sorted(Path(__file__).parent.glob("*.py")))
).hexdigest()[:16]


_in_flight: dict[str, threading.Event] = {}
_in_flight_lock = threading.Lock()


def _single_flight(key: str, compute):
    """Cached value of ``key``; when several threads ask at once (a page's callbacks, two viewers of the same
    view) one computes and the others wait for its result instead of running the same query again."""
    cached = cache_get(key)
    if cached is not None:
        return cached
    with _in_flight_lock:
        running = _in_flight.get(key)
        if running is None:
            _in_flight[key] = threading.Event()
    if running is not None:
        running.wait(timeout=60)
        cached = cache_get(key)
        if cached is not None:
            return cached
        return compute()  # the other thread failed, or no cache is configured
    try:
        result = compute()
        cache_set(key, result)
        return result
    finally:
        with _in_flight_lock:
            _in_flight.pop(key).set()


def cache_key(request: Request, catalog: Catalog, kind: str = "values", extra=None) -> str:
    """hash(normalised request incl. scope, data version, engine, query code): equal questions, one entry.

    The SQL is a pure function of these, so the key changes whenever the SQL would, without compiling the
    statement on the cached path.
    """
    payload = json.dumps(
        [
            kind,
            request.key(),
            catalog.data_version,
            catalog.dialect,
            _CODE_FINGERPRINT,
            _policy_print(),
            extra,
        ],
        default=str,
        sort_keys=True,
    )
    return "kpi:" + hashlib.sha256(payload.encode()).hexdigest()


def _policy_print() -> str:
    """The policy file's fingerprint; a missing or broken file is reported by the queries that need it."""
    try:
        return get_policy().fingerprint
    except PolicyError:
        return "no-policy"


def filters_for(
    database_url: str,
    period: str | None = None,
    from_month: str | None = None,
    to_month: str | None = None,
    **values,
) -> Filters:
    """Filters with the period resolved against the warehouse's data period and codes validated."""
    catalog = get_catalog(database_url)
    start, end = resolve_period(catalog.period_start, catalog.period_end, period, from_month, to_month)
    filters = make_filters(start, end, **values)
    catalog.validate(filters)
    return filters


def _fetch(plan: Plan, database_url: str) -> pd.DataFrame:
    engine = get_engine(database_url)
    with engine.connect() as conn:
        numerator = pd.DataFrame(conn.execute(plan.numerator).mappings().all())
        if plan.denominator is None:
            return numerator
        denominator = pd.DataFrame(conn.execute(plan.denominator).mappings().all())
    keys = list(plan.keys)
    if numerator.empty and denominator.empty:
        return pd.DataFrame(columns=[*keys, "numerator", "denominator"])
    if not keys:
        numerator = numerator if not numerator.empty else pd.DataFrame({"numerator": [0]})
        denominator = denominator if not denominator.empty else pd.DataFrame({"denominator": [0]})
        return pd.concat([numerator.reset_index(drop=True), denominator.reset_index(drop=True)], axis=1)
    if numerator.empty:
        numerator = pd.DataFrame(columns=[*keys, "numerator"])
    if denominator.empty:
        denominator = pd.DataFrame(columns=[*keys, "denominator"])
    # Units in the denominator without events have a numerator of 0, not a missing row.
    merged = denominator.merge(numerator, on=keys, how="outer")
    merged["numerator"] = merged["numerator"].fillna(0)
    return merged


def _finish(
    kpi: Kpi, frame: pd.DataFrame, request: Request, catalog: Catalog, level: float, threshold: int
) -> pd.DataFrame:
    keys = [output_column(d) for d in request.by] + list(period_column(request.grain))
    if request.grain and not request.by:
        frame = _every_period(frame, request)
    if frame.empty:
        return pd.DataFrame(columns=[*keys, *RESULT_COLUMNS])
    out = frame.copy()
    for column in ("numerator", "denominator", "numerator_sq"):
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
    suppressed = np.zeros(len(out), dtype=bool)
    if kpi.count_based:
        suppressed |= (num > 0) & (num < threshold)
    if kpi.ci in ("wilson", "mean"):
        suppressed |= (den > 0) & (den < threshold)  # an empty selection has nothing to protect
    out["suppressed"] = suppressed
    # A suppressed cell shows no number at all: not its count, not a rate that reveals it, never a 0.
    out.loc[suppressed, ["numerator", "denominator", "value", "ci_low", "ci_high"]] = np.nan
    if request.by:
        first = request.by[0]
        out["name"] = [catalog.name(first, code) for code in out[output_column(first)]]
    else:
        out["name"] = "全部"
    if request.grain:
        out[request.grain] = pd.to_datetime(out[request.grain]).dt.date
    out = out.sort_values(keys).reset_index(drop=True) if keys else out
    return out[[*keys, *RESULT_COLUMNS]]


def _every_period(frame: pd.DataFrame, request: Request) -> pd.DataFrame:
    """A series has a row for every period: a period without events has a numerator of 0, not a gap."""
    periods = [label for label, _window in period_windows(request.filters, request.grain)]
    if not frame.empty:
        frame = frame.assign(**{request.grain: pd.to_datetime(frame[request.grain]).dt.date})
    full = pd.DataFrame({request.grain: periods})
    merged = full.merge(frame, on=request.grain, how="left") if not frame.empty else full
    for column in ("numerator", "denominator"):
        merged[column] = merged[column].fillna(0.0) if column in merged else 0.0
    return merged


def kpi_values(
    database_url: str, request: Request, level: float = 0.95, threshold: int = SUPPRESSION_THRESHOLD
) -> pd.DataFrame:
    """Values of one KPI by the request's dimensions and time grain (cached).

    Raises:
        UserFacingError (incl. NotApplicable): unknown KPI, dimension or code, or a breakdown the KPI cannot
            honour; the message is meant for the user.
    """
    kpi = get_kpi(request.kpi_id)
    catalog = get_catalog(database_url)
    catalog.validate(request.filters)
    check_one_grouper_version(kpi, request, catalog)
    key = cache_key(request, catalog, extra=(level, threshold))
    return _single_flight(
        key,
        lambda: _finish(
            kpi,
            _fetch(build_plan(kpi, request, catalog.rollups), database_url),
            request,
            catalog,
            level,
            threshold,
        ),
    )


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
        raise NotApplicable(
            f"所选期间包含多个分组器版本（{'、'.join(versions)}），不同版本的结果不能合并；请缩短期间或按版本查看 "
            f"(the period holds cases of grouper versions {', '.join(versions)}: choose a period within one "
            "version, or break the result down by grouper_version)"
        )


def shifted(filters: Filters, months: int) -> Filters:
    start = add_months(filters.start, months)
    end_first = add_months(filters.end.replace(day=1), months)
    return make_filters(start, end_first, **dict(filters.values))


def _summable(kpi: Kpi) -> bool:
    """Month totals add up to the period's: event-based parts (no per-window logic, no distinct counts)."""
    parts = [p for p in (kpi.numerator, kpi.denominator) if p is not None]
    return not any(p.window or p.distinct is not None or p.options for p in parts)


def _periods_from_months(database_url: str, request: Request, level: float) -> dict[str, pd.DataFrame] | None:
    """Current, previous and last-year values from one month-by-month query, for summable KPIs.

    Σnumerator and Σdenominator (and Σx²) of a period are the sums of its months, so one scan over the
    months of all three periods gives exactly what three scans would.
    """
    kpi = get_kpi(request.kpi_id)
    if not _summable(kpi) or request.grain is not None:
        return None
    catalog = get_catalog(database_url)
    check_one_grouper_version(kpi, request, catalog)
    periods = {"current": request.filters}
    periods["previous"] = shifted(request.filters, -request.filters.months)
    periods["last_year"] = shifted(request.filters, -12)
    months = _raw(database_url, replace(request, filters=_comparison_span(request.filters), grain="month"))
    keys = [output_column(d) for d in request.by]
    out = {}
    for label, filters in periods.items():
        try:
            check_one_grouper_version(kpi, replace(request, filters=filters), catalog)
        except NotApplicable:  # an earlier period of another grouper version has no comparable value
            out[label] = pd.DataFrame(columns=[*keys, *RESULT_COLUMNS])
            continue
        if not months.empty:
            dates = pd.to_datetime(months["month"]).dt.date
            part = months[(dates >= filters.start) & (dates <= filters.end)]
        else:
            part = months
        sums = [c for c in ("numerator", "denominator", "numerator_sq") if c in months]
        if keys:
            totals = part.groupby(keys, dropna=False)[sums].sum().reset_index()
        else:
            totals = pd.DataFrame([part[sums].sum()]) if len(part) else pd.DataFrame({c: [0.0] for c in sums})
        if kpi.denominator is None:
            totals = totals.drop(columns=["denominator"], errors="ignore")
        out[label] = _finish(
            kpi, totals, replace(request, filters=filters), catalog, level, SUPPRESSION_THRESHOLD
        )
    return out


def series(database_url: str, request: Request, grain: str = "month") -> pd.DataFrame:
    """The KPI period by period. For summable KPIs by month it reuses the month totals that comparisons()
    already fetched for the same request (one scan serves the value, 同比, 环比 and the sparkline)."""
    kpi = get_kpi(request.kpi_id)
    if grain != "month" or not _summable(kpi) or request.by:
        return kpi_values(database_url, replace(request, grain=grain))
    months = _raw(database_url, replace(request, filters=_comparison_span(request.filters), grain="month"))
    if not months.empty:
        dates = pd.to_datetime(months["month"]).dt.date
        months = months[(dates >= request.filters.start) & (dates <= request.filters.end)]
    if kpi.denominator is None:
        months = months.drop(columns=["denominator"], errors="ignore")
    return _finish(
        kpi, months, replace(request, grain="month"), get_catalog(database_url), 0.95, SUPPRESSION_THRESHOLD
    )


def _comparison_span(filters: Filters) -> Filters:
    """From the earliest comparison period (previous or a year back) to the end of the current one."""
    first = min(shifted(filters, -filters.months).start, shifted(filters, -12).start)
    return make_filters(first, filters.end, **dict(filters.values))


def comparisons(database_url: str, request: Request, level: float = 0.95) -> pd.DataFrame:
    """The request's values beside the previous period (环比) and the same period a year earlier (同比)."""
    keys = [output_column(d) for d in request.by]
    data_start = get_catalog(database_url).period_start
    earlier = {
        "previous": shifted(request.filters, -request.filters.months),
        "last_year": shifted(request.filters, -12),
    }
    outside = {label for label, filters in earlier.items() if filters.start < data_start}
    periods = _periods_from_months(database_url, request, level)
    if periods is None:
        periods = {"current": kpi_values(database_url, request, level)}
        for label, filters in earlier.items():
            try:
                periods[label] = kpi_values(database_url, replace(request, filters=filters), level)
            except NotApplicable:
                periods[label] = pd.DataFrame(columns=[*keys, "value"])
    return _merge_periods(periods, keys, outside)


def _merge_periods(periods: dict[str, pd.DataFrame], keys: list[str], outside: set[str]) -> pd.DataFrame:
    """Current values with the earlier periods' beside them; a period before the data has no value."""
    out = periods["current"].copy()
    for label in ("previous", "last_year"):
        other = periods[label]
        if label in outside:
            other = other.assign(value=np.nan)
        if keys:
            out = out.merge(
                other[[*keys, "value"]].rename(columns={"value": f"value_{label}"}), on=keys, how="left"
            )
        else:
            out[f"value_{label}"] = other["value"].iloc[0] if len(other) else np.nan
        out[f"change_{label}"] = out["value"] - out[f"value_{label}"]
    return out


def benchmark(
    database_url: str, request: Request, comparator: Scope | None = None, level: float = 0.95
) -> tuple[pd.DataFrame, float]:
    """Units classified better / similar / worse than a comparator by their interval and the KPI's polarity.

    The comparator is the whole region (same period, no unit filters) unless another scope (a parent unit or a
    peer group) is given.
    """
    kpi = get_kpi(request.kpi_id)
    units = kpi_values(database_url, request, level)
    reference_request = Request(request.kpi_id, request.filters, (), None, comparator or Scope())
    reference = kpi_values(database_url, reference_request, level)
    value = float(reference["value"].iloc[0]) if len(reference) else float("nan")
    out = units.copy()
    out["benchmark"] = value
    out["outcome"] = stats.unit_outcomes(out, value, kpi.polarity)
    return out, value


def trend(database_url: str, request: Request, grain: str = "month", min_points: int = 5) -> dict:
    """The KPI's series at ``grain`` with a weighted least-squares slope and its significance."""
    series = kpi_values(database_url, replace(request, by=(), grain=grain))
    weights = series["denominator"].fillna(0).to_numpy() if series["denominator"].notna().any() else None
    slope, p_value = stats.trend_test(series["value"].to_numpy(), weights, min_points)
    kpi = get_kpi(request.kpi_id)
    significant = bool(p_value < 0.05) if not np.isnan(p_value) else False
    direction = "flat"
    if significant:
        rising = slope > 0
        if kpi.polarity == "none":
            direction = "rising" if rising else "falling"
        else:
            direction = "improving" if rising == (kpi.polarity == "higher") else "worsening"
    return {
        "series": series,
        "slope": slope,
        "p_value": p_value,
        "significant": significant,
        "direction": direction,
    }


def funnel(database_url: str, request: Request, comparator: Scope | None = None) -> dict:
    """Units with their denominators and the 95% / 99.8% control limits around the comparator."""
    kpi = get_kpi(request.kpi_id)
    units, value = benchmark(database_url, request, comparator)
    units = units[~units["suppressed"]]
    kind = {"wilson": "proportion", "rate": "rate", "mean": "mean"}.get(kpi.ci)
    if kind is None:
        raise NotApplicable(f"{kpi.id} has no funnel plot (no sampling interval)")
    sizes = np.unique(
        np.geomspace(
            max(1.0, float(units["denominator"].min() or 1)),
            max(2.0, float(units["denominator"].max() or 2)),
            60,
        )
    )
    benchmark_value = value / kpi.factor
    spread = None
    if kind == "mean":
        spread = float(
            np.nanmedian((units["ci_high"] - units["ci_low"]) / (2 * 1.96) * np.sqrt(units["denominator"]))
        )
    limits = {}
    for label, level in stats.LEVELS.items():
        low, high = stats.funnel_limits(kind, benchmark_value, sizes, level, spread)
        limits[label] = (np.asarray(low) * kpi.factor, np.asarray(high) * kpi.factor)
    for label, level in stats.LEVELS.items():
        low, high = stats.funnel_limits(kind, benchmark_value, units["denominator"].to_numpy(), level, spread)
        units[f"outside_{label}"] = (units["value"] < np.asarray(low) * kpi.factor) | (
            units["value"] > np.asarray(high) * kpi.factor
        )
    return {"units": units, "benchmark": value, "sizes": sizes, "limits": limits}


def standardised(database_url: str, request: Request, level: float = 0.95) -> pd.DataFrame:
    """Indirect standardisation by age band × sex: O/E ratio with exact Poisson CI and the adjusted rate.

    Reference rates per stratum are the whole region's over the same period (or the request's filters without
    its breakdown). Applies to resident-based rates and to chronic-disease control.
    """
    kpi = get_kpi(request.kpi_id)
    if kpi.unit not in ("share", "per100", "per_capita") or kpi.denominator is None:
        raise NotApplicable(f"{kpi.id} is not a rate that can be standardised")
    strata = ("age_band", "sex")
    by = tuple(d for d in request.by if d not in strata)
    # Unsuppressed sums: the public (suppressed) tables cannot be used for arithmetic.
    raw_detail = _raw(database_url, replace(request, by=(*by, *strata), grain=None))
    raw_reference = _raw(
        database_url, Request(request.kpi_id, request.filters.without(*by), strata, None, request.scope)
    )
    ref = raw_reference.assign(rate=raw_reference["numerator"] / raw_reference["denominator"])
    crude = raw_reference["numerator"].sum() / raw_reference["denominator"].sum()
    merged = raw_detail.merge(ref[["age_band", "sex", "rate"]], on=["age_band", "sex"], how="left")
    merged["expected"] = merged["denominator"] * merged["rate"].fillna(0)
    keys = [output_column(d) for d in by]
    grouped = merged.groupby(keys, dropna=False) if keys else merged.assign(_all=1).groupby("_all")
    totals = grouped.agg(
        observed=("numerator", "sum"), expected=("expected", "sum"), denominator=("denominator", "sum")
    ).reset_index()
    ratio, low, high, adjusted, adj_low, adj_high = stats.indirect_standardisation(
        totals["observed"], totals["expected"], crude, level
    )
    totals["crude"] = totals["observed"] / totals["denominator"] * kpi.factor
    totals["ratio"], totals["ratio_low"], totals["ratio_high"] = ratio, low, high
    totals["adjusted"] = adjusted * kpi.factor
    totals["adjusted_low"], totals["adjusted_high"] = adj_low * kpi.factor, adj_high * kpi.factor
    totals["suppressed"] = (totals["observed"] > 0) & (totals["observed"] < SUPPRESSION_THRESHOLD)
    totals["method"] = "indirect standardisation by age band × sex; reference = region, same period"
    if keys:
        catalog = get_catalog(database_url)
        totals["name"] = [catalog.name(by[0], code) for code in totals[keys[0]]]
    return totals.drop(columns=["_all"], errors="ignore")


def _raw(database_url: str, request: Request) -> pd.DataFrame:
    """Unsuppressed numerator and denominator sums, for arithmetic only (never shown as they are)."""
    kpi = get_kpi(request.kpi_id)
    catalog = get_catalog(database_url)
    key = cache_key(request, catalog, kind="raw")

    def compute() -> pd.DataFrame:
        frame = _fetch(build_plan(kpi, request, catalog.rollups), database_url)
        for column in ("numerator", "denominator"):
            if column in frame:  # a count KPI has no denominator
                frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
        return frame

    return _single_flight(key, compute)
