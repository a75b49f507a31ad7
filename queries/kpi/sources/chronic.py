"""Chronic disease management, a window source: patients managed in the window with their follow-ups and latest readings."""

from __future__ import annotations

import sqlalchemy as sa

from dashboard.core.schema import (
    dim_institution,
    dim_patient,
    fact_chronic_registry,
    fact_followup,
)
from queries.kpi.expressions import flag
from queries.kpi.sources.relation import (
    INSTITUTION_COLUMNS,
    RESIDENT_COLUMNS,
    Relation,
    Window,
    asked,
    in_window,
    institution_columns,
    prune,
    resident_columns,
)

# --- chronic disease management (window sources: evaluated per window) ----------------------------------------


FOLLOWUP_CAP = 6
FACE_TO_FACE = ("clinic", "home")


def required_followups(window: Window) -> int:
    """Face-to-face follow-ups a window of m whole months asks for: ⌊m / 3⌋ (a year 4, a quarter 1)."""
    return window.months // 3


def _managed(window: Window, options) -> sa.Subquery:
    """Managed patients of one disease in the window, with their follow-up count and latest readings."""
    disease = options["disease"]
    m, i, p = fact_chronic_registry.alias("m"), dim_institution.alias("i"), dim_patient.alias("p")
    f = fact_followup.alias("f")
    in_person = sa.case((f.c.mode.in_(FACE_TO_FACE), 1), else_=0)
    ranked = (
        sa.select(
            f.c.patient_id,
            f.c.sbp,
            f.c.dbp,
            f.c.fasting_glucose,
            # follow-ups that count for standardised management: face to face (clinic or home), not phone or online
            sa.func.sum(in_person).over(partition_by=f.c.patient_id).label("followups"),
            sa.func.row_number()
            .over(partition_by=f.c.patient_id, order_by=(f.c.followup_date.desc(), f.c.followup_id.desc()))
            .label("recency"),
        )
        .where(f.c.disease == disease, in_window(f.c.followup_date, window))
        .subquery("ranked")
    )
    latest = sa.select(ranked).where(ranked.c.recency == 1).subquery("latest")
    if disease == "hypertension":
        controlled = (latest.c.sbp < 140) & (latest.c.dbp < 90)
    else:
        controlled = latest.c.fasting_glucose < 7.0
    needed = asked(options)
    columns = [
        sa.literal(window.end, sa.Date).label("date"),
        *institution_columns(i),
        m.c.team_id,
        *resident_columns(p, sa.literal(window.end, sa.Date)),
        sa.literal(disease).label("chronic_group"),
        sa.literal(1).label("n"),
        # at least one face-to-face follow-up per three whole months of the window: 4 in a year (DOMAIN.md §4)
        flag(sa.func.coalesce(latest.c.followups, 0) >= required_followups(window)).label("standardised"),
        flag(controlled).label("controlled"),
        # face-to-face follow-ups in the window, capped: "6 or more" is one band of the completeness breakdown
        sa.func.least(sa.func.coalesce(latest.c.followups, 0), FOLLOWUP_CAP).label("followups"),
    ]
    joined = m.join(i, i.c.institution_id == m.c.institution_id)
    if needed is None or needed & RESIDENT_COLUMNS:
        joined = joined.join(p, p.c.patient_id == m.c.patient_id)
    return (
        sa.select(*prune(columns, needed))
        .select_from(joined.outerjoin(latest, latest.c.patient_id == m.c.patient_id))
        .where(
            m.c.disease == disease,
            m.c.registered_date <= window.end,
            sa.or_(m.c.end_date.is_(None), m.c.end_date >= window.start),
        )
        .subquery("managed")
    )


MANAGED_RELATIONS = (
    Relation(
        "fact_chronic_registry",
        frozenset(
            INSTITUTION_COLUMNS
            | RESIDENT_COLUMNS
            | {"date", "team_id", "chronic_group", "n", "standardised", "controlled", "followups"}
        ),
        _managed,
    ),
)
