"""Copying a finished DuckDB warehouse into PostgreSQL: COPY into a scratch schema, constraints and indexes
added there, then the tables swapped into ``public`` in one transaction, so readers never see a half load."""

from __future__ import annotations

import tempfile
from pathlib import Path

import duckdb
import sqlalchemy as sa
from psycopg import sql

from dashboard.core.db import create_engine, describe_db_error, parse_database_url, safe_url
from dashboard.core.errors import UserFacingError, WarehouseUnavailable
from dashboard.core.schema import ALL_TABLES
from dashboard.load.writer import create_table_ddl

BUILD_SCHEMA = "dashboard_build"
LOCK_KEY = 7_140_531_118  # the advisory lock a load holds on the database (any number no one else uses)


def copy_to_postgres(source: Path, url: str, progress=None) -> dict[str, int]:
    """Copy every table of a finished DuckDB warehouse into PostgreSQL, replacing its tables atomically."""
    parsed = parse_database_url(url)
    engine = create_engine(parsed)
    counts: dict[str, int] = {}
    try:
        conn = engine.connect()
    except sa.exc.OperationalError as exc:
        raise WarehouseUnavailable(
            "cannot_reach_postgres", where=safe_url(parsed), reason=describe_db_error(exc)
        ) from None
    # one load at a time into a database: a second would drop the first's scratch schema
    if not conn.execute(sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": LOCK_KEY}).scalar_one():
        conn.close()
        engine.dispose()
        raise UserFacingError("load_in_progress", where=safe_url(parsed))
    conn.commit()  # a session lock: held until this connection closes, whatever transactions follow
    duck = duckdb.connect(str(source), read_only=True)
    try:
        with conn.begin():
            conn.execute(sa.schema.DropSchema(BUILD_SCHEMA, cascade=True, if_exists=True))
            conn.execute(sa.schema.CreateSchema(BUILD_SCHEMA))
        build = conn.execution_options(schema_translate_map={None: BUILD_SCHEMA})
        with build.begin():
            for table in ALL_TABLES:
                build.execute(create_table_ddl(table))
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
