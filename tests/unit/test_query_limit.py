"""A query that runs past DASHBOARD_QUERY_SECONDS is stopped and said to be too long (DuckDB has no statement
timeout: a timer interrupts it); the connection serves the next query."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from dashboard.core.db import create_engine, limit_query_time, query_seconds
from dashboard.core.errors import QueryTooLong

SLOW = "SELECT count(*) FROM range(200000000) a, range(1000) b WHERE a.range % 7 = b.range"


def test_a_slow_duckdb_query_is_stopped():
    engine = limit_query_time(create_engine("duckdb:///:memory:"), 0.5)
    started = time.perf_counter()
    with pytest.raises(QueryTooLong) as stopped, engine.connect() as conn:
        conn.execute(sa.text(SLOW)).all()
    assert time.perf_counter() - started < 5
    assert stopped.value.key == "query_too_long" and stopped.value.params == {"seconds": 0}
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT 42")).scalar_one() == 42
    engine.dispose()


def test_a_quick_query_is_left_alone():
    engine = limit_query_time(create_engine("duckdb:///:memory:"), 0.5)
    with engine.connect() as conn:
        for _ in range(5):
            conn.execute(sa.text("SELECT count(*) FROM range(1000)")).all()
        time.sleep(0.8)  # the timers of finished queries were cancelled: nothing interrupts this one
        assert conn.execute(sa.text("SELECT count(*) FROM range(10)")).scalar_one() == 10
    engine.dispose()


def test_the_limit_is_configured(monkeypatch):
    monkeypatch.setenv("DASHBOARD_QUERY_SECONDS", "12.5")
    assert query_seconds() == 12.5
    monkeypatch.setenv("DASHBOARD_QUERY_SECONDS", "soon")
    assert query_seconds() == 60.0
