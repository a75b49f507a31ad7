"""The shipped mappings, each on a small file in its source's own layout (Chinese headers as exported, or the
insurance platform's field codes), added in months mode to a copy of the S demo: codes translated, ids made
numbers, 医保版/临床版 diagnoses read at the catalogue's level, people pseudonymised and linked to the patient
file, personal columns dropped, and a code the mapping does not know reported and quarantined."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from dashboard.core.db import create_engine, duckdb_path, parse_database_url
from dashboard.core.paths import DATA_DIR
from dashboard.core.schema import ALL_TABLES
from dashboard.load.extracts.pseudonyms import pseudonym
from dashboard.load.extracts.run import LoadOptions, load_extracts

MAPPINGS = DATA_DIR / "mappings"
KEY = b"mapping-tests-key-0123456789abcdef"
PEOPLE = {
    "110101198001011234": ("M", 1980),
    "11010119650315432X": ("F", 1965),
    "110101195002021111": ("M", 1950),
}


def _write(path: Path, header: list[str], rows: list[list], encoding: str = "utf-8") -> None:
    with open(path, "w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


@pytest.fixture
def base(s_warehouse, tmp_path):
    """A copy of the S demo, a key file, and a folder holding the new patients in the contract's layout."""
    path = tmp_path / "w.duckdb"
    shutil.copyfile(duckdb_path(parse_database_url(s_warehouse)), path)
    key = tmp_path / "key"
    key.write_bytes(KEY)
    folder = tmp_path / "extract"
    folder.mkdir()
    _write(
        folder / "dim_patient.csv",
        ["patient_id", "sex", "birth_year", "district_code", "insurance_type"],
        [[pid, sex, year, "990102", "employee"] for pid, (sex, year) in PEOPLE.items()],
    )
    return f"duckdb:///{path}", key, folder


def _load(base, mapping: str, tmp_path):
    url, key, folder = base
    report = load_extracts(
        LoadOptions(
            folder,
            url,
            mapping_path=MAPPINGS / mapping,
            mode="months",
            report_dir=tmp_path / "report",
            key_file=str(key),
            max_reject_share=0.5,
        )
    )
    return url, report


def _rows(url: str, sql: str, **params):
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(sql), params).all()
    finally:
        engine.dispose()


