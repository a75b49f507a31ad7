"""Mappings: how a source's own layout (its file names, headers and codes) becomes the warehouse contract.

A mapping is versioned data, a TOML file (the shipped ones are in ``data/mappings/``)::

    name = "医保结算清单"
    version = "2026.1"

    [[table]]
    target = "fact_inpatient"           # a contract table
    file = "医保结算清单"                 # the source file's name without its suffix
    identifiers = ["医保编号", "身份证号"]  # columns that identify a person (DOMAIN §9)
    personal = ["姓名", "联系电话"]        # names, addresses, phone numbers: never read

    [table.columns]
    case_id = { from = "清单流水号", key = true }  # key: a text id becomes a stable 60-bit number
    patient_id = "医保编号"                        # the same as { from = "医保编号" }
    grouper_version = { value = "CHS-DRG 1.1" }    # a constant

    [table.codes.discharge_status]                 # source code -> contract code
    "1" = "alive"

A file the mapping does not name is read in the contract's own layout (``fact_visit.csv`` …). Without a
mapping, every file is.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from dashboard.core.errors import UserFacingError
from dashboard.core.schema import CONTRACT_TABLES, metadata
from queries.intake import CODE_LISTS

CONTRACT_NAMES = tuple(t.name for t in CONTRACT_TABLES)
# Columns holding a person's id in the contract: pseudonymised whatever layout they come in.
PERSON_COLUMNS = ("patient_id",)


TRANSFORMS = ("icd10",)
DERIVED_COLUMNS = {
    "length_of_stay": ("fact_inpatient", "los_days"),
    "policy_grouper_version": ("fact_inpatient", "grouper_version"),
}
DERIVATIONS = tuple(DERIVED_COLUMNS)


@dataclass(frozen=True)
class ColumnRule:
    source: str | None = None  # the source header
    value: str | None = None  # or a constant
    derive: str | None = None  # or computed from other contract columns (DERIVATIONS)
    key: bool = False  # a text id turned into a number (the contract's bigint keys)
    optional: bool = False  # a source header some exports lack: the column is left empty then
    minus: str | None = None  # another source header whose amount is subtracted (总费用 − 自付金额)
    transform: str | None = None  # icd10: a 医保版/临床版 code to the warehouse's category (I10.x00 -> I10)


@dataclass
class TableMapping:
    target: str
    file: str
    columns: dict[str, ColumnRule] = field(default_factory=dict)
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    identifiers: tuple[str, ...] = ()
    personal: tuple[str, ...] = ()
    mapped: bool = True  # False: the contract's own layout

    @classmethod
    def contract(cls, table: str, header: list[str]) -> TableMapping:
        """A file in the contract's layout: every contract column it has, under its own name."""
        names = {c.name for c in metadata.tables[table].columns}
        columns = {h: ColumnRule(source=h) for h in header if h in names}
        return cls(target=table, file=table, columns=columns, mapped=False)

    def used_headers(self) -> list[str]:
        return [h for r in self.columns.values() for h in (r.source, r.minus) if h]

    def required_headers(self) -> list[str]:
        return [h for r in self.columns.values() if not r.optional for h in (r.source, r.minus) if h]

    def identifier_columns(self) -> dict[str, str]:
        """Source header -> contract column, for the columns whose values are pseudonymised."""
        out = {}
        for column, rule in self.columns.items():
            if rule.source and (column in PERSON_COLUMNS or rule.source in self.identifiers):
                out[rule.source] = column
        return out


@dataclass
class Mapping:
    name: str
    version: str
    path: Path
    tables: list[TableMapping]

    @property
    def label(self) -> str:
        return f"{self.name} {self.version} ({self.path.name})"


