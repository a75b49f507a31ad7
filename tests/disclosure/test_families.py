"""A family's tables (queries/families.py) are sums of its finest table, read once: each must equal what the
warehouse gives for that table asked directly, or the cells decided on would not be the cells shown."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard.core.cache import standalone_cache
from queries.families import decided, family_of, ordered
from queries.kpi.builder import Request
from queries.kpi.registry import REGISTRY
from queries.kpi.suppression import protecting_columns
from queries.selection import filters_for
from queries.sums import raw_sums

SAMPLE = ("visit_count", "referral_count", "cmi", "htn_management_rate", "low_risk_mortality")


@pytest.fixture(autouse=True)
def _cache():
    standalone_cache(None)


def _differences(url: str, kpi_id: str, by: tuple[str, ...], grain: str | None, period: dict) -> list[str]:
    request = Request(kpi_id, filters_for(url, **period), by, grain)
    family = family_of(request)
    found = []
    for (levels, table_grain), table in decided(url, family, 5).items():
        direct = raw_sums(url, Request(kpi_id, family.filters, ordered(levels), table_grain))
        keys = [c for c in table.columns if c not in ("numerator", "denominator", "cases", "withheld")]
        counts = [c for c in protecting_columns(REGISTRY[kpi_id]) if c in direct]
        mine = table[[*keys, *counts]].astype({k: str for k in keys})
        theirs = direct[[*keys, *counts]].astype({k: str for k in keys}) if keys else direct[counts]
        if not keys:
            same = (mine[counts].sum().round(6) == theirs[counts].astype(float).sum().round(6)).all()
        else:
            merged = mine.merge(theirs, on=keys, how="outer", suffixes=("", "_direct"))
            same = all(
                (
                    pd.to_numeric(merged[c]).fillna(0).round(6)
                    == pd.to_numeric(merged[f"{c}_direct"]).fillna(0).round(6)
                ).all()
                for c in counts
            )
        if not same:
            found.append(f"{sorted(levels)} by {table_grain}")
    return found


@pytest.mark.parametrize("kpi_id", SAMPLE)
def test_every_table_of_a_series_family_equals_the_warehouse(s_warehouse, kpi_id):
    grain = "quarter" if REGISTRY[kpi_id].per_window else "month"
    assert _differences(s_warehouse, kpi_id, ("institution",), grain, {"period": "all"}) == []


@pytest.mark.parametrize("kpi_id", ("cmi", "drg_surplus"))
def test_every_table_of_an_institution_by_drg_family_equals_the_warehouse(s_warehouse, kpi_id):
    assert _differences(s_warehouse, kpi_id, ("institution", "drg"), None, {}) == []


@pytest.mark.parametrize("kpi_id", ("referral_count", "discharges"))
def test_a_custom_windows_tables_summed_from_its_months_equal_the_warehouse(s_warehouse, kpi_id):
    """A window that is not whole calendar years is summed from the months of its years (one read shared
    with the series): each of its tables equals the warehouse's answer for that window."""
    period = {"from_month": "2026-02", "to_month": "2026-06"}
    assert _differences(s_warehouse, kpi_id, ("institution",), None, period) == []
