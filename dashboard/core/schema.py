"""The warehouse contract (DOMAIN.md §3), defined once as SQLAlchemy Core metadata.

Everything that creates, loads or queries the warehouse uses these Table objects, on every engine. Which
constraints and indexes are physically created depends on the engine; that policy lives in
``dashboard.load.writer`` and ``dashboard.load.postgres`` so this module stays a plain description of the contract.
"""

from __future__ import annotations

import sqlalchemy as sa

SCHEMA_VERSION = "1"

metadata = sa.MetaData()

Code = sa.String(32)
Name = sa.String(200)
Money = sa.Numeric(14, 2)


def _fk(target: str, **kw) -> sa.ForeignKey:
    return sa.ForeignKey(target, **kw)


# --- dimensions -------------------------------------------------------------------------------------------

dim_district = sa.Table(
    "dim_district",
    metadata,
    sa.Column("district_code", Code, primary_key=True),
    sa.Column("district_name", Name, nullable=False),
    sa.Column("city_name", Name, nullable=False),
    sa.Column("urban_rural", sa.String(8), nullable=False),
    sa.Column("district_name_en", Name),
    sa.CheckConstraint("urban_rural in ('urban', 'rural')", name="ck_district_urban_rural"),
)

# Optional insurance_type: with it, a stratum's people are split by insurance (the rows add up to the stratum)
# and an insurance filter applies to population denominators too; left empty, such a filter is refused.
dim_population = sa.Table(
    "dim_population",
    metadata,
    sa.Column("district_code", Code, _fk("dim_district.district_code"), nullable=False),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("sex", sa.String(1), nullable=False),
    sa.Column("age_band", sa.String(8), nullable=False),
    sa.Column("population", sa.Integer, nullable=False),
    sa.Column("insurance_type", sa.String(12)),
    sa.Index(
        "ix_population_stratum", "district_code", "year", "sex", "age_band", "insurance_type", unique=True
    ),
)

dim_consortium = sa.Table(
    "dim_consortium",
    metadata,
    sa.Column("consortium_id", Code, primary_key=True),
    sa.Column("consortium_name", Name, nullable=False),
    sa.Column("consortium_type", sa.String(24), nullable=False),
    # The lead and its members point at each other; use_alter lets PostgreSQL add this one last.
    sa.Column(
        "lead_institution_id",
        Code,
        _fk("dim_institution.institution_id", use_alter=True, name="fk_consortium_lead"),
        nullable=False,
    ),
    sa.Column("district_code", Code, _fk("dim_district.district_code"), nullable=False),
    sa.Column("consortium_name_en", Name),
)

dim_institution = sa.Table(
    "dim_institution",
    metadata,
    sa.Column("institution_id", Code, primary_key=True),
    sa.Column("institution_name", Name, nullable=False),
    sa.Column("level", sa.String(12), nullable=False),
    sa.Column("is_primary", sa.Boolean, nullable=False),
    sa.Column("district_code", Code, _fk("dim_district.district_code"), nullable=False),
    sa.Column("consortium_id", Code, _fk("dim_consortium.consortium_id"), nullable=True),
    sa.Column("beds", sa.Integer, nullable=False),
    sa.Column("institution_name_en", Name),
    # optional (OPTIONAL_COLUMNS): general | tcm | specialty | maternal_child; with level, the 同级同类 peers
    sa.Column("institution_type", sa.String(16), nullable=True),
    sa.Index("ix_institution_district", "district_code"),
    sa.Index("ix_institution_consortium", "consortium_id"),
)

dim_team = sa.Table(
    "dim_team",
    metadata,
    sa.Column("team_id", Code, primary_key=True),
    sa.Column("team_name", Name, nullable=False),
    sa.Column("institution_id", Code, _fk("dim_institution.institution_id"), nullable=False),
    sa.Index("ix_team_institution", "institution_id"),
)

dim_doctor = sa.Table(
    "dim_doctor",
    metadata,
    sa.Column("doctor_id", Code, primary_key=True),
    sa.Column("doctor_name", Name, nullable=False),
    sa.Column("institution_id", Code, _fk("dim_institution.institution_id"), nullable=False),
    sa.Column("team_id", Code, _fk("dim_team.team_id"), nullable=True),
    sa.Column("department", Name, nullable=False),
    sa.Column("title", Name, nullable=False),
    sa.Index("ix_doctor_institution", "institution_id"),
    sa.Index("ix_doctor_team", "team_id"),
)

