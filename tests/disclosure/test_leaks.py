"""Each way issue 13 found to beat small-number suppression on the S demo, tried again: derived totals that
give the count away, a parent minus its visible children (in one response, and across the command line's
`--by institution` and `--by consortium` tables), the months of a series against the window or the year, and
standardised views withholding other units than the crude ones.
"""

from __future__ import annotations

import io

import pandas as pd
import pytest

from dashboard.core.cache import standalone_cache
from queries.execution import kpi_values
from queries.kpi.builder import Request
from queries.kpi.catalog import get_catalog
from queries.kpi.registry import REGISTRY
from queries.selection import filters_for, selection
from tests.support import panel_data, run_kpi_cli, view
from tests.support.disclosure import recoverable, small_counts, withheld_with_numbers

DERIVED = ("drg_total_weight", "drg_surplus", "drg_payment_ratio", "drg_payment_settled")


@pytest.fixture(autouse=True)
def _cache():
    standalone_cache(None)


def _small_groups(url: str, institution: str) -> pd.DataFrame:
    """The DRG groups an institution discharged 1–4 cases in this year (unsuppressed, for the test only)."""
    filters = filters_for(url, period="this_year", institution=institution)
    counts = kpi_values(url, Request("discharges", filters, ("drg",)), threshold=1)
    return counts[(counts["numerator"] > 0) & (counts["numerator"] < 5)]


def test_a_group_of_few_cases_shows_no_total_weight_on_its_cards(s_warehouse):
    """Leak 2: at a hospital and one DRG group of 1–4 cases, the cards withhold the total weight (1 × the
    group's weight gives the count away), the number of groups and CMI with the discharges."""
    group = _small_groups(s_warehouse, "I001")["drg_code"].iloc[0]
    cards = panel_data("drg-cards", f"?institution=I001&group={group}", s_warehouse).meta["cards"]
    shown = {
        c["kpi"]: c.get("value") for c in cards if c.get("value") is not None and not c.get("suppressed")
    }
    assert not {"discharges", "drg_total_weight", "cmi", "drg_group_count"} & set(shown), shown


@pytest.mark.parametrize("kpi_id", DERIVED)
def test_totals_over_few_cases_are_withheld(s_warehouse, kpi_id):
    """Leak 2: surplus, weight, settled payment and payment ratio by DRG group are withheld wherever the group
    has 1–4 cases (they are sums over those cases)."""
    small = set(_small_groups(s_warehouse, "I001")["drg_code"])
    filters = filters_for(s_warehouse, period="this_year", institution="I001")
    frame = kpi_values(s_warehouse, Request(kpi_id, filters, ("drg",)))
    rows = frame[frame["drg_code"].isin(small)]
    assert len(rows) == len(small) > 0
    assert rows["suppressed"].all() and rows["value"].isna().all()
    assert withheld_with_numbers(frame, ("numerator", "denominator", "value")) == []


def _members(url: str, query: str, kpi_id: str):
    """A selection's members (one drill level down) and its own total, as one request and another."""
    sel = selection(view(url, query))
    members = kpi_values(url, Request(kpi_id, sel.filters, (sel.child,), None, sel.scope))
    total = kpi_values(url, Request(kpi_id, sel.filters, (), None, sel.scope)).iloc[0]
    return members, total


PARENTS = {  # a parent of each kind whose children hold 1–4 of these events in the last month
    "district vs consortia": "?district=990102&period=last_month",
    "consortium vs members": "?district=990102&consortium=C01&period=last_month",
    "institution vs teams": "?district=990102&consortium=C01&institution=I014&period=last_month",
}


CHILDREN = [  # referrals have no team: a hospital's teams are tried on its visits
    (parent, kpi_id)
    for parent in sorted(PARENTS)
    for kpi_id in ("down_referral_share", "referral_completion_rate", "visit_count")
    if parent != "institution vs teams" or kpi_id == "visit_count"
]


@pytest.mark.parametrize(("parent", "kpi_id"), CHILDREN)
def test_parent_minus_visible_children_recovers_nothing(s_warehouse, parent, kpi_id):
    """Leak 4: the parent's total minus its visible children never gives one withheld child, nor a sum of
    1–4 held by several."""
    members, total = _members(s_warehouse, PARENTS[parent], kpi_id)
    assert small_counts(members, kpi_id) == []
    assert recoverable(members, total, REGISTRY[kpi_id]) == []


