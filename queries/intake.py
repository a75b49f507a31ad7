"""The statements that check a region's extract before it enters the warehouse (``python -m dashboard load``).

Rows are checked in DuckDB, where the loader stages them: one SQL pass per table gives every row its typed
values and the list of checks it fails, so a table of 31 million visits is checked out of core, in bounded
memory, at the speed of a scan. The rules are the warehouse contract's (DOMAIN.md §3): types and required
columns from ``dashboard.core.schema``, the code lists, references (its foreign keys), ranges and consistency
rules below, and duplicate keys.

A staged table ``stage.raw_<table>`` holds the extract's text as it came (``_line`` plus one column per source
column). The loader describes each contract column by a *source expression*: SQL over those raw columns that
yields the column's text after mapping (``NULL`` when empty). Column names in every statement come from the
contract or are generated (``_s_<column>``); values from a mapping travel as bound parameters.

Reasons are short codes, ``<check>:<column>``: ``missing``, ``bad_type``, ``bad_date``, ``bad_code``,
``unmapped_code``, ``unknown_ref``, ``out_of_range``, ``too_long``; ``inconsistent:<rule>``;
``duplicate_row``, ``duplicate_key``, ``key_in_warehouse``.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from dashboard.core.reference import (
    ADMISSION_ROUTES,
    AGE_BANDS,
    CHRONIC_DISEASES,
    INSTITUTION_TYPES,
    INSURANCE_TYPES,
    LEVELS,
    SEXES,
    VISIT_TYPES,
)
from dashboard.core.schema import CONTRACT_TABLES, FACT_TABLES, metadata

# Dates outside these are typing errors (0000-01-01, 9999-12-31); event dates also cannot lie in the future.
FIRST_DATE, LAST_DATE = "1900-01-01", "2100-12-31"
EVENT_DATES = (
    "visit_date",
    "admit_date",
    "discharge_date",
    "referral_date",
    "completed_date",
    "followup_date",
    "registered_date",
)
# a resident identity card number (15 digits, or 17 and a check character): never a pseudonym
ID_NUMBER = "\\d{15}|\\d{17}[0-9Xx]"
# what trimming removes from a value: spaces, tabs, line ends and the ideographic space of Chinese text
TRIMMED = " \t\r\n\u3000"
# Excel stores a date as days since 1899-12-30; five digits cover 1982–2173, never a YYYYMMDD date.
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M")
EXCEL_EPOCH = "1899-12-30"
TRUE_WORDS = ("true", "t", "1", "yes", "y", "是")
FALSE_WORDS = ("false", "f", "0", "no", "n", "否")

CODE_LISTS: dict[tuple[str, str], tuple[str, ...]] = {
    ("dim_district", "urban_rural"): ("urban", "rural"),
    ("dim_population", "sex"): SEXES,
    ("dim_population", "age_band"): AGE_BANDS,
    ("dim_population", "insurance_type"): INSURANCE_TYPES,
    ("dim_consortium", "consortium_type"): (
        "urban_group",
        "county_community",
        "specialty_alliance",
        "telemedicine",
    ),
    ("dim_institution", "level"): LEVELS,
    ("dim_institution", "institution_type"): INSTITUTION_TYPES,
    ("dim_patient", "sex"): SEXES,
    ("dim_patient", "insurance_type"): INSURANCE_TYPES,
    ("dim_icd10", "chronic_group"): CHRONIC_DISEASES,
    ("dim_drg", "risk_level"): ("low", "mid_low", "mid_high", "high"),
    ("fact_visit", "visit_type"): VISIT_TYPES,
    ("fact_inpatient", "discharge_status"): ("alive", "died", "transferred"),
    ("fact_inpatient", "admission_route"): ADMISSION_ROUTES,
    ("fact_referral", "direction"): ("up", "down", "lateral"),
    ("fact_referral", "status"): ("completed", "pending", "rejected", "cancelled"),
    ("fact_chronic_registry", "disease"): CHRONIC_DISEASES,
    ("fact_followup", "disease"): CHRONIC_DISEASES,
    ("fact_followup", "mode"): ("clinic", "home", "phone", "online"),
    ("kpi_target", "scope_type"): ("city", "district", "consortium", "institution"),
}

# Physiological and plausible ranges, inclusive: a value outside is a typing or unit error (mmHg, mmol/L).
RANGES: dict[tuple[str, str], tuple[float, float]] = {
    ("fact_followup", "sbp"): (60, 300),
    ("fact_followup", "dbp"): (30, 200),
    ("fact_followup", "fasting_glucose"): (1.0, 40.0),
    ("fact_inpatient", "los_days"): (1, 3650),
    ("dim_patient", "birth_year"): (1880, 2100),
    ("dim_population", "year"): (1990, 2100),
    ("dim_population", "population"): (0, 100_000_000),
    ("fact_capitation", "year"): (1990, 2100),
    ("kpi_target", "year"): (1990, 2100),
    ("dim_institution", "beds"): (0, 100_000),
    ("dim_drg", "weight"): (0.0001, 1000),
    ("fact_capitation", "contracted_insured"): (0, 100_000_000),
}
MONEY_NOT_NEGATIVE = {
    "fact_visit": ("total_cost", "insurance_paid", "drug_cost"),
    "fact_inpatient": ("total_cost", "insurance_paid", "drg_payment"),
    "fact_capitation": ("per_capita_rate", "budget"),
}
# Rules across columns of a row: (name, the condition a bad row meets). Column names are the contract's.
# los_days: 住院天数 = discharge date − admission date, and a same-day stay counts as one day.
CONSISTENCY: dict[str, tuple[tuple[str, str], ...]] = {
    "fact_visit": (
        ("insurance_paid>total_cost", "insurance_paid > total_cost"),
        ("drug_cost>total_cost", "drug_cost > total_cost"),
    ),
    "fact_inpatient": (
        ("insurance_paid>total_cost", "insurance_paid > total_cost"),
        ("discharge<admit", "discharge_date < admit_date"),
        ("los_days", "los_days <> greatest(1, discharge_date - admit_date)"),
        ("drg_without_version", "drg_code IS NOT NULL AND grouper_version IS NULL"),
    ),
    "fact_referral": (
        ("completed<referral", "completed_date < referral_date"),
        ("completed_without_date", "status = 'completed' AND completed_date IS NULL"),
        ("to=from", "to_institution_id = from_institution_id"),
    ),
    "fact_followup": (("sbp<=dbp", "sbp <= dbp"),),
    "fact_chronic_registry": (("end<registered", "end_date < registered_date"),),
    "fact_contract": (("end<start", "end_date < start_date"),),
    "dim_institution": (("is_primary", "is_primary <> (level IN ('chc', 'thc', 'village'))"),),
}
# The month a fact row belongs to: coverage, months-mode replacement and the data-quality page use it.
MONTH_COLUMNS = {
    "fact_visit": "visit_date",
    "fact_inpatient": "discharge_date",
    "fact_referral": "referral_date",
    "fact_followup": "followup_date",
}
MONTHLY_TABLES = tuple(MONTH_COLUMNS)
# The institution a fact row is counted at on the data-quality page: a referral at the one that sent it.
INSTITUTION_COLUMNS = {
    t: "from_institution_id" if t == "fact_referral" else "institution_id" for t in MONTH_COLUMNS
}
# Rows are written in this order so DuckDB's zonemaps prune date filters (as the demo writes them).
WRITE_ORDER = {**MONTH_COLUMNS, "fact_chronic_registry": "registered_date", "fact_contract": "start_date"}
# The consortium's lead and the institution's consortium point at each other: a consortium's lead may be
# an institution of the same extract, not loaded yet when consortia are checked.
DEFERRED_REFERENCES = {("dim_consortium", "lead_institution_id"): ("dim_institution", "institution_id")}
TABLE_ORDER = tuple(t.name for t in CONTRACT_TABLES)
FACT_TABLE_NAMES = tuple(t.name for t in FACT_TABLES)


def key_columns(table: sa.Table) -> tuple[str, ...]:
    """The columns that identify a row: the primary key, or the unique index (population strata)."""
    if table.primary_key.columns:
        return tuple(c.name for c in table.primary_key.columns)
    for index in table.indexes:
        if index.unique:
            return tuple(c.name for c in index.columns)
    return ()


def _kind(column: sa.Column) -> str:
    type_ = column.type
    if isinstance(type_, sa.Boolean):
        return "bool"
    if isinstance(type_, sa.Date):
        return "date"
    if isinstance(type_, sa.Integer):  # BigInteger is an Integer
        return "int"
    if isinstance(type_, sa.Numeric | sa.Float | sa.Double):
        return "number"
    return "text"


def _sql_type(column: sa.Column) -> str:
    type_ = column.type
    if isinstance(type_, sa.Numeric) and not isinstance(type_, sa.Float):
        return f"DECIMAL({type_.precision}, {type_.scale})"
    return {"bool": "BOOLEAN", "date": "DATE", "int": "BIGINT", "number": "DOUBLE", "text": "VARCHAR"}[
        _kind(column)
    ]


def _words(words: tuple[str, ...]) -> str:
    return ", ".join(f"'{w}'" for w in words)  # fixed words of this module, never input


def typed(column: sa.Column, text: str) -> str:
    """The SQL value of ``column`` from its text (NULL where the text does not parse)."""
    kind = _kind(column)
    if kind == "date":
        formats = ", ".join(f"'{f}'" for f in DATE_FORMATS)
        return (
            f"CASE WHEN regexp_full_match({text}, '\\d{{5}}(\\.0+)?') "
            f"THEN DATE '{EXCEL_EPOCH}' + CAST(CAST({text} AS DOUBLE) AS INTEGER) "
            f"ELSE CAST(try_strptime({text}, [{formats}]) AS DATE) END"
        )
    if kind == "int":
        # "1.5" days must not round silently to 2: only whole numbers (Excel's "3.0" included) cast
        return (
            f"CASE WHEN regexp_full_match({text}, '-?\\d+(\\.0+)?') "
            f"THEN TRY_CAST(regexp_replace({text}, '\\.0+$', '') AS BIGINT) END"
        )
    if kind == "number":
        return f"TRY_CAST({text} AS {_sql_type(column)})"
    if kind == "bool":
        return (
            f"CASE WHEN lower({text}) IN ({_words(TRUE_WORDS)}) THEN TRUE "
            f"WHEN lower({text}) IN ({_words(FALSE_WORDS)}) THEN FALSE END"
        )
    return text


def _type_reason(column: sa.Column) -> str:
    return "bad_date" if _kind(column) == "date" else "bad_type"


@dataclass(frozen=True)
class Source:
    """Where a contract column's text comes from: SQL over the staged raw columns (``NULL`` when the
    extract lacks the column), and, for a column whose codes a mapping translates, the untranslated text."""

    text: str
    untranslated: str | None = None


def checked_statement(
    table_name: str,
    sources: dict[str, Source],
    joins: str = "",
    *,
    extra_keys: dict[tuple[str, str], str] | None = None,
    raw_ids_refused: bool = False,
) -> str:
    """``CREATE TABLE stage.checked_<table>``: per raw row its line, the source texts, the typed contract
    columns and ``reason`` (the failed checks joined by ';', '' for a good row). References are checked
    against ``main`` (the warehouse being built), so tables must be checked in ``TABLE_ORDER``.

    Args:
        table_name: a contract table.
        sources: the source of every contract column (absent columns are NULL).
        joins: joins the source expressions need (the pseudonym table), written by the loader.
        raw_ids_refused: the extract says its ids are pseudonyms already: one that looks like an ID-card
            number is refused (``not_a_pseudonym``), never stored.
        extra_keys: references also satisfied by keys of the same extract not yet loaded
            (``DEFERRED_REFERENCES``): (table, column) -> a SELECT of those keys.
    """
    table = metadata.tables[table_name]
    columns = list(table.columns)
    src_cols = [f"{sources[c.name].text if c.name in sources else 'NULL'} AS _s_{c.name}" for c in columns]
    src_cols += [
        f"{s.untranslated} AS _u_{name}" for name, s in sources.items() if s.untranslated is not None
    ]
    typed_cols = [f"CAST({typed(c, f'_s_{c.name}')} AS {_sql_type(c)}) AS {c.name}" for c in columns]
    checks: list[tuple[str, str]] = []
    for c in columns:
        required = not c.nullable or c.primary_key
        translated_here = c.name in sources and sources[c.name].untranslated is not None
        if required:
            # a code the mapping cannot translate is reported as unmapped, not also as missing
            present = f"_u_{c.name}" if translated_here else f"_s_{c.name}"
            checks.append((f"missing:{c.name}", f"{present} IS NULL"))
        if _kind(c) != "text":
            checks.append((f"{_type_reason(c)}:{c.name}", f"_s_{c.name} IS NOT NULL AND {c.name} IS NULL"))
        elif isinstance(c.type, sa.String) and c.type.length:
            checks.append((f"too_long:{c.name}", f"length(_s_{c.name}) > {c.type.length}"))
        if c.name in sources and sources[c.name].untranslated is not None:
            checks.append((f"unmapped_code:{c.name}", f"_u_{c.name} IS NOT NULL AND _s_{c.name} IS NULL"))
        codes = CODE_LISTS.get((table_name, c.name))
        if codes:
            checks.append((f"bad_code:{c.name}", f"{c.name} NOT IN ({_words(codes)})"))
        bounds = RANGES.get((table_name, c.name))
        if bounds:
            checks.append((f"out_of_range:{c.name}", f"{c.name} NOT BETWEEN {bounds[0]} AND {bounds[1]}"))
        if c.name in MONEY_NOT_NEGATIVE.get(table_name, ()):
            checks.append((f"out_of_range:{c.name}", f"{c.name} < 0"))
        if _kind(c) == "date":
            # an event cannot have happened after the load; no date lies outside FIRST_DATE … LAST_DATE
            last = (
                f"least(DATE '{LAST_DATE}', current_date + 1)"
                if c.name in EVENT_DATES
                else f"DATE '{LAST_DATE}'"
            )
            checks.append((f"out_of_range:{c.name}", f"{c.name} NOT BETWEEN DATE '{FIRST_DATE}' AND {last}"))
        if isinstance(c.type, sa.Integer) and not isinstance(c.type, sa.BigInteger) and not bounds:
            # the column's 32-bit type: a larger number would stop the insert, not be refused
            checks.append((f"out_of_range:{c.name}", f"{c.name} NOT BETWEEN -2147483648 AND 2147483647"))
        if c.name == "patient_id" and raw_ids_refused:
            checks.append((f"not_a_pseudonym:{c.name}", f"regexp_full_match(_s_{c.name}, '{ID_NUMBER}')"))
    for name, condition in CONSISTENCY.get(table_name, ()):
        checks.append((f"inconsistent:{name}", condition))
    for constraint in table.foreign_key_constraints:
        checks.append(_reference_check(table_name, constraint, extra_keys or {}))
    # A CASE per check: concat_ws skips the NULLs of the checks a row passes (and of checks on NULLs).
    reasons = ", ".join(f"CASE WHEN {condition} THEN '{reason}' END" for reason, condition in checks)
    return (
        f"CREATE OR REPLACE TABLE stage.checked_{table_name} AS "
        f"WITH src AS (SELECT r._line, {', '.join(src_cols)} FROM stage.raw_{table_name} r {joins}), "
        f"t AS (SELECT *, {', '.join(typed_cols)} FROM src) "
        f"SELECT *, concat_ws(';', {reasons}) AS reason FROM t"
    )


def _reference_check(table_name: str, constraint: sa.ForeignKeyConstraint, extra_keys) -> tuple[str, str]:
    local = [c.name for c in constraint.columns]
    remote = [e.column.name for e in constraint.elements]
    target = constraint.elements[0].column.table.name
    # the last local column is the one a person looks for (drg_code of (grouper_version, drg_code))
    reason = f"unknown_ref:{local[-1]}"
    match = " AND ".join(f"x.{r} = t.{lc}" for lc, r in zip(local, remote, strict=True))
    present = " AND ".join(f"t.{lc} IS NOT NULL" for lc in local)
    condition = f"{present} AND NOT EXISTS (SELECT 1 FROM main.{target} x WHERE {match})"
    extra = extra_keys.get((table_name, local[0]))
    if extra is not None:
        condition += f" AND t.{local[0]} NOT IN ({extra})"
    return reason, condition


def final_statement(table_name: str) -> str:
    """``CREATE TABLE stage.final_<table>``: the checked rows with the duplicate checks added to ``reason``.

    A row that repeats an earlier row exactly is a ``duplicate_row`` (the first copy loads); rows sharing a
    key with different values are all ``duplicate_key``. Found by a GROUP BY, which DuckDB spills to disk,
    rather than a window over every row.
    """
    table = metadata.tables[table_name]
    keys = key_columns(table)
    values = ", ".join(c.name for c in table.columns)
    if not keys:
        return f"CREATE OR REPLACE TABLE stage.final_{table_name} AS SELECT * FROM stage.checked_{table_name}"
    key_list = ", ".join(keys)
    not_null = " AND ".join(f"{k} IS NOT NULL" for k in keys)
    # IS NOT DISTINCT FROM: population strata may have a NULL insurance type in their key
    match = " AND ".join(f"c.{k} IS NOT DISTINCT FROM d.{k}" for k in keys)
    return (
        f"CREATE OR REPLACE TABLE stage.final_{table_name} AS "
        f"WITH h AS (SELECT {key_list}, _line, hash({values}) AS h FROM stage.checked_{table_name} "
        f"WHERE {not_null}), "
        f"d AS (SELECT {key_list}, min(h) <> max(h) AS conflicting, min(_line) AS first_line FROM h "
        f"GROUP BY {key_list} HAVING count(*) > 1) "
        f"SELECT c.* EXCLUDE (reason), concat_ws(';', NULLIF(c.reason, ''), "
        f"CASE WHEN d.conflicting THEN 'duplicate_key' "
        f"WHEN d.first_line IS NOT NULL AND c._line <> d.first_line THEN 'duplicate_row' END) AS reason "
        f"FROM stage.checked_{table_name} c LEFT JOIN d ON {match}"
    )


def insert_statement(table_name: str) -> str:
    """Write the good rows of ``stage.final_<table>`` into the warehouse, in date order for facts."""
    names = ", ".join(c.name for c in metadata.tables[table_name].columns)
    order = WRITE_ORDER.get(table_name)
    order_by = f" ORDER BY {order}" if order else ""
    return (
        f"INSERT INTO main.{table_name} ({names}) SELECT {names} FROM stage.final_{table_name} "
        f"WHERE reason = ''{order_by}"
    )


def existing_key_statement(table_name: str) -> str:
    """Months mode: refuse a good row whose key the warehouse holds in a month the load does not replace
    (``stage.months_<table>``): it would overwrite a row of another month. Returns the rows changed."""
    keys = key_columns(metadata.tables[table_name])
    column = MONTH_COLUMNS[table_name]
    match = " AND ".join(f"w.{k} = c.{k}" for k in keys)
    return (
        f"UPDATE stage.final_{table_name} c SET reason = 'key_in_warehouse' WHERE c.reason = '' AND EXISTS "
        f"(SELECT 1 FROM main.{table_name} w WHERE {match} AND date_trunc('month', w.{column})::DATE "
        f"NOT IN (SELECT month FROM stage.months_{table_name}))"
    )


def source_text(raw_column: str) -> str:
    """A raw column's text: trimmed, NULL when empty."""
    return f"NULLIF(trim(r.{raw_column}, '{TRIMMED}'), '')"


