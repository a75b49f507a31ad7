"""Benchmark of the KPI layer: ``python -m dashboard bench [--database-url URL]``.

For every registry KPI by every dimension it can honour, over the last 12 months: the query API uncached and
cached; beside it, in the same run, hand-written SQL for a subset (the floor) and the common Dash pattern of
loading the fact table into pandas once and filtering it in Python for each request.
"""

from __future__ import annotations

import gc
import resource
import statistics
import time

import numpy as np
import pandas as pd
import sqlalchemy as sa

from dashboard.bench.raw_sql import RAW, raw_statement
from dashboard.core import cache as cache_module
from dashboard.core.cache import standalone_cache
from dashboard.core.db import get_engine
from dashboard.core.settings import Settings
from queries.disclosure import protect
from queries.execution import finish, kpi_values
from queries.kpi.builder import NotApplicable, Request, build_plan
from queries.kpi.catalog import get_catalog
from queries.kpi.registry import REGISTRY
from queries.selection import filters_for
from queries.sums import fetch

PANDAS_ROW_LIMIT = 8_000_000  # the pandas pattern needs ~1.3 KiB per visit row once loaded
DIMENSIONS = (
    "district",
    "consortium",
    "level",
    "institution",
    "team",
    "doctor",
    "icd_chapter",
    "icd_category",
    "drg",
    "mdc",
    "insurance_type",
    "age_band",
    "sex",
)


def _ms(seconds: float) -> float:
    return seconds * 1000.0


def _uncached(url: str, request: Request) -> float:
    catalog = get_catalog(url)
    kpi = REGISTRY[request.kpi_id]
    started = time.perf_counter()
    plan = build_plan(kpi, request, catalog.warehouse)
    finish(kpi, fetch(plan, url), request, catalog, 0.95, 5)
    return time.perf_counter() - started


def _uncached_protected(url: str, request: Request) -> float:
    """As ``_uncached``, then disclosure control on an empty cache: the family of tables the request's
    withheld cells are decided on (every level of its hierarchies city-wide, whole years) is read and
    decided again for every request, the worst case (a running app decides each family once)."""
    catalog = get_catalog(url)
    kpi = REGISTRY[request.kpi_id]
    standalone_cache(None)  # empty: nothing decided for an earlier request is reused
    started = time.perf_counter()
    plan = build_plan(kpi, request, catalog.warehouse)
    protect(url, request, finish(kpi, fetch(plan, url), request, catalog, 0.95, 5), 5)
    return time.perf_counter() - started


def _requests(url: str) -> list[Request]:
    filters = filters_for(url, period="last_12_months")
    out = []
    for kpi in REGISTRY.values():
        asked = [Request(kpi.id, filters, (d,) if d else ()) for d in (None, *DIMENSIONS)]
        for request in [*asked, Request(kpi.id, filters, (), "month")]:
            try:  # a breakdown the KPI refuses (standardised management by month: a month is too short)
                build_plan(kpi, request, get_catalog(url).warehouse)
            except NotApplicable:
                continue
            out.append(request)
    return out


def _pandas_pattern(url: str, filters, repeats: int) -> tuple[float, list[float], float]:
    """Load fact_visit once (as many Dash apps do), then answer primary share by district in pandas."""
    engine = get_engine(url)
    started = time.perf_counter()
    with engine.connect() as conn:
        visits = pd.read_sql(sa.text("SELECT * FROM fact_visit"), conn)
        institutions = pd.read_sql(sa.text("SELECT * FROM dim_institution"), conn)
    load = time.perf_counter() - started
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        dates = pd.to_datetime(visits["visit_date"])
        window = visits[(dates >= pd.Timestamp(filters.start)) & (dates <= pd.Timestamp(filters.end))]
        merged = window.merge(
            institutions[["institution_id", "district_code", "is_primary"]], on="institution_id"
        )
        merged.groupby("district_code")["is_primary"].agg(["sum", "count"])
        times.append(time.perf_counter() - started)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    del visits
    gc.collect()
    return load, times, rss


