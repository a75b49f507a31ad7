"""The warehouse contract of DOMAIN.md §3 created on PostgreSQL from the same definition as on DuckDB."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from dashboard.core.schema import CONTRACT_TABLES, metadata


def test_postgresql_creates_the_whole_schema(postgres_url):
    from dashboard.core.db import create_engine

    schema = f"schema_test_{uuid.uuid4().hex[:8]}"
    engine = create_engine(postgres_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.schema.CreateSchema(schema))
            metadata.create_all(conn.execution_options(schema_translate_map={None: schema}), checkfirst=False)
        inspector = sa.inspect(engine)
        assert {t.name for t in CONTRACT_TABLES} <= set(inspector.get_table_names(schema=schema))
        fks = inspector.get_foreign_keys("fact_visit", schema=schema)
        assert {fk["referred_table"] for fk in fks} >= {"dim_patient", "dim_institution", "dim_icd10"}
        indexes = {ix["name"] for ix in inspector.get_indexes("fact_visit", schema=schema)}
        assert "ix_visit_institution_date" in indexes
    finally:
        with engine.begin() as conn:
            conn.execute(sa.schema.DropSchema(schema, cascade=True, if_exists=True))
        engine.dispose()
