"""Every KPI of the registry against the hand-made warehouse (tests/support/mini_warehouse.py), answers by
hand."""

from __future__ import annotations

import math

import pyarrow as pa
import pytest

from dashboard.core.cache import standalone_cache
from queries.execution import kpi_values
from queries.kpi.builder import NotApplicable, Request, Warehouse, build_plan
from queries.kpi.catalog import get_catalog
from queries.kpi.registry import REGISTRY
from queries.selection import filters_for
from tests.support import raises_saying
from tests.support.mini_warehouse import TABLES, build_mini_warehouse


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


# 按政策测算 under the shipped policy file's 2025 entry (data/policy/drg_policy.toml): base rate 10400, level
# coefficients tertiary 1.08 (H1) and secondary 0.96 (H2), k_high 2 with a 0.9 top-up, low outliers at cost;
# BR25 weighs 1, FM19 3 (dim_drg). Cases of tests/support/mini_warehouse.py's DRG section.
H1_BR25, H2_BR25, H1_FM19 = 1.0 * 10400 * 1.08, 1.0 * 10400 * 0.96, 3.0 * 10400 * 1.08
POLICY_PAYMENT_2025 = (
    4 * H1_BR25  # cases 1, 3, 8, 12
    + H1_BR25
    + 0.9 * (23000 - 2 * 8000)  # case 7, a high outlier: the top-up on its cost above 2 × BR25's mean 8000
    + 2 * H1_FM19  # cases 2, 9
    + 5 * H2_BR25  # cases 4, 10, 11, 13, 14
    + 2000  # case 5, a low outlier, paid at cost
)

