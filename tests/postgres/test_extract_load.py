"""Loading extracts into PostgreSQL: a replace load then a months load give what one load into DuckDB gives,
and an app serving PostgreSQL picks each load up within seconds, without a restart. A scratch database of
its own, so the session's demo database stays as the other tests expect it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from dashboard.core.db import create_engine, duckdb_path, parse_database_url
from dashboard.core.months import add_months
from dashboard.core.schema import CONTRACT_TABLES, ROLLUP_TABLES
from dashboard.load.extracts.run import LoadOptions, load_extracts
from queries.intake import MONTH_COLUMNS
from tests.support import TEST_LAST_MONTH, health, served_app, wait_for_version
from tests.support.extracts import export_contract_layout

SCRATCH_DB = "dashboard_load_test"


@pytest.fixture
def scratch_pg(postgres_url):
    admin = create_engine(postgres_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {SCRATCH_DB} WITH (FORCE)"))
        conn.execute(sa.text(f"CREATE DATABASE {SCRATCH_DB}"))
    url = parse_database_url(postgres_url).set(database=SCRATCH_DB).render_as_string(hide_password=False)
    yield url
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {SCRATCH_DB} WITH (FORCE)"))
    admin.dispose()


def _contents(url: str) -> dict[str, list]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            out = {}
            for table in (*CONTRACT_TABLES, *ROLLUP_TABLES):
                columns = [
                    c for c in table.columns if c.name != "total_cost_sq"
                ]  # float sums: order-dependent
                rows = conn.execute(sa.select(*columns)).all()
                out[table.name] = sorted((tuple(r) for r in rows), key=repr)
            return out
    finally:
        engine.dispose()


def test_replace_then_months_into_postgres_equals_one_load_into_duckdb(s_warehouse, scratch_pg, tmp_path):
    demo = duckdb_path(parse_database_url(s_warehouse))
    key = tmp_path / "key"
    key.write_bytes(b"postgres-load-test-key-0123456789")
    first_month = add_months(TEST_LAST_MONTH.replace(day=1), -35)
    split = add_months(first_month, 30)
    everything, early, late = tmp_path / "all", tmp_path / "early", tmp_path / "late"
    export_contract_layout(demo, everything)
    export_contract_layout(demo, early, where={t: f"{c} < DATE '{split}'" for t, c in MONTH_COLUMNS.items()})
    export_contract_layout(
        demo,
        late,
        tables=set(MONTH_COLUMNS),
        where={t: f"{c} >= DATE '{split}'" for t, c in MONTH_COLUMNS.items()},
    )
    one_shot = f"duckdb:///{tmp_path / 'one.duckdb'}"
    load_extracts(LoadOptions(everything, one_shot, report_dir=tmp_path / "r0", key_file=str(key)))

    load_extracts(LoadOptions(early, scratch_pg, report_dir=tmp_path / "r1", key_file=str(key)))
    with served_app(scratch_pg) as (base, _process):
        before = health(base)
        assert before["period_end"] < TEST_LAST_MONTH.isoformat()
        load_extracts(
            LoadOptions(late, scratch_pg, mode="months", report_dir=tmp_path / "r2", key_file=str(key))
        )
        _version, seconds = wait_for_version(base, before["data_version"], timeout=20)
        assert seconds < 15
        assert health(base)["period_end"] >= TEST_LAST_MONTH.isoformat()
    assert _contents(scratch_pg) == _contents(one_shot)
