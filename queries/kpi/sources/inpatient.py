"""Inpatient cases with their DRG group, weight, payment and risk level and, on request, the region-wide group
means of each discharge year with outlier flags, efficiency ratios and the policy's payment standard, and the
national unplanned-readmission flag (policy parameters by discharge year, from the policy file)."""

from __future__ import annotations

import sqlalchemy as sa

from dashboard.core.policy import get_policy
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
    level_coefficient,
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
    year = year_of(f.c.discharge_date)
    needed = asked(options)
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
        sa.case(
            (
                grouped,
                (sa.cast(f.c.drg_payment, sa.Double) - cost) * (sa.cast(f.c.drg_payment, sa.Double) - cost),
            ),
            else_=0.0,
        ).label("surplus_sq"),
        sa.case((grouped, sa.cast(f.c.drg_payment, sa.Double)), else_=0.0).label("payment"),
        sa.case((grouped, cost), else_=0.0).label("grouped_cost"),
        flag(f.c.discharge_status == "died").label("died"),
        flag(f.c.discharge_status != "died").label("left_alive"),
    ]
    joined = f.join(i, i.c.institution_id == f.c.institution_id)
    if needed is None or needed & RESIDENT_COLUMNS:
        joined = joined.join(p, p.c.patient_id == f.c.patient_id)
    if needed is None or needed & _DRG_CATALOGUE_COLUMNS:
        joined = joined.outerjoin(
            g, sa.and_(g.c.grouper_version == f.c.grouper_version, g.c.drg_code == f.c.drg_code)
        )
    if needed is None or needed & {"icd_chapter", "chronic_group"}:
        joined = joined.outerjoin(d, d.c.code == f.c.principal_dx)
    if needed is None or "risk_level" in needed:
        # the catalogue's risk level, or where it has none the one derived from the warehouse (DOMAIN.md §6)
        risk = _derived_risk_levels()
        joined = joined.outerjoin(
            risk, sa.and_(risk.c.grouper_version == f.c.grouper_version, risk.c.drg_code == f.c.drg_code)
        )
        columns.append(sa.func.coalesce(g.c.risk_level, _risk_level(risk, year)).label("risk_level"))
    if options.get("region_means"):
        means = _year_means(window)
        joined = joined.outerjoin(
            means,
            sa.and_(
                means.c.grouper_version == f.c.grouper_version,
                means.c.drg_code == f.c.drg_code,
                means.c.year == year,
            ),
        )
        columns += _outlier_columns(f, i, g, means, cost, los, grouped, year, window)
    if options.get("readmission"):
        index_dx = dim_icd10.alias("index_dx")
        joined = joined.outerjoin(index_dx, index_dx.c.code == f.c.principal_dx)
        columns.append(_readmitted(f, index_dx, year, window, options).label("readmitted"))
    return (
        sa.select(*prune(columns, needed))
        .select_from(joined)
        .where(in_window(f.c.discharge_date, window))
        .subquery("cases")
    )


_DRG_CATALOGUE_COLUMNS = {
    "adrg_code",
    "mdc_code",
    "risk_level",
    "weight",
    "weight_sq",
    "weight_band",
    "policy_payment",
}


def _year_means(window: Window) -> sa.Subquery:
    """Each group's region-wide mean cost in each discharge year the window touches, over every case of the
    warehouse discharged in that year (never the filtered subset, never only the window: an outlier is a
    property of the case, DOMAIN.md §4), and its mean cost and stay without that year's outliers (the
    efficiency indices' benchmark, §6)."""
    r = fact_inpatient.alias("r")
    r_year = year_of(r.c.discharge_date)
    full = (
        sa.select(
            r.c.grouper_version,
            r.c.drg_code,
            r_year.label("year"),
            sa.func.avg(sa.cast(r.c.total_cost, sa.Double)).label("mean_cost"),
        )
        .where(r.c.drg_code.is_not(None), r_year.between(window.start.year, window.end.year))
        .group_by(r.c.grouper_version, r.c.drg_code, r_year)
        .subquery("group_year_means")
    )
    t = fact_inpatient.alias("t")
    t_cost = sa.cast(t.c.total_cost, sa.Double)
    inside = t_cost.between(
        policy_by_year(full.c.year, window, "k_low") * full.c.mean_cost,
        policy_by_year(full.c.year, window, "k_high") * full.c.mean_cost,
    )
    return (
        sa.select(
            full.c.grouper_version,
            full.c.drg_code,
            full.c.year,
            full.c.mean_cost,
            sa.func.avg(sa.case((inside, t_cost))).label("trimmed_cost"),
            sa.func.avg(sa.case((inside, sa.cast(t.c.los_days, sa.Double)))).label("trimmed_los"),
        )
        .select_from(
            full.join(
                t,
                sa.and_(
                    t.c.grouper_version == full.c.grouper_version,
                    t.c.drg_code == full.c.drg_code,
                    year_of(t.c.discharge_date) == full.c.year,
                ),
            )
        )
        .group_by(full.c.grouper_version, full.c.drg_code, full.c.year, full.c.mean_cost)
        .subquery("region_means")
    )


