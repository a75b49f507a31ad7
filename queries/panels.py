"""What every page panel's data has in common: the frame behind a chart (what its download holds), notes for
the chart (targets, limits, trend tests), and a message instead of a chart when there is nothing to show; one
cache entry per panel and view. Also the pieces several pages' panels are made of: a KPI's values for a
selection, KPI cards, trends against targets, member units. Plain data; the UI draws it.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from dashboard.core.errors import UserFacingError
from dashboard.core.messages import Message, Term
from dashboard.core.months import add_months, month_end
from dashboard.core.policy import PolicyError, get_policy
from dashboard.core.settings import suppression_threshold
from queries.comparisons import (
    comparisons_offered,
    earlier_periods,
    kpi_band,
    kpi_outcomes,
    series,
    shifted,
    trend,
)
from queries.execution import kpi_values
from queries.kpi.builder import NotApplicable, Request, output_column
from queries.kpi.catalog import get_catalog
from queries.kpi.filters import DIMENSIONS, Filters, make_filters
from queries.kpi.provisional import provisional_months, settled_part
from queries.kpi.registry import REGISTRY, Kpi
from queries.kpi.stats import target_met
from queries.kpi.suppression import blank
from queries.kpi.targets import read_targets, target_in
from queries.selection import Selection, View, city_filters, selection, since_data_start, whole_quarters
from queries.sums import cache_key, cached, parallel

TOP_UNITS = 30  # bar charts of units show the largest 30; the download holds them all


@dataclass(frozen=True)
class PanelData:
    frame: pd.DataFrame = field(default_factory=pd.DataFrame)
    meta: dict = field(default_factory=dict)
    message: Message | None = (
        None  # shown instead of a chart (a KPI that does not apply here, a choice to make)
    )

    @property
    def empty(self) -> bool:
        return bool(self.message) or self.frame.empty


def panel(kind: str, view: View, compute: Callable[[], PanelData], files: Iterable[Path] = ()) -> PanelData:
    """A panel's data under one cache entry per view (``files``: reference files the panel reads); units are
    named in the view's language; a UserFacingError becomes the panel's message."""

    def safe() -> PanelData:
        try:
            data = compute()
        except UserFacingError as exc:
            return PanelData(message=exc.message)
        # the last guard before a frame leaves for a chart, a hover or a download: a row marked withheld
        # keeps no number that derives from its cases, whatever columns a panel added after the KPI layer
        frame = localise(data.frame, view.database_url, view.state.lang)
        if "suppressed" in frame and len(frame):
            frame = blank(frame, frame["suppressed"].fillna(True).to_numpy(dtype=bool))
        return replace(data, frame=frame)

    catalog = get_catalog(view.database_url)
    files = tuple(files)
    # the disclosure threshold is part of the question: a deployment that raises it (a shared Redis cache outlives
    # a restart) must not be served panels withheld under the old one
    question = (view.state.to_query(), suppression_threshold())
    key = cache_key("panel:" + kind, question, view.scope, catalog, files)
    return cached(key, safe)


# the dimension behind a frame's first column, to name its units in the viewer's language
_DIMENSION_OF_COLUMN = {column: dimension for dimension, column in DIMENSIONS.items()}


def localise(frame: pd.DataFrame, database_url: str, lang: str) -> pd.DataFrame:
    """``frame`` with its ``name`` column in ``lang`` for the codes in its first column (the KPI layer names
    units in Chinese, as the command line prints them)."""
    if lang == "zh" or frame.empty or "name" not in frame:
        return frame
    dimension = _DIMENSION_OF_COLUMN.get(frame.columns[0])
    if dimension is None:
        return frame
    catalog = get_catalog(database_url)
    return frame.assign(name=[catalog.name(dimension, code, lang) for code in frame.iloc[:, 0]])


def values(
    sel: Selection,
    kpi_id: str,
    by: tuple[str, ...] = (),
    grain: str | None = None,
    filters: Filters | None = None,
    comparator: bool = False,
) -> pd.DataFrame:
    """One KPI's values for the selection (or other ``filters`` under the selection's scope), with its id and
    name beside them (long format, ready to stack with other KPIs). A ``comparator`` (the city, a region) is
    computed over the whole city whatever the viewer's scope: an aggregate, never a unit, so it names no one."""
    scope = sel.scope.widened() if comparator else sel.scope
    request = Request(kpi_id, filters or sel.filters, by, grain, scope)
    frame = localise(kpi_values(sel.database_url, request), sel.database_url, sel.lang)
    kpi = REGISTRY[kpi_id]
    return frame.assign(kpi=kpi_id, kpi_name=kpi.name_zh, kpi_name_en=kpi.name_en)