def numeric_key(text: str) -> str:
    """A source's id as the contract's numeric key: digits stay as they are, any other id (a settlement's
    "H33010220250301…") becomes the first 60 bits of its SHA-256, the same number in every load."""
    return (
        f"CASE WHEN regexp_full_match({text}, '\\d{{1,18}}') THEN {text} "
        f"ELSE CAST(CAST('0x' || substr(sha256({text}), 1, 15) AS BIGINT) AS VARCHAR) END"
    )


def translated(text: str, codes: list[tuple[str, str]]) -> str:
    """A mapped column's contract code: ``codes`` pairs parameter names (source code, contract code)."""
    whens = " ".join(f"WHEN ${a} THEN ${b}" for a, b in codes)
    return f"CASE {text} {whens} END" if codes else "NULL"


def identifier_values(raw_table: str, raw_column: str) -> str:
    """The distinct identifiers of a raw column, normalised as they are hashed (trimmed, upper case)."""
    return (
        f"SELECT DISTINCT upper(trim({raw_column}, '{TRIMMED}')) AS raw FROM stage.{raw_table} "
        f"WHERE trim({raw_column}, '{TRIMMED}') <> ''"
    )


def months_in_extract(table_name: str) -> str:
    """The months a fact table's good rows fall in (what a months-mode load replaces): a month only a refused
    row names is not replaced, or its rows would be deleted for nothing."""
    column = MONTH_COLUMNS[table_name]
    return (
        f"SELECT DISTINCT date_trunc('month', {column})::DATE AS month FROM stage.final_{table_name} "
        f"WHERE {column} IS NOT NULL AND reason = '' ORDER BY month"
    )


