"""Disclosure control for every KPI result (DOMAIN §9): the one step between the warehouse's sums and any
number that leaves the server (pages, hovers, downloads, reports, the command line).

A result's cells are withheld when they rest on 1–4 people, events or cases (primary suppression), and
further cells are withheld where a withheld one could otherwise be recovered by subtraction (secondary):
- across every table its cells add up with (the hierarchies' levels city-wide, months, quarters, years and
  the window), decided at once for that family of tables (``queries.families``), so that every view of any
  of them withholds the same cells, whichever part of the city it shows;
- within the result itself, against its own total, where its rows or total are not cells of one family (a
  selection of several units, a breakdown outside the hierarchies, a series over a custom window).
A result's cells are found in their family's tables by their codes: the hierarchy levels it is broken down
by, or narrowed to one unit of, each with the levels above it, and a window that is one calendar month,
quarter or year as that period's cell of the series.
The residual risk (two overlapping custom windows differenced, cross tables on filters outside the
hierarchies, the sums of many tables solved together as a system) is explained on the definitions page.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from queries.families import GEOGRAPHY, TREES, ordered, stable_order, table_status, whole_years
from queries.kpi.builder import Request, output_column, period_column
from queries.kpi.catalog import get_catalog
from queries.kpi.filters import Filters
from queries.kpi.registry import get_kpi
from queries.kpi.suppression import blank, complete_groups, primary, protecting_columns
from queries.sums import cache_key, cached, raw_sums


def protect(database_url: str, request: Request, frame: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """``frame`` (a KPI result with its counts and primary flags, from ``execution.finish``) with every cell
    withheld that must be, and every number derived from a withheld cell blanked; the internal ``cases``
    column is dropped."""
    if frame.empty:
        return frame.drop(columns=["cases"], errors="ignore")
    withheld = withheld_cells(database_url, request, frame, threshold)
    return blank(frame, withheld).drop(columns=["cases"], errors="ignore")


def withheld_cells(database_url: str, request: Request, frame: pd.DataFrame, threshold: int) -> np.ndarray:
    """Which rows of ``frame`` (the result of ``request``) are withheld, primary and secondary."""
    kpi = get_kpi(request.kpi_id)
    columns = protecting_columns(kpi)
    keys = _keys(request)
    mask = primary(frame, columns, threshold)
    if "suppressed" in frame:  # a result's own primary flags (raw sums have none)
        mask |= frame["suppressed"].to_numpy(dtype=bool)
    # 1. the status every view shares: the cell's on its level's whole table
    mask |= _shared_status(database_url, request, frame, threshold)
    if not (request.by or request.grain):
        return mask | _selection_withheld(database_url, request, threshold)
    if _family_cells(request):  # rows and total all cells of one family, decided together: nothing to add
        return mask
    # 2. within this result, against its own total (a selection or filter the hierarchies do not cover)
    total = _status_of(database_url, replace(request, by=(), grain=None), threshold)
    order = stable_order(frame, keys)
    for group in _axes_groups(frame, keys):
        for column in columns:
            if column in frame:
                counts = frame[column].to_numpy(dtype=float)
                mask = complete_groups(mask, counts, group, np.full(len(frame), total), order, threshold)
    return mask


def _family_cells(request: Request) -> bool:
    """Whether a result's rows and its own total are all cells of one family (``queries.families``): no
    selection of several units of a hierarchy, no breakdown outside the hierarchies, and a series only over
    whole calendar years (a series over a custom window adds up to a total of another family)."""
    several = any(len(codes) > 1 for d, codes in request.filters.values if any(d in t for t in TREES))
    outside = any(not any(d in t for t in TREES) for d in request.by)
    whole = request.filters == whole_years(request.filters)
    return not several and not outside and (request.grain is None or whole)


def _status_of(database_url: str, request: Request, threshold: int) -> bool:
    """Whether a request's single total (a selection over a window) is withheld, in every view."""
    key = cache_key("withheld-total", (request.key(), threshold), request.scope, get_catalog(database_url))

    def compute() -> bool:
        total = _counts(database_url, request).iloc[:1]
        return bool(withheld_cells(database_url, request, total, threshold).any())

    return bool(cached(key, compute))


def _selection_withheld(database_url: str, request: Request, threshold: int) -> bool:
    """A selection of several units of one level: its total is a parent of theirs, so it is withheld when
    the withheld ones among them could be recovered from it (one alone, or a small sum)."""
    kpi = get_kpi(request.kpi_id)
    for tree in TREES:
        level = next((d for d in reversed(tree) if len(request.filters.get(d)) > 1), None)
        if level is None:
            continue
        codes = request.filters.get(level)
        members = replace(request, by=(level,), grain=None)
        table = _canonical(database_url, _canonical_request(members), threshold)
        column = output_column(level)
        if table.empty or column not in table:
            continue
        rows = table[table[column].isin(codes)]
        hidden = rows["withheld"].to_numpy(dtype=bool)
        for name in protecting_columns(kpi):
            if name in rows:
                counts = rows[name].to_numpy(dtype=float)
                shown = hidden & (counts > 0)
                if shown.sum() == 1 or 0 < counts[shown].sum() < threshold:
                    return True
    return False


