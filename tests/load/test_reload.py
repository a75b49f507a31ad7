"""A running app serves a rebuilt DuckDB warehouse within seconds, without a restart, and lets the old file go
(it used to keep the deleted file open, its version check reading the old data through a pooled connection)."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from dashboard.core.db import duckdb_path, parse_database_url
from dashboard.load.demo.build import build_demo
from tests.support import TEST_LAST_MONTH, health, served_app, wait_for_version


def _deleted_files_open(pid: int, name: str) -> list[str]:
    found = []
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if name in target and target.endswith("(deleted)"):
            found.append(target)
    return found


def test_a_rebuilt_warehouse_is_served_within_seconds_and_the_old_file_released(s_warehouse, tmp_path):
    path = tmp_path / "w.duckdb"
    shutil.copyfile(duckdb_path(parse_database_url(s_warehouse)), path)
    url = f"duckdb:///{path}"
    with served_app(url) as (base, process):
        old = health(base)["data_version"]
        build_demo(url, scale="S", seed=7, last_month=TEST_LAST_MONTH)
        new, _seconds = wait_for_version(base, old, timeout=15)
        assert new != old
        # nothing asks in the meantime: the watcher alone must let the replaced file go
        build_demo(url, scale="S", seed=8, last_month=TEST_LAST_MONTH)
        deadline = time.monotonic() + 10
        while _deleted_files_open(process.pid, path.name) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert _deleted_files_open(process.pid, path.name) == []
        assert wait_for_version(base, new, timeout=15)[0] != new