# (kpi, expected value over 2025) — worked out by hand from the rows in tests/support/mini_warehouse.py
WHOLE_PERIOD = [
    ("visit_count", 8),  # visit 9 is in 2024
    ("primary_care_visit_share", 4 / 8),  # visits 1, 3, 5, 7 of 8 are at P1 / P2
    # C's visit 6 at H1 (D1) leaves C's district D2; of the admissions of cases 7-14, F's 10 at H2 and G's 12 at H1
    ("in_county_visit_rate", (13 + 6) / (14 + 8)),
    ("visits_per_capita", 8 / 150),  # 8 visits / 150 person-years (2025 fully in the period)
    ("hospitalization_rate", (6 + 8) / 150 * 100),  # cases 1-6 and 7-14
    ("avg_outpatient_cost", (100 + 300 + 500 + 60 + 400 + 200) / 6),  # outpatient + emergency only
    ("avg_inpatient_cost", (71000 + 106000) / 14),
    ("alos", (31 + 38) / 14),
    ("insurance_share", (736 + 40000 + 66000) / (1660 + 71000 + 106000)),
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
    ("discharges", 14),
    ("drg_grouping_rate", 13 / 14),  # case 6 is not grouped
    ("drg_group_count", 2),
    ("drg_total_weight", 11 * 1.0 + 2 * 3.0),  # BR25 × 11, FM19 × 2
    ("cmi", 17 / 13),
    # region-wide, an efficiency index is 1 by construction (outliers 5 and 7 left out of both sides)
    ("cost_efficiency_index", 1.0),
    ("time_efficiency_index", 1.0),
    ("low_risk_mortality", 1 / 11),  # case 5 died in BR25 (low risk), 11 cases in BR25
    # payment − cost of grouped cases 1-5 and 7-14 (see the DRG section below)
    ("drg_surplus", -1000 - 4000 + 3000 + 1000 + 0 - 3000 + 2000 - 8000 + 1000 + 3000 + 0 + 5000 + 4000),
    ("drg_surplus_per_case", 3000 / 13),
    ("drg_payment_ratio", 175000 / 172000),
    ("drg_payment_settled", 175000),
    ("drg_payment_policy", POLICY_PAYMENT_2025),
    ("high_cost_outlier_share", 1 / 13),  # case 7: 23000 > 2 × 8000, BR25's mean in 2025
    ("low_cost_outlier_share", 1 / 13),  # case 5: 2000 < 0.5 × 8000
    ("readmission_rate", 3 / 13),  # 2 -> 3, 4 -> 5, 12 -> 13 of the 13 discharges that did not die
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
        ("in_county_visit_rate", "district", {"D1": 10 / 11, "D2": 9 / 11}),
        ("visits_per_capita", "district", {"D1": 4 / 100, "D2": 4 / 50}),
        ("hospitalization_rate", "district", {"D1": 7.0, "D2": 14.0}),  # A 1, B 2, F 4; C 2, E 1, G 4
        ("contracted_stickiness", "team", {"T1": 2 / 4, "T2": 1 / 3}),
        ("down_referral_share", "institution", {"H1": 1 / 1, "H2": 1 / 2, "P1": 0 / 1, "P2": 0 / 2}),
        ("cmi", "institution", {"H1": 11 / 7, "H2": 1.0}),
        # without outliers 5 and 7: BR25 7000 and 4 days, FM19 42000 and 10 days (the DRG section below)
        ("cost_efficiency_index", "institution", {"H1": 23 / 21, "H2": 31 / 35}),
        ("time_efficiency_index", "institution", {"H1": 25 / 24, "H2": 19 / 20}),
        ("drg_surplus", "institution", {"H1": -11000, "H2": 14000}),
        ("drg_group_count", "institution", {"H1": 2, "H2": 1}),
        ("capitation_spend_rate", "institution", {"P1": 500 / 1000, "P2": 236 / 500}),
        ("primary_care_visit_share", "age_band", {"15-34": 1 / 2, "35-44": 1 / 2, "65-74": 2 / 4}),
        ("primary_care_visit_share", "icd_chapter", {"IX": 3 / 3, "IV": 1 / 1, "X": 0 / 2, "XI": 0 / 2}),
        ("primary_care_visit_share", "doctor", {"DR1": 0.0, "DR2": 1.0, "DR3": 1.0, "DR4": 0.0}),
        ("visit_count", "visit_type", {"outpatient": 5, "emergency": 1, "home": 1, "online": 1}),
        # bands are [lower, upper): BR25 (weight 1.0) ×11 in 1-2, FM19 (3.0) ×2 in 2-5, case 6 ungrouped
        ("discharges", "weight_band", {"1-2": 11, "2-5": 2, "ungrouped": 1}),
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


@pytest.mark.parametrize("kpi", ["htn_control_rate", "dm_control_rate"])
def test_control_needs_a_quarter(mini, kpi):
    """A follow-up is due each quarter: under three months most patients have none yet and would count as not
    controlled, so the control rate has no value there (as standardised management)."""
    with raises_saying(NotApplicable, "needs a period of at least 3 whole months"):
        value(mini, kpi, from_month="2025-11", to_month="2025-12")


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
    # a true zero is not suppressed: nobody died in BR25 at H1 (cases 1, 3, 7, 8, 12)
    zero = kpi_values(
        mini, Request("low_risk_mortality", filters_for(mini, period="all", institution="H1")), threshold=5
    )
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


# --- DRG, settlement and readmission (issue 12): the DRG section of tests/support/mini_warehouse.py ---------


def _numerator(url, kpi, first, last, **filters) -> float:
    frame = kpi_values(
        url, Request(kpi, filters_for(url, from_month=first, to_month=last, **filters)), threshold=1
    )
    return float(frame["numerator"].iloc[0])


@pytest.mark.parametrize(("kpi", "month"), [("high_cost_outlier_share", 7), ("low_cost_outlier_share", 5)])
def test_outliers_add_up_month_by_month(mini, kpi, month):
    """An outlier is judged by its group's mean over all of 2025, whatever window is asked: case 7 (July) and
    case 5 (May) are outliers in their month's view as in the year's, so twelve months add up to the year."""
    by_month = {m: _numerator(mini, kpi, f"2025-{m:02d}", f"2025-{m:02d}") for m in range(1, 13)}
    assert by_month == {m: float(m == month) for m in range(1, 13)}
    quarters = [_numerator(mini, kpi, f"2025-{m:02d}", f"2025-{m + 2:02d}") for m in (1, 4, 7, 10)]
    assert sum(quarters) == sum(by_month.values()) == _numerator(mini, kpi, "2025-01", "2025-12") == 1


def test_outliers_are_judged_by_the_whole_region_whatever_the_filters(mini):
    # H1 alone: BR25 there costs 10000, 6000, 23000, 7000, 9000 (mean 11000): case 7 is still judged by 8000
    assert value(mini, "high_cost_outlier_share", institution="H1") == pytest.approx(1 / 7)
    assert value(mini, "low_cost_outlier_share", institution="H2") == pytest.approx(1 / 6)  # case 5


def test_efficiency_indices_leave_outliers_out_of_the_case_counts(mini):
    frame = kpi_values(
        mini, Request("cost_efficiency_index", filters_for(mini, period="all"), ("institution",)), threshold=1
    )
    # H1 keeps cases 1, 2, 3, 8, 9, 12 (not 7); H2 keeps 4, 10, 11, 13, 14 (not 5)
    assert dict(zip(frame["institution_id"], frame["denominator"], strict=True)) == {"H1": 6, "H2": 5}
    # H1: BR25 (10000 + 6000 + 7000 + 9000) / 7000 and FM19 (40000 + 44000) / 42000 over 6 cases
    assert value(mini, "cost_efficiency_index", institution="H1") == pytest.approx((32000 / 7000 + 2) / 6)


@pytest.mark.parametrize(
    ("institution", "expected"),
    [
        ("H1", 2 / 7),  # 2 -> 3 and 12 -> 13 (at H2: any institution); 7 -> 8 planned; 9 transferred out
        (
            "H2",
            1 / 6,
        ),  # 4 -> 5; case 5 died (not in the denominator); 11 -> 12 another chapter; 13 -> 14 32 days
    ],
)
def test_readmission_is_the_national_unplanned_indicator(mini, institution, expected):
    assert value(mini, "readmission_rate", institution=institution) == pytest.approx(expected)


def test_payments_settled_and_by_the_policy(mini):
    settled = value(mini, "drg_payment_settled", by=("institution",))
    assert settled == pytest.approx(
        {"H1": 9000 + 36000 + 9000 + 20000 + 9000 + 36000 + 9000, "H2": 6 * 9000 - 7000}
    )
    policy = value(mini, "drg_payment_policy", by=("institution",))
    assert policy == pytest.approx({"H1": 5 * H1_BR25 + 0.9 * 7000 + 2 * H1_FM19, "H2": 5 * H2_BR25 + 2000})
    assert value(mini, "drg_surplus_per_case", by=("institution",)) == pytest.approx(
        {"H1": -11000 / 7, "H2": 14000 / 6}
    )


@pytest.fixture(scope="module")
def mini_without_optional_columns(tmp_path_factory):
    """The mini warehouse as a real extract without 病案首页 columns or institution types."""
    import duckdb

    from dashboard.core.schema import OPTIONAL_COLUMNS

    path = tmp_path_factory.mktemp("bare") / "bare.duckdb"
    build_mini_warehouse(path)
    with duckdb.connect(str(path)) as conn:
        for table, column in OPTIONAL_COLUMNS:
            conn.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    return f"duckdb:///{path}"


def test_a_warehouse_without_the_optional_columns(mini_without_optional_columns):
    url = mini_without_optional_columns
    assert get_catalog(url).optional_columns == frozenset()
    # no planned readmission recorded: 7 -> 8 counts too
    assert value(url, "readmission_rate") == pytest.approx(4 / 13)
    for kpi, expected in WHOLE_PERIOD:
        if kpi != "readmission_rate":
            assert value(url, kpi) == pytest.approx(expected, rel=1e-9), kpi


@pytest.fixture(scope="module")
def mini_without_risk_levels(tmp_path_factory):
    tables = dict(TABLES)
    drg = TABLES["dim_drg"]
    index = drg.schema.get_field_index("risk_level")
    tables["dim_drg"] = drg.set_column(index, "risk_level", pa.nulls(len(drg), pa.string()))
    return build_mini_warehouse(tmp_path_factory.mktemp("norisk") / "norisk.duckdb", tables)


def test_risk_levels_derived_where_the_catalogue_has_none(mini_without_risk_levels):
    url = mini_without_risk_levels
    assert get_catalog(url).derived_risk_versions == {"test-v1"}
    # FM19 has no deaths: low. BR25 (1 death in 11) is the only group with deaths, so its z-score is 0, at
    # the mean: mid_high with the cut points -1, 0, 1. Low-risk mortality is then FM19's 0 deaths in 2 cases.
    frame = kpi_values(url, Request("low_risk_mortality", filters_for(url, period="all")), threshold=1)
    assert (frame["numerator"].iloc[0], frame["denominator"].iloc[0]) == (0, 2)
