"""What a KPI is: a numerator and a denominator, each a SUM over the rows of a record source
(``queries.kpi.sources``); the value is Σnumerator / Σdenominator × unit factor, computed after grouping, never
an average of rates. A "split" KPI takes its denominator from another source (population, estimated patients,
budgets) and is joined to the numerator on the requested dimensions. Also the small helpers the KPI families
write their formulas with.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa

from dashboard.core.messages import Name
from queries.kpi.sources import INPATIENT_RELATIONS, REFERRAL_RELATIONS, VISIT_RELATIONS, Relation

Columns = sa.ColumnCollection
Expr = Callable[[Columns], sa.ColumnElement]


@dataclass(frozen=True)
class Part:
    """A SUM over a source's rows (optionally restricted), for a numerator or a denominator."""

    relations: tuple[Relation, ...]
    value: Expr
    where: Expr | None = None
    square: Expr | None = None  # Σx², for the interval of a mean
    distinct: Expr | None = None  # COUNT(DISTINCT …) instead of a SUM
    window: bool = False  # evaluated once per window (point-in-time or per-period logic)
    options: dict = field(default_factory=dict)
    min_months: int = 0  # windows shorter than this have no value (standardised management needs a quarter)
    columns: frozenset[str] = frozenset()  # columns the expressions use


@dataclass(frozen=True)
class Kpi:
    id: str
    name_zh: str
    name_en: str
    definition_zh: str
    definition_en: str
    unit: str  # share | per100 | per_capita | yuan | days | count | index | weight | ratio
    # higher | lower | none | band (judged against a band of values, not a direction: see ``band``)
    polarity: str
    ci: str  # wilson | rate | count | mean | none
    geography: str  # institution | residence
    source: str  # policy source
    numerator: Part
    denominator: Part | None = None
    split: bool = False  # the denominator comes from another source, joined on the dimensions
    # Only residence breakdowns make sense: by institution it would divide part of a resident's care by all of it.
    residence_only: bool = False
    # Days after the event its outcome needs (a readmission within N days, a renewal within 90): an int, or the
    # policy file's key giving it by year. Months whose events have not all had that time are provisional.
    settles_after: int | str | None = None
    # polarity "band": the year -> (bottom, top) of the band a value should lie in (capitation: the policy's
    # warning line and 100% of the budget); outcomes are within_budget / overspend / underuse
    band: Callable[[int], tuple[float, float]] | None = None

    @property
    def name(self) -> Name:
        return Name(self.name_zh, self.name_en)

    @property
    def factor(self) -> float:
        return 100.0 if self.unit == "per100" else 1.0

    @property
    def grows_with_the_period(self) -> bool:
        """A total or a per-population rate: a part-year's value is not comparable with a yearly target."""
        return self.denominator is None or self.unit in ("count", "weight", "per100", "per_capita")

    @property
    def uses_policy(self) -> bool:
        """Its parts read the policy file's parameters by year (outlier thresholds, readmission interval …)."""
        parts = (p for p in (self.numerator, self.denominator) if p is not None)
        return any(p.options.get(option) for p in parts for option in POLICY_OPTIONS)

    @property
    def per_window(self) -> bool:
        """Evaluated once per window (managed patients, point-in-time coverage): by whole quarter, not by
        month, and its months' counts do not add up to the year's (the same people in each)."""
        return any(p.window for p in (self.numerator, self.denominator) if p)

    @property
    def cases(self) -> Part | None:
        """For a KPI without an interval (a total of money or weight, a ratio of sums, a number of groups):
        the count of records its numerator sums over, so that a cell resting on 1–4 cases is withheld like a
        count of 1–4 (DOMAIN §9). KPIs with an interval already count their events, people or cases."""
        if self.ci != "none":
            return None
        parent = self.numerator
        return Part(
            parent.relations,
            ONE,
            where=parent.where,
            window=parent.window,
            options=parent.options,
            min_months=parent.min_months,
            columns=parent.columns | {"n"},
        )

    @property
    def count_based(self) -> bool:
        """Numerator counts events (subject to small-number suppression)."""
        return self.ci in ("wilson", "rate", "count")


def col(name: str) -> Expr:
    return lambda c: c[name]


def when(condition: Expr, value: str = "n") -> Expr:
    return lambda c: sa.case((condition(c), c[value]), else_=0)


ONE: Expr = col("n")
VISITS = VISIT_RELATIONS
CASES = INPATIENT_RELATIONS
REFERRALS = REFERRAL_RELATIONS
OUTPATIENT = ("outpatient", "emergency")
# Region-wide group means, with outlier thresholds from the policy file (dashboard.core.policy) by discharge year
REGION_MEANS = {"region_means": True}
# source options whose columns depend on the policy file (REGION_MEANS; the readmission interval)
POLICY_OPTIONS = ("region_means", "readmission")


def part(relations, value, *, columns=(), **kw) -> Part:
    return Part(relations, value, columns=frozenset(columns), **kw)
