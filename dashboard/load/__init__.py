"""The load side: how a warehouse is written (never read): the writer of a new DuckDB file, the atomic swap
onto the old one, the copy into PostgreSQL, a region's DRG group list, and the demo generator. It stands above
the query layer's contract: after a load it rebuilds the rollups whose statements live in ``queries.kpi``.

May import: dashboard.core, queries.kpi.
"""
