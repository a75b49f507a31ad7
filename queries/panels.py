"""What every page panel's data has in common: the frame behind a chart (what its download holds), notes for
the chart (targets, limits, trend tests), and a message instead of a chart when there is nothing to show.
Plain data; the figures are drawn in ``dashboard/charts.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from dashboard.errors import UserFacingError
from dashboard.state import ViewState
from queries.api import kpi_values, trend
from queries.builder import NotApplicable, Request
from queries.catalog import get_catalog
from queries.filters import Filters, make_filters
from queries.registry import REGISTRY
from queries.stats import unit_outcomes
from queries.views import (
    CHILD_LEVEL,
    Selection,
    cached_view,
    kpi_cards,
    selection,
    target_for,
    whole_quarters,
    with_extra,
)

TOP_UNITS = 30  # bar charts of units show the largest 30; the download holds them all


@dataclass(frozen=True)
class PanelData:
    frame: pd.DataFrame = field(default_factory=pd.DataFrame)
    meta: dict = field(default_factory=dict)
    message: str = ""  # shown instead of a chart (a KPI that does not apply here, a choice still to make)

    @property
    def empty(self) -> bool:
        return bool(self.message) or self.frame.empty


def panel(kind: str, database_url: str, state: ViewState, compute: Callable[[], PanelData]) -> PanelData:
    """A panel's data under one cache entry per view state; a UserFacingError becomes the panel's message."""

    def safe() -> PanelData:
        try:
            return compute()
        except UserFacingError as exc:
            return PanelData(message=str(exc))

    return cached_view("panel:" + kind, database_url, state, safe)


def page_selection(database_url: str, state: ViewState, extra=()) -> Selection:
    return with_extra(selection(database_url, state), extra)


def values(
    database_url: str, kpi_id: str, filters: Filters, by: tuple[str, ...] = (), grain: str | None = None
) -> pd.DataFrame:
    """One KPI's values with its id and name beside them (long format, ready to stack with other KPIs)."""
    frame = kpi_values(database_url, Request(kpi_id, filters, by, grain))
    kpi = REGISTRY[kpi_id]
    return frame.assign(kpi=kpi_id, kpi_name=kpi.name_zh, kpi_name_en=kpi.name_en)


def kpi_trends(
    database_url: str, sel: Selection, kpi_ids: tuple[str, ...], grain: str = "month", history: bool = False
) -> PanelData:
    """Each KPI by period with its interval, its target and a weighted trend test over the period.

    Per-window KPIs are shown by whole quarter; with ``history`` from the start of the data to the period's
    end, so that a 12-month period still has enough quarters for a trend test.
    """
    frames, tests, targets, skipped = [], {}, {}, {}
    for kpi_id in kpi_ids:
        kpi = REGISTRY[kpi_id]
        window = any(p.window for p in (kpi.numerator, kpi.denominator) if p)
        filters = sel.filters
        if window:
            if history:
                start = get_catalog(database_url).period_start
                filters = make_filters(start, filters.end.replace(day=1), **dict(filters.values))
            filters = whole_quarters(filters)
        try:
            result = trend(database_url, Request(kpi_id, filters), "quarter" if window else grain)
        except NotApplicable as exc:
            skipped[kpi_id] = str(exc)  # said under the chart, not silently left out
            continue
        series = result["series"].rename(columns={"quarter": "period", "month": "period"})
        targets[kpi_id] = target_for(database_url, kpi_id, sel)
        frames.append(series.assign(kpi=kpi_id, kpi_name=kpi.name_zh, target=targets[kpi_id]))
        tests[kpi_id] = {k: result[k] for k in ("slope", "p_value", "significant", "direction")}
    if not frames:
        return PanelData(message="; ".join(skipped.values()))
    frame = pd.concat(frames, ignore_index=True).drop(columns=["name"], errors="ignore")
    return PanelData(frame, {"trend": tests, "targets": targets, "not_applicable": skipped})


def members(database_url: str, sel: Selection, kpi_id: str, level: str | None = None) -> PanelData:
    """The selection's member units (one drill level down, or ``level``) for one KPI, largest first."""
    child = level or CHILD_LEVEL[sel.level]
    if child is None:
        return PanelData(message="已到最细一级 (nothing below a doctor)")
    kpi = REGISTRY[kpi_id]
    frame = values(database_url, kpi_id, sel.filters, (child,))
    order = "denominator" if kpi.denominator is not None else "numerator"
    if kpi.unit == "count" or kpi.ci == "none":  # a size or a sum, not a rate to compare with the parent's
        frame = frame.sort_values(order, ascending=False, na_position="last").reset_index(drop=True)
        return PanelData(frame, {"level": child, "kpi": kpi_id})
    # each member against the whole selection (its parent), by its interval and the KPI's polarity
    parent = float(values(database_url, kpi_id, sel.filters)["value"].iloc[0])
    frame["parent"] = parent
    frame["outcome"] = unit_outcomes(frame, parent, kpi.polarity)
    frame = frame.sort_values(order, ascending=False, na_position="last").reset_index(drop=True)
    return PanelData(frame, {"level": child, "kpi": kpi_id, "parent": parent})


def names_for(database_url: str, dimension: str, codes, lang: str) -> list[str]:
    catalog = get_catalog(database_url)
    return [catalog.name(dimension, code, lang) for code in codes]


def cards_panel(
    database_url: str, state: ViewState, kpis: tuple[str, ...], extra: tuple[tuple[str, str], ...] = ()
) -> PanelData:
    """A page's KPI cards (value, CI, target, 同比/环比, benchmark, sparkline series) as a panel."""
    sel, cards = kpi_cards(database_url, state, kpis, extra)
    return PanelData(
        pd.DataFrame({"kpi": [c["kpi"] for c in cards]}), {"cards": cards, "dropped": sel.dropped}
    )
