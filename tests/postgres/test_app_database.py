"""The application database on PostgreSQL (DASHBOARD_APP_DATABASE_URL): users kept there as in SQLite."""

from __future__ import annotations

import sqlalchemy as sa

from dashboard.accounts import store
from dashboard.core.db import create_engine, parse_database_url

SCRATCH_DB = "dashboard_app_test"


def test_users_on_postgres(postgres_url):
    admin = create_engine(postgres_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {SCRATCH_DB} WITH (FORCE)"))
        conn.execute(sa.text(f"CREATE DATABASE {SCRATCH_DB}"))
    url = parse_database_url(postgres_url).set(database=SCRATCH_DB).render_as_string(hide_password=False)
    try:
        engine = store.app_engine(url)
        store.add_user(engine, "bureau", "insurance", None, None, "a-long-secret-9")
        store.add_user(engine, "lead", "consortium", "consortium=C1", "l@example.cn", "a-long-secret-8")
        assert [u.username for u in store.list_users(engine)] == ["bureau", "lead"]
        assert store.verify(engine, "lead", "a-long-secret-8").scope_label == "consortium=C1"
        store.disable_user(engine, "lead")
        assert store.verify(engine, "lead", "a-long-secret-8") is None
        engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {SCRATCH_DB} WITH (FORCE)"))
        admin.dispose()
