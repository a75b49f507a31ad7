"""Comparisons on the S demo: 同比/环比, benchmarks, funnels, trends, standardisation."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from dashboard.core.cache import standalone_cache
from queries.comparators import compare_units, funnel_groups
from queries.comparisons import earlier_periods, offers_previous, standardised, trend
from queries.execution import kpi_values
from queries.kpi.builder import NotApplicable, Request
from queries.kpi.registry import REGISTRY
from queries.selection import filters_for


@pytest.fixture(autouse=True)
def _cache():
    standalone_cache(None)


def test_period_comparisons(s_warehouse):
    """A quarter has a 环比 (the quarter before) and a 同比 (the same quarter last year)."""
    request = Request(
        "primary_care_visit_share", filters_for(s_warehouse, period="last_quarter"), ("district",)
    )
    assert (request.filters.start, request.filters.end) == (dt.date(2026, 7, 1), dt.date(2026, 9, 30))
    frame = earlier_periods(s_warehouse, request).set_index("district_code")
    for column, (first, last) in {
        "value_previous": ("2026-04", "2026-06"),
        "value_last_year": ("2025-07", "2025-09"),
    }.items():
        earlier = Request(
            "primary_care_visit_share",
            filters_for(s_warehouse, from_month=first, to_month=last),
            ("district",),
        )
        expected = kpi_values(s_warehouse, earlier).set_index("district_code")["value"]
        assert frame[column].to_dict() == pytest.approx(expected.to_dict())
    assert (frame["change_last_year"] > 0).mean() >= 0.75  # primary care share rises in most districts


@pytest.mark.parametrize(
    ("period", "previous"),
    [
        ({"period": "this_year"}, False),  # 本年累计: 同比 only (DOMAIN §4)
        ({"period": "last_12_months"}, False),  # its 环比 would be its 同比
        ({"period": "last_year"}, False),
        ({"period": "last_month"}, True),
        ({"period": "last_quarter"}, True),
        ({"from_month": "2025-02", "to_month": "2025-04"}, False),  # three months, not a quarter
        ({"from_month": "2025-04", "to_month": "2025-06"}, True),
        ({"from_month": "2025-04", "to_month": "2025-07"}, False),
    ],
)
def test_a_previous_period_only_for_a_month_or_a_quarter(s_warehouse, period, previous):
    filters = filters_for(s_warehouse, **period)
    assert offers_previous(filters) is previous
    for kpi in ("primary_care_visit_share", "contract_coverage"):  # summable and per-window
        frame = earlier_periods(s_warehouse, Request(kpi, filters))
        assert np.isnan(frame["value_previous"].iloc[0]) is not previous
        assert not np.isnan(frame["value_last_year"].iloc[0])  # 同比 always


def test_units_are_classified_by_interval_and_polarity_against_the_comparator(s_warehouse):
    request = Request("htn_control_rate", filters_for(s_warehouse, period="last_12_months"), ("district",))
    units, meta = compare_units(s_warehouse, request, "city")
    city = kpi_values(s_warehouse, Request("htn_control_rate", request.filters))["value"].iloc[0]
    outcome = units.set_index("district_code")["outcome"]
    assert outcome["990121"] == "worse"  # 青山县, built to be worse
    assert set(outcome) <= {"better", "similar", "worse", "suppressed"}
    row = units.set_index("district_code").loc["990121"]
    assert row["ci_high"] < city and row["comparator"] == pytest.approx(city)
    assert meta == {"kind": "city", "name": None, "grouped_by": None, "method": "crude"}
    # against its peer group (rural counties) the comparator changes
    peers, meta = compare_units(s_warehouse, request, "peers")
    rural = Request(
        "htn_control_rate", request.filters.replace(district=("990121", "990122", "990123", "990124"))
    )
    assert peers.set_index("district_code").loc["990121", "comparator"] == pytest.approx(
        kpi_values(s_warehouse, rural)["value"].iloc[0]
    )
    assert meta["grouped_by"] == "urban_rural" and set(peers["comparator_group"]) == {"urban", "rural"}


def test_funnel_limits_and_outliers(s_warehouse):
    request = Request("htn_control_rate", filters_for(s_warehouse, period="last_12_months"), ("team",))
    frame, _meta = compare_units(s_warehouse, request, "city")
    units, groups = funnel_groups(frame, REGISTRY["htn_control_rate"], "plain")
    assert {g["group"] for g in groups} == set(units["comparator_group"])  # one funnel per level
    for group in groups:
        low95, high95 = np.array(group["limits"]["95"])
        low998, high998 = np.array(group["limits"]["99.8"])
        assert (low998 <= low95).all() and (high95 <= high998).all()
        assert np.all(np.diff(high95) <= 1e-12)  # limits narrow as the denominator grows
    assert units["outside_95"].any()


def test_trend_marks_a_rising_primary_share(s_warehouse):
    request = Request("primary_care_visit_share", filters_for(s_warehouse, period="all"))
    result = trend(s_warehouse, request, "month")
    assert len(result["series"]) == 36
    assert result["significant"] and result["direction"] == "improving"


def test_standardisation_removes_the_age_effect(s_warehouse):
    request = Request(
        "hospitalization_rate", filters_for(s_warehouse, period="last_12_months"), ("district",)
    )
    table = standardised(s_warehouse, request).set_index("district_code")
    city = kpi_values(s_warehouse, Request("hospitalization_rate", request.filters))["value"].iloc[0]
    gulou = table.loc["990102"]  # the oldest district
    assert gulou["crude"] > city
    assert abs(gulou["adjusted"] - city) < abs(gulou["crude"] - city)
    assert (
        gulou["method"] == "indirect_age_sex"
    )  # a code; the UI words it ("indirect standardisation by age …")
    assert (table["expected"].sum()) == pytest.approx(table["observed"].sum(), rel=1e-9)


def test_standardisation_refuses_non_rates(s_warehouse):
    with pytest.raises(NotApplicable):
        standardised(s_warehouse, Request("drg_surplus", filters_for(s_warehouse), ("district",)))


@pytest.mark.parametrize(
    "kpi", ["primary_care_visit_share", "avg_outpatient_cost", "cmi", "down_referral_share"]
)
@pytest.mark.parametrize("by", [(), ("district",)])
def test_one_scan_comparisons_equal_three_scans(s_warehouse, kpi, by):
    """Current, previous and last-year values from month totals equal the values queried period by period."""
    from dataclasses import replace as dc_replace

    from queries.comparisons import shifted

    request = Request(kpi, filters_for(s_warehouse, period="last_quarter"), by)
    frame = earlier_periods(s_warehouse, request)
    direct = kpi_values(s_warehouse, request)
    columns = ["numerator", "denominator", "value", "ci_low", "ci_high", "suppressed"]
    keys = list(direct.columns[: len(by)])
    assert frame[keys + columns].reset_index(drop=True).equals(direct[keys + columns]) or np.allclose(
        frame[["value", "ci_low", "ci_high"]].to_numpy(dtype=float),
        direct[["value", "ci_low", "ci_high"]].to_numpy(dtype=float),
        equal_nan=True,
        rtol=1e-12,
    )
    for label, months in (("previous", -3), ("last_year", -12)):
        earlier = kpi_values(s_warehouse, dc_replace(request, filters=shifted(request.filters, months)))
        assert np.allclose(
            frame[f"value_{label}"].to_numpy(dtype=float),
            earlier["value"].to_numpy(dtype=float),
            equal_nan=True,
            rtol=1e-12,
        )


@pytest.mark.parametrize("kpi", ["primary_care_visit_share", "htn_control_rate"])
def test_no_comparison_with_a_period_before_the_data(s_warehouse, kpi):
    """The data's first quarter (2023-11 to 2024-01, not a calendar quarter: no 环比): its 同比 lies before
    the data."""
    frame = earlier_periods(
        s_warehouse, Request(kpi, filters_for(s_warehouse, from_month="2023-11", to_month="2024-01"))
    )
    assert np.isnan(frame["value_previous"].iloc[0]) and np.isnan(frame["value_last_year"].iloc[0])


def test_series_from_month_totals_equals_a_month_query(s_warehouse):
    from queries.comparisons import series

    request = Request("primary_care_visit_share", filters_for(s_warehouse, period="last_12_months"))
    earlier_periods(s_warehouse, request)  # fetches the month totals that series() reuses
    reused = series(s_warehouse, request, "month")
    direct = kpi_values(s_warehouse, Request(request.kpi_id, request.filters, (), "month"))
    pd.testing.assert_frame_equal(
        reused.reset_index(drop=True), direct.reset_index(drop=True), check_dtype=False
    )
