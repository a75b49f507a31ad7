"""The attack (issue 13): an analyst reads every panel and every download of every page, the home page's cards
and scorecard, at every level of the drill (the city, a district, a consortium, a hospital with teams, a team,
a village clinic) over the default year to date, the last month, the last quarter and a custom window of the S
demo (a sample of levels per window in `make test`, every level in `make test-slow`). Nothing they get shows a count of 1–4 (events, people, cases, observed events), a row marked withheld
keeps no number, and no withheld cell comes back by subtraction within what one page shows: a page's member
units against the selection's own card, the months of a series against the window's card.

The DRG outlier case list (drg-cases) is a list of cases, not of counts: its rules (rounded costs, bands, at
least 5 cases) are tested with it.
"""

from __future__ import annotations

import base64
import io

import pandas as pd
import pytest

from callbacks.panels import download
from dashboard.core.cache import standalone_cache
from dashboard.core.months import add_months
from queries.execution import kpi_values
from queries.home import home_cards, scorecard
from queries.kpi.builder import NotApplicable, Request, output_column
from queries.kpi.catalog import get_catalog
from queries.kpi.filters import DIMENSIONS
from queries.kpi.registry import REGISTRY
from queries.kpi.suppression import protecting_columns
from queries.selection import selection
from tests.support import PANEL_BOOK, view
from tests.support.disclosure import (
    THRESHOLD,
    number,
    recoverable,
    small,
    small_counts,
    withheld_with_numbers,
)

CASE_LISTS = {"drg-cases"}
WINDOWS = {
    "this_year": "",
    "last_month": "&period=last_month",
    "last_quarter": "&period=last_quarter",
    "custom": "&start=2026-02&end=2026-06",
}
SHOWN_NUMBERS = ("numerator", "denominator", "value", "ci_low", "ci_high", "observed", "expected", "crude")
PERIOD_KEYS = ("period", "month", "quarter")
CARD_PANELS = {"visits", "referrals", "chronic", "drg", "settlement"}  # pages with a cards panel


@pytest.fixture(autouse=True)
def _cache():
    standalone_cache(None)


def drill_path(url: str) -> dict[str, str]:
    """One selection per level of the drill, small units included: the city, a rural district, one of its
    consortia, a hospital of it with teams, that hospital's smallest team, and a village clinic."""
    catalog = get_catalog(url)
    institutions = catalog.parents["institution"]  # code -> (district, consortium, level)
    teams = catalog.parents["team"]  # code -> institution
    with_teams = sorted({i for i in teams.values() if institutions[i][1]})
    hospital = with_teams[0]
    district, consortium, _level = institutions[hospital]
    team = sorted(t for t, i in teams.items() if i == hospital)[-1]
    village = sorted(i for i, p in institutions.items() if p[2] == "village")[0]
    v_district, v_consortium, _ = institutions[village]
    inside = f"?district={district}&consortium={consortium}"
    return {
        "city": "?",
        "district": f"?district={district}",
        "consortium": inside,
        "institution": f"{inside}&institution={hospital}",
        "team": f"{inside}&institution={hospital}&team={team}",
        "village": f"?district={v_district}&consortium={v_consortium}&institution={village}",
    }


def downloaded(key: str, query: str, url: str) -> pd.DataFrame:
    sent = download(PANEL_BOOK, {"panel": key, "type": "panel-csv"}, query, url)
    return pd.read_csv(io.BytesIO(base64.b64decode(sent["content"])), encoding="utf-8-sig")


def card_problems(cards: list[dict], where: str) -> list[str]:
    problems = []
    for card in cards:
        kpi = REGISTRY[card["kpi"]]
        shown = {k: card.get(k) for k in ("numerator", "denominator", "value", "ci_low", "ci_high")}
        if card.get("suppressed"):
            if any(number(v) is not None for v in shown.values()):
                problems.append(f"{where} card {kpi.id} withheld but shows {shown}")
            continue
        for column in protecting_columns(kpi):
            if small(card.get(column)):
                problems.append(f"{where} card {kpi.id} {column}={card.get(column)}")
    return problems


DIMENSION_COLUMNS = frozenset(DIMENSIONS.values())


def totals_of(cards: list[dict]) -> dict[str, pd.Series]:
    """The selection's total per KPI as its card shows it."""
    return {c["kpi"]: pd.Series(c) for c in cards if "error" not in c}


def members_problems(frame, totals, child_key, where) -> list[str]:
    """Member units (one row per unit and KPI) against the selection's card total of the same KPI."""
    others = [c for c in frame.columns if c.endswith("_id") or c.endswith("_code") or c in PERIOD_KEYS]
    if child_key not in frame or others != [child_key] or "kpi" not in frame:
        return []
    problems = []
    for kpi_id, parts in frame.groupby("kpi"):
        if kpi_id in totals:
            problems += recoverable(parts, totals[kpi_id], REGISTRY[kpi_id], THRESHOLD, where)
    return problems


