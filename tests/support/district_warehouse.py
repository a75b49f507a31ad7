"""A hand-made warehouse for comparing districts fairly: four districts, admissions in 2025 only.

Admission rates per person-year, by age band (the same for both sexes), and population per sex:

    district  kind   15-34: people, rate        75+: people, rate    admissions  crude per 100
    A (big)   urban  10,000 at 5%  -> 500       1,000 at 40% -> 400  2 × 900     1800 / 22000 = 8.18
    B (worse) urban  10,000 at 10% -> 1000      1,000 at 40% -> 400  2 × 1400    2800 / 22000 = 12.73
    C (small) rural      20 at 15% -> 3             0                2 × 3          6 / 40    = 15.0
    D (old)   rural       0                     1,000 at 40% -> 400  2 × 400      800 / 2000  = 40.0

City: 5,406 admissions over 46,040 people: 11.742 per 100. Stratum rates: 15-34 1503/20020 = 7.508%,
75+ 1200/3000 = 40%.

- B is worse than the city: 12.73 with a 95% interval of about 12.26–13.20, above 11.74.
- C's crude 15.0 is extreme but rests on 6 admissions: its interval, about 5.5–32.6, holds 11.74: similar.
- D's crude 40.0 is far above the city only because its people are old: expected = 2 × 1000 × 40% = 800 =
  observed, so O/E = 1 and its standardised rate is the city's: worse crude, similar standardised.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa

from dashboard.core.schema import metadata
from tests.support.mini_warehouse import build_mini_warehouse

# district -> (kind, {age band: (people per sex, admissions per sex)})
DISTRICTS = {
    "DA": ("urban", {"15-34": (10000, 500), "75+": (1000, 400)}),
    "DB": ("urban", {"15-34": (10000, 1000), "75+": (1000, 400)}),
    "DC": ("rural", {"15-34": (20, 3)}),
    "DD": ("rural", {"75+": (1000, 400)}),
}
BIRTH_YEAR = {"15-34": 2000, "75+": 1945}  # ages 25 and 80 in 2025
CITY_PER_100 = 5406 / 46040 * 100


def _table(name: str, rows: list[dict]) -> pa.Table:
    columns = [c.name for c in metadata.tables[name].columns]
    return pa.Table.from_pylist([{c: r.get(c) for c in columns} for r in rows])


def tables() -> dict[str, pa.Table]:
    districts, population, patients, cases = [], [], [], []
    for code, (kind, bands) in DISTRICTS.items():
        districts.append(
            {"district_code": code, "district_name": f"{code}区", "city_name": "测试市", "urban_rural": kind}
        )
        for band, (people, admissions) in bands.items():
            for sex in ("M", "F"):
                population.append(
                    {"district_code": code, "year": 2025, "sex": sex, "age_band": band, "population": people}
                )
                for i in range(admissions):
                    patient = f"{code}-{band}-{sex}-{i}"
                    patients.append(
                        {
                            "patient_id": patient,
                            "sex": sex,
                            "birth_year": BIRTH_YEAR[band],
                            "district_code": code,
                            "insurance_type": "resident",
                        }
                    )
                    day = dt.date(2025, 1, 1) + dt.timedelta(days=(i * 7) % 360)
                    cases.append(
                        {
                            "case_id": len(cases) + 1,
                            "patient_id": patient,
                            "institution_id": "H1",
                            "department": "内科",
                            "admit_date": day,
                            "discharge_date": day + dt.timedelta(days=3),
                            "los_days": 3,
                            "principal_dx": "J18",
                            "drg_code": None,
                            "total_cost": 5000.0,
                            "insurance_paid": 3000.0,
                            "drg_payment": None,
                            "discharge_status": "alive",
                            "grouper_version": None,
                        }
                    )
    institution = {
        "institution_id": "H1",
        "institution_name": "测试医院",
        "level": "tertiary",
        "is_primary": False,
        "district_code": "DA",
        "consortium_id": None,
        "beds": 500,
    }
    return {
        "dim_district": _table("dim_district", districts),
        "dim_population": _table("dim_population", population),
        "dim_institution": _table("dim_institution", [institution]),
        "dim_patient": _table("dim_patient", patients),
        "fact_inpatient": _table("fact_inpatient", cases),
    }


def build_district_warehouse(path: Path) -> str:
    return build_mini_warehouse(path, tables())  # the same 2025 data period
