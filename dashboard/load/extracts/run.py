"""``python -m dashboard load``: a region's extracts into the warehouse, checked row by row, nothing lost.

The steps, in one DuckDB connection on the new warehouse file with a scratch database attached as ``stage``:

1. each file is read as text into ``stage.raw_<table>`` (``sources``), with its row numbers;
2. person identifiers are replaced by keyed pseudonyms (``pseudonyms``) before anything is written;
3. each table, in the contract's order (dimensions before the facts that refer to them), is checked in one
   SQL pass (``queries.intake``); good rows go into the warehouse, the others to ``quarantine/<table>.csv``
   with their reasons;
4. rollups, the load's bookkeeping and a new data version are written, and the new warehouse replaces the
   old one in one step (a rename for DuckDB, a schema swap for PostgreSQL).

A refused or failed load leaves the warehouse in service as it was, and the report says why.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import sqlalchemy as sa

from dashboard.core.db import create_engine, safe_url
from dashboard.core.errors import UserFacingError
from dashboard.core.paths import DATA_DIR
from dashboard.core.policy import get_policy
from dashboard.core.schema import load_log, metadata
from dashboard.load.extracts.mapping import PERSON_COLUMNS, Mapping, TableMapping, load_mapping
from dashboard.load.extracts.progress import Progress
from dashboard.load.extracts.pseudonyms import pseudonyms, read_key
from dashboard.load.extracts.report import LoadReport, TableReport, write_quarantine
from dashboard.load.extracts.sources import SourceFile, data_files, find_file, read_batches, read_header
from dashboard.load.extracts.warehouse_copy import copy_existing
from dashboard.load.postgres import copy_to_postgres
from dashboard.load.swap import duckdb_target, is_duckdb, new_duckdb_file
from dashboard.load.writer import WarehouseWriter, build_meta, mark_complete
from queries import intake as q

MODES = ("replace", "months")
DEFAULT_REPORTS = DATA_DIR / "loads"


class LoadRefused(UserFacingError):
    """The load was refused (too many bad rows, no key …): the warehouse in service is untouched."""


@dataclass
class LoadOptions:
    source_dir: Path
    database_url: str
    mapping_path: Path | None = None
    mode: str = "replace"
    report_dir: Path | None = None
    key_file: str | None = None
    ids_are_pseudonyms: bool = False
    max_reject_share: float = 0.05


@dataclass
class _Planned:
    mapping: TableMapping
    source: SourceFile
    raw_columns: dict[str, str] = field(default_factory=dict)  # header -> c<i>
    rows_staged: int = 0


def load_extracts(options: LoadOptions, progress: Progress | None = None) -> LoadReport:
    """Load ``options.source_dir`` into the warehouse; returns the report (also written to its folder).

    Raises:
        LoadRefused: the report is written and the warehouse untouched.
        UserFacingError: a problem with the command itself (no such folder, bad mapping …).
    """
    progress = progress or Progress(enabled=False)
    if options.mode not in MODES:
        raise UserFacingError("load_bad_mode", mode=options.mode, modes=MODES)
    if not 0 <= options.max_reject_share <= 1:
        raise UserFacingError("load_bad_share", value=options.max_reject_share)
    source_dir = Path(options.source_dir)
    if not source_dir.is_dir():
        raise UserFacingError("load_no_folder", path=str(source_dir))
    key = read_key(options.key_file)
    if key is None and not options.ids_are_pseudonyms:
        raise LoadRefused("pseudonym_key_required")
    if key is not None and options.ids_are_pseudonyms:
        raise LoadRefused("ids_flag_with_key")  # which of the two is meant? never guess with identities
    mapping = load_mapping(Path(options.mapping_path)) if options.mapping_path else None
    started = dt.datetime.now(dt.UTC)
    load_id = f"{started:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}"
    report_dir = Path(options.report_dir or DEFAULT_REPORTS / load_id)
    report_dir.mkdir(parents=True, exist_ok=True)
    report = LoadReport(
        ids_are_pseudonyms=options.ids_are_pseudonyms,
        load_id=load_id,
        started_at=started,
        mode=options.mode,
        source_dir=str(source_dir.resolve()),
        mapping=mapping.label if mapping else None,
        database=safe_url(options.database_url),
        report_dir=report_dir,
    )
    try:
        plan = _plan(source_dir, mapping, report)
        if is_duckdb(options.database_url):
            target = duckdb_target(options.database_url)
            if options.mode == "months" and not target.exists():
                raise UserFacingError("months_needs_warehouse", where=str(target))
            with new_duckdb_file(target) as scratch:
                _build(scratch, plan, options, key, report, progress)
        else:
            with tempfile.TemporaryDirectory(prefix="dashboard-load-") as tmp:
                scratch = Path(tmp) / "load.duckdb"
                _build(scratch, plan, options, key, report, progress)
                copy_to_postgres(scratch, options.database_url, progress.line)
    except UserFacingError as exc:
        report.refuse(exc)
        report.write()
        progress.line(f"refused; the warehouse in service is unchanged; report in {report_dir}")
        if isinstance(exc, LoadRefused):
            raise
        raise LoadRefused(exc.key, **exc.params) from None
    except BaseException as exc:  # a bug or an interruption: the report still says what happened
        report.fail(exc)
        report.write()
        raise
    report.finish()
    report.write()
    return report


def _plan(source_dir: Path, mapping: Mapping | None, report: LoadReport) -> list[_Planned]:
    """Which file feeds which table, and which columns of it are read."""
    plan: list[_Planned] = []
    used: set[Path] = set()
    mapped = {t.target: t for t in (mapping.tables if mapping else [])}
    for table in q.TABLE_ORDER:
        entry = mapped.get(table)
        source = find_file(source_dir, entry.file if entry else table)
        if source is None and entry is not None:
            raise UserFacingError("mapped_file_missing", file=entry.file, table=table)
        if source is None:
            continue
        header = read_header(source)
        entry = entry or TableMapping.contract(table, header)
        missing = [h for h in entry.required_headers() if h not in header]
        if missing:
            raise UserFacingError("extract_missing_columns", file=source.path.name, columns=tuple(missing))
        entry.columns = {
            c: r
            for c, r in entry.columns.items()
            if (r.source is None or r.source in header) and (r.minus is None or r.minus in header)
        }
        absent = q.required_absent(table, entry.columns)
        if absent:
            raise UserFacingError("extract_missing_columns", file=source.path.name, columns=tuple(absent))
        used.add(source.path)
        raw = {h: f"c{i}" for i, h in enumerate(header) if h in entry.used_headers()}
        # names, addresses, phone numbers, and identifiers no contract column takes: never read
        dropped = set(entry.personal) | (set(entry.identifiers) - set(raw))
        plan.append(_Planned(entry, source, raw))
        report.tables[table] = TableReport(
            file=source.path.name,
            format=source.format,
            encoding=source.encoding or None,
            ignored_columns=[h for h in header if h not in raw and h not in dropped],
            dropped_personal_columns=[h for h in header if h in dropped],
            identifier_columns=sorted(entry.identifier_columns()),
        )
    report.ignored_files = [p.name for p in data_files(source_dir) if p not in used]
    if not plan:
        raise UserFacingError("load_nothing", path=str(source_dir))
    return plan


def _build(scratch: Path, plan, options: LoadOptions, key, report: LoadReport, progress: Progress) -> None:
    months_mode = options.mode == "months"
    if months_mode:
        copy_existing(options.database_url, scratch, progress.line)
    else:
        supplied = {p.mapping.target for p in plan}
        missing = [t for t in q.REQUIRED_IN_REPLACE if t not in supplied]
        if missing:
            raise UserFacingError("load_missing_tables", tables=tuple(missing))
        emptied = [t for t in _tables_with_rows(options.database_url) if t not in supplied]
        if emptied:
            # a replace load without a file for a table the warehouse in service holds would empty it
            raise UserFacingError("load_would_empty", tables=tuple(emptied))
    writer = WarehouseWriter(scratch, create=not months_mode)
    try:
        con = writer.conn.connection.driver_connection
        with _stage(scratch) as stage_path:
            con.execute(f"ATTACH '{_quoted(stage_path)}' AS stage")
            try:
                _stage_files(con, plan, progress)
                _pseudonymise(con, plan, key, options.ids_are_pseudonyms)
                deferred = _deferred_keys(plan)
                for planned in plan:
                    _check_and_write(con, planned, months_mode, deferred, report, progress)
                for planned in plan:
                    write_quarantine(con, planned, report)  # written when refused too: it shows why
                _refuse_if_too_many(report, options.max_reject_share)
            finally:
                con.execute("DETACH stage")
        writer.commit()
        if not months_mode:
            _carry_history(options.database_url, writer)
        writer.build_rollups()
        progress.line("monthly rollups built")
        meta = _meta(con, report)
        _log_load(writer, report)
        mark_complete(writer, build_meta(meta))
    finally:
        writer.close()


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")


def _tables_with_rows(database_url: str) -> list[str]:
    """The fact tables (targets included) of the warehouse in service that hold rows (none without one)."""
    try:
        engine = create_engine(database_url, read_only=True)
    except UserFacingError:
        return []
    try:
        with engine.connect() as conn:
            present = set(sa.inspect(conn).get_table_names())
            return [
                t
                for t in q.FACT_TABLE_NAMES
                if t in present and conn.execute(sa.text(q.has_rows(t))).first() is not None
            ]
    except sa.exc.SQLAlchemyError:
        return []
    finally:
        engine.dispose()


@contextlib.contextmanager
def _stage(scratch: Path) -> Iterator[Path]:
    """A scratch database beside the new warehouse (same disk) for the raw text; removed afterwards, and
    any left by a load that was killed outright is removed first (it holds raw identifiers)."""
    # this warehouse's own (the build lock is held): another warehouse in the folder may be loading too
    prefix = f".stage-{scratch.name.split('.building-')[0]}-"
    for stale in scratch.parent.glob(f"{prefix}*"):
        shutil.rmtree(stale, ignore_errors=True)
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir=scratch.parent))
    try:
        yield folder / "stage.duckdb"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _stage_files(con: duckdb.DuckDBPyConnection, plan: list[_Planned], progress: Progress) -> None:
    for planned in plan:
        table, source = planned.mapping.target, planned.source
        columns = ", ".join(f"c{i} VARCHAR" for i in range(len(source.header)))
        for exact in (False, True):
            con.execute(f"CREATE OR REPLACE TABLE stage.raw_{table} (_line BIGINT, {columns})")
            rows = 0
            with progress.bar(f"{table} ← {source.path.name}", source.size) as bar:
                for batch in read_batches(source, bar.update_bytes, exact=exact):
                    con.register("incoming_batch", batch)
                    con.execute(f"INSERT INTO stage.raw_{table} SELECT * FROM incoming_batch")
                    con.unregister("incoming_batch")
                    rows += batch.num_rows
                    bar.rows(rows)
            if not source.malformed or source.format != "csv" or exact:
                break
        planned.rows_staged = rows


def _pseudonymise(con, plan: list[_Planned], key: bytes | None, ids_are_pseudonyms: bool) -> None:
    """``stage.pseudonyms(raw, pid)``: every identifier of the extract, normalised, and its pseudonym."""
    con.execute("CREATE OR REPLACE TABLE stage.pseudonyms (raw VARCHAR, pid VARCHAR)")
    if ids_are_pseudonyms:
        return
    parts = [
        q.identifier_values(f"raw_{p.mapping.target}", p.raw_columns[header])
        for p in plan
        for header in p.mapping.identifier_columns()
    ]
    if not parts:
        return
    # The distinct identifiers fit in memory (one per person); the connection cannot stream them and insert
    # at once.
    distinct = con.sql(f"SELECT DISTINCT raw FROM ({' UNION ALL '.join(parts)})").to_arrow_table()
    for batch in distinct.to_batches(500_000):
        raw = batch.column(0).to_pylist()
        chunk = pa.table({"raw": raw, "pid": pseudonyms(key, raw)})
        con.register("incoming_pseudonyms", chunk)
        con.execute("INSERT INTO stage.pseudonyms SELECT raw, pid FROM incoming_pseudonyms")
        con.unregister("incoming_pseudonyms")


def _sources(planned: _Planned, ids_are_pseudonyms: bool) -> tuple[dict[str, q.Source], str, dict]:
    """SQL for each contract column's text, the joins it needs and its bound parameters."""
    mapping = planned.mapping
    identifiers = mapping.identifier_columns()
    sources: dict[str, q.Source] = {}
    joins: list[str] = []
    params: dict[str, str] = {}
    derived = []
    for column, rule in mapping.columns.items():
        if rule.value is not None:
            name = f"v_{column}"
            params[name] = rule.value
            sources[column] = q.Source(f"${name}")
            continue
        if rule.derive is not None:
            derived.append((column, rule.derive))
            continue
        raw = planned.raw_columns[rule.source]
        text = q.source_text(raw)
        if rule.source in identifiers and not ids_are_pseudonyms:
            alias = f"ps_{raw}"
            joins.append(q.pseudonym_join(alias, raw))
            text = f"{alias}.pid"
        if rule.key:
            text = q.numeric_key(text)
        if rule.minus:
            text = q.difference(text, q.source_text(planned.raw_columns[rule.minus]))
        if rule.transform == "icd10":
            text = q.icd10_code(text)
        codes = mapping.codes.get(column)
        if codes:
            pairs = []
            for i, (source_code, code) in enumerate(sorted(codes.items())):
                params[f"k_{column}_{i}"], params[f"m_{column}_{i}"] = source_code, code
                pairs.append((f"k_{column}_{i}", f"m_{column}_{i}"))
            sources[column] = q.Source(q.translated(text, pairs), untranslated=text)
        else:
            sources[column] = q.Source(text)
    for column, derivation in derived:
        sources[column] = q.Source(q.derived(derivation, sources, _policy_versions()))
    return sources, " ".join(joins), params


