"""The demo warehouse: complete, referentially sound, deterministic, and calibrated to DOMAIN.md §8."""

from __future__ import annotations

import datetime as dt
import re

import duckdb
import pytest
import sqlalchemy as sa

from dashboard.core.db import get_engine
from dashboard.core.months import add_months, month_end
from dashboard.core.reference import ADMISSION_ROUTES, INSTITUTION_TYPES
from dashboard.core.schema import CONTRACT_TABLES
from dashboard.load.demo.build import build_demo
from tests.support import TEST_LAST_MONTH, TEST_SEED


@pytest.fixture(scope="module")
def q(s_warehouse):
    engine = get_engine(s_warehouse)

    def run(sql: str, **params):
        with engine.connect() as conn:
            return conn.execute(sa.text(sql), params).all()

    return run


def scalar(q, sql: str, **params) -> float:
    return float(q(sql, **params)[0][0])


# --- completeness and integrity --------------------------------------------------------------------------


def test_every_contract_table_has_rows(q):
    for table in CONTRACT_TABLES:
        assert scalar(q, f"SELECT count(*) FROM {table.name}") > 0, table.name


def test_every_foreign_key_resolves(s_warehouse):
    engine = get_engine(s_warehouse)
    checked = 0
    with engine.connect() as conn:
        for table in CONTRACT_TABLES:
            for fk in table.foreign_key_constraints:
                parent = fk.referred_table
                child_cols = [table.c[c.name] for c in fk.columns]
                parent_cols = [parent.c[e.column.name] for e in fk.elements]
                match = sa.and_(*[p == c for p, c in zip(parent_cols, child_cols, strict=True)])
                orphans = (
                    sa.select(sa.func.count())
                    .select_from(table)
                    .where(*[c.is_not(None) for c in child_cols])
                    .where(~sa.exists().where(match))
                )
                assert conn.execute(orphans).scalar_one() == 0, f"{table.name} -> {parent.name}"
                checked += 1
    assert checked >= 30


def test_codes_and_values_follow_the_contract(q):
    assert {r[0] for r in q("SELECT DISTINCT level FROM dim_institution")} == {
        "tertiary",
        "secondary",
        "chc",
        "thc",
        "village",
    }
    assert (
        q("SELECT count(*) FROM dim_institution WHERE is_primary <> (level IN ('chc','thc','village'))")[0][0]
        == 0
    )
    assert {r[0] for r in q("SELECT DISTINCT visit_type FROM fact_visit")} == {
        "outpatient",
        "emergency",
        "home",
        "online",
    }
    assert {r[0] for r in q("SELECT DISTINCT direction FROM fact_referral")} == {"up", "down", "lateral"}
    assert {r[0] for r in q("SELECT DISTINCT status FROM fact_referral")} == {
        "completed",
        "pending",
        "rejected",
        "cancelled",
    }
    assert {r[0] for r in q("SELECT DISTINCT age_band FROM dim_population")} == {
        "0-14",
        "15-34",
        "35-44",
        "45-54",
        "55-64",
        "65-74",
        "75+",
    }
    # completed referrals have a completion date on or after the referral, others none
    assert (
        q(
            "SELECT count(*) FROM fact_referral WHERE (status = 'completed') <> (completed_date IS NOT NULL)"
            " OR completed_date < referral_date"
        )[0][0]
        == 0
    )
    assert q("SELECT count(*) FROM fact_inpatient WHERE discharge_date - admit_date <> los_days")[0][0] == 0
    assert (
        q("SELECT count(*) FROM fact_visit WHERE insurance_paid > total_cost OR drug_cost > total_cost")[0][0]
        == 0
    )
    assert (
        q(
            "SELECT count(*) FROM fact_visit v JOIN dim_patient p USING (patient_id) "
            "WHERE year(v.visit_date) < p.birth_year"
        )[0][0]
        == 0
    )
    # no identities: the patient table carries no names, ID or phone numbers
    assert set(
        r[0] for r in q("SELECT column_name FROM information_schema.columns WHERE table_name = 'dim_patient'")
    ) == {"patient_id", "sex", "birth_year", "district_code", "insurance_type"}


