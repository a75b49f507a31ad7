"""Disclosure-control rules (DOMAIN §9) as pure functions over frames of counts: which cells a count of 1–4
makes withheld (primary), which further cells keep a withheld one from being recovered by subtraction
(secondary), and how a withheld row loses every number derived from its cases.

The orchestration (which tables are compared with which, the same cells withheld in every view) lives in
``queries.disclosure``; this module only knows counts, groups and parents.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from queries.kpi.filters import DIMENSIONS
from queries.kpi.registry import Kpi

DEFAULT_THRESHOLD = 5

# Columns that never reveal a cell's cases, kept in a withheld row: what the row is (codes, names, periods,
# flags), and what it is compared with (the parent's or the city's value, targets, limits, group labels).
# Every other number in a withheld row is blanked: a new column is withheld unless it is listed here.
PUBLIC_COLUMNS = frozenset(
    {
        "suppressed",
        "provisional",
        "name",
        "kpi",
        "kpi_name",
        "kpi_name_en",
        "unit",
        "polarity",
        "parent",
        "benchmark",
        "target",
        "comparator",
        "comparator_kind",
        "comparator_name",
        "comparator_group",
        "comparator_ratio",
        "reference_crude",
        "method",
        "outcome",
        "level",
        "period",
        "month",
        "quarter",
        "year",
        "grain",
        *DIMENSIONS.values(),  # the cell's own codes (a number of follow-ups is a code here, not a count)
    }
)


def protecting_columns(kpi: Kpi) -> tuple[str, ...]:
    """The counts of people, events or cases a KPI's cell rests on, most telling first: events for a rate of
    events, people or cases for a proportion or a mean, the cases summed over for a total of money or
    weight. A cell is withheld when any of them is 1–4."""
    if kpi.ci in ("rate", "count"):
        return ("numerator",)
    if kpi.ci == "wilson":
        return ("numerator", "denominator")
    if kpi.ci == "mean":
        return ("denominator",)
    return ("cases",)


def small(counts, threshold: int) -> np.ndarray:
    """Counts of 1 to threshold − 1 (zero is not withheld: nobody is behind it)."""
    values = np.nan_to_num(np.asarray(counts, dtype=float), nan=0.0)
    return (values > 0) & (values < threshold)


def primary(frame: pd.DataFrame, columns: tuple[str, ...], threshold: int) -> np.ndarray:
    """Cells with a small count in any of ``columns`` (those the frame has)."""
    mask = np.zeros(len(frame), dtype=bool)
    for column in columns:
        if column in frame:
            mask |= small(frame[column], threshold)
    return mask


def complete_groups(
    withheld: np.ndarray,
    counts: np.ndarray,
    groups: np.ndarray,
    parent_withheld: np.ndarray,
    order: np.ndarray,
    threshold: int,
) -> np.ndarray:
    """Secondary suppression within groups of siblings that add up to a parent.

    In each group (rows sharing ``groups``; ``parent_withheld`` is the parent's status, the same for a group):
    - parent shown: the withheld children with cases are none, or at least two holding ``threshold`` or more
      cases together, so that parent − visible children recovers no cell and no small sum;
    - parent withheld: the withheld children hold ``threshold`` or more cases together, or are all the children
      with cases, so that the visible children do not add up to the parent.
    Otherwise the visible child with the fewest cases (then the first in ``order``, for the same choice in
    every view) is withheld too, and again. Returns the new mask; ``withheld`` is not changed.
    """
    out = withheld.copy()
    counts = np.nan_to_num(np.asarray(counts, dtype=float), nan=0.0)
    codes = np.asarray(groups)
    if codes.dtype.kind not in "iu":  # group labels of any kind become small integers
        codes = pd.factorize(pd.Series(groups, dtype=object).astype(str))[0]
    for group in _unsafe_groups(out, counts, codes, np.asarray(parent_withheld, dtype=bool), threshold):
        idx = np.flatnonzero(codes == group)
        has_cases = counts[idx] > 0
        parent_hidden = bool(parent_withheld[idx[0]])
        # candidates in the order they would be added: fewest cases first, then the stable order
        ranked = idx[np.lexsort((order[idx], counts[idx]))]
        while True:
            hidden = out[idx] & has_cases
            total = counts[idx][hidden].sum()
            if parent_hidden:
                safe = total >= threshold or hidden.sum() == has_cases.sum()
            else:
                safe = hidden.sum() == 0 or (hidden.sum() >= 2 and total >= threshold)
            if safe:
                break
            candidates = [r for r in ranked if counts[r] > 0 and not out[r]]
            if not candidates:
                break  # every child with cases is withheld: their sum is the parent's, itself small
            out[candidates[0]] = True
    return out


@dataclass(frozen=True)
class Sums:
    """One way cells add up: cell ``children[i]`` is a part of cell ``parents[i]`` (row numbers into one
    array of cells, e.g. each month of a unit into that unit's year)."""

    children: np.ndarray
    parents: np.ndarray


def settle(
    counts: list[np.ndarray], sums: list[Sums], withheld: np.ndarray, order: np.ndarray, threshold: int
) -> np.ndarray:
    """Secondary suppression over a whole family of linked tables at once, to a fixed point.

    Every group of parts and its total (each ``Sums``, for each count in ``counts``) ends in one of the safe
    states of ``complete_groups``: total shown and no part withheld, or at least two holding ``threshold``
    cases together; total withheld and the withheld parts holding ``threshold`` cases, or all the parts
    with cases withheld. Where a shown total's group cannot be made safe by its parts (a withheld part
    alone under it, the one part with cases), the total itself is withheld: it would give the part away. A
    part withheld in one group is thereby protected in all the others it belongs to, up and across.

    Complements are taken fewest cases first, then by ``order`` (the same choice in every view); parts
    that are the only one with cases somewhere come last (withholding one withholds its twin too), and
    where only such parts are left the total is withheld instead if that costs nothing more: every group it
    is a part or the total of is safe as it is with it withheld (a district's figures are not lost to a
    cross cell's twin when its consortium, beside an already withheld one, can go instead).
    """
    mask = np.asarray(withheld, dtype=bool).copy()
    if not len(mask):
        return mask
    counts = [np.nan_to_num(np.asarray(c, dtype=float), nan=0.0) for c in counts]
    groups = [_Groups(link) for link in sums]
    twin = np.zeros(len(mask), dtype=bool)
    for group in groups:
        for values in counts:
            twin |= group.only_child_with_cases(values)
    for group in groups:
        group.index_parts(len(mask))

    def costs_nothing(cell: int, values: np.ndarray) -> bool:
        return all(group.safe_if_withheld(cell, mask, values, threshold) for group in groups)

    while True:
        # first what leaves no choice (one part left to withhold, or only the total), to a fixed point, so
        # that a choice is made knowing every cell already bound to go; then one round of choices
        while _settle_round(groups, counts, mask, order, twin, threshold, costs_nothing, forced_only=True):
            pass
        if not _settle_round(groups, counts, mask, order, twin, threshold, costs_nothing, forced_only=False):
            return mask


def _settle_round(groups, counts, mask, order, twin, threshold, costs_nothing, forced_only: bool) -> bool:
    changed = False
    for group in groups:
        for values in counts:
            for parent in group.unsafe(mask, values, threshold):
                changed |= group.make_safe(
                    parent, mask, values, order, twin, threshold, costs_nothing, forced_only
                )
    return changed


class _Groups:
    """The parts of each total of one ``Sums``, found fast (parts sorted by their total)."""

    def __init__(self, link: Sums):
        self.children = np.asarray(link.children, dtype=int)
        self.parents = np.asarray(link.parents, dtype=int)
        by_parent = np.argsort(self.parents, kind="stable")
        self.sorted_children = self.children[by_parent]
        sorted_parents = self.parents[by_parent]
        self.totals, self.starts = np.unique(sorted_parents, return_index=True)
        self.ends = np.append(self.starts[1:], len(sorted_parents))

    def index_parts(self, size: int) -> None:
        """Each cell's total in this ``Sums`` (−1 where it is no part of one)."""
        self.total_of = np.full(size, -1)
        self.total_of[self.children] = self.parents

    def safe_if_withheld(self, cell: int, mask: np.ndarray, values: np.ndarray, threshold: int) -> bool:
        """Whether the groups ``cell`` belongs to here, as a part and as a total, would be safe as they are
        with ``cell`` withheld too."""
        as_part = self.total_of[cell]
        if as_part >= 0 and not self._safe(as_part, bool(mask[as_part]), mask, values, threshold, also=cell):
            return False
        at = np.searchsorted(self.totals, cell)
        if at < len(self.totals) and self.totals[at] == cell:
            return self._safe(cell, True, mask, values, threshold)
        return True

    def _safe(self, parent: int, parent_hidden: bool, mask, values, threshold: int, also: int = -1) -> bool:
        at = np.searchsorted(self.totals, parent)
        idx = self.sorted_children[self.starts[at] : self.ends[at]]
        idx = idx[values[idx] > 0]
        hidden = mask[idx] | (idx == also)
        total = values[idx][hidden].sum()
        if parent_hidden:
            return total >= threshold or hidden.all()
        return hidden.sum() == 0 or (hidden.sum() >= 2 and total >= threshold)

    def only_child_with_cases(self, values: np.ndarray) -> np.ndarray:
        out = np.zeros(len(values), dtype=bool)
        has = values[self.children] > 0
        n = np.bincount(self.parents, weights=has, minlength=len(values))
        out[self.children[has & (n[self.parents] == 1)]] = True
        return out

    def unsafe(self, mask: np.ndarray, values: np.ndarray, threshold: int) -> np.ndarray:
        """The totals whose group breaks the rule now (their cell numbers, ascending)."""
        parts = self.children
        return _unsafe_groups(mask[parts], values[parts], self.parents, mask[self.parents], threshold)

    def make_safe(
        self,
        parent: int,
        mask: np.ndarray,
        values: np.ndarray,
        order: np.ndarray,
        twin: np.ndarray,
        threshold: int,
        costs_nothing,
        forced_only: bool = False,
    ) -> bool:
        """Withhold parts (or the total) until the group is safe; whether anything changed. With
        ``forced_only``, only while there is no choice: at most one part left that could be withheld."""
        at = np.searchsorted(self.totals, parent)
        idx = self.sorted_children[self.starts[at] : self.ends[at]]
        idx = idx[values[idx] > 0]
        ranked = idx[np.lexsort((order[idx], values[idx], twin[idx]))]
        changed = False
        while True:
            hidden = mask[idx]
            total = values[idx][hidden].sum()
            if mask[parent]:
                if total >= threshold or hidden.all():
                    return changed
            elif hidden.sum() == 0 or (hidden.sum() >= 2 and total >= threshold):
                return changed
            candidates = ranked[~mask[ranked]]
            if forced_only and len(candidates) > 1:
                return changed
            if len(candidates) and twin[candidates[0]] and not mask[parent] and costs_nothing(parent, values):
                mask[parent] = True  # rather than a part that would take its twin with it
            elif len(candidates):
                mask[candidates[0]] = True
            else:  # nothing left to withhold beneath a shown total: the total gives them away
                mask[parent] = True
            changed = True


def _unsafe_groups(
    withheld: np.ndarray, counts: np.ndarray, codes: np.ndarray, parent_withheld: np.ndarray, threshold: int
) -> np.ndarray:
    """The groups that break the rule now (most break none: a table is checked at numpy speed first)."""
    size = codes.max() + 1 if len(codes) else 0
    with_cases = counts > 0
    hidden = withheld & with_cases
    n_cases = np.bincount(codes, weights=with_cases, minlength=size)
    n_hidden = np.bincount(codes, weights=hidden, minlength=size)
    hidden_sum = np.bincount(codes, weights=np.where(hidden, counts, 0.0), minlength=size)
    parent = np.zeros(size, dtype=bool)
    parent[codes] = parent_withheld
    safe_shown = (n_hidden == 0) | ((n_hidden >= 2) & (hidden_sum >= threshold))
    safe_hidden = (hidden_sum >= threshold) | (n_hidden == n_cases)
    safe = np.where(parent, safe_hidden, safe_shown) | (n_cases == 0)
    return np.flatnonzero(~safe)


def blank(frame: pd.DataFrame, withheld: np.ndarray) -> pd.DataFrame:
    """``frame`` with ``suppressed`` set on withheld rows and every number in them blanked but the public
    ones (PUBLIC_COLUMNS): the count, its rate and interval, O/E, sums of cost or weight, changes …"""
    out = frame.copy()
    mask = np.asarray(withheld, dtype=bool)
    out["suppressed"] = mask | (out["suppressed"].astype(bool) if "suppressed" in out else False)
    if not mask.any():
        return out
    for column in out.columns:
        if column in PUBLIC_COLUMNS or not _numeric(out[column]):
            continue
        if out[column].dtype.kind in "iu":
            out[column] = out[column].astype(float)
        out.loc[mask, column] = np.nan
    return out


def _numeric(series: pd.Series) -> bool:
    if series.dtype.kind in "iufc":
        return True
    if series.dtype == object:
        sample = series.dropna()
        return len(sample) > 0 and all(
            isinstance(v, int | float | np.number) and not isinstance(v, bool) for v in sample
        )
    return False
