"""Local DRG policy as data: the shipped file covers the demo years, and a malformed file is one clear
error."""

from __future__ import annotations

import pytest

from dashboard.core.policy import DEFAULT_POLICY_FILE, PolicyError, parse_policy
from tests.support import POLICY_ENTRY as ENTRY
from tests.support import raises_saying


def test_the_shipped_policy_covers_the_demo_years():
    book = parse_policy(DEFAULT_POLICY_FILE.read_bytes(), "shipped")
    assert {2023, 2024, 2025, 2026} <= set(book.years)
    assert {p.grouper_version for p in book.years.values()} == {"chs-drg-1.1-demo"}
    assert book.for_year(2025).k_high == 2.0 and book.for_year(2025).readmission_days == 31


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("policy = [", "not valid TOML"),
        ("[other]\nx = 1", "no [[policy]] entries"),
        (
            ENTRY.format(year=2025, k_high=2.0, days=31).replace("base_rate = 10000\n", ""),
            "missing base_rate",
        ),
        (ENTRY.format(year=2025, k_high=0.8, days=31), "0 < k_low < 1 < k_high"),
        (ENTRY.format(year=2025, k_high="'two'", days=31), "entry 1"),
        (ENTRY.format(year=2025, k_high=2.0, days=0), "readmission_days must be positive"),
        (ENTRY.format(year=2025, k_high=2.0, days=31) * 2, "year 2025 appears twice"),
        (
            ENTRY.format(year=2025, k_high=2.0, days=31).replace("[-1.0, 0.0, 1.0]", "[1.0, 0.0]"),
            "three increasing numbers",
        ),
        (
            ENTRY.format(year=2025, k_high=2.0, days=31)
            + ENTRY.format(year=2024, k_high=2.0, days=31).replace("测试市", "别的市"),
            "one file per pooling region",
        ),
        (ENTRY.format(year=2025, k_high=2.0, days=31).replace("thc = 1.0, ", ""), "level_coefficients"),
        (
            ENTRY.format(year=2025, k_high=2.0, days=31) + 'low_outlier_payment = "half"\n',
            "low_outlier_payment must be one of cost, standard",
        ),
    ],
)
def test_a_malformed_policy_file_is_one_clear_error(text, message):
    with raises_saying(PolicyError, message):
        parse_policy(text.encode(), "policy.toml")


def test_low_outliers_are_paid_at_cost_unless_the_file_says_otherwise():
    entry = ENTRY.format(year=2025, k_high=2.0, days=31)
    assert parse_policy(entry.encode()).for_year(2025).low_outlier_payment == "cost"
    stated = entry + 'low_outlier_payment = "standard"\n'
    assert parse_policy(stated.encode()).for_year(2025).low_outlier_payment == "standard"


def test_a_year_the_file_does_not_cover_names_no_server_path():
    from dashboard.ui.words import tell

    book = parse_policy(ENTRY.format(year=2025, k_high=2.0, days=31).encode(), "/srv/secret/policy.toml")
    with pytest.raises(PolicyError) as caught:
        book.for_year(2020)
    assert "/srv" not in tell(caught.value, "zh") and "2020" in tell(caught.value, "en")


def test_the_capitation_warning_line_is_an_optional_validated_key():
    # Issue 12, item 10: a file without the key stays valid (default 85%); a given line is a share in (0, 1)
    entry = ENTRY.format(year=2025, k_high=2.0, days=31)
    assert parse_policy(entry.encode()).for_year(2025).capitation_warning_line == 0.85
    book = parse_policy((entry + "capitation_warning_line = 0.9\n").encode())
    assert book.for_year(2025).capitation_warning_line == 0.9
    assert parse_policy(DEFAULT_POLICY_FILE.read_bytes()).for_year(2026).capitation_warning_line == 0.85
    for bad in ("1.2", "0", "true", "'high'"):
        with raises_saying(PolicyError, "capitation_warning_line"):
            parse_policy((entry + f"capitation_warning_line = {bad}\n").encode(), "policy.toml")
