"""The KPI layer end to end: statements compile per dialect, the CLI prints the API's numbers, the cache keys
and survives (PostgreSQL parity: tests/postgres/test_kpi_parity.py)."""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import replace

import duckdb_engine
import pandas as pd
import pytest
from sqlalchemy.dialects import postgresql

from dashboard.core import cache as cache_module
from dashboard.core.cache import init_cache, standalone_cache
from queries import execution
from queries.execution import kpi_values
from queries.kpi.builder import Request
from queries.kpi.catalog import get_catalog
from queries.kpi.filters import Scope, make_filters
from queries.kpi.registry import REGISTRY
from queries.selection import filters_for
from queries.sums import cache_key
from tests.support import CSV_COLUMNS, plan_or_none, run_kpi_cli

BREAKDOWNS = [(), ("district",), ("institution",), ("team",), ("age_band",), ("icd_chapter",), ("drg",)]


def test_every_kpi_compiles_for_duckdb_and_postgresql():
    """Statements are pure: every KPI by every breakdown it honours compiles for both engines, no warehouse."""
    filters = make_filters(dt.date(2026, 8, 1), dt.date(2026, 10, 1))  # three months: three windows per union
    compiled = 0
    for kpi in REGISTRY.values():
        for by in BREAKDOWNS:
            for grain in (None, "month"):
                plan = plan_or_none(kpi, Request(kpi.id, filters, by, grain))
                if plan is None:
                    continue
                for dialect in (postgresql.dialect(), duckdb_engine.Dialect()):
                    for statement in (plan.numerator, plan.denominator):
                        if statement is not None:
                            assert "SELECT" in str(statement.compile(dialect=dialect))
                compiled += 1
    assert compiled > 150


def test_the_cli_prints_the_api_numbers(s_warehouse):
    import io

    # no --period: the CLI's default is the pages' (the year to date)
    result = run_kpi_cli(s_warehouse, "htn_control_rate", "--by", "district", "--format", "csv", check=True)
    printed = pd.read_csv(io.StringIO(result.stdout), dtype={"district_code": str})
    assert list(printed.columns) == ["district_code", *CSV_COLUMNS]
    standalone_cache(None)
    expected = kpi_values(s_warehouse, Request("htn_control_rate", filters_for(s_warehouse), ("district",)))
    pd.testing.assert_frame_equal(printed, expected, check_dtype=False)


def test_the_cli_honours_the_deployments_threshold(s_warehouse):
    """DASHBOARD_SUPPRESSION_THRESHOLD is the deployment's: at 10 the command line withholds the institutions
    whose referral counts are 5–9, which the default 5 shows; a threshold below 2 is refused in one line."""
    import io

    def run(threshold: str):
        return run_kpi_cli(
            s_warehouse,
            *("down_referrals", "--by", "institution", "--period", "last_month", "--format", "csv"),
            env={**os.environ, "DASHBOARD_SUPPRESSION_THRESHOLD": threshold},
        )

    default = pd.read_csv(io.StringIO(run("5").stdout))
    strict = pd.read_csv(io.StringIO(run("10").stdout))
    shown = default["numerator"].dropna()
    assert not shown.between(1, 4).any() and shown.between(5, 9).any()  # the demo has counts of 5–9
    assert not strict["numerator"].dropna().between(1, 9).any()
    assert strict["suppressed"].sum() > default["suppressed"].sum()
    refused = run("1")
    assert refused.returncode == 2 and "DASHBOARD_SUPPRESSION_THRESHOLD" in refused.stderr
    assert len(refused.stderr.splitlines()) == 1


def test_cli_rejects_bad_input_in_one_line(s_warehouse):
    for args, fragment in [
        (["nope"], "unknown KPI"),
        (["cmi", "--by", "planet"], "unknown dimension"),
        (["cmi", "--where", "district=XX"], "unknown district"),
        (["cmi", "--where", "districtXX"], "DIM=VALUE"),
        (["visits_per_capita", "--by", "doctor"], "residence-based"),
        (["htn_control_rate", "--by", "age_band", "--comparator", "peers"], "no peer groups"),
        (["htn_control_rate", "--grain", "month", "--comparator", "city"], "needs units"),
        (["drg_surplus", "--by", "district", "--adjust", "standardised"], "standardis"),
        (["drg_surplus", "--by", "district", "--limits", "plain"], "funnel"),
    ]:
        result = run_kpi_cli(s_warehouse, *args)
        assert result.returncode == 2 and fragment in result.stderr and len(result.stderr.splitlines()) == 1


# --- cache ---------------------------------------------------------------------------------------------------


@pytest.fixture
def counting_fetch(monkeypatch):
    calls = []
    original = execution.fetch

    def counted(plan, url):
        calls.append(plan)
        return original(plan, url)

    monkeypatch.setattr(execution, "fetch", counted)
    return calls


def test_equal_requests_share_an_entry(s_warehouse, counting_fetch):
    standalone_cache(None)
    first = filters_for(s_warehouse, period="last_12_months", district="990122,990121,990121")
    again = filters_for(s_warehouse, period="last_12_months", district=["990121", "990122"])
    assert first == again
    kpi_values(s_warehouse, Request("cmi", first, ("institution",)))
    kpi_values(s_warehouse, Request("cmi", again, ("institution",)))
    assert len(counting_fetch) == 1


