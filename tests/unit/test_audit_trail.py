"""The audit trail's own interfaces: rows only added, filtered by day, user and kind, and printed as CSV by
``python -m dashboard audit --since YYYY-MM-DD [--user U] --format csv`` (one-line errors, exit 2)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import subprocess
import sys

import pytest

from dashboard.accounts import audit, store
from tests.support import PROJECT_ROOT


@pytest.fixture
def app_db(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'app.sqlite3'}"
    engine = store.app_engine(url)
    for user, kind, rows in (("ana", "login", None), ("ana", "download", 120), ("bo", "export", 14)):
        audit.record(engine, audit.Event(user, "city", "city", "10.0.0.7", kind, "/drg", "?period=all", rows))
    return url


def audit_cli(app_db: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DASHBOARD_APP_DATABASE_URL": app_db}
    return subprocess.run(
        [sys.executable, "-m", "dashboard", "audit", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=PROJECT_ROOT,
        env=env,
    )


def test_the_trail_is_filtered_and_printed_as_csv(app_db):
    today = dt.datetime.now(dt.UTC).date().isoformat()
    printed = audit_cli(app_db, "--since", today, "--format", "csv")
    assert printed.returncode == 0, printed.stderr
    rows = list(csv.DictReader(io.StringIO(printed.stdout)))
    assert list(rows[0]) == list(audit.COLUMNS)
    assert [(r["username"], r["kind"], r["rows"]) for r in rows] == [
        ("bo", "export", "14"),
        ("ana", "download", "120"),
        ("ana", "login", ""),
    ]
    assert all(r["address"] == "10.0.0.7" and r["at"].startswith(today) for r in rows)
    only_ana = list(csv.DictReader(io.StringIO(audit_cli(app_db, "--since", today, "--user", "ana").stdout)))
    assert {r["username"] for r in only_ana} == {"ana"} and len(only_ana) == 2
    tomorrow = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)).isoformat()
    assert audit_cli(app_db, "--since", tomorrow).stdout.strip() == ",".join(audit.COLUMNS)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("--since", "2026-13-01"), "not a date"),
        (("--since", "yesterday"), "not a date"),
        (("--since", "2026-01-01", "--kind", "sneeze"), "kind must be one of"),
        (("--since", "2026-01-01", "--format", "xml"), "invalid choice"),
        ((), "--since"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(app_db, args, fragment):
    result = audit_cli(app_db, *args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and fragment in lines[0], result.stderr


def test_a_long_forged_value_is_cut_to_its_column(app_db):
    engine = store.app_engine(app_db)
    audit.record(engine, audit.Event("x" * 500, "", "", "", "refused", "/" * 900, "?" + "a" * 5000))
    row = audit.events(engine, kind="refused")[0]
    assert len(row["username"]) == 40 and len(row["page"]) == 200 and len(row["filters"]) == 1000
