"""Months mode starts from the warehouse in service: a copy of it becomes the new warehouse, the extract's
months replace its months there, and the copy is swapped in; the warehouse in service is only read."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import duckdb
import sqlalchemy as sa
from psycopg import sql

from dashboard.core.db import check_warehouse, create_engine
from dashboard.core.schema import ALL_TABLES
from dashboard.load.swap import duckdb_target, is_duckdb
from dashboard.load.writer import WarehouseWriter


def copy_existing(database_url: str, scratch: Path, progress) -> None:
    """Copy the complete warehouse at ``database_url`` into the DuckDB file ``scratch``.

    Raises:
        WarehouseUnavailable, WarehouseIncomplete: there is no complete warehouse to add months to.
    """
    engine = create_engine(database_url, read_only=True)
    try:
        check_warehouse(engine)
        if is_duckdb(database_url):
            engine.dispose()
            shutil.copyfile(duckdb_target(database_url), scratch)
            progress("months mode: the warehouse in service copied")
            return
        _copy_from_postgres(engine, scratch, progress)
    finally:
        engine.dispose()


def _copy_from_postgres(engine: sa.Engine, scratch: Path, progress) -> None:
    WarehouseWriter(scratch).close()  # the contract's tables, empty
    present = set(sa.inspect(engine).get_table_names())
    duck = duckdb.connect(str(scratch))
    try:
        with engine.connect() as conn, tempfile.TemporaryDirectory(prefix="dashboard-months-") as tmp:
            raw = conn.connection.driver_connection
            for table in ALL_TABLES:
                if table.name not in present:
                    continue  # a bookkeeping table of a newer version: it starts empty
                names = [c.name for c in table.columns]
                path = Path(tmp) / f"{table.name}.csv"
                statement = sql.SQL("COPY (SELECT {} FROM {}) TO STDOUT (FORMAT csv)").format(
                    sql.SQL(", ").join(sql.Identifier(n) for n in names), sql.Identifier(table.name)
                )
                with raw.cursor() as cur, cur.copy(statement) as copy, open(path, "wb") as fh:
                    for block in copy:
                        fh.write(block)
                if path.stat().st_size:
                    duck.execute(
                        f"COPY {table.name} ({', '.join(names)}) FROM '{path}' (FORMAT csv, HEADER false, ALLOW_QUOTED_NULLS false)"
                    )
                path.unlink()
        progress("months mode: the warehouse in service copied from PostgreSQL")
    finally:
        duck.close()
