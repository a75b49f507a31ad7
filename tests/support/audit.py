"""An audit of a whole family of tables, as an analyst holding every view of one KPI would run it (DOMAIN §9).

The views: the KPI by each level of the geography (city, district, consortium, institution, team) and by
month, quarter, calendar year and the whole window of whole years, each read through ``kpi_values`` exactly as
the pages read them. They are tied together by the sums a reader knows hold: a unit's cell is the sum of its
member units' cells, a month's cells add up to their quarter and year, a year's to the window. Every shown
cell is a known number, every unit or period absent from a view a known zero, every withheld cell an unknown.

A withheld cell leaks when the system determines it exactly (a combination of the sums isolates it: the
subtraction attacks of issue 13, chained across views, and any linear combination of them), or when some sum
pins a set of withheld cells to a total of 1–4.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from queries.execution import kpi_values
from queries.kpi.builder import NotApplicable, Request, output_column
from queries.kpi.catalog import get_catalog
from queries.kpi.filters import make_filters
from queries.kpi.registry import get_kpi

LEVELS = ("district", "consortium", "institution", "team")
GRAINS = ("month", "quarter", "year", None)


@dataclass(frozen=True)
class Cell:
    level: str  # "city" or a geography level
    unit: str
    grain: str  # month, quarter, year, window
    period: str  # the period's first day as text ("" for the window)


def audit(
    url: str, kpi_id: str, column: str, first_year: int, last_year: int, threshold: int
) -> dict[str, list[str]]:
    """Every leak of a withheld ``column`` count of ``kpi_id`` over whole years ``first_year``–``last_year``."""
    filters = make_filters(dt.date(first_year, 1, 1), dt.date(last_year, 12, 31))
    catalog = get_catalog(url)
    shown: dict[Cell, float | None] = {}  # None: withheld
    levels = []
    for level in ("city", *LEVELS):
        try:
            for grain in GRAINS:
                by = () if level == "city" else (level,)
                frame = kpi_values(url, Request(kpi_id, filters, by, grain), threshold=threshold)
                for _, row in frame.iterrows():
                    unit = "city" if level == "city" else str(row[output_column(level)])
                    period = "" if grain is None else str(row[grain])[:10]
                    value = None if bool(row["suppressed"]) else float(row[column])
                    shown[Cell(level, unit, grain or "window", period)] = value
            levels.append(level)
        except NotApplicable:
            continue
    additive = not get_kpi(kpi_id).per_window  # a per-window KPI's months do not add up to its year
    sums = _sums(shown, levels, _members(catalog), first_year, last_year, additive)
    return _leaks(shown, sums, threshold)


def _members(catalog) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """(level, unit) -> the (level, unit) cells that add up to it. Districts and consortia are two ways of
    grouping institutions (a consortium may span districts): each is the sum of its institutions, and the
    city the sum of its districts and of its consortia; institutions outside any consortium make up the
    consortium view's row of their own (``nan``)."""
    members = defaultdict(list)
    for code, (district, consortium, _level) in catalog.parents["institution"].items():
        members[("district", str(district))].append(("institution", code))
        members[("consortium", str(consortium) if consortium else "nan")].append(("institution", code))
    for level in ("district", "consortium"):
        members[(f"city<{level}", "city")] = [key for key in list(members) if key[0] == level]
    for team, institution in catalog.parents.get("team", {}).items():
        members[("institution", str(institution))].append(("team", team))
    return members


def _periods(first_year: int, last_year: int) -> dict[str, list[tuple[str, list[str]]]]:
    """grain -> (period, the finer periods that add up to it) for each way periods sum."""
    months = {
        y: [dt.date(y, m, 1).isoformat() for m in range(1, 13)] for y in range(first_year, last_year + 1)
    }
    years = [dt.date(y, 1, 1).isoformat() for y in months]
    return {
        "quarter<month": [(ms[q * 3], ms[q * 3 : q * 3 + 3]) for ms in months.values() for q in range(4)],
        "year<month": [(ms[0], ms) for ms in months.values()],
        "year<quarter": [(ms[0], ms[0::3]) for ms in months.values()],
        "window<year": [("", years)],
    }


