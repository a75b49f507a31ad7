"""指标定义: every KPI's definition from the registry, for the definitions page and for whoever draws a KPI
(its names, unit and polarity)."""

from __future__ import annotations

from queries.kpi.registry import KPIS, REGISTRY, Kpi, get_kpi

__all__ = ["KPIS", "REGISTRY", "Kpi", "definitions", "get_kpi"]


def definitions() -> tuple[Kpi, ...]:
    """Every KPI of the registry, in the registry's order."""
    return KPIS
