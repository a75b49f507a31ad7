"""One SQLAlchemy engine per process and database URL, opened lazily, with errors people can act on."""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url

from dashboard.core.errors import QueryTooLong, WarehouseIncomplete, WarehouseUnavailable
from dashboard.core.schema import CONTRACT_TABLES, warehouse_meta

SUPPORTED_BACKENDS = ("duckdb", "postgresql")
DEFAULT_QUERY_SECONDS = 60.0
BUILD_COMPLETE_KEY = "build_status"
BUILD_COMPLETE_VALUE = "complete"

_engines: dict[tuple[str, bool], Engine] = {}
_opened: dict[tuple[str, bool], tuple[int, int] | None] = {}  # the (device, inode) an engine's file had
_lock = threading.Lock()
_watcher: threading.Thread | None = None
WATCH_SECONDS = 2.0


def parse_database_url(url: str) -> URL:
    """Parse and normalise a database URL; raise a one-line error for anything unsupported."""
    try:
        parsed = make_url(url)
    except Exception:
        raise WarehouseUnavailable("not_a_database_url", url=url) from None
    backend = parsed.get_backend_name()
    if backend not in SUPPORTED_BACKENDS:
        raise WarehouseUnavailable("unsupported_database", backend=backend, url=safe_url(parsed))
    if backend == "postgresql" and parsed.get_driver_name() != "psycopg":
        # One driver for PostgreSQL everywhere: psycopg 3, which also does the bulk COPY.
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def safe_url(url: URL | str) -> str:
    """The URL as it may be shown or logged: without its password."""
    parsed = url if isinstance(url, URL) else make_url(url)
    return parsed.render_as_string(hide_password=True)


def duckdb_path(url: URL) -> Path | None:
    """The file behind a DuckDB URL, or None for an in-memory database."""
    if url.get_backend_name() != "duckdb" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def query_seconds() -> float:
    """The longest a query of the app may run (``DASHBOARD_QUERY_SECONDS``, default 60): a request that would
    take longer gets a message instead of holding a thread and the database for ever."""
    text = os.environ.get("DASHBOARD_QUERY_SECONDS", "").strip()
    try:
        return float(text) if text else DEFAULT_QUERY_SECONDS
    except ValueError:
        return DEFAULT_QUERY_SECONDS


def limit_query_time(engine: Engine, seconds: float) -> Engine:
    """Stop any statement of ``engine`` that runs longer than ``seconds`` and raise QueryTooLong instead.

    PostgreSQL does it itself (``statement_timeout``, set per connection); DuckDB has no such setting, so a
    timer interrupts the connection that runs the statement.
    """
    if engine.dialect.name == "postgresql":

        @sa.event.listens_for(engine, "connect")
        def _timeout(dbapi_connection, _record):
            with dbapi_connection.cursor() as cursor:
                cursor.execute(f"SET statement_timeout = {int(seconds * 1000)}")
            dbapi_connection.commit()

    else:

        @sa.event.listens_for(engine, "before_cursor_execute")
        def _start(conn, _cursor, _statement, _parameters, context, _executemany):
            duck = conn.connection.driver_connection
            context._query_timer = threading.Timer(seconds, _interrupt, (duck, context))
            context._query_timer.daemon = True
            context._query_timer.start()

        @sa.event.listens_for(engine, "after_cursor_execute")
        def _stop(_conn, _cursor, _statement, _parameters, context, _executemany):
            context._query_timer.cancel()

    @sa.event.listens_for(engine, "handle_error")
    def _too_long(context):
        timer = getattr(context.execution_context, "_query_timer", None)
        if timer is not None:
            timer.cancel()
        interrupted = getattr(context.execution_context, "_interrupted", False)
        cancelled = "canceling statement due to statement timeout" in str(context.original_exception)
        if interrupted or cancelled:
            return QueryTooLong("query_too_long", seconds=int(seconds))
        return None

    return engine


def _interrupt(duck, context) -> None:
    context._interrupted = True
    duck.interrupt()


