"""Secondary suppression on the hand-made warehouse (tests/support/mini_warehouse.py), worked by hand.

Referrals of 2025 by the referring institution (fact_referral rows 1–6):
    H1 1 (row 2), P1 1 (row 1)  -> consortium C2 = 2 -> district D1 = 2
    H2 2 (rows 4, 6), P2 2 (rows 3, 5) -> consortium C1 = 4 -> district D2 = 4;  city 6
By quarter: Q1 3 (rows 1, 2, 3), Q2 2 (rows 4, 5), Q3 1 (row 6), Q4 0.

At threshold 3 (counts 1–2 withheld):
- institutions: all four are 1 or 2, withheld (primary);
- consortia: C2 = 2 withheld (primary); C1 = 4 would be the only one shown, and city 6 − C1 4 = C2's 2,
  but C1 sits in D2 (below), which is withheld, and C1 alone makes up D2, so C1 is withheld too;
- districts: D1 = 2 withheld (primary); beside the city's 6, D2's 4 would give D1 away: D2 withheld
  (the next smallest, and the only other);
- the city's 6 is shown; a card for P2 alone, or C1 alone, is withheld in its own view as in the tables.
At threshold 2 (counts of 1 withheld), the year's tables read with its quarters (all decided together):
- Q1's 3 referrals are D1's 2 (rows 1, 2) and D2's 1 (row 3): D2's Q1 is withheld, and D1's Q1, the only
  other district with referrals in Q1, with it (else 3 − 2); D1 has referrals in Q1 only, so D1's year is
  the same number and is withheld too; then the city's 6 − D2's 4 would give D1's 2: D2's year is withheld;
- each district is one consortium (D1 = C2, D2 = C1): the same cells, withheld alike;
- institutions: H1 1 and P1 1 (primary); under D2's withheld 4, H2 2 and P2 2 must not give it away
  alone: H2 (first by code) is withheld, P2 shown;
- quarters: Q3 1 withheld alone beside the year's 6 would be 6 − 3 − 2 − 0: the next smallest with
  referrals, Q2 (2), is withheld with it; Q1 3 and Q4 0 are shown (zero is never withheld).
At threshold 3 the quarters Q2 2 and Q3 1 are both primary, together 3: nothing more.
"""

from __future__ import annotations

import pytest

from dashboard.core.cache import standalone_cache
from queries.execution import kpi_values
from queries.kpi.builder import Request
from queries.selection import filters_for
from tests.support.mini_warehouse import build_mini_warehouse


@pytest.fixture(scope="module")
def mini(tmp_path_factory):
    standalone_cache(None)
    return build_mini_warehouse(tmp_path_factory.mktemp("mini") / "mini.duckdb")


def _shown(url, by=(), grain=None, threshold=3, **filters) -> dict:
    """Each row's numerator as shown (None where withheld), keyed by its code or period."""
    request = Request("referral_count", filters_for(url, period="all", **filters), by, grain)
    frame = kpi_values(url, request, threshold=threshold)
    key = frame.columns[0] if by or grain else None
    return {
        (str(row[key]) if key else "total"): (None if row["suppressed"] else row["numerator"])
        for _, row in frame.iterrows()
    }


def test_a_lone_withheld_unit_takes_its_smallest_sibling_with_it(mini):
    assert _shown(mini) == {"total": 6}
    assert _shown(mini, ("district",)) == {"D1": None, "D2": None}
    assert _shown(mini, ("consortium",)) == {"C1": None, "C2": None}
    assert _shown(mini, ("institution",)) == {"H1": None, "H2": None, "P1": None, "P2": None}


def test_a_unit_withheld_in_the_tables_is_withheld_in_its_own_view(mini):
    assert _shown(mini, institution="P2") == {"total": None}
    assert _shown(mini, consortium="C1") == {"total": None}
    assert _shown(mini, district="D2") == {"total": None}


def test_a_withheld_quarter_spreads_to_the_years_that_would_give_it_away(mini):
    assert _shown(mini, ("institution",), threshold=2) == {"H1": None, "H2": None, "P1": None, "P2": 2}
    assert _shown(mini, ("district",), threshold=2) == {"D1": None, "D2": None}
    assert _shown(mini, ("consortium",), threshold=2) == {"C1": None, "C2": None}
    assert _shown(mini, threshold=2) == {"total": 6}


def test_a_lone_withheld_quarter_takes_the_next_smallest_with_it(mini):
    quarters = _shown(mini, grain="quarter", threshold=2)
    assert quarters == {"2025-01-01": 3, "2025-04-01": None, "2025-07-01": None, "2025-10-01": 0}
    assert _shown(mini, grain="quarter", threshold=3) == quarters  # both primary at 3: nothing more


def test_a_calendar_quarters_own_window_is_withheld_as_its_cell_in_the_series(mini):
    """At threshold 2, Q2's 2 referrals are withheld in the quarterly series to protect Q3's 1; a window of
    exactly April–June 2025 is that same cell, so its total is withheld too (else 6 − 3 − 2 − 0 = Q3's 1).
    Q1, not withheld in the series, is shown in its own window."""

    def window(first: str, last: str) -> dict:
        request = Request("referral_count", filters_for(mini, from_month=first, to_month=last))
        frame = kpi_values(mini, request, threshold=2)
        return None if frame["suppressed"].iloc[0] else frame["numerator"].iloc[0]

    assert window("2025-04", "2025-06") is None
    assert window("2025-01", "2025-03") == 3


def test_months_are_protected_within_their_quarter_as_well_as_their_year(mini):
    """At threshold 2, months of 2025: Feb 1, Mar 2, Apr 1, Jun 1, Jul 1 (the rest 0). Within the year the
    four months of 1 protect each other (4 withheld, together 4), but the quarterly series shows Q1's 3
    (withheld in neither view), and Q1 3 − March 2 would give February's 1: so March is withheld too.
    Q2 and Q3 are withheld in the quarterly series; their months of 1 are all withheld beneath them."""
    months = _shown(mini, grain="month", threshold=2)
    assert _shown(mini, grain="quarter", threshold=2)["2025-01-01"] == 3
    assert months == {
        "2025-01-01": 0,
        "2025-02-01": None,
        "2025-03-01": None,
        "2025-04-01": None,
        "2025-05-01": 0,
        "2025-06-01": None,
        "2025-07-01": None,
        **{f"2025-{m:02d}-01": 0 for m in range(8, 13)},
    }
