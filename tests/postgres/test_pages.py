"""Every panel of every page drawn from the S demo in PostgreSQL, through the same code as DuckDB, with the
same numbers: the panels' data frames from the two engines are equal."""

from __future__ import annotations

import pandas as pd
import pytest

from callbacks import chronic, districts, drg, referrals, settlement, visits
from dashboard.core.cache import standalone_cache
from dashboard.core.state import parse_query
from queries.report import report
from queries.selection import View
from tests.support import CONSORTIUM, ERROR_TEXTS, draw_panel, texts

SPECS = {
    **visits.SPECS,
    **referrals.SPECS,
    **chronic.SPECS,
    **drg.SPECS,
    **settlement.SPECS,
    **districts.SPECS,
}


@pytest.fixture(autouse=True)
def _cache():
    standalone_cache(None)


def _comparable(frame: pd.DataFrame) -> pd.DataFrame:
    """Numbers rounded past the engines' summation order; rows in one order."""
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_float_dtype(out[column]):
            out[column] = out[column].round(6)
        elif out[column].dtype == object:
            out[column] = out[column].map(lambda v: str(v)[:10] if hasattr(v, "isoformat") else v)
    return out.sort_values(list(out.columns[:2])).reset_index(drop=True) if len(out.columns) > 1 else out


@pytest.mark.parametrize("key", sorted(SPECS))
def test_every_panel_on_postgresql_equals_duckdb(s_warehouse, pg_s_warehouse, key):
    for query in ("", CONSORTIUM):
        text = texts(draw_panel(key, query, pg_s_warehouse))
        assert not any(e in text for e in ERROR_TEXTS), (key, query, text)
        state = parse_query(query)[0]
        on_duckdb, on_postgres = (
            SPECS[key].data(View(s_warehouse, state)),
            SPECS[key].data(View(pg_s_warehouse, state)),
        )
        assert on_postgres.message == on_duckdb.message
        if "cards" in key:
            continue  # cards hold nested series; their values are checked through the KPI layer's parity test
        columns = [c for c in on_duckdb.frame.columns if c != "name"]
        pd.testing.assert_frame_equal(
            _comparable(on_postgres.frame[columns]), _comparable(on_duckdb.frame[columns]), check_dtype=False
        )


def test_hospital_report_on_postgresql_equals_duckdb(s_warehouse, pg_s_warehouse):
    state = parse_query("?institution=I002")[0]
    on_duckdb, on_postgres = report(View(s_warehouse, state)), report(View(pg_s_warehouse, state))
    columns = ["kpi", "value", "numerator", "denominator", "peer_value", "rank", "outcome"]
    pd.testing.assert_frame_equal(
        _comparable(on_postgres.frame[columns]), _comparable(on_duckdb.frame[columns]), check_dtype=False
    )