def request(
    sel: Selection,
    kpi_id: str,
    by: tuple[str, ...] = (),
    filters: Filters | None = None,
    comparator: bool = False,
) -> Request:
    """A request for the selection (or other ``filters``) under the selection's scope (the whole city's, for
    a ``comparator``: an aggregate)."""
    return Request(kpi_id, filters or sel.filters, by, None, sel.scope.widened() if comparator else sel.scope)


def target_for(sel: Selection, kpi_id: str) -> float | None:
    """The target for the selected unit (its own if set, else the city's) in the period's last year.

    Targets are yearly (DOMAIN §4): a period shorter or longer than 12 months is judged against one only for
    a rate, never for a total or a per-population rate, which grow with the period's length.
    """
    if sel.filters.months != 12 and REGISTRY[kpi_id].grows_with_the_period:
        return None
    catalog = get_catalog(sel.database_url)
    key = cache_key("targets", (), sel.scope, catalog)
    targets = cached(key, lambda: read_targets(sel.database_url))
    return target_in(targets, kpi_id, sel.level, sel.code, sel.filters.end.year)


def kpi_trends(
    sel: Selection, kpi_ids: tuple[str, ...], grain: str = "month", history: bool = False
) -> PanelData:
    """Each KPI by period with its interval, its target and a weighted trend test over the period.

    Per-window KPIs are shown by whole quarter; with ``history`` from the start of the data to the period's
    end, so that a 12-month period still has enough quarters for a trend test.
    """
    frames, tests, targets, skipped = [], {}, {}, {}
    for kpi_id in kpi_ids:
        kpi = REGISTRY[kpi_id]
        window = kpi.per_window
        filters = sel.filters
        if window:
            if history:
                filters = since_data_start(sel.database_url, filters)
            filters = whole_quarters(filters)
        try:
            result = trend(
                sel.database_url, request(sel, kpi_id, filters=filters), "quarter" if window else grain
            )
        except NotApplicable as exc:
            skipped[kpi_id] = exc.message  # said under the chart, not silently left out
            continue
        series_frame = result["series"].rename(columns={"quarter": "period", "month": "period"})
        targets[kpi_id] = target_for(sel, kpi_id)
        frames.append(series_frame.assign(kpi=kpi_id, kpi_name=kpi.name_zh, target=targets[kpi_id]))
        tests[kpi_id] = {
            k: result[k] for k in ("slope", "p_value", "significant", "direction", "provisional")
        }
    if not frames:
        return PanelData(message=next(iter(skipped.values())))
    frame = pd.concat(frames, ignore_index=True).drop(columns=["name"], errors="ignore")
    return PanelData(frame, {"trend": tests, "targets": targets, "not_applicable": skipped})


