"""What a hostile review of the loader found, each fixed and kept fixed: a stray quote that swallowed rows (lost
without trace, and names and ID numbers carried into a value), a month deleted because only a refused row named
it, absurd dates, files skipped for their suffix's case or format, tables emptied by a replace load without
their file, raw ID numbers passed off as pseudonyms, Parquet timestamps, integer overflow, scratch files with
raw identifiers left by a killed load, two loads at once."""

from __future__ import annotations

import csv
import fcntl
import json
import shutil
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dashboard.core.db import duckdb_path, parse_database_url
from dashboard.core.errors import UserFacingError
from dashboard.load.extracts.run import LoadOptions, load_extracts

HEADER = [
    "visit_id",
    "visit_date",
    "patient_id",
    "institution_id",
    "doctor_id",
    "team_id",
    "visit_type",
    "diagnosis_code",
    "total_cost",
    "insurance_paid",
    "drug_cost",
    "patient_name",
]


@pytest.fixture
def base(s_warehouse, tmp_path):
    """A copy of the S demo to add months to, the demo's patients and a month it holds visits in."""
    path = tmp_path / "w.duckdb"
    shutil.copyfile(duckdb_path(parse_database_url(s_warehouse)), path)
    con = duckdb.connect(str(path), read_only=True)
    patients = [p for (p,) in con.execute("SELECT patient_id FROM dim_patient ORDER BY 1 LIMIT 5").fetchall()]
    month = con.execute("SELECT date_trunc('month', max(visit_date))::DATE FROM fact_visit").fetchone()[0]
    con.close()
    return f"duckdb:///{path}", path, patients, month


def _visit(i: int, patient: str, day: str, **changes) -> list[str]:
    row = {
        "visit_id": str(800_000_000 + i),
        "visit_date": day,
        "patient_id": patient,
        "institution_id": "I001",
        "doctor_id": "",
        "team_id": "",
        "visit_type": "outpatient",
        "diagnosis_code": "I10",
        "total_cost": "100.00",
        "insurance_paid": "60.00",
        "drug_cost": "30.00",
        "patient_name": f"张{i}",
    }
    row.update(changes)
    return [row[h] for h in HEADER]


def _write_raw(path: Path, text: str) -> None:
    path.write_text(",".join(HEADER) + "\n" + text, encoding="utf-8")


def _lines(rows: list[list[str]]) -> str:
    out = []
    for row in rows:
        out.append(",".join(row))
    return "\n".join(out) + "\n"


def _load(folder: Path, url: str, tmp_path: Path, **options):
    options = {"mode": "months", "ids_are_pseudonyms": True, "max_reject_share": 0.9, **options}
    return load_extracts(LoadOptions(folder, url, report_dir=tmp_path / "report", **options))


def _count(path: Path, sql: str):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_a_stray_quote_loses_no_row_and_carries_nothing_into_a_value(base, tmp_path):
    url, path, patients, month = base
    folder = tmp_path / "x"
    folder.mkdir()
    day = month.isoformat()
    rows = [_visit(i, patients[i % 5], day) for i in range(6)]
    rows[2][-1] = '"张2'  # an opening quote never closed on its line: it swallows the rows after it
    rows[4][-1] = '张4"'
    _write_raw(folder / "fact_visit.csv", _lines(rows))
    report = _load(folder, url, tmp_path)
    result = report.tables["fact_visit"]
    assert result.rows_read == 6 and result.rows_loaded == 3 and result.rows_quarantined == 3
    quarantine = (tmp_path / "report" / "quarantine" / "fact_visit.csv").read_text(encoding="utf-8-sig")
    assert "张" not in quarantine and quarantine.count("malformed_row") == 3
    assert _count(path, "SELECT count(*) FROM fact_visit WHERE visit_id >= 800000000")[0][0] == 3
    texts = _count(
        path, "SELECT count(*) FROM fact_visit WHERE institution_id LIKE '%张%' OR visit_type LIKE '%张%'"
    )
    assert texts[0][0] == 0


