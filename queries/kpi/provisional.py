"""Provisional months (DOMAIN.md §4): a KPI whose outcome needs time after the event (a readmission within N
days, a referral's completion, a contract's renewal within 90 days) cannot be known yet for the events of the
data's last weeks. Those months are provisional: shown as such, left out of trend tests and of 同比/环比.

A month is provisional when its last day plus the follow-up time lies after the data's last day: some of its
events have not had their follow-up time.
"""

from __future__ import annotations

import datetime as dt

from dashboard.core.months import add_months, month_end
from dashboard.core.policy import PolicyError, get_policy
from queries.kpi.filters import Filters, make_filters
from queries.kpi.registry.model import Kpi

DEFAULT_READMISSION_DAYS = 31  # DOMAIN §4: N from the policy by discharge year, 31 if it has none


def follow_up_days(kpi: Kpi, year: int) -> int | None:
    """Days after an event of ``year`` that ``kpi``'s outcome needs (None: known at once)."""
    if kpi.settles_after is None or isinstance(kpi.settles_after, int):
        return kpi.settles_after
    try:
        return int(getattr(get_policy().for_year(year), kpi.settles_after))
    except PolicyError:  # the KPI itself says so; here the default keeps the marking honest
        return DEFAULT_READMISSION_DAYS


def first_provisional_month(kpi: Kpi, data_end: dt.date) -> dt.date | None:
    """The first day of the earliest provisional month of the data, or None if every month is settled."""
    if kpi.settles_after is None:
        return None
    first = None
    month = data_end.replace(day=1)
    while month_end(month) + dt.timedelta(days=follow_up_days(kpi, month.year)) > data_end:
        first, month = month, add_months(month, -1)
    return first


def provisional_months(kpi: Kpi, filters: Filters, data_end: dt.date) -> tuple[dt.date, dt.date] | None:
    """(first, last) month of the period that is provisional, or None."""
    first = first_provisional_month(kpi, data_end)
    last = filters.end.replace(day=1)
    if first is None or last < first:
        return None
    return max(first, filters.start.replace(day=1)), last


def settled_part(kpi: Kpi, filters: Filters, data_end: dt.date) -> Filters | None:
    """The period without its provisional months (the period itself if it has none; None if all are)."""
    provisional = provisional_months(kpi, filters, data_end)
    if provisional is None:
        return filters
    if provisional[0] <= filters.start.replace(day=1):
        return None
    return make_filters(filters.start, add_months(provisional[0], -1), **dict(filters.values))


def provisional_flags(kpi: Kpi, labels: list[dt.date], grain: str, data_end: dt.date) -> list[bool]:
    """For a series' periods (labelled by their first day), whether each holds a provisional month."""
    first = first_provisional_month(kpi, data_end)
    step = {"month": 1, "quarter": 3, "year": 12}[grain]
    return [first is not None and add_months(label, step) > first for label in labels]