def _outlier_columns(f, i, g, means, cost, los, grouped, year, window: Window) -> list:
    """Outlier flags against the year's group mean (k_high, k_low of the discharge year), the efficiency
    ratios of the cases that are not outliers, and the policy's payment standard of each case."""
    k_high = policy_by_year(year, window, "k_high")
    high = grouped & (cost > k_high * means.c.mean_cost)
    low = grouped & (cost < policy_by_year(year, window, "k_low") * means.c.mean_cost)
    kept = grouped & (cost <= k_high * means.c.mean_cost) & sa.not_(low)
    cost_ratio = cost / means.c.trimmed_cost
    los_ratio = los / means.c.trimmed_los
    standard = (
        sa.cast(g.c.weight, sa.Double)
        * policy_by_year(year, window, "base_rate")
        * level_coefficient(year, i.c.level, window)
    )
    top_up = policy_by_year(year, window, "high_outlier_top_up") * (cost - k_high * means.c.mean_cost)
    low_at_cost = policy_by_year(year, window, lambda e: int(e.low_outlier_payment == "cost")) == 1
    return [
        flag(high).label("high_outlier"),
        flag(low).label("low_outlier"),
        flag(kept).label("efficiency_case"),
        sa.case((kept, cost_ratio), else_=0.0).label("cost_ratio"),
        sa.case((kept, cost_ratio * cost_ratio), else_=0.0).label("cost_ratio_sq"),
        sa.case((kept & (means.c.trimmed_los > 0), los_ratio), else_=0.0).label("los_ratio"),
        sa.case((kept & (means.c.trimmed_los > 0), los_ratio * los_ratio), else_=0.0).label("los_ratio_sq"),
        sa.case((grouped, cost / means.c.mean_cost)).label("mean_ratio"),
        sa.case((~grouped, 0.0), (high, standard + top_up), (low & low_at_cost, cost), else_=standard).label(
            "policy_payment"
        ),
    ]


def _readmitted(f, index_dx, year, window: Window, options) -> sa.ColumnElement:
    """1 for a discharge alive (not died, not ended by transfer) followed by an admission of the same patient
    at any institution within N days (N of the discharge year) with a principal diagnosis in the same ICD-10
    chapter, unless the stay recorded a planned readmission (DOMAIN.md §4)."""
    a, again_dx = fact_inpatient.alias("a"), dim_icd10.alias("again_dx")
    days = policy_by_year(year, window, "readmission_days")
    again = (
        sa.select(sa.literal(1))
        .select_from(a.join(again_dx, again_dx.c.code == a.c.principal_dx))
        .where(
            a.c.patient_id == f.c.patient_id,
            a.c.case_id != f.c.case_id,
            a.c.admit_date >= f.c.discharge_date,
            a.c.admit_date <= f.c.discharge_date + sa.cast(days, sa.Integer),
            again_dx.c.chapter == index_dx.c.chapter,
        )
        .exists()
    )
    condition = (f.c.discharge_status == "alive") & again
    present = options.get("optional_columns")
    if present is None or "fact_inpatient.planned_readmission" in present:
        # absent or null: not planned
        condition = condition & sa.not_(sa.func.coalesce(f.c.planned_readmission, sa.false()))
    return flag(condition)


def _derived_risk_levels() -> sa.Subquery:
    """Each group's z-score of ln(mortality) across the groups of its grouper version, over every case of the
    warehouse (the reference period), for groups the DRG catalogue gives no risk level."""
    m = fact_inpatient.alias("m")
    groups = (
        sa.select(
            m.c.grouper_version,
            m.c.drg_code,
            (sa.func.sum(flag(m.c.discharge_status == "died")) / sa.cast(sa.func.count(), sa.Double)).label(
                "mortality"
            ),
        )
        .where(m.c.drg_code.is_not(None))
        .group_by(m.c.grouper_version, m.c.drg_code)
        .subquery("group_mortality")
    )
    log_m = sa.func.ln(sa.case((groups.c.mortality > 0, groups.c.mortality)))
    spread = (
        sa.select(
            groups.c.grouper_version,
            sa.func.avg(log_m).label("mean_log"),
            sa.func.stddev_pop(log_m).label("sd_log"),
        )
        .group_by(groups.c.grouper_version)
        .subquery("mortality_spread")
    )
    z = (log_m - spread.c.mean_log) / sa.func.nullif(spread.c.sd_log, 0.0)
    return (
        sa.select(
            groups.c.grouper_version,
            groups.c.drg_code,
            groups.c.mortality,
            sa.func.coalesce(z, 0.0).label("z"),  # a group alone in its spread is at the mean
        )
        .select_from(groups.join(spread, spread.c.grouper_version == groups.c.grouper_version))
        .subquery("derived_risk")
    )


def _risk_level(risk, year) -> sa.ColumnElement:
    """low | mid_low | mid_high | high by the policy's cut points of the discharge year; no deaths is low.
    A year the policy file does not cover has no cut points: its levels cannot be derived (null), which
    leaves those cases out of low-risk mortality rather than failing a KPI that needs no other parameter."""
    entries = list(get_policy().years.values())
    cut = [sa.case(*[(year == e.year, e.risk_cut_points[k]) for e in entries]) for k in range(3)]
    return sa.case(
        (risk.c.mortality.is_(None), None),
        (risk.c.mortality == 0, "low"),
        (risk.c.z < cut[0], "low"),
        (risk.c.z < cut[1], "mid_low"),
        (risk.c.z < cut[2], "mid_high"),
        (cut[2].is_not(None), "high"),
        else_=None,
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
        "left_alive",
        "surplus_sq",
        "efficiency_case",
        "mean_ratio",
        "policy_payment",
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
        "surplus_sq",
        "payment",
        "grouped_cost",
        "efficiency_case",
        "mean_ratio",
        "policy_payment",
        "cost_ratio",
        "cost_ratio_sq",
        "los_ratio",
        "los_ratio_sq",
        "high_outlier",
        "low_outlier",
    }
)
