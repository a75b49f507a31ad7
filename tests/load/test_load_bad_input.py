"""``python -m dashboard load`` on bad input: exit 2 and one line saying what to do (after the progress lines),
never a traceback; the report written where there is one; no warehouse created or changed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    import os

    environment = {k: v for k, v in os.environ.items() if k != "DASHBOARD_PSEUDONYM_KEY_FILE"}
    return subprocess.run(
        [sys.executable, "-m", "dashboard", "load", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**environment, **(env or {})},
    )


def refused(result: subprocess.CompletedProcess, *fragments: str) -> str:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.stderr
    for fragment in fragments:
        assert fragment in errors[0], errors[0]
    return errors[0]


@pytest.fixture
def folder(tmp_path) -> Path:
    path = tmp_path / "extract"
    path.mkdir()
    (path / "fact_visit.csv").write_text("visit_id,visit_date\n1,2025-01-01\n", encoding="utf-8")
    return path


@pytest.fixture
def key(tmp_path) -> str:
    path = tmp_path / "key"
    path.write_bytes(b"bad-input-tests-key-0123456789")
    return str(path)


@pytest.fixture
def target(tmp_path) -> tuple[str, Path]:
    path = tmp_path / "w.duckdb"
    return f"duckdb:///{path}", path


def test_no_pseudonym_key_refuses(folder, target):
    url, path = target
    refused(load(str(folder), "--database-url", url), "no pseudonym key", "--pseudonym-key-file")
    assert not path.exists()


def test_a_short_or_missing_key_file(folder, target, tmp_path):
    url, _ = target
    short = tmp_path / "short"
    short.write_bytes(b"abc")
    refused(load(str(folder), "--database-url", url, "--pseudonym-key-file", str(short)), "too short")
    refused(
        load(str(folder), "--database-url", url, "--pseudonym-key-file", str(tmp_path / "nope")),
        "cannot read",
    )


def test_no_such_folder(target, key, tmp_path):
    refused(
        load(str(tmp_path / "nothing"), "--database-url", target[0], "--pseudonym-key-file", key), "no folder"
    )


def test_bad_options(folder, target, key):
    refused(
        load(
            str(folder), "--database-url", target[0], "--pseudonym-key-file", key, "--max-reject-share", "2"
        ),
        "--max-reject-share",
    )
    result = load(str(folder), "--mode", "weekly", "--pseudonym-key-file", key)
    assert result.returncode == 2 and "invalid choice" in result.stderr


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("name = [", "mapping bad.toml"),
        (
            'name = "x"\nversion = "1"\n[[table]]\ntarget = "fact_nothing"\nfile = "f"\n',
            "not a contract table",
        ),
        (
            'name = "x"\nversion = "1"\n[[table]]\ntarget = "fact_visit"\nfile = "f"\n[table.columns]\nwho = "a"\n',
            "'who' is not a column",
        ),
        (
            'name = "x"\nversion = "1"\n[[table]]\ntarget = "fact_visit"\nfile = "f"\n[table.columns]\n'
            'visit_type = "t"\n[table.codes.visit_type]\n"1" = "walk_in"\n',
            "not a contract code",
        ),
        ('name = "x"\nversion = "1"\n[[table]]\ntarget = "fact_visit"\nfile = "../f"\n', "without folders"),
    ],
)
def test_a_bad_mapping(folder, target, key, tmp_path, text, fragment):
    mapping = tmp_path / "bad.toml"
    mapping.write_text(text, encoding="utf-8")
    refused(
        load(
            str(folder), "--database-url", target[0], "--pseudonym-key-file", key, "--mapping", str(mapping)
        ),
        fragment,
    )
    assert not target[1].exists()


def test_files_that_cannot_be_read_or_used(folder, target, key, tmp_path):
    url, path = target
    report = tmp_path / "report"
    args = ["--database-url", url, "--pseudonym-key-file", key, "--report-dir", str(report)]
    # a file lacking the contract's required columns
    refused(load(str(folder), *args), "fact_visit.csv lacks the columns", "patient_id")
    assert json.loads((report / "report.json").read_text(encoding="utf-8"))["status"] == "refused"
    # two files for one table
    (folder / "fact_visit.parquet").write_bytes(b"not parquet")
    refused(load(str(folder), *args), "two files for 'fact_visit'")
    (folder / "fact_visit.csv").unlink()
    refused(load(str(folder), *args), "fact_visit.parquet cannot be read")
    (folder / "fact_visit.parquet").unlink()
    (folder / "dim_district.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    refused(load(str(folder), *args), "dim_district.xlsx cannot be read")
    (folder / "dim_district.xlsx").unlink()
    (folder / "dim_district.csv").write_bytes(b"district_code,district_code\n1,2\n")
    refused(load(str(folder), *args), "column 2 of the header is empty or repeated")
    (folder / "dim_district.csv").write_text(
        "district_code,district_name,city_name,urban_rural\n1,a,b,urban\n", encoding="utf-8"
    )
    refused(load(str(folder), *args), "needs every dimension", "dim_population")
    refused(load(str(folder), *args[:4], "--mode", "months"), "months mode adds to a warehouse")
    assert not path.exists()
    assert not list(path.parent.glob("w.duckdb*"))