def test_a_month_only_a_refused_row_names_is_kept(base, tmp_path):
    url, path, patients, month = base
    before = _count(path, f"SELECT count(*) FROM fact_visit WHERE visit_date >= DATE '{month}'")[0][0]
    earlier = _count(path, "SELECT min(visit_date) FROM fact_visit")[0][0]
    folder = tmp_path / "x"
    folder.mkdir()
    rows = [
        _visit(1, patients[0], earlier.isoformat()),
        _visit(2, patients[1], month.isoformat(), visit_type="xxx"),
    ]
    _write_raw(folder / "fact_visit.csv", _lines(rows))
    report = _load(folder, url, tmp_path)
    assert report.tables["fact_visit"].months == [earlier.isoformat()[:7]]
    assert _count(path, f"SELECT count(*) FROM fact_visit WHERE visit_date >= DATE '{month}'")[0][0] == before


def test_absurd_dates_are_refused(base, tmp_path):
    url, _path, patients, month = base
    folder = tmp_path / "x"
    folder.mkdir()
    rows = [
        _visit(1, patients[0], "9999-12-31"),
        _visit(2, patients[1], "0000-01-01"),
        _visit(3, patients[2], "2099-01-01"),
        _visit(4, patients[3], month.isoformat()),
    ]
    _write_raw(folder / "fact_visit.csv", _lines(rows))
    report = _load(folder, url, tmp_path)
    result = report.tables["fact_visit"]
    # year 0 is read as 1 BC: out of range like 9999 and a visit in 2099
    assert result.rows_loaded == 1 and result.reasons == {"out_of_range:visit_date": 3}


def test_suffixes_in_any_case_and_formats_it_cannot_read(base, tmp_path):
    url, _path, patients, month = base
    folder = tmp_path / "x"
    folder.mkdir()
    _write_raw(folder / "fact_visit.CSV", _lines([_visit(1, patients[0], month.isoformat())]))
    assert _load(folder, url, tmp_path).tables["fact_visit"].rows_loaded == 1
    (folder / "fact_inpatient.xls").write_bytes(b"\xd0\xcf\x11\xe0 an old Excel file")
    with pytest.raises(UserFacingError) as refused:
        _load(folder, url, tmp_path)
    assert refused.value.key == "extract_unsupported"


def test_a_replace_load_does_not_empty_a_table_it_has_no_file_for(s_warehouse, tmp_path):
    from tests.support.extracts import export_contract_layout

    url = f"duckdb:///{tmp_path / 'w.duckdb'}"
    shutil.copyfile(duckdb_path(parse_database_url(s_warehouse)), tmp_path / "w.duckdb")
    folder = tmp_path / "x"
    export_contract_layout(duckdb_path(parse_database_url(s_warehouse)), folder, keep_ids=True)
    (folder / "fact_referral.csv").unlink()
    (folder / "fact_contract.csv").unlink()
    with pytest.raises(UserFacingError) as refused:
        _load(folder, url, tmp_path, mode="replace")
    assert refused.value.key == "load_would_empty"
    assert refused.value.params["tables"] == ("fact_referral", "fact_contract")


def test_raw_id_numbers_are_not_pseudonyms(base, tmp_path):
    url, path, patients, month = base
    folder = tmp_path / "x"
    folder.mkdir()
    _write_raw(
        folder / "fact_visit.csv",
        _lines(
            [_visit(1, "11010119900101123X", month.isoformat()), _visit(2, patients[0], month.isoformat())]
        ),
    )
    report = _load(folder, url, tmp_path)
    assert report.tables["fact_visit"].reasons == {
        "not_a_pseudonym:patient_id": 1,
        "unknown_ref:patient_id": 1,
    }
    assert _count(path, "SELECT count(*) FROM fact_visit WHERE patient_id = '11010119900101123X'")[0][0] == 0
    key = tmp_path / "key"
    key.write_bytes(b"0123456789abcdef0123456789abcdef")
    with pytest.raises(UserFacingError) as refused:
        _load(folder, url, tmp_path, key_file=str(key))
    assert refused.value.key == "ids_flag_with_key"


