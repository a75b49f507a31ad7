"""The load side: how a warehouse is written: the writer of a new DuckDB file, the atomic swap onto the old
one, the copy into PostgreSQL, a region's DRG group list, the demo generator, and the loader of a region's own
extracts (``extracts``). It stands above the query layer's contract: after a load it rebuilds the rollups whose
statements live in ``queries.kpi``, and it checks extracts with the statements of ``queries.intake``.

May import: dashboard.core, queries.kpi, queries.
"""
