"""What the warehouse knows about itself, read once per data version: codes, names, period, rollups.

The data version changes on every load (``warehouse_meta``). For a DuckDB file, a reload is noticed from the
file itself (a new file is renamed into place), for PostgreSQL by re-reading the version every few seconds;
either way a new version disposes the pooled connections and every cache key changes with it.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from dataclasses import dataclass, field

import sqlalchemy as sa

from dashboard.core.db import check_warehouse, dispose_engines, duckdb_path, get_engine, parse_database_url
from dashboard.core.errors import UserFacingError
from dashboard.core.messages import Term
from dashboard.core.schema import (
    OPTIONAL_COLUMNS,
    ROLLUP_TABLES,
    dim_consortium,
    dim_district,
    dim_doctor,
    dim_drg,
    dim_icd10,
    dim_institution,
    dim_team,
    fact_inpatient,
)
from queries.kpi.builder import Warehouse
from queries.kpi.filters import ENUMERATED, Filters

VERSION_RECHECK_SECONDS = 5.0

# Dimensions that name the same things as another one: the receiving side of a referral, the residence side of
# a visit.
SAME_NAMES = {"to_institution": "institution", "residence_district": "district"}


@dataclass(frozen=True)
class Catalog:
    data_version: str
    dialect: str
    period_start: dt.date
    period_end: dt.date
    rollups: frozenset[str]
    absent: frozenset[str]  # optional contract columns this warehouse leaves empty, as "table.column"
    # dimension -> code -> Chinese (English) name, for the units the warehouse names: districts, consortia,
    # institutions, teams, doctors, ICD-10 codes, DRG groups. Codes of a fixed vocabulary (levels, visit types
    # …) are named by the UI's catalogues.
    names: dict[str, dict[str, str]]
    names_en: dict[str, dict[str, str]]
    # institution -> (district, consortium, level); team -> institution; doctor -> (institution, team);
    # district -> urban | rural; consortium -> its type (urban_group, county_community …)
    parents: dict[str, dict]
    grouper_versions: dict[str, tuple[dt.date, dt.date]]  # version -> first, last discharge date
    # institution -> its type (general, tcm …), or None where the warehouse does not say
    institution_types: dict[str, str | None] = field(default_factory=dict)
    # grouper versions whose DRG catalogue lacks risk levels for some groups (derived from the data, §6)
    derived_risk_versions: frozenset[str] = frozenset()

    @property
    def optional_columns(self) -> frozenset[str]:
        """The optional contract columns this warehouse has and fills, as "table.column"."""
        return self.warehouse.optional_columns

    def has(self, table: str, column: str) -> bool:
        """Whether the warehouse has (and fills) an optional contract column."""
        return f"{table}.{column}" in self.optional_columns

    def versions_between(self, start: dt.date, end: dt.date) -> list[str]:
        """The grouper versions of cases discharged in [start, end]."""
        return sorted(
            v for v, (first, last) in self.grouper_versions.items() if first <= end and last >= start
        )

    @property
    def warehouse(self) -> Warehouse:
        """What statements may rely on in this warehouse: its rollups and its filled optional columns."""
        return Warehouse(self.rollups, self.absent)

    def knows(self, dimension: str, code: str) -> bool:
        """Whether ``code`` is a code of ``dimension`` in this warehouse (or of its fixed vocabulary)."""
        if dimension in ENUMERATED:
            return code in ENUMERATED[dimension]
        return code in self.names.get(dimension, {})

    def validate(self, filters: Filters) -> None:
        """Unknown codes are errors the interface can show, never a silently empty result."""
        for dimension, values in filters.values:
            known = self.names.get(dimension)
            if known is None or dimension in ENUMERATED:
                continue
            unknown = [v for v in values if v not in known]
            if unknown:
                raise UserFacingError(
                    "unknown_code", dimension=Term("dimension", dimension), codes=tuple(unknown[:3])
                )

    def name(self, dimension: str, code, lang: str = "zh") -> str | None:
        """The warehouse's name of a unit in ``lang``; the code itself for a code the UI names (a level, a
        visit type …); None for a missing unit (an institution in no consortium)."""
        if code is None or code != code:  # None or NaN
            return None
        table = (self.names if lang == "zh" else self.names_en).get(dimension, {})
        return table.get(str(code), str(code))


_catalogs: dict[str, Catalog] = {}
_stamps: dict[str, tuple] = {}
_lock = threading.Lock()


def _stamp(url: str) -> tuple:
    """Something cheap that changes when the warehouse is replaced."""
    path = duckdb_path(parse_database_url(url))
    if path is not None:
        try:
            info = os.stat(path)
        except FileNotFoundError:
            return ("missing",)
        return ("file", info.st_ino, info.st_mtime_ns, info.st_size)
    return ("server", int(time.monotonic() // VERSION_RECHECK_SECONDS))


def get_catalog(database_url: str) -> Catalog:
    """The catalog of the warehouse's current data version (reloaded, and the pool reset, after a load)."""
    stamp = _stamp(database_url)
    with _lock:
        catalog = _catalogs.get(database_url)
        if catalog is not None and _stamps.get(database_url) == stamp:
            return catalog
    engine = get_engine(database_url)
    meta = check_warehouse(engine)
    if catalog is not None and meta["data_version"] != catalog.data_version:
        dispose_engines()
        engine = get_engine(database_url)
        meta = check_warehouse(engine)
    if catalog is None or meta["data_version"] != catalog.data_version:
        catalog = _load(engine, meta)
    with _lock:
        _catalogs[database_url] = catalog
        _stamps[database_url] = stamp
    return catalog


