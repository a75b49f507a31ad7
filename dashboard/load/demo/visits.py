"""Outpatient, emergency, home and online visits (诊疗人次), one month at a time.

Where a resident goes for care is a choice with reasons the data can show: primary care is preferred by
contracted residents, chronic patients and the elderly, in districts with a strong primary network, and more
so every year (the 分级诊疗 policy); capitation from 2025 adds a push. Hospital visits go to the district's
own hospital or to a city tertiary hospital, the pull of which is strongest where the county hospital is weak.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from dashboard.core.reference import VISIT_TYPES
from dashboard.load.demo import arrow
from dashboard.load.demo.calendar import RESPIRATORY_FACTOR, Month, Period, month_volume_factor, sample_days
from dashboard.load.demo.city import City
from dashboard.load.demo.residents import Residents

TARGET_VISITS_PER_CAPITA = (6.95, 7.25)  # at the start and the end of the period
CAPITATION_START = dt.date(2025, 1, 1)

# Visits per year by age band before normalisation (children and the old see doctors most).
BAND_RATE = np.array([6.5, 3.4, 4.4, 5.9, 8.3, 11.5, 13.5])

# Base cost of a visit in yuan by level in the period's first year, and the yearly rise.
LEVEL_COST = np.array([325.0, 215.0, 115.0, 95.0, 42.0])
LEVEL_COST_GROWTH = np.array([0.05, 0.04, 0.03, 0.03, 0.02])
LEVEL_DRUG_SHARE = np.array([0.38, 0.42, 0.52, 0.55, 0.60])
TYPE_COST = np.array([1.0, 1.7, 1.25, 0.35])
INSURANCE_SHARE = np.array([0.68, 0.55, 0.0])  # employee, resident, none
PRIMARY_EXTRA_REIMBURSEMENT = 0.08  # policy: primary care is reimbursed at a higher share

# Preference of each district's residents for the four tertiary hospitals (First, Central, TCM, Cancer).
TERTIARY_PREFERENCE = {
    "990102": [0.50, 0.15, 0.25, 0.10],
    "990103": [0.20, 0.55, 0.12, 0.13],
    "990104": [0.25, 0.50, 0.10, 0.15],
    "990105": [0.30, 0.30, 0.15, 0.25],
}
RURAL_TERTIARY_PREFERENCE = [0.40, 0.35, 0.12, 0.13]

# Outpatient diagnoses: code -> relative frequency among children, adults, the elderly; R = seasonal.
DIAGNOSES = {
    "J06.9": (30, 9, 5, "R"),
    "J02": (5, 3, 1, "R"),
    "J03": (4, 1, 0.3, "R"),
    "J20": (6, 3, 4, "R"),
    "J18.9": (2, 0.4, 1.8, "R"),
    "J11": (3, 2, 2, "R"),
    "R05": (2, 1, 1, "R"),
    "R50": (3, 0.5, 0.3, "R"),
    "J44": (0, 0.4, 4, ""),
    "J45": (2, 1, 1, ""),
    "K29": (1, 6, 5, ""),
    "K30": (1, 3, 2, ""),
    "K52": (3, 1.5, 1, ""),
    "K59": (0.5, 1, 1.5, ""),
    "K21": (0, 1.5, 1.5, ""),
    "R10": (1, 1, 0.8, ""),
    "M54": (0, 5, 4, ""),
    "M17": (0, 1, 4, ""),
    "M47": (0, 1.5, 3, ""),
    "M79": (0, 1.5, 1, ""),
    "M81": (0, 0.3, 1.5, ""),
    "I25": (0, 0.5, 4, ""),
    "I20": (0, 0.2, 1.5, ""),
    "I48": (0, 0.1, 1, ""),
    "I63": (0, 0.1, 1, ""),
    "I69": (0, 0.1, 0.8, ""),
    "E78": (0, 1.2, 2, ""),
    "E03": (0, 0.5, 0.5, ""),
    "H10": (2, 1.5, 1, ""),
    "H52": (2, 1.5, 0.5, ""),
    "H25": (0, 0.1, 1.5, ""),
    "H65": (2, 0.3, 0.1, ""),
    "H81": (0, 0.4, 0.8, ""),
    "L20": (1.5, 0.6, 0.3, ""),
    "L30": (1, 1.5, 1, ""),
    "L50": (0.8, 0.8, 0.4, ""),
    "N39": (0.3, 1.2, 1.5, ""),
    "N40": (0, 0.2, 1.5, ""),
    "N20": (0, 0.5, 0.3, ""),
    "N18": (0, 0.1, 0.6, ""),
    "Z34": (0, 1.2, 0, ""),
    "Z00": (3, 1, 1, ""),
    "F41": (0, 0.8, 0.5, ""),
    "F32": (0, 0.5, 0.4, ""),
    "G47": (0, 0.6, 0.8, ""),
    "G43": (0, 0.6, 0.1, ""),
    "S52": (0.3, 0.3, 0.2, ""),
    "T14": (1.5, 1.5, 0.8, ""),
    "R51": (0.3, 1, 0.5, ""),
    "A09": (2, 0.6, 0.4, ""),
    "B01": (1, 0.05, 0, ""),
    "D50": (0.3, 0.3, 0.3, ""),
    "C34": (0, 0.05, 0.3, ""),
    "C50": (0, 0.1, 0.1, ""),
    "C16": (0, 0.03, 0.15, ""),
    "C18": (0, 0.03, 0.15, ""),
}
HYPERTENSION_CODES = {"I10": 0.8, "I11.9": 0.1, "I12": 0.04, "I13": 0.03, "I15": 0.03}
DIABETES_CODES = {
    "E11.9": 0.7,
    "E11.2": 0.08,
    "E11.4": 0.08,
    "E11.5": 0.04,
    "E11.6": 0.05,
    "E10": 0.03,
    "E14": 0.02,
}
CHRONIC_VISIT_SHARE = 0.38  # of a chronic patient's visits, the share that is for the chronic disease


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _pick(rng: np.random.Generator, probabilities: np.ndarray, n: int) -> np.ndarray:
    cumulative = np.cumsum(probabilities)
    return np.minimum(
        np.searchsorted(cumulative, rng.random(n) * cumulative[-1], side="right"), len(probabilities) - 1
    )


@dataclass
class MonthVisits:
    """What other generators need from a month's visits (referrals, capitation)."""

    table: pa.Table
    patient: np.ndarray
    institution: np.ndarray
    day: np.ndarray
    diagnosis: np.ndarray
    insurance_cents: np.ndarray


