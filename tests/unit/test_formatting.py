"""Number formatting: large numbers in 万 and 亿, integers and yuan."""

from __future__ import annotations

import pytest

from dashboard.ui.formatting import format_int, format_large, format_yuan


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0"),
        (9_999, "9,999"),
        (10_000, "1.0万"),
        (5_191_585, "519.2万"),
        (312_000_000, "3.1亿"),
        (-25_000, "-2.5万"),
    ],
)
def test_format_large(value, text):
    assert format_large(value) == text


def test_format_int_and_yuan():
    assert format_int(1234567.0) == "1,234,567"
    assert format_yuan(361.6) == "361.60元"
    assert format_yuan(123_456) == "12.3万元"
    assert format_yuan(4.5e8) == "4.5亿元"