def _load(engine: sa.Engine, meta: dict[str, str]) -> Catalog:
    present = set(sa.inspect(engine).get_table_names())
    absent = _absent_optional_columns(engine)
    types: dict[str, str | None] = {}
    derived_risk: set[str] = set()
    names: dict[str, dict[str, str]] = {}
    names_en: dict[str, dict[str, str]] = {}
    parents: dict[str, dict[str, str]] = {}
    with engine.connect() as conn:

        def pairs(statement):
            return [tuple(r) for r in conn.execute(statement)]

        for key, zh, en, urban_rural in pairs(
            sa.select(
                dim_district.c.district_code,
                dim_district.c.district_name,
                dim_district.c.district_name_en,
                dim_district.c.urban_rural,
            )
        ):
            names.setdefault("district", {})[key] = zh
            names_en.setdefault("district", {})[key] = en or zh
            parents.setdefault("district", {})[key] = urban_rural  # the district's peer group
        for key, zh, en, kind in pairs(
            sa.select(
                dim_consortium.c.consortium_id,
                dim_consortium.c.consortium_name,
                dim_consortium.c.consortium_name_en,
                dim_consortium.c.consortium_type,
            )
        ):
            names.setdefault("consortium", {})[key] = zh
            names_en.setdefault("consortium", {})[key] = en or zh
            parents.setdefault("consortium", {})[key] = kind  # the consortium's peer group
        for key, zh, en, district, consortium, level in pairs(
            sa.select(
                dim_institution.c.institution_id,
                dim_institution.c.institution_name,
                dim_institution.c.institution_name_en,
                dim_institution.c.district_code,
                dim_institution.c.consortium_id,
                dim_institution.c.level,
            )
        ):
            names.setdefault("institution", {})[key] = zh
            names_en.setdefault("institution", {})[key] = en or zh
            parents.setdefault("institution", {})[key] = (district, consortium or "", level)
        if "dim_institution.institution_type" not in absent:
            types.update(
                pairs(sa.select(dim_institution.c.institution_id, dim_institution.c.institution_type))
            )
        derived_risk.update(
            v
            for (v,) in pairs(
                sa.select(dim_drg.c.grouper_version).where(dim_drg.c.risk_level.is_(None)).distinct()
            )
        )
        for key, zh, institution in pairs(
            sa.select(dim_team.c.team_id, dim_team.c.team_name, dim_team.c.institution_id)
        ):
            names.setdefault("team", {})[key] = zh
            names_en.setdefault("team", {})[key] = (
                zh  # teams have no English name: their Chinese one, not a code
            )
            parents.setdefault("team", {})[key] = institution
        for key, zh, institution, team in pairs(
            sa.select(
                dim_doctor.c.doctor_id,
                dim_doctor.c.doctor_name,
                dim_doctor.c.institution_id,
                dim_doctor.c.team_id,
            )
        ):
            names.setdefault("doctor", {})[key] = zh
            names_en.setdefault("doctor", {})[key] = key
            parents.setdefault("doctor", {})[key] = (institution, team or "")
        for code, zh, en, chapter, chapter_zh, chapter_en in pairs(
            sa.select(
                dim_icd10.c.code,
                dim_icd10.c.name_zh,
                dim_icd10.c.name_en,
                dim_icd10.c.chapter,
                dim_icd10.c.chapter_name_zh,
                dim_icd10.c.chapter_name_en,
            )
        ):
            names.setdefault("icd_code", {})[code] = zh
            names_en.setdefault("icd_code", {})[code] = en
            names.setdefault("icd_chapter", {})[chapter] = chapter_zh or chapter
            names_en.setdefault("icd_chapter", {})[chapter] = chapter_en or chapter
            category = code[:3]
            if len(code) == 3 or category not in names.get("icd_category", {}):
                names.setdefault("icd_category", {})[category] = zh
                names_en.setdefault("icd_category", {})[category] = en
        for code, zh, en, adrg, adrg_name, mdc, mdc_name in pairs(
            sa.select(
                dim_drg.c.drg_code,
                dim_drg.c.drg_name,
                dim_drg.c.drg_name_en,
                dim_drg.c.adrg_code,
                dim_drg.c.adrg_name,
                dim_drg.c.mdc_code,
                dim_drg.c.mdc_name,
            )
        ):
            names.setdefault("drg", {})[code] = zh
            names_en.setdefault("drg", {})[code] = en or zh
            names.setdefault("adrg", {})[adrg] = adrg_name or adrg
            names_en.setdefault("adrg", {})[adrg] = adrg
            names.setdefault("mdc", {})[mdc] = mdc_name or mdc
            names_en.setdefault("mdc", {})[mdc] = mdc
    for dimension, same in SAME_NAMES.items():
        names[dimension], names_en[dimension] = names[same], names_en[same]
    return Catalog(
        data_version=meta["data_version"],
        dialect=engine.dialect.name,
        period_start=dt.date.fromisoformat(meta["period_start"]),
        period_end=dt.date.fromisoformat(meta["period_end"]),
        rollups=frozenset(t.name for t in ROLLUP_TABLES if t.name in present),
        absent=absent,
        names=names,
        names_en=names_en,
        parents=parents,
        grouper_versions=_grouper_versions(engine),
        institution_types=types,
        derived_risk_versions=frozenset(derived_risk),
    )


def _absent_optional_columns(engine: sa.Engine) -> frozenset[str]:
    """The optional contract columns (DOMAIN.md §3) that this warehouse lacks or leaves empty."""
    absent = set()
    for table, column in OPTIONAL_COLUMNS:
        with engine.connect() as conn:
            try:
                filled = conn.execute(
                    sa.select(sa.func.count()).where(table.c[column].is_not(None))
                ).scalar_one()
            except sa.exc.DBAPIError:  # a warehouse written before the column was part of the contract
                filled = 0
        if not filled:
            absent.add(f"{table.name}.{column}")
    return frozenset(absent)


def _grouper_versions(engine: sa.Engine) -> dict[str, tuple[dt.date, dt.date]]:
    """Each grouper version of the cases with its first and last discharge date."""
    f = fact_inpatient
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(f.c.grouper_version, sa.func.min(f.c.discharge_date), sa.func.max(f.c.discharge_date))
            .where(f.c.grouper_version.is_not(None))
            .group_by(f.c.grouper_version)
        ).all()
    return {str(v): (_date(first), _date(last)) for v, first, last in rows}


def _date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