def series_problems(frame, totals, months, where) -> list[str]:
    """The months of a series covering the window exactly, against the window's card total (for KPIs whose
    counts add up over months)."""
    period = next((c for c in PERIOD_KEYS if c in frame), None)
    # a frame broken down by anything besides its periods (units, visit types …) is not one series: its
    # rows of a month are parts of the month, and a panel may show only some of them
    units = [c for c in frame.columns if c in DIMENSION_COLUMNS or c.endswith("_id") or c.endswith("_code")]
    if period is None or units or "kpi" not in frame:
        return []
    problems = []
    for kpi_id, parts in frame.groupby("kpi"):
        kpi = REGISTRY.get(kpi_id)
        covered = {str(p)[:7] for p in parts[period]}
        if kpi is None or kpi.per_window or kpi_id not in totals or covered != months:
            continue
        problems += recoverable(parts, totals[kpi_id], kpi, THRESHOLD, where)
    return problems


def window_months(url: str, query: str) -> set[str]:
    filters = selection(view(url, query)).filters
    months, month = set(), filters.start.replace(day=1)
    while month <= filters.end:
        months.add(f"{month:%Y-%m}")
        month = add_months(month, 1)
    return months


def attack(url: str, query: str) -> list[str]:
    """Everything one viewer gets for ``query`` that breaks §9, described."""
    the_view = view(url, query)
    sel = selection(the_view)
    child_key = output_column(sel.child) if sel.child else None
    months = window_months(url, query)
    problems = []
    home = home_cards(the_view).meta["cards"]
    problems += card_problems(home, "home")
    page_totals = {"home": totals_of(home)}
    for page in CARD_PANELS:
        try:
            cards = PANEL_BOOK[f"{page}-cards"].data(the_view).meta.get("cards", [])
        except Exception:  # said with the panel below
            cards = []
        page_totals[page] = totals_of(cards)
    board = scorecard(the_view)
    if not board.frame.empty:
        problems += small_counts(board.frame)
        problems += withheld_with_numbers(board.frame, SHOWN_NUMBERS)
        problems += members_problems(board.frame, page_totals["home"], child_key, "home scorecard: ")
    for key in sorted(set(PANEL_BOOK) - CASE_LISTS):
        try:
            data = PANEL_BOOK[key].data(the_view)
        except Exception as exc:  # the viewer gets an error, not numbers: said, and the attack goes on
            problems.append(f"{key}: could not be computed ({exc!r})")
            continue
        if data.message:
            continue
        page = key.split("-")[0]
        default = data.meta.get("kpi")
        if "cards" in data.meta:
            problems += card_problems(data.meta["cards"], key)
        else:
            frame = data.frame
            problems += [f"{key}: {p}" for p in small_counts(frame, default)]
            problems += [f"{key}: {p}" for p in withheld_with_numbers(frame, SHOWN_NUMBERS)]
            totals = page_totals[page] if page in page_totals else _selection_totals(url, sel, frame)
            problems += members_problems(frame, totals, child_key, f"{key}: ")
            problems += series_problems(frame, totals, months, f"{key}: ")
        file = downloaded(key, query, url)
        problems += [f"{key} download: {p}" for p in small_counts(file, default)]
        problems += [f"{key} download: {p}" for p in withheld_with_numbers(file, SHOWN_NUMBERS)]
    return problems


def _selection_totals(url, sel, frame) -> dict[str, pd.Series]:
    """A page without cards (the districts page): the selection's own total of each KPI in the frame."""
    if "kpi" not in frame:
        return {}
    out = {}
    for kpi_id in frame["kpi"].dropna().unique():
        try:
            total = kpi_values(url, Request(kpi_id, sel.filters, (), None, sel.scope))
        except NotApplicable:
            continue
        out[kpi_id] = total.iloc[0]
    return out


# `make test`: small units and the levels where a withheld cell has siblings, over each kind of window;
# `make test-slow` (exhaustive): every level over every window
SAMPLE = {
    "this_year": ("consortium", "team"),
    "last_month": ("district", "village"),
    "last_quarter": ("institution",),
    "custom": ("city",),
}
LEVELS = ("city", "district", "consortium", "institution", "team", "village")


def _attack_all(url: str, window: str, levels) -> dict[str, list[str]]:
    path = drill_path(url)
    problems = {}
    for level in levels:
        found = attack(url, path[level] + WINDOWS[window])
        if found:
            problems[level] = found
    return problems


@pytest.mark.parametrize("window", sorted(WINDOWS))
def test_no_small_count_and_no_withheld_cell_recoverable_anywhere(s_warehouse, window):
    assert _attack_all(s_warehouse, window, SAMPLE[window]) == {}


@pytest.mark.exhaustive
@pytest.mark.parametrize("window", sorted(WINDOWS))
def test_every_level_over_every_window(s_warehouse, window):
    assert _attack_all(s_warehouse, window, LEVELS) == {}