def _deferred_keys(plan: list[_Planned]) -> dict[tuple[str, str], str]:
    """For a reference to a table checked later (a consortium's lead institution): that table's keys as
    the extract gives them."""
    extra = {}
    by_table = {p.mapping.target: p for p in plan}
    for (table, column), (ref_table, ref_column) in q.DEFERRED_REFERENCES.items():
        ref = by_table.get(ref_table)
        rule = ref.mapping.columns.get(ref_column) if ref else None
        if rule is not None and rule.source:
            extra[(table, column)] = q.raw_keys(ref_table, ref.raw_columns[rule.source])
    return extra


def _settle_months(con, table: str) -> None:
    """The months a months-mode load replaces: those its good rows fall in. A good row whose key the
    warehouse holds in a month not replaced is refused (it would overwrite another month's row); refusing it
    may leave a month with no good row, which then is not replaced either, so repeat until nothing changes
    (good rows only ever become fewer)."""
    while True:
        con.execute(f"CREATE OR REPLACE TABLE stage.months_{table} AS {q.months_in_extract(table)}")
        changed = con.execute(q.existing_key_statement(table)).fetchone()[0]
        if not changed:
            return


def _policy_versions() -> dict[int, str]:
    """Year -> grouper version of the DRG policy file (a mapping may take a case's version from it)."""
    book = get_policy()
    return {year: book.for_year(year).grouper_version for year in book.years}


