"""Denominators: person-years of the population (or estimated patients) and capitation budgets pro-rated to a window."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from dashboard.core.reference import AGE_BANDS
from dashboard.core.schema import (
    dim_institution,
    dim_population,
    fact_capitation,
)
from queries.kpi.sources.relation import (
    INSTITUTION_COLUMNS,
    Relation,
    Window,
    asked,
    institution_columns,
    prune,
)

# --- denominators from population and budgets ----------------------------------------------------------------


def share_of_year(window: Window, year_column) -> sa.ColumnElement:
    """The share of each calendar year that lies inside the window (person-years, pro-rated budgets)."""
    parts = []
    for year in range(window.start.year, window.end.year + 1):
        first = max(window.start, dt.date(year, 1, 1))
        last = min(window.end, dt.date(year, 12, 31))
        days_in_year = (dt.date(year, 12, 31) - dt.date(year, 1, 1)).days + 1
        parts.append((year_column == year, ((last - first).days + 1) / days_in_year))
    return sa.case(*parts, else_=0.0)


def _population(window: Window, options) -> sa.Subquery:
    """Person-years lived in the window (``point`` option: the population of the window's last year)."""
    pop = dim_population.alias("pop")
    if options.get("point"):
        weight = sa.case((pop.c.year == window.end.year, 1.0), else_=0.0)
    else:
        weight = share_of_year(window, pop.c.year)
    exposure = sa.cast(pop.c.population, sa.Double) * weight
    columns = [
        sa.literal(window.end, sa.Date).label("date"),
        pop.c.district_code.label("res_district"),
        pop.c.age_band,
        pop.c.sex,
        pop.c.insurance_type,
        exposure.label("population"),
    ]
    prevalence = options.get("prevalence")
    if prevalence:
        factor = sa.case(
            *[(pop.c.age_band == band, float(prevalence[band])) for band in AGE_BANDS], else_=0.0
        )
        columns.append((exposure * factor).label("estimated_patients"))
        # estimated patients of one disease: a disease filter applies to them as to the managed patients
        columns.append(sa.literal(options["disease"]).label("chronic_group"))
    # only the columns asked for: a warehouse without the optional insurance column still answers the rest
    return (
        sa.select(*prune(columns, asked(options)))
        .where(pop.c.year.between(window.start.year, window.end.year))
        .subquery("population")
    )


POPULATION_RELATIONS = (
    Relation(
        "dim_population",
        frozenset({"date", "res_district", "age_band", "sex", "insurance_type", "population"}),
        _population,
        optional=frozenset({"insurance_type"}),
    ),
)
# the estimated patients of one disease (population × prevalence): the population's columns and the disease
ESTIMATED_RELATIONS = (
    Relation(
        "dim_population",
        frozenset(
            {
                "date",
                "res_district",
                "age_band",
                "sex",
                "insurance_type",
                "estimated_patients",
                "chronic_group",
            }
        ),
        _population,
        optional=frozenset({"insurance_type"}),
    ),
)


def _budgets(window: Window, _options) -> sa.Subquery:
    """Capitation budgets pro-rated to the part of each budget year inside the window."""
    b, i = fact_capitation.alias("b"), dim_institution.alias("i")
    return (
        sa.select(
            sa.literal(window.end, sa.Date).label("date"),
            *institution_columns(i),
            (sa.cast(b.c.budget, sa.Double) * share_of_year(window, b.c.year)).label("budget"),
            b.c.year.label("budget_year"),
        )
        .select_from(b.join(i, i.c.institution_id == b.c.institution_id))
        .where(b.c.year.between(window.start.year, window.end.year))
        .subquery("budgets")
    )


BUDGET_RELATIONS = (
    Relation("fact_capitation", frozenset(INSTITUTION_COLUMNS | {"date", "budget", "budget_year"}), _budgets),
)
