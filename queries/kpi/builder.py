"""Pure statement builders: (KPI, filters, dimensions, time grain, scope) -> SQLAlchemy statements.

Nothing here touches a database, so tests compile every KPI for every dialect. A plan has one statement, or
two for a split KPI (numerator and denominator from different sources, merged on the dimension columns).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from dashboard.core.errors import UserFacingError
from dashboard.core.messages import Term
from dashboard.core.months import add_months
from dashboard.core.policy import PolicyYearMissing
from dashboard.core.schema import OPTIONAL_COLUMNS
from queries.kpi.expressions import bucket
from queries.kpi.filters import (
    DIMENSIONS,
    EVERYTHING,
    INSTITUTION_SIDE,
    TIME_GRAINS,
    Filters,
    Scope,
    source_column,
)
from queries.kpi.registry import Kpi, Part
from queries.kpi.sources import Relation, Window


def period_column(grain: str | None) -> tuple[str, ...]:
    """Output column of the time bucket: named after the grain (month, quarter, year)."""
    return (grain,) if grain else ()


class NotApplicable(UserFacingError):
    """The KPI cannot be broken down or filtered this way (e.g. a residence-based rate by institution)."""


@dataclass(frozen=True)
class Request:
    """One normalised question: a KPI by some dimensions (and a time grain) under filters and a scope."""

    kpi_id: str
    filters: Filters
    by: tuple[str, ...] = ()
    grain: str | None = None
    scope: Scope = EVERYTHING

    def key(self) -> tuple:
        return (self.kpi_id, self.filters.key(), self.by, self.grain, self.scope.key())


@dataclass(frozen=True)
class Plan:
    numerator: sa.Select  # columns: dimension columns, [period], numerator, [numerator_sq], [denominator]
    denominator: sa.Select | None  # for split KPIs: dimension columns, [period], denominator
    keys: tuple[str, ...]  # output dimension columns (plus "period" when a grain is asked)
    relations: tuple[str, ...]  # physical relations chosen (for benchmarks and tests)


def output_column(dimension: str) -> str:
    return DIMENSIONS[dimension]


def period_windows(filters: Filters, grain: str | None) -> list[tuple[dt.date | None, Window]]:
    if grain is None:
        return [(None, Window(filters.start, filters.end))]
    step = {"month": 1, "quarter": 3, "year": 12}[grain]
    first = filters.start
    if grain == "quarter":
        first = dt.date(first.year, 3 * ((first.month - 1) // 3) + 1, 1)
    elif grain == "year":
        first = dt.date(first.year, 1, 1)
    out = []
    while first <= filters.end:
        last = add_months(first, step) - dt.timedelta(days=1)
        out.append((first, Window(max(first, filters.start), min(last, filters.end))))
        first = add_months(first, step)
    return out


def _needed_columns(kpi: Kpi, parts: list[Part], request: Request) -> set[str]:
    needed = set().union(*(p.columns for p in parts))
    for dimension in request.by:
        needed.add(source_column(dimension, kpi.geography))
    for dimension, _values in request.filters.values:
        needed.add(source_column(dimension, kpi.geography))
    if request.grain:
        needed.add("date")
    if not request.scope.unrestricted:
        needed |= {"res_district"} if kpi.geography == "residence" else SCOPE_COLUMNS
    return needed


SCOPE_COLUMNS = {"inst_district", "consortium_id", "institution_id"}


@dataclass(frozen=True)
class Warehouse:
    """What a statement may rely on in the warehouse at hand (from its catalog): which rollups exist, and which
    optional contract columns are left empty ("relation.column")."""

    rollups: frozenset[str] | None = None  # None: assume every rollup
    absent: frozenset[str] = frozenset()

    @property
    def optional_columns(self) -> frozenset[str]:
        """The optional contract columns statements may read here, as "table.column"."""
        return frozenset(f"{table.name}.{column}" for table, column in OPTIONAL_COLUMNS) - self.absent


EVERY_WAREHOUSE = Warehouse()


def _choose(relations: tuple[Relation, ...], needed: set[str], warehouse: Warehouse) -> Relation:
    for relation in relations:
        if warehouse.rollups is not None and relation.monthly and relation.name not in warehouse.rollups:
            continue  # a rollup missing from this warehouse: use the next relation
        if needed <= relation.offers(warehouse.absent):
            return relation
    raise _NoRelation


def _check_applicable(
    kpi: Kpi, request: Request, denominator_relation: Relation | None, warehouse: Warehouse = EVERY_WAREHOUSE
) -> None:
    if not request.scope.doctors and "doctor" in {*request.by, *(k for k, _ in request.filters.values)}:
        raise NotApplicable("scope_no_doctors", kpi=kpi.name)
    residence = kpi.geography == "residence"
    blocked = set()
    if kpi.split or kpi.residence_only:
        # Institution-side breakdowns would divide part of the care by the whole population.
        blocked |= set(INSTITUTION_SIDE) & (set(request.by) | {k for k, _ in request.filters.values})
    if blocked and residence:
        raise NotApplicable("residence_only", kpi=kpi.name, dimensions=_terms(sorted(blocked)))
    if denominator_relation is not None:
        offered = denominator_relation.offers(warehouse.absent)
        for dimension in request.by:
            if source_column(dimension, kpi.geography) not in offered:
                raise NotApplicable("not_by_dimension", kpi=kpi.name, dimension=Term("dimension", dimension))
        # A filter applies to numerator and denominator alike, or is refused: never to one side only.
        for dimension, _values in request.filters.values:
            if source_column(dimension, kpi.geography) not in offered:
                raise NotApplicable(
                    "denominator_not_filterable", kpi=kpi.name, dimension=Term("dimension", dimension)
                )


def _scope_condition(kpi: Kpi, scope: Scope, c) -> sa.ColumnElement | None:
    if scope.unrestricted:
        return None
    if kpi.geography == "residence" or "institution_id" not in c:
        if not scope.residence_districts:
            raise NotApplicable("scope_names_no_district", kpi=kpi.name)
        return c["res_district"].in_(scope.residence_districts)
    terms = []
    if scope.districts:
        terms.append(c["inst_district"].in_(scope.districts))
    if scope.consortia:
        terms.append(c["consortium_id"].in_(scope.consortia))
    if scope.institutions:
        terms.append(c["institution_id"].in_(scope.institutions))
    return sa.or_(*terms)


def _filter_conditions(kpi: Kpi, filters: Filters, c) -> list[sa.ColumnElement]:
    out = []
    for dimension, values in filters.values:
        column = source_column(dimension, kpi.geography)
        if column not in c:  # never skipped: a filter on one side only would change what the ratio means
            raise NotApplicable("not_filterable", kpi=kpi.name, dimension=Term("dimension", dimension))
        out.append(c[column].in_(values))
    return out


def row_conditions(kpi: Kpi, request: Request, c) -> list[sa.ColumnElement]:
    """The WHERE terms of a request over a relation's columns ``c``: its filters and the viewer's scope.

    Aggregates and row lists (the outlier case list) use the same terms, so both see the same rows.
    """
    where = _filter_conditions(kpi, request.filters, c)
    scope = _scope_condition(kpi, request.scope, c)
    if scope is not None:
        where.append(scope)
    return where


def _select_part(
    kpi: Kpi,
    request: Request,
    parts: dict[str, Part],
    relation: Relation,
    window_part: bool,
    warehouse: Warehouse = EVERY_WAREHOUSE,
) -> sa.Select:
    """One aggregated SELECT over ``relation``: labelled sums of each part, grouped by the dimensions."""
    options: dict = {
        "columns": _needed_columns(kpi, list(parts.values()), request),
        "optional_columns": warehouse.optional_columns,  # a source reads an optional column only if filled
    }
    for part in parts.values():
        options.update(part.options)
    windows = (
        period_windows(request.filters, request.grain)
        if window_part
        else [(None, Window(request.filters.start, request.filters.end))]
    )
    shortest = max((part.min_months for part in parts.values()), default=0)
    if any(window.months < shortest for _label, window in windows):
        raise NotApplicable("window_too_short", kpi=kpi.name, months=shortest)
    selects = []
    for label, window in windows:
        rel = relation.build(window, options)
        c = rel.c
        group = [
            c[source_column(d, kpi.geography)].label(output_column(d))
            for d in request.by
            if source_column(d, kpi.geography) in c
        ]
        if request.grain:
            if window_part:
                group.append(sa.literal(label, sa.Date).label(request.grain))
            else:
                group.append(bucket(c["date"], request.grain).label(request.grain))
        measures = []
        for name, part in parts.items():
            value = part.value(c)
            condition = part.where(c) if part.where else None
            if part.distinct is not None:
                target = part.distinct(c)
                measures.append(
                    sa.func.count(
                        sa.distinct(sa.case((condition, target)) if condition is not None else target)
                    ).label(name)
                )
                continue
            term = sa.case((condition, value), else_=0) if condition is not None else value
            measures.append(sa.func.sum(term).label(name))
            if part.square is not None and name == "numerator":
                square = part.square(c)
                term = sa.case((condition, square), else_=0) if condition is not None else square
                measures.append(sa.func.sum(term).label("numerator_sq"))
        where = row_conditions(kpi, request, c)
        statement = sa.select(*group, *measures).select_from(rel).where(*where)
        # The window label is a constant: engines refuse a bound parameter in GROUP BY, and need none.
        grouping = [g.element for g in group if not (window_part and g.name == request.grain)]
        if grouping:
            statement = statement.group_by(*grouping)
        selects.append(statement)
    if len(selects) == 1:
        return selects[0]
    union = sa.union_all(*selects).subquery("per_window")
    return sa.select(union)


def build_plan(kpi: Kpi, request: Request, warehouse: Warehouse = EVERY_WAREHOUSE) -> Plan:
    """Statements answering ``request`` for ``kpi`` in ``warehouse`` (its rollups and optional columns; by
    default everything, as when compiling).

    Raises:
        NotApplicable: a dimension, filter or scope this KPI cannot honour, or a period the policy file does
            not cover for a KPI that needs its parameters, with a message to show.
    """
    try:
        return _build_plan(kpi, request, warehouse)
    except PolicyYearMissing as exc:  # e.g. a comparison period before the policy file's first year
        raise NotApplicable(exc.key, **exc.params) from None
    except _NoRelation:
        asked = [*request.by, *(k for k, _ in request.filters.values)]
        if not asked:
            raise NotApplicable("not_available_here", kpi=kpi.name) from None
        raise NotApplicable("not_available_by", kpi=kpi.name, dimensions=_terms(asked)) from None


class _NoRelation(Exception):
    """No physical relation of a source provides every column the request needs."""


def _terms(dimensions) -> tuple[Term, ...]:
    return tuple(Term("dimension", d) for d in dimensions)


def _build_plan(kpi: Kpi, request: Request, warehouse: Warehouse) -> Plan:
    for dimension in request.by:
        if dimension not in DIMENSIONS:
            raise UserFacingError("unknown_dimension", dimension=dimension, dimensions=tuple(DIMENSIONS))
    if request.grain is not None and request.grain not in TIME_GRAINS:
        raise UserFacingError("unknown_grain", grain=request.grain)
    keys = tuple(output_column(d) for d in request.by) + period_column(request.grain)

    numerator, denominator = kpi.numerator, kpi.denominator
    # a KPI without an interval also counts the cases it sums over, for disclosure control
    cases = {"cases": kpi.cases} if kpi.cases is not None else {}
    if denominator is not None and not kpi.split:
        parts = {"numerator": numerator, "denominator": denominator, **cases}
        relation = _choose(
            numerator.relations, _needed_columns(kpi, list(parts.values()), request), warehouse
        )
        _check_applicable(kpi, request, None)
        statement = _select_part(kpi, request, parts, relation, numerator.window, warehouse)
        return Plan(statement, None, keys, (relation.name,))

    num_relation = _choose(numerator.relations, _needed_columns(kpi, [numerator], request), warehouse)
    if denominator is None:
        _check_applicable(kpi, request, None)
        statement = _select_part(
            kpi, request, {"numerator": numerator, **cases}, num_relation, numerator.window, warehouse
        )
        return Plan(statement, None, keys, (num_relation.name,))

    asked = [*request.by, *(d for d, _ in request.filters.values)]
    den_needed = set(denominator.columns) | {source_column(d, kpi.geography) for d in asked}
    if request.grain:
        den_needed.add("date")
    try:
        den_relation = _choose(denominator.relations, den_needed, warehouse)
    except _NoRelation:
        den_relation = denominator.relations[0]  # _check_applicable names what it cannot honour
    _check_applicable(kpi, request, den_relation, warehouse)
    num_statement = _select_part(
        kpi, request, {"numerator": numerator, **cases}, num_relation, numerator.window, warehouse
    )
    den_statement = _select_part(
        kpi, request, {"denominator": denominator}, den_relation, denominator.window, warehouse
    )
    return Plan(num_statement, den_statement, keys, (num_relation.name, den_relation.name))
