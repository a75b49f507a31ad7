"""The S demo loaded into PostgreSQL equals the DuckDB one: same rows, same money, constraints in place."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from dashboard.core.db import check_warehouse, create_engine
from dashboard.core.schema import CONTRACT_TABLES, fact_inpatient, fact_visit
from dashboard.load.demo.build import build_demo
from tests.support import TEST_LAST_MONTH, TEST_SEED

MONEY = [
    (fact_visit, "total_cost"),
    (fact_visit, "insurance_paid"),
    (fact_visit, "drug_cost"),
    (fact_inpatient, "total_cost"),
    (fact_inpatient, "insurance_paid"),
    (fact_inpatient, "drg_payment"),
]


@pytest.fixture(scope="module")
def pg_loaded(pg_s_warehouse):
    return pg_s_warehouse, _figures(pg_s_warehouse)


def _figures(url: str) -> dict:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            out = {
                t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                for t in CONTRACT_TABLES
            }
            for table, column in MONEY:
                out[f"{table.name}.{column}"] = conn.execute(
                    sa.select(sa.func.sum(table.c[column]))
                ).scalar_one()
            out["weight"] = conn.execute(sa.text("SELECT sum(weight) FROM dim_drg")).scalar_one()
        return out
    finally:
        engine.dispose()


def test_same_rows_and_money_on_both_engines(pg_loaded, s_warehouse):
    url, counts = pg_loaded
    on_postgres, on_duckdb = _figures(url), _figures(s_warehouse)
    assert on_postgres == on_duckdb
    assert counts["fact_visit"] > 100_000


def test_postgres_warehouse_is_complete_with_constraints(pg_loaded):
    url, _ = pg_loaded
    engine = create_engine(url)
    try:
        meta = check_warehouse(engine)
        assert meta["build_status"] == "complete"
        inspector = sa.inspect(engine)
        referred = {fk["referred_table"] for fk in inspector.get_foreign_keys("fact_inpatient")}
        assert {"dim_patient", "dim_institution", "dim_icd10", "dim_drg"} <= referred
        assert "ix_visit_institution_date" in {ix["name"] for ix in inspector.get_indexes("fact_visit")}
        assert "dashboard_build" not in inspector.get_schema_names()
    finally:
        engine.dispose()


@pytest.mark.slow  # builds a demo warehouse itself
def test_a_failed_reload_leaves_the_previous_warehouse(pg_loaded, monkeypatch):
    url, _ = pg_loaded
    engine = create_engine(url)
    before = check_warehouse(engine)["data_version"]

    def broken_index(*_args, **_kwargs):
        raise RuntimeError("disk full (simulated)")

    monkeypatch.setattr(sa.schema, "CreateIndex", broken_index)
    with pytest.raises(RuntimeError, match="simulated"):
        build_demo(url, scale="S", seed=TEST_SEED + 7, last_month=TEST_LAST_MONTH)
    try:
        assert check_warehouse(engine)["data_version"] == before
        assert "dashboard_build" not in sa.inspect(engine).get_schema_names()
    finally:
        engine.dispose()
