"""Every KPI of the registry against the hand-made warehouse (tests/support/mini_warehouse.py), answers by
hand."""

from __future__ import annotations

import math

import pytest

from dashboard.core.cache import standalone_cache
from queries.execution import kpi_values
from queries.kpi.builder import NotApplicable, Request, Warehouse, build_plan
from queries.kpi.catalog import get_catalog
from queries.kpi.registry import REGISTRY
from queries.selection import filters_for
from tests.support import raises_saying
from tests.support.mini_warehouse import build_mini_warehouse


@pytest.fixture(scope="module")
def mini(tmp_path_factory):
    standalone_cache(None)
    return build_mini_warehouse(tmp_path_factory.mktemp("mini") / "mini.duckdb")


def value(url, kpi, by=(), threshold=1, **filters):
    period = filters.pop("period", "all")
    frame = kpi_values(
        url, Request(kpi, filters_for(url, period=period, **filters), tuple(by)), threshold=threshold
    )
    if not by:
        return float(frame["value"].iloc[0])
    return {row[0]: row[1] for row in frame[[frame.columns[0], "value"]].itertuples(index=False)}


# (kpi, expected value over 2025) — worked out by hand from the rows in tests/support/mini_warehouse.py
WHOLE_PERIOD = [
    ("visit_count", 8),  # visit 9 is in 2024
    ("primary_care_visit_share", 4 / 8),  # visits 1, 3, 5, 7 of 8 are at P1 / P2
    ("in_county_visit_rate", 13 / 14),  # only C's visit 6 at H1 (D1) leaves C's district D2
    ("visits_per_capita", 8 / 150),  # 8 visits / 150 person-years (2025 fully in the period)
    ("hospitalization_rate", 6 / 150 * 100),
    ("avg_outpatient_cost", (100 + 300 + 500 + 60 + 400 + 200) / 6),  # outpatient + emergency only
    ("avg_inpatient_cost", 71000 / 6),
    ("alos", 31 / 6),
    ("insurance_share", (736 + 40000) / (1660 + 71000)),
    ("contract_coverage", 3 / 150),  # A, B, E hold a contract on 2025-12-31; C's ended 2025-11-30
    ("priority_contract_coverage", 3 / 4),  # A (htn), B (70), C (dm), E (73) are priority; C not covered
    (
        "contract_renewal_rate",
        2 / 4,
    ),  # contracts 1, 3, 5, 6 end in 2025; 1 (next day) and 6 (46 days) renewed
    ("contracted_stickiness", 3 / 7),  # visit 7 is outside any contract; 1, 3, 5 at the own team's centre
    ("up_referrals", 4),
    ("down_referrals", 2),
    ("down_referral_share", 2 / 6),
    ("referral_completion_rate", 3 / 5),  # referral 5 was cancelled
    ("referral_count", 6),
    ("referral_completion_days", (1 + 8 + 2) / 3),  # referrals 1, 2, 3 completed after 1, 8 and 2 days
    ("htn_management_rate", 3 / (80 * 0.06 + 20 * 0.55 + 40 * 0.06 + 10 * 0.55)),  # A, B, E / estimated
    ("dm_management_rate", 1 / (80 * 0.025 + 20 * 0.22 + 40 * 0.025 + 10 * 0.22)),  # B's diabetes ended 2024
    # a year needs 4 face-to-face follow-ups: A had 4 follow-ups but the August one by phone (3 face to face),
    # B 2 (registered in May), E 1 (left in March); all three are in the denominator
    ("htn_standardized_management_rate", 0 / 3),
    ("htn_control_rate", 2 / 3),  # A's latest reading 142/85 is not controlled, though two earlier were
    ("dm_standardized_management_rate", 1.0),  # C, registered in February: clinic, clinic, home, clinic
    ("dm_control_rate", 1.0),  # C's latest glucose 6.2
    ("discharges", 6),
    ("drg_grouping_rate", 5 / 6),
    ("drg_group_count", 2),
    ("drg_total_weight", 7.0),
    ("cmi", 7 / 5),
    ("cost_efficiency_index", 1.0),  # region-wide, the index is 1 by construction
    ("time_efficiency_index", 1.0),
    ("low_risk_mortality", 1 / 4),  # case 5 died in BR25 (low risk), 4 cases in BR25
    ("drg_surplus", -1000 - 4000 + 3000 + 1000 + 0),
    # grouped cases 1-5 paid 9000 + 36000 + 9000 + 9000 + 2000 against costs 10000 + 40000 + 6000 + 8000 + 2000
    ("drg_payment_ratio", 65000 / 66000),
    ("high_cost_outlier_share", 0 / 5),
    ("low_cost_outlier_share", 1 / 5),  # case 5 costs 2000 < 0.5 × 6500, BR25's mean
    ("readmission_rate", 2 / 6),  # case 2 -> 3 after 9 days, case 4 -> 5 after 27 days
    ("capitation_spend_rate", (60 + 150 + 40 + 250 + 36 + 200) / 1500),  # E is uninsured
]


