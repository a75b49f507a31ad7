"""Comparing fairly (DOMAIN.md §5): a KPI beside its earlier periods (同比, 环比), its verdict against a
benchmark by its interval and polarity (or its band), as a trend with a significance test, and indirectly
standardised by age and sex. What a unit is compared with, and funnels, are ``queries.comparators``.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from dashboard.core.months import add_months
from dashboard.core.settings import suppression_threshold
from queries.disclosure import protect
from queries.execution import RESULT_COLUMNS, check_one_grouper_version, finish, kpi_values
from queries.kpi import stats
from queries.kpi.builder import NotApplicable, Request, output_column
from queries.kpi.catalog import get_catalog
from queries.kpi.filters import Filters, make_filters
from queries.kpi.provisional import settled_part
from queries.kpi.registry import Kpi, get_kpi
from queries.kpi.suppression import blank
from queries.sums import raw_sums


def shifted(filters: Filters, months: int) -> Filters:
    start = add_months(filters.start, months)
    end_first = add_months(filters.end.replace(day=1), months)
    return make_filters(start, end_first, **dict(filters.values))


def offers_previous(filters: Filters) -> bool:
    """Whether the period has a 环比 (DOMAIN §4): a single month or a calendar quarter, against the one before.

    A longer period's "previous period" is either the same comparison as 同比 (a rolling 12 months) or
    matches no reporting habit (months 1–10 against the 10 months before), so it has none.
    """
    months = filters.months
    return months == 1 or (months == 3 and filters.start.month % 3 == 1)


def comparisons_offered(filters: Filters) -> tuple[str, ...]:
    """The earlier periods a value is shown beside: 环比 ("previous") when offered, and always 同比."""
    return ("previous", "last_year") if offers_previous(filters) else ("last_year",)


def _summable(kpi: Kpi) -> bool:
    """Month totals add up to the period's: event-based parts (no per-window logic, no distinct counts)."""
    parts = [p for p in (kpi.numerator, kpi.denominator) if p is not None]
    return not any(p.window or p.distinct is not None or p.options for p in parts)


def _periods_from_months(
    database_url: str, request: Request, level: float, like: Filters | None = None
) -> dict[str, pd.DataFrame] | None:
    """Current, previous and last-year values from one month-by-month query, for summable KPIs.

    Σnumerator and Σdenominator (and Σx²) of a period are the sums of its months, so one scan over the
    months of all three periods gives exactly what three scans would.
    """
    kpi = get_kpi(request.kpi_id)
    if not _summable(kpi) or request.grain is not None:
        return None
    catalog = get_catalog(database_url)
    check_one_grouper_version(kpi, request, catalog)
    periods = {"current": request.filters, **_earlier(request.filters, like)}
    months = raw_sums(
        database_url, replace(request, filters=_comparison_span(request.filters, like), grain="month")
    )
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
        period = replace(request, filters=filters)
        threshold = suppression_threshold()
        out[label] = protect(
            database_url, period, finish(kpi, totals, period, catalog, level, threshold), threshold
        )
    return out


def series(database_url: str, request: Request, grain: str = "month") -> pd.DataFrame:
    """The KPI period by period. For summable KPIs by month it reuses the month totals that earlier_periods()
    already fetched for the same request (one scan serves the value, 同比, 环比 and the sparkline)."""
    kpi = get_kpi(request.kpi_id)
    if grain != "month" or not _summable(kpi) or request.by:
        return kpi_values(database_url, replace(request, grain=grain))
    months = raw_sums(
        database_url, replace(request, filters=_comparison_span(request.filters), grain="month")
    )
    if not months.empty:
        dates = pd.to_datetime(months["month"]).dt.date
        months = months[(dates >= request.filters.start) & (dates <= request.filters.end)]
    if kpi.denominator is None:
        months = months.drop(columns=["denominator"], errors="ignore")
    monthly, threshold = replace(request, grain="month"), suppression_threshold()
    frame = finish(kpi, months, monthly, get_catalog(database_url), 0.95, threshold)
    return protect(database_url, monthly, frame, threshold)


