"""Family-doctor contracts: contracts ending in a window (renewal), residents with their contract status at a window's end."""

from __future__ import annotations

import sqlalchemy as sa

from dashboard.core.schema import (
    dim_institution,
    dim_patient,
    dim_team,
    fact_chronic_registry,
    fact_contract,
)
from queries.kpi.expressions import flag
from queries.kpi.sources.relation import (
    INSTITUTION_COLUMNS,
    RESIDENT_COLUMNS,
    Relation,
    Window,
    in_window,
    institution_columns,
    resident_columns,
)

# --- family-doctor contracts ----------------------------------------------------------------------------------

RENEWAL_DAYS = 90


def _contracts_ending(window: Window, _options) -> sa.Subquery:
    c, t, i, p = (
        fact_contract.alias("c"),
        dim_team.alias("t"),
        dim_institution.alias("i"),
        dim_patient.alias("p"),
    )
    n = fact_contract.alias("nxt")
    renewed = (
        sa.select(sa.literal(1))
        .where(
            n.c.patient_id == c.c.patient_id,
            n.c.start_date > c.c.end_date,
            n.c.start_date <= c.c.end_date + sa.literal(RENEWAL_DAYS, sa.Integer),
        )
        .exists()
    )
    return (
        sa.select(
            c.c.end_date.label("date"),
            *institution_columns(i),
            c.c.team_id,
            *resident_columns(p, c.c.end_date),
            sa.literal(1).label("n"),
            flag(renewed).label("renewed"),
        )
        .select_from(
            c.join(t, t.c.team_id == c.c.team_id)
            .join(i, i.c.institution_id == t.c.institution_id)
            .join(p, p.c.patient_id == c.c.patient_id)
        )
        .where(in_window(c.c.end_date, window))
        .subquery("contracts_ending")
    )


CONTRACT_END_RELATIONS = (
    Relation(
        "fact_contract",
        frozenset(INSTITUTION_COLUMNS | RESIDENT_COLUMNS | {"date", "team_id", "n", "renewed"}),
        _contracts_ending,
    ),
)


def _active_contract(patient_id, day):
    c = fact_contract.alias("active")
    return (
        sa.select(sa.literal(1))
        .where(c.c.patient_id == patient_id, c.c.start_date <= day, c.c.end_date >= day)
        .exists()
    )


def _residents(window: Window, options) -> sa.Subquery:
    """Residents (dim_patient) at the window's end, with contract status; priority flags for 65+ and chronic."""
    p = dim_patient.alias("p")
    end = sa.literal(window.end, sa.Date)
    m = fact_chronic_registry.alias("m")
    chronic = (
        sa.select(sa.literal(1))
        .where(
            m.c.patient_id == p.c.patient_id,
            m.c.registered_date <= window.end,
            sa.or_(m.c.end_date.is_(None), m.c.end_date >= window.end),
        )
        .exists()
    )
    age = window.end.year - p.c.birth_year
    return (
        sa.select(
            end.label("date"),
            *resident_columns(p, end),
            sa.literal(1).label("n"),
            flag(_active_contract(p.c.patient_id, end)).label("contracted"),
            flag((age >= 65) | chronic).label("priority"),
        )
        .where(p.c.birth_year <= window.end.year)
        .subquery("residents")
    )


RESIDENT_RELATIONS = (
    Relation(
        "dim_patient", frozenset(RESIDENT_COLUMNS | {"date", "n", "contracted", "priority"}), _residents
    ),
)