def delete_months_statement(table_name: str) -> str:
    """Months mode: drop the warehouse's rows of the months the extract brings (``stage.months``)."""
    column = MONTH_COLUMNS[table_name]
    return (
        f"DELETE FROM main.{table_name} WHERE date_trunc('month', {column})::DATE IN "
        f"(SELECT month FROM stage.months_{table_name})"
    )


def delete_keys_statement(table_name: str) -> str:
    """Months mode, tables without months: the extract's good rows replace the warehouse's of the same key."""
    keys = key_columns(metadata.tables[table_name])
    match = " AND ".join(f"w.{k} IS NOT DISTINCT FROM f.{k}" for k in keys)
    return (
        f"DELETE FROM main.{table_name} w WHERE EXISTS "
        f"(SELECT 1 FROM stage.final_{table_name} f WHERE f.reason = '' AND {match})"
    )


def reason_counts(table_name: str) -> str:
    """Quarantined rows per reason (a row failing several checks counts under each)."""
    return (
        f"SELECT reason, count(*) AS n FROM (SELECT unnest(string_split(reason, ';')) AS reason "
        f"FROM stage.final_{table_name} WHERE reason <> '') GROUP BY reason ORDER BY n DESC, reason"
    )


def status_counts(table_name: str) -> str:
    return (
        f"SELECT count(*) FILTER (WHERE reason = '') AS loaded, count(*) FILTER (WHERE reason <> '') "
        f"AS quarantined FROM stage.final_{table_name}"
    )