def test_city_structure(q):
    assert scalar(q, "SELECT count(*) FROM dim_institution") >= 60
    assert {r[0] for r in q("SELECT DISTINCT urban_rural FROM dim_district")} == {"urban", "rural"}
    types = dict(q("SELECT consortium_type, count(*) FROM dim_consortium GROUP BY 1"))
    assert len(types) >= 3 and types["county_community"] >= 2 and types["urban_group"] >= 1
    assert scalar(q, "SELECT count(*) FROM dim_team") >= 100
    assert scalar(q, "SELECT count(*) FROM dim_drg") >= 100
    for code, adrg, mdc in q("SELECT drg_code, adrg_code, mdc_code FROM dim_drg"):
        assert re.fullmatch(r"[A-Z][A-Z]\d[1359]", code) and code[:3] == adrg and code[0] == mdc
    assert {r[0] for r in q("SELECT DISTINCT risk_level FROM dim_drg")} == {
        "low",
        "mid_low",
        "mid_high",
        "high",
    }


def test_period_is_36_months_to_the_last_full_month(q):
    first, last = q("SELECT min(visit_date), max(visit_date) FROM fact_visit")[0]
    assert first >= dt.date(2023, 11, 1) and first <= dt.date(2023, 11, 3)
    assert last <= dt.date(2026, 10, 31) and last >= dt.date(2026, 10, 29)
    meta = dict(q("SELECT key, value FROM warehouse_meta"))
    assert (meta["period_start"], meta["period_end"]) == ("2023-11-01", "2026-10-31")
    assert meta["build_status"] == "complete"


# --- determinism -----------------------------------------------------------------------------------------


def _table_differences(path_a: str, path_b: str) -> dict[str, int]:
    con = duckdb.connect()
    con.execute(f"ATTACH '{path_a}' AS a (READ_ONLY)")
    con.execute(f"ATTACH '{path_b}' AS b (READ_ONLY)")
    out = {}
    for table in CONTRACT_TABLES:
        t = table.name
        out[t] = con.execute(
            f"SELECT (SELECT count(*) FROM (SELECT * FROM a.{t} EXCEPT ALL SELECT * FROM b.{t}))"
            f" + (SELECT count(*) FROM (SELECT * FROM b.{t} EXCEPT ALL SELECT * FROM a.{t}))"
        ).fetchone()[0]
    con.close()
    return out


@pytest.mark.slow  # builds two more demo warehouses itself
def test_same_seed_same_warehouse_other_seed_other_warehouse(s_warehouse, tmp_path):
    first = s_warehouse.removeprefix("duckdb:///")
    again, other = tmp_path / "again.duckdb", tmp_path / "other.duckdb"
    build_demo(f"duckdb:///{again}", scale="S", seed=TEST_SEED, last_month=TEST_LAST_MONTH)
    assert set(_table_differences(first, str(again)).values()) == {0}
    build_demo(f"duckdb:///{other}", scale="S", seed=TEST_SEED + 1, last_month=TEST_LAST_MONTH)
    differences = _table_differences(first, str(other))
    assert differences["fact_visit"] > 0 and differences["dim_patient"] > 0
    assert differences["dim_district"] == 0  # the city's layout does not depend on the seed's draws


# --- calibration (DOMAIN.md §8) ----------------------------------------------------------------------------

FULL_YEARS = (2024, 2025)


def per_year(q, sql: str) -> dict[int, float]:
    return {int(y): float(v) for y, v in q(sql)}


def test_visits_per_capita(q):
    rates = per_year(
        q,
        "SELECT year(visit_date) y, count(*) * 1.0 / (SELECT sum(population) FROM dim_population p"
        " WHERE p.year = year(visit_date)) FROM fact_visit GROUP BY 1",
    )
    for year in FULL_YEARS:
        assert 6.8 <= rates[year] <= 7.2, (year, rates[year])