def run_kpi_benchmark(database_url: str | None = None, repeats: int = 3) -> int:
    settings = Settings.from_env(database_url=database_url)
    url = settings.database_url
    cache_module._state["app"] = None  # uncached first
    catalog = get_catalog(url)
    requests = _requests(url)
    print(
        f"KPI benchmark · {catalog.dialect} · data {catalog.period_start} to {catalog.period_end} · "
        f"{len(requests)} requests (KPI × dimension, last 12 months)"
    )

    # warm the engine and the OS page cache once, as a running app would be
    for request in requests[:5]:
        _uncached(url, request)
    uncached = {r: min(_uncached(url, r) for _ in range(repeats)) for r in requests}
    values = np.array([_ms(t) for t in uncached.values()])
    protected = np.array([_ms(min(_uncached_protected(url, r) for _ in range(repeats))) for r in requests])

    cache_module._state["app"] = None
    standalone_cache(None)
    for request in requests:
        kpi_values(url, request)
    cached = []
    for request in requests:
        started = time.perf_counter()
        kpi_values(url, request)
        cached.append(_ms(time.perf_counter() - started))
    rss_api = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    filters = requests[0].filters
    engine = get_engine(url)
    raw_ratios = []
    print(f"{'request':<44}{'API ms':>9}{'raw SQL ms':>12}{'ratio':>8}")
    for kpi_id, dimension in RAW:
        request = Request(kpi_id, filters, (dimension,))
        api_ms = _ms(uncached.get(request) or min(_uncached(url, request) for _ in range(repeats)))
        timings = []
        for _ in range(repeats):
            started = time.perf_counter()
            with engine.connect() as conn:
                conn.execute(
                    raw_statement(kpi_id, dimension), {"start": filters.start, "end": filters.end}
                ).all()
            timings.append(time.perf_counter() - started)
        raw_ms = _ms(min(timings))
        raw_ratios.append(api_ms / raw_ms)
        print(f"{kpi_id + ' by ' + dimension:<44}{api_ms:>9.1f}{raw_ms:>12.1f}{api_ms / raw_ms:>8.2f}")

    api_same = _ms(uncached[Request("primary_care_visit_share", filters, ("district",))])
    with engine.connect() as conn:
        visit_rows = conn.execute(sa.text("SELECT count(*) FROM fact_visit")).scalar_one()
    if visit_rows <= PANDAS_ROW_LIMIT:
        load, pandas_times, rss_pandas = _pandas_pattern(url, filters, repeats)
        pandas_ms = _ms(statistics.median(pandas_times))
    else:
        load = pandas_ms = rss_pandas = float("nan")

    slowest = sorted(uncached.items(), key=lambda kv: kv[1], reverse=True)[:5]
    print(
        "slowest uncached:",
        ", ".join(
            f"{r.kpi_id} by {'/'.join(r.by) or r.grain or 'total'} {_ms(t):.0f} ms" for r, t in slowest
        ),
    )
    if visit_rows <= PANDAS_ROW_LIMIT:
        print(
            f"pandas pattern: load fact_visit {load:.1f} s once, then {pandas_ms:.0f} ms per request "
            f"(API {api_same:.1f} ms for the same request); peak RSS {rss_pandas:.0f} MiB after loading"
        )
    else:
        print(
            f"pandas pattern skipped: {visit_rows:,} visits would not fit in memory on this machine "
            f"(M's 5 million already took over 6 GiB)"
        )
    print(f"API process peak RSS before the pandas pattern: {rss_api:.0f} MiB")
    print(
        f"disclosure control, no cache shared (worst case): median {np.median(protected):.1f} ms, "
        f"p95 {np.percentile(protected, 95):.1f} ms per request against {np.median(values):.1f} / "
        f"{np.percentile(values, 95):.1f} ms without it; median ratio {np.median(protected / values):.2f}x"
    )
    print(
        f"bench: uncached median {np.median(values):.1f} ms, p95 {np.percentile(values, 95):.1f} ms, "
        f"cached median {statistics.median(cached):.2f} ms; ratio to raw SQL {statistics.median(raw_ratios):.2f}x "
        + (
            f"(median); pandas pattern {pandas_ms / api_same:.1f}x slower per request plus {load:.1f} s load"
            if visit_rows <= PANDAS_ROW_LIMIT
            else "(median); pandas pattern skipped at this scale"
        )
    )
    return 0