def _no_identity(url: str, *values: str) -> None:
    """None of ``values`` (ID numbers, names, record numbers of the source) in any text column."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            for table in ALL_TABLES:
                for column in table.columns:
                    if isinstance(column.type, sa.String | sa.Text):
                        hits = conn.execute(
                            sa.select(sa.func.count()).select_from(table).where(column.in_(list(values)))
                        ).scalar_one()
                        assert hits == 0, (table.name, column.name)
    finally:
        engine.dispose()


def _pid(identifier: str) -> str:
    return pseudonym(KEY, identifier.upper())


def _assert_report(report, table: str, read: int, reason: str, value: str, personal: list[str]):
    result = report.tables[table]
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (read, read - 1, 1)
    assert result.reasons == {reason: 1}
    column = reason.split(":")[1]
    assert result.unmapped_codes == {column: {value: 1}}
    assert sorted(result.dropped_personal_columns) == sorted(personal)
    assert report.tables["dim_patient"].rows_loaded == len(PEOPLE)


def test_settlement_list(base, tmp_path):
    folder = base[2]
    header = [
        "清单流水号",
        "定点医疗机构代码",
        "医保编号",
        "证件号码",
        "姓名",
        "出院科别",
        "入院时间",
        "出院时间",
        "实际住院天数",
        "主要诊断代码",
        "DRG编码",
        "医疗费总额",
        "基金支付总额",
        "离院方式",
        "联系电话",
    ]
    people = list(PEOPLE)
    rows = [
        [
            "S2026100001",
            "I001",
            people[0],
            people[0],
            "张三",
            "心内科",
            "2026-10-03 08:30:00",
            "2026-10-09 10:00:00",
            "6",
            "I10.x00",
            "AH19",
            "12000.50",
            "9000.00",
            "1",
            "13800000000",
        ],
        [
            "S2026100002",
            "I001",
            people[1],
            people[1],
            "李四",
            "内分泌科",
            "2026-10-05 09:00:00",
            "2026-10-05 17:00:00",
            "1",
            "E11.900x001",
            "",
            "3000",
            "2000",
            "5",
            "13900000000",
        ],
        [
            "S2026100003",
            "I001",
            people[2],
            people[2],
            "王五",
            "心内科",
            "2026/10/10",
            "2026/10/12",
            "2",
            "I10",
            "AH19",
            "5000",
            "4000",
            "7",
            "",
        ],
    ]
    _write(folder / "医保结算清单.csv", header, rows, encoding="gb18030")
    url, report = _load(base, "settlement_list.toml", tmp_path)
    _assert_report(
        report, "fact_inpatient", 3, "unmapped_code:discharge_status", "7", ["证件号码", "姓名", "联系电话"]
    )
    loaded = _rows(
        url,
        "SELECT f.principal_dx, f.discharge_status, f.los_days, f.grouper_version, p.birth_year "
        "FROM fact_inpatient f JOIN dim_patient p USING (patient_id) WHERE f.patient_id IN :ids ORDER BY p.birth_year".replace(
            ":ids", "(:a, :b)"
        ),
        a=_pid(people[0]),
        b=_pid(people[1]),
    )
    assert loaded == [
        ("E11.9", "died", 1, "chs-drg-1.1-demo", 1965),
        ("I10", "alive", 6, "chs-drg-1.1-demo", 1980),
    ]
    assert (
        _rows(url, "SELECT count(*) FROM fact_inpatient WHERE discharge_date >= DATE '2026-10-01'")[0][0] == 2
    )
    _no_identity(url, *people, "张三", "李四", "13800000000", "S2026100001")


def test_front_page(base, tmp_path):
    folder = base[2]
    header = [
        "住院流水号",
        "病案号",
        "身份证号",
        "姓名",
        "医疗机构代码",
        "出院科别",
        "入院时间",
        "出院时间",
        "实际住院天数",
        "出院主要诊断编码",
        "住院总费用",
        "自付金额",
        "离院方式",
        "入院途径",
        "出院31天内再住院计划",
        "现住址",
    ]
    people = list(PEOPLE)
    rows = [
        [
            "ZY001",
            "BA001",
            people[0],
            "张三",
            "I001",
            "心内科",
            "2026-10-01",
            "2026-10-08",
            "7",
            "I10.x00x002",
            "10000",
            "2500.50",
            "1",
            "1",
            "2",
            "江州市鼓楼区",
        ],
        [
            "ZY002",
            "BA002",
            people[1],
            "李四",
            "I001",
            "内分泌科",
            "2026-10-02",
            "2026-10-04",
            "2",
            "E11.900",
            "3000",
            "1000",
            "1",
            "3",
            "1",
            "",
        ],
        [
            "ZY003",
            "BA003",
            people[2],
            "王五",
            "I001",
            "心内科",
            "2026-10-02",
            "2026-10-04",
            "2",
            "I10",
            "3000",
            "1000",
            "1",
            "6",
            "1",
            "",
        ],
    ]
    _write(folder / "住院病案首页.csv", header, rows)
    url, report = _load(base, "front_page.toml", tmp_path)
    _assert_report(
        report, "fact_inpatient", 3, "unmapped_code:admission_route", "6", ["病案号", "姓名", "现住址"]
    )
    loaded = _rows(
        url,
        "SELECT principal_dx, admission_route, planned_readmission, insurance_paid FROM fact_inpatient "
        "WHERE patient_id IN (:a, :b) ORDER BY principal_dx",
        a=_pid(people[0]),
        b=_pid(people[1]),
    )
    assert [(dx, route, planned, float(paid)) for dx, route, planned, paid in loaded] == [
        ("E11.9", "transfer_in", False, 2000.0),
        ("I10", "emergency", True, 7499.5),
    ]
    _no_identity(url, *people, "BA001", "张三", "江州市鼓楼区")


def test_insurance_platform_field_codes(base, tmp_path):
    folder = base[2]
    header = [
        "setl_id",
        "mdtrt_id",
        "psn_no",
        "certno",
        "psn_name",
        "gend",
        "brdy",
        "insutype",
        "med_type",
        "setl_time",
        "fixmedins_code",
        "begndate",
        "enddate",
        "dscg_way",
        "dscg_maindiag_code",
        "dscg_caty",
        "medfee_sumamt",
        "hifp_pay",
        "fund_pay_sumamt",
        "psn_part_amt",
        "acct_pay",
        "psn_cash_pay",
    ]
    people = list(PEOPLE)
    rows = [
        [
            "330100000001",
            "M1",
            people[0],
            people[0],
            "张三",
            "1",
            "1980-01-01",
            "310",
            "21",
            "2026-10-09 10:00:00",
            "I001",
            "2026-10-03",
            "2026-10-09",
            "1",
            "I10.x00",
            "心内科",
            "12000",
            "8000",
            "9000",
            "3000",
            "500",
            "2500",
        ],
        [
            "330100000002",
            "M2",
            people[1],
            people[1],
            "李四",
            "2",
            "1965-03-15",
            "390",
            "21",
            "2026-10-05 17:00:00",
            "I001",
            "2026-10-05",
            "2026-10-05",
            "5",
            "E11.9",
            "内分泌科",
            "3000",
            "1800",
            "2000",
            "1000",
            "0",
            "1000",
        ],
        [
            "330100000003",
            "M3",
            people[2],
            people[2],
            "王五",
            "1",
            "1950-02-02",
            "390",
            "21",
            "2026-10-12 09:00:00",
            "I001",
            "2026-10-10",
            "2026-10-12",
            "8",
            "I10",
            "心内科",
            "5000",
            "3500",
            "4000",
            "1000",
            "0",
            "1000",
        ],
    ]
    _write(folder / "setl_inpatient.csv", header, rows)
    url, report = _load(base, "nhsa_platform.toml", tmp_path)
    _assert_report(
        report, "fact_inpatient", 3, "unmapped_code:discharge_status", "8", ["mdtrt_id", "certno", "psn_name"]
    )
    assert "insutype" in report.tables["fact_inpatient"].ignored_columns
    loaded = _rows(
        url,
        "SELECT case_id, los_days, discharge_status FROM fact_inpatient WHERE patient_id IN (:a, :b) ORDER BY los_days",
        a=_pid(people[0]),
        b=_pid(people[1]),
    )
    assert loaded == [(330100000002, 1, "died"), (330100000001, 6, "alive")]
    _no_identity(url, *people, "M1", "张三")


def test_his_outpatient_record(base, tmp_path):
    folder = base[2]
    header = [
        "就诊流水号",
        "就诊日期",
        "身份证号",
        "门诊号",
        "患者姓名",
        "机构编码",
        "医生工号",
        "家庭医生团队编码",
        "就诊类型",
        "诊断编码",
        "总费用",
        "医保支付",
        "药品费",
        "联系电话",
    ]
    people = list(PEOPLE)
    rows = [
        [
            "MZ0001",
            "20261003",
            people[0],
            "MZ-1",
            "张三",
            "I020",
            "D0436",
            "",
            "普通门诊",
            "I10.x00x003",
            "80",
            "56",
            "30",
            "13800000000",
        ],
        [
            "MZ0002",
            "2026-10-04",
            people[1].lower(),
            "MZ-2",
            "李四",
            "I020",
            "D0436",
            "",
            "互联网诊疗",
            "E11.900",
            "20",
            "14",
            "0",
            "",
        ],
        [
            "MZ0003",
            "2026-10-05",
            people[2],
            "MZ-3",
            "王五",
            "I020",
            "D0436",
            "",
            "义诊",
            "I10",
            "0",
            "0",
            "0",
            "",
        ],
    ]
    _write(folder / "门急诊就诊记录.csv", header, rows, encoding="gb18030")
    url, report = _load(base, "his_outpatient.toml", tmp_path)
    _assert_report(
        report, "fact_visit", 3, "unmapped_code:visit_type", "义诊", ["门诊号", "患者姓名", "联系电话"]
    )
    loaded = _rows(
        url,
        "SELECT visit_type, diagnosis_code FROM fact_visit WHERE patient_id IN (:a, :b) ORDER BY visit_type",
        a=_pid(people[0]),
        b=_pid(people[1]),  # the lower-case x of an ID number links to the same person
    )
    assert loaded == [("online", "E11.9"), ("outpatient", "I10")]
    _no_identity(url, *people, "MZ-1", "张三")


def test_chronic_followup_record(base, tmp_path):
    folder = base[2]
    header = [
        "随访记录编号",
        "身份证号",
        "健康档案编号",
        "姓名",
        "病种",
        "随访日期",
        "随访方式",
        "收缩压",
        "舒张压",
        "空腹血糖值",
        "责任团队编码",
        "随访机构编码",
    ]
    people = list(PEOPLE)
    rows = [
        ["SF001", people[0], "DA1", "张三", "高血压", "2026-10-11", "1", "138", "86", "", "T001", "I014"],
        ["SF002", people[1], "DA2", "李四", "2型糖尿病", "2026-10-12", "3", "", "", "6.8", "T001", "I014"],
        ["SF003", people[2], "DA3", "王五", "高血压", "2026-10-13", "5", "150", "95", "", "T001", "I014"],
    ]
    _write(folder / "慢病随访记录.csv", header, rows)
    url, report = _load(base, "chronic_followup.toml", tmp_path)
    _assert_report(report, "fact_followup", 3, "unmapped_code:mode", "5", ["健康档案编号", "姓名"])
    loaded = _rows(
        url,
        "SELECT disease, mode, sbp, fasting_glucose FROM fact_followup WHERE patient_id IN (:a, :b) ORDER BY disease",
        a=_pid(people[0]),
        b=_pid(people[1]),
    )
    assert [(d, m, s, None if g is None else float(g)) for d, m, s, g in loaded] == [
        ("diabetes", "phone", None, 6.8),
        ("hypertension", "clinic", 138, None),
    ]
    _no_identity(url, *people, "DA1", "张三")