def _earlier(filters: Filters, like: Filters | None = None) -> dict[str, Filters]:
    """The earlier periods ``filters`` is compared with, by label, as for the period ``like`` (itself by default;
    the whole period when ``filters`` is its settled part): "previous" only when ``like`` offers a 环比, shifted
    by ``like``'s length."""
    like = like or filters
    shifts = {"previous": -like.months, "last_year": -12}
    return {label: shifted(filters, shifts[label]) for label in comparisons_offered(like)}


def _comparison_span(filters: Filters, like: Filters | None = None) -> Filters:
    """From the earliest comparison period to the end of the current one."""
    first = min(earlier.start for earlier in _earlier(filters, like).values())
    return make_filters(first, filters.end, **dict(filters.values))


def earlier_periods(database_url: str, request: Request, level: float = 0.95) -> pd.DataFrame:
    """The request's values beside the same period a year earlier (同比) and, for a month or a quarter, the
    one before (环比). Columns value_previous/change_previous are there either way, empty without a 环比.

    Comparisons leave provisional months out (DOMAIN §4): for a KPI whose outcome needs follow-up time, the
    period's settled months are compared with the same months earlier (the earlier values and the changes
    describe that part; ``settled_part`` names it); a period with no settled month has no comparison.
    """
    kpi = get_kpi(request.kpi_id)
    compared = settled_part(kpi, request.filters, get_catalog(database_url).period_end)
    current = _with_earlier(database_url, request, level)
    if compared == request.filters:
        return current
    keys = [output_column(d) for d in request.by]
    if compared is None:
        settled = current[keys].assign(value=np.nan, value_previous=np.nan, value_last_year=np.nan)
    else:
        settled = _with_earlier(database_url, replace(request, filters=compared), level, like=request.filters)
    earlier = settled[[*keys, "value", "value_previous", "value_last_year"]].rename(
        columns={"value": "settled"}
    )
    current = current.drop(
        columns=["value_previous", "value_last_year", "change_previous", "change_last_year"]
    )
    if keys:
        out = current.merge(earlier, on=keys, how="left")
    else:
        row = earlier.iloc[0].to_dict() if len(earlier) else dict.fromkeys(earlier.columns, np.nan)
        out = current.assign(**row)
    for label in ("previous", "last_year"):
        out[f"change_{label}"] = out["settled"] - out[f"value_{label}"]
    return out.drop(columns=["settled"])


def _with_earlier(
    database_url: str, request: Request, level: float, like: Filters | None = None
) -> pd.DataFrame:
    keys = [output_column(d) for d in request.by]
    data_start = get_catalog(database_url).period_start
    earlier = _earlier(request.filters, like)
    outside = {label for label, filters in earlier.items() if filters.start < data_start}
    periods = _periods_from_months(database_url, request, level, like)
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
        other = periods.get(label, pd.DataFrame(columns=[*keys, "value"]))
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


def kpi_band(kpi: Kpi, filters: Filters) -> tuple[float, float] | None:
    """The band a band-polarity KPI is judged by in the year its period ends (None for the others)."""
    return kpi.band(filters.end.year) if kpi.polarity == "band" and kpi.band else None


def kpi_outcomes(frame: pd.DataFrame, benchmark, kpi: Kpi, filters: Filters) -> np.ndarray:
    """Each unit's verdict against ``benchmark`` (a value or one per unit) by the KPI's polarity, or its place
    in the KPI's band: ``stats.unit_outcomes`` with the band looked up, for every caller alike."""
    return stats.unit_outcomes(frame, benchmark, kpi.polarity, kpi_band(kpi, filters))


