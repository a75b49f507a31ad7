"""The chronic-disease registry and its follow-ups (随访) for hypertension and diabetes.

A managed patient is due a face-to-face follow-up every three months (the national spec). Whether it happens
depends on the team; whether the patient is controlled depends on the patient and the team, and improves
slowly with time.
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
DUE_DAYS = 88  # a follow-up is due a little under three months after the last (teams book ahead)
MAKE_UP_SHARE = 0.85  # a missed follow-up made up within five weeks
FACE_TO_FACE_SHARE = 0.98  # of follow-ups held at the due date or made up
REMOTE_CONTACT_SHARE = 0.15  # a phone or online contact between two follow-ups


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


def followup_days(rng: np.random.Generator, reg: Registry, city: City, res: Residents, period: Period):
    """Every follow-up of every managed patient in the period: (registry entry, day, face to face?).

    The national spec wants a face-to-face follow-up every three months, so follow-ups are a renewal process:
    the next one is due about 91 days after the last. A team holds a due visit with its district's follow-up
    rate; a missed one is made up three to five weeks later half of the time. Nearly all are face to face
    (clinic, or home for the very old); phone or online contacts between them do not count.
    """
    start, end = to_days(period.start), to_days(period.end)
    n = len(reg.patient)
    p_held = city.team_followup[res.team[reg.patient]]
    last = np.where(reg.ended >= 0, reg.ended, end)
    # entries registered before the period are somewhere in their cycle when it starts
    due = np.where(reg.registered >= start, reg.registered, start + rng.integers(0, DUE_DAYS, n))
    entries, days, in_person = [], [], []
    while True:
        alive = np.flatnonzero(due <= last)
        if not len(alive):
            break
        held = rng.random(len(alive)) < p_held[alive]
        made_up = ~held & (rng.random(len(alive)) < MAKE_UP_SHARE)
        day = due[alive] + np.where(made_up, rng.integers(21, 36, len(alive)), 0)
        visit = (held | made_up) & (day <= last[alive])
        entries.append(alive[visit])
        days.append(day[visit])
        in_person.append(rng.random(int(visit.sum())) < FACE_TO_FACE_SHARE)
        # a remote contact between visits now and then (phone, online): recorded, not a standard follow-up
        remote = alive[rng.random(len(alive)) < REMOTE_CONTACT_SHARE]
        remote_day = due[remote] + rng.integers(30, 60, len(remote))
        kept = remote_day <= last[remote]
        entries.append(remote[kept])
        days.append(remote_day[kept])
        in_person.append(np.zeros(int(kept.sum()), dtype=bool))
        due[alive] = day + np.clip(
            np.round(rng.normal(DUE_DAYS, 6, len(alive))), DUE_DAYS - 12, DUE_DAYS + 12
        ).astype(np.int64)
    entry, day, face = np.concatenate(entries), np.concatenate(days), np.concatenate(in_person)
    inside = day >= start
    return entry[inside], day[inside], face[inside]


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
    age = period.end.year - res.birth_year[reg.patient]
    teams = arrow.Dictionary(city.teams.team_id)
    institutions = arrow.Dictionary(city.institutions.institution_id)
    entry, all_days, face = followup_days(rng, reg, city, res, period)
    order = np.lexsort((entry, all_days))
    entry, all_days, face = entry[order], all_days[order], face[order]
    next_id = 1
    for q_start, q_end in quarters(period):
        chunk = (all_days >= q_start) & (all_days <= q_end)
        idx, day, in_person = entry[chunk], all_days[chunk], face[chunk]
        n = len(idx)
        if not n:
            continue
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

        # face to face: at home for a quarter of the very old, else in clinic; remote: online more over time
        home = rng.random(n) < np.where(age[idx] >= 75, 0.25, 0.08)
        online = rng.random(n) < 0.2 + 0.1 * years
        mode = np.where(in_person, np.where(home, 1, 0), np.where(online, 3, 2))

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
