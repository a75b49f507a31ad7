"""Filters, dimensions and the viewer's data scope: normalised values that statement builders accept.

Everything here is plain data: sorted, de-duplicated tuples and ISO dates, so that two equal requests have
equal keys. Values are checked against the warehouse's own codes by ``queries.catalog``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from dashboard.errors import UserFacingError
from dashboard.reference import AGE_BANDS, CHRONIC_DISEASES, SEXES

# Dimension key -> (column in a source relation, Chinese name, English name)
DIMENSIONS: dict[str, tuple[str, str, str]] = {
    "district": ("district_code", "区县", "District"),
    "consortium": ("consortium_id", "医联体", "Consortium"),
    "level": ("level", "机构级别", "Institution level"),
    "institution": ("institution_id", "机构", "Institution"),
    "team": ("team_id", "家庭医生团队", "Family-doctor team"),
    "doctor": ("doctor_id", "医生", "Doctor"),
    "icd_chapter": ("icd_chapter", "ICD-10 章", "ICD-10 chapter"),
    "icd_category": ("icd_category", "ICD-10 类目", "ICD-10 category"),
    "icd_code": ("icd_code", "诊断编码", "Diagnosis code"),
    "chronic_group": ("chronic_group", "慢病", "Chronic disease"),
    "drg": ("drg_code", "DRG", "DRG"),
    "adrg": ("adrg_code", "ADRG", "ADRG"),
    "mdc": ("mdc_code", "MDC", "MDC"),
    "grouper_version": ("grouper_version", "分组器版本", "Grouper version"),
    "weight_band": ("weight_band", "权重段", "Weight band"),
    "department": ("department", "科室", "Department"),
    "insurance_type": ("insurance_type", "参保类型", "Insurance type"),
    "age_band": ("age_band", "年龄组", "Age band"),
    "visit_type": ("visit_type", "就诊类型", "Visit type"),
    "residence_district": ("res_district", "居住区县", "District of residence"),
    "to_level": ("to_level", "转入机构级别", "Receiving level"),
    "to_institution": ("to_institution_id", "转入机构", "Receiving institution"),
    "followups": ("followups", "期内随访次数", "Follow-ups in the period"),
    "sex": ("sex", "性别", "Sex"),
}
TIME_GRAINS = ("month", "quarter", "year")
INSTITUTION_SIDE = ("consortium", "level", "institution", "team", "doctor")
LEVELS = ("tertiary", "secondary", "chc", "thc", "village")
INSURANCE_TYPES = ("employee", "resident", "none")
VISIT_TYPES = ("outpatient", "emergency", "home", "online")
RELATIVE_PERIODS = ("last_12_months", "this_year", "ytd", "last_year", "all")
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
_MONTH = re.compile(r"^\d{4}-\d{2}$")
_CODE = re.compile(r"^[A-Za-z0-9.\-_+]{1,32}$")


def source_column(dimension: str, geography: str) -> str:
    """The relation column behind a dimension; ``district`` depends on the KPI's geography."""
    if dimension == "district":
        return "res_district" if geography == "residence" else "inst_district"
    return DIMENSIONS[dimension][0]


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
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1


@dataclass(frozen=True)
class Scope:
    """What a viewer may see. Empty everywhere means everything (the default until login arrives)."""

    districts: tuple[str, ...] = ()
    consortia: tuple[str, ...] = ()
    institutions: tuple[str, ...] = ()
    label: str = field(default="all", compare=False)

    @property
    def unrestricted(self) -> bool:
        return not (self.districts or self.consortia or self.institutions)

    def key(self) -> tuple:
        return (self.districts, self.consortia, self.institutions)

    @classmethod
    def of(cls, districts=(), consortia=(), institutions=(), label: str = "custom") -> Scope:
        return cls(_clean(districts), _clean(consortia), _clean(institutions), label)


EVERYTHING = Scope()


def _clean(values) -> tuple[str, ...]:
    if values is None:
        return ()
    if isinstance(values, str):
        values = values.split(",")
    return tuple(sorted({str(v).strip() for v in values if str(v).strip()}))


def month_start(text: str) -> dt.date:
    if not isinstance(text, str) or not _MONTH.match(text.strip()):
        raise UserFacingError(f"not a month: {text!r} (expected YYYY-MM)")
    try:
        return dt.date.fromisoformat(f"{text.strip()}-01")
    except ValueError:
        raise UserFacingError(f"not a month: {text!r} (expected YYYY-MM)") from None


def month_end(first: dt.date) -> dt.date:
    return add_months(first, 1) - dt.timedelta(days=1)


def resolve_period(
    data_start: dt.date,
    data_end: dt.date,
    period: str | None = None,
    from_month: str | None = None,
    to_month: str | None = None,
) -> tuple[dt.date, dt.date]:
    """Whole-month (start, end) from explicit months or a relative period anchored on the data's last month.

    Relative periods are relative to the data, not to today: a warehouse loaded last month still shows a
    full "last 12 months".
    """
    last = data_end.replace(day=1)
    if from_month or to_month:
        start = month_start(from_month) if from_month else data_start.replace(day=1)
        end = month_end(month_start(to_month)) if to_month else data_end
    else:
        period = period or "last_12_months"
        if period not in RELATIVE_PERIODS:
            raise UserFacingError(
                f"unknown period {period!r}; use one of {', '.join(RELATIVE_PERIODS)} or months"
            )
        if period == "last_12_months":
            start, end = add_months(last, -11), data_end
        elif period in ("this_year", "ytd"):
            start, end = dt.date(last.year, 1, 1), data_end
        elif period == "last_year":
            start, end = dt.date(last.year - 1, 1, 1), dt.date(last.year - 1, 12, 31)
        else:
            start, end = data_start.replace(day=1), data_end
    if start > end:
        raise UserFacingError(f"the period starts after it ends ({start:%Y-%m} > {end:%Y-%m})")
    return start, end


def add_months(first: dt.date, months: int) -> dt.date:
    index = first.year * 12 + first.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def make_filters(start: dt.date, end: dt.date, **values) -> Filters:
    """Normalise filter values (comma strings or lists) into a Filters value; unknown keys are errors."""
    cleaned = []
    for key, raw in values.items():
        if key not in DIMENSIONS:
            raise UserFacingError(f"unknown filter {key!r}; filters are {', '.join(DIMENSIONS)}")
        items = _clean(raw)
        for item in items:
            allowed = ENUMERATED.get(key)
            if allowed is not None and item not in allowed:
                raise UserFacingError(f"{key} must be one of {', '.join(allowed)}, not {item!r}")
            if allowed is None and not _CODE.match(item):
                raise UserFacingError(f"malformed {key} value {item!r}")
        if items:
            cleaned.append((key, items))
    start = start.replace(day=1)
    return Filters(start, month_end(end.replace(day=1)), tuple(sorted(cleaned)))
