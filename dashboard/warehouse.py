"""Creating and bulk-loading the warehouse, atomically, on DuckDB and PostgreSQL.

Physical design per engine (the logical contract is ``dashboard.schema``):

* DuckDB: tables with their primary keys; no foreign keys and no secondary indexes. DuckDB enforces foreign
  keys row by row and keeps ART indexes in memory; for analytic scans it relies on per-row-group min/max
  zonemaps instead, which the loader makes effective by writing facts in date order. Referential integrity
  is checked by the test suite.
* PostgreSQL: tables with primary keys are loaded with COPY, then foreign keys and the filter-column indexes
  are added and the tables analysed.

A load never leaves a half-built warehouse where the app looks for one: DuckDB builds a new file and renames
it into place; PostgreSQL builds in a scratch schema and swaps the tables in, in one transaction.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection

from dashboard.db import (
    BUILD_COMPLETE_KEY,
    BUILD_COMPLETE_VALUE,
    create_engine,
    duckdb_path,
    parse_database_url,
)
from dashboard.errors import WarehouseUnavailable
from dashboard.schema import ALL_TABLES, SCHEMA_VERSION, metadata, warehouse_meta

BUILD_SCHEMA = "dashboard_build"
DUCKDB_MEMORY_LIMIT = "1500MB"  # keeps a scale-L build well under 4 GiB with the generator's own arrays


def _create_table_ddl(table: sa.Table) -> sa.schema.CreateTable:
    # Foreign keys are added after the load (PostgreSQL) or not at all (DuckDB); see the module docstring.
    return sa.schema.CreateTable(table, include_foreign_key_constraints=[])


class WarehouseWriter:
    """Receives Arrow chunks table by table and writes them into a new DuckDB file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.engine = create_engine(URL.create("duckdb", database=str(path)), read_only=False)
        self.conn: Connection = self.engine.connect()
        raw = self.conn.connection.driver_connection
        raw.execute(f"SET memory_limit='{DUCKDB_MEMORY_LIMIT}'")
        raw.execute("SET preserve_insertion_order=true")
        raw.execute("SET enable_progress_bar=false")
        tmp = path.parent / f"{path.name}.tmp"
        raw.execute(f"SET temp_directory='{tmp}'")
        for table in ALL_TABLES:
            self.conn.execute(_create_table_ddl(table))
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
        from queries.rollups import build_rollups

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


@contextlib.contextmanager
def new_duckdb_file(target: Path) -> Iterator[Path]:
    """A scratch path beside ``target``; renamed onto it on success, removed on any failure or interrupt."""
    target.parent.mkdir(parents=True, exist_ok=True)
    for stale in target.parent.glob(f"{target.name}.building-*"):
        # left by a build that was killed outright; nobody reads these
        _remove_quietly(stale)
    scratch = target.parent / f"{target.name}.building-{os.getpid()}"
    _remove_quietly(scratch)
    try:
        yield scratch
        os.replace(scratch, target)
        _remove_quietly(Path(f"{target}.wal"))
    finally:
        _remove_quietly(scratch)
        _remove_quietly(Path(f"{scratch}.wal"))
        tmp = scratch.parent / f"{scratch.name}.tmp"
        if tmp.exists():
            for f in tmp.iterdir():
                _remove_quietly(f)
            with contextlib.suppress(OSError):
                tmp.rmdir()


