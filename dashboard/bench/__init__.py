"""Benchmarks, outside the runtime path: the KPI layer against hand-written SQL (``kpi``), the demo build
(``build``) and the home page in headless Chromium (``ui``). Only the command line reaches them.

May import: dashboard.core, queries.kpi, queries, dashboard.load.
"""