dim_patient = sa.Table(
    "dim_patient",
    metadata,
    sa.Column("patient_id", Code, primary_key=True),
    sa.Column("sex", sa.String(1), nullable=False),
    sa.Column("birth_year", sa.Integer, nullable=False),
    sa.Column("district_code", Code, _fk("dim_district.district_code"), nullable=False),
    sa.Column("insurance_type", sa.String(12), nullable=False),
    sa.Index("ix_patient_district", "district_code"),
)

dim_icd10 = sa.Table(
    "dim_icd10",
    metadata,
    sa.Column("code", sa.String(16), primary_key=True),
    sa.Column("name_zh", Name, nullable=False),
    sa.Column("name_en", Name, nullable=False),
    sa.Column("chapter", sa.String(8), nullable=False),
    sa.Column("block", sa.String(16), nullable=False),
    sa.Column("chronic_group", sa.String(16), nullable=True),
    sa.Column("chapter_name_zh", Name),
    sa.Column("chapter_name_en", Name),
)

dim_drg = sa.Table(
    "dim_drg",
    metadata,
    # A case is grouped under one grouper version; keeping the version in the key lets a warehouse hold
    # several catalogues without their groups ever being mixed.
    sa.Column("grouper_version", sa.String(24), primary_key=True),
    sa.Column("drg_code", sa.String(8), primary_key=True),
    sa.Column("drg_name", Name, nullable=False),
    sa.Column("adrg_code", sa.String(8), nullable=False),
    sa.Column("mdc_code", sa.String(2), nullable=False),
    sa.Column("weight", sa.Numeric(10, 4), nullable=False),
    # null where the catalogue has none: the query layer then derives it (DOMAIN.md §6)
    sa.Column("risk_level", sa.String(10), nullable=True),
    sa.Column("drg_name_en", Name),
    sa.Column("adrg_name", Name),
    sa.Column("mdc_name", Name),
)

# --- facts ------------------------------------------------------------------------------------------------

