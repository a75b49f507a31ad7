"""The KPI machinery behind the query layer's face: the registry (every KPI defined once), record sources,
the pure statement builder, filters and scope, the warehouse's catalog of codes and names, statistics,
targets, rollups and shared SQL expressions.

May import: dashboard.core.
"""
