"""District comparison on the hand-made warehouse of tests/support/district_warehouse.py (answers worked
there): crude and standardised verdicts, peer groups, the standardised funnel."""

from __future__ import annotations

import pytest

from dashboard.core.cache import standalone_cache
from queries.districts import funnel_view, league
from tests.support import view
from tests.support.district_warehouse import CITY_PER_100, build_district_warehouse


@pytest.fixture(autouse=True)
def _cache():
    standalone_cache(None)


@pytest.fixture(scope="module")
def districts(tmp_path_factory):
    return build_district_warehouse(tmp_path_factory.mktemp("districts") / "d.duckdb")


def _verdicts(url: str, query: str) -> dict[str, tuple[float, str]]:
    frame = league(view(url, "?period=all&kpi=hospitalization_rate" + query)).frame
    return {r.district_code: (r.value, r.outcome) for r in frame.itertuples()}


def test_crude_rates_and_verdicts_against_the_city(districts):
    verdicts = _verdicts(districts, "")
    assert verdicts["DA"] == (pytest.approx(1800 / 22000 * 100), "better")
    assert verdicts["DB"] == (pytest.approx(2800 / 22000 * 100), "worse")  # built to be worse
    assert verdicts["DC"] == (pytest.approx(15.0), "similar")  # extreme, but 6 admissions: a wide interval
    assert verdicts["DD"] == (pytest.approx(40.0), "worse")  # old people


def test_standardisation_changes_the_verdict_of_the_old_district(districts):
    verdicts = _verdicts(districts, "&adjust=standardised")
    assert verdicts["DD"] == (pytest.approx(CITY_PER_100), "similar")  # O/E = 800 / 800
    assert verdicts["DB"][1] == "worse" and verdicts["DA"][1] == "better"  # real differences stay
    assert verdicts["DC"][1] == "similar"


def test_peer_groups_as_comparator(districts):
    frame = league(view(districts, "?period=all&compare=peer")).frame.set_index("district_code")
    urban = (1800 + 2800) / 44000 * 100
    rural = (6 + 800) / 2040 * 100
    assert frame.loc["DA", "comparator"] == pytest.approx(urban) and frame.loc[
        "DD", "comparator"
    ] == pytest.approx(rural)
    assert frame.loc["DD", "outcome"] == "similar"  # 40.0 against rural peers at 39.5: no real difference
    assert frame.loc["DB", "outcome"] == "worse"


def test_standardised_funnel_is_o_over_e_around_one(districts):
    data = funnel_view(view(districts, "?period=all&adjust=standardised"))
    frame = data.frame.set_index("district_code")
    assert [g["benchmark"] for g in data.meta["groups"]] == [1.0]  # one funnel, around the city (O/E = 1)
    assert frame.loc["DD", "value"] == pytest.approx(1.0) and frame.loc["DD", "denominator"] == pytest.approx(
        800
    )
    assert bool(frame.loc["DB", "outside_99.8"]) and not bool(frame.loc["DD", "outside_99.8"])