def _sums(shown, levels, members, first_year, last_year, additive: bool) -> list[tuple[Cell, list[Cell]]]:
    """Every (total, parts) the reader knows adds up: along the geography where both levels are shown,
    along the calendar for every unit."""
    sums = []
    periods = defaultdict(set)
    for cell in shown:
        periods[cell.grain].add(cell.period)
    for (level, unit), parts in members.items():
        level = level.split("<")[0]  # the city, once as its districts' sum and once as its consortia's
        if level not in levels or any(part_level not in levels for part_level, _ in parts):
            continue
        for grain, grain_periods in periods.items():
            for period in grain_periods:
                children = [Cell(part_level, code, grain, period) for part_level, code in parts]
                sums.append((Cell(level, unit, grain, period), children))
    for level, unit in {(c.level, c.unit) for c in shown} if additive else ():
        for relation, pairs in _periods(first_year, last_year).items():
            coarse, fine = relation.split("<")
            for period, finer in pairs:
                sums.append((Cell(level, unit, coarse, period), [Cell(level, unit, fine, p) for p in finer]))
    return sums


def _leaks(shown: dict[Cell, float | None], sums, threshold: int) -> dict[str, list[str]]:
    """The leaks, by how they are found: ``subtraction`` (a sum with one withheld cell left in it, again and
    again as cells come back), ``combination`` (only by combining several sums), ``small_sum`` (withheld
    cells a sum pins to 1 … threshold − 1)."""
    unknown = sorted((c for c, v in shown.items() if v is None), key=str)
    index = {c: i for i, c in enumerate(unknown)}
    rows, rhs = [], []
    for total, parts in sums:
        coefficients = np.zeros(len(unknown))
        known = 0.0
        for sign, cell in zip([-1.0] + [1.0] * len(parts), [total, *parts], strict=True):
            value = shown.get(cell, 0.0)  # absent from its view: no events, a known zero
            if value is None:
                coefficients[index[cell]] += sign
            else:
                known += sign * value
        if coefficients.any():
            rows.append(coefficients)
            rhs.append(-known)
    leaks = {"subtraction": [], "combination": [], "small_sum": []}
    if not rows:
        return leaks
    matrix, rhs = np.array(rows), np.array(rhs)
    for coefficients, value in zip(matrix, rhs, strict=True):
        if ((coefficients >= 0).all() or (coefficients <= 0).all()) and 0 < abs(value) < threshold - 1e-9:
            cells = [str(unknown[j]) for j in np.flatnonzero(coefficients)]
            leaks["small_sum"].append(f"withheld {cells} add up to {abs(value):.0f}")
    peeled = _peel(matrix.copy(), rhs.copy())
    for i, value in peeled.items():
        leaks["subtraction"].append(f"{unknown[i]} = {value:.0f} by subtraction")
    # exactly determined: the unknown's unit vector lies in the row space (the null space has no weight on it)
    _u, singular, vt = np.linalg.svd(matrix, full_matrices=True)
    rank = int((singular > 1e-9 * max(matrix.shape)).sum())
    null = vt[rank:]
    solution = np.linalg.lstsq(matrix, rhs, rcond=None)[0]
    for i, cell in enumerate(unknown):
        if i not in peeled and (null.shape[0] == 0 or np.abs(null[:, i]).max() < 1e-9):
            leaks["combination"].append(f"{cell} = {solution[i]:.0f} by combining sums")
    return leaks


def _peel(matrix: np.ndarray, rhs: np.ndarray) -> dict[int, float]:
    """Cells recovered by subtraction alone: a sum with one unknown left gives it; substitute, repeat."""
    found = {}
    while True:
        single = np.flatnonzero((matrix != 0).sum(axis=1) == 1)
        if not len(single):
            return found
        for row in single:
            nonzero = np.flatnonzero(matrix[row])
            if len(nonzero) != 1:
                continue
            j = nonzero[0]
            value = rhs[row] / matrix[row, j]
            found[j] = value
            rhs -= matrix[:, j] * value
            matrix[:, j] = 0
