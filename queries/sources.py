"""Record sources: each turns the warehouse into one relation of logical columns for a time window.

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

from dashboard.policy import get_policy
from dashboard.reference import AGE_BANDS
from dashboard.schema import (
    agg_visit_contract,
    agg_visit_diagnosis,
    agg_visit_org,
    agg_visit_resident,
    dim_drg,
    dim_icd10,
    dim_institution,
    dim_patient,
    dim_population,
    dim_team,
    fact_capitation,
    fact_chronic_registry,
    fact_contract,
    fact_followup,
    fact_inpatient,
    fact_referral,
    fact_visit,
)
from queries.expressions import age_band, flag, year_of

INSTITUTION_COLUMNS = {"institution_id", "inst_district", "consortium_id", "level", "is_primary"}
RESIDENT_COLUMNS = {"res_district", "insurance_type", "age_band", "sex"}
ICD_COLUMNS = {"icd_code", "icd_category", "icd_chapter", "chronic_group"}


@dataclass(frozen=True)
class Window:
    """A closed date range [start, end]; the builder evaluates window sources once per window."""

    start: dt.date
    end: dt.date

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


def _institution_columns(i):
    return [
        i.c.institution_id,
        i.c.district_code.label("inst_district"),
        i.c.consortium_id,
        i.c.level,
        i.c.is_primary,
    ]


def _icd_columns(code_column, d):
    return [
        code_column.label("icd_code"),
        sa.func.substr(code_column, 1, 3).label("icd_category"),
        d.c.chapter.label("icd_chapter"),
        d.c.chronic_group,
    ]


def _resident_columns(p, event_date):
    return [
        p.c.district_code.label("res_district"),
        p.c.insurance_type,
        age_band(year_of(event_date) - p.c.birth_year).label("age_band"),
        p.c.sex,
    ]


def _asked(options) -> set[str] | None:
    """The columns a request needs (None: all of them), so a relation can skip joins nobody asked for."""
    columns = options.get("columns")
    return None if columns is None else set(columns) | {"date"}


def _prune(columns: list, needed: set[str] | None) -> list:
    """Keep the asked-for columns: the others may refer to tables that were not joined."""
    return columns if needed is None else [c for c in columns if c.name in needed]


def _policy_by_year(year, window: Window, attribute: str) -> sa.ColumnElement:
    """A policy parameter of the year of ``year`` (a SQL expression), for every year the window touches;
    a year the policy file does not cover is an error, not a silent default."""
    entries = get_policy().covering(window.start.year, window.end.year)
    return sa.case(*[(year == e.year, getattr(e, attribute)) for e in entries])


def _in_window(column, window: Window):
    return column.between(window.start, window.end)


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
            *_institution_columns(i),
            v.c.team_id,
            v.c.doctor_id,
            *_resident_columns(p, v.c.visit_date),
            *_icd_columns(v.c.diagnosis_code, d),
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
        .where(_in_window(v.c.visit_date, window))
        .subquery("visit_facts")
    )


def _visit_rollup(table: sa.Table, extra: Callable | None = None):
    def build(window: Window, _options) -> sa.Subquery:
        r, i = table.alias("r"), dim_institution.alias("i")
        columns = [r.c.month.label("date"), *_institution_columns(i)]
        columns += [c for c in r.c if c.name not in ("month", "institution_id")]
        joined = r.join(i, i.c.institution_id == r.c.institution_id)
        if extra is not None:
            joined, more = extra(joined, r)
            columns += more
        return (
            sa.select(*columns).select_from(joined).where(_in_window(r.c.month, window)).subquery(table.name)
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
            *_institution_columns(i),
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
        .where(_in_window(r.c.month, window))
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


# --- inpatient cases ------------------------------------------------------------------------------------------


WEIGHT_BANDS = ((0.5, "<0.5"), (1.0, "0.5-1"), (2.0, "1-2"), (5.0, "2-5"))


def _weight_band(grouped, weight) -> sa.ColumnElement:
    """The case's weight band (<0.5, 0.5-1, 1-2, 2-5, 5+), or "ungrouped"."""
    w = sa.cast(weight, sa.Double)
    return sa.case(
        (~grouped, "ungrouped"), *[(w < upper, label) for upper, label in WEIGHT_BANDS], else_="5+"
    )


