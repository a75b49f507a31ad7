"""No server errors through the normal interface (issue 12 item 14): every panel of every page, the home
page's cards and scorecard and the hospital report, for an institution of each level and for selections that
hold nothing, over the default period and the whole data, draw their numbers or say why not, and their
downloads send a file; nothing is logged as an error.

`make test-slow` walks every institution of the demo city the same way (not part of `make test`).
"""

from __future__ import annotations

import logging

import pytest

from callbacks import home, report
from callbacks.panels import download
from dashboard.core.cache import standalone_cache
from queries.kpi.catalog import get_catalog
from tests.support import ERROR_TEXTS, PANEL_BOOK, draw_panel, one_of_each_level, texts

# selections that hold nothing (or nearly), each kind the filter bar can make
EMPTY_SELECTIONS = (
    "?institution=I001&disease=diabetes&insurance=none",  # a hospital's uninsured diabetics: none managed
    "?institution=I053&disease=diabetes",  # a village clinic: no DRG case, no team
    "?district=990121&insurance=none&period=last_month",  # one month of a county's uninsured
)
PERIODS = ("", "&period=all")


@pytest.fixture(autouse=True)
def _no_cache():
    standalone_cache(None)


def _walk(url: str, query: str, caplog) -> list[str]:
    """What went wrong drawing and downloading everything for ``query``: an error shown, a file not sent, a
    logged error."""
    problems = []
    caplog.clear()
    for key in sorted(PANEL_BOOK):
        text = texts(draw_panel(key, query, url))
        if any(e in text for e in ERROR_TEXTS):
            problems.append(f"{key}: {text[:120]}")
        sent = download(PANEL_BOOK, {"panel": key, "type": "panel-csv"}, query, url)
        if not isinstance(sent, dict) or not sent.get("content"):
            problems.append(f"{key}: download sent nothing")
    for name, draw in (("cards", home.render_cards), ("scorecard", home.render_scorecard)):
        text = texts(draw(query, url))
        if any(e in text for e in ERROR_TEXTS):
            problems.append(f"home {name}: {text[:120]}")
    if "institution=" in query:
        text = texts(report.render_slides(query, url))
        if any(e in text for e in ERROR_TEXTS):
            problems.append(f"report: {text[:120]}")
    problems += [f"logged: {r.getMessage()}" for r in caplog.records if r.levelno >= logging.ERROR]
    return problems


@pytest.mark.parametrize("period", PERIODS)
def test_every_panel_for_an_institution_of_each_level(s_warehouse, caplog, period):
    for query in one_of_each_level(s_warehouse):
        assert _walk(s_warehouse, query + period, caplog) == [], query + period


@pytest.mark.parametrize("period", PERIODS)
@pytest.mark.parametrize("query", EMPTY_SELECTIONS)
def test_every_panel_for_a_selection_that_holds_nothing(s_warehouse, caplog, query, period):
    assert _walk(s_warehouse, query + period, caplog) == []


@pytest.mark.exhaustive
@pytest.mark.parametrize("period", PERIODS)
def test_every_panel_for_every_institution(s_warehouse, caplog, period):
    failures = {}
    for code in sorted(get_catalog(s_warehouse).parents["institution"]):
        problems = _walk(s_warehouse, f"?institution={code}{period}", caplog)
        if problems:
            failures[code] = problems
    assert failures == {}