def members(sel: Selection, kpi_id: str, level: str | None = None) -> PanelData:
    """The selection's member units (one drill level down, or ``level``) for one KPI, largest first."""
    child = level or sel.child
    if child is None:
        return PanelData(message=Message.of("nothing_below_doctor"))
    kpi = REGISTRY[kpi_id]
    frame = values(sel, kpi_id, (child,))
    order = "denominator" if kpi.denominator is not None else "numerator"
    if kpi.unit == "count" or kpi.ci == "none":  # a size or a sum, not a rate to compare with the parent's
        frame = frame.sort_values(order, ascending=False, na_position="last").reset_index(drop=True)
        return PanelData(frame, {"level": child, "key": output_column(child), "kpi": kpi_id})
    # each member against the whole selection (its parent), by its interval and the KPI's polarity
    parent = float(values(sel, kpi_id)["value"].iloc[0])
    frame["parent"] = parent
    frame["outcome"] = kpi_outcomes(frame, parent, kpi, sel.filters)
    frame = frame.sort_values(order, ascending=False, na_position="last").reset_index(drop=True)
    return PanelData(frame, {"level": child, "key": output_column(child), "kpi": kpi_id, "parent": parent})


def cards(view: View, kpis: tuple[str, ...], extra: tuple[tuple[str, str], ...] = ()) -> PanelData:
    """KPI cards for ``kpis`` in the view: value, interval, target, 同比/环比, the city as benchmark and a
    monthly (or quarterly) series; ``extra`` adds a page's own filters (dimension, code)."""

    def compute() -> PanelData:
        sel = selection(view, extra)
        return PanelData(
            pd.DataFrame({"kpi": list(kpis)}),
            {"cards": parallel(lambda k: _card(sel, k), kpis), "dropped": sel.dropped, "notes": sel.notes},
        )

    data = panel("cards:" + ",".join(kpis) + repr(extra), view, compute)
    if data.message:
        return data
    # registry entries are attached after the cache: they hold SQL expressions, which no cache can store
    return replace(
        data, meta={**data.meta, "cards": [{**c, "kpi_obj": REGISTRY[c["kpi"]]} for c in data.meta["cards"]]}
    )


def _card(sel: Selection, kpi_id: str) -> dict:
    kpi = REGISTRY[kpi_id]
    card = {"kpi": kpi_id}
    try:
        current = earlier_periods(sel.database_url, request(sel, kpi_id))
        city_frame = kpi_values(
            sel.database_url, request(sel, kpi_id, filters=city_filters(sel.filters), comparator=True)
        )
        if current.empty or city_frame.empty:  # e.g. a distinct count over no rows at all
            return {**card, "error": Message.of("no_data")}
        row, city = current.iloc[0], city_frame.iloc[0]
        if whole_windows(kpi):
            # A rule over the whole window (4 face-to-face follow-ups in 12 months) is only comparable over
            # windows of the same length: the sparkline shows the card's window ending at earlier quarter ends.
            grain, periods = "period", _trailing(sel, kpi_id)
        elif kpi.per_window:
            # Per-window KPIs (managed patients, point-in-time coverage) only mean something over whole
            # quarters: the sparkline shows the complete quarters of the period, or of the year up to its end
            # when the period is shorter (a quarter alone is one point, no line).
            grain = "quarter"
            periods = series(sel.database_url, request(sel, kpi_id, filters=_sparkline_quarters(sel)), grain)
        else:
            grain, periods = "month", series(sel.database_url, request(sel, kpi_id), "month")
        card.update(
            value=_number(row["value"]),
            ci_low=_number(row["ci_low"]),
            ci_high=_number(row["ci_high"]),
            numerator=_number(row["numerator"]),
            denominator=_number(row["denominator"]),
            suppressed=bool(row["suppressed"]),
            previous=_number(row["value_previous"]),
            last_year=_number(row["value_last_year"]),
            # changes over the settled months (the whole period unless some are provisional)
            change_previous=_number(row["change_previous"]),
            change_last_year=_number(row["change_last_year"]),
            # 环比 only for a month or a quarter; none when every month of the period is provisional
            comparisons=comparisons_offered(sel.filters) if _settled(sel, kpi) is not None else (),
            notes=(*_provisional_notes(sel, kpi), *_comparisons_outside_policy(kpi, sel.filters)),
            benchmark=_number(city["value"]),
            target=target_for(sel, kpi_id),
            series=periods[[grain, "value", *(["provisional"] if "provisional" in periods else [])]].rename(
                columns={grain: "period"}
            ),
        )
        outcome = kpi_outcomes(current.iloc[[0]], float(city["value"]), kpi, sel.filters)
        band = kpi_band(kpi, sel.filters)
        # the city is its own benchmark; a band (capitation against its budget) judges the city too
        card["outcome"] = str(outcome[0]) if sel.level or band else "city"
        card["band"] = band
        card["target_met"] = target_met([card["value"]], card["target"], kpi.polarity)[0]
    except NotApplicable as exc:
        card.update(error=exc.message)
    return card


