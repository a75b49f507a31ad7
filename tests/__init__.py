"""The test suite by layer: unit, kpi, callbacks, browser, postgres, load; shared helpers in tests.support."""