def test_primary_care_share_in_range_and_rising(q):
    share = per_year(
        q,
        "SELECT year(visit_date), avg(CASE WHEN i.is_primary THEN 1.0 ELSE 0 END) "
        "FROM fact_visit v JOIN dim_institution i USING (institution_id) GROUP BY 1",
    )
    for year in FULL_YEARS:
        assert 0.50 <= share[year] <= 0.65, (year, share[year])
    assert share[2025] > share[2024] + 0.02


def test_hospitalisation_and_length_of_stay(q):
    rate = per_year(
        q,
        "SELECT year(discharge_date), count(*) * 100.0 / (SELECT sum(population) FROM "
        "dim_population p WHERE p.year = year(discharge_date)) FROM fact_inpatient GROUP BY 1",
    )
    for year in FULL_YEARS:
        assert 15 <= rate[year] <= 22, (year, rate[year])
    assert 8 <= scalar(q, "SELECT avg(los_days) FROM fact_inpatient") <= 10
    los = dict(
        q(
            "SELECT level, avg(los_days) FROM fact_inpatient JOIN dim_institution USING (institution_id) "
            "GROUP BY 1"
        )
    )
    assert los["tertiary"] > los["secondary"]


def test_outpatient_costs(q):
    cost = {
        (lv, int(y)): float(c)
        for lv, y, c in q(
            "SELECT level, year(visit_date), avg(total_cost) FROM fact_visit JOIN dim_institution "
            "USING (institution_id) WHERE visit_type IN ('outpatient', 'emergency') GROUP BY 1, 2"
        )
    }
    assert 330 <= cost[("tertiary", 2024)] <= 380
    assert 1.02 <= cost[("tertiary", 2025)] / cost[("tertiary", 2024)] <= 1.08
    for level in ("chc", "thc"):
        assert 80 <= cost[(level, 2024)] <= 150


def test_insurance_share_and_ageing(q):
    share = scalar(
        q,
        "SELECT sum(insurance_paid) / sum(total_cost) FROM (SELECT insurance_paid, total_cost "
        "FROM fact_visit UNION ALL SELECT insurance_paid, total_cost FROM fact_inpatient)",
    )
    assert 0.55 <= share <= 0.70
    assert (
        scalar(q, "SELECT avg(CASE WHEN 2026 - birth_year >= 60 THEN 1.0 ELSE 0 END) FROM dim_patient") > 0.20
    )


def test_drg_calibration(q):
    cmi = dict(
        q(
            "SELECT level, sum(weight) / count(*) FROM fact_inpatient f JOIN dim_drg d "
            "USING (grouper_version, drg_code) JOIN dim_institution USING (institution_id) GROUP BY 1"
        )
    )
    region = scalar(
        q, "SELECT sum(weight) / count(*) FROM fact_inpatient JOIN dim_drg USING (grouper_version, drg_code)"
    )
    assert 0.95 <= region <= 1.05
    assert 1.1 <= cmi["tertiary"] <= 1.4
    assert 0.8 <= cmi["secondary"] <= 1.0
    assert (
        0.97
        <= scalar(q, "SELECT avg(CASE WHEN drg_code IS NULL THEN 0.0 ELSE 1 END) FROM fact_inpatient")
        <= 0.995
    )
    high = scalar(
        q,
        """
        WITH m AS (SELECT drg_code, year(discharge_date) y, avg(total_cost) mean_cost FROM fact_inpatient
                   WHERE drg_code IS NOT NULL GROUP BY 1, 2)
        SELECT avg(CASE WHEN total_cost > 2 * mean_cost THEN 1.0 ELSE 0 END) FROM fact_inpatient f
        JOIN m ON f.drg_code = m.drg_code AND year(f.discharge_date) = m.y""",
    )
    assert 0.02 <= high <= 0.06
    assert (
        0.003
        <= scalar(
            q, "SELECT avg(CASE WHEN discharge_status = 'died' THEN 1.0 ELSE 0 END) FROM fact_inpatient"
        )
        <= 0.01
    )


