"""Targets (kpi_target): the year's target for a KPI at a scope, the city's where the scope has none."""

from __future__ import annotations

import sqlalchemy as sa

from dashboard.core.db import get_engine
from dashboard.core.schema import kpi_target

TARGET_SCOPES = ("district", "consortium", "institution")


def read_targets(database_url: str) -> dict[tuple[str, str, str, int], float]:
    """Every target of the warehouse (a small table): (kpi, scope type, scope id, year) -> target."""
    t = kpi_target
    with get_engine(database_url).connect() as conn:
        rows = conn.execute(sa.select(t.c.kpi_id, t.c.scope_type, t.c.scope_id, t.c.year, t.c.target)).all()
    return {(r[0], r[1], r[2], int(r[3])): float(r[4]) for r in rows}


def target_in(
    targets: dict[tuple[str, str, str, int], float],
    kpi_id: str,
    level: str | None,
    code: str | None,
    year: int,
) -> float | None:
    """The target of ``kpi_id`` for the unit (its own if set, else the city's) in ``year``."""
    if level in TARGET_SCOPES:
        own = targets.get((kpi_id, level, code or "", year))
        if own is not None:
            return own
    return next(
        (v for (k, scope, _id, y), v in targets.items() if k == kpi_id and scope == "city" and y == year),
        None,
    )
