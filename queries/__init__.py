"""The query layer, the only place that knows SQL. Its face to callbacks: one module per page (named as in
``pages/`` and ``callbacks/``), ``selection`` (URL state → validated filters, periods, drill targets),
``execution`` (a KPI request run, with its interval, suppression and the one cache key recipe),
``comparisons`` (同比/环比, verdicts, trend, standardisation), ``comparators`` (what units are compared with,
and funnels) and ``panels`` (what panels share).
Behind it, ``queries.kpi`` holds the machinery: the registry, record sources, the statement builder, the
catalog of codes, statistics, filters and targets.

Queries return codes, numbers and messages (``dashboard.core.messages``), never words.

May import: dashboard.core, queries.kpi.
"""
