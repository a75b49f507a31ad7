"""A filter applies to numerator and denominator alike, or is refused: never to one side only (DOMAIN.md §3).

Every KPI × every filter dimension is checked on the statements themselves; the population's optional
insurance split is worked by hand on a variant of the mini warehouse; the demo city shows the numbers the old
one-sided filter got wrong.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from sqlalchemy.dialects import postgresql

from dashboard.core.cache import standalone_cache
from queries.execution import kpi_values
from queries.kpi.builder import NotApplicable, Request, build_plan
from queries.kpi.filters import DIMENSIONS, ENUMERATED, make_filters
from queries.kpi.registry import REGISTRY
from queries.selection import filters_for
from tests.support import raises_saying
from tests.support.mini_warehouse import TABLES, build_mini_warehouse

PERIOD = (dt.date(2025, 10, 1), dt.date(2025, 12, 1))


def _code(dimension: str) -> str:
    return ENUMERATED[dimension][0] if dimension in ENUMERATED else "X1"


def _sql(statement) -> str:
    return "" if statement is None else str(statement.compile(dialect=postgresql.dialect()))


@pytest.mark.parametrize("kpi_id", sorted(REGISTRY))
def test_every_filter_reaches_both_sides_or_is_refused(kpi_id):
    kpi = REGISTRY[kpi_id]
    bare = build_plan(kpi, Request(kpi_id, make_filters(*PERIOD)))
    checked = 0
    for dimension in DIMENSIONS:
        filters = make_filters(*PERIOD, **{dimension: _code(dimension)})
        try:
            plan = build_plan(kpi, Request(kpi_id, filters))
        except NotApplicable:
            continue  # refused, with a message: allowed
        # the filter changed the numerator's statement and the denominator's (when it has its own)
        assert _sql(plan.numerator) != _sql(bare.numerator), (kpi_id, dimension, "numerator")
        if plan.denominator is not None:
            assert _sql(plan.denominator) != _sql(bare.denominator), (kpi_id, dimension, "denominator")
        checked += 1
    assert checked > 0


# The mini warehouse's population split by insurance (each stratum's rows add up to its old count):
#   D1 M 15-34 40 = employee 30 + resident 10      D1 F 15-34 40 = employee 20 + resident 15 + none 5
#   D1 M 65-74 10 = employee 4 + resident 6        D1 F 65-74 10 = resident 10
#   D2 M 15-34 20 = employee 5 + resident 15       D2 F 15-34 20 = resident 18 + none 2
#   D2 M 65-74 5 = resident 5                      D2 F 65-74 5 = none 5
# so employee 59, resident 79, none 12 (150 in all), in 2024 and in 2025.
SPLIT = {
    ("D1", "M", "15-34"): {"employee": 30, "resident": 10},
    ("D1", "F", "15-34"): {"employee": 20, "resident": 15, "none": 5},
    ("D1", "M", "65-74"): {"employee": 4, "resident": 6},
    ("D1", "F", "65-74"): {"resident": 10},
    ("D2", "M", "15-34"): {"employee": 5, "resident": 15},
    ("D2", "F", "15-34"): {"resident": 18, "none": 2},
    ("D2", "M", "65-74"): {"resident": 5},
    ("D2", "F", "65-74"): {"none": 5},
}


def _population_by_insurance() -> pa.Table:
    rows = [
        {"district_code": d, "year": y, "sex": s, "age_band": b, "population": n, "insurance_type": kind}
        for y in (2024, 2025)
        for (d, s, b), split in SPLIT.items()
        for kind, n in split.items()
    ]
    return pa.Table.from_pylist(rows).select([c.name for c in TABLES["dim_population"].schema])


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory):
    standalone_cache(None)
    folder = tmp_path_factory.mktemp("filters")
    plain = build_mini_warehouse(folder / "plain.duckdb")
    split = build_mini_warehouse(
        folder / "split.duckdb", {**TABLES, "dim_population": _population_by_insurance()}
    )
    return plain, split


def _values(url: str, kpi: str, by=(), **filters) -> dict:
    frame = kpi_values(url, Request(kpi, filters_for(url, period="all", **filters), tuple(by)), threshold=1)
    return dict(zip(frame.iloc[:, 0], frame["value"], strict=True)) if by else float(frame["value"].iloc[0])


def test_without_an_insurance_split_the_population_refuses_the_filter(warehouses):
    plain, _split = warehouses
    with raises_saying(NotApplicable, "its denominator is not broken down by insurance type"):
        _values(plain, "hospitalization_rate", insurance_type="employee")
    with pytest.raises(NotApplicable):
        _values(plain, "contract_coverage", by=("insurance_type",))
    assert _values(plain, "hospitalization_rate") == pytest.approx(14 / 150 * 100)  # no filter: as before


def test_with_an_insurance_split_both_sides_are_filtered(warehouses):
    _plain, split = warehouses
    # admissions in 2025: A's 1 and F's 4 (employees), B's 2, C's 2 and G's 4 (residents), E's 1 (none)
    assert _values(split, "hospitalization_rate", insurance_type="employee") == pytest.approx(5 / 59 * 100)
    assert _values(split, "hospitalization_rate", by=("insurance_type",)) == pytest.approx(
        {"employee": 5 / 59 * 100, "resident": 8 / 79 * 100, "none": 1 / 12 * 100}
    )
    # contracts active on 2025-12-31: A (employee), B (resident), E (none); C's ended
    assert _values(split, "contract_coverage", by=("insurance_type",)) == pytest.approx(
        {"employee": 1 / 59, "resident": 1 / 79, "none": 1 / 12}
    )
    # managed hypertension: A (employee) of 55 employees aged 15-34 × 6% + 4 aged 65-74 × 55%
    assert _values(split, "htn_management_rate", insurance_type="employee") == pytest.approx(
        1 / (55 * 0.06 + 4 * 0.55)
    )
    assert _values(split, "hospitalization_rate") == pytest.approx(14 / 150 * 100)  # the whole is unchanged


def test_a_disease_filter_applies_to_estimated_patients_and_is_refused_by_plain_population(warehouses):
    plain, _split = warehouses
    # estimated hypertension patients are hypertension patients: the filter keeps both sides
    assert _values(plain, "htn_management_rate", chronic_group="hypertension") == pytest.approx(
        _values(plain, "htn_management_rate")
    )
    with raises_saying(NotApplicable, "its denominator is not broken down by chronic disease"):
        _values(plain, "visits_per_capita", chronic_group="hypertension")


def test_the_demo_citys_employees_are_hospitalised_at_a_believable_rate(s_warehouse):
    """The one-sided filter showed 7.3 per 100 for employees (their admissions over the whole population)."""
    standalone_cache(None)
    rate = kpi_values(
        s_warehouse, Request("hospitalization_rate", filters_for(s_warehouse, insurance_type="employee"))
    )["value"].iloc[0]
    everyone = kpi_values(s_warehouse, Request("hospitalization_rate", filters_for(s_warehouse)))[
        "value"
    ].iloc[0]
    assert 12 < rate < 30 and abs(rate - everyone) < 8, (rate, everyone)
