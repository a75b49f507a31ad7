"""Disclosure control for every KPI result (DOMAIN §9): the one step between the warehouse's sums and any
number that leaves the server (pages, hovers, downloads, reports, the command line).

A result's cells are withheld when they rest on 1–4 people, events or cases (primary suppression), and
further cells are withheld where a withheld one could otherwise be recovered by subtraction (secondary):
- along the units' hierarchies (district → consortium → institution → team → doctor; MDC → ADRG → DRG;
  ICD-10 chapter → category → code), decided on the whole city's table of that level, so that every view of
  the same KPI, period and other filters withholds the same units, whichever part of the city it shows
  (an institution table and a consortium table read together recover nothing);
- along the months (or quarters) of each calendar year, decided on whole years, so that a series and the
  year's total read together recover nothing;
- within the result itself, against its own total (a selection of several units, a filter outside the
  hierarchies, a window that is not a calendar year).
The residual risk (two overlapping custom windows differenced, cross tables on filters outside the
hierarchies) is explained on the definitions page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pandas as pd

from queries.kpi.builder import Request, output_column, period_column
from queries.kpi.catalog import get_catalog
from queries.kpi.filters import Filters
from queries.kpi.registry import Kpi, get_kpi
from queries.kpi.suppression import blank, complete_groups, primary, protecting_columns
from queries.sums import cache_key, cached, raw_sums

# Hierarchies whose levels add up to the level above; a unit's status is decided on the city's whole level.
GEOGRAPHY = ("district", "consortium", "institution", "team", "doctor")
TREES = (GEOGRAPHY, ("mdc", "adrg", "drg"), ("icd_chapter", "icd_category", "icd_code"))
ROUNDS = 20  # secondary suppression settles in a few rounds; a bound keeps a pathological table finite


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
    # 2. within this result, against its own total (a selection or filter the hierarchies do not cover)
    total = _status_of(database_url, replace(request, by=(), grain=None), threshold)
    order = _order(frame, keys)
    for group in _axes_groups(frame, keys):
        for column in columns:
            if column in frame:
                counts = frame[column].to_numpy(dtype=float)
                mask = complete_groups(mask, counts, group, np.full(len(frame), total), order, threshold)
    return mask


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


def _pins(filters: Filters) -> dict[str, tuple[str, str]]:
    """For each hierarchy whose filters name exactly one unit at their deepest level: tree head -> (level,
    code)."""
    chosen = dict(filters.values)
    pins = {}
    for tree in TREES:
        deepest = next((d for d in reversed(tree) if d in chosen), None)
        if deepest is not None and len(chosen[deepest]) == 1:
            pins[tree[0]] = (deepest, chosen[deepest][0])
    return pins


def _shared_status(database_url: str, request: Request, frame: pd.DataFrame, threshold: int) -> np.ndarray:
    """The status each row of a result has on the canonical table its cells belong to (all False where the
    result has none: no hierarchy level, no single unit chosen, no series)."""
    pins = {
        head: pin
        for head, pin in _pins(request.filters).items()
        if not any(d in request.by for t in TREES if t[0] == head for d in t)
    }
    rows = frame.assign(**{output_column(level): code for level, code in pins.values()})
    grain = _calendar_grain(request.filters) if not request.grain else None
    if grain:  # a window that is one calendar month, quarter or year is that period's cell of a series
        request = replace(request, grain=grain)
        rows = rows.assign(**{grain: request.filters.start})
    if not (_tree_dims(request.by) or request.grain or pins):
        return np.zeros(len(frame), dtype=bool)
    table = _canonical(database_url, _canonical_request(request), threshold)
    keys = [*_keys(request), *(output_column(level) for level, _ in pins.values())]
    if table.empty or not set(keys) <= set(table.columns):
        return np.zeros(len(frame), dtype=bool)
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


def _tree_dims(by: tuple[str, ...]) -> list[str]:
    return [d for d in by if any(d in tree for tree in TREES)]


def _canonical_request(request: Request) -> Request:
    """The table a result's shared status is decided on: each hierarchy level in the breakdown (or the one
    unit the filters choose) with every level above it, over the whole city (or the whole DRG or ICD-10
    tree) rather than the selection, and a series over whole calendar years."""
    filters = request.filters
    by = list(request.by)
    pins = _pins(filters)
    for tree in TREES:
        present = [d for d in tree if d in by]
        if not present and tree[0] in pins:
            present = [pins[tree[0]][0]]
        if not present:
            continue
        deepest = max(tree.index(d) for d in present)
        by = [*tree[: deepest + 1], *(d for d in by if d not in tree)]
        filters = filters.without(*tree)
    if request.grain:
        filters = _whole_years(filters)
    return replace(request, filters=filters, by=tuple(by))


def _whole_years(filters: Filters) -> Filters:
    return filters.with_period(dt.date(filters.start.year, 1, 1), dt.date(filters.end.year, 12, 31))


def _canonical(
    database_url: str, request: Request, threshold: int, counts: Callable[[], pd.DataFrame] | None = None
) -> pd.DataFrame:
    """The status of every cell of a canonical table: its keys, its counts and ``withheld``. ``counts``
    gives the table's sums from a finer table already read (the counts add up exactly), else they are
    read from the warehouse."""
    key = cache_key("withheld", (request.key(), threshold), request.scope, get_catalog(database_url))
    return cached(key, lambda: _decide(database_url, request, threshold, counts))


def _decide(
    database_url: str, request: Request, threshold: int, counts: Callable[[], pd.DataFrame] | None
) -> pd.DataFrame:
    kpi = get_kpi(request.kpi_id)
    columns = protecting_columns(kpi)
    keys = _keys(request)
    table = counts() if counts is not None else _counts(database_url, request)
    if table.empty:
        return table.assign(withheld=pd.Series(dtype=bool))
    table = table.reset_index(drop=True)
    mask = primary(table, columns, threshold)
    if not mask.any():
        # no small cell: the parents' cells are sums of these, each 0 or at least the threshold, so nothing
        # anywhere up the chain is withheld either
        return table.assign(withheld=mask)
    axes = _parent_axes(kpi, request)
    parents = [
        _parent_status(database_url, parent, threshold, table, group_keys) for parent, group_keys in axes
    ]
    order = _order(table, keys)
    groups = [_group_codes(table, group_keys) for _parent, group_keys in axes]
    exposed = _exposed(table, columns, groups, parents)
    for _round in range(ROUNDS):
        before = mask.copy()
        for status, codes in zip(parents, groups, strict=True):
            for column in columns:
                if column in table:
                    counts = table[column].to_numpy(dtype=float)
                    mask = complete_groups(mask, counts, codes, status, order, threshold, exposed)
        if (mask == before).all():
            break
    return table.assign(withheld=mask)


def _exposed(
    table: pd.DataFrame, columns: tuple[str, ...], groups: list[np.ndarray], parents: list[np.ndarray]
) -> np.ndarray:
    """Cells that are the only one with cases under a shown parent along some axis: they equal that parent,
    so withholding one of them to protect a sibling along another axis would protect nothing. They are the
    last choice as a complement."""
    exposed = np.zeros(len(table), dtype=bool)
    for codes, parent_hidden in zip(groups, parents, strict=True):
        for column in columns:
            if column not in table:
                continue
            has_cases = table[column].to_numpy(dtype=float) > 0
            per_group = np.bincount(codes, weights=has_cases, minlength=codes.max() + 1 if len(codes) else 0)
            exposed |= has_cases & (per_group[codes] == 1) & ~parent_hidden
    return exposed


def _parent_axes(kpi: Kpi, request: Request) -> list[tuple[Request, list[str]]]:
    """For each way a canonical table's cells add up to a parent: the parent's table and the keys that name
    a cell's parent (its siblings share them)."""
    axes = []
    by = list(request.by)
    for dimension in list(by):
        tree = next((t for t in TREES if dimension in t), None)
        if tree is not None and any(d in by and tree.index(d) > tree.index(dimension) for d in tree):
            continue  # only the deepest level of a chain has its own parent step
        rest = tuple(d for d in by if d != dimension)
        parent = replace(request, by=rest)
        group_keys = [output_column(d) for d in rest] + list(period_column(request.grain))
        axes.append((parent, group_keys))
    if request.grain and not kpi.per_window:  # months' counts add up to the year's
        coarser = "year" if request.grain in ("month", "quarter") else None
        parent = replace(request, grain=coarser)
        group_keys = [output_column(d) for d in by] + (["_year"] if coarser else [])
        axes.append((parent, group_keys))
    return axes