def _sparkline_quarters(sel: Selection) -> Filters:
    """The whole quarters of the period, or of the 12 months up to its end if it is shorter (from the data's
    first month at the earliest)."""
    filters = sel.filters
    if filters.months < 12:
        first = max(add_months(filters.end.replace(day=1), -11), get_catalog(sel.database_url).period_start)
        filters = make_filters(first, filters.end, **dict(filters.values))
    return whole_quarters(filters)


def _provisional_notes(sel: Selection, kpi: Kpi) -> tuple[Message, ...]:
    """Which of the period's months are provisional for ``kpi`` and what its 同比/环比 compare instead."""
    provisional = provisional_months(kpi, sel.filters, get_catalog(sel.database_url).period_end)
    if provisional is None:
        return ()
    months = _months_text(*provisional)
    compared = _settled(sel, kpi)
    if compared is None:
        return (Message.of("provisional_uncompared", months=months),)
    return (
        Message.of(
            "provisional_compared", months=months, compared=_months_text(compared.start, compared.end)
        ),
    )


def _settled(sel: Selection, kpi: Kpi) -> Filters | None:
    return settled_part(kpi, sel.filters, get_catalog(sel.database_url).period_end)


def _months_text(first: dt.date, last: dt.date) -> str:
    return (
        f"{first:%Y-%m}"
        if (first.year, first.month) == (last.year, last.month)
        else f"{first:%Y-%m}–{last:%Y-%m}"
    )


def whole_windows(kpi: Kpi) -> bool:
    """A KPI whose rule is over the whole window (a number of follow-ups per three months of it)."""
    return any(p.min_months for p in (kpi.numerator, kpi.denominator) if p)


TRAILING_POINTS = 5


def _trailing(sel: Selection, kpi_id: str) -> pd.DataFrame:
    """The KPI over windows as long as the selection's, ending at the selection's end and at the four quarter
    ends before it (as far back as the data go): points a card's value can be read against."""
    months = sel.filters.months
    data_start = get_catalog(sel.database_url).period_start
    rows = []
    for back in range(TRAILING_POINTS):
        last = add_months(sel.filters.end.replace(day=1), -3 * back)
        first = add_months(last, -(months - 1))
        if first < data_start.replace(day=1):
            break
        filters = make_filters(first, last, **dict(sel.filters.values))
        frame = kpi_values(sel.database_url, request(sel, kpi_id, filters=filters))
        rows.append({"period": month_end(last), "value": frame["value"].iloc[0] if len(frame) else None})
    return pd.DataFrame(rows[::-1], columns=["period", "value"])


def _comparisons_outside_policy(kpi: Kpi, filters: Filters) -> list[Message]:
    """The 环比/同比 a card leaves out because their period reaches years the policy file does not cover (a
    KPI that reads the policy's parameters has no value there): said on the card, not failed."""
    if not kpi.uses_policy:
        return []
    try:
        covered = set(get_policy().years)
    except PolicyError:
        return []
    notes = []
    shifts = {"previous": -filters.months, "last_year": -12}
    for label in comparisons_offered(filters):
        earlier = shifted(filters, shifts[label])
        if not set(range(earlier.start.year, earlier.end.year + 1)) <= covered:
            notes.append(
                Message.of(
                    "comparison_outside_policy",
                    comparison=Term("comparison", label),
                    start=f"{earlier.start:%Y-%m}",
                    end=f"{earlier.end:%Y-%m}",
                )
            )
    return notes


def _number(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number
