"""The KPI layer on PostgreSQL: every KPI of the registry gives the same numbers as on DuckDB."""

from __future__ import annotations

import pandas as pd

from dashboard.core.cache import standalone_cache
from queries.execution import kpi_values
from queries.kpi.builder import Request
from queries.kpi.registry import REGISTRY
from queries.selection import filters_for
from tests.support import plan_or_none


def test_results_identical_on_duckdb_and_postgresql(s_warehouse, pg_s_warehouse):
    standalone_cache(None)
    duck_filters = filters_for(s_warehouse, period="last_12_months")
    pg_filters = filters_for(pg_s_warehouse, period="last_12_months")
    assert duck_filters == pg_filters
    compared = 0
    for kpi in REGISTRY.values():
        for by in ((), ("district",), ("institution",)):
            request = Request(kpi.id, duck_filters, by)
            if plan_or_none(kpi, request) is None:
                continue
            on_duck = kpi_values(s_warehouse, request)
            on_pg = kpi_values(pg_s_warehouse, request)
            exact = [c for c in on_duck.columns if c not in ("ci_low", "ci_high")]
            pd.testing.assert_frame_equal(
                on_duck[exact], on_pg[exact], check_dtype=False, rtol=1e-9, obj=f"{kpi.id} {by}"
            )
            # Intervals of means use a floating-point Σx², summed in a different order by each engine.
            pd.testing.assert_frame_equal(
                on_duck[["ci_low", "ci_high"]],
                on_pg[["ci_low", "ci_high"]],
                check_dtype=False,
                rtol=1e-6,
                obj=f"{kpi.id} {by} interval",
            )
            compared += 1
    assert compared > 100  # 110 of the 117 (KPI, breakdown) pairs apply: the loop is not comparing nothing
