"""PostgreSQL stops an app query past DASHBOARD_QUERY_SECONDS (statement_timeout on each connection) and the
app says the view took too long; loads are not limited."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from dashboard.core.db import create_engine, limit_query_time
from dashboard.core.errors import QueryTooLong


def test_a_slow_postgres_query_is_stopped(postgres_url):
    engine = limit_query_time(create_engine(postgres_url), 0.5)
    with pytest.raises(QueryTooLong), engine.connect() as conn:
        conn.execute(sa.text("SELECT pg_sleep(3)")).all()
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT 1")).scalar_one() == 1
    engine.dispose()
    unlimited = create_engine(postgres_url)
    with unlimited.connect() as conn:
        assert conn.execute(sa.text("SHOW statement_timeout")).scalar_one() == "0"
    unlimited.dispose()
