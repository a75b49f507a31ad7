"""From the URL to the filters: unknown codes and units that do not belong to the selected parent are dropped
and reported, never mixed into the filters; periods resolve against the data."""

from __future__ import annotations

import datetime as dt

import pytest

from dashboard.core.cache import standalone_cache
from dashboard.core.state import parse_query
from queries.selection import (
    View,
    drill_state,
    filter_options,
    resolve_period,
    selection,
    whole_quarters,
)
from tests.support.mini_warehouse import build_mini_warehouse


@pytest.fixture(scope="module")
def mini(tmp_path_factory) -> str:
    standalone_cache(None)
    return build_mini_warehouse(tmp_path_factory.mktemp("mini") / "mini.duckdb")


def _select(url: str, query: str):
    return selection(View(url, parse_query(query)[0]))


def test_a_unit_of_another_parent_is_dropped_from_the_filters_not_only_reported(mini):
    """H2 is in D2: a hand-edited link asking for it under D1 selects D1, reports H2, and filters on D1 only
    (it used to report the institution and still filter on it, so every number came out empty)."""
    sel = _select(mini, "?district=D1&institution=H2")
    assert sel.dropped == ("institution=H2",)
    assert dict(sel.filters.values) == {"district": ("D1",)}
    assert (sel.level, sel.code) == ("district", "D1")


def test_unknown_codes_are_reported_and_known_ones_kept(mini):
    sel = _select(mini, "?district=NOPE&consortium=C2&disease=diabetes&insurance=employee")
    assert sel.dropped == ("district=NOPE",)
    assert dict(sel.filters.values) == {
        "consortium": ("C2",),
        "chronic_group": ("diabetes",),
        "insurance_type": ("employee",),
    }
    assert sel.child == "institution"


def test_periods_resolve_against_the_data(mini):
    sel = _select(mini, "?period=last_12_months")
    assert (sel.filters.start, sel.filters.end) == (dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    quarters = whole_quarters(_select(mini, "?start=2025-02&end=2025-11").filters)
    assert (quarters.start, quarters.end) == (dt.date(2025, 4, 1), dt.date(2025, 9, 30))


@pytest.mark.parametrize(
    ("data_end", "period", "expected"),
    [
        # the default: 本年累计, months 1–N of the data's last year (DOMAIN §4)
        ("2026-10-31", None, ("2026-01-01", "2026-10-31")),
        ("2026-01-31", None, ("2026-01-01", "2026-01-31")),
        ("2026-10-31", "last_month", ("2026-10-01", "2026-10-31")),
        # the last whole calendar quarter: October alone is not one
        ("2026-10-31", "last_quarter", ("2026-07-01", "2026-09-30")),
        ("2026-09-30", "last_quarter", ("2026-07-01", "2026-09-30")),
        ("2026-12-31", "last_quarter", ("2026-10-01", "2026-12-31")),
        ("2026-02-28", "last_quarter", ("2025-10-01", "2025-12-31")),
        ("2026-10-31", "last_12_months", ("2025-11-01", "2026-10-31")),
        ("2026-10-31", "last_year", ("2025-01-01", "2025-12-31")),
    ],
)
def test_relative_periods_are_anchored_on_the_datas_last_month(data_end, period, expected):
    resolved = resolve_period(dt.date(2023, 11, 1), dt.date.fromisoformat(data_end), period)
    assert (resolved.start.isoformat(), resolved.end.isoformat()) == expected
    assert not resolved.clamped


def test_the_default_period_is_the_year_to_date(mini):
    sel = _select(mini, "")
    assert (sel.filters.start, sel.filters.end) == (dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    assert (_select(mini, "?period=last_month").filters.start) == dt.date(2025, 12, 1)


def test_a_click_drills_with_the_units_whole_path(mini):
    state = drill_state(View(mini, parse_query("?period=all")[0]), "team", "T2")
    assert state.to_query() == "?period=all&district=D2&consortium=C1&institution=P2&team=T2"
    assert drill_state(View(mini, parse_query("")[0]), "team", "NOPE") is None


def test_the_filter_bar_cascades(mini):
    options = filter_options(View(mini, parse_query("?district=D2")[0]))
    assert [o["value"] for o in options["consortium"]] == ["C1"]
    assert [o["value"] for o in options["institution"]] == ["H2", "P2"]
    assert [o["value"] for o in options["team"]] == ["T2"]


@pytest.mark.parametrize(
    ("query", "period", "clamped"),
    [
        ("?start=1000-01&end=9998-12", ("2025-01-01", "2025-12-31"), True),  # returned 64 MB in 8 s
        ("?start=2025-03&end=9999-12", ("2025-03-01", "2025-12-31"), True),  # crashed: year 10000
        ("?start=1900-01&end=2025-06", ("2025-01-01", "2025-06-30"), True),
        ("?start=2025-02&end=2025-04", ("2025-02-01", "2025-04-30"), False),
    ],
)
def test_a_custom_period_is_cut_to_the_data_and_says_so(mini, query, period, clamped):
    sel = _select(mini, query)
    assert (sel.filters.start.isoformat(), sel.filters.end.isoformat()) == period
    assert [note.key for note in sel.notes] == (["period_clamped"] if clamped else [])
    assert sel.dropped == ()


def test_a_period_wholly_outside_the_data_falls_back_to_the_default_and_is_reported(mini):
    sel = _select(mini, "?start=1999-01&end=1999-03")
    assert sel.dropped == ("start=1999-01&end=1999-03",)
    assert (sel.filters.start, sel.filters.end) == (dt.date(2025, 1, 1), dt.date(2025, 12, 31))


@pytest.mark.parametrize(
    ("query", "targets"),
    [
        ("?period=last_12_months", (0.6, 100.0, 12.0)),
        # half a year: the share is judged against the year's target; a total and a rate per head are not
        ("?start=2025-01&end=2025-06", (0.6, None, None)),
    ],
)
def test_a_part_year_is_judged_against_the_years_target_only_for_rates(mini, query, targets):
    from queries.panels import target_for

    sel = _select(mini, query)
    kpis = ("primary_care_visit_share", "visit_count", "hospitalization_rate")
    assert tuple(target_for(sel, kpi) for kpi in kpis) == targets