def _parent_status(
    database_url: str, parent: Request, threshold: int, table: pd.DataFrame, group_keys: list[str]
) -> np.ndarray:
    """Each row's parent status, from the parent's own canonical table (its counts summed from this one's:
    the protecting counts are sums, which add up over units, and over months where this axis exists)."""
    kpi = get_kpi(parent.kpi_id)
    if not parent.by and not parent.grain:
        total = _rolled_up(table, parent, [])
        return np.full(len(table), bool(primary(total, protecting_columns(kpi), threshold).any()))
    status = _canonical(database_url, parent, threshold, lambda: _rolled_up(table, parent, group_keys))
    parent_keys = _keys(parent)
    if status.empty:
        return np.zeros(len(table), dtype=bool)
    left = table[group_keys].copy()
    right = status[[*parent_keys, "withheld"]].copy()
    if "_year" in group_keys:
        right = right.rename(columns={"year": "_year"})
        right["_year"] = pd.to_datetime(right["_year"]).dt.year
    right = right.drop_duplicates(subset=group_keys)
    merged = left.merge(right, on=group_keys, how="left")
    return merged["withheld"].fillna(False).to_numpy(dtype=bool)


def _rolled_up(table: pd.DataFrame, parent: Request, group_keys: list[str]) -> pd.DataFrame:
    """The parent table's counts as sums of ``table``'s over the keys they share."""
    sums = [c for c in ("numerator", "denominator", "cases") if c in table]
    if group_keys:
        out = table.groupby(group_keys, dropna=False, sort=False)[sums].sum().reset_index()
    else:
        out = pd.DataFrame([table[sums].sum()]) if len(table) else pd.DataFrame({c: [0.0] for c in sums})
    if parent.grain == "year" and "year" not in out:  # months summed into their years
        out["year"] = [dt.date(int(y), 1, 1) for y in out["_year"]]
    if parent.grain and "_year" not in out:
        out["_year"] = pd.to_datetime(out[parent.grain]).dt.year
    return out


def _counts(database_url: str, request: Request) -> pd.DataFrame:
    """A table's raw sums (never shown): keys, numerator, denominator, cases; periods as dates with
    ``_year`` beside them."""
    frame = raw_sums(database_url, request).copy()
    for column in ("numerator", "denominator", "cases"):
        if column in frame:
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float).fillna(0.0)
    if request.grain and request.grain in frame:
        frame[request.grain] = pd.to_datetime(frame[request.grain]).dt.date
        frame["_year"] = pd.to_datetime(frame[request.grain]).dt.year
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


def _order(frame: pd.DataFrame, keys: list[str]) -> np.ndarray:
    """A stable order of the rows, the same in every view: by their codes (as text, missing ones too)."""
    if not keys:
        return np.arange(len(frame))
    ranks = [pd.factorize(frame[k].astype(str), sort=True)[0] for k in reversed(keys)]
    order = np.empty(len(frame))
    order[np.lexsort(ranks)] = np.arange(len(frame))
    return order