def value_counts(table_name: str, column: str, reason: str, limit: int = 50) -> str:
    """The source values behind a reason (unmapped codes, unknown references), most frequent first."""
    source = f"_u_{column}" if reason == "unmapped_code" else f"_s_{column}"
    return (
        f"SELECT {source} AS value, count(*) AS n FROM stage.final_{table_name} "
        f"WHERE list_contains(string_split(reason, ';'), '{reason}:{column}') "
        f"GROUP BY value ORDER BY n DESC, value LIMIT {int(limit)}"
    )


def coverage_statement(table_name: str) -> str:
    """Rows per institution and month of a fact table's extract: loaded (reason '') or quarantined, by the
    row's first reason. Inserted into ``main.load_coverage`` with the load's id as ``$load_id``."""
    month = MONTH_COLUMNS[table_name]
    institution = INSTITUTION_COLUMNS[table_name]
    return (
        f"INSERT INTO main.load_coverage (load_id, table_name, institution_id, month, reason, rows) "
        f"SELECT $load_id, '{table_name}', _s_{institution}, date_trunc('month', {month})::DATE, "
        f"split_part(reason, ';', 1), count(*) FROM stage.final_{table_name} GROUP BY ALL"
    )


def quarantine_rows(
    table_name: str, raw_columns: list[str], pseudonymised: dict[str, str], masked: tuple[str, ...] = ()
) -> str:
    """The quarantined rows as they came (raw columns by position), with the line and reason; a column
    holding an identifier shows its pseudonym (``pseudonymised``: raw column -> contract column)."""

    def shown(c: str) -> str:
        if c in pseudonymised:
            return f"f._s_{pseudonymised[c]}"
        if c in masked:  # an id the extract called a pseudonym: an ID-card number in it is not copied
            return f"CASE WHEN regexp_full_match(trim(r.{c}, '{TRIMMED}'), '{ID_NUMBER}') THEN '(ID number withheld)' ELSE r.{c} END"
        return f"r.{c}"

    cols = ", ".join(shown(c) for c in raw_columns)
    return (
        f"SELECT r._line, {cols}, f.reason FROM stage.raw_{table_name} r "
        f"JOIN stage.final_{table_name} f USING (_line) WHERE f.reason <> '' ORDER BY r._line"
    )