def _cli(url: str, *args: str) -> pd.DataFrame:
    done = run_kpi_cli(url, *args, "--format", "csv", check=True)
    return pd.read_csv(io.StringIO(done.stdout), dtype={"consortium_id": str, "institution_id": str})


@pytest.mark.parametrize("kpi_id", ["down_referral_share", "referral_completion_rate"])
def test_the_cli_tables_by_institution_and_by_consortium_read_together(s_warehouse, kpi_id):
    """Leak 4: `kpi X --by institution` and `kpi X --by consortium` of one window, read together: no
    consortium's total minus its shown members recovers a withheld member."""
    window = ("--from", "2026-10", "--to", "2026-10")
    institutions = _cli(s_warehouse, kpi_id, "--by", "institution", *window)
    consortia = _cli(s_warehouse, kpi_id, "--by", "consortium", *window)
    parents = get_catalog(s_warehouse).parents["institution"]
    institutions["consortium_id"] = [parents[c][1] for c in institutions["institution_id"]]
    problems = []
    for _, total in consortia.iterrows():
        members = institutions[institutions["consortium_id"] == total["consortium_id"]]
        problems += recoverable(members, total, REGISTRY[kpi_id], where=f"{total['consortium_id']}: ")
    assert problems == []
    assert small_counts(institutions, kpi_id) == small_counts(consortia, kpi_id) == []


SERIES = {  # units whose months hold 1–4 events
    "consortium": {"district": "990102", "consortium": "C01"},
    "institution": {"institution": "I014"},
    "pair of hospitals": {"institution": ("I001", "I014")},
}


@pytest.mark.parametrize("kpi_id", ["up_referrals", "down_referrals", "referral_count"])
@pytest.mark.parametrize("unit", sorted(SERIES))
def test_months_of_a_series_against_the_window_and_the_year(s_warehouse, unit, kpi_id):
    """Leak 5: a series' months against its window's total (the year to date, the year 2025): no withheld
    month comes back by subtraction."""
    problems = []
    for period in ("this_year", "last_year"):
        filters = filters_for(s_warehouse, period=period, **SERIES[unit])
        months = kpi_values(s_warehouse, Request(kpi_id, filters, (), "month"))
        total = kpi_values(s_warehouse, Request(kpi_id, filters)).iloc[0]
        assert small_counts(months, kpi_id) == []
        problems += recoverable(months, total, REGISTRY[kpi_id], where=f"{period}: ")
    assert problems == []


CONSORTIA = ("?district=990102&consortium=C01", "?district=990122&consortium=C04")


@pytest.mark.parametrize(
    "kpi_id", ["htn_control_rate", "dm_control_rate", "htn_standardized_management_rate"]
)
@pytest.mark.parametrize("query", CONSORTIA)
def test_standardised_league_withholds_as_crude(s_warehouse, query, kpi_id):
    """Leak 1: the district league, standardised and drilled to a consortium (and to a hospital's teams),
    shows no count of 1–4, withholds exactly the units the crude league withholds, keeps no number in a
    withheld row, and its observed events do not give a withheld unit back from the consortium's total."""
    for where in (query, query + "&institution=I014" if "C01" in query else query):
        standardised = panel_data(
            "districts-league", f"{where}&kpi={kpi_id}&adjust=standardised", s_warehouse
        )
        crude = panel_data("districts-league", f"{where}&kpi={kpi_id}", s_warehouse)
        frame, key = standardised.frame, standardised.meta["key"]
        assert small_counts(frame, kpi_id) == []
        assert (
            withheld_with_numbers(frame, ("numerator", "denominator", "observed", "expected", "crude")) == []
        )
        hidden = set(frame.loc[frame["suppressed"].astype(bool), key])
        assert hidden == set(crude.frame.loc[crude.frame["suppressed"].astype(bool), key])
        sel = selection(view(s_warehouse, where))
        total = kpi_values(s_warehouse, Request(kpi_id, sel.filters, (), None, sel.scope)).iloc[0]
        assert recoverable(frame, total, REGISTRY[kpi_id]) == []


@pytest.mark.parametrize("query", CONSORTIA)
def test_chronic_crude_vs_standardised_download(s_warehouse, query):
    """Leak 1: the chronic page's crude-vs-standardised panel (what its download holds) shows no observed
    count or people of 1–4 and no number in a withheld row."""
    for period in ("", "&period=last_quarter"):
        data = panel_data("chronic-standardised", query + period, s_warehouse)
        frame = data.frame
        assert small_counts(frame) == []
        assert (
            withheld_with_numbers(frame, ("numerator", "denominator", "observed", "expected", "crude")) == []
        )
