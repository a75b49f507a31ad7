"""Options of the pickers a page has besides the filter bar."""

from __future__ import annotations

from dashboard.ui.words import pick


def kpi_options(kpis, lang: str) -> list[dict]:
    """A KPI picker's options: each KPI of the registry named in ``lang``."""
    return [{"label": pick(kpi, lang), "value": kpi.id} for kpi in kpis]