class VisitGenerator:
    def __init__(
        self,
        city: City,
        res: Residents,
        period: Period,
        icd_codes: list[str],
        patient_dictionary: arrow.Dictionary,
    ) -> None:
        self.city, self.res, self.period = city, res, period
        self.icd_index = {code: i for i, code in enumerate(icd_codes)}
        self.patients = patient_dictionary
        self.institutions = arrow.Dictionary(city.institutions.institution_id)
        self.teams = arrow.Dictionary(city.teams.team_id)
        self.doctors = arrow.Dictionary(city.doctors.doctor_id)
        self.diagnoses = arrow.Dictionary(icd_codes)
        self._rate_cache: dict[int, np.ndarray] = {}

        codes = list(DIAGNOSES)
        self.dx_codes = np.array([self.icd_index[c] for c in codes])
        weights = np.array([DIAGNOSES[c][:3] for c in codes], dtype=float)  # (codes, 3 age groups)
        self.dx_weights = weights
        self.dx_respiratory = np.array([DIAGNOSES[c][3] == "R" for c in codes])
        self.htn_codes = np.array([self.icd_index[c] for c in HYPERTENSION_CODES])
        self.htn_p = np.array(list(HYPERTENSION_CODES.values()))
        self.dm_codes = np.array([self.icd_index[c] for c in DIABETES_CODES])
        self.dm_p = np.array(list(DIABETES_CODES.values()))

        specs = city.specs
        self.primary_pref = np.array([s.primary_preference for s in specs])
        self.tertiary_pull = np.array([s.tertiary_pull for s in specs])
        self.tightness = np.array([s.consortium_tightness for s in specs])
        tertiary = city.institutions_of("tertiary")
        self.tertiary = tertiary
        pref = np.array([TERTIARY_PREFERENCE.get(s.code, RURAL_TERTIARY_PREFERENCE) for s in specs])
        self.tertiary_cum = np.cumsum(pref, axis=1)
        self.secondary_of = [city.institutions_of("secondary", d) for d in range(len(specs))]
        self.all_secondary = city.institutions_of("secondary")
        self.primary_of = [
            np.flatnonzero((city.inst_district == d) & np.isin(city.inst_level, [2, 3]))
            for d in range(len(specs))
        ]

    def yearly_rate(self, year: int) -> np.ndarray:
        """Expected visits per resident in ``year``, normalised to the city's target per capita."""
        if year not in self._rate_cache:
            res = self.res
            band = res.band(year)
            born = band >= 0
            rate = np.where(born, BAND_RATE[np.maximum(band, 0)], 0.0)
            rate *= np.where(res.htn, 1.35, 1.0) * np.where(res.dm, 1.4, 1.0)
            rate *= np.array([1.12, 1.0, 0.55])[res.insurance]  # the uninsured stay away
            rate *= res.frailty
            progress = np.clip((year + 0.5 - self.period.start.year) / 3.0, 0, 1)
            target = TARGET_VISITS_PER_CAPITA[0] + progress * (
                TARGET_VISITS_PER_CAPITA[1] - TARGET_VISITS_PER_CAPITA[0]
            )
            rate *= target * born.sum() / rate.sum()
            self._rate_cache[year] = rate
        return self._rate_cache[year]

    def month(
        self, rng: np.random.Generator, month: Month, first_id: int, contracted: np.ndarray
    ) -> MonthVisits:
        city, res = self.city, self.res
        expected = self.yearly_rate(month.year) * month_volume_factor(month) / 12.0
        counts = rng.poisson(expected)
        patient = np.repeat(np.arange(len(res)), counts)
        n = len(patient)
        day = sample_days(rng, month, n)
        order = np.argsort(day, kind="stable")
        patient, day = patient[order], day[order]

        district = res.district[patient]
        age = month.year - res.birth_year[patient]
        chronic = res.htn[patient] | res.dm[patient]
        is_contracted = contracted[patient]
        years = self.period.years_elapsed(month.start)

        # --- level: primary care or hospital
        logit = (
            -0.42
            + self.primary_pref[district]
            + np.where(age < 15, -0.25, np.where(age >= 65, 0.35, 0.0))
            + 0.35 * chronic
            + 0.45 * is_contracted
            + years * (0.07 + 0.12 * self.tightness[district])
            + (0.12 if month.start >= CAPITATION_START else 0.0)
        )
        primary = rng.random(n) < _sigmoid(logit)
        tertiary = ~primary & (rng.random(n) < self.tertiary_pull[district] * np.where(age >= 65, 0.85, 1.0))

        inst = np.empty(n, dtype=np.int64)
        # primary: the resident's own centre, sometimes the village clinic, now and then another centre
        u = rng.random(n)
        home = res.home_inst[patient]
        village = res.village[patient]
        inst[:] = home
        use_village = primary & (village >= 0) & (u < 0.35)
        inst[use_village] = village[use_village]
        elsewhere = primary & ~use_village & (u > 0.95)
        for d in np.unique(district[elsewhere]):
            sel = np.flatnonzero(elsewhere & (district == d))
            inst[sel] = rng.choice(self.primary_of[d], size=len(sel))
        # tertiary: by the district's preference
        sel = np.flatnonzero(tertiary)
        pick = (rng.random(len(sel))[:, None] > self.tertiary_cum[district[sel]]).sum(axis=1)
        inst[sel] = self.tertiary[np.minimum(pick, len(self.tertiary) - 1)]
        # secondary: the district's own hospital, 8% another district's
        secondary = ~primary & ~tertiary
        for d in range(len(city.specs)):
            sel = np.flatnonzero(secondary & (district == d))
            inst[sel] = rng.choice(self.secondary_of[d], size=len(sel))
        stray = secondary & (rng.random(n) < 0.08)
        inst[stray] = rng.choice(self.all_secondary, size=stray.sum())

        level = city.inst_level[inst]
        # --- team and doctor
        has_teams = city.inst_team_count[inst] > 0
        own_team = has_teams & (inst == home)
        team = np.full(n, -1, dtype=np.int64)
        team[own_team] = res.team[patient[own_team]]
        other = has_teams & ~own_team
        team[other] = city.inst_team_start[inst[other]] + (
            rng.random(other.sum()) * city.inst_team_count[inst[other]]
        ).astype(np.int64)
        doctor = city.inst_doc_start[inst] + (rng.random(n) * city.inst_doc_count[inst]).astype(np.int64)
        with_team = team >= 0
        doctor[with_team] = city.team_doc_start[team[with_team]] + rng.integers(0, 3, with_team.sum())

        # --- visit type: emergencies at hospitals, home visits by family doctors, online growing
        u = rng.random(n)
        online_share = 0.012 + 0.012 * years
        hospital = level <= 1
        vtype = np.zeros(n, dtype=np.int8)
        vtype[hospital & (u < 0.075)] = 1
        home_visit = ~hospital & (level != 4) & (u < np.where(age >= 65, 0.07, 0.015))
        vtype[home_visit] = 2
        vtype[(vtype == 0) & (u > 1 - online_share * np.where(hospital, 1.6, 1.0))] = 3

        # --- diagnosis
        diagnosis = self._diagnoses(rng, patient, age, month)

        # --- cost, drugs, insurance (in cents)
        growth = (1 + LEVEL_COST_GROWTH[level]) ** years
        noise = np.exp(rng.normal(-0.5 * 0.55**2, 0.55, n))
        cost = LEVEL_COST[level] * growth * TYPE_COST[vtype] * city.inst_cost[inst] * noise
        cost_cents = np.maximum(np.round(cost * 100), 500).astype(np.int64)
        drug_share = np.clip(LEVEL_DRUG_SHARE[level] + rng.normal(0, 0.12, n), 0.0, 0.95)
        drug_share[vtype == 2] *= 0.5
        drug_cents = np.round(cost_cents * drug_share).astype(np.int64)
        insurance = res.insurance[patient]
        share = INSURANCE_SHARE[insurance] + np.where(level >= 2, PRIMARY_EXTRA_REIMBURSEMENT, 0.0)
        share = np.where(insurance == 2, 0.0, np.clip(share + rng.normal(0, 0.05, n), 0.2, 0.95))
        paid_cents = np.round(cost_cents * share).astype(np.int64)

        table = pa.table(
            {
                "visit_id": pa.array(np.arange(first_id, first_id + n, dtype=np.int64)),
                "visit_date": arrow.dates(day),
                "patient_id": self.patients.column(patient),
                "institution_id": self.institutions.column(inst),
                "doctor_id": self.doctors.column(doctor),
                "team_id": self.teams.column(team),
                "visit_type": arrow.categorical(VISIT_TYPES, vtype),
                "diagnosis_code": self.diagnoses.column(diagnosis),
                "total_cost": arrow.money(cost_cents),
                "insurance_paid": arrow.money(paid_cents),
                "drug_cost": arrow.money(drug_cents),
            }
        )
        return MonthVisits(table, patient, inst, day, diagnosis, paid_cents)

    def _diagnoses(self, rng: np.random.Generator, patient: np.ndarray, age: np.ndarray, month: Month):
        res = self.res
        n = len(patient)
        group = np.where(age < 15, 0, np.where(age >= 65, 2, 1))
        season = np.where(self.dx_respiratory, RESPIRATORY_FACTOR[month.month - 1], 1.0)
        diagnosis = np.empty(n, dtype=np.int64)
        for g in range(3):
            sel = np.flatnonzero(group == g)
            weights = self.dx_weights[:, g] * season
            diagnosis[sel] = self.dx_codes[_pick(rng, weights, len(sel))]
        htn, dm = res.htn[patient], res.dm[patient]
        u = rng.random(n)
        for has, codes, p, lo in (
            (htn, self.htn_codes, self.htn_p, 0.0),
            (dm, self.dm_codes, self.dm_p, 0.5),
        ):
            # a patient with both diseases splits the chronic visits between them
            both = htn & dm
            chosen = has & np.where(
                both,
                (u >= lo) & (u < lo + 0.5) & (rng.random(n) < 2 * CHRONIC_VISIT_SHARE),
                rng.random(n) < CHRONIC_VISIT_SHARE,
            )
            diagnosis[chosen] = codes[_pick(rng, p, chosen.sum())]
        return diagnosis
