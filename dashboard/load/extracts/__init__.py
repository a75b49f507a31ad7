"""Loading a region's own extracts: ``python -m dashboard load`` (see ``run``).

May import: dashboard.core, queries.kpi, queries.
"""
