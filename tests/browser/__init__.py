"""Flows in headless Chromium through dash_duo (tests/conftest.py marks every test here browser)."""