def create_engine(url: str | URL, *, read_only: bool = True) -> Engine:
    """Create a new engine (not shared). DuckDB files are opened read-only unless asked otherwise.

    Read-only matters: DuckDB lets many read-only processes share a file, but a writer locks out every
    other process, readers included.
    """
    parsed = parse_database_url(str(url)) if isinstance(url, str) else url
    if parsed.get_backend_name() == "duckdb":
        path = duckdb_path(parsed)
        if read_only and path is not None and not path.exists():
            raise WarehouseUnavailable("no_warehouse_file", path=str(path))
        connect_args: dict = {"read_only": read_only} if path is not None else {}
        if read_only:
            # DuckDB's buffer manager would otherwise take up to 80% of the machine for cached pages; an app
            # process should stay small (it answers from rollups and a result cache).
            connect_args["config"] = {"memory_limit": os.environ.get("DASHBOARD_DUCKDB_MEMORY", "512MB")}
        return sa.create_engine(parsed, connect_args=connect_args)
    return sa.create_engine(parsed, pool_pre_ping=True, connect_args={"connect_timeout": 5})


def get_engine(url: str) -> Engine:
    """The process-wide read-only engine for ``url``, created on first use.

    A load or demo build renames a new DuckDB file over the old one. Connections opened before keep reading
    the old, deleted file (and hold its disk space), so the engine notes which file it opened and is
    replaced as soon as the path names another one: checked on every call, and every few seconds by a
    watcher thread, so an idle process lets the old file go too.
    """
    key = (url, True)
    identity = _file_identity(url)
    with _lock:
        engine = _engines.get(key)
        if engine is not None and _opened.get(key) != identity:
            engine.dispose()
            engine = None
        if engine is None:
            engine = limit_query_time(create_engine(url, read_only=True), query_seconds())
            _engines[key] = engine
            _opened[key] = identity
        _start_watcher()
        return engine


def _file_identity(url: str) -> tuple[int, int] | None:
    """(device, inode) of a DuckDB warehouse file, None for a server or a missing file."""
    path = duckdb_path(parse_database_url(url))
    if path is None:
        return None
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None
    return (info.st_dev, info.st_ino)


def release_replaced_files() -> int:
    """Dispose the engines whose DuckDB file was replaced since they opened it; returns how many."""
    released = 0
    with _lock:
        for key, engine in list(_engines.items()):
            if _opened.get(key) is not None and _file_identity(key[0]) != _opened[key]:
                engine.dispose()
                del _engines[key], _opened[key]
                released += 1
    return released


def _start_watcher() -> None:
    # Started lazily (under _lock) in the process that queries: a gunicorn worker forked after the app was
    # imported gets its own.
    global _watcher
    if _watcher is not None and _watcher.is_alive():
        return

    def watch() -> None:
        try:
            while True:
                time.sleep(WATCH_SECONDS)
                try:
                    release_replaced_files()
                except Exception:  # never let the watcher die of a transient stat or dispose error
                    logging.getLogger(__name__).debug("watcher", exc_info=True)
        except SystemExit:  # a test server stopping its threads (dash.testing raises this in them)
            return

    _watcher = threading.Thread(target=watch, name="warehouse-file-watcher", daemon=True)
    _watcher.start()


def dispose_engines() -> None:
    """Close every pooled connection; the next query reopens (used after a reload of the warehouse)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
        _opened.clear()


def describe_db_error(exc: BaseException) -> str:
    """The first line of the driver's message: enough to act on, without a traceback."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip().splitlines()
    return text[0] if text else type(orig).__name__


def check_warehouse(engine: Engine) -> dict[str, str]:
    """Verify the warehouse opens and holds the whole contract; return its metadata.

    Raises:
        WarehouseUnavailable: the database cannot be reached or opened.
        WarehouseIncomplete: tables are missing or the build never finished.
    """
    where = safe_url(engine.url)
    try:
        present = set(sa.inspect(engine).get_table_names())
    except Exception as exc:  # SQLAlchemy's errors, or duckdb's own for a file that is not a database
        raise WarehouseUnavailable(
            "cannot_open_warehouse", where=where, reason=describe_db_error(exc)
        ) from None
    missing = [t.name for t in (*CONTRACT_TABLES, warehouse_meta) if t.name not in present]
    if missing:
        shown = ", ".join(missing[:4]) + (" …" if len(missing) > 4 else "")
        raise WarehouseIncomplete("warehouse_incomplete", where=where, missing=shown)
    with engine.connect() as conn:
        meta = dict(conn.execute(sa.select(warehouse_meta.c.key, warehouse_meta.c.value)).all())
    if meta.get(BUILD_COMPLETE_KEY) != BUILD_COMPLETE_VALUE:
        raise WarehouseIncomplete("warehouse_unfinished", where=where)
    return meta
