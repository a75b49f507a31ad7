"""Families of linked tables, decided together for disclosure control (DOMAIN §9).

A KPI's cells over one set of filters come in many tables that add up to one another: institutions into
their consortium and their district, teams into their institution, doctors into their team, DRG groups into
their ADRG and MDC, months into their quarter and year, years into the window. A reader holding several of
those views can subtract across all of them, so the cells of all of them are withheld in one decision (the
family's), taken once and cached: every view of any of its tables then withholds the same cells.

The family of a table: its KPI, scope and filters with the hierarchies' own filters taken off (the whole
city), the same further breakdowns (visit type, age band …), every level of each hierarchy it touches (down
to the finest the KPI can be broken down by) and, for a series or a window of whole calendar years of counts
that add up over time, months, quarters, years and the whole window together. Its tables are sums of its
finest one, read once from the warehouse.

The geography is in every family (its whole, the city, is every result's total), down to family-doctor
teams. A view of doctors adds their level (the biggest tables, read only when asked), and a view by DRG or
ICD-10 level adds those: such a family shares its other tables with the smaller family it extends, decided
there first; what is withheld there is withheld here.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from queries.kpi.builder import NotApplicable, Request, output_column
from queries.kpi.catalog import get_catalog
from queries.kpi.filters import Filters
from queries.kpi.registry import get_kpi
from queries.kpi.suppression import Sums, primary, protecting_columns, settle
from queries.sums import cache_key, cached, raw_sums

GEOGRAPHY = ("district", "consortium", "institution", "team", "doctor")
TREES = (GEOGRAPHY, ("mdc", "adrg", "drg"), ("icd_chapter", "icd_category", "icd_code"))
SERIES = ("month", "quarter", "year", None)  # None: the whole window of whole calendar years
COARSER = {"month": ("quarter", "year"), "quarter": ("year",), "year": (None,)}
COUNTS = ("numerator", "denominator", "cases")


@dataclass(frozen=True)
class Family:
    kpi_id: str
    filters: Filters  # without the hierarchies' own filters (and whole years for a series)
    scope: object
    trees: tuple[int, ...]  # indexes into TREES
    others: tuple[str, ...]  # further breakdowns, in every table
    grains: tuple[str | None, ...]  # the time levels: SERIES, or the one grain (or window) asked
    doctors: bool = False  # down to doctors (only a view of doctors needs them; see ``_base``)
    # with DRG or ICD-10 levels, only the levels asked: the geography's (its whole and that one level) and
    # the codes' (each with those above it); crossing every code with every unit and month would be hundreds
    # of thousands of cells. None: a family of the geography alone, every level.
    geography: tuple[str, ...] | None = None
    codes: tuple[str, ...] = ()

    def key(self) -> tuple:
        request = Request(self.kpi_id, self.filters, self.others, None, self.scope)
        return (request.key(), self.trees, self.grains, self.doctors, self.geography, self.codes)


def table_status(database_url: str, request: Request, threshold: int) -> pd.DataFrame:
    """The status of every cell of a canonical table (see ``queries.disclosure``): its keys (the output
    columns of its breakdown, and its period as a date), its counts and ``withheld``."""
    family = family_of(request)
    tables = decided(database_url, family, threshold)
    return tables.get(_table_key(request.by, request.grain), _empty())


def family_of(request: Request) -> Family:
    kpi = get_kpi(request.kpi_id)
    # the geography is in every family: its whole (the city) is every result's total
    trees = (0, *(i for i, tree in enumerate(TREES[1:], 1) if any(d in tree for d in request.by)))
    others = tuple(d for d in request.by if not any(d in tree for tree in TREES))
    filters = request.filters
    series = not kpi.per_window and (request.grain is not None or filters == whole_years(filters))
    grains = SERIES if series else (request.grain,)
    doctors = "doctor" in request.by
    geography = tuple(d for d in GEOGRAPHY if d in request.by) if trees != (0,) else None
    codes = tuple(d for tree in TREES[1:] for d in tree if d in request.by)
    return Family(request.kpi_id, filters, request.scope, trees, others, grains, doctors, geography, codes)


def decided(database_url: str, family: Family, threshold: int) -> dict[tuple, pd.DataFrame]:
    """Every table of the family with its cells' status (cached: one decision per family)."""
    catalog = get_catalog(database_url)
    key = cache_key("family", (family.key(), threshold), family.scope, catalog)
    return cached(key, lambda: _decide(database_url, family, threshold))