def test_the_optional_columns_are_filled(q):
    types = dict(q("SELECT institution_id, institution_type FROM dim_institution"))
    assert set(types.values()) <= set(INSTITUTION_TYPES) and None not in types.values()
    names = dict(q("SELECT institution_id, institution_name FROM dim_institution"))
    assert {types[c] for c, n in names.items() if "中医院" in n} == {"tcm"}
    assert {types[c] for c, n in names.items() if "肿瘤医院" in n} == {"specialty"}
    routes = dict(q("SELECT admission_route, count(*) FROM fact_inpatient GROUP BY 1"))
    assert set(routes) == set(ADMISSION_ROUTES)
    planned = scalar(q, "SELECT avg(CASE WHEN planned_readmission THEN 1.0 ELSE 0 END) FROM fact_inpatient")
    assert 0.01 <= planned <= 0.03


def test_readmission_calibration(s_warehouse):
    """The generator builds in 4.5% unplanned returns within 31 days (same diagnosis): the national indicator
    finds about that many over the full years, not the 8% of any admission within 31 days."""
    from dashboard.core.cache import standalone_cache
    from queries.execution import kpi_values
    from queries.kpi.builder import Request
    from queries.selection import filters_for

    standalone_cache(None)
    filters = filters_for(s_warehouse, from_month="2024-01", to_month="2025-12")
    rate = kpi_values(s_warehouse, Request("readmission_rate", filters), threshold=1)["value"].iloc[0]
    assert 0.035 <= rate <= 0.055


def test_referrals(q):
    counts = dict(q("SELECT direction, count(*) FROM fact_referral GROUP BY 1"))
    assert counts["up"] > counts["down"]
    assert 0.20 <= counts["down"] / (counts["up"] + counts["down"]) <= 0.40
    completion = scalar(
        q,
        "SELECT sum(CASE WHEN status = 'completed' THEN 1.0 ELSE 0 END) / "
        "sum(CASE WHEN status <> 'cancelled' THEN 1 ELSE 0 END) FROM fact_referral",
    )
    assert 0.80 <= completion <= 0.95


LAST_12 = dict(start=dt.date(2025, 11, 1), end=dt.date(2026, 10, 31))
YEAR_2025 = dict(start=dt.date(2025, 1, 1), end=dt.date(2025, 12, 31))
# DOMAIN.md §4: standardised = at least 4 face-to-face follow-ups (clinic or home) in a year or any 12 months
CHRONIC_BY_TEAM = """
    WITH managed AS (SELECT * FROM fact_chronic_registry WHERE disease = :disease
                       AND registered_date <= :end AND (end_date IS NULL OR end_date >= :start)),
         f AS (SELECT patient_id, sum(CASE WHEN mode IN ('clinic', 'home') THEN 1 ELSE 0 END) n,
                      arg_max(sbp, followup_date) sbp, arg_max(dbp, followup_date) dbp,
                      arg_max(fasting_glucose, followup_date) glucose
               FROM fact_followup WHERE disease = :disease AND followup_date BETWEEN :start AND :end GROUP BY 1)
    SELECT m.team_id, i.district_code, count(*) n,
           sum(CASE WHEN f.n >= 4 THEN 1 ELSE 0 END) standardised,
           sum(CASE WHEN (:disease = 'hypertension' AND f.sbp < 140 AND f.dbp < 90)
                      OR (:disease = 'diabetes' AND f.glucose < 7.0) THEN 1 ELSE 0 END) controlled
    FROM managed m LEFT JOIN f USING (patient_id) JOIN dim_institution i ON i.institution_id = m.institution_id
    GROUP BY 1, 2"""


@pytest.mark.parametrize("disease", ["hypertension", "diabetes"])
def test_chronic_management_and_control(q, disease):
    rows = q(CHRONIC_BY_TEAM, disease=disease, **YEAR_2025)
    n = sum(r.n for r in rows)
    assert 0.60 <= sum(r.standardised for r in rows) / n <= 0.85
    rows = q(CHRONIC_BY_TEAM, disease=disease, **LAST_12)
    n = sum(r.n for r in rows)
    assert 0.30 <= sum(r.controlled for r in rows) / n <= 0.60
    min_patients = 25 if disease == "hypertension" else 10  # fewer diabetics per team at scale S
    rates = [r.controlled / r.n for r in rows if r.n >= min_patients]
    assert max(rates) - min(rates) >= 0.15  # teams differ: the point of the drill-down


