"""The KPI layer: mini warehouse values, compilation, cache, scope, comparisons, district verdicts."""
