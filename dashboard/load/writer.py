"""Writing a new DuckDB warehouse file: tables of the contract, Arrow chunks appended, rollups, bookkeeping.

Physical design per engine (the logical contract is ``dashboard.core.schema``):

* DuckDB: tables with their primary keys; no foreign keys and no secondary indexes. DuckDB enforces foreign
  keys row by row and keeps ART indexes in memory; for analytic scans it relies on per-row-group min/max
  zonemaps instead, which the loader makes effective by writing facts in date order. Referential integrity
  is checked by the test suite.
* PostgreSQL (``dashboard.load.postgres``): tables with primary keys are loaded with COPY, then foreign keys
  and the filter-column indexes are added and the tables analysed.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection

from dashboard.core.db import BUILD_COMPLETE_KEY, BUILD_COMPLETE_VALUE, create_engine
from dashboard.core.schema import ALL_TABLES, SCHEMA_VERSION, load_log, metadata, warehouse_meta
from queries.intake import MONTH_COLUMNS, coverage_of_warehouse
from queries.kpi.rollups import build_rollups

DUCKDB_MEMORY_LIMIT = "1500MB"  # keeps a scale-L build well under 4 GiB with the generator's own arrays


def create_table_ddl(table: sa.Table) -> sa.schema.CreateTable:
    # Foreign keys are added after the load (PostgreSQL) or not at all (DuckDB); see the module docstring.
    return sa.schema.CreateTable(table, include_foreign_key_constraints=[])


class WarehouseWriter:
    """Receives Arrow chunks table by table and writes them into a new DuckDB file."""

    def __init__(self, path: Path, create: bool = True) -> None:
        """A writer on a new file (``create``) or on a copy of a warehouse (months mode), where only the tables
        that file lacks (bookkeeping added since it was built) are created."""
        self.path = path
        self.engine = create_engine(URL.create("duckdb", database=str(path)), read_only=False)
        self.conn: Connection = self.engine.connect()
        raw = self.conn.connection.driver_connection
        raw.execute(f"SET memory_limit='{DUCKDB_MEMORY_LIMIT}'")
        raw.execute("SET preserve_insertion_order=true")
        raw.execute("SET enable_progress_bar=false")
        tmp = path.parent / f"{path.name}.tmp"
        raw.execute(f"SET temp_directory='{str(tmp).replace(chr(39), chr(39) * 2)}'")
        present = set() if create else set(sa.inspect(self.conn).get_table_names())
        for table in ALL_TABLES:
            if table.name not in present:
                self.conn.execute(create_table_ddl(table))
        self.conn.commit()
        self.rows: dict[str, int] = {}

    def append(self, table_name: str, chunk: pa.Table) -> None:
        if chunk.num_rows == 0:
            return
        table = metadata.tables[table_name]
        names = [c.name for c in table.columns]
        raw = self.conn.connection.driver_connection
        raw.register("incoming_chunk", chunk.select(names))
        try:
            source = sa.select(*[sa.column(n) for n in names]).select_from(sa.table("incoming_chunk"))
            self.conn.execute(sa.insert(table).from_select(names, source))
        finally:
            raw.unregister("incoming_chunk")
        # Commit chunk by chunk: DuckDB keeps an open transaction's rows in memory. Atomicity comes from
        # building a scratch file, not from one transaction.
        self.conn.commit()
        self.rows[table_name] = self.rows.get(table_name, 0) + chunk.num_rows

    def build_rollups(self) -> None:
        """Aggregate tables are derived from the facts just written (statements live in queries/)."""
        build_rollups(self.conn)
        self.conn.commit()

    def set_meta(self, values: dict[str, str]) -> None:
        rows = [{"key": k, "value": str(v)} for k, v in values.items()]
        self.conn.execute(sa.delete(warehouse_meta).where(warehouse_meta.c.key.in_(list(values))))
        self.conn.execute(sa.insert(warehouse_meta), rows)

    def commit(self) -> None:
        self.conn.commit()

    def close(self) -> None:
        self.conn.commit()
        self.conn.connection.driver_connection.execute("CHECKPOINT")
        self.conn.close()
        self.engine.dispose()


def build_meta(extra: dict[str, str]) -> dict[str, str]:
    """Bookkeeping written with every load; the data version changes on every load."""
    return {
        "schema_version": SCHEMA_VERSION,
        "data_version": uuid.uuid4().hex,
        "loaded_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        **extra,
    }


def record_demo_load(writer: WarehouseWriter, meta: dict[str, str], counts: dict[str, int]) -> None:
    """The demo build in the load log, as a load of its own (the data-quality page shows it like any load)."""
    raw = writer.conn.connection.driver_connection
    load_id = f"demo-{meta['data_version'][:12]}"
    for table in MONTH_COLUMNS:
        raw.execute(coverage_of_warehouse(table), {"load_id": load_id})
    rows = sum(counts.values())
    report = {"load_id": load_id, "status": "loaded", "mode": "demo", "rows_read": rows, "rows_loaded": rows}
    writer.conn.execute(
        sa.insert(load_log),
        [
            {
                "load_id": load_id,
                "loaded_at": dt.datetime.fromisoformat(meta["loaded_at"]).replace(tzinfo=None),
                "mode": "demo",
                "source": f"demo scale {meta.get('scale', '')} seed {meta.get('seed', '')}",
                "mapping": None,
                "report_dir": None,
                "rows_read": rows,
                "rows_loaded": rows,
                "rows_quarantined": 0,
                "report": json.dumps(report),
            }
        ],
    )


def mark_complete(writer: WarehouseWriter, meta: dict[str, str]) -> None:
    writer.set_meta({**meta, BUILD_COMPLETE_KEY: BUILD_COMPLETE_VALUE})