def _decide(database_url: str, family: Family, threshold: int) -> dict[tuple, pd.DataFrame]:
    kpi = get_kpi(family.kpi_id)
    columns = protecting_columns(kpi)
    finest, nodes = _finest(database_url, family)
    if finest is None:
        return {}
    codes = _Codes(finest, family)
    tables, rows_of = {}, {}
    for key in _table_keys(family, nodes):
        tables[key], rows_of[key] = codes.sum_up(key)
    cells = pd.concat(tables.values(), ignore_index=True)
    offsets = dict(zip(tables, np.cumsum([0, *[len(t) for t in tables.values()]])[:-1], strict=True))
    withheld = primary(cells, columns, threshold)
    withheld |= _fixed(database_url, family, tables, offsets, threshold, len(cells))
    order = np.concatenate([stable_order(t, _keys(k)) for k, t in tables.items()])
    sums = _links(tables, rows_of, offsets, family)
    counts = [cells[c].to_numpy(dtype=float) for c in columns if c in cells]
    mask = settle(counts, sums, withheld, order, threshold)
    return {
        k: t.assign(withheld=mask[offsets[k] : offsets[k] + len(t)]).reset_index(drop=True)
        for k, t in tables.items()
    }


def _finest(database_url: str, family: Family) -> tuple[pd.DataFrame | None, list[tuple[str, ...]]]:
    """The family's finest table from the warehouse (the deepest levels the KPI can be broken down by) and
    the hierarchy levels (``nodes``: one tuple of levels per hierarchy) it reaches."""
    chains = []
    for index in family.trees:
        tree = TREES[index]
        if index == 0 and family.geography is not None:
            chains.append([family.geography])
            continue
        if index > 0:
            chains.append([tuple(d for d in tree if d in family.codes)])
            continue
        deepest = len(tree) - (1 if index == 0 and not family.doctors else 0)
        chains.append([tree[:n] for n in range(deepest, -1 if index == 0 else 0, -1)])  # (): no geography
    for deepest in itertools.product(*chains):
        by = ordered((*itertools.chain.from_iterable(deepest), *family.others))
        try:
            return _read(database_url, family, by), list(deepest)
        except NotApplicable:
            continue
    return None, []


def _read(database_url: str, family: Family, by: tuple[str, ...]) -> pd.DataFrame:
    """The finest table's sums. A window of counts that add up over time is summed from the months of its
    whole calendar years: the same read (and cache entry) as the series family of those years."""
    if family.grains == SERIES:
        request = Request(family.kpi_id, family.filters, by, "month", family.scope)
        return _typed(raw_sums(database_url, request), "month")
    grain = family.grains[0]
    if grain is None and not get_kpi(family.kpi_id).per_window:
        years = whole_years(family.filters)
        try:
            months = _typed(
                raw_sums(database_url, Request(family.kpi_id, years, by, "month", family.scope)), "month"
            )
        except NotApplicable:
            months = None
        if months is not None:
            return _window(months, family.filters, by)
    return _typed(
        raw_sums(database_url, Request(family.kpi_id, family.filters, by, grain, family.scope)), grain
    )


def _window(months: pd.DataFrame, filters, by: tuple[str, ...]) -> pd.DataFrame:
    """Sums over the window's months of a table by month."""
    start = filters.start.replace(day=1)
    inside = months[[start <= m <= filters.end for m in months["month"]]] if len(months) else months
    counts = [c for c in COUNTS if c in months]
    keys = [output_column(d) for d in by]
    if keys and len(inside):
        return inside.groupby(keys, dropna=False, sort=False)[counts].sum().reset_index()
    if keys:
        return pd.DataFrame(columns=[*keys, *counts])
    return pd.DataFrame([inside[counts].sum()]) if len(inside) else pd.DataFrame({c: [0.0] for c in counts})