def _remove_quietly(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def mark_complete(writer: WarehouseWriter, meta: dict[str, str]) -> None:
    writer.set_meta({**meta, BUILD_COMPLETE_KEY: BUILD_COMPLETE_VALUE})


# --- PostgreSQL -------------------------------------------------------------------------------------------


def copy_to_postgres(source: Path, url: str, progress=None) -> dict[str, int]:
    """Copy every table of a finished DuckDB warehouse into PostgreSQL, replacing its tables atomically."""
    import duckdb
    from psycopg import sql

    parsed = parse_database_url(url)
    engine = create_engine(parsed)
    counts: dict[str, int] = {}
    try:
        conn = engine.connect()
    except sa.exc.OperationalError as exc:
        from dashboard.db import describe_db_error, safe_url

        raise WarehouseUnavailable(
            f"cannot reach PostgreSQL at {safe_url(parsed)}: {describe_db_error(exc)}"
        ) from None
    duck = duckdb.connect(str(source), read_only=True)
    try:
        with conn.begin():
            conn.execute(sa.schema.DropSchema(BUILD_SCHEMA, cascade=True, if_exists=True))
            conn.execute(sa.schema.CreateSchema(BUILD_SCHEMA))
        build = conn.execution_options(schema_translate_map={None: BUILD_SCHEMA})
        with build.begin():
            for table in ALL_TABLES:
                build.execute(_create_table_ddl(table))
        raw = conn.connection.driver_connection
        with tempfile.TemporaryDirectory(prefix="dashboard-copy-") as tmp:
            for table in ALL_TABLES:
                names = [c.name for c in table.columns]
                csv_path = Path(tmp) / f"{table.name}.csv"
                # DuckDB writes the CSV (fast, streaming); PostgreSQL reads it with COPY.
                duck.execute(
                    f"COPY (SELECT {', '.join(names)} FROM {table.name}) TO '{csv_path}' (HEADER false)"
                )
                statement = sql.SQL("COPY {}.{} ({}) FROM STDIN (FORMAT csv)").format(
                    sql.Identifier(BUILD_SCHEMA),
                    sql.Identifier(table.name),
                    sql.SQL(", ").join(sql.Identifier(n) for n in names),
                )
                with raw.cursor() as cur, cur.copy(statement) as copy, open(csv_path, "rb") as fh:
                    while block := fh.read(1 << 20):
                        copy.write(block)
                raw.commit()
                counts[table.name] = duck.execute(f"SELECT count(*) FROM {table.name}").fetchone()[0]
                csv_path.unlink()
                if progress:
                    progress(f"PostgreSQL: {table.name} {counts[table.name]:,} rows")
        with build.begin():
            for table in ALL_TABLES:
                for constraint in table.foreign_key_constraints:
                    # isolate_from_table=False: by default SQLAlchemy would also strip the constraint from
                    # every later CREATE TABLE of this (process-wide) metadata.
                    build.execute(sa.schema.AddConstraint(constraint, isolate_from_table=False))
                for index in table.indexes:
                    build.execute(sa.schema.CreateIndex(index))
        if progress:
            progress("PostgreSQL: foreign keys and indexes added")
        # The swap: readers see the old tables until this commits, then the new ones.
        with conn.begin():
            # Table names come from the metadata, never from input. CASCADE because the consortium and
            # institution tables reference each other.
            for table in ALL_TABLES:
                conn.execute(sa.text(f'DROP TABLE IF EXISTS public."{table.name}" CASCADE'))
            for table in ALL_TABLES:
                conn.execute(sa.text(f'ALTER TABLE {BUILD_SCHEMA}."{table.name}" SET SCHEMA public'))
            conn.execute(sa.schema.DropSchema(BUILD_SCHEMA, cascade=True))
        raw.autocommit = True
        with raw.cursor() as cur:
            cur.execute("ANALYZE")
        raw.autocommit = False
    except BaseException:
        # Whatever stopped the load, the live tables were never touched; drop the scratch copy.
        conn.rollback()
        with conn.begin():
            conn.execute(sa.schema.DropSchema(BUILD_SCHEMA, cascade=True, if_exists=True))
        raise
    finally:
        duck.close()
        conn.close()
        engine.dispose()
    return counts


def is_duckdb(url: str) -> bool:
    return parse_database_url(url).get_backend_name() == "duckdb"


def duckdb_target(url: str) -> Path:
    path = duckdb_path(parse_database_url(url))
    if path is None:
        raise WarehouseUnavailable("an in-memory DuckDB cannot hold a warehouse: give a file path")
    return path
