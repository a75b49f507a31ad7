"""Dates for the demo city: the 36-month period, seasonality and the Spring Festival dip."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from dashboard.core.months import add_months

EPOCH = dt.date(1970, 1, 1)

# 春节 (first day of the lunar new year); visits fall away for about a week around it.
SPRING_FESTIVAL = {
    2021: dt.date(2021, 2, 12),
    2022: dt.date(2022, 2, 1),
    2023: dt.date(2023, 1, 22),
    2024: dt.date(2024, 2, 10),
    2025: dt.date(2025, 1, 29),
    2026: dt.date(2026, 2, 17),
    2027: dt.date(2027, 2, 6),
    2028: dt.date(2028, 1, 26),
    2029: dt.date(2029, 2, 13),
    2030: dt.date(2030, 2, 3),
}

# Relative outpatient volume by calendar month: winter respiratory peak, quieter summer and National Day.
MONTH_FACTOR = np.array([1.10, 1.00, 1.02, 0.97, 0.95, 0.92, 0.94, 0.95, 0.98, 0.92, 1.04, 1.14])
# Respiratory infections swing much harder with the season than visits overall.
RESPIRATORY_FACTOR = np.array([1.9, 1.6, 1.2, 1.0, 0.8, 0.6, 0.6, 0.6, 0.8, 1.0, 1.4, 1.9])
WEEKEND_FACTOR = 0.55
# Sum of day weights in an average month without a festival: the unit of month_volume_factor.
_AVERAGE_MONTH_WEIGHT = 30.44 * (5 + 2 * WEEKEND_FACTOR) / 7


def to_days(d: dt.date) -> int:
    return (d - EPOCH).days


def last_full_month(today: dt.date) -> dt.date:
    """First day of the last month that has fully ended before ``today``."""
    first_this_month = today.replace(day=1)
    return (first_this_month - dt.timedelta(days=1)).replace(day=1)


@dataclass(frozen=True)
class Month:
    index: int  # 0-based position in the period
    start: dt.date
    end: dt.date  # last day

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def year(self) -> int:
        return self.start.year

    @property
    def month(self) -> int:
        return self.start.month


@dataclass(frozen=True)
class Period:
    """The demo's data period: whole months ending with ``last_month``."""

    first_month: dt.date
    last_month: dt.date

    @classmethod
    def ending(cls, last_month: dt.date, months: int = 36) -> Period:
        last_month = last_month.replace(day=1)
        return cls(add_months(last_month, -(months - 1)), last_month)

    @property
    def start(self) -> dt.date:
        return self.first_month

    @property
    def end(self) -> dt.date:
        return add_months(self.last_month, 1) - dt.timedelta(days=1)

    @property
    def years(self) -> list[int]:
        return list(range(self.start.year, self.end.year + 1))

    def months(self) -> list[Month]:
        out, current, i = [], self.first_month, 0
        while current <= self.last_month:
            nxt = add_months(current, 1)
            out.append(Month(i, current, nxt - dt.timedelta(days=1)))
            current, i = nxt, i + 1
        return out

    def years_elapsed(self, d: dt.date) -> float:
        """Time since the period start in years: drives the policy trends."""
        return (d - self.start).days / 365.25


def day_weights(month: Month) -> np.ndarray:
    """Relative visit volume of each day of a month: quieter weekends, the Spring Festival week almost shut."""
    days = np.arange(month.days)
    first_weekday = month.start.weekday()
    weekday = (first_weekday + days) % 7
    weights = np.where(weekday >= 5, WEEKEND_FACTOR, 1.0)
    festival = SPRING_FESTIVAL.get(month.year)
    if festival is not None:
        offset = to_days(month.start) + days - to_days(festival)
        weights = np.where((offset >= -2) & (offset <= 6), weights * 0.3, weights)
    return weights


def month_volume_factor(month: Month) -> float:
    """Seasonal factor for a month, including the festival dip, normalised to a 30.44-day month."""
    return float(MONTH_FACTOR[month.month - 1] * day_weights(month).sum() / _AVERAGE_MONTH_WEIGHT)


def sample_days(rng: np.random.Generator, month: Month, n: int) -> np.ndarray:
    """Draw ``n`` dates (as days since epoch) within a month, following the day weights."""
    cumulative = np.cumsum(day_weights(month))
    picks = np.searchsorted(cumulative, rng.random(n) * cumulative[-1], side="right")
    return to_days(month.start) + picks.astype(np.int32)