def _table_keys(family: Family, deepest: list[tuple[str, ...]]) -> list[tuple]:
    """Every table of the family, as (levels, grain)."""
    keys = []
    nodes = [_nodes(chain) for chain in deepest]
    if family.geography is not None:  # the whole city and the one level asked
        nodes[0] = list(dict.fromkeys([(), family.geography]))
    for levels in itertools.product(*nodes):
        by = ordered((*itertools.chain.from_iterable(levels), *family.others))
        keys += [_table_key(by, grain) for grain in family.grains]
    return keys


class _Codes:
    """The finest table with every key column as small integers, so that each table of the family is a sum
    over integer keys (numpy, no joins) and each of its rows knows the finest rows it sums."""

    def __init__(self, finest: pd.DataFrame, family: Family):
        frame = finest.reset_index(drop=True)
        if family.grains == SERIES and len(frame):
            months = pd.to_datetime(frame["month"])
            frame = frame.assign(
                quarter=months.dt.to_period("Q").dt.start_time.dt.date,
                year=months.dt.to_period("Y").dt.start_time.dt.date,
            )
        # one row order whatever order the engine returned them in (DuckDB's parallel aggregation, PostgreSQL):
        # the order cells are met in steers which complement settles a group first
        keys = [c for c in frame.columns if c not in COUNTS]
        if keys and len(frame):
            ranks = [pd.factorize(frame[c].astype(object).map(str), sort=True)[0] for c in reversed(keys)]
            frame = frame.iloc[np.lexsort(ranks)]
            frame = frame.reset_index(drop=True)
        self.frame = frame
        self.counts = [c for c in COUNTS if c in frame]
        self.codes = {}
        for column in frame.columns:
            if column not in COUNTS:
                self.codes[column] = pd.factorize(frame[column], use_na_sentinel=False)[0].astype(np.int64)

    def sum_up(self, key: tuple) -> tuple[pd.DataFrame, np.ndarray]:
        """The table's keys and counts, and for each finest row the table row it falls in."""
        columns = _keys(key)
        if not len(self.frame):  # nothing at all: the whole is one cell of zero, every other table empty
            empty = pd.DataFrame({c: [0.0] for c in self.counts}) if not columns else self._empty(columns)
            return empty, np.zeros(0, dtype=np.int64)
        combined = np.zeros(len(self.frame), dtype=np.int64)
        for column in columns:
            codes = self.codes[column]
            combined = combined * (int(codes.max(initial=0)) + 1) + codes
        unique, rows = np.unique(combined, return_inverse=True)
        first = np.full(len(unique), len(self.frame))
        np.minimum.at(first, rows, np.arange(len(self.frame)))
        table = self.frame.iloc[first][columns].reset_index(drop=True)
        for column in self.counts:
            table[column] = np.bincount(
                rows, weights=self.frame[column].to_numpy(float), minlength=len(unique)
            )
        return table, rows

    def _empty(self, columns: list[str]) -> pd.DataFrame:
        return pd.DataFrame(
            {c: pd.Series(dtype=object) for c in columns} | {c: pd.Series(dtype=float) for c in self.counts}
        )


def _nodes(chain: tuple[str, ...]) -> list[tuple[str, ...]]:
    """The tables one hierarchy has down to ``chain``'s deepest level: the whole, then each level with those
    above it. A consortium may span districts, so districts and consortia are two groupings of institutions:
    each has its own table, and they meet in their cross (a consortium's institutions in one district)."""
    if not chain or chain[0] != "district":
        return [chain[:n] for n in range(len(chain) + 1)]
    nodes = [(), ("district",)]
    if len(chain) >= 2:
        nodes += [("consortium",), ("district", "consortium")]
    return nodes + [chain[:n] for n in range(3, len(chain) + 1)]


