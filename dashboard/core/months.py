"""Calendar months: every period in the product is whole months, from the first day of one to the last of another."""

from __future__ import annotations

import datetime as dt
import re

from dashboard.core.errors import UserFacingError

_MONTH = re.compile(r"^\d{4}-\d{2}$")


def add_months(first: dt.date, months: int) -> dt.date:
    """The first day of the month ``months`` after (or before) the month of ``first``."""
    index = first.year * 12 + first.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def month_end(first: dt.date) -> dt.date:
    """The last day of the month of ``first``."""
    return add_months(first, 1) - dt.timedelta(days=1)


def parse_month(text: str) -> dt.date:
    """The first day of a month written ``YYYY-MM``.

    Raises:
        UserFacingError: anything else.
    """
    if not isinstance(text, str) or not _MONTH.match(text.strip()):
        raise UserFacingError("not_a_month", text=text)
    try:
        return dt.date.fromisoformat(f"{text.strip()}-01")
    except ValueError:
        raise UserFacingError("not_a_month", text=text) from None


def quarter_start(day: dt.date) -> dt.date:
    """The first day of the calendar quarter of ``day``."""
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def months_between(start: dt.date, end: dt.date) -> int:
    """How many calendar months [start, end] touches."""
    return (end.year - start.year) * 12 + end.month - start.month + 1
