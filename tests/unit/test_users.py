"""``python -m dashboard users``: users with a role and a scope that the warehouse knows, passwords hashed
with argon2id and read from standard input only, one-line errors with exit 2 on bad input."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard.accounts import store
from tests.support.mini_warehouse import build_mini_warehouse

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> str:
    return build_mini_warehouse(tmp_path_factory.mktemp("mini") / "mini.duckdb")


@pytest.fixture
def app_db(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'app.sqlite3'}"


def users(
    app_db: str, warehouse: str, *args: str, password: str | None = None
) -> subprocess.CompletedProcess:
    env = {**os.environ, "DASHBOARD_APP_DATABASE_URL": app_db, "DASHBOARD_DATABASE_URL": warehouse}
    return subprocess.run(
        [sys.executable, "-m", "dashboard", "users", *args],
        input=None if password is None else password + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env=env,
    )


def refused(result: subprocess.CompletedProcess, fragment: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and fragment in lines[0], result.stderr


def test_add_list_disable_and_set_password(app_db, warehouse):
    added = users(
        app_db,
        warehouse,
        "add",
        "director",
        "--role",
        "district",
        "--scope",
        "district=D1",
        "--email",
        "d@example.cn",
        "--password-stdin",
        password="a-long-secret-1",
    )
    assert added.returncode == 0, added.stderr
    assert (
        users(
            app_db,
            warehouse,
            "add",
            "analyst",
            "--role",
            "insurance",
            "--password-stdin",
            password="another-secret-2",
        ).returncode
        == 0
    )
    listed = users(app_db, warehouse, "list").stdout.splitlines()
    assert listed == [
        "analyst\tinsurance\tcity\t\tactive",
        "director\tdistrict\tdistrict=D1\td@example.cn\tactive",
    ]
    engine = store.app_engine(app_db)
    assert store.verify(engine, "director", "a-long-secret-1").scope_id == "D1"
    assert store.verify(engine, "director", "wrong-password") is None
    assert store.verify(engine, "nobody", "a-long-secret-1") is None
    # stored as an argon2id hash, never as the password
    path = app_db.removeprefix("sqlite:///")
    stored = sqlite3.connect(path).execute("SELECT password_hash FROM app_user").fetchall()
    assert all(h.startswith("$argon2id$") and "secret" not in h for (h,) in stored)
    assert (
        users(
            app_db, warehouse, "set-password", "director", "--password-stdin", password="a-new-secret-3"
        ).returncode
        == 0
    )
    assert store.verify(engine, "director", "a-long-secret-1") is None
    assert store.verify(engine, "director", "a-new-secret-3") is not None
    assert users(app_db, warehouse, "disable", "director").returncode == 0
    assert store.verify(engine, "director", "a-new-secret-3") is None
    assert users(app_db, warehouse, "list").stdout.splitlines()[1].endswith("disabled")
    engine.dispose()


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("add", "x1", "--role", "mayor", "--password-stdin"), "unknown role 'mayor'"),
        (("add", "x1", "--role", "district", "--password-stdin"), "needs --scope district=CODE"),
        (
            ("add", "x1", "--role", "district", "--scope", "consortium=C1", "--password-stdin"),
            "district=CODE",
        ),
        (("add", "x1", "--role", "city", "--scope", "district=D1", "--password-stdin"), "takes no --scope"),
        (("add", "x1", "--role", "district", "--scope", "D1", "--password-stdin"), "KIND=CODE"),
        (
            ("add", "x1", "--role", "hospital", "--scope", "institution=NOPE", "--password-stdin"),
            "no institution 'NOPE'",
        ),
        (("add", "x/../1", "--role", "city", "--password-stdin"), "is not"),
        (("add", "x1", "--role", "city"), "--password-stdin"),
        (("disable", "ghost"), "no user 'ghost'"),
        (("set-password", "ghost", "--password-stdin"), "no user 'ghost'"),
    ],
)
def test_bad_input_is_refused(app_db, warehouse, args, fragment):
    refused(users(app_db, warehouse, *args, password="long-enough-secret"), fragment)


def test_a_user_that_exists_and_a_short_password(app_db, warehouse):
    first = users(
        app_db, warehouse, "add", "x1", "--role", "city", "--password-stdin", password="long-enough-1"
    )
    assert first.returncode == 0
    refused(
        users(
            app_db, warehouse, "add", "x1", "--role", "admin", "--password-stdin", password="long-enough-2"
        ),
        "exists already",
    )
    refused(
        users(app_db, warehouse, "add", "x2", "--role", "city", "--password-stdin", password="short"),
        "at least 10",
    )


def test_a_bad_application_database_url(warehouse):
    refused(users("nosuchdb://x", warehouse, "list"), "not a database URL for the application database")