def _links(tables: dict, rows_of: dict, offsets: dict, family: Family) -> list[Sums]:
    """Each way a table's cells add up to another's: one level up a hierarchy (a cross: to its district and
    to its consortium), one step up in time (month to quarter and year, quarter to year, year to window).
    A finest row falls in one cell of each table: the pairs (its cell here, its cell there) are the links."""
    links = []
    for levels, grain in tables:
        parents = [(up, grain) for up in _up(levels)]
        if family.grains == SERIES:
            parents += [(levels, coarser) for coarser in COARSER.get(grain, ())]
        child_rows = rows_of[(levels, grain)]
        for parent_key in parents:
            if parent_key not in tables:
                continue
            size = len(tables[parent_key])
            pairs = np.unique(child_rows.astype(np.int64) * size + rows_of[parent_key])
            links.append(
                Sums(
                    children=offsets[(levels, grain)] + pairs // size,
                    parents=offsets[parent_key] + pairs % size,
                )
            )
    return links


def _up(levels: frozenset) -> list[frozenset]:
    """The tables one level up each hierarchy from a table of ``levels`` (its by, as a set)."""
    ups = []
    for tree in TREES:
        present = [d for d in tree if d in levels]
        if not present:
            continue
        if tree is GEOGRAPHY and set(present) == {"district", "consortium"}:
            ups += [levels - {"district"}, levels - {"consortium"}]
        elif tree is GEOGRAPHY and set(present) == {"consortium"}:
            ups.append(levels - {"consortium"})
        else:
            ups.append(levels - {max(present, key=tree.index)})
    return ups


def _fixed(
    database_url: str, family: Family, tables: dict, offsets: dict, threshold: int, size: int
) -> np.ndarray:
    """Cells withheld in the family this one extends (``_base``), in the tables they share."""
    mask = np.zeros(size, dtype=bool)
    base = _base(family)
    if base is None:
        return mask
    theirs = decided(database_url, base, threshold)
    for key, table in tables.items():
        if key not in theirs or theirs[key].empty:
            continue
        keys = _keys(key)
        if not keys:  # the whole: one cell
            mask[offsets[key]] = bool(theirs[key]["withheld"].iloc[0])
            continue
        status = theirs[key][[*keys, "withheld"]]
        merged = table[keys].astype(str).merge(status.astype({k: str for k in keys}), on=keys, how="left")
        mask[offsets[key] : offsets[key] + len(table)] = merged["withheld"].fillna(False).to_numpy(bool)
    return mask


def _base(family: Family) -> Family | None:
    """The smaller family whose tables this one shares and takes as decided: without its doctors (their
    tables are big, read only for a view of doctors), else without its DRG or ICD-10 levels."""
    if family.doctors:
        return replace(family, doctors=False)
    if family.trees != (0,):
        return replace(family, trees=(0,), geography=None, codes=())
    return None


def _table_key(by, grain) -> tuple:
    return (frozenset(by), grain)


def _keys(table_key: tuple) -> list[str]:
    levels, grain = table_key
    return [output_column(d) for d in ordered(levels)] + ([grain] if grain else [])


def ordered(by) -> tuple[str, ...]:
    """A table's columns in one order whichever way it was reached: hierarchies first, in order."""
    by = tuple(by)
    levels = [d for tree in TREES for d in tree if d in by]
    return (*levels, *(d for d in by if d not in levels))


def _typed(frame: pd.DataFrame, grain: str | None) -> pd.DataFrame:
    out = frame.copy()
    for column in COUNTS:
        if column in out:
            out[column] = pd.to_numeric(out[column], errors="coerce").astype(float).fillna(0.0)
    if grain and grain in out:
        out[grain] = pd.to_datetime(out[grain]).dt.date
    return out


def stable_order(frame: pd.DataFrame, keys: list[str]) -> np.ndarray:
    """A stable order of a table's rows, the same in every view: by their codes (as text, missing ones too)."""
    keys = [k for k in keys if k in frame]
    if not keys or frame.empty:
        return np.arange(len(frame), dtype=float)
    ranks = [pd.factorize(frame[k].astype(str), sort=True)[0] for k in reversed(keys)]
    order = np.empty(len(frame))
    order[np.lexsort(ranks)] = np.arange(len(frame))
    return order


def whole_years(filters: Filters) -> Filters:
    """The window stretched to whole calendar years (a series is decided over whole years)."""
    return filters.with_period(dt.date(filters.start.year, 1, 1), dt.date(filters.end.year, 12, 31))


def _empty() -> pd.DataFrame:
    return pd.DataFrame({"withheld": pd.Series(dtype=bool)})
