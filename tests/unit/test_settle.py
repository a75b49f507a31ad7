"""Secondary suppression over linked tables (queries.kpi.suppression.settle), worked by hand at threshold 5.

One consortium, three institutions, two months; each institution's year is its January plus its February,
the consortium's months and year are its institutions' sums:

             Jan  Feb  year
    A          2    0     2      A's counts are small: withheld (primary)
    B          9    0     9
    C          0    7     7
    consortium 11   7    18

Cells with cases, numbered: 0 A-Jan, 1 B-Jan, 2 C-Feb, 3 A-year, 4 B-year, 5 C-year, 6 cons-Jan, 7 cons-Feb,
8 cons-year.
"""

from __future__ import annotations

import numpy as np

from queries.kpi.suppression import Sums, settle

COUNTS = np.array([2, 9, 7, 2, 9, 7, 11, 7, 18], dtype=float)
LINKS = [
    Sums(
        children=np.array([0, 1, 2]), parents=np.array([6, 6, 7])
    ),  # institutions into the consortium's month
    Sums(children=np.array([3, 4, 5]), parents=np.array([8, 8, 8])),  # … into the consortium's year
    Sums(children=np.array([0, 1, 2]), parents=np.array([3, 4, 5])),  # an institution's months into its year
    Sums(children=np.array([6, 7]), parents=np.array([8, 8])),  # the consortium's months into its year
]


def _settled(counts=COUNTS) -> list[int]:
    primary = (counts > 0) & (counts < 5)
    mask = settle([counts], LINKS, primary, np.arange(len(counts), dtype=float), threshold=5)
    return np.flatnonzero(mask).tolist()


def test_a_complement_that_is_the_only_month_of_its_year_takes_its_year_with_it():
    """January's 11 beside A's withheld 2 would give A away: B-Jan (the only other) is withheld. B has cases
    in January only, so B's year is the same number: shown, it would give B-Jan back, so it is withheld
    too. The consortium's year then has A's and B's years withheld, 11 together: safe, nothing more."""
    assert _settled() == [0, 1, 3, 4]


def test_a_total_with_nothing_left_to_withhold_beneath_it_is_withheld_itself():
    """With B's January at 0 instead, the consortium's January (2) is A's alone: small itself, withheld.
    Its year (9) beside February's 7 would give it back: February is withheld too, and C-Feb, its only
    part, under it. In the consortium's year A's year (2) would be 9 − C's 7: C's year is withheld."""
    counts = np.array([2, 0, 7, 2, 0, 7, 2, 7, 9], dtype=float)
    assert _settled(counts) == [0, 2, 3, 5, 6, 7]


def test_nothing_small_nothing_withheld():
    counts = np.array([6, 9, 7, 6, 9, 7, 15, 7, 22], dtype=float)
    assert _settled(counts) == []
