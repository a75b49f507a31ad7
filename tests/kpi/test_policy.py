"""Local DRG policy on the hand-made warehouse: replacing the file changes the results (and their cache
keys), a year it does not cover is a clear error, and grouper versions are never averaged together."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from dashboard.core.cache import standalone_cache
from dashboard.core.errors import UserFacingError
from dashboard.core.policy import DEFAULT_POLICY_FILE, get_policy
from queries.comparisons import earlier_periods
from queries.execution import kpi_values
from queries.kpi.builder import NotApplicable, Request
from queries.selection import filters_for
from tests.support import POLICY_ENTRY as ENTRY
from tests.support import raises_saying
from tests.support.mini_warehouse import TABLES, build_mini_warehouse


@pytest.fixture(autouse=True)
def _no_cache():
    standalone_cache(None)


@pytest.fixture(scope="module")
def mini(tmp_path_factory):
    return build_mini_warehouse(tmp_path_factory.mktemp("policy") / "mini.duckdb")


def _use(monkeypatch, tmp_path, text: str):
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv("DASHBOARD_POLICY_FILE", str(path))
    return path


def _value(url, kpi, **filters):
    period = filters.pop("period", "all")
    request = Request(kpi, filters_for(url, period=period, **filters))
    return float(kpi_values(url, request, threshold=1)["value"].iloc[0])


def test_replacing_the_policy_file_changes_the_results(mini, monkeypatch, tmp_path):
    # the shipped policy: k_high 2.0 (case 7 only), readmission within 31 days (2 -> 3, 4 -> 5, 12 -> 13)
    assert _value(mini, "high_cost_outlier_share") == pytest.approx(1 / 13)
    assert _value(mini, "readmission_rate") == pytest.approx(3 / 13)
    shipped = get_policy().fingerprint
    # the region lowers k_high to 1.1 and counts readmissions within 14 days
    _use(monkeypatch, tmp_path, ENTRY.format(year=2025, k_high=1.1, days=14))
    assert get_policy().fingerprint != shipped
    # cases 1, 7 and 12 cost more than 1.1 × 8000 (BR25's mean); FM19's 40000 and 44000 stay under 1.1 × 42000
    assert _value(mini, "high_cost_outlier_share") == pytest.approx(3 / 13)
    assert _value(mini, "readmission_rate") == pytest.approx(
        1 / 13
    )  # 9 days still counts; 27 and 31 no longer


def test_a_year_the_policy_does_not_cover_is_a_clear_error(mini, monkeypatch, tmp_path):
    _use(monkeypatch, tmp_path, ENTRY.format(year=2024, k_high=2.0, days=31))
    with raises_saying(UserFacingError, "no entry for 2025"):
        _value(mini, "high_cost_outlier_share")
    assert _value(mini, "cmi") == pytest.approx(17 / 13)  # KPIs that need no policy are unaffected


def test_a_missing_policy_file_is_a_clear_error(mini, monkeypatch, tmp_path):
    monkeypatch.setenv("DASHBOARD_POLICY_FILE", str(tmp_path / "gone.toml"))
    with raises_saying(UserFacingError, "no policy file at"):
        _value(mini, "readmission_rate")


@pytest.fixture(scope="module")
def two_versions(tmp_path_factory):
    """The mini warehouse with the cases discharged from April 2025 regrouped under a second version."""
    cases = TABLES["fact_inpatient"]
    later = pc.and_(
        pc.greater_equal(cases["discharge_date"], pa.scalar(pa.scalar("2025-04-01").cast(pa.date32()))),
        pc.is_valid(cases["drg_code"]),
    )
    version = pc.if_else(later, pa.scalar("test-v2"), cases["grouper_version"])
    tables = dict(TABLES)
    tables["fact_inpatient"] = cases.set_column(
        cases.schema.get_field_index("grouper_version"), "grouper_version", version
    )
    drg = TABLES["dim_drg"]
    v2 = drg.set_column(
        drg.schema.get_field_index("grouper_version"), "grouper_version", pa.array(["test-v2"] * len(drg))
    )
    tables["dim_drg"] = pa.concat_tables([drg, v2])
    return build_mini_warehouse(tmp_path_factory.mktemp("versions") / "two.duckdb", tables)


def test_grouper_versions_are_never_averaged(two_versions):
    with raises_saying(NotApplicable, "test-v1, test-v2"):
        _value(two_versions, "cmi")
    # within one version the result stands: cases 1, 2, 3 (weights 1 + 3 + 1) are all test-v1
    assert _value(two_versions, "cmi", from_month="2025-01", to_month="2025-03") == pytest.approx(5 / 3)
    by_version = kpi_values(
        two_versions,
        Request("cmi", filters_for(two_versions, period="all"), ("grouper_version",)),
        threshold=1,
    )
    grouped = by_version.dropna(subset=["grouper_version"])  # case 6 was not grouped: it has no version
    # test-v2: BR25 × 9 (cases 4, 5, 7, 8, 10-14) and FM19 (case 9)
    assert dict(zip(grouped["grouper_version"], grouped["value"], strict=True)) == pytest.approx(
        {"test-v1": 5 / 3, "test-v2": 12 / 10}
    )
    # KPIs that do not depend on the grouping still cover the whole period
    assert _value(two_versions, "alos") == pytest.approx(69 / 14)


def test_comparisons_refuse_a_period_across_versions(two_versions):
    request = Request("cmi", filters_for(two_versions, from_month="2025-02", to_month="2025-05"))
    with raises_saying(NotApplicable, "grouper versions"):
        earlier_periods(two_versions, request)


def test_editing_the_base_rate_changes_the_policy_estimate_not_what_was_settled(mini, monkeypatch, tmp_path):
    """按政策测算 follows the file; 实际结算 is the warehouse's drg_payment (tests/kpi/test_values.py works both
    by hand: 181772 and 175000 under the shipped file)."""
    assert _value(mini, "drg_payment_policy") == pytest.approx(181772)
    shipped = DEFAULT_POLICY_FILE.read_text(encoding="utf-8")
    assert "base_rate = 10400" in shipped  # the 2025 entry
    _use(monkeypatch, tmp_path, shipped.replace("base_rate = 10400", "base_rate = 20800"))
    # the standards double (173472 -> 346944); case 7's top-up (6300) and case 5 paid at cost (2000) do not
    assert _value(mini, "drg_payment_policy") == pytest.approx(2 * 173472 + 6300 + 2000)
    assert _value(mini, "drg_payment_settled") == pytest.approx(175000)


def test_low_outliers_paid_as_the_file_states(mini, monkeypatch, tmp_path):
    shipped = DEFAULT_POLICY_FILE.read_text(encoding="utf-8")
    stated = shipped.replace("year = 2025\n", 'year = 2025\nlow_outlier_payment = "standard"\n')
    _use(monkeypatch, tmp_path, stated)
    # case 5 (H2, BR25) is paid its standard 10400 × 0.96 instead of its cost 2000
    assert _value(mini, "drg_payment_policy") == pytest.approx(181772 - 2000 + 10400 * 0.96)
