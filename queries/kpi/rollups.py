"""Statements that (re)build the monthly visit rollups after a load. See dashboard.core.schema for the tables."""

from __future__ import annotations

import sqlalchemy as sa

from dashboard.core.schema import (
    ROLLUP_TABLES,
    agg_visit_contract,
    agg_visit_diagnosis,
    agg_visit_org,
    agg_visit_resident,
    dim_patient,
    dim_team,
    fact_contract,
    fact_visit,
)
from queries.kpi.expressions import age_band, bucket, year_of

v = fact_visit.alias("v")
p = dim_patient.alias("p")


def _measures(source=v):
    cost = sa.cast(source.c.total_cost, sa.Double)
    return [
        sa.func.count().label("n"),
        sa.func.sum(source.c.total_cost).label("total_cost"),
        sa.func.sum(source.c.insurance_paid).label("insurance_paid"),
        sa.func.sum(source.c.drug_cost).label("drug_cost"),
        sa.func.sum(cost * cost).label("total_cost_sq"),
    ]


def _rollup_select(table: sa.Table, grain: list, joins=None) -> sa.Insert:
    month = bucket(v.c.visit_date, "month").label("month")
    select = sa.select(month, *grain, *_measures()).select_from(joins if joins is not None else v)
    select = select.group_by(month, *grain)
    names = [
        "month",
        *[g.name for g in grain],
        "n",
        "total_cost",
        "insurance_paid",
        "drug_cost",
        "total_cost_sq",
    ]
    return sa.insert(table).from_select(names, select)


def rollup_statements() -> list[sa.Executable]:
    """DELETE and INSERT … SELECT statements that rebuild every rollup from the facts."""
    resident = v.join(p, p.c.patient_id == v.c.patient_id)
    band = age_band(year_of(v.c.visit_date) - p.c.birth_year).label("age_band")

    c = fact_contract.alias("c")
    t = dim_team.alias("t")
    contracted = resident.join(
        c, sa.and_(c.c.patient_id == v.c.patient_id, v.c.visit_date.between(c.c.start_date, c.c.end_date))
    ).join(t, t.c.team_id == c.c.team_id)

    statements: list[sa.Executable] = [sa.delete(table) for table in ROLLUP_TABLES]
    statements += [
        _rollup_select(
            agg_visit_org,
            [v.c.institution_id, v.c.team_id, v.c.doctor_id, v.c.visit_type],
        ),
        _rollup_select(
            agg_visit_resident,
            [
                v.c.institution_id,
                p.c.district_code.label("res_district"),
                p.c.insurance_type,
                band,
                p.c.sex,
                v.c.visit_type,
            ],
            resident,
        ),
        _rollup_select(
            agg_visit_diagnosis,
            [v.c.institution_id, v.c.visit_type, v.c.diagnosis_code.label("icd_code")],
        ),
        _rollup_select(
            agg_visit_contract,
            [
                c.c.team_id,
                p.c.district_code.label("res_district"),
                p.c.insurance_type,
                band,
                p.c.sex,
                (v.c.institution_id == t.c.institution_id).label("at_own_team"),
            ],
            contracted,
        ),
    ]
    return statements


def build_rollups(conn: sa.Connection) -> None:
    """Rebuild every rollup inside the caller's transaction."""
    for statement in rollup_statements():
        conn.execute(statement)
