"""Round trip: the S demo written out as a region's extract (18-digit ID numbers, GB18030 and BOM files, xlsx,
gzip and Parquet, dates in four formats), with a bad row of every kind added, loaded by ``python -m dashboard
load``: every KPI by district for a year equals the demo's, the quarantine holds exactly the added rows with
their reasons, and no ID number is anywhere in the warehouse."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from dashboard.core.db import duckdb_path, get_engine, parse_database_url
from queries.execution import kpi_values
from queries.kpi.builder import Request
from queries.kpi.registry import REGISTRY
from queries.selection import filters_for
from tests.support.extracts import (
    append_rows,
    export_contract_layout,
    read_rows,
    recode,
    to_gzip,
    to_parquet,
    to_xlsx,
)

ROOT = Path(__file__).resolve().parents[2]

# (table, row changes applied to a copy of a real row, the reasons the loader must give it)
FAULTS = [
    ("fact_visit", {"visit_date": "2025-02-30"}, {"bad_date:visit_date"}),
    ("fact_visit", {"institution_id": "I999"}, {"unknown_ref:institution_id"}),
    ("fact_visit", {"visit_type": "walk_in"}, {"bad_code:visit_type"}),
    ("fact_visit", {"insurance_paid": "99999.00"}, {"inconsistent:insurance_paid>total_cost"}),
    ("fact_visit", {"total_cost": "abc"}, {"bad_type:total_cost"}),
    ("fact_visit", {"diagnosis_code": "Z99.99"}, {"unknown_ref:diagnosis_code"}),
    ("fact_visit", {"patient_id": ""}, {"missing:patient_id"}),
    ("fact_visit", {"patient_id": "110101199001011234"}, {"unknown_ref:patient_id"}),
    ("fact_inpatient", {"discharge_date": "2020-01-01", "los_days": "1"}, {"inconsistent:discharge<admit"}),
    ("fact_inpatient", {"los_days": "77"}, {"inconsistent:los_days"}),
    ("fact_inpatient", {"drg_code": "ZZ99"}, {"unknown_ref:drg_code"}),
    ("fact_followup", {"sbp": "400"}, {"out_of_range:sbp"}),
    ("fact_followup", {"fasting_glucose": "80"}, {"out_of_range:fasting_glucose"}),
    ("fact_referral", {"direction": "sideways"}, {"bad_code:direction"}),
]
NEW_KEY = 900_000_001


@pytest.fixture(scope="module")
def extract(s_warehouse, tmp_path_factory):
    """The S demo as files with faults added; returns (folder, expected quarantine by table)."""
    folder = tmp_path_factory.mktemp("extract")
    export_contract_layout(duckdb_path(parse_database_url(s_warehouse)), folder)
    expected: dict[str, list[set[str]]] = {}
    offsets: dict[str, int] = {}
    keys = {
        "fact_visit": "visit_id",
        "fact_inpatient": "case_id",
        "fact_followup": "followup_id",
        "fact_referral": "referral_id",
    }
    for table, changes, reasons in FAULTS:
        path = folder / f"{table}.csv"
        template = read_rows(path)[10]
        offsets[table] = offsets.get(table, 0) + 1
        row = {**template, **changes, keys[table]: str(NEW_KEY + offsets[table])}
        append_rows(path, [row])
        expected.setdefault(table, []).append(reasons)
    visits = folder / "fact_visit.csv"
    first = read_rows(visits)[0]
    append_rows(visits, [first])  # an exact repeat: the first copy loads
    expected["fact_visit"].append({"duplicate_row"})
    twin = {**first, "visit_id": str(NEW_KEY)}
    append_rows(visits, [twin, {**twin, "total_cost": str(float(twin["total_cost"]) + 1)}])
    expected["fact_visit"] += [{"duplicate_key"}, {"duplicate_key"}]
    with open(visits, "a", encoding="utf-8") as fh:
        fh.write("1,2,3\n")  # a row with the wrong number of fields
    expected["fact_visit"].append({"malformed_row"})

    # the same data in other shapes: dates as YYYY/MM/DD and YYYYMMDD, Chinese Excel's encoding, a BOM,
    # Excel sheets with date cells and with day numbers, gzip and Parquet
    referrals = folder / "fact_referral.csv"
    text = referrals.read_text(encoding="utf-8")
    referrals.write_text(re.sub(r"(\d{4})-(\d{2})-(\d{2})", r"\1/\2/\3", text), encoding="utf-8")
    inpatient = folder / "fact_inpatient.csv"
    text = inpatient.read_text(encoding="utf-8")
    inpatient.write_text(re.sub(r"(\d{4})-(\d{2})-(\d{2})", r"\1\2\3", text), encoding="utf-8")
    for name in ("dim_institution", "dim_team", "dim_doctor", "fact_inpatient"):
        recode(folder / f"{name}.csv", "gb18030")
    recode(visits, "utf-8-sig")
    to_xlsx(folder / "dim_district.csv")
    to_xlsx(folder / "fact_contract.csv", {"start_date": "date", "end_date": "date"})
    to_xlsx(folder / "fact_chronic_registry.csv", {"registered_date": "serial", "end_date": "serial"})
    to_gzip(referrals)
    to_parquet(folder / "fact_followup.csv")
    (folder / "notes.txt").write_text("not data")
    (folder / "readme.csv").write_text("a,b\n1,2\n")  # a file named after no table: listed, not read
    return folder, expected


@pytest.fixture(scope="module")
def loaded(extract, tmp_path_factory):
    folder, expected = extract
    work = tmp_path_factory.mktemp("load")
    key = work / "pseudonym.key"
    key.write_bytes(b"a-deployment-secret-of-32-bytes!")
    url = f"duckdb:///{work / 'w.duckdb'}"
    report_dir = work / "report"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "dashboard",
            "load",
            str(folder),
            "--database-url",
            url,
            "--report-dir",
            str(report_dir),
            "--pseudonym-key-file",
            str(key),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr
    return url, report_dir, expected


def test_every_row_is_accounted_for(loaded):
    _url, report_dir, expected = loaded
    report = json.loads((report_dir / "report.json").read_text(encoding="utf-8"))
    assert report["status"] == "loaded"
    for table, result in report["tables"].items():
        assert result["rows_read"] == result["rows_loaded"] + result["rows_quarantined"], table
        assert result["rows_quarantined"] == len(expected.get(table, [])), table
    assert report["ignored_files"] == ["notes.txt", "readme.csv"]  # every file not read is named
    assert report["tables"]["fact_inpatient"]["encoding"] == "gb18030"
    assert report["tables"]["fact_visit"]["encoding"] == "utf-8-sig"


def test_the_quarantine_holds_exactly_the_bad_rows_with_their_reasons(loaded):
    _url, report_dir, expected = loaded
    for table, reasons in expected.items():
        with open(report_dir / "quarantine" / f"{table}.csv", encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
        found = sorted(sorted(r["reason"].split(" ")[0].split(";")) for r in rows)
        assert found == sorted(sorted(r) for r in reasons), table
        assert all(int(r["source_row"]) > 1 for r in rows)


def test_every_kpi_by_district_for_a_year_equals_the_demo(s_warehouse, loaded):
    url = loaded[0]
    for kpi in REGISTRY:
        demo = kpi_values(
            s_warehouse, Request(kpi, filters_for(s_warehouse, None, "2025-01", "2025-12"), ("district",))
        )
        mine = kpi_values(url, Request(kpi, filters_for(url, None, "2025-01", "2025-12"), ("district",)))
        pd.testing.assert_frame_equal(mine, demo, check_exact=False, rtol=1e-9, obj=kpi)


def test_no_identifier_of_the_extract_is_in_the_warehouse(extract, loaded):
    folder, _expected = extract
    url, report_dir, _ = loaded
    with open(folder / "dim_patient.csv", encoding="utf-8") as fh:
        ids = {row["patient_id"] for row in csv.DictReader(fh)}
    ids.add("110101199001011234")
    assert all(len(i) == 18 for i in ids)
    # the test session has the file open read-only already: query through its engine
    with get_engine(url).connect() as conn:
        con = conn.connection.driver_connection
        con.register("ids", pa.table({"id": sorted(ids)}))
        columns = con.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'main' AND data_type = 'VARCHAR' AND table_name <> 'ids'"
        ).fetchall()
        assert len(columns) > 50
        for table, column in columns:
            hits = con.execute(
                f'SELECT count(*) FROM "{table}" WHERE "{column}" IN (SELECT id FROM ids)'
            ).fetchone()[0]
            assert hits == 0, (table, column)
        reports = " ".join(r for (r,) in con.execute("SELECT report FROM load_log").fetchall())
        assert reports and not any(i in reports for i in ids)
        pseudonyms = con.execute("SELECT patient_id FROM dim_patient LIMIT 5").fetchall()
        assert all(re.fullmatch(r"[0-9a-f]{32}", p) for (p,) in pseudonyms)
        con.unregister("ids")
    for path in report_dir.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8-sig")
            assert not any(i in text for i in ids), path
