"""The outlier case list against the hand-made warehouse (tests/support/mini_warehouse.py), and its coarse
values as the database computes them: costs to the nearest 100 元 (halves up, in every dialect), stays in
bands, and no list where the view holds fewer outlier cases than the deployment's threshold."""

from __future__ import annotations

import duckdb_engine
import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from dashboard.core.cache import standalone_cache
from queries import drg
from tests.support import view
from tests.support.mini_warehouse import build_mini_warehouse


@pytest.fixture(scope="module")
def mini(tmp_path_factory):
    standalone_cache(None)
    return build_mini_warehouse(tmp_path_factory.mktemp("mini") / "mini.duckdb")


def _evaluate(expression, values: list[float]) -> list:
    """``expression`` of a column ``x`` over ``values``, computed by DuckDB (in memory)."""
    rows = sa.union_all(*[sa.select(sa.literal(v, sa.Double).label("x")) for v in values]).subquery()
    statement = sa.select(expression(rows.c.x).label("y"), rows.c.x).order_by(rows.c.x)
    with sa.create_engine("duckdb:///:memory:").connect() as conn:
        return [row.y for row in conn.execute(statement)]


def test_costs_are_rounded_to_the_nearest_hundred_halves_up():
    costs = [487.59, 1249.99, 1250.0, 1350.0, 23000.0, 296872.48]
    assert _evaluate(drg.rounded_cost, costs) == [500, 1200, 1300, 1400, 23000, 296900]


def test_stays_fall_in_their_bands():
    days = [0, 1, 3, 4, 7, 8, 14, 15, 30, 31, 106]
    bands = ["1-3", "1-3", "1-3", "4-7", "4-7", "8-14", "8-14", "15-30", "15-30", "31+", "31+"]
    assert _evaluate(drg.los_band, days) == bands


@pytest.mark.parametrize("dialect", [postgresql.dialect(), duckdb_engine.Dialect()])
def test_the_coarse_values_compile_for_every_dialect(dialect):
    column = sa.column("x")
    for expression in (drg.rounded_cost(column), drg.los_band(column)):
        assert "x" in str(expression.compile(dialect=dialect))


def test_two_outlier_cases_are_too_few_for_a_list(mini):
    """The mini city's 2025 holds two outliers (cases 5 and 7): fewer than 5, so a message, not a list."""
    data = drg.outlier_cases(view(mini, "?period=all"))
    assert data.frame.empty and data.message.key == "case_list_too_few"
    assert dict(data.message.params) == {"threshold": 5}


def test_the_list_is_month_band_and_rounded_cost_where_the_threshold_allows(mini, monkeypatch):
    """With the deployment's threshold at 2 the two cases are listed, as coarse as DOMAIN §9 allows, the
    furthest from the group's mean (8000) first: case 5 (乡二县医院, May, 2 days, 2000 元 = 0.25 ×, low) before
    case 7 (城一医院, July, 4 days, 23000 元 = 2.875 ×, high)."""
    monkeypatch.setenv("DASHBOARD_SUPPRESSION_THRESHOLD", "2")
    data = drg.outlier_cases(view(mini, "?period=all"))
    assert data.message is None
    assert list(data.frame.columns) == list(drg.CASE_COLUMNS)
    rows = [tuple(r) for r in data.frame.itertuples(index=False)]
    assert rows == [
        ("2025-05", "乡二县医院", "BR25", "脑缺血，无合并症", "1-3", 2000, "low"),
        ("2025-07", "城一医院", "BR25", "脑缺血，无合并症", "4-7", 23000, "high"),
    ]