def load_mapping(path: Path) -> Mapping:
    """Read and check a mapping file; every mistake is one line naming the file and the place."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))  # a BOM from Windows Notepad is fine
    except FileNotFoundError:
        raise UserFacingError("mapping_missing", path=str(path)) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UserFacingError("mapping_invalid", path=path.name, reason=str(exc)) from None

    def bad(reason: str):
        return UserFacingError("mapping_invalid", path=path.name, reason=reason)

    for key in ("name", "version"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise bad(f"'{key}' is required")
    entries = data.get("table")
    if not isinstance(entries, list) or not entries:
        raise bad("no [[table]] entries")
    tables = []
    for number, entry in enumerate(entries, start=1):
        where = f"[[table]] {number}"
        if not isinstance(entry, dict):
            raise bad(f"{where}: expected a table of keys (target, file, columns …)")
        for part in ("columns", "codes"):
            if not isinstance(entry.get(part, {}), dict):
                raise bad(f"{where}: '{part}' must be a table")
        target = entry.get("target")
        if target not in CONTRACT_NAMES:
            raise bad(f"{where}: target '{target}' is not a contract table")
        file = entry.get("file")
        if not isinstance(file, str) or not file.strip() or "/" in file or "\\" in file:
            raise bad(f"{where}: 'file' must be a file name without folders or suffix")
        known = {c.name for c in metadata.tables[target].columns}
        columns = {}
        for column, rule in (entry.get("columns") or {}).items():
            if column not in known:
                raise bad(f"{where}: '{column}' is not a column of {target}")
            columns[column] = _rule(rule, f"{where}.columns.{column}", bad)
            derive = columns[column].derive
            if derive is not None and DERIVED_COLUMNS[derive] != (target, column):
                raise bad(
                    f"{where}.columns.{column}: '{derive}' gives {'.'.join(DERIVED_COLUMNS[derive])} only"
                )
        codes = {}
        for column, pairs in (entry.get("codes") or {}).items():
            if column not in columns or columns[column].source is None:
                raise bad(f"{where}.codes.{column}: the column is not mapped from a source column")
            allowed = CODE_LISTS.get((target, column))
            if not isinstance(pairs, dict):
                raise bad(f"{where}.codes.{column}: expected a table of source code = contract code")
            for source_code, code in pairs.items():
                if not isinstance(code, str) or (allowed and code not in allowed):
                    raise bad(
                        f"{where}.codes.{column}: '{source_code}' maps to '{code}', not a contract code"
                    )
            codes[column] = {str(k).strip(): v for k, v in pairs.items()}
        lists = {}
        for key in ("identifiers", "personal"):
            value = entry.get(key, [])
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise bad(f"{where}: '{key}' must be a list of column names")
            lists[key] = tuple(value)
        for column, rule in columns.items():
            if rule.source in lists["personal"]:
                raise bad(f"{where}: '{rule.source}' is marked personal but feeds {column}")
        tables.append(
            TableMapping(target, file.strip(), columns, codes, lists["identifiers"], lists["personal"])
        )
    files = [t.file for t in tables]
    targets = [t.target for t in tables]
    if len(set(files)) != len(files) or len(set(targets)) != len(targets):
        raise bad("each source file and each target table may appear once")
    return Mapping(data["name"].strip(), data["version"].strip(), path, tables)


def _rule(rule, where: str, bad) -> ColumnRule:
    if isinstance(rule, str) and rule.strip():
        return ColumnRule(source=rule.strip())
    if isinstance(rule, dict):
        unknown = set(rule) - {"from", "value", "derive", "key", "optional", "minus", "transform"}
        if unknown:
            raise bad(f"{where}: unknown keys {sorted(unknown)}")
        source, value, derive = rule.get("from"), rule.get("value"), rule.get("derive")
        if sum(x is not None for x in (source, value, derive)) != 1:
            raise bad(f"{where}: give one of 'from' (a source column), 'value' (a constant) or 'derive'")
        for name in ("from", "minus"):
            given = rule.get(name)
            if given is not None and (not isinstance(given, str) or not given.strip()):
                raise bad(f"{where}: '{name}' must name a source column")
        if derive is not None and derive not in DERIVATIONS:
            raise bad(f"{where}: derive must be one of {list(DERIVATIONS)}")
        for flag in ("key", "optional"):
            if not isinstance(rule.get(flag, False), bool):
                raise bad(f"{where}: '{flag}' is true or false (without quotes)")
        transform = rule.get("transform")
        if transform is not None and transform not in TRANSFORMS:
            raise bad(f"{where}: transform must be one of {list(TRANSFORMS)}")
        return ColumnRule(
            source=source.strip() if source else None,
            value=None if value is None else str(value),
            derive=derive,
            key=bool(rule.get("key", False)),
            optional=bool(rule.get("optional", False)),
            minus=rule["minus"].strip() if rule.get("minus") else None,
            transform=transform,
        )
    raise bad(f"{where}: expected a source column name or {{ from = ..., value = ..., key = ... }}")