fact_visit = sa.Table(
    "fact_visit",
    metadata,
    sa.Column("visit_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("visit_date", sa.Date, nullable=False),
    sa.Column("patient_id", Code, _fk("dim_patient.patient_id"), nullable=False),
    sa.Column("institution_id", Code, _fk("dim_institution.institution_id"), nullable=False),
    sa.Column("doctor_id", Code, _fk("dim_doctor.doctor_id"), nullable=True),
    sa.Column("team_id", Code, _fk("dim_team.team_id"), nullable=True),
    sa.Column("visit_type", sa.String(12), nullable=False),
    sa.Column("diagnosis_code", sa.String(16), _fk("dim_icd10.code"), nullable=True),
    sa.Column("total_cost", Money, nullable=False),
    sa.Column("insurance_paid", Money, nullable=False),
    sa.Column("drug_cost", Money, nullable=False),
    sa.Index("ix_visit_date", "visit_date"),
    sa.Index("ix_visit_institution_date", "institution_id", "visit_date"),
    sa.Index("ix_visit_patient", "patient_id"),
    sa.Index("ix_visit_team", "team_id"),
    sa.Index("ix_visit_doctor", "doctor_id"),
    sa.Index("ix_visit_diagnosis", "diagnosis_code"),
)

fact_inpatient = sa.Table(
    "fact_inpatient",
    metadata,
    sa.Column("case_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("patient_id", Code, _fk("dim_patient.patient_id"), nullable=False),
    sa.Column("institution_id", Code, _fk("dim_institution.institution_id"), nullable=False),
    sa.Column("department", Name, nullable=False),
    sa.Column("admit_date", sa.Date, nullable=False),
    sa.Column("discharge_date", sa.Date, nullable=False),
    sa.Column("los_days", sa.Integer, nullable=False),
    sa.Column("principal_dx", sa.String(16), _fk("dim_icd10.code"), nullable=False),
    sa.Column("drg_code", sa.String(8), nullable=True),
    sa.Column("total_cost", Money, nullable=False),
    sa.Column("insurance_paid", Money, nullable=False),
    sa.Column("drg_payment", Money, nullable=True),
    sa.Column("discharge_status", sa.String(12), nullable=False),
    sa.Column("grouper_version", sa.String(24), nullable=True),
    # optional (OPTIONAL_COLUMNS), from the 病案首页: 入院途径 and 出院31天内再住院计划 (null = not planned)
    sa.Column("admission_route", sa.String(12), nullable=True),
    sa.Column("planned_readmission", sa.Boolean, nullable=True),
    sa.ForeignKeyConstraint(
        ["grouper_version", "drg_code"], ["dim_drg.grouper_version", "dim_drg.drg_code"], name="fk_case_drg"
    ),
    sa.Index("ix_inpatient_discharge", "discharge_date"),
    sa.Index("ix_inpatient_institution_discharge", "institution_id", "discharge_date"),
    sa.Index("ix_inpatient_patient", "patient_id"),
    sa.Index("ix_inpatient_drg", "drg_code"),
)

fact_referral = sa.Table(
    "fact_referral",
    metadata,
    sa.Column("referral_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("patient_id", Code, _fk("dim_patient.patient_id"), nullable=False),
    sa.Column("from_institution_id", Code, _fk("dim_institution.institution_id"), nullable=False),
    sa.Column("to_institution_id", Code, _fk("dim_institution.institution_id"), nullable=False),
    sa.Column("direction", sa.String(8), nullable=False),
    sa.Column("referral_date", sa.Date, nullable=False),
    sa.Column("diagnosis_code", sa.String(16), _fk("dim_icd10.code"), nullable=True),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("completed_date", sa.Date, nullable=True),
    sa.Index("ix_referral_date", "referral_date"),
    sa.Index("ix_referral_from", "from_institution_id"),
    sa.Index("ix_referral_to", "to_institution_id"),
)

fact_chronic_registry = sa.Table(
    "fact_chronic_registry",
    metadata,
    sa.Column("patient_id", Code, _fk("dim_patient.patient_id"), primary_key=True),
    sa.Column("disease", sa.String(16), primary_key=True),
    sa.Column("registered_date", sa.Date, primary_key=True),
    sa.Column("team_id", Code, _fk("dim_team.team_id"), nullable=True),
    sa.Column("institution_id", Code, _fk("dim_institution.institution_id"), nullable=False),
    sa.Column("end_date", sa.Date, nullable=True),
    sa.Index("ix_registry_team", "team_id"),
    sa.Index("ix_registry_institution", "institution_id"),
)

fact_followup = sa.Table(
    "fact_followup",
    metadata,
    sa.Column("followup_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("patient_id", Code, _fk("dim_patient.patient_id"), nullable=False),
    sa.Column("disease", sa.String(16), nullable=False),
    sa.Column("followup_date", sa.Date, nullable=False),
    sa.Column("team_id", Code, _fk("dim_team.team_id"), nullable=True),
    sa.Column("institution_id", Code, _fk("dim_institution.institution_id"), nullable=False),
    sa.Column("sbp", sa.Integer, nullable=True),
    sa.Column("dbp", sa.Integer, nullable=True),
    sa.Column("fasting_glucose", sa.Numeric(5, 2), nullable=True),
    sa.Column("mode", sa.String(8), nullable=False),
    sa.Index("ix_followup_date", "followup_date"),
    sa.Index("ix_followup_patient_disease", "patient_id", "disease"),
    sa.Index("ix_followup_team", "team_id"),
)

fact_contract = sa.Table(
    "fact_contract",
    metadata,
    sa.Column("contract_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("patient_id", Code, _fk("dim_patient.patient_id"), nullable=False),
    sa.Column("team_id", Code, _fk("dim_team.team_id"), nullable=False),
    sa.Column("start_date", sa.Date, nullable=False),
    sa.Column("end_date", sa.Date, nullable=False),
    sa.Index("ix_contract_patient", "patient_id"),
    sa.Index("ix_contract_team", "team_id"),
    sa.Index("ix_contract_end", "end_date"),
)

fact_capitation = sa.Table(
    "fact_capitation",
    metadata,
    sa.Column("institution_id", Code, _fk("dim_institution.institution_id"), primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("contracted_insured", sa.Integer, nullable=False),
    sa.Column("per_capita_rate", Money, nullable=False),
    sa.Column("budget", Money, nullable=False),
)

kpi_target = sa.Table(
    "kpi_target",
    metadata,
    sa.Column("kpi_id", sa.String(64), primary_key=True),
    sa.Column("scope_type", sa.String(16), primary_key=True),
    sa.Column("scope_id", Code, primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("target", sa.Numeric(14, 4), nullable=False),
)

# --- bookkeeping ------------------------------------------------------------------------------------------

warehouse_meta = sa.Table(
    "warehouse_meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.String(400), nullable=False),
)

# What each load brought, kept across loads (a load copies the history of the warehouse it replaces): the
# data-quality page reads it. A demo build records itself as a load too.
load_log = sa.Table(
    "load_log",
    metadata,
    sa.Column("load_id", sa.String(40), primary_key=True),
    sa.Column("loaded_at", sa.DateTime, nullable=False),
    sa.Column("mode", sa.String(12), nullable=False),  # replace | months | demo
    sa.Column("source", sa.String(400), nullable=False),
    sa.Column("mapping", sa.String(200)),
    sa.Column("report_dir", sa.String(400)),
    sa.Column("rows_read", sa.BigInteger, nullable=False),
    sa.Column("rows_loaded", sa.BigInteger, nullable=False),
    sa.Column("rows_quarantined", sa.BigInteger, nullable=False),
    sa.Column("report", sa.Text, nullable=False),  # report.json as written to the report folder
)
# Rows per load, fact table, institution and data month: loaded (reason "") or quarantined by their first
# reason. institution_id is the value the extract gave (it may be one the warehouse does not know).
load_coverage = sa.Table(
    "load_coverage",
    metadata,
    sa.Column("load_id", sa.String(40), nullable=False),
    sa.Column("table_name", sa.String(40), nullable=False),
    sa.Column("institution_id", sa.String(64)),
    sa.Column("month", sa.Date),
    sa.Column("reason", sa.String(80), nullable=False),
    sa.Column("rows", sa.BigInteger, nullable=False),
)
LOAD_TABLES = (load_log, load_coverage)

DIMENSION_TABLES = (
    dim_district,
    dim_population,
    dim_consortium,
    dim_institution,
    dim_team,
    dim_doctor,
    dim_patient,
    dim_icd10,
    dim_drg,
)
FACT_TABLES = (
    fact_visit,
    fact_inpatient,
    fact_referral,
    fact_chronic_registry,
    fact_followup,
    fact_contract,
    fact_capitation,
    kpi_target,
)
CONTRACT_TABLES = DIMENSION_TABLES + FACT_TABLES

# --- aggregate tables ---------------------------------------------------------------------------------------
# Monthly rollups of the largest fact table, rebuilt after every load (queries/rollups.py) and chosen by the
# query builder whenever a request needs no column they lack. Measures are sums, so any KPI defined as
# Σnumerator/Σdenominator gives the same answer on a rollup as on the facts.

_VISIT_MEASURES = (
    ("n", sa.BigInteger),
    ("total_cost", Money),
    ("insurance_paid", Money),
    ("drug_cost", Money),
    ("total_cost_sq", sa.Double),
)


def _rollup(name: str, *grain: tuple[str, sa.types.TypeEngine]) -> sa.Table:
    return sa.Table(
        name,
        metadata,
        sa.Column("month", sa.Date, nullable=False),
        *[sa.Column(column, type_) for column, type_ in grain],
        *[sa.Column(column, type_, nullable=False) for column, type_ in _VISIT_MEASURES],
        info={"rollup": True},
    )


agg_visit_org = _rollup(
    "agg_visit_org",
    ("institution_id", Code),
    ("team_id", Code),
    ("doctor_id", Code),
    ("visit_type", sa.String(12)),
)
agg_visit_resident = _rollup(
    "agg_visit_resident",
    ("institution_id", Code),
    ("res_district", Code),
    ("insurance_type", sa.String(12)),
    ("age_band", sa.String(8)),
    ("sex", sa.String(1)),
    ("visit_type", sa.String(12)),
)
agg_visit_diagnosis = _rollup(
    "agg_visit_diagnosis",
    ("institution_id", Code),
    ("visit_type", sa.String(12)),
    ("icd_code", sa.String(16)),
)
# Visits of residents holding a family-doctor contract on the visit date, by the contract's team.
agg_visit_contract = _rollup(
    "agg_visit_contract",
    ("team_id", Code),
    ("res_district", Code),
    ("insurance_type", sa.String(12)),
    ("age_band", sa.String(8)),
    ("sex", sa.String(1)),
    ("at_own_team", sa.Boolean),
)
# Optional contract columns (DOMAIN.md §3): a real extract may lack them or leave them empty. The demo and the
# loaders write them; the catalogue records which a warehouse leaves empty (``queries.kpi.catalog``) and no
# statement reads one of those, so a warehouse without them still answers every KPI (or says which filter it
# cannot take: population by insurance type).
OPTIONAL_COLUMNS = (
    (dim_population, "insurance_type"),
    (dim_institution, "institution_type"),
    (fact_inpatient, "admission_route"),
    (fact_inpatient, "planned_readmission"),
)

ROLLUP_TABLES = (agg_visit_org, agg_visit_resident, agg_visit_diagnosis, agg_visit_contract)
ALL_TABLES = (*CONTRACT_TABLES, warehouse_meta, *LOAD_TABLES, *ROLLUP_TABLES)