def _inpatient_facts(window: Window, options) -> sa.Subquery:
    f, i, p = fact_inpatient.alias("f"), dim_institution.alias("i"), dim_patient.alias("p")
    g, d = dim_drg.alias("g"), dim_icd10.alias("d")
    cost = sa.cast(f.c.total_cost, sa.Double)
    los = sa.cast(f.c.los_days, sa.Double)
    grouped = f.c.drg_code.is_not(None)
    columns = [
        f.c.discharge_date.label("date"),
        *_institution_columns(i),
        f.c.department,
        f.c.grouper_version,
        *_resident_columns(p, f.c.discharge_date),
        *_icd_columns(f.c.principal_dx, d),
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
    needed = _asked(options)
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
            .where(r.c.drg_code.is_not(None), _in_window(r.c.discharge_date, window))
            .group_by(r.c.grouper_version, r.c.drg_code)
            .subquery("region_means")
        )
        joined = joined.outerjoin(
            means, sa.and_(means.c.grouper_version == f.c.grouper_version, means.c.drg_code == f.c.drg_code)
        )
        # The outlier thresholds of each case's discharge year, from the region's policy file.
        k_high, k_low = (
            _policy_by_year(year_of(f.c.discharge_date), window, "k_high"),
            _policy_by_year(year_of(f.c.discharge_date), window, "k_low"),
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
        days = _policy_by_year(year_of(f.c.discharge_date), window, "readmission_days")
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
        sa.select(*_prune(columns, needed))
        .select_from(joined)
        .where(_in_window(f.c.discharge_date, window))
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
INPATIENT_RELATIONS = (Relation("fact_inpatient", _CASE_COLUMNS, _inpatient_facts),)
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


# --- all care: visits and admissions together ------------------------------------------------------------------

_CARE_COLUMNS = [
    "date",
    "institution_id",
    "inst_district",
    "consortium_id",
    "level",
    "is_primary",
    "res_district",
    "insurance_type",
    "age_band",
    "sex",
    "n",
    "total_cost",
    "insurance_paid",
]


def _care(window: Window, options) -> sa.Subquery:
    needed = set(options.get("columns", ())) | set(_CARE_COLUMNS)
    visits = next(r for r in VISIT_RELATIONS if needed <= r.provides).build(window, options)
    cases = _inpatient_facts(window, {})
    return sa.union_all(
        sa.select(*[visits.c[c] for c in _CARE_COLUMNS]),
        sa.select(*[cases.c[c] for c in _CARE_COLUMNS]),
    ).subquery("care")


CARE_RELATIONS = (Relation("care", frozenset(_CARE_COLUMNS), _care),)


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
            *_institution_columns(i),
            *_resident_columns(p, r.c.referral_date),
            *_icd_columns(r.c.diagnosis_code, d),
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
        .where(_in_window(r.c.referral_date, window))
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


# --- chronic disease management (window sources: evaluated per window) ----------------------------------------


FOLLOWUP_CAP = 6


def _managed(window: Window, options) -> sa.Subquery:
    """Managed patients of one disease in the window, with their follow-up count and latest readings."""
    disease = options["disease"]
    m, i, p = fact_chronic_registry.alias("m"), dim_institution.alias("i"), dim_patient.alias("p")
    f = fact_followup.alias("f")
    ranked = (
        sa.select(
            f.c.patient_id,
            f.c.sbp,
            f.c.dbp,
            f.c.fasting_glucose,
            sa.func.count().over(partition_by=f.c.patient_id).label("followups"),
            sa.func.row_number()
            .over(partition_by=f.c.patient_id, order_by=(f.c.followup_date.desc(), f.c.followup_id.desc()))
            .label("recency"),
        )
        .where(f.c.disease == disease, _in_window(f.c.followup_date, window))
        .subquery("ranked")
    )
    latest = sa.select(ranked).where(ranked.c.recency == 1).subquery("latest")
    if disease == "hypertension":
        controlled = (latest.c.sbp < 140) & (latest.c.dbp < 90)
    else:
        controlled = latest.c.fasting_glucose < 7.0
    needed = _asked(options)
    columns = [
        sa.literal(window.end, sa.Date).label("date"),
        *_institution_columns(i),
        m.c.team_id,
        *_resident_columns(p, sa.literal(window.end, sa.Date)),
        sa.literal(disease).label("chronic_group"),
        sa.literal(1).label("n"),
        flag(sa.func.coalesce(latest.c.followups, 0) >= window.quarters_touched).label("standardised"),
        flag(controlled).label("controlled"),
        # follow-ups in the window, capped: "6 or more" is one band of the completeness breakdown
        sa.func.least(sa.func.coalesce(latest.c.followups, 0), FOLLOWUP_CAP).label("followups"),
    ]
    joined = m.join(i, i.c.institution_id == m.c.institution_id)
    if needed is None or needed & RESIDENT_COLUMNS:
        joined = joined.join(p, p.c.patient_id == m.c.patient_id)
    return (
        sa.select(*_prune(columns, needed))
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
            *_institution_columns(i),
            c.c.team_id,
            *_resident_columns(p, c.c.end_date),
            sa.literal(1).label("n"),
            flag(renewed).label("renewed"),
        )
        .select_from(
            c.join(t, t.c.team_id == c.c.team_id)
            .join(i, i.c.institution_id == t.c.institution_id)
            .join(p, p.c.patient_id == c.c.patient_id)
        )
        .where(_in_window(c.c.end_date, window))
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
            *_resident_columns(p, end),
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


# --- denominators from population and budgets ----------------------------------------------------------------


def _share_of_year(window: Window, year_column) -> sa.ColumnElement:
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
        weight = _share_of_year(window, pop.c.year)
    exposure = sa.cast(pop.c.population, sa.Double) * weight
    columns = [
        sa.literal(window.end, sa.Date).label("date"),
        pop.c.district_code.label("res_district"),
        pop.c.age_band,
        pop.c.sex,
        exposure.label("population"),
    ]
    prevalence = options.get("prevalence")
    if prevalence:
        factor = sa.case(
            *[(pop.c.age_band == band, float(prevalence[band])) for band in AGE_BANDS], else_=0.0
        )
        columns.append((exposure * factor).label("estimated_patients"))
    return (
        sa.select(*columns)
        .where(pop.c.year.between(window.start.year, window.end.year))
        .subquery("population")
    )


POPULATION_RELATIONS = (
    Relation(
        "dim_population",
        frozenset({"date", "res_district", "age_band", "sex", "population", "estimated_patients"}),
        _population,
    ),
)


def _budgets(window: Window, _options) -> sa.Subquery:
    """Capitation budgets pro-rated to the part of each budget year inside the window."""
    b, i = fact_capitation.alias("b"), dim_institution.alias("i")
    return (
        sa.select(
            sa.literal(window.end, sa.Date).label("date"),
            *_institution_columns(i),
            (sa.cast(b.c.budget, sa.Double) * _share_of_year(window, b.c.year)).label("budget"),
            b.c.year.label("budget_year"),
        )
        .select_from(b.join(i, i.c.institution_id == b.c.institution_id))
        .where(b.c.year.between(window.start.year, window.end.year))
        .subquery("budgets")
    )


BUDGET_RELATIONS = (
    Relation("fact_capitation", frozenset(INSTITUTION_COLUMNS | {"date", "budget", "budget_year"}), _budgets),
)
