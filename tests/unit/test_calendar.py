"""The demo calendar: the last full month, the 36-month period, day weights around Spring Festival."""

from __future__ import annotations

import datetime as dt

from dashboard.load.demo.calendar import Period, day_weights, last_full_month


def test_period_and_calendar():
    assert last_full_month(dt.date(2026, 11, 25)) == dt.date(2026, 10, 1)
    assert last_full_month(dt.date(2026, 1, 1)) == dt.date(2025, 12, 1)
    period = Period.ending(dt.date(2026, 10, 1))
    assert (period.start, period.end, len(period.months())) == (
        dt.date(2023, 11, 1),
        dt.date(2026, 10, 31),
        36,
    )
    february_2026 = next(m for m in period.months() if (m.year, m.month) == (2026, 2))
    weights = day_weights(february_2026)
    assert weights[16] < 0.5 * weights[9]  # Spring Festival 2026-02-17 is quiet, a week before is not