def test_scope_filters_and_data_version_change_the_key(s_warehouse):
    catalog = get_catalog(s_warehouse)
    base = Request("cmi", filters_for(s_warehouse, period="last_12_months"), ("institution",))

    def key(request, catalog=catalog):
        return cache_key("values", request.key(), request.scope, catalog)

    keys = {
        key(base),
        key(replace(base, scope=Scope.of(districts=["990102"]))),
        key(replace(base, scope=Scope.of(consortia=["C01"]))),
        key(replace(base, filters=filters_for(s_warehouse, period="this_year"))),
        key(base, replace(catalog, data_version="another-load")),
    }
    assert len(keys) == 5


def test_scope_restricts_what_is_seen(s_warehouse):
    standalone_cache(None)
    filters = filters_for(s_warehouse, period="last_12_months")
    mine = kpi_values(
        s_warehouse, Request("alos", filters, ("institution",), None, Scope.of(consortia=["C04"]))
    )
    assert set(mine["institution_id"]) <= {"I010", "I013"} | {f"I{n:03d}" for n in range(1, 70)}
    consortium_of = {k: v[1] for k, v in get_catalog(s_warehouse).parents["institution"].items()}
    assert {consortium_of[i] for i in mine["institution_id"]} == {"C04"}


@pytest.mark.skipif(not os.environ.get("DASHBOARD_TEST_REDIS_URL"), reason="needs DASHBOARD_TEST_REDIS_URL")
def test_redis_backend_holds_entries(s_warehouse, counting_fetch):
    import redis

    url = os.environ["DASHBOARD_TEST_REDIS_URL"]
    client = redis.Redis.from_url(url)
    for key in client.scan_iter("dashboard:values:*"):
        client.delete(key)
    standalone_cache(url)
    request = Request(
        "drg_grouping_rate", filters_for(s_warehouse, period="last_12_months"), ("institution",)
    )
    first = kpi_values(s_warehouse, request)
    second = kpi_values(s_warehouse, request)
    assert len(counting_fetch) == 1
    pd.testing.assert_frame_equal(first, second)
    assert any(True for _ in client.scan_iter("dashboard:values:*"))


def test_unreachable_redis_still_answers_and_logs_why(s_warehouse, caplog, counting_fetch):
    standalone_cache("redis://127.0.0.1:1/0")
    cache_module._state["last_warning"] = 0.0
    request = Request("alos", filters_for(s_warehouse, period="last_12_months"), ("district",))
    with caplog.at_level(logging.WARNING, logger="dashboard.core.cache"):
        frame = kpi_values(s_warehouse, request)
    assert len(frame) == 8 and frame["value"].notna().all()
    assert any("answering uncached" in r.getMessage() for r in caplog.records)
    standalone_cache(None)


def test_app_cache_is_initialised_per_app(s_warehouse):
    from flask import Flask

    server = Flask("x")
    init_cache(server, None)
    assert "cache" in server.extensions


def test_concurrent_equal_requests_run_one_query(s_warehouse, counting_fetch):
    import threading

    standalone_cache(None)
    request = Request("down_referral_share", filters_for(s_warehouse, period="this_year"), ("consortium",))
    results = []
    threads = [
        threading.Thread(target=lambda: results.append(kpi_values(s_warehouse, request))) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4 and all(r.equals(results[0]) for r in results)
    assert len(counting_fetch) == 1


def test_a_redis_that_never_answers_costs_one_timeout_not_one_per_lookup(s_warehouse):
    """A socket that accepts connections (the kernel's backlog does) but never replies: the first lookup
    waits for its timeout, then the breaker answers uncached at once until it closes again."""
    import socket
    import time

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(64)
    port = silent.getsockname()[1]
    try:
        standalone_cache(f"redis://127.0.0.1:{port}/0")
        started = time.perf_counter()
        assert cache_module.cache_get("k1") is None
        first = time.perf_counter() - started
        started = time.perf_counter()
        for i in range(50):
            assert cache_module.cache_get(f"k{i}") is None
            cache_module.cache_set(f"k{i}", i)
        rest = time.perf_counter() - started
        assert 0.3 < first < 3 and rest < 0.1, (first, rest)
        cache_module._state["open_until"] = 0.0  # the breaker closes after BREAK_SECONDS: it tries again
        started = time.perf_counter()
        assert cache_module.cache_get("k1") is None
        assert time.perf_counter() - started > 0.3
    finally:
        silent.close()
        standalone_cache(None)


def test_uncached_computations_wait_for_a_free_slot(monkeypatch):
    """At most DASHBOARD_HEAVY_REQUESTS computations run at once; parts of one (nested cached values, its
    parallel workers) share its slot, so nothing deadlocks."""
    import threading
    import time

    from queries import sums

    monkeypatch.setattr(sums, "_heavy", threading.BoundedSemaphore(2))
    standalone_cache(None)
    running, peak, lock = [0], [0], threading.Lock()

    def slow(tag):
        def compute():
            with lock:
                running[0] += 1
                peak[0] = max(peak[0], running[0])
            time.sleep(0.2)
            inner = sums.cached(f"inner:{tag}", lambda: 1)  # nested: shares the slot
            parts = sums.parallel(lambda i: sums.cached(f"part:{tag}:{i}", lambda: i), range(3))
            with lock:
                running[0] -= 1
            return inner + sum(parts)

        return compute

    results = []
    threads = [
        threading.Thread(target=lambda t=t: results.append(sums.cached(f"outer:{t}", slow(t))))
        for t in range(6)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [4] * 6 and peak[0] == 2
    assert time.perf_counter() - started >= 0.55  # three rounds of two
