"""What the warehouse holds: row counts per contract table and the data period."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from dashboard.core.db import check_warehouse, get_engine, safe_url
from dashboard.core.schema import CONTRACT_TABLES
from queries.kpi.catalog import get_catalog


@dataclass(frozen=True)
class WarehouseSummary:
    location: str
    row_counts: dict[str, int]
    period_start: str
    period_end: str
    meta: dict[str, str]


def row_count_statement(table: sa.Table) -> sa.Select:
    return sa.select(sa.func.count()).select_from(table)


def warehouse_summary(database_url: str) -> WarehouseSummary:
    """Open the warehouse, verify it is complete and count the rows of every contract table.

    Raises:
        WarehouseUnavailable, WarehouseIncomplete: with a message to show as it is.
    """
    engine = get_engine(database_url)
    meta = check_warehouse(engine)
    with engine.connect() as conn:
        counts = {t.name: int(conn.execute(row_count_statement(t)).scalar_one()) for t in CONTRACT_TABLES}
    return WarehouseSummary(
        location=safe_url(engine.url),
        row_counts=counts,
        period_start=meta.get("period_start", ""),
        period_end=meta.get("period_end", ""),
        meta=meta,
    )


def data_as_of(database_url: str):
    """The last day of the warehouse's data (the date its numbers run to)."""
    return get_catalog(database_url).period_end


def service_status(database_url: str) -> dict[str, str]:
    """What a health check needs: the data version the process serves and the period it covers.

    Raises:
        WarehouseUnavailable, WarehouseIncomplete: as ``warehouse_summary``.
    """
    catalog = get_catalog(database_url)
    return {
        "data_version": catalog.data_version,
        "period_start": catalog.period_start.isoformat(),
        "period_end": catalog.period_end.isoformat(),
    }