# Replace mode builds a whole warehouse: these must come with it (facts may be absent: an empty table).
REQUIRED_IN_REPLACE = (
    "dim_district",
    "dim_population",
    "dim_consortium",
    "dim_institution",
    "dim_team",
    "dim_doctor",
    "dim_patient",
    "dim_icd10",
    "dim_drg",
)


def required_absent(table_name: str, mapped: dict) -> list[str]:
    """Required contract columns a file (or its mapping) does not provide at all."""
    table = metadata.tables[table_name]
    return [c.name for c in table.columns if (not c.nullable or c.primary_key) and c.name not in mapped]


def pseudonym_join(alias: str, raw_column: str) -> str:
    return f"LEFT JOIN stage.pseudonyms {alias} ON {alias}.raw = upper(trim(r.{raw_column}, '{TRIMMED}'))"


def raw_keys(raw_table: str, raw_column: str) -> str:
    """The keys a table of the extract holds, before its own checks (see ``DEFERRED_REFERENCES``)."""
    return (
        f"SELECT NULLIF(trim({raw_column}, '{TRIMMED}'), '') FROM stage.raw_{raw_table} "
        f"WHERE trim({raw_column}, '{TRIMMED}') <> ''"
    )


def data_period() -> str:
    """The first and last day of the months the warehouse's facts cover."""
    months = " UNION ALL ".join(
        f"SELECT min({c}) AS lo, max({c}) AS hi FROM main.{t}" for t, c in MONTH_COLUMNS.items()
    )
    return (
        f"SELECT date_trunc('month', min(lo))::DATE, "
        f"(date_trunc('month', max(hi)) + INTERVAL 1 MONTH - INTERVAL 1 DAY)::DATE FROM ({months})"
    )