def test_every_registry_kpi_is_worked_by_hand():
    assert {k for k, _ in WHOLE_PERIOD} == set(REGISTRY)


@pytest.mark.parametrize(("kpi", "expected"), WHOLE_PERIOD)
def test_kpi_over_the_whole_period(mini, kpi, expected):
    assert value(mini, kpi) == pytest.approx(expected, rel=1e-9)


def test_ratio_of_sums_not_mean_of_ratios(mini):
    by_district = value(mini, "primary_care_visit_share", by=("district",))
    assert by_district == pytest.approx({"D1": 2 / 5, "D2": 2 / 3})
    assert value(mini, "primary_care_visit_share") == pytest.approx(0.5)
    assert sum(by_district.values()) / 2 != pytest.approx(0.5)


@pytest.mark.parametrize(
    ("kpi", "by", "expected"),
    [
        ("in_county_visit_rate", "district", {"D1": 7 / 7, "D2": 6 / 7}),
        ("visits_per_capita", "district", {"D1": 4 / 100, "D2": 4 / 50}),
        ("hospitalization_rate", "district", {"D1": 3.0, "D2": 6.0}),
        ("contracted_stickiness", "team", {"T1": 2 / 4, "T2": 1 / 3}),
        ("down_referral_share", "institution", {"H1": 1 / 1, "H2": 1 / 2, "P1": 0 / 1, "P2": 0 / 2}),
        ("cmi", "institution", {"H1": 5 / 3, "H2": 1.0}),
        (
            "cost_efficiency_index",
            "institution",
            {"H1": (10000 / 6500 + 1 + 6000 / 6500) / 3, "H2": (8000 / 6500 + 2000 / 6500) / 2},
        ),
        (
            "time_efficiency_index",
            "institution",
            {"H1": (5 / 3.5 + 1 + 4 / 3.5) / 3, "H2": (3 / 3.5 + 2 / 3.5) / 2},
        ),
        ("drg_surplus", "institution", {"H1": -2000, "H2": 1000}),
        ("drg_group_count", "institution", {"H1": 2, "H2": 1}),
        ("capitation_spend_rate", "institution", {"P1": 500 / 1000, "P2": 236 / 500}),
        ("primary_care_visit_share", "age_band", {"15-34": 1 / 2, "35-44": 1 / 2, "65-74": 2 / 4}),
        ("primary_care_visit_share", "icd_chapter", {"IX": 3 / 3, "IV": 1 / 1, "X": 0 / 2, "XI": 0 / 2}),
        ("primary_care_visit_share", "doctor", {"DR1": 0.0, "DR2": 1.0, "DR3": 1.0, "DR4": 0.0}),
        ("visit_count", "visit_type", {"outpatient": 5, "emergency": 1, "home": 1, "online": 1}),
        # bands are [lower, upper): BR25 (weight 1.0) ×4 in 1-2, FM19 (3.0) in 2-5, case 6 ungrouped
        ("discharges", "weight_band", {"1-2": 4, "2-5": 1, "ungrouped": 1}),
        ("visit_count", "residence_district", {"D1": 4, "D2": 4}),  # A, B live in D1; C, E in D2
        ("referral_count", "to_level", {"tertiary": 2, "chc": 1, "secondary": 2, "thc": 1}),
        # managed hypertension patients by follow-ups in 2025: A 4 (latest 142/85), B 2, E 1 (both controlled)
        # (face-to-face follow-ups: A's phone call does not count)
        ("htn_control_rate", "followups", {3: 0.0, 2: 1.0, 1: 1.0}),
    ],
)
def test_kpi_by_dimension(mini, kpi, by, expected):
    assert value(mini, kpi, by=(by,)) == pytest.approx(expected)