def _check_and_write(
    con, planned: _Planned, months_mode: bool, deferred, report: LoadReport, progress
) -> None:
    table = planned.mapping.target
    started = time.perf_counter()
    if planned.rows_staged >= 1_000_000:  # minutes at L: say what is going on
        progress.line(f"{table}: checking {planned.rows_staged:,} rows")
    sources, joins, params = _sources(planned, report.ids_are_pseudonyms)
    statement = q.checked_statement(
        table, sources, joins, extra_keys=deferred, raw_ids_refused=report.ids_are_pseudonyms
    )
    con.execute(statement, params)
    result = report.tables[table]
    con.execute(q.final_statement(table))
    if months_mode and table in q.MONTHLY_TABLES:
        _settle_months(con, table)
        result.months = [
            m.isoformat()[:7] for (m,) in con.execute(f"SELECT month FROM stage.months_{table}").fetchall()
        ]
        con.execute(q.delete_months_statement(table))
    if months_mode and table not in q.MONTHLY_TABLES and q.key_columns(metadata.tables[table]):
        con.execute(q.delete_keys_statement(table))
    con.execute(q.insert_statement(table))
    loaded, quarantined = con.execute(q.status_counts(table)).fetchone()
    malformed = len(planned.source.malformed)
    result.rows_read = loaded + quarantined + malformed
    result.rows_loaded = loaded
    result.rows_quarantined = quarantined + malformed
    result.reasons = dict(con.execute(q.reason_counts(table)).fetchall())
    if malformed:
        result.reasons["malformed_row"] = malformed
    for reason in result.reasons:
        kind, _, column = reason.partition(":")
        # the values behind a reason, for codes only: never a person's id (raw or pseudonym)
        if kind in ("unmapped_code", "unknown_ref", "bad_code") and column and column not in PERSON_COLUMNS:
            values = con.execute(q.value_counts(table, column, kind)).fetchall()
            bucket = result.unmapped_codes if kind == "unmapped_code" else result.unknown_values
            bucket[column] = {str(v): n for v, n in values}
    if table in q.MONTHLY_TABLES:
        con.execute(q.coverage_statement(table), {"load_id": report.load_id})
        if not result.months:
            result.months = [m.isoformat()[:7] for (m,) in con.execute(q.months_in_extract(table)).fetchall()]
    progress.line(
        f"{table}: {result.rows_read:,} read, {loaded:,} loaded, {result.rows_quarantined:,} quarantined "
        f"({time.perf_counter() - started:.1f}s)"
    )