def city_name() -> str:
    return "SELECT min(city_name) FROM main.dim_district"


def grouper_versions() -> str:
    return "SELECT DISTINCT grouper_version FROM main.dim_drg ORDER BY grouper_version"


def coverage_of_warehouse(table_name: str) -> str:
    """A demo build's coverage: every row of a fact table loaded, per institution and month (``$load_id``)."""
    month = MONTH_COLUMNS[table_name]
    institution = INSTITUTION_COLUMNS[table_name]
    return (
        f"INSERT INTO main.load_coverage (load_id, table_name, institution_id, month, reason, rows) "
        f"SELECT $load_id, '{table_name}', {institution}, date_trunc('month', {month})::DATE, '', count(*) "
        f"FROM main.{table_name} GROUP BY ALL"
    )


def difference(text: str, minus: str) -> str:
    """An amount less another (总费用 − 自付金额), as text; NULL when either is not a number."""
    return f"CAST(TRY_CAST({text} AS DECIMAL(14, 2)) - TRY_CAST({minus} AS DECIMAL(14, 2)) AS VARCHAR)"


def icd10_code(text: str) -> str:
    """A 医保版 or 临床版 ICD-10 code (I10.x00, E11.900x001) as the warehouse holds it: its 4-character
    subcategory when the warehouse's catalogue has it (E11.9), else its 3-character category (I10)."""
    code = f"upper({text})"
    four = f"regexp_extract({code}, '^[A-Z][0-9]{{2}}\\.[0-9]')"
    three = f"regexp_extract({code}, '^[A-Z][0-9]{{2}}')"
    return (
        f"CASE WHEN {four} IN (SELECT code FROM main.dim_icd10) THEN {four} "
        f"WHEN {three} <> '' THEN {three} ELSE {text} END"
    )


