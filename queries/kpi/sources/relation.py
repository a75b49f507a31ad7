"""What every record source is made of: a time window, a relation (one physical way to produce a source's
columns), and the column groups and expressions the sources share.

Every relation exposes the same vocabulary of column names (``institution_id``, ``inst_district``,
``res_district``, ``age_band``, ``n``, ``total_cost`` …) so that KPI formulas and filters are written once.
A source may have several physical relations (monthly rollups, then the facts); the builder takes the first
that provides every column a request needs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from dashboard.core.months import months_between
from dashboard.core.policy import get_policy
from queries.kpi.expressions import age_band, year_of

INSTITUTION_COLUMNS = {"institution_id", "inst_district", "consortium_id", "level", "is_primary"}
RESIDENT_COLUMNS = {"res_district", "insurance_type", "age_band", "sex"}
ICD_COLUMNS = {"icd_code", "icd_category", "icd_chapter", "chronic_group"}


@dataclass(frozen=True)
class Window:
    """A closed date range [start, end]; the builder evaluates window sources once per window."""

    start: dt.date
    end: dt.date

    @property
    def months(self) -> int:
        """Calendar months the window touches (windows are whole months)."""
        return months_between(self.start, self.end)

    @property
    def quarters_touched(self) -> int:
        first = (self.start.year, (self.start.month - 1) // 3)
        last = (self.end.year, (self.end.month - 1) // 3)
        return (last[0] - first[0]) * 4 + last[1] - first[1] + 1


@dataclass(frozen=True)
class Relation:
    """One physical way to produce a source's columns."""

    name: str
    provides: frozenset[str]
    build: Callable[[Window, dict], sa.Subquery]  # (window, options) -> relation with a ``date`` column
    monthly: bool = False  # rows are month totals (the ``date`` column is the month's first day)
    # columns of optional contract columns: provided only where the warehouse fills them (its catalog says)
    optional: frozenset[str] = frozenset()

    def offers(self, absent: frozenset[str] = frozenset()) -> frozenset[str]:
        """The columns this relation provides in a warehouse where the ``absent`` "relation.column"s are empty."""
        return self.provides - {c for c in self.optional if f"{self.name}.{c}" in absent}


def institution_columns(i):
    return [
        i.c.institution_id,
        i.c.district_code.label("inst_district"),
        i.c.consortium_id,
        i.c.level,
        i.c.is_primary,
    ]


def icd_columns(code_column, d):
    return [
        code_column.label("icd_code"),
        sa.func.substr(code_column, 1, 3).label("icd_category"),
        d.c.chapter.label("icd_chapter"),
        d.c.chronic_group,
    ]


def resident_columns(p, event_date):
    return [
        p.c.district_code.label("res_district"),
        p.c.insurance_type,
        age_band(year_of(event_date) - p.c.birth_year).label("age_band"),
        p.c.sex,
    ]


def asked(options) -> set[str] | None:
    """The columns a request needs (None: all of them), so a relation can skip joins nobody asked for."""
    columns = options.get("columns")
    return None if columns is None else set(columns) | {"date"}


def prune(columns: list, needed: set[str] | None) -> list:
    """Keep the asked-for columns: the others may refer to tables that were not joined."""
    return columns if needed is None else [c for c in columns if c.name in needed]


def policy_by_year(year, window: Window, attribute: str | Callable) -> sa.ColumnElement:
    """A policy parameter of the year of ``year`` (a SQL expression), for every year the window touches;
    ``attribute`` names a YearPolicy field or is a function of a YearPolicy. A year the policy file does not
    cover is an error (PolicyYearMissing), not a silent default."""
    entries = get_policy().covering(window.start.year, window.end.year)
    value = attribute if callable(attribute) else (lambda e: getattr(e, attribute))
    return sa.case(*[(year == e.year, value(e)) for e in entries])


def level_coefficient(year, level, window: Window) -> sa.ColumnElement:
    """The policy's level coefficient (等级系数) of an institution level in the year of ``year``."""
    entries = get_policy().covering(window.start.year, window.end.year)
    return sa.case(
        *[
            ((year == e.year) & (level == code), coefficient)
            for e in entries
            for code, coefficient in e.level_coefficients.items()
        ]
    )


def in_window(column, window: Window):
    return column.between(window.start, window.end)
