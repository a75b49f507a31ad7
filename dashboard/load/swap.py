"""A load never leaves a half-built warehouse where the app looks for one: a DuckDB warehouse is written to a
scratch file beside the target and renamed onto it only when complete (PostgreSQL swaps schemas instead, see
``dashboard.load.postgres``)."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from dashboard.core.db import duckdb_path, parse_database_url
from dashboard.core.errors import UserFacingError, WarehouseUnavailable


@contextlib.contextmanager
def new_duckdb_file(target: Path) -> Iterator[Path]:
    """A scratch path beside ``target``; renamed onto it on success, removed on any failure or interrupt."""
    target.parent.mkdir(parents=True, exist_ok=True)
    # one build or load at a time per warehouse: a second would sweep the first's scratch file away
    lock_path = target.parent / f"{target.name}.lock"
    lock = open(lock_path, "w")  # noqa: SIM115 (held for the whole build)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        raise UserFacingError("load_in_progress", where=str(target)) from None
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
        _remove_quietly(lock_path)
        lock.close()  # releases the lock
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


def is_duckdb(url: str) -> bool:
    return parse_database_url(url).get_backend_name() == "duckdb"


def duckdb_target(url: str) -> Path:
    path = duckdb_path(parse_database_url(url))
    if path is None:
        raise WarehouseUnavailable("in_memory_duckdb")
    return path
