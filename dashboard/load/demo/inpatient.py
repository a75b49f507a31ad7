"""Inpatient cases with DRG groups, and the demo DRG catalogue with weights and risk levels.

Cases are drawn month by month but kept in memory (even at scale L they are under a million), because the
catalogue's weights are set from the first year's costs, as a pooling region sets them from history, and
payments and outliers need those weights and the region-wide group means.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from dashboard.core.policy import PolicyBook, PolicyError
from dashboard.core.reference import ADMISSION_ROUTES
from dashboard.load.demo import arrow
from dashboard.load.demo.calendar import Month, Period, sample_days, to_days
from dashboard.load.demo.city import City
from dashboard.load.demo.residents import Residents
from dashboard.load.demo.visits import RURAL_TERTIARY_PREFERENCE, TERTIARY_PREFERENCE

# The settlement policy (base rates, outlier thresholds and top-up, level coefficients, risk-level cut points,
# grouper version) is the region's policy file, data/policy/drg_policy.toml: the demo settles by it.

BAND_ADMISSIONS = np.array([0.075, 0.06, 0.07, 0.11, 0.19, 0.33, 0.50])
TARGET_ADMISSIONS_PER_100 = (17.0, 19.0)
WINTER = np.array([1.12, 1.0, 1.0, 0.97, 0.96, 0.95, 0.95, 0.96, 0.97, 0.98, 1.05, 1.12])


def grouper_version_of(policy: PolicyBook, period: Period) -> str:
    """The one grouper version the policy sets for every year of the demo period (the demo city regroups
    nothing: a period spanning two versions is a policy file the demo cannot follow)."""
    versions = {p.grouper_version for p in policy.covering(period.start.year, period.end.year)}
    if len(versions) != 1:
        raise PolicyError("demo_grouper_versions", versions=tuple(sorted(versions)))
    return versions.pop()


SEVERITY_NAME = {
    "1": "，伴严重合并症/并发症",
    "3": "，伴一般合并症/并发症",
    "5": "，无合并症/并发症",
    "9": "",
}
SEVERITY_NAME_EN = {"1": ", with major CC", "3": ", with CC", "5": ", without CC", "9": ""}
SEVERITY_RW = {"1": 1.75, "3": 1.25, "5": 1.0, "9": 1.0}
SEVERITY_LOS = {"1": 1.6, "3": 1.2, "5": 1.0, "9": 1.0}
SEVERITY_DEATH = {"1": 4.0, "3": 1.8, "5": 1.0, "9": 1.0}
MORTALITY_SCALE = 0.5  # brings in-hospital mortality to the 0.3-1% seen in Chinese hospitals
LEVEL_CASE_COST = np.array([1.12, 0.92, 0.72, 0.72, 0.6])
LEVEL_LOS = np.array([1.08, 1.0, 0.85, 0.85, 0.8])
COST_PER_TRUE_WEIGHT = 10_500.0
INPATIENT_COST_GROWTH = 0.03
INSURANCE_SHARE = np.array([0.76, 0.62, 0.0])
READMISSION_SHARE = 0.045  # unplanned returns within 31 days, same group (what the KPI should find)
PLANNED_SHARE = 0.02  # discharges with a planned return recorded (出院31天内再住院计划)
PLANNED_CARRIED_OUT = 0.85
DISCHARGE_STATUSES = ("alive", "died", "transferred")


@dataclass
class Catalogue:
    """The expanded DRG list with the generator's notion of each group's true cost, stay and mortality."""

    frame: pd.DataFrame  # one row per DRG

    @classmethod
    def from_adrgs(cls, adrgs: pd.DataFrame, mdc_names: pd.DataFrame) -> Catalogue:
        mdc = dict(zip(mdc_names.mdc_code, mdc_names.name_zh, strict=True))
        rows = []
        for a in adrgs.itertuples():
            level_affinity = [float(x) for x in a.level_affinity.split(";")]
            age_profile = [float(x) for x in a.age_profile.split(";")]
            for digit in a.splits:
                rows.append(
                    {
                        "drg_code": f"{a.adrg_code}{digit}",
                        "adrg_code": a.adrg_code,
                        "mdc_code": a.mdc_code,
                        "drg_name": a.name_zh + SEVERITY_NAME[digit],
                        "drg_name_en": a.name_en + SEVERITY_NAME_EN[digit],
                        "adrg_name": a.name_zh,
                        "mdc_name": mdc[a.mdc_code],
                        "severity": digit,
                        "splits": a.splits,
                        "true_rw": a.base_rw * SEVERITY_RW[digit],
                        "los": a.base_los * SEVERITY_LOS[digit],
                        "mortality": min(a.mortality * MORTALITY_SCALE * SEVERITY_DEATH[digit], 0.6),
                        "department": a.department,
                        "affinity": level_affinity,
                        "age_profile": age_profile,
                        "dx_codes": a.dx_codes.split(";"),
                    }
                )
        return cls(pd.DataFrame(rows))


class InpatientGenerator:
    def __init__(
        self,
        city: City,
        res: Residents,
        period: Period,
        catalogue: Catalogue,
        icd_codes: list[str],
        policy: PolicyBook,
    ) -> None:
        self.city, self.res, self.period, self.cat = city, res, period, catalogue
        self.policy = policy
        self.grouper_version = grouper_version_of(policy, period)
        adrgs = catalogue.frame.drop_duplicates("adrg_code").reset_index(drop=True)
        self.adrgs = adrgs
        self.adrg_index = {a: i for i, a in enumerate(adrgs.adrg_code)}
        profile = np.array(adrgs.age_profile.tolist())  # (adrg, 3)
        # Expensive procedures are rarer: incidence falls with the group's weight.
        self.incidence = profile / np.power(adrgs.true_rw.to_numpy(), 0.8)[:, None]
        self.affinity = np.array(adrgs.affinity.tolist())  # (adrg, 3): tertiary, secondary, primary
        mdc = adrgs.mdc_code.to_numpy()
        self.female_only = np.isin(mdc, ["N", "O"])
        self.male_only = mdc == "M"
        self.pregnancy = mdc == "O"
        self.newborn = mdc == "P"
        icd_index = {c: i for i, c in enumerate(icd_codes)}
        self.adrg_dx = [np.array([icd_index[c] for c in codes]) for codes in adrgs.dx_codes]
        self.drg_row = {code: i for i, code in enumerate(catalogue.frame.drg_code)}
        self.tertiary = city.institutions_of("tertiary")
        specs = city.specs
        self.tertiary_cum = np.cumsum(
            np.array([TERTIARY_PREFERENCE.get(s.code, RURAL_TERTIARY_PREFERENCE) for s in specs]), axis=1
        )
        self.secondary_of = [city.institutions_of("secondary", d) for d in range(len(specs))]
        self.tertiary_access = np.array(
            [1.0 if s.urban_rural == "urban" else 0.35 + 0.9 * s.tertiary_pull for s in specs]
        )
        self.primary_access = np.array([0.15 if s.urban_rural == "urban" else 1.0 for s in specs])
        self._rate_cache: dict[int, np.ndarray] = {}
        self.parts: list[dict[str, np.ndarray]] = []

    def yearly_rate(self, year: int) -> np.ndarray:
        if year not in self._rate_cache:
            res = self.res
            band = res.band(year)
            born = band >= 0
            rate = np.where(born, BAND_ADMISSIONS[np.maximum(band, 0)], 0.0)
            rate *= np.where(res.htn | res.dm, 1.3, 1.0) * np.array([1.1, 1.0, 0.6])[res.insurance]
            rate *= res.frailty
            progress = np.clip((year + 0.5 - self.period.start.year) / 3.0, 0, 1)
            target = TARGET_ADMISSIONS_PER_100[0] + progress * (
                TARGET_ADMISSIONS_PER_100[1] - TARGET_ADMISSIONS_PER_100[0]
            )
            rate *= target / 100 * born.sum() / rate.sum()
            self._rate_cache[year] = rate
        return self._rate_cache[year]

    def month(self, rng: np.random.Generator, month: Month) -> None:
        """Draw the admissions of a month (readmissions follow within 31 days)."""
        res, city = self.res, self.city
        expected = self.yearly_rate(month.year) * WINTER[month.month - 1] * month.days / 365.25
        patient = np.repeat(np.arange(len(res)), rng.poisson(expected))
        n = len(patient)
        age = month.year - res.birth_year[patient]
        female = res.sex[patient] == 1
        group = np.where(age < 15, 0, np.where(age >= 65, 2, 1))

        adrg = np.empty(n, dtype=np.int64)
        kinds = group * 4 + female * 2 + (age == 0) + 0  # combine the attributes that restrict groups
        fertile = female & (age >= 18) & (age <= 45)
        for key in np.unique(kinds):
            for is_fertile in (False, True):
                sel = np.flatnonzero((kinds == key) & (fertile == is_fertile))
                if not len(sel):
                    continue
                g, fem, infant = key // 4, bool((key // 2) % 2), bool(key % 2)
                w = self.incidence[:, g].copy()
                w[self.female_only & ~fem] = 0
                w[self.male_only & fem] = 0
                w[self.pregnancy] *= 6.0 if is_fertile else 0.0
                w[self.newborn] *= 40.0 if infant else 0.0
                cumulative = np.cumsum(w)
                adrg[sel] = np.searchsorted(cumulative, rng.random(len(sel)) * cumulative[-1], side="right")
        adrg = np.minimum(adrg, len(self.adrgs) - 1)

        district = res.district[patient]
        weights = self.affinity[adrg] * np.stack(
            [self.tertiary_access[district], np.ones(n), self.primary_access[district]], axis=1
        )
        cumulative = np.cumsum(weights, axis=1)
        level = (rng.random(n)[:, None] * cumulative[:, -1:] > cumulative).sum(axis=1)  # 0 t, 1 s, 2 primary
        inst = res.home_inst[patient].copy()
        sel = np.flatnonzero(level == 0)
        pick = (rng.random(len(sel))[:, None] > self.tertiary_cum[district[sel]]).sum(axis=1)
        inst[sel] = self.tertiary[np.minimum(pick, len(self.tertiary) - 1)]
        for d in range(len(city.specs)):
            sel = np.flatnonzero((level == 1) & (district == d))
            inst[sel] = rng.choice(self.secondary_of[d], size=len(sel))

        admit = sample_days(rng, month, n)
        self._add_cases(rng, patient, inst, adrg, admit, age)

    def _add_cases(self, rng, patient, inst, adrg, admit, age, readmission=None, dx=None) -> None:
        """Cases admitted on ``admit``; ``readmission`` is None for a first admission, else "unplanned" or
        "planned" (the return the index stay's 出院31天内再住院计划 recorded), for the index stay's principal
        diagnosis ``dx``."""
        city, cat = self.city, self.cat.frame
        n = len(patient)
        if n == 0:
            return
        level = city.inst_level[inst]
        splits = self.adrgs.splits.to_numpy()[adrg]
        u = rng.random(n)
        p1 = 0.09 + 0.08 * (age >= 65) + 0.05 * (level == 0) + 0.06 * (readmission == "unplanned")
        severity = np.where(
            splits == "9",
            "9",
            np.where(u < p1, "1", np.where((splits == "135") & (u < p1 + 0.3), "3", "5")),
        )
        drg_codes = np.char.add(self.adrgs.adrg_code.to_numpy()[adrg].astype(str), severity.astype(str))
        drg = np.array([self.drg_row[c] for c in drg_codes]) if n else np.empty(0, dtype=np.int64)
        true_rw = cat.true_rw.to_numpy()[drg]
        los = cat.los.to_numpy()[drg] * LEVEL_LOS[level] * city.inst_los[inst] * rng.gamma(4.0, 0.25, n)
        los = np.maximum(np.round(los), 1).astype(np.int64)
        p_death = cat.mortality.to_numpy()[drg] * np.where(age >= 75, 1.6, 1.0) * city.inst_mortality[inst]
        u = rng.random(n)
        status = np.where(u < p_death, 1, np.where(u > 0.988, 2, 0))
        los = np.where(status == 1, np.maximum(1, (los * rng.random(n)).astype(np.int64)), los)

        years = (admit - to_days(self.period.start)) / 365.25
        noise = np.exp(rng.normal(-0.5 * 0.28**2, 0.28, n))
        u = rng.random(n)
        outlier = np.where(
            u < 0.032, rng.uniform(2.3, 4.0, n), np.where(u > 0.985, rng.uniform(0.2, 0.45, n), 1)
        )
        cost = (
            true_rw
            * COST_PER_TRUE_WEIGHT
            * LEVEL_CASE_COST[level]
            * city.inst_cost[inst]
            * (1 + INPATIENT_COST_GROWTH) ** years
            * noise
            * outlier
            * (0.85 + 0.15 * los / np.maximum(cat.los.to_numpy()[drg], 1))
        )
        cost_cents = np.maximum(np.round(cost * 100), 30000).astype(np.int64)
        insurance = self.res.insurance[patient]
        share = np.where(
            insurance == 2, 0.0, np.clip(INSURANCE_SHARE[insurance] + rng.normal(0, 0.05, n), 0.3, 0.92)
        )
        grouped = rng.random(n) >= city.inst_ungrouped[inst]
        dx_choice = (
            dx
            if dx is not None
            else np.array([d[rng.integers(len(d))] for d in (self.adrg_dx[a] for a in adrg)], dtype=np.int64)
        )
        part = {
            "patient": patient,
            "inst": inst,
            "drg": drg,
            "grouped": grouped,
            "admit": admit,
            "discharge": admit + los,
            "los": los,
            "dx": dx_choice,
            "cost": cost_cents,
            "paid": np.round(cost_cents * share).astype(np.int64),
            "status": status,
            "route": self._routes(rng, level, severity, age, readmission),
            "planned": np.zeros(n, dtype=bool),
        }
        self.parts.append(part)
        if readmission is None:
            u = rng.random(n)
            back = (status == 0) & (u < READMISSION_SHARE)
            idx = np.flatnonzero(back)
            readmit = admit[idx] + los[idx] + rng.integers(2, 31, len(idx))
            self._add_cases(
                rng, patient[idx], inst[idx], adrg[idx], readmit, age[idx], "unplanned", dx_choice[idx]
            )
            # A planned return (the next chemotherapy cycle, a staged operation) is recorded on the index stay;
            # a few plans are never carried out.
            planned = (status == 0) & (u >= READMISSION_SHARE) & (u < READMISSION_SHARE + PLANNED_SHARE)
            part["planned"] = planned
            idx = np.flatnonzero(planned & (rng.random(n) < PLANNED_CARRIED_OUT))
            readmit = admit[idx] + los[idx] + rng.integers(7, 29, len(idx))
            self._add_cases(
                rng, patient[idx], inst[idx], adrg[idx], readmit, age[idx], "planned", dx_choice[idx]
            )

    @staticmethod
    def _routes(rng, level, severity, age, readmission) -> np.ndarray:
        """入院途径 (codes of ADMISSION_ROUTES): planned returns come through the clinic, unplanned ones and the
        severely ill often through the emergency room; tertiary hospitals receive more transfers."""
        n = len(level)
        if readmission == "planned":
            return np.full(n, ADMISSION_ROUTES.index("outpatient"))
        emergency = 0.25 + 0.2 * (severity == "1") + 0.1 * (age >= 75) + 0.25 * (readmission == "unplanned")
        transfer = np.where(level == 0, 0.03, 0.01)
        u = rng.random(n)
        return np.select(
            [u < transfer, u < transfer + emergency, u < transfer + emergency + 0.01],
            [ADMISSION_ROUTES.index(r) for r in ("transfer_in", "emergency", "other")],
            ADMISSION_ROUTES.index("outpatient"),
        )

    def finish(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Set weights and risk levels, settle payments; return (dim_drg rows, case columns sorted by discharge)."""
        cases = {k: np.concatenate([p[k] for p in self.parts]) for k in self.parts[0]}
        keep = cases["discharge"] <= to_days(self.period.end)
        cases = {k: v[keep] for k, v in cases.items()}
        order = np.lexsort((cases["patient"], cases["discharge"]))
        cases = {k: v[order] for k, v in cases.items()}
        cat = self.cat.frame.copy()

        # Weights: each group's mean cost in the base year over the mean cost of all grouped cases,
        # shrunk towards the prior for thinly populated groups.
        base_end = to_days(self.period.start) + 365
        in_base = cases["grouped"] & (cases["discharge"] < base_end)
        group_cost = pd.Series(cases["cost"][in_base]).groupby(cases["drg"][in_base])
        n_g = group_cost.size().reindex(range(len(cat)), fill_value=0).to_numpy()
        mean_g = group_cost.mean().reindex(range(len(cat)), fill_value=0).to_numpy()
        overall = cases["cost"][in_base].mean()
        prior = cat.true_rw.to_numpy() * overall / np.average(cat.true_rw.to_numpy()[cases["drg"][in_base]])
        weight = (n_g * mean_g + 10 * prior) / (n_g + 10) / overall
        cat["weight"] = np.round(weight, 4)

        # Risk levels: z-score of ln(group mortality) with the policy's cut points (commonly -1, 0, +1).
        first = self.policy.for_year(self.period.start.year)
        low_cut, mid_cut, high_cut = first.risk_cut_points
        log_m = np.log(cat.mortality.to_numpy())
        z = (log_m - log_m.mean()) / log_m.std()
        cat["risk_level"] = np.select(
            [z < low_cut, z < mid_cut, z < high_cut], ["low", "mid_low", "mid_high"], "high"
        )
        cat["grouper_version"] = self.grouper_version

        # Settlement: weight × the year's base rate × level coefficient; high outliers topped up, low outliers
        # paid at cost; every parameter of the discharge year's policy.
        drg_weight = cat.weight.to_numpy()[cases["drg"]]
        year = np.array(pd.to_datetime(cases["discharge"], unit="D").year)
        years = range(int(year.min()), int(year.max()) + 1)
        by_year = {y: self.policy.for_year(y) for y in years}

        def per_case(attribute):
            return np.array([getattr(by_year[y], attribute) for y in years])[year - years.start]

        base_rate = per_case("base_rate")
        k_high, k_low, top_up = per_case("k_high"), per_case("k_low"), per_case("high_outlier_top_up")
        levels = self.city.inst_level[cases["inst"]]
        coefficients = np.array(
            [[by_year[y].level_coefficients[lv] for lv in self.city.LEVELS] for y in years]
        )[year - years.start, levels]
        frame = pd.DataFrame(
            {"drg": cases["drg"], "year": year, "cost": cases["cost"], "g": cases["grouped"]}
        )
        group_mean = frame[frame.g].groupby(["drg", "year"]).cost.transform("mean").reindex(frame.index)
        cost = cases["cost"]
        payment = np.round(drg_weight * base_rate * coefficients * 100)
        high = cost > k_high * group_mean.to_numpy()
        low = cost < k_low * group_mean.to_numpy()
        payment = np.where(high, payment + top_up * (cost - k_high * group_mean.to_numpy()), payment)
        payment = np.where(low, cost, payment)
        cases["payment"] = np.where(cases["grouped"], np.round(payment), -1).astype(np.int64)
        cases["department"] = cat.department.to_numpy()[cases["drg"]]
        return cat, cases

    def table(
        self,
        cases: dict[str, np.ndarray],
        patients: arrow.Dictionary,
        icd: arrow.Dictionary,
        catalogue: pd.DataFrame,
    ) -> pa.Table:
        n = len(cases["patient"])
        drg = np.where(cases["grouped"], cases["drg"], -1)
        payment = cases["payment"]
        return pa.table(
            {
                "case_id": pa.array(np.arange(1, n + 1, dtype=np.int64)),
                "patient_id": patients.column(cases["patient"]),
                "institution_id": arrow.Dictionary(self.city.institutions.institution_id).column(
                    cases["inst"]
                ),
                "department": arrow.strings(cases["department"]),
                "admit_date": arrow.dates(cases["admit"]),
                "discharge_date": arrow.dates(cases["discharge"]),
                "los_days": pa.array(cases["los"].astype(np.int32)),
                "principal_dx": icd.column(cases["dx"]),
                "drg_code": arrow.Dictionary(catalogue.drg_code).column(drg),
                "total_cost": arrow.money(cases["cost"]),
                "insurance_paid": arrow.money(cases["paid"]),
                "drg_payment": pa.array(payment / 100.0, pa.float64(), mask=payment < 0),
                "discharge_status": arrow.categorical(DISCHARGE_STATUSES, cases["status"]),
                "grouper_version": pa.array(
                    np.where(cases["grouped"], self.grouper_version, None), pa.string()
                ),
                "admission_route": arrow.categorical(ADMISSION_ROUTES, cases["route"]),
                "planned_readmission": pa.array(cases["planned"]),
            }
        )
