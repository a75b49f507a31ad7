"""Forged requests (a callback payload written by hand, not by the page) change nothing, raise nothing and
put nothing into the URL that a link could not hold."""

from __future__ import annotations

import base64

import pytest
from dash import no_update

from callbacks import chronic, districts, home, report
from callbacks.panels import clicked, download, draw, render
from callbacks.shell import filters_to_url
from dashboard.ui import ids
from tests.support import PANEL_BOOK, texts

JUNK = [None, 5, "x", [], ["a"], {}, {"a": 1}, [{"rowId": 1}], {"rowId": ["x"]}, {"rowId": "NOPE"}]


@pytest.mark.parametrize("key", [None, 5, ["drg-bands"], {"panel": "drg-bands"}, "../../etc/passwd"])
def test_a_forged_panel_key_draws_a_message(s_warehouse, key):
    assert "panel-message" in str(draw(PANEL_BOOK, key, "", s_warehouse))


@pytest.mark.parametrize(
    "triggered", [None, "x", {}, {"panel": ["drg-bands"]}, {"panel": {"a": 1}}, {"panel": "nope"}]
)
def test_a_forged_download_sends_nothing(s_warehouse, triggered):
    assert download(PANEL_BOOK, triggered, "", s_warehouse) is no_update


@pytest.mark.parametrize(
    "click",
    [
        *JUNK,
        {"points": "x"},
        {"points": [5]},
        {"points": [{"customdata": {"a": 1}}]},
        {"points": [{"customdata": ["institution", "I002", "x"]}]},
        {"points": [{"customdata": ["chapter", "<b>"]}]},
    ],
)
def test_a_forged_chart_click_changes_nothing(s_warehouse, click):
    assert clicked(click, "?district=990122", s_warehouse) is no_update


@pytest.mark.parametrize("cell", JUNK)
def test_a_forged_scorecard_click_changes_nothing(s_warehouse, cell):
    assert home.drill(cell, "?district=990122", s_warehouse) is no_update


@pytest.mark.parametrize("code", [None, 5, ["I002"], {"a": "I002"}, "NOPE", "../x"])
def test_a_forged_hospital_choice_changes_nothing(s_warehouse, code):
    assert report.pick(code, "", s_warehouse) is no_update


@pytest.mark.parametrize(
    "values",
    [
        ["javascript:alert(1)", None, None, None, None, None, None],
        ["this_year", None, None, None, None, "cholera", None],
        ["this_year", None, None, None, None, None, "<b>"],
        ["this_year", "<script>", None, None, None, None, None],
    ],
)
def test_forged_filter_values_never_reach_the_url(values):
    for changed in (ids.FILTER_PERIOD, ids.FILTER_DISTRICT, ids.FILTER_DISEASE, ids.FILTER_INSURANCE):
        assert filters_to_url({"changed": changed, "values": values}, "?district=990122") is no_update


def test_forged_district_page_controls_never_reach_the_url():
    assert districts.controls_to_url("<script>", "peer", "standardised", "plain", "") is no_update
    assert districts.controls_to_url("htn_control_rate", "peer", "standardised", "<b>", "") == (
        "?kpi=htn_control_rate&compare=peer&adjust=standardised"
    )
    assert chronic.controls_to_url("<script>", "<b>", "?district=990122") is no_update


def test_a_panel_whose_data_fails_says_so_and_logs(s_warehouse, caplog):
    """A query bug shows a message in the panel (and a line in the log), never a server error."""

    def broken(view):
        raise ZeroDivisionError("a bug")

    spec = PANEL_BOOK["drg-bands"].__class__(broken, PANEL_BOOK["drg-bands"].draw)
    body = render(spec, "drg-bands", "?lang=en", s_warehouse)
    assert texts(body) == "This panel's data could not be computed; the error was logged"
    assert any("could not be computed" in r.getMessage() for r in caplog.records)
    # its download sends a file saying the same, rather than a click that does nothing
    sent = download({"drg-bands": spec}, {"type": "panel-csv", "panel": "drg-bands"}, "?lang=en", s_warehouse)
    assert base64.b64decode(sent["content"]).decode("utf-8-sig").splitlines() == [
        "note",
        "This panel's data could not be computed; the error was logged",
    ]
