"""The warehouse contract of DOMAIN.md §3, created on DuckDB and compiled for PostgreSQL from one definition
(created on PostgreSQL: tests/postgres/test_schema.py)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from dashboard.core.schema import CONTRACT_TABLES, metadata
from dashboard.load.writer import WarehouseWriter, create_table_ddl

# Copied by hand from DOMAIN.md §3: the required columns of every contract table.
CONTRACT = {
    "dim_district": "district_code district_name city_name urban_rural",
    "dim_population": "district_code year sex age_band population insurance_type",
    "dim_consortium": "consortium_id consortium_name consortium_type lead_institution_id district_code",
    "dim_institution": "institution_id institution_name level is_primary district_code consortium_id beds",
    "dim_team": "team_id team_name institution_id",
    "dim_doctor": "doctor_id doctor_name institution_id team_id department title",
    "dim_patient": "patient_id sex birth_year district_code insurance_type",
    "dim_icd10": "code name_zh name_en chapter block chronic_group",
    "dim_drg": "drg_code drg_name adrg_code mdc_code weight risk_level grouper_version",
    "fact_visit": "visit_id visit_date patient_id institution_id doctor_id team_id visit_type diagnosis_code "
    "total_cost insurance_paid drug_cost",
    "fact_inpatient": "case_id patient_id institution_id department admit_date discharge_date los_days "
    "principal_dx drg_code total_cost insurance_paid drg_payment discharge_status",
    "fact_referral": "referral_id patient_id from_institution_id to_institution_id direction referral_date "
    "diagnosis_code status completed_date",
    "fact_chronic_registry": "patient_id disease registered_date team_id institution_id end_date",
    "fact_followup": "followup_id patient_id disease followup_date team_id institution_id sbp dbp "
    "fasting_glucose mode",
    "fact_contract": "contract_id patient_id team_id start_date end_date",
    "fact_capitation": "institution_id year contracted_insured per_capita_rate budget",
    "kpi_target": "kpi_id scope_type scope_id year target",
}


def test_metadata_holds_every_contract_table_and_column():
    assert {t.name for t in CONTRACT_TABLES} == set(CONTRACT)
    for name, columns in CONTRACT.items():
        table = metadata.tables[name]
        missing = set(columns.split()) - set(table.c.keys())
        assert not missing, f"{name} lacks {missing}"
        # a row's identity: its primary key, or (population, whose optional insurance split may be empty) a unique
        # index over the stratum
        assert table.primary_key.columns or any(i.unique for i in table.indexes), f"{name} has no key"


def test_foreign_keys_follow_the_contract():
    fks = {
        (fk.parent.table.name, fk.parent.name, fk.column.table.name)
        for t in CONTRACT_TABLES
        for fk in t.foreign_keys
    }
    for expected in [
        ("fact_visit", "patient_id", "dim_patient"),
        ("fact_visit", "institution_id", "dim_institution"),
        ("fact_inpatient", "drg_code", "dim_drg"),
        ("fact_referral", "to_institution_id", "dim_institution"),
        ("dim_institution", "consortium_id", "dim_consortium"),
        ("dim_consortium", "lead_institution_id", "dim_institution"),
        ("fact_followup", "team_id", "dim_team"),
    ]:
        assert expected in fks


def test_duckdb_creates_the_whole_schema(tmp_path):
    writer = WarehouseWriter(tmp_path / "empty.duckdb")
    try:
        inspector = sa.inspect(writer.conn)
        tables = set(inspector.get_table_names())
        assert {t.name for t in CONTRACT_TABLES} <= tables
        # (SQLAlchemy 2.1's column reflection asks pg_catalog for collations, which DuckDB lacks.)
        present = writer.conn.execute(
            sa.text("SELECT table_name, column_name FROM information_schema.columns")
        )
        by_table: dict[str, set[str]] = {}
        for table, column in present:
            by_table.setdefault(table, set()).add(column)
        for name, columns in CONTRACT.items():
            assert set(columns.split()) <= by_table[name]
        pk = writer.conn.execute(
            sa.text(
                "SELECT constraint_column_names FROM duckdb_constraints() "
                "WHERE table_name = 'fact_visit' AND constraint_type = 'PRIMARY KEY'"
            )
        ).scalar_one()
        assert list(pk) == ["visit_id"]
    finally:
        writer.close()


def test_ddl_compiles_for_postgresql_with_indexes():
    dialect = postgresql.dialect()
    for table in CONTRACT_TABLES:
        ddl = str(create_table_ddl(table).compile(dialect=dialect))
        assert f"CREATE TABLE {table.name}" in ddl
        assert "PRIMARY KEY" in ddl or any(i.unique for i in table.indexes), table.name
    index_columns = {tuple(c.name for c in ix.columns) for ix in metadata.tables["fact_visit"].indexes}
    assert ("visit_date",) in index_columns and ("institution_id", "visit_date") in index_columns
