"""Referrals by referring institution, with the receiving side and days to completion."""

from __future__ import annotations

import sqlalchemy as sa

from dashboard.core.schema import (
    dim_icd10,
    dim_institution,
    dim_patient,
    fact_referral,
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

# --- referrals ---------------------------------------------------------------------------------------------------


def _referral_facts(window: Window, _options) -> sa.Subquery:
    r, i, p, d = (
        fact_referral.alias("r"),
        dim_institution.alias("i"),
        dim_patient.alias("p"),
        dim_icd10.alias("d"),
    )
    to = dim_institution.alias("to")
    # days from referral to completion, for completed referrals only (0 otherwise, and counted by `completed`)
    days = sa.case(
        (r.c.status == "completed", sa.cast(r.c.completed_date - r.c.referral_date, sa.Integer)), else_=0
    )
    return (
        sa.select(
            r.c.referral_date.label("date"),
            *institution_columns(i),
            *resident_columns(p, r.c.referral_date),
            *icd_columns(r.c.diagnosis_code, d),
            r.c.direction,
            r.c.status,
            to.c.institution_id.label("to_institution_id"),
            to.c.level.label("to_level"),
            sa.literal(1).label("n"),
            days.label("completed_days"),
            (days * days).label("completed_days_sq"),
        )
        .select_from(
            r.join(i, i.c.institution_id == r.c.from_institution_id)
            .join(to, to.c.institution_id == r.c.to_institution_id)
            .join(p, p.c.patient_id == r.c.patient_id)
            .outerjoin(d, d.c.code == r.c.diagnosis_code)
        )
        .where(in_window(r.c.referral_date, window))
        .subquery("referrals")
    )


REFERRAL_RELATIONS = (
    Relation(
        "fact_referral",
        frozenset(
            INSTITUTION_COLUMNS
            | RESIDENT_COLUMNS
            | ICD_COLUMNS
            | {
                "date",
                "direction",
                "status",
                "to_institution_id",
                "to_level",
                "n",
                "completed_days",
                "completed_days_sq",
            }
        ),
        _referral_facts,
    ),
)