def test_parquet_timestamps_and_integer_overflow(base, tmp_path):
    url, _path, patients, month = base
    folder = tmp_path / "x"
    folder.mkdir()
    stamp = pa.array(
        [pa.scalar(0, pa.timestamp("ms")).as_py().replace(year=month.year, month=month.month)] * 2,
        pa.timestamp("ms"),
    )
    table = pa.table(
        {
            "visit_id": pa.array([800_000_101, 800_000_102], pa.int64()),
            "visit_date": stamp,
            "patient_id": pa.array(patients[:2]),
            "institution_id": pa.array(["I001", "I001"]),
            "visit_type": pa.array(["outpatient", "outpatient"]),
            "total_cost": pa.array([10.0, 20.0]),
            "insurance_paid": pa.array([5.0, 5.0]),
            "drug_cost": pa.array([1.0, 1.0]),
        }
    )
    pq.write_table(table, folder / "fact_visit.parquet")
    with open(folder / "fact_capitation.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["institution_id", "year", "contracted_insured", "per_capita_rate", "budget"])
        writer.writerow(["I001", "2030", "99999999999", "100", "100"])
        writer.writerow(["I002", "2030", "-500", "100", "100"])
    report = _load(folder, url, tmp_path, max_reject_share=1.0)
    assert report.tables["fact_visit"].rows_loaded == 2
    assert report.tables["fact_capitation"].reasons == {"out_of_range:contracted_insured": 2}


def test_leftovers_of_a_killed_load_are_swept_and_two_loads_never_run_at_once(base, tmp_path):
    url, path, patients, month = base
    stale = path.parent / ".stage-w.duckdb-killed"
    other = path.parent / ".stage-other.duckdb-running"  # another warehouse's load in the same folder
    other.mkdir()
    stale.mkdir()
    (stale / "stage.duckdb").write_bytes(b"raw identifiers of a killed load")
    folder = tmp_path / "x"
    folder.mkdir()
    _write_raw(folder / "fact_visit.csv", _lines([_visit(1, patients[0], month.isoformat())]))
    _load(folder, url, tmp_path)
    assert not stale.exists() and other.exists()
    with open(path.parent / "w.duckdb.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # another load of this warehouse is running
        with pytest.raises(UserFacingError) as refused:
            _load(folder, url, tmp_path)
    assert refused.value.key == "load_in_progress"
    report = json.loads((tmp_path / "report" / "report.json").read_text(encoding="utf-8"))
    assert report["status"] == "refused"


def test_legitimate_line_breaks_and_shifted_columns(base, tmp_path):
    url, _path, patients, month = base
    folder = tmp_path / "x"
    folder.mkdir()
    day = month.isoformat()
    rows = [_visit(i, patients[i % 5], day) for i in range(4)]
    rows[1][-1] = '"一行备注\n第二行"'  # a correctly quoted remark over two lines, in a column not read
    shifted = _visit(3, patients[3], day)
    shifted[-1] = "张,3"  # an unquoted comma in a name: every later column would move one to the right
    text = _lines(rows[:3]) + ",".join(shifted) + "\n"
    _write_raw(folder / "fact_visit.csv", text)
    result = _load(folder, url, tmp_path).tables["fact_visit"]
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (4, 3, 1)
    assert result.reasons == {"malformed_row": 1}


def test_a_month_only_refused_keys_name_is_kept(base, tmp_path):
    url, path, patients, month = base
    before = _count(path, f"SELECT count(*) FROM fact_visit WHERE visit_date >= DATE '{month}'")[0][0]
    # a key the warehouse holds in the month before: a month this load does not replace
    taken = _count(
        path,
        f"SELECT min(visit_id) FROM fact_visit WHERE visit_date < DATE '{month}' "
        f"AND visit_date >= DATE '{month}' - INTERVAL 1 MONTH",
    )[0][0]
    earlier = _count(path, "SELECT min(visit_date) FROM fact_visit")[0][0]
    folder = tmp_path / "x"
    folder.mkdir()
    day = month.isoformat()
    rows = [
        _visit(1, patients[0], (earlier.replace(day=28)).isoformat()),
        _visit(2, patients[1], day, visit_id="999999990"),
        _visit(3, patients[2], day, visit_id="999999990", total_cost="101.00"),
        _visit(4, patients[3], day, visit_id=str(taken)),
    ]
    _write_raw(folder / "fact_visit.csv", _lines(rows))
    result = _load(folder, url, tmp_path).tables["fact_visit"]
    assert result.reasons == {"duplicate_key": 2, "key_in_warehouse": 1}
    assert result.months == [earlier.isoformat()[:7]]
    assert _count(path, f"SELECT count(*) FROM fact_visit WHERE visit_date >= DATE '{month}'")[0][0] == before