def derived(derivation: str, sources: dict[str, Source], versions: dict[int, str] | None = None) -> str:
    """A column computed from others when a source lacks it: the stay's length (住院天数 = discharge date −
    admission date, a same-day stay one day), as the consistency rule checks it; or the grouper version the
    policy file names for the discharge year (``versions``: year -> version, from the policy file, never
    from input)."""
    if derivation == "policy_grouper_version":
        discharge = typed(fact_inpatient_column("discharge_date"), sources["discharge_date"].text)
        whens = " ".join(
            f"WHEN {int(year)} THEN '{version.replace(chr(39), chr(39) * 2)}'"
            for year, version in sorted((versions or {}).items())
        )
        return f"CASE year({discharge}) {whens} END" if whens else "NULL"
    if derivation == "length_of_stay":
        admit = typed(fact_inpatient_column("admit_date"), sources["admit_date"].text)
        discharge = typed(fact_inpatient_column("discharge_date"), sources["discharge_date"].text)
        return f"CAST(greatest(1, ({discharge}) - ({admit})) AS VARCHAR)"
    raise ValueError(derivation)


def fact_inpatient_column(name: str) -> sa.Column:
    return metadata.tables["fact_inpatient"].c[name]


def export_statement(table_name: str, path: str) -> str:
    """``COPY`` a warehouse table to a CSV in the contract's layout (what a region's extract looks like):
    the benchmark's input. ``path`` is a file the caller made, never input."""
    names = ", ".join(c.name for c in metadata.tables[table_name].columns)
    target = path.replace("'", "''")
    return f"COPY (SELECT {names} FROM {table_name}) TO '{target}' (HEADER, DATEFORMAT '%Y-%m-%d')"


def has_rows(table_name: str) -> str:
    return f"SELECT 1 FROM {metadata.tables[table_name].name} LIMIT 1"
