"""A hand-made warehouse of a few dozen rows whose KPI answers are worked out by hand in tests/kpi/test_values.py.

Two districts (D1 urban, D2 rural), four institutions, two teams, four residents, 2025 as the data period.
Every row is written out here so that a reader can redo each answer with a pencil.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa

from dashboard.core.schema import metadata
from dashboard.load.writer import WarehouseWriter, build_meta, mark_complete

D = dt.date.fromisoformat
GV = "test-v1"


def _rows(table: str, columns: str, rows: list[tuple]) -> pa.Table:
    names = columns.split()
    records = [dict(zip(names, r, strict=True)) for r in rows]
    schema_columns = [c.name for c in metadata.tables[table].columns]
    return pa.Table.from_pylist([{c: rec.get(c) for c in schema_columns} for rec in records])


TABLES = {
    "dim_district": _rows(
        "dim_district",
        "district_code district_name city_name urban_rural",
        [
            ("D1", "城一区", "测试市", "urban"),
            ("D2", "乡二县", "测试市", "rural"),
        ],
    ),
    "dim_population": _rows(
        "dim_population",
        "district_code year sex age_band population",
        [
            (d, y, s, b, n)
            for y in (2024, 2025)
            for d, s, b, n in [
                ("D1", "M", "15-34", 40),
                ("D1", "F", "15-34", 40),
                ("D1", "M", "65-74", 10),
                ("D1", "F", "65-74", 10),
                ("D2", "M", "15-34", 20),
                ("D2", "F", "15-34", 20),
                ("D2", "M", "65-74", 5),
                ("D2", "F", "65-74", 5),
            ]
        ],
    ),
    "dim_consortium": _rows(
        "dim_consortium",
        "consortium_id consortium_name consortium_type lead_institution_id district_code",
        [
            ("C1", "乡二县医共体", "county_community", "H2", "D2"),
            ("C2", "城一区医疗集团", "urban_group", "H1", "D1"),
        ],
    ),
    "dim_institution": _rows(
        "dim_institution",
        "institution_id institution_name level is_primary district_code consortium_id beds",
        [
            ("H1", "城一医院", "tertiary", False, "D1", "C2", 500),
            ("H2", "乡二县医院", "secondary", False, "D2", "C1", 200),
            ("P1", "城一社区中心", "chc", True, "D1", "C2", 10),
            ("P2", "乡二卫生院", "thc", True, "D2", "C1", 20),
        ],
    ),
    "dim_team": _rows(
        "dim_team", "team_id team_name institution_id", [("T1", "城一1队", "P1"), ("T2", "乡二1队", "P2")]
    ),
    "dim_doctor": _rows(
        "dim_doctor",
        "doctor_id doctor_name institution_id team_id department title",
        [
            ("DR1", "甲", "H1", None, "内科", "主治医师"),
            ("DR2", "乙", "P1", "T1", "全科", "医师"),
            ("DR3", "丙", "P2", "T2", "全科", "医师"),
            ("DR4", "丁", "H2", None, "内科", "医师"),
        ],
    ),
    "dim_patient": _rows(
        "dim_patient",
        "patient_id sex birth_year district_code insurance_type",
        [
            ("A", "M", 1995, "D1", "employee"),
            ("B", "F", 1955, "D1", "resident"),
            ("C", "M", 1990, "D2", "resident"),
            ("E", "F", 1952, "D2", "none"),
        ],
    ),
    "dim_icd10": _rows(
        "dim_icd10",
        "code name_zh name_en chapter block chronic_group",
        [
            ("I10", "原发性高血压", "Essential hypertension", "IX", "I10-I15", "hypertension"),
            ("E11.9", "2型糖尿病", "Type 2 diabetes", "IV", "E10-E14", "diabetes"),
            ("J06.9", "上呼吸道感染", "URTI", "X", "J00-J06", None),
            ("K29", "胃炎", "Gastritis", "XI", "K20-K31", None),
        ],
    ),
    "dim_drg": _rows(
        "dim_drg",
        "grouper_version drg_code drg_name adrg_code mdc_code weight risk_level",
        [
            (GV, "BR25", "脑缺血，无合并症", "BR2", "B", 1.0, "low"),
            (GV, "FM19", "经皮心血管操作", "FM1", "F", 3.0, "high"),
        ],
    ),
    "fact_visit": _rows(
        "fact_visit",
        "visit_id visit_date patient_id institution_id doctor_id team_id visit_type "
        "diagnosis_code total_cost insurance_paid drug_cost",
        [
            (1, D("2025-01-10"), "A", "P1", "DR2", "T1", "outpatient", "I10", 100, 60, 50),
            (2, D("2025-02-10"), "A", "H1", "DR1", None, "outpatient", "J06.9", 300, 150, 100),
            (3, D("2025-03-05"), "B", "P1", "DR2", "T1", "home", "I10", 80, 40, 20),
            (4, D("2025-03-06"), "B", "H1", "DR1", None, "emergency", "K29", 500, 250, 200),
            (5, D("2025-04-01"), "C", "P2", "DR3", "T2", "outpatient", "E11.9", 60, 36, 30),
            (6, D("2025-05-01"), "C", "H1", "DR1", None, "outpatient", "J06.9", 400, 200, 100),
            (7, D("2025-06-01"), "E", "P2", "DR3", "T2", "online", "I10", 20, 0, 0),
            (8, D("2025-07-01"), "E", "H2", "DR4", None, "outpatient", "K29", 200, 0, 80),
            (9, D("2024-06-01"), "A", "P1", "DR2", "T1", "outpatient", "I10", 90, 50, 40),
        ],
    ),
    "fact_inpatient": _rows(
        "fact_inpatient",
        "case_id patient_id institution_id department admit_date "
        "discharge_date los_days principal_dx drg_code total_cost insurance_paid drg_payment "
        "discharge_status grouper_version",
        [
            (
                1,
                "A",
                "H1",
                "神经内科",
                D("2025-02-01"),
                D("2025-02-06"),
                5,
                "I10",
                "BR25",
                10000,
                7000,
                9000,
                "alive",
                GV,
            ),
            (
                2,
                "B",
                "H1",
                "心内科",
                D("2025-03-01"),
                D("2025-03-11"),
                10,
                "I10",
                "FM19",
                40000,
                25000,
                36000,
                "alive",
                GV,
            ),
            (
                3,
                "B",
                "H1",
                "神经内科",
                D("2025-03-20"),
                D("2025-03-24"),
                4,
                "I10",
                "BR25",
                6000,
                3000,
                9000,
                "alive",
                GV,
            ),
            (
                4,
                "C",
                "H2",
                "内科",
                D("2025-04-01"),
                D("2025-04-04"),
                3,
                "E11.9",
                "BR25",
                8000,
                4000,
                9000,
                "alive",
                GV,
            ),
            (
                5,
                "C",
                "H2",
                "内科",
                D("2025-05-01"),
                D("2025-05-03"),
                2,
                "E11.9",
                "BR25",
                2000,
                1000,
                2000,
                "died",
                GV,
            ),
            (
                6,
                "E",
                "H2",
                "内科",
                D("2025-06-01"),
                D("2025-06-08"),
                7,
                "K29",
                None,
                5000,
                0,
                None,
                "alive",
                None,
            ),
        ],
    ),
    "fact_referral": _rows(
        "fact_referral",
        "referral_id patient_id from_institution_id to_institution_id "
        "direction referral_date diagnosis_code status completed_date",
        [
            (1, "A", "P1", "H1", "up", D("2025-02-09"), "J06.9", "completed", D("2025-02-10")),
            (2, "B", "H1", "P1", "down", D("2025-03-12"), "I10", "completed", D("2025-03-20")),
            (3, "C", "P2", "H2", "up", D("2025-03-30"), "E11.9", "completed", D("2025-04-01")),
            (4, "C", "H2", "P2", "down", D("2025-04-05"), "E11.9", "pending", None),
            (5, "E", "P2", "H2", "up", D("2025-06-30"), "K29", "cancelled", None),
            (6, "E", "H2", "H1", "up", D("2025-07-05"), "K29", "rejected", None),
        ],
    ),
    "fact_chronic_registry": _rows(
        "fact_chronic_registry",
        "patient_id disease registered_date team_id institution_id end_date",
        [
            ("A", "hypertension", D("2024-06-01"), "T1", "P1", None),
            ("B", "hypertension", D("2025-05-01"), "T1", "P1", None),
            ("B", "diabetes", D("2023-01-01"), "T1", "P1", D("2024-12-31")),
            ("C", "diabetes", D("2025-02-01"), "T2", "P2", None),
            ("E", "hypertension", D("2020-01-01"), "T2", "P2", D("2025-03-31")),
        ],
    ),
    "fact_followup": _rows(
        "fact_followup",
        "followup_id patient_id disease followup_date team_id institution_id sbp dbp fasting_glucose mode",
        [
            (1, "A", "hypertension", D("2025-02-01"), "T1", "P1", 150, 95, None, "clinic"),
            (2, "A", "hypertension", D("2025-05-01"), "T1", "P1", 135, 85, None, "clinic"),
            (3, "A", "hypertension", D("2025-08-01"), "T1", "P1", 138, 88, None, "phone"),
            (4, "A", "hypertension", D("2025-11-01"), "T1", "P1", 142, 85, None, "clinic"),
            (5, "B", "hypertension", D("2025-06-01"), "T1", "P1", 130, 80, None, "home"),
            (6, "B", "hypertension", D("2025-09-01"), "T1", "P1", 128, 78, None, "clinic"),
            (7, "C", "diabetes", D("2025-03-01"), "T2", "P2", None, None, 8.0, "clinic"),
            (8, "C", "diabetes", D("2025-06-01"), "T2", "P2", None, None, 6.5, "clinic"),
            (9, "C", "diabetes", D("2025-09-01"), "T2", "P2", None, None, 6.8, "home"),
            (10, "C", "diabetes", D("2025-12-01"), "T2", "P2", None, None, 6.2, "clinic"),
            (11, "E", "hypertension", D("2025-01-15"), "T2", "P2", 130, 85, None, "home"),
        ],
    ),
    "fact_contract": _rows(
        "fact_contract",
        "contract_id patient_id team_id start_date end_date",
        [
            (1, "A", "T1", D("2024-03-01"), D("2025-02-28")),
            (2, "A", "T1", D("2025-03-01"), D("2026-02-28")),
            (3, "B", "T1", D("2024-08-01"), D("2025-07-31")),
            (4, "B", "T1", D("2025-12-01"), D("2026-11-30")),
            (5, "C", "T2", D("2024-12-01"), D("2025-11-30")),
            (6, "E", "T2", D("2024-05-01"), D("2025-04-30")),
            (7, "E", "T2", D("2025-06-15"), D("2026-06-14")),
        ],
    ),
    "fact_capitation": _rows(
        "fact_capitation",
        "institution_id year contracted_insured per_capita_rate budget",
        [
            ("P1", 2025, 2, 500, 1000),
            ("P2", 2025, 1, 500, 500),
        ],
    ),
    "kpi_target": _rows(
        "kpi_target",
        "kpi_id scope_type scope_id year target",
        [
            ("primary_care_visit_share", "city", "TEST", 2025, 0.6),
            ("visit_count", "city", "TEST", 2025, 100.0),  # a yearly total: judged over 12 months only
            ("hospitalization_rate", "city", "TEST", 2025, 12.0),  # per 100 a year: grows with the period
        ],
    ),
}


# --- DRG, settlement and readmission cases (issue 12) -------------------------------------------------------
# Two more residents and cases 7-14, kept apart from the rows above. They carry the optional 病案首页 columns
# (admission_route, planned_readmission; cases 1-6 leave them empty: not planned). What they exercise:
#   outliers by the year's group mean: BR25 in 2025 = cases 1 3 4 5 7 8 10 11 12 13 14, costs 88000 / 11 = 8000;
#     case 7 (23000 > 2 × 8000, July) is a high outlier, case 5 (2000 < 0.5 × 8000, May) a low one, case 13
#     (4000 = 0.5 × 8000) is not; FM19 = cases 2 and 9, mean 42000, no outlier
#   efficiency without outliers: BR25's other 9 cases cost 63000 (mean 7000) and stay 36 days (mean 4)
#   readmission (N = 31): 7 -> 8 is planned; 9 ended by transfer (-> 10 the same day); 11 -> 12 after 10 days
#     is another ICD-10 chapter (XI, X); 12 (H1) -> 13 (H2) after exactly 31 days counts; 13 -> 14 after 32 not
#   payment: what the fund settled (drg_payment) differs from the policy's standard (tests/kpi/test_values.py)


def _more(tables: list[pa.Table]) -> pa.Table:
    """Rows added to a table in a later section (a column all null above takes the type of the new rows)."""
    return pa.concat_tables(tables, promote_options="permissive")


TABLES["dim_patient"] = _more(
    [
        TABLES["dim_patient"],
        _rows(
            "dim_patient",
            "patient_id sex birth_year district_code insurance_type",
            [("F", "M", 1980, "D1", "employee"), ("G", "F", 1985, "D2", "resident")],
        ),
    ]
)
TABLES["fact_inpatient"] = _more(
    [
        TABLES["fact_inpatient"],
        _rows(
            "fact_inpatient",
            "case_id patient_id institution_id department admit_date discharge_date los_days principal_dx "
            "drg_code total_cost insurance_paid drg_payment discharge_status grouper_version admission_route "
            "planned_readmission",
            [
                (
                    7,
                    "F",
                    "H1",
                    "神经内科",
                    D("2025-07-01"),
                    D("2025-07-05"),
                    4,
                    "I10",
                    "BR25",
                    23000,
                    15000,
                    20000,
                    "alive",
                    GV,
                    "emergency",
                    True,
                ),
                (
                    8,
                    "F",
                    "H1",
                    "神经内科",
                    D("2025-07-20"),
                    D("2025-07-24"),
                    4,
                    "I10",
                    "BR25",
                    7000,
                    4000,
                    9000,
                    "alive",
                    GV,
                    "outpatient",
                    False,
                ),
                (
                    9,
                    "F",
                    "H1",
                    "心内科",
                    D("2025-09-01"),
                    D("2025-09-11"),
                    10,
                    "I10",
                    "FM19",
                    44000,
                    30000,
                    36000,
                    "transferred",
                    GV,
                    "emergency",
                    False,
                ),
                (
                    10,
                    "F",
                    "H2",
                    "内科",
                    D("2025-09-11"),
                    D("2025-09-15"),
                    4,
                    "I10",
                    "BR25",
                    8000,
                    5000,
                    9000,
                    "alive",
                    GV,
                    "transfer_in",
                    False,
                ),
                (
                    11,
                    "G",
                    "H2",
                    "内科",
                    D("2025-10-01"),
                    D("2025-10-06"),
                    5,
                    "K29",
                    "BR25",
                    6000,
                    3000,
                    9000,
                    "alive",
                    GV,
                    "outpatient",
                    False,
                ),
                (
                    12,
                    "G",
                    "H1",
                    "神经内科",
                    D("2025-10-16"),
                    D("2025-10-20"),
                    4,
                    "J06.9",
                    "BR25",
                    9000,
                    4000,
                    9000,
                    "alive",
                    GV,
                    "emergency",
                    False,
                ),
                (
                    13,
                    "G",
                    "H2",
                    "内科",
                    D("2025-11-20"),
                    D("2025-11-23"),
                    3,
                    "J06.9",
                    "BR25",
                    4000,
                    2000,
                    9000,
                    "alive",
                    GV,
                    "emergency",
                    None,
                ),
                (
                    14,
                    "G",
                    "H2",
                    "内科",
                    D("2025-12-25"),
                    D("2025-12-29"),
                    4,
                    "J06.9",
                    "BR25",
                    5000,
                    3000,
                    9000,
                    "alive",
                    GV,
                    "other",
                    False,
                ),
            ],
        ),
    ]
)


def build_mini_warehouse(path: Path, tables: dict[str, pa.Table] | None = None) -> str:
    """Write the hand-made warehouse (or a variant of its tables) to ``path``; returns its URL."""
    writer = WarehouseWriter(path)
    try:
        for name, table in (tables or TABLES).items():
            writer.append(name, table)
        writer.build_rollups()
        mark_complete(
            writer, build_meta({"source": "test", "period_start": "2025-01-01", "period_end": "2025-12-31"})
        )
    finally:
        writer.close()
    return f"duckdb:///{path}"