def _pins(filters: Filters) -> list[tuple[str, str]]:
    """The cells the filters narrow a result to, as (level, code): in each hierarchy the deepest level whose
    filter names exactly one unit (in the geography a district and a consortium together: their cross)."""
    chosen = {d: codes for d, codes in filters.values if len(codes) == 1}
    pins = []
    for tree in TREES:
        deepest = next((d for d in reversed(tree) if d in dict(filters.values)), None)
        if deepest is None or deepest not in chosen:
            continue
        pins.append((deepest, chosen[deepest][0]))
        if tree is GEOGRAPHY and deepest == "consortium" and "district" in chosen:
            pins.append(("district", chosen["district"][0]))
    return pins


def _shared_status(database_url: str, request: Request, frame: pd.DataFrame, threshold: int) -> np.ndarray:
    """The status each row of a result has in its family's table (all False where its rows are no cells
    of one: a breakdown by a dimension outside the hierarchies)."""
    pins = _pins(request.filters)
    rows = frame.assign(**{output_column(level): code for level, code in pins})
    grain = _calendar_grain(request.filters) if not request.grain else None
    if grain:  # a window that is one calendar month, quarter or year is that period's cell of a series
        request = replace(request, grain=grain)
        rows = rows.assign(**{grain: request.filters.start})
    table = _canonical(database_url, _canonical_request(request), threshold)
    keys = list(dict.fromkeys([*_keys(request), *(output_column(level) for level, _ in pins)]))
    if table.empty or not set(keys) <= set(table.columns):
        return np.zeros(len(frame), dtype=bool)
    if not keys:  # the city's total: the family's whole, one cell
        return np.full(len(frame), bool(table["withheld"].iloc[0]))
    lookup = table[[*keys, "withheld"]].drop_duplicates(subset=keys)
    for key in keys:  # dates and codes compare as text: raw sums and results may type them differently
        rows[key], lookup[key] = rows[key].astype(str), lookup[key].astype(str)
    merged = rows[keys].merge(lookup, on=keys, how="left")
    return merged["withheld"].fillna(False).to_numpy(dtype=bool)


def _calendar_grain(filters: Filters) -> str | None:
    """The grain whose one period a window is: a calendar month, quarter or year (else None)."""
    if filters.months == 1:
        return "month"
    if filters.months == 3 and filters.start.month % 3 == 1:
        return "quarter"
    if filters.months == 12 and filters.start.month == 1:
        return "year"
    return None


def _canonical_request(request: Request) -> Request:
    """The table a result's shared status is decided on: the hierarchy levels it is broken down by or
    narrowed to (one unit), each with the levels above it (``_chain``), over the whole city (or the whole
    DRG or ICD-10 tree) rather than the selection, and a series over whole calendar years."""
    filters = request.filters
    pinned = [level for level, _code in _pins(filters)]
    by = list(request.by)
    for tree in TREES:
        levels = {d for d in (*by, *pinned) if d in tree}
        if levels:
            by = [*_chain(tree, levels), *(d for d in by if d not in tree)]
            filters = filters.without(*tree)
    if request.grain:
        filters = whole_years(filters)
    return replace(request, filters=filters, by=ordered(by))


def _chain(tree: tuple[str, ...], levels: set[str]) -> tuple[str, ...]:
    """The columns of a canonical table for these levels of a hierarchy: each with the levels above it. A
    consortium may span districts, so in the geography the district and the consortium are two groupings of
    institutions, not one above the other: a consortium's table is its own, and a district's and a
    consortium's cells meet in their cross (the institutions of one consortium in one district)."""
    deepest = max(levels, key=tree.index)
    if tree is GEOGRAPHY and deepest == "consortium" and "district" not in levels:
        return ("consortium",)
    return tree[: tree.index(deepest) + 1]


def _canonical(database_url: str, request: Request, threshold: int) -> pd.DataFrame:
    """The status of every cell of a canonical table (keys, counts, ``withheld``), from the joint decision
    over the family of tables it belongs to (``queries.families``)."""
    return table_status(database_url, request, threshold)


def _counts(database_url: str, request: Request) -> pd.DataFrame:
    """A request's raw sums (never shown): keys, numerator, denominator, cases; a total of nothing is 0."""
    frame = raw_sums(database_url, request).copy()
    for column in ("numerator", "denominator", "cases"):
        if column in frame:
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float).fillna(0.0)
    if not request.by and not request.grain and frame.empty:
        frame = pd.DataFrame({"numerator": [0.0], "denominator": [0.0], "cases": [0.0]})
    return frame


def _keys(request: Request) -> list[str]:
    return [output_column(d) for d in request.by] + list(period_column(request.grain))


def _axes_groups(frame: pd.DataFrame, keys: list[str]) -> list[np.ndarray]:
    """Within one result: siblings along each of its dimensions and along its periods (parent: the total)."""
    groups = []
    for column in keys:
        rest = [k for k in keys if k != column]
        groups.append(_group_codes(frame, rest))
    return groups


def _group_codes(frame: pd.DataFrame, group_keys: list[str]) -> np.ndarray:
    if not group_keys:
        return np.zeros(len(frame), dtype=int)
    return frame.groupby(group_keys, dropna=False, sort=False).ngroup().to_numpy()
