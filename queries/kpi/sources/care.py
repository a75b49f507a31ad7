"""All care, visits and admissions together (insurance share of cost)."""

from __future__ import annotations

import sqlalchemy as sa

from queries.kpi.sources.inpatient import inpatient_cases
from queries.kpi.sources.relation import (
    Relation,
    Window,
)
from queries.kpi.sources.visits import VISIT_RELATIONS

# --- all care: visits and admissions together ------------------------------------------------------------------

_CARE_COLUMNS = [
    "date",
    "institution_id",
    "inst_district",
    "consortium_id",
    "level",
    "is_primary",
    "res_district",
    "insurance_type",
    "age_band",
    "sex",
    "n",
    "total_cost",
    "insurance_paid",
]


def _care(window: Window, options) -> sa.Subquery:
    needed = set(options.get("columns", ())) | set(_CARE_COLUMNS)
    visits = next(r for r in VISIT_RELATIONS if needed <= r.provides).build(window, options)
    cases = inpatient_cases(window, {"columns": _CARE_COLUMNS})
    return sa.union_all(
        sa.select(*[visits.c[c] for c in _CARE_COLUMNS]),
        sa.select(*[cases.c[c] for c in _CARE_COLUMNS]),
    ).subquery("care")


CARE_RELATIONS = (Relation("care", frozenset(_CARE_COLUMNS), _care),)