def test_flows_between_residence_and_place_of_care(mini):
    frame = kpi_values(
        mini,
        Request("visit_count", filters_for(mini, period="all"), ("residence_district", "district")),
        threshold=1,
    )
    flows = {(r.res_district, r.district_code): r.value for r in frame.itertuples()}
    assert flows == {("D1", "D1"): 4, ("D2", "D2"): 3, ("D2", "D1"): 1}  # C's visit 6 at H1


def test_days_to_completion_count_completed_referrals_only(mini):
    days = value(mini, "referral_completion_days", by=("institution",))
    assert {k: v for k, v in days.items() if not math.isnan(v)} == {"P1": 1.0, "H1": 8.0, "P2": 2.0}
    assert math.isnan(days.get("H2", math.nan))  # H2's referrals are pending or rejected: no days to average


def test_managed_across_a_period_boundary(mini):
    # From April, E (managed until 2025-03-31) drops out; the window touches 3 quarters.
    # 9 months need 3 face-to-face follow-ups: A has May and November (August was a phone call), B June, September
    assert value(mini, "htn_standardized_management_rate", from_month="2025-04", to_month="2025-12") == 0 / 2
    assert value(mini, "htn_control_rate", from_month="2025-04", to_month="2025-12") == 1 / 2
    assert value(mini, "htn_control_rate", from_month="2025-01", to_month="2025-03") == pytest.approx(1 / 2)


def test_empty_selection_is_no_data_not_an_error(mini):
    frame = kpi_values(
        mini,
        Request("primary_care_visit_share", filters_for(mini, period="all", district="D2", icd_code="J06.9")),
        threshold=1,
    )
    assert frame["numerator"].iloc[0] == 0 and frame["denominator"].iloc[0] == 0
    assert math.isnan(frame["value"].iloc[0])


def test_small_numbers_are_suppressed_never_zero(mini):
    frame = kpi_values(mini, Request("low_risk_mortality", filters_for(mini, period="all")))
    row = frame.iloc[0]
    assert bool(row["suppressed"]) and math.isnan(row["value"]) and math.isnan(row["numerator"])
    # a true zero is not suppressed: nobody died in FM19 (high risk is not in the low-risk KPI at all)
    zero = kpi_values(mini, Request("high_cost_outlier_share", filters_for(mini, period="all")), threshold=5)
    assert zero["value"].iloc[0] == 0 and not zero["suppressed"].iloc[0]


def test_time_grain_per_quarter(mini):
    frame = kpi_values(
        mini, Request("up_referrals", filters_for(mini, period="all"), (), "quarter"), threshold=1
    )
    # referrals 1 and 3 in Q1, 5 on 06-30, 6 on 07-05; none in Q4, which shows as 0, not as a gap
    assert dict(zip(frame["quarter"].astype(str), frame["value"], strict=True)) == {
        "2025-01-01": 2,
        "2025-04-01": 1,
        "2025-07-01": 1,
        "2025-10-01": 0,
    }
    coverage = kpi_values(
        mini, Request("contract_coverage", filters_for(mini, period="all"), (), "quarter"), threshold=1
    )
    # at each quarter's end: Q1 A, B, C (E's ended 04-30 is still active 03-31) -> 4; Q2 A, B(to 07-31), C, E
    assert list(coverage["value"] * 150) == pytest.approx([4, 4, 3, 3])