def trend(database_url: str, request: Request, grain: str = "month", min_points: int = 5) -> dict:
    """The KPI's series at ``grain`` with a weighted least-squares slope and its significance.

    Provisional periods (``series["provisional"]``) are shown but left out of the test (DOMAIN §4): a last
    month whose readmissions have not all happened yet reads as an improvement that is not there.
    """
    series = kpi_values(database_url, replace(request, by=(), grain=grain))
    tested = series[~series["provisional"].astype(bool)]
    weights = tested["denominator"].fillna(0).to_numpy() if tested["denominator"].notna().any() else None
    slope, p_value = stats.trend_test(tested["value"].to_numpy(), weights, min_points)
    kpi = get_kpi(request.kpi_id)
    significant = bool(p_value < 0.05) if not np.isnan(p_value) else False
    direction = "flat"
    if significant:
        rising = slope > 0
        if kpi.polarity not in ("higher", "lower"):  # no direction, or a band
            direction = "rising" if rising else "falling"
        else:
            direction = "improving" if rising == (kpi.polarity == "higher") else "worsening"
    return {
        "series": series,
        "slope": slope,
        "p_value": p_value,
        "significant": significant,
        "direction": direction,
        "provisional": int(len(series) - len(tested)),  # periods left out of the test
    }


def standardised(
    database_url: str,
    request: Request,
    level: float = 0.95,
    reference: Filters | None = None,
    withhold: bool = True,
) -> pd.DataFrame:
    """Indirect standardisation by age band × sex: O/E ratio with exact Poisson CI and the adjusted rate.

    Reference rates per stratum, and the crude rate that scales the adjusted rate, are those of ``reference``
    (the comparator's population over the same period): by default the request's filters without its
    breakdown. Applies to resident-based rates and to chronic-disease control. A cell with 1–4 observed
    events (or, for a proportion, 1–4 people) shows no number at all, as everywhere (``withhold=False`` keeps
    them, for arithmetic that is never shown as it is).
    """
    kpi = get_kpi(request.kpi_id)
    if kpi.unit not in ("share", "per100", "per_capita") or kpi.denominator is None:
        raise NotApplicable("not_standardisable", kpi=kpi.name)
    strata = ("age_band", "sex")
    by = tuple(d for d in request.by if d not in strata)
    reference = request.filters.without(*by) if reference is None else reference
    # Unsuppressed sums: the public (suppressed) tables cannot be used for arithmetic.
    raw_detail = raw_sums(database_url, replace(request, by=(*by, *strata), grain=None))
    raw_reference = raw_sums(
        database_url, Request(request.kpi_id, reference, strata, None, request.scope.widened())
    )
    if raw_reference.empty:  # a reference with no one in it: nothing to expect
        raw_reference = pd.DataFrame(columns=[*strata, "numerator", "denominator"], dtype=float)
    if raw_detail.empty:
        keys = [output_column(d) for d in by]
        raw_detail = pd.DataFrame(columns=[*keys, *strata, "numerator", "denominator"], dtype=float)
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
    totals["reference_crude"] = crude * kpi.factor  # the comparator's crude rate: O/E = 1 here
    if withhold:
        # a unit is withheld here exactly as its crude value is (primary and secondary, DOMAIN §9): its
        # observed count, people, expected count, crude and adjusted rates all derive from the same cases
        crude_values = kpi_values(database_url, replace(request, by=by, grain=None), level)
        flags = crude_values[[*keys, "suppressed"]] if keys else crude_values[["suppressed"]]
        if keys:  # codes compare as text: an empty frame's key column may be typed as numbers
            hidden = (
                totals[keys]
                .astype(str)
                .merge(flags.astype({k: str for k in keys}), on=keys, how="left")["suppressed"]
            )
        else:
            hidden = pd.Series([bool(flags["suppressed"].iloc[0]) if len(flags) else False])
        totals = blank(totals, hidden.fillna(False).to_numpy(dtype=bool))
    else:
        totals["suppressed"] = False
    totals["method"] = (
        "indirect_age_sex"  # indirect standardisation by age band × sex, reference = the comparator, same period
    )
    if keys:
        catalog = get_catalog(database_url)
        totals["name"] = [catalog.name(by[0], code) for code in totals[keys[0]]]
    return totals.drop(columns=["_all"], errors="ignore")
