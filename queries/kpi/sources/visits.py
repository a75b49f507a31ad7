"""Visits (诊疗人次), from the monthly rollups when a request fits them, else from the facts; and the visits of contracted residents."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from dashboard.core.schema import (
    agg_visit_contract,
    agg_visit_diagnosis,
    agg_visit_org,
    agg_visit_resident,
    dim_icd10,
    dim_institution,
    dim_patient,
    dim_team,
    fact_visit,
)
from queries.kpi.sources.relation import (
    ICD_COLUMNS,
    INSTITUTION_COLUMNS,
    RESIDENT_COLUMNS,
    Relation,
    Window,
    icd_columns,
    in_window,
    institution_columns,
    resident_columns,
)

# --- visits ------------------------------------------------------------------------------------------------

_VISIT_MEASURES = {"n", "total_cost", "insurance_paid", "drug_cost", "total_cost_sq", "visit_type", "date"}


def _visit_facts(window: Window, _options) -> sa.Subquery:
    v, i, p, d = (
        fact_visit.alias("v"),
        dim_institution.alias("i"),
        dim_patient.alias("p"),
        dim_icd10.alias("d"),
    )
    cost = sa.cast(v.c.total_cost, sa.Double)
    return (
        sa.select(
            v.c.visit_date.label("date"),
            *institution_columns(i),
            v.c.team_id,
            v.c.doctor_id,
            *resident_columns(p, v.c.visit_date),
            *icd_columns(v.c.diagnosis_code, d),
            v.c.visit_type,
            sa.literal(1).label("n"),
            v.c.total_cost,
            v.c.insurance_paid,
            v.c.drug_cost,
            (cost * cost).label("total_cost_sq"),
        )
        .select_from(
            v.join(i, i.c.institution_id == v.c.institution_id)
            .join(p, p.c.patient_id == v.c.patient_id)
            .outerjoin(d, d.c.code == v.c.diagnosis_code)
        )
        .where(in_window(v.c.visit_date, window))
        .subquery("visit_facts")
    )


def _visit_rollup(table: sa.Table, extra: Callable | None = None):
    def build(window: Window, _options) -> sa.Subquery:
        r, i = table.alias("r"), dim_institution.alias("i")
        columns = [r.c.month.label("date"), *institution_columns(i)]
        columns += [c for c in r.c if c.name not in ("month", "institution_id")]
        joined = r.join(i, i.c.institution_id == r.c.institution_id)
        if extra is not None:
            joined, more = extra(joined, r)
            columns += more
        return (
            sa.select(*columns).select_from(joined).where(in_window(r.c.month, window)).subquery(table.name)
        )

    return build


def _with_icd(joined, r):
    d = dim_icd10.alias("d")
    return joined.outerjoin(d, d.c.code == r.c.icd_code), [
        sa.func.substr(r.c.icd_code, 1, 3).label("icd_category"),
        d.c.chapter.label("icd_chapter"),
        d.c.chronic_group,
    ]


VISIT_RELATIONS = (
    Relation(
        "agg_visit_org",
        frozenset(INSTITUTION_COLUMNS | {"team_id", "doctor_id"} | _VISIT_MEASURES),
        _visit_rollup(agg_visit_org),
        monthly=True,
    ),
    Relation(
        "agg_visit_diagnosis",
        frozenset(INSTITUTION_COLUMNS | ICD_COLUMNS | _VISIT_MEASURES),
        _visit_rollup(agg_visit_diagnosis, _with_icd),
        monthly=True,
    ),
    Relation(
        "agg_visit_resident",
        frozenset(INSTITUTION_COLUMNS | RESIDENT_COLUMNS | _VISIT_MEASURES),
        _visit_rollup(agg_visit_resident),
        monthly=True,
    ),
    Relation(
        "fact_visit",
        frozenset(
            INSTITUTION_COLUMNS | RESIDENT_COLUMNS | ICD_COLUMNS | {"team_id", "doctor_id"} | _VISIT_MEASURES
        ),
        _visit_facts,
    ),
)


def _contract_visits(window: Window, _options) -> sa.Subquery:
    r, t, i = agg_visit_contract.alias("r"), dim_team.alias("t"), dim_institution.alias("i")
    return (
        sa.select(
            r.c.month.label("date"),
            *institution_columns(i),
            r.c.team_id,
            r.c.res_district,
            r.c.insurance_type,
            r.c.age_band,
            r.c.sex,
            r.c.at_own_team,
            r.c.n,
            r.c.insurance_paid,
        )
        .select_from(r.join(t, t.c.team_id == r.c.team_id).join(i, i.c.institution_id == t.c.institution_id))
        .where(in_window(r.c.month, window))
        .subquery("contract_visits")
    )


# The contract team's institution stands in the institution columns: it is the team's home, and the budget
# holder for capitation.
CONTRACT_VISIT_RELATIONS = (
    Relation(
        "agg_visit_contract",
        frozenset(
            INSTITUTION_COLUMNS | RESIDENT_COLUMNS | {"team_id", "at_own_team", "n", "insurance_paid", "date"}
        ),
        _contract_visits,
        monthly=True,
    ),
)
