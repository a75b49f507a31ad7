"""SQL expressions shared by statement builders: age bands, month buckets, safe sums."""

from __future__ import annotations

import sqlalchemy as sa

from dashboard.core.reference import AGE_BAND_LOWER, AGE_BANDS


def year_of(date_expr) -> sa.ColumnElement:
    return sa.cast(sa.extract("year", date_expr), sa.Integer)


def age_band(age_expr) -> sa.ColumnElement:
    """The AGE_BANDS label of an age in whole years."""
    whens = [
        (age_expr >= int(lower), label)
        for lower, label in zip(AGE_BAND_LOWER[::-1], AGE_BANDS[::-1], strict=True)
    ]
    return sa.case(*whens, else_=AGE_BANDS[0])


def bucket(date_expr, grain: str) -> sa.ColumnElement:
    """First day of the month, quarter or year of a date, as a DATE on every engine."""
    if grain not in ("month", "quarter", "year"):
        raise ValueError(f"unknown time grain {grain!r}")
    return sa.cast(sa.func.date_trunc(grain, date_expr), sa.Date)


def flag(condition) -> sa.ColumnElement:
    """1 where the condition holds, else 0 (NULL counts as not holding)."""
    return sa.case((condition, 1), else_=0)
