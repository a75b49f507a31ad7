"""Two-way referrals (双向转诊): up from primary care and county hospitals, down after the acute phase.

Up-referrals outnumber down-referrals everywhere; a tight consortium sends more patients back down, and
more each year, and completes more of its referrals.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from dashboard.load.demo import arrow
from dashboard.load.demo.calendar import Period, to_days
from dashboard.load.demo.city import City
from dashboard.load.demo.residents import Residents

DIRECTIONS = ("up", "down", "lateral")
STATUSES = ("completed", "pending", "rejected", "cancelled")


class ReferralCollector:
    """Collects candidate referrals from visits and inpatient cases, then settles their status."""

    def __init__(self, city: City, res: Residents, period: Period) -> None:
        self.city, self.res, self.period = city, res, period
        self.parts: list[tuple[np.ndarray, ...]] = []
        self.tertiary = city.institutions_of("tertiary")

    def _tightness(self, inst: np.ndarray) -> np.ndarray:
        consortium = self.city.inst_consortium[inst]
        return np.where(consortium >= 0, self.city.consortium_tightness[np.maximum(consortium, 0)], 0.0)

    def _add(self, patient, source, target, direction, day, dx) -> None:
        keep = source != target
        self.parts.append(tuple(a[keep] for a in (patient, source, target, direction, day, dx)))

    def _down_home(self, chosen, patient, inst, day, dx) -> None:
        """Down-referrals of the chosen events to each patient's own primary-care centre."""
        home = self.res.home_inst[patient[chosen]]
        self._add(patient[chosen], inst[chosen], home, np.ones(len(chosen), np.int8), day[chosen], dx[chosen])

    def from_visits(self, rng: np.random.Generator, patient, inst, day, dx) -> None:
        city, res = self.city, self.res
        level = city.inst_level[inst]
        years = (day - to_days(self.period.start)) / 365.25
        age = (1970 + day // 365.25).astype(np.int64) - res.birth_year[patient]
        n = len(patient)

        # Up: a primary-care visit that needs a specialist goes to the consortium's lead hospital.
        # A tight consortium's primary network handles more itself, so it refers up less.
        p_up = np.where(level >= 2, (0.0105 + 0.006 * (age >= 65)) * (1 - 0.35 * self._tightness(inst)), 0.0)
        up = np.flatnonzero(rng.random(n) < p_up)
        consortium = city.inst_consortium[inst[up]]
        lead = np.where(consortium >= 0, city.consortium_lead[np.maximum(consortium, 0)], -1)
        to_lead = (lead >= 0) & (rng.random(len(up)) < 0.55 + 0.4 * self._tightness(inst[up]))
        target = np.where(to_lead, lead, rng.choice(self.tertiary, size=len(up)))
        self._add(patient[up], inst[up], target, np.zeros(len(up), np.int8), day[up], dx[up])

        # Down: a stable chronic patient seen at hospital is handed back to the family doctor.
        chronic = res.htn[patient] | res.dm[patient]
        p_down = np.where(
            (level <= 1) & chronic, 0.003 * (1 + 2.5 * self._tightness(inst)) * (1 + 0.3 * years), 0
        )
        self._down_home(np.flatnonzero(rng.random(n) < p_down), patient, inst, day, dx)

    def from_cases(self, rng: np.random.Generator, cases: dict[str, np.ndarray]) -> None:
        city = self.city
        inst, patient, day = cases["inst"], cases["patient"], cases["discharge"]
        level = city.inst_level[inst]
        years = (day - to_days(self.period.start)) / 365.25
        n = len(patient)
        alive = cases["status"] == 0
        tight = self._tightness(inst)
        # Down after the acute phase: rehabilitation and follow-up at the patient's own centre.
        p_down = np.where(
            alive & (level <= 1), (0.018 + 0.12 * tight) * (1 + 0.25 * years * (0.5 + tight)), 0
        )
        self._down_home(np.flatnonzero(rng.random(n) < p_down), patient, inst, day, cases["dx"])
        # Up from county and township hospitals to a tertiary hospital, admitted on the referral.
        p_up = np.where(level >= 1, 0.035, 0.0)
        up = np.flatnonzero(rng.random(n) < p_up)
        target = rng.choice(self.tertiary, size=len(up))
        self._add(
            patient[up], inst[up], target, np.zeros(len(up), np.int8), cases["admit"][up], cases["dx"][up]
        )
        # Lateral: between hospitals of the same level.
        lateral = np.flatnonzero((level == 0) & (rng.random(n) < 0.006))
        target = rng.choice(self.tertiary, size=len(lateral))
        self._add(
            patient[lateral],
            inst[lateral],
            target,
            np.full(len(lateral), 2, np.int8),
            day[lateral],
            cases["dx"][lateral],
        )

    def table(self, rng: np.random.Generator, patients: arrow.Dictionary, icd: arrow.Dictionary) -> pa.Table:
        patient, source, target, direction, day, dx = (
            np.concatenate(c) for c in zip(*self.parts, strict=True)
        )
        end = to_days(self.period.end)
        keep = (day <= end) & (day >= to_days(self.period.start))
        patient, source, target, direction, day, dx = (
            a[keep] for a in (patient, source, target, direction, day, dx)
        )
        order = np.lexsort((patient, day))
        patient, source, target, direction, day, dx = (
            a[order] for a in (patient, source, target, direction, day, dx)
        )
        n = len(patient)
        tight = np.maximum(self._tightness(source), self._tightness(target))
        same_consortium = (self.city.inst_consortium[source] >= 0) & (
            self.city.inst_consortium[source] == self.city.inst_consortium[target]
        )
        p_complete = 0.80 + 0.06 * same_consortium + 0.08 * tight
        u = rng.random(n)
        status = np.select([u < p_complete, u < p_complete + 0.045, u < p_complete + 0.09], [0, 2, 3], 1)
        # Down-referrals take longer to be taken up than up-referrals.
        delay = 1 + rng.geometric(np.where(direction == 1, 0.18, 0.45))
        completed = day + delay
        status = np.where((status == 0) & (completed > end), 1, status)
        completed = np.where(status == 0, completed, -1)
        institutions = arrow.Dictionary(self.city.institutions.institution_id)
        return pa.table(
            {
                "referral_id": pa.array(np.arange(1, n + 1, dtype=np.int64)),
                "patient_id": patients.column(patient),
                "from_institution_id": institutions.column(source),
                "to_institution_id": institutions.column(target),
                "direction": arrow.categorical(DIRECTIONS, direction),
                "referral_date": arrow.dates(day),
                "diagnosis_code": icd.column(dx),
                "status": arrow.categorical(STATUSES, status),
                "completed_date": arrow.dates(completed),
            }
        )
