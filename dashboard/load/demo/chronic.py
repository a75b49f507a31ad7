"""The chronic-disease registry and its follow-ups (随访) for hypertension and diabetes.

A managed patient is due a follow-up every quarter (the national spec). Whether it happens depends on the
team; whether the patient is controlled depends on the patient and the team, and improves slowly with time.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from dashboard.core.months import add_months
from dashboard.load.demo import arrow
from dashboard.load.demo.calendar import Period, to_days
from dashboard.load.demo.city import City
from dashboard.load.demo.residents import Registry, Residents

MODES = ("clinic", "home", "phone", "online")
CONTROL_GAIN_PER_YEAR = 0.18  # log-odds


def registry_table(reg: Registry, res: Residents, city: City, patients: arrow.Dictionary) -> pa.Table:
    team = res.team[reg.patient]
    order = np.lexsort((reg.disease, reg.patient))
    return pa.table(
        {
            "patient_id": patients.column(reg.patient[order]),
            "disease": arrow.categorical(Registry.DISEASES, reg.disease[order]),
            "registered_date": arrow.dates(reg.registered[order]),
            "team_id": arrow.Dictionary(city.teams.team_id).column(team[order]),
            "institution_id": arrow.Dictionary(city.institutions.institution_id).column(
                city.team_inst[team[order]]
            ),
            "end_date": arrow.dates(reg.ended[order]),
        }
    )


def quarters(period: Period) -> list[tuple[int, int]]:
    """(first day, last day) of each calendar quarter touching the period, clipped to it."""
    out = []
    q = dt.date(period.start.year, 3 * ((period.start.month - 1) // 3) + 1, 1)
    while q <= period.end:
        nxt = add_months(q, 3)
        out.append((max(to_days(q), to_days(period.start)), min(to_days(nxt) - 1, to_days(period.end))))
        q = nxt
    return out


def followup_tables(
    rng: np.random.Generator,
    reg: Registry,
    res: Residents,
    city: City,
    period: Period,
    patients: arrow.Dictionary,
):
    """Yield one Arrow table of follow-ups per quarter, in date order."""
    team = res.team[reg.patient]
    inst = city.team_inst[team]
    p_quarter = city.team_followup[team]
    age = period.end.year - res.birth_year[reg.patient]
    teams = arrow.Dictionary(city.teams.team_id)
    institutions = arrow.Dictionary(city.institutions.institution_id)
    next_id = 1
    for q_start, q_end in quarters(period):
        lo = np.maximum(reg.registered, q_start)
        hi = np.where(reg.ended >= 0, np.minimum(reg.ended, q_end), q_end)
        active = np.flatnonzero(lo <= hi)
        # Joined late in the quarter: the registration visit itself counts as the follow-up.
        count = (rng.random(len(active)) < p_quarter[active]).astype(np.int64)
        count += (count > 0) & (rng.random(len(active)) < 0.12)
        idx = np.repeat(active, count)
        if not len(idx):
            continue
        span = hi[idx] - lo[idx] + 1
        day = lo[idx] + (rng.random(len(idx)) * span).astype(np.int64)
        order = np.lexsort((idx, day))
        idx, day = idx[order], day[order]
        n = len(idx)

        years = (day - to_days(period.start)) / 365.25
        p_control = 1 / (1 + np.exp(-(reg.control[idx] + CONTROL_GAIN_PER_YEAR * years)))
        controlled = rng.random(n) < p_control
        disease = reg.disease[idx]
        htn = disease == 0
        sbp = np.where(controlled, rng.integers(108, 140, n), rng.integers(140, 178, n))
        dbp = np.where(controlled, rng.integers(64, 90, n), rng.integers(82, 108, n))
        # an uncontrolled patient may have a normal systolic but a raised diastolic pressure
        raised_dbp = ~controlled & (rng.random(n) < 0.2)
        sbp = np.where(raised_dbp, rng.integers(125, 140, n), sbp)
        dbp = np.where(raised_dbp, rng.integers(90, 104, n), dbp)
        glucose = np.where(controlled, rng.uniform(4.6, 6.99, n), rng.uniform(7.0, 12.5, n))
        glucose_cents = np.round(glucose * 100).astype(np.int64)

        u = rng.random(n)
        online = 0.04 + 0.03 * years
        mode = np.select(
            [u < online, u < online + np.where(age[idx] >= 75, 0.25, 0.1), u < 0.55], [3, 1, 2], 0
        )

        yield pa.table(
            {
                "followup_id": pa.array(np.arange(next_id, next_id + n, dtype=np.int64)),
                "patient_id": patients.column(reg.patient[idx]),
                "disease": arrow.categorical(Registry.DISEASES, disease),
                "followup_date": arrow.dates(day),
                "team_id": teams.column(team[idx]),
                "institution_id": institutions.column(inst[idx]),
                "sbp": pa.array(sbp.astype(np.int32), mask=~htn),
                "dbp": pa.array(dbp.astype(np.int32), mask=~htn),
                "fasting_glucose": pa.array(glucose_cents / 100.0, mask=htn),
                "mode": arrow.categorical(MODES, mode),
            }
        )
        next_id += n
