"""Residents of the demo city: age and sex structure, insurance, where they get primary care, chronic disease."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dashboard.core.reference import AGE_BANDS, SEXES, age_band_index, prevalence_by_band
from dashboard.load.demo.calendar import Period, to_days
from dashboard.load.demo.city import City

# City age pyramid (share of residents per AGE_BANDS), close to a Chinese city in the 2020s: 60+ > 20%.
CITY_AGE_SHARE = np.array([0.15, 0.23, 0.14, 0.16, 0.14, 0.11, 0.07])
# How each band's share moves with a district's "ageing" (log scale per unit of ageing).
AGEING_SLOPE = np.array([-0.15, -0.30, -0.10, 0.05, 0.20, 0.35, 0.40])
BAND_WIDTH = np.array([15, 20, 10, 10, 10, 10, 20])
VILLAGE_USER_SHARE = 0.4  # rural residents who also use a village clinic


@dataclass
class Residents:
    """One entry per resident; positional arrays (index = patient number - 1)."""

    district: np.ndarray
    sex: np.ndarray  # 0 = M, 1 = F
    birth_year: np.ndarray
    insurance: np.ndarray  # 0 employee, 1 resident, 2 none
    home_inst: np.ndarray  # primary institution (chc/thc) of the resident's area
    village: np.ndarray  # village clinic used, -1 for none
    team: np.ndarray  # the family-doctor team serving the resident's area
    htn: np.ndarray  # has hypertension (bool)
    dm: np.ndarray  # has diabetes (bool)
    frailty: np.ndarray  # personal multiplier on care use (mean 1)

    INSURANCE = ("employee", "resident", "none")

    def __len__(self) -> int:
        return len(self.district)

    def ages(self, year: int) -> np.ndarray:
        return year - self.birth_year

    def band(self, year: int) -> np.ndarray:
        """Age band index in ``year`` (-1 for residents not yet born)."""
        ages = self.ages(year)
        out = np.full(len(ages), -1, dtype=np.int64)
        born = ages >= 0
        out[born] = age_band_index(ages[born])
        return out


def district_age_shares(ageing: float) -> np.ndarray:
    shares = CITY_AGE_SHARE * np.exp(ageing * AGEING_SLOPE)
    return shares / shares.sum()


def generate_residents(rng: np.random.Generator, city: City, n: int, reference_year: int) -> Residents:
    """Draw ``n`` residents; ages refer to ``reference_year`` (the last year of the period)."""
    shares = np.array([s.population_share for s in city.specs])
    district = rng.choice(len(shares), size=n, p=shares / shares.sum())
    district.sort()  # residents of a district get consecutive ids, as a real registry would

    band = np.empty(n, dtype=np.int64)
    for d, spec in enumerate(city.specs):
        members = district == d
        band[members] = rng.choice(len(AGE_BANDS), size=members.sum(), p=district_age_shares(spec.ageing))
    lower = np.array([0, 15, 35, 45, 55, 65, 75])[band]
    # Within the oldest band, fewer people at each older age.
    offset = np.where(band == 6, np.minimum(rng.exponential(6.0, n), 24), rng.random(n) * BAND_WIDTH[band])
    age = lower + offset.astype(np.int64)
    birth_year = reference_year - age

    p_female = np.where(band >= 6, 0.56, np.where(band >= 5, 0.52, 0.49))
    sex = (rng.random(n) < p_female).astype(np.int8)

    rural = np.array([s.urban_rural == "rural" for s in city.specs])[district]
    employee_share = np.array([s.employee_share for s in city.specs])[district]
    # Children are covered by resident insurance; retirees keep employee insurance at a lower share.
    p_employee = np.where(band == 0, 0.0, np.where(band >= 5, employee_share * 0.8, employee_share))
    u = rng.random(n)
    p_none = np.where(rural, 0.04, 0.02)
    insurance = np.where(u < p_none, 2, np.where(u < p_none + p_employee * (1 - p_none), 0, 1)).astype(
        np.int8
    )

    home_inst = np.empty(n, dtype=np.int64)
    village = np.full(n, -1, dtype=np.int64)
    for d in range(len(city.specs)):
        members = np.flatnonzero(district == d)
        primaries = np.flatnonzero((city.inst_district == d) & np.isin(city.inst_level, [2, 3]))
        weights = city.inst_team_count[primaries].astype(float)
        home_inst[members] = rng.choice(primaries, size=len(members), p=weights / weights.sum())
        villages = city.institutions_of("village", d)
        if len(villages):
            users = members[rng.random(len(members)) < VILLAGE_USER_SHARE]
            village[users] = rng.choice(villages, size=len(users))
    team = city.inst_team_start[home_inst] + (rng.random(n) * city.inst_team_count[home_inst]).astype(
        np.int64
    )

    ref_band = np.maximum(band, 0)
    htn = rng.random(n) < prevalence_by_band("hypertension")[ref_band]
    # Diabetes is commoner among people with hypertension, as in life; the mix keeps the overall prevalence.
    p_dm = prevalence_by_band("diabetes")[ref_band] * np.where(htn, 1.5, 0.8)
    dm = rng.random(n) < p_dm
    frailty = rng.gamma(2.0, 0.5, n)
    return Residents(district, sex, birth_year, insurance, home_inst, village, team, htn, dm, frailty)


def patient_table(res: Residents, city: City) -> pd.DataFrame:
    """dim_patient rows (ids are assigned by position: P0000001 is resident 0)."""
    return pd.DataFrame(
        {
            "patient_id": patient_ids(len(res)),
            "sex": np.array(SEXES)[res.sex],
            "birth_year": res.birth_year,
            "district_code": city.districts.district_code.to_numpy()[res.district],
            "insurance_type": np.array(Residents.INSURANCE)[res.insurance],
        }
    )


def patient_ids(n: int) -> np.ndarray:
    return np.char.add("P", np.char.zfill(np.arange(1, n + 1).astype(str), 7))


def population_table(res: Residents, city: City, years: list[int]) -> pd.DataFrame:
    """dim_population: residents alive in each year by district, sex, age band and insurance type."""
    frames = []
    for year in years:
        band = res.band(year)
        born = band >= 0
        strata = {"d": res.district[born], "s": res.sex[born], "b": band[born], "i": res.insurance[born]}
        counts = pd.DataFrame(strata).value_counts()
        full = pd.MultiIndex.from_product(
            [range(len(city.specs)), range(2), range(len(AGE_BANDS)), range(len(Residents.INSURANCE))],
            names=["d", "s", "b", "i"],
        )
        counts = counts.reindex(full, fill_value=0).reset_index(name="population")
        counts["year"] = year
        frames.append(counts)
    out = pd.concat(frames, ignore_index=True)
    return pd.DataFrame(
        {
            "district_code": city.districts.district_code.to_numpy()[out.d],
            "year": out.year.astype(int),
            "sex": np.array(SEXES)[out.s],
            "age_band": np.array(AGE_BANDS)[out.b],
            "population": out.population.astype(int),
            "insurance_type": np.array(Residents.INSURANCE)[out.i],
        }
    )


@dataclass
class Registry:
    """Chronic-disease management: one entry per managed (patient, disease)."""

    patient: np.ndarray
    disease: np.ndarray  # 0 hypertension, 1 diabetes
    registered: np.ndarray  # days since epoch
    ended: np.ndarray  # days since epoch, -1 while still managed
    control: np.ndarray  # the patient's log-odds of being controlled at a follow-up

    DISEASES = ("hypertension", "diabetes")


def generate_registry(rng: np.random.Generator, res: Residents, city: City, period: Period) -> Registry:
    """Who of the prevalent patients is under management, since when, until when."""
    start, end = to_days(period.start), to_days(period.end)
    managed_share = np.array([s.managed_share for s in city.specs])[res.district]
    patients, diseases = [], []
    for code, has in enumerate((res.htn, res.dm)):
        # Older patients are found and managed more often (free annual check-ups for 65+).
        boost = np.where(res.ages(period.end.year) >= 65, 1.2, 0.85)
        chosen = np.flatnonzero(has & (rng.random(len(res)) < managed_share * boost))
        patients.append(chosen)
        diseases.append(np.full(len(chosen), code, dtype=np.int8))
    patient = np.concatenate(patients)
    disease = np.concatenate(diseases)
    n = len(patient)

    # Two thirds were registered before the period; the rest join during it, as screening finds them.
    earlier = rng.random(n) < 0.66
    registry_opened = to_days(period.start.replace(year=period.start.year - 8))
    registered = np.where(
        earlier,
        rng.integers(registry_opened, start, n),
        rng.integers(start, end + 1, n),
    )
    # Some leave management (moved away, died): about 3% a year.
    leave_after = (rng.exponential(1 / 0.03, n) * 365.25).astype(np.int64)
    ended = registered + np.maximum(leave_after, 30)
    ended = np.where(ended <= end, ended, -1)
    # Keep only entries still under management at some point in the period.
    keep = (ended == -1) | (ended >= start)
    patient, disease, registered, ended = patient[keep], disease[keep], registered[keep], ended[keep]

    team = res.team[patient]
    age_effect = np.where(res.ages(period.end.year)[patient] >= 75, -0.25, 0.0)
    base = np.where(disease == 0, -0.38, -0.58)  # diabetes control is harder to reach
    control = base + city.team_quality[team] + age_effect + rng.normal(0, 0.8, len(patient))
    return Registry(patient, disease, registered, ended, control)


@dataclass
class Contracts:
    patient: np.ndarray
    team: np.ndarray
    start: np.ndarray  # days
    end: np.ndarray  # days, inclusive

    def active_on(self, day: int, n_residents: int) -> np.ndarray:
        """Boolean per resident: holds a contract active on ``day``."""
        active = np.zeros(n_residents, dtype=bool)
        active[self.patient[(self.start <= day) & (self.end >= day)]] = True
        return active


def generate_contracts(
    rng: np.random.Generator, res: Residents, city: City, registry: Registry, period: Period
) -> Contracts:
    """Yearly family-doctor contracts: a first signing, then renewals, lapses and re-signings."""
    start, end = to_days(period.start), to_days(period.end)
    n = len(res)
    priority = res.ages(period.end.year) >= 65
    priority[registry.patient] = True
    propensity = np.array([s.contract_propensity for s in city.specs])[res.district] + 0.06
    p_sign = np.clip(np.where(priority, propensity + 0.42, propensity), 0, 0.95)
    signs = rng.random(n) < p_sign
    # Most signers already held a contract when the period began; later signers show coverage rising.
    already = rng.random(n) < 0.6
    first = np.where(already, rng.integers(start - 365, start, n), rng.integers(start, end + 1, n))
    people = np.flatnonzero(signs)
    current = first[people]
    renew_p = np.where(priority[people], 0.9, 0.8)
    rows_p, rows_s = [], []
    alive = np.ones(len(people), dtype=bool)
    while alive.any():
        rows_p.append(people[alive])
        rows_s.append(current[alive])
        contract_end = current + 364
        renews = rng.random(len(people)) < renew_p
        # Most renew the day after; some come back within a few weeks; lapsed ones may re-sign much later.
        gap = np.where(
            renews,
            np.where(rng.random(len(people)) < 0.85, 1, rng.integers(10, 85, len(people))),
            np.where(rng.random(len(people)) < 0.3, rng.integers(120, 400, len(people)), 10**6),
        )
        current = contract_end + gap
        alive &= current <= end
    patient = np.concatenate(rows_p)
    starts = np.concatenate(rows_s)
    order = np.lexsort((starts, patient))
    patient, starts = patient[order], starts[order]
    return Contracts(patient, res.team[patient], starts, starts + 364)