def _refuse_if_too_many(report: LoadReport, share: float) -> None:
    over = {
        t: r.rows_quarantined / r.rows_read
        for t, r in report.tables.items()
        if r.rows_read and r.rows_quarantined / r.rows_read > share
    }
    if over:
        worst = max(over, key=over.get)
        raise LoadRefused(
            "load_too_many_rejected", table=worst, share=f"{over[worst]:.1%}", limit=f"{share:.1%}"
        )


def _carry_history(database_url: str, writer: WarehouseWriter) -> None:
    """Replace mode: the loads before this one stay in the log (their coverage went with their data)."""
    try:
        engine = create_engine(database_url, read_only=True)
    except UserFacingError:
        return  # no warehouse before this one
    try:
        with engine.connect() as old:
            if not sa.inspect(old).has_table(load_log.name):
                return
            rows = [dict(r._mapping) for r in old.execute(sa.select(load_log))]
    except sa.exc.SQLAlchemyError:
        return  # an unreadable old warehouse has no history worth keeping
    finally:
        engine.dispose()
    if rows:
        writer.conn.execute(sa.insert(load_log), rows)


def _meta(con, report: LoadReport) -> dict[str, str]:
    first, last = con.execute(q.data_period()).fetchone()
    if first is None:
        raise UserFacingError("load_no_facts")
    city = con.execute(q.city_name()).fetchone()
    versions = [v for (v,) in con.execute(q.grouper_versions()).fetchall()]
    return {
        "source": "load",
        "load_id": report.load_id,
        "period_start": first.isoformat(),
        "period_end": last.isoformat(),
        "city_name": city[0] if city else "",
        "grouper_version": versions[-1] if versions else "",
    }


def _log_load(writer: WarehouseWriter, report: LoadReport) -> None:
    report.finish()
    writer.conn.execute(
        sa.insert(load_log),
        [
            {
                "load_id": report.load_id,
                "loaded_at": report.finished_at.replace(tzinfo=None),
                "mode": report.mode,
                "source": report.source_dir,
                "mapping": report.mapping,
                "report_dir": str(report.report_dir),
                "rows_read": report.rows_read,
                "rows_loaded": report.rows_loaded,
                "rows_quarantined": report.rows_quarantined,
                "report": json.dumps(report.as_dict(), ensure_ascii=False),
            }
        ],
    )
