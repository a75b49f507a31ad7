"""Filters, dimensions and the viewer's data scope: normalised values that statement builders accept.

Everything here is plain data: sorted, de-duplicated tuples and ISO dates, so that two equal requests have
equal keys. Values are checked against the warehouse's own codes by ``queries.kpi.catalog``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from dashboard.core.errors import UserFacingError
from dashboard.core.months import month_end, months_between
from dashboard.core.reference import AGE_BANDS, CHRONIC_DISEASES, INSURANCE_TYPES, LEVELS, SEXES, VISIT_TYPES

# Dimension key -> the column of a source relation that holds it (the UI's catalogues name the dimensions)
DIMENSIONS: dict[str, str] = {
    "district": "district_code",
    "consortium": "consortium_id",
    "level": "level",
    "institution": "institution_id",
    "team": "team_id",
    "doctor": "doctor_id",
    "icd_chapter": "icd_chapter",
    "icd_category": "icd_category",
    "icd_code": "icd_code",
    "chronic_group": "chronic_group",
    "drg": "drg_code",
    "adrg": "adrg_code",
    "mdc": "mdc_code",
    "grouper_version": "grouper_version",
    "weight_band": "weight_band",
    "department": "department",
    "insurance_type": "insurance_type",
    "age_band": "age_band",
    "visit_type": "visit_type",
    "residence_district": "res_district",
    "to_level": "to_level",
    "to_institution": "to_institution_id",
    "followups": "followups",
    "sex": "sex",
}
TIME_GRAINS = ("month", "quarter", "year")
INSTITUTION_SIDE = ("consortium", "level", "institution", "team", "doctor")
ENUMERATED = {
    "level": LEVELS,
    "insurance_type": INSURANCE_TYPES,
    "age_band": AGE_BANDS,
    "sex": SEXES,
    "chronic_group": CHRONIC_DISEASES,
    "visit_type": VISIT_TYPES,
    "weight_band": ("ungrouped", "<0.5", "0.5-1", "1-2", "2-5", "5+"),
    "to_level": LEVELS,
}
_CODE = re.compile(r"^[A-Za-z0-9.\-_+]{1,32}$")


def source_column(dimension: str, geography: str) -> str:
    """The relation column behind a dimension; ``district`` depends on the KPI's geography."""
    if dimension == "district":
        return "res_district" if geography == "residence" else "inst_district"
    return DIMENSIONS[dimension]


@dataclass(frozen=True)
class Filters:
    """A normalised selection: a whole-month period plus value lists per dimension."""

    start: dt.date
    end: dt.date
    values: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def get(self, dimension: str) -> tuple[str, ...]:
        return dict(self.values).get(dimension, ())

    def with_period(self, start: dt.date, end: dt.date) -> Filters:
        return Filters(start, end, self.values)

    def without(self, *dimensions: str) -> Filters:
        return Filters(self.start, self.end, tuple((k, v) for k, v in self.values if k not in dimensions))

    def replace(self, **values: tuple[str, ...]) -> Filters:
        merged = dict(self.values)
        merged.update({k: v for k, v in values.items()})
        return Filters(self.start, self.end, tuple(sorted((k, v) for k, v in merged.items() if v)))

    def key(self) -> tuple:
        return (self.start.isoformat(), self.end.isoformat(), self.values)

    @property
    def months(self) -> int:
        return months_between(self.start, self.end)


@dataclass(frozen=True)
class Scope:
    """What a viewer may see (DOMAIN §11). Empty everywhere means everything (an operator, a city official).

    Rows on the institution side count when their institution lies in one of the districts, consortia or
    institutions named; residence-based rows count when the resident lives in one of ``districts`` or, for a
    consortium, in its ``catchment`` (the consortium's district). ``doctors`` False refuses any breakdown or
    filter by doctor (the insurance bureau sees hospitals, not doctors).
    """

    districts: tuple[str, ...] = ()
    consortia: tuple[str, ...] = ()
    institutions: tuple[str, ...] = ()
    catchment: tuple[str, ...] = ()
    doctors: bool = True
    label: str = field(default="all", compare=False)

    @property
    def unrestricted(self) -> bool:
        return not (self.districts or self.consortia or self.institutions)

    @property
    def residence_districts(self) -> tuple[str, ...]:
        return self.districts or self.catchment

    def key(self) -> tuple:
        return (self.districts, self.consortia, self.institutions, self.catchment, self.doctors)

    def widened(self) -> Scope:
        """The whole city with this scope's other limits (a comparator: an aggregate, never a unit)."""
        return Scope(doctors=self.doctors, label="city")

    @classmethod
    def of(
        cls, districts=(), consortia=(), institutions=(), label: str = "custom", catchment=(), doctors=True
    ) -> Scope:
        return cls(
            _clean(districts), _clean(consortia), _clean(institutions), _clean(catchment), doctors, label
        )


EVERYTHING = Scope()


def _clean(values) -> tuple[str, ...]:
    if values is None:
        return ()
    if isinstance(values, str):
        values = values.split(",")
    return tuple(sorted({str(v).strip() for v in values if str(v).strip()}))


def make_filters(start: dt.date, end: dt.date, **values) -> Filters:
    """Normalise filter values (comma strings or lists) into a Filters value; unknown keys are errors."""
    cleaned = []
    for key, raw in values.items():
        if key not in DIMENSIONS:
            raise UserFacingError("unknown_filter", key=key, filters=tuple(DIMENSIONS))
        items = _clean(raw)
        for item in items:
            allowed = ENUMERATED.get(key)
            if allowed is not None and item not in allowed:
                raise UserFacingError("not_one_of", key=key, allowed=tuple(allowed), value=item)
            if allowed is None and not _CODE.match(item):
                raise UserFacingError("malformed_value", key=key, value=item)
        if items:
            cleaned.append((key, items))
    start = start.replace(day=1)
    return Filters(start, month_end(end.replace(day=1)), tuple(sorted(cleaned)))