def test_rollups_and_facts_agree(mini):
    catalog = get_catalog(mini)
    filters = filters_for(mini, period="all")
    assert build_plan(
        REGISTRY["primary_care_visit_share"],
        Request("primary_care_visit_share", filters, ("doctor",)),
        catalog.warehouse,
    ).relations == ("agg_visit_org",)
    both = Request("primary_care_visit_share", filters, ("doctor", "age_band"))
    assert build_plan(REGISTRY["primary_care_visit_share"], both, catalog.warehouse).relations == (
        "fact_visit",
    )
    detailed = kpi_values(mini, both, threshold=1)
    assert detailed["numerator"].sum() == 4 and detailed["denominator"].sum() == 8
    without_rollups = build_plan(
        REGISTRY["primary_care_visit_share"],
        Request("primary_care_visit_share", filters, ("doctor",)),
        Warehouse(rollups=frozenset()),
    )
    assert without_rollups.relations == ("fact_visit",)


def test_residence_kpis_refuse_institution_breakdowns(mini):
    with raises_saying(NotApplicable, "residence-based"):
        value(mini, "visits_per_capita", by=("institution",))
    with pytest.raises(NotApplicable):
        value(mini, "hospitalization_rate", by=("insurance_type",))


def test_unknown_codes_and_values_are_clear_errors(mini):
    from dashboard.core.errors import UserFacingError

    with raises_saying(UserFacingError, "unknown district ZZ"):
        filters_for(mini, district="ZZ")
    with raises_saying(UserFacingError, "level must be one of"):
        filters_for(mini, level="hospital")
    with raises_saying(UserFacingError, "not a month"):
        filters_for(mini, from_month="2025-13")
    with raises_saying(UserFacingError, "unknown KPI"):
        value(mini, "happiness")


def _fraction(url, kpi, **filters) -> tuple[float, float]:
    frame = kpi_values(url, Request(kpi, filters_for(url, **filters)), threshold=1)
    return float(frame["numerator"].iloc[0]), float(frame["denominator"].iloc[0])


def test_standardised_management_asks_one_face_to_face_follow_up_per_three_whole_months(mini):
    """⌊m/3⌋ face-to-face follow-ups in m whole months (DOMAIN.md §4); under three months there is no value."""
    htn, dm = "htn_standardized_management_rate", "dm_standardized_management_rate"
    # a year needs 4: A had four follow-ups, but August's was a phone call
    assert _fraction(mini, htn, from_month="2025-01", to_month="2025-12") == (0, 3)
    # half a year needs 2: A (February, May) yes; B (registered in May: June) no; E (January, left in March) no
    assert _fraction(mini, htn, from_month="2025-01", to_month="2025-06") == (1, 3)
    # a quarter needs 1: A (November) yes; B (nothing from October to December) no; E no longer managed
    assert _fraction(mini, htn, from_month="2025-10", to_month="2025-12") == (1, 2)
    # nine whole months ask for 3 however they fall on quarters: February to October touches four quarters (the
    # old rule asked for 4) and holds C's March, June and September follow-ups
    assert _fraction(mini, dm, from_month="2025-02", to_month="2025-10") == (1, 1)
    # ten months still ask for 3, eleven too; a year asks for 4: C's from March to December are four
    assert _fraction(mini, dm, from_month="2025-03", to_month="2025-12") == (1, 1)
    assert _fraction(mini, dm, from_month="2025-01", to_month="2025-12") == (1, 1)
    with raises_saying(NotApplicable, "needs a period of at least 3 whole months"):
        value(mini, htn, from_month="2025-11", to_month="2025-12")
