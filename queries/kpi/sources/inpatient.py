"""Inpatient cases with their DRG group, weight, payment and, on request, region-wide group means, outlier flags and readmissions (policy parameters by discharge year)."""

from __future__ import annotations

import sqlalchemy as sa

from dashboard.core.schema import (
    dim_drg,
    dim_icd10,
    dim_institution,
    dim_patient,
    fact_inpatient,
)
from queries.kpi.expressions import flag, year_of
from queries.kpi.sources.relation import (
    ICD_COLUMNS,
    INSTITUTION_COLUMNS,
    RESIDENT_COLUMNS,
    Relation,
    Window,
    asked,
    icd_columns,
    in_window,
    institution_columns,
    policy_by_year,
    prune,
    resident_columns,
)

# --- inpatient cases ------------------------------------------------------------------------------------------


WEIGHT_BANDS = ((0.5, "<0.5"), (1.0, "0.5-1"), (2.0, "1-2"), (5.0, "2-5"))


def _weight_band(grouped, weight) -> sa.ColumnElement:
    """The case's weight band (<0.5, 0.5-1, 1-2, 2-5, 5+), or "ungrouped"."""
    w = sa.cast(weight, sa.Double)
    return sa.case(
        (~grouped, "ungrouped"), *[(w < upper, label) for upper, label in WEIGHT_BANDS], else_="5+"
    )


def inpatient_cases(window: Window, options) -> sa.Subquery:
    f, i, p = fact_inpatient.alias("f"), dim_institution.alias("i"), dim_patient.alias("p")
    g, d = dim_drg.alias("g"), dim_icd10.alias("d")
    cost = sa.cast(f.c.total_cost, sa.Double)
    los = sa.cast(f.c.los_days, sa.Double)
    grouped = f.c.drg_code.is_not(None)
    columns = [
        f.c.discharge_date.label("date"),
        *institution_columns(i),
        f.c.department,
        f.c.grouper_version,
        *resident_columns(p, f.c.discharge_date),
        *icd_columns(f.c.principal_dx, d),
        f.c.drg_code,
        g.c.adrg_code,
        g.c.mdc_code,
        g.c.risk_level,
        sa.literal(1).label("n"),
        f.c.total_cost,
        (cost * cost).label("total_cost_sq"),
        f.c.insurance_paid,
        los.label("los"),
        (los * los).label("los_sq"),
        flag(grouped).label("grouped"),
        _weight_band(grouped, g.c.weight).label("weight_band"),
        sa.func.coalesce(sa.cast(g.c.weight, sa.Double), 0.0).label("weight"),
        sa.case((grouped, sa.cast(g.c.weight, sa.Double) * sa.cast(g.c.weight, sa.Double)), else_=0.0).label(
            "weight_sq"
        ),
        sa.case((grouped, f.c.drg_payment - f.c.total_cost), else_=0).label("surplus"),
        sa.case((grouped, sa.cast(f.c.drg_payment, sa.Double)), else_=0.0).label("payment"),
        sa.case((grouped, cost), else_=0.0).label("grouped_cost"),
        flag(f.c.discharge_status == "died").label("died"),
    ]
    needed = asked(options)
    joined = f.join(i, i.c.institution_id == f.c.institution_id)
    if needed is None or needed & RESIDENT_COLUMNS:
        joined = joined.join(p, p.c.patient_id == f.c.patient_id)
    if needed is None or needed & {
        "adrg_code",
        "mdc_code",
        "risk_level",
        "weight",
        "weight_sq",
        "weight_band",
    }:
        joined = joined.outerjoin(
            g, sa.and_(g.c.grouper_version == f.c.grouper_version, g.c.drg_code == f.c.drg_code)
        )
    if needed is None or needed & {"icd_chapter", "chronic_group"}:
        joined = joined.outerjoin(d, d.c.code == f.c.principal_dx)
    if options.get("region_means"):
        # Region-wide means of each group over the same window: never the filtered subset (DOMAIN.md §4).
        r = fact_inpatient.alias("r")
        means = (
            sa.select(
                r.c.grouper_version,
                r.c.drg_code,
                sa.func.avg(sa.cast(r.c.total_cost, sa.Double)).label("mean_cost"),
                sa.func.avg(sa.cast(r.c.los_days, sa.Double)).label("mean_los"),
            )
            .where(r.c.drg_code.is_not(None), in_window(r.c.discharge_date, window))
            .group_by(r.c.grouper_version, r.c.drg_code)
            .subquery("region_means")
        )
        joined = joined.outerjoin(
            means, sa.and_(means.c.grouper_version == f.c.grouper_version, means.c.drg_code == f.c.drg_code)
        )
        # The outlier thresholds of each case's discharge year, from the region's policy file.
        k_high, k_low = (
            policy_by_year(year_of(f.c.discharge_date), window, "k_high"),
            policy_by_year(year_of(f.c.discharge_date), window, "k_low"),
        )
        columns += [
            sa.case((grouped, cost / means.c.mean_cost), else_=0.0).label("cost_ratio"),
            sa.case((grouped, (cost / means.c.mean_cost) * (cost / means.c.mean_cost)), else_=0.0).label(
                "cost_ratio_sq"
            ),
            sa.case((grouped & (means.c.mean_los > 0), los / means.c.mean_los), else_=0.0).label("los_ratio"),
            sa.case(
                (grouped & (means.c.mean_los > 0), (los / means.c.mean_los) * (los / means.c.mean_los)),
                else_=0.0,
            ).label("los_ratio_sq"),
            flag(grouped & (cost > k_high * means.c.mean_cost)).label("high_outlier"),
            flag(grouped & (cost < k_low * means.c.mean_cost)).label("low_outlier"),
        ]
    if options.get("readmission"):
        a = fact_inpatient.alias("a")
        days = policy_by_year(year_of(f.c.discharge_date), window, "readmission_days")
        again = (
            sa.select(sa.literal(1))
            .where(
                a.c.patient_id == f.c.patient_id,
                a.c.case_id != f.c.case_id,
                a.c.admit_date >= f.c.discharge_date,
                a.c.admit_date <= f.c.discharge_date + sa.cast(days, sa.Integer),
            )
            .exists()
        )
        columns.append(flag(again).label("readmitted"))
    return (
        sa.select(*prune(columns, needed))
        .select_from(joined)
        .where(in_window(f.c.discharge_date, window))
        .subquery("cases")
    )