@pytest.mark.parametrize("disease", ["hypertension", "diabetes"])
def test_managed_share_of_estimated_patients(q, disease):
    from dashboard.core.reference import AGE_BANDS, prevalence_by_band

    prevalence = dict(zip(AGE_BANDS, prevalence_by_band(disease), strict=True))
    population = q("SELECT age_band, sum(population) FROM dim_population WHERE year = 2026 GROUP BY 1")
    estimated = sum(prevalence[band] * float(pop) for band, pop in population)
    managed = scalar(
        q,
        "SELECT count(*) FROM fact_chronic_registry WHERE disease = :d AND registered_date <= :end"
        " AND (end_date IS NULL OR end_date >= :end)",
        d=disease,
        end=LAST_12["end"],
    )
    assert 0.30 <= managed / estimated <= 0.60


# --- deliberate outliers, so drill-downs and funnel plots find something -----------------------------------


def test_deliberate_outliers_are_there(q):
    htn = q(CHRONIC_BY_TEAM, disease="hypertension", **LAST_12)
    by_district: dict[str, list[int]] = {}
    for r in htn:
        acc = by_district.setdefault(r.district_code, [0, 0])
        acc[0] += r.controlled
        acc[1] += r.n
    control = {d: c / n for d, (c, n) in by_district.items()}
    assert min(control, key=control.get) == "990121"  # 青山县: understaffed, poor control
    primary = dict(
        q(
            "SELECT p.district_code, avg(CASE WHEN i.is_primary THEN 1.0 ELSE 0 END) FROM fact_visit v "
            "JOIN dim_patient p USING (patient_id) JOIN dim_institution i USING (institution_id) GROUP BY 1"
        )
    )
    assert max(primary, key=primary.get) == "990122"  # 平湖县: the tight county community
    grouping = dict(
        q(
            "SELECT institution_name, avg(CASE WHEN drg_code IS NULL THEN 0.0 ELSE 1 END) FROM "
            "fact_inpatient JOIN dim_institution USING (institution_id) WHERE level IN ('tertiary', "
            "'secondary') GROUP BY 1"
        )
    )
    assert min(grouping, key=grouping.get) == "云岭县人民医院"
    alos = dict(
        q(
            "SELECT institution_name, avg(los_days) FROM fact_inpatient JOIN dim_institution "
            "USING (institution_id) WHERE level = 'tertiary' GROUP BY 1"
        )
    )
    assert max(alos, key=alos.get) == "江州市中医院"


def test_demo_catalogue_names_state_the_severity_of_their_codes(s_warehouse):
    """The demo's DRG names follow the CHS-DRG wording, checked by the same rule as the real list."""
    import sqlalchemy as sa

    from dashboard.core.db import get_engine
    from dashboard.core.drg_codes import parse_drg_code, severity_in_name

    with get_engine(s_warehouse).connect() as conn:
        rows = conn.execute(sa.text("SELECT drg_code, drg_name FROM dim_drg")).all()
    assert len(rows) > 100
    assert [code for code, name in rows if parse_drg_code(code).severity != severity_in_name(name)] == []


@pytest.mark.parametrize("disease", ["hypertension", "diabetes"])
def test_standardised_management_does_not_jump_when_the_year_is_shifted_by_a_month(q, disease):
    """Follow-ups come every three months from the last, not once per calendar quarter, so any 12 months hold
    four of them: shifting the window month by month moves the city's rate by less than 5 points."""
    rates = []
    for shift in range(12):
        first = add_months(dt.date(2024, 11, 1), shift)
        rows = q(CHRONIC_BY_TEAM, disease=disease, start=first, end=month_end(add_months(first, 11)))
        rates.append(sum(r.standardised for r in rows) / sum(r.n for r in rows))
    assert max(rates) - min(rates) < 0.05, rates
