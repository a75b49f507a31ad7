"""Bad input gets a one-line error that says what to do, and never loses or half-writes a warehouse."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from dashboard.core.db import check_warehouse, create_engine
from dashboard.core.errors import WarehouseIncomplete, WarehouseUnavailable
from dashboard.load.demo import build as build_module
from dashboard.load.demo.build import build_demo
from tests.support import TEST_LAST_MONTH, raises_saying


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dashboard", *args], capture_output=True, text=True, timeout=120
    )


def assert_one_line_error(result: subprocess.CompletedProcess, *fragments: str) -> None:
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_unknown_scale():
    assert_one_line_error(cli("demo", "--scale", "XL"), "unknown scale 'XL'", "S, M, L")


def test_malformed_month_and_seed():
    assert_one_line_error(cli("demo", "--last-month", "2026-13"), "YYYY-MM")
    assert_one_line_error(cli("demo", "--seed", "many"), "--seed")


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("not a url", "not a database URL"),
        ("mysql://root@127.0.0.1/test", "unsupported database 'mysql'"),
        ("postgresql://postgres@127.0.0.1:1/test", "cannot open the warehouse"),
    ],
)
def test_bad_database_urls(url, fragment):
    assert_one_line_error(cli("check", "--database-url", url), fragment)


def test_missing_and_corrupt_duckdb_files(tmp_path):
    assert_one_line_error(
        cli("check", "--database-url", f"duckdb:///{tmp_path / 'none.duckdb'}"),
        "no warehouse at",
        "python -m dashboard demo",
    )
    junk = tmp_path / "junk.duckdb"
    junk.write_bytes(b"this is not a database" * 100)
    assert_one_line_error(cli("check", "--database-url", f"duckdb:///{junk}"), "cannot open the warehouse")


def test_half_written_warehouse_is_refused(tmp_path):
    partial = tmp_path / "partial.duckdb"
    con = duckdb.connect(str(partial))
    con.execute("CREATE TABLE dim_district (district_code VARCHAR)")
    con.close()
    assert_one_line_error(cli("check", "--database-url", f"duckdb:///{partial}"), "incomplete", "rebuild")
    with pytest.raises(WarehouseIncomplete):
        check_warehouse(create_engine(f"duckdb:///{partial}"))


def test_unfinished_build_marker_is_refused(s_warehouse, tmp_path):
    copy = tmp_path / "unfinished.duckdb"
    copy.write_bytes(Path(s_warehouse.removeprefix("duckdb:///")).read_bytes())
    con = duckdb.connect(str(copy))
    con.execute("DELETE FROM warehouse_meta WHERE key = 'build_status'")
    con.close()
    with raises_saying(WarehouseIncomplete, "never finished"):
        check_warehouse(create_engine(f"duckdb:///{copy}"))


@pytest.mark.slow  # builds a demo warehouse itself
def test_interrupted_build_leaves_no_file_and_keeps_the_old_one(tmp_path, monkeypatch):
    target = tmp_path / "warehouse.duckdb"
    url = f"duckdb:///{target}"
    build_demo(url, scale="S", last_month=TEST_LAST_MONTH)
    before = check_warehouse(create_engine(url))["data_version"]

    def interrupted(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(build_module, "followup_tables", interrupted)
    with pytest.raises(KeyboardInterrupt):
        build_demo(url, scale="S", last_month=TEST_LAST_MONTH)
    assert check_warehouse(create_engine(url))["data_version"] == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["warehouse.duckdb"]

    fresh = tmp_path / "fresh" / "warehouse.duckdb"
    with pytest.raises(KeyboardInterrupt):
        build_demo(f"duckdb:///{fresh}", scale="S", last_month=TEST_LAST_MONTH)
    assert list(fresh.parent.iterdir()) == []


def test_in_memory_duckdb_cannot_hold_a_warehouse():
    with raises_saying(WarehouseUnavailable, "in-memory"):
        build_demo("duckdb:///:memory:", scale="S")


def test_bad_port_setting(monkeypatch):
    from dashboard.core.errors import UserFacingError
    from dashboard.core.settings import Settings

    monkeypatch.setenv("DASHBOARD_PORT", "eighty")
    with raises_saying(UserFacingError, "DASHBOARD_PORT"):
        Settings.from_env()
