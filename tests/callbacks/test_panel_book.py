"""Panels are registered on the app they are given (each app its own book), and a page that lays out a panel
nobody registered (or a registered panel no page lays out) stops the app at start-up instead of showing "no
data" forever."""

from __future__ import annotations

import logging

import pytest

from callbacks import drg
from callbacks.panels import draw, panels_of
from dashboard.app import create_app
from dashboard.core.settings import Settings
from tests.support import PANEL_BOOK, texts

NO_WAREHOUSE = Settings(database_url="duckdb:////nonexistent/none.duckdb")  # start-up reads no data


def test_each_app_keeps_its_own_book_of_panels():
    first, second = create_app(NO_WAREHOUSE), create_app(NO_WAREHOUSE)
    assert panels_of(first) is not panels_of(second)
    assert set(panels_of(first)) == set(panels_of(second)) == set(PANEL_BOOK)


def test_a_page_laying_out_an_unregistered_panel_stops_start_up(monkeypatch):
    monkeypatch.setattr(drg, "SPECS", {k: v for k, v in drg.SPECS.items() if k != "drg-cases"})
    with pytest.raises(RuntimeError, match=r"laid out but not registered: \['drg-cases'\]"):
        create_app(NO_WAREHOUSE)


def test_a_registered_panel_no_page_lays_out_stops_start_up(monkeypatch):
    monkeypatch.setattr(drg, "SPECS", {**drg.SPECS, "drg-ghost": drg.SPECS["drg-bands"]})
    with pytest.raises(RuntimeError, match=r"registered but not laid out: \['drg-ghost'\]"):
        create_app(NO_WAREHOUSE)


def test_a_forged_panel_key_is_refused_and_logged(caplog):
    book = panels_of(create_app(NO_WAREHOUSE))
    with caplog.at_level(logging.WARNING, logger="callbacks.panels"):
        body = draw(book, "../../etc/passwd", "?lang=en", NO_WAREHOUSE.database_url)
    assert texts(body) == "No data for this selection"
    assert any("unknown panel" in record.getMessage() for record in caplog.records)