_CASE_COLUMNS = frozenset(
    INSTITUTION_COLUMNS
    | RESIDENT_COLUMNS
    | ICD_COLUMNS
    | {
        "date",
        "department",
        "grouper_version",
        "weight_band",
        "drg_code",
        "adrg_code",
        "mdc_code",
        "risk_level",
        "n",
        "total_cost",
        "total_cost_sq",
        "insurance_paid",
        "los",
        "los_sq",
        "grouped",
        "weight",
        "weight_sq",
        "surplus",
        "payment",
        "grouped_cost",
        "died",
        "cost_ratio",
        "cost_ratio_sq",
        "los_ratio",
        "los_ratio_sq",
        "high_outlier",
        "low_outlier",
        "readmitted",
    }
)
INPATIENT_RELATIONS = (Relation("fact_inpatient", _CASE_COLUMNS, inpatient_cases),)
# Columns whose meaning depends on the grouper version (its groups, weights and risk levels): a result using
# them must come from one version, never an average across versions.
GROUPER_COLUMNS = frozenset(
    {
        "weight_band",
        "drg_code",
        "adrg_code",
        "mdc_code",
        "risk_level",
        "grouped",
        "weight",
        "weight_sq",
        "surplus",
        "payment",
        "grouped_cost",
        "cost_ratio",
        "cost_ratio_sq",
        "los_ratio",
        "los_ratio_sq",
        "high_outlier",
        "low_outlier",
    }
)
