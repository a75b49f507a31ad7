"""Family-doctor contracts, capitation budgets (按人头付费) and KPI targets of the demo city."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa

from dashboard.load.demo import arrow
from dashboard.load.demo.calendar import Period, to_days
from dashboard.load.demo.city import City
from dashboard.load.demo.residents import Contracts, Residents
from dashboard.load.demo.visits import CAPITATION_START

CITY_CODE = "9901"
CAPITATION_UPLIFT = 1.03  # the rate is last year's spend per head plus expected growth


def contract_table(contracts: Contracts, city: City, patients: arrow.Dictionary) -> pa.Table:
    n = len(contracts.patient)
    return pa.table(
        {
            "contract_id": pa.array(np.arange(1, n + 1, dtype=np.int64)),
            "patient_id": patients.column(contracts.patient),
            "team_id": arrow.Dictionary(city.teams.team_id).column(contracts.team),
            "start_date": arrow.dates(contracts.start),
            "end_date": arrow.dates(contracts.end),
        }
    )


def capitation_table(
    contracts: Contracts,
    res: Residents,
    city: City,
    period: Period,
    spend_by_year: dict[int, np.ndarray],
    months_by_year: dict[int, int],
) -> pd.DataFrame:
    """Budgets of primary institutions from the capitation start: contracted insured × per-capita rate."""
    rows = []
    for year in period.years:
        if dt.date(year, 1, 1) < CAPITATION_START or (year - 1) not in spend_by_year:
            continue
        day = to_days(dt.date(year, 1, 1))
        cohort = np.flatnonzero(contracts.active_on(day, len(res)) & (res.insurance != 2))
        inst = city.team_inst[res.team[cohort]]
        last_year = spend_by_year[year - 1][cohort] * 12 / months_by_year[year - 1] / 100.0
        frame = pd.DataFrame({"inst": inst, "spend": last_year})
        per_inst = frame.groupby("inst").agg(n=("spend", "size"), rate=("spend", "mean"))
        for i, r in per_inst.iterrows():
            rate = round(float(r.rate) * CAPITATION_UPLIFT)
            rows.append(
                {
                    "institution_id": city.institutions.institution_id.iloc[i],
                    "year": year,
                    "contracted_insured": int(r.n),
                    "per_capita_rate": float(rate),
                    "budget": float(rate * int(r.n)),
                }
            )
    return pd.DataFrame(
        rows, columns=["institution_id", "year", "contracted_insured", "per_capita_rate", "budget"]
    )


# City-wide targets by KPI: (value in the first year, yearly step). Shares are fractions.
CITY_TARGETS = {
    "primary_care_visit_share": (0.58, 0.03),
    "in_county_visit_rate": (0.90, 0.0),
    "contract_coverage": (0.38, 0.02),
    "priority_contract_coverage": (0.72, 0.03),
    "contract_renewal_rate": (0.85, 0.0),
    "down_referral_share": (0.25, 0.03),
    "referral_completion_rate": (0.90, 0.0),
    "htn_management_rate": (0.45, 0.03),
    "dm_management_rate": (0.40, 0.03),
    "htn_standardized_management_rate": (0.80, 0.0),
    "dm_standardized_management_rate": (0.80, 0.0),
    "htn_control_rate": (0.50, 0.02),
    "dm_control_rate": (0.45, 0.02),
    "drg_grouping_rate": (0.98, 0.0),
    "alos": (9.0, -0.2),
    "capitation_spend_rate": (1.0, 0.0),
}


def target_table(city: City, period: Period) -> pd.DataFrame:
    """Targets for the city, each district and each consortium, per year of the period."""
    rows = []
    scopes = [("city", CITY_CODE, 0.0)]
    for spec in city.specs:
        scopes.append(("district", spec.code, 0.04 if spec.urban_rural == "rural" else -0.03))
    for cid, tight in zip(city.consortia.consortium_id, city.consortium_tightness, strict=True):
        scopes.append(("consortium", cid, 0.05 * tight))
    for k, year in enumerate(period.years):
        for kpi, (first, step) in CITY_TARGETS.items():
            value = first + step * k
            for scope_type, scope_id, lift in scopes:
                adjusted = value + (lift if kpi in ("primary_care_visit_share", "down_referral_share") else 0)
                rows.append(
                    {
                        "kpi_id": kpi,
                        "scope_type": scope_type,
                        "scope_id": scope_id,
                        "year": year,
                        "target": round(adjusted, 4),
                    }
                )
    return pd.DataFrame(rows)
