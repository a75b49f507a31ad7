"""A demo warehouse written out as a region's extract in the contract's layout: one CSV per table, with the
demo's patient ids replaced by 18-digit ID-card-like numbers (what a real extract would carry)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from dashboard.core.schema import CONTRACT_TABLES

PATIENT_TABLES = {
    "dim_patient",
    "fact_visit",
    "fact_inpatient",
    "fact_referral",
    "fact_chronic_registry",
    "fact_followup",
    "fact_contract",
}
# area code + birth date + sequence + check character: unique per demo patient up to 365,000 patients
ID_CARD = (
    "p.district_code || CAST(p.birth_year AS VARCHAR) "
    "|| strftime(DATE '2001-01-01' + CAST(n % 365 AS INTEGER), '%m%d') "
    "|| lpad(CAST(n // 365 AS VARCHAR), 3, '0') "
    "|| CASE WHEN n % 11 = 10 THEN 'X' ELSE CAST(n % 11 AS VARCHAR) END"
)


def id_cards(con: duckdb.DuckDBPyConnection) -> None:
    """A temporary table ``ids(patient_id, id_card)`` over the warehouse's patients."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE ids AS SELECT patient_id, "
        f"{ID_CARD} AS id_card FROM (SELECT *, row_number() OVER (ORDER BY patient_id) AS n FROM dim_patient) p"
    )


def export_contract_layout(
    warehouse: Path, folder: Path, tables=None, where: dict | None = None, keep_ids: bool = False
) -> dict[str, int]:
    """Write ``folder/<table>.csv`` for the contract tables of ``warehouse`` (or ``tables``); ``where`` may
    restrict a table's rows (an SQL condition); ``keep_ids`` keeps the demo's (pseudonymous) patient ids
    instead of ID-card numbers. Returns the rows written per table."""
    folder.mkdir(parents=True, exist_ok=True)
    con = _private_copy(warehouse, folder)
    counts = {}
    try:
        id_cards(con)
        for table in CONTRACT_TABLES:
            if tables is not None and table.name not in tables:
                continue
            columns = [c.name for c in table.columns]
            select = ", ".join("i.id_card AS patient_id" if c == "patient_id" else f"t.{c}" for c in columns)
            join = " JOIN ids i USING (patient_id)" if table.name in PATIENT_TABLES else ""
            if keep_ids:
                select, join = ", ".join(f"t.{c}" for c in columns), ""
            condition = f" WHERE {where[table.name]}" if where and table.name in where else ""
            query = f"SELECT {select} FROM {table.name} t{join}{condition}"
            path = folder / f"{table.name}.csv"
            con.execute(f"COPY ({query}) TO '{path}' (HEADER, DATEFORMAT '%Y-%m-%d')")
            counts[table.name] = con.execute(f"SELECT count(*) FROM ({query})").fetchone()[0]
    finally:
        con.close()
    return counts


def _private_copy(warehouse: Path, folder: Path) -> duckdb.DuckDBPyConnection:
    """A connection to a copy of ``warehouse``: the test session has the file itself open through its engine,
    and DuckDB refuses a second connection to a file with another configuration in the same process. The copy
    is deleted as soon as it is open (the connection keeps it readable)."""
    import shutil
    import uuid

    copy = folder.parent / f".export-{uuid.uuid4().hex}.duckdb"
    shutil.copyfile(warehouse, copy)
    con = duckdb.connect(str(copy), read_only=True)
    copy.unlink()
    return con


def append_rows(path: Path, rows: list[dict], encoding: str = "utf-8") -> None:
    """Append rows (dicts by column name; missing columns empty) to a CSV with a header."""
    import csv

    with open(path, encoding=encoding, newline="") as fh:
        header = next(csv.reader(fh))
    with open(path, "a", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        for row in rows:
            writer.writerow([row.get(h.lstrip("\ufeff"), "") for h in header])


def read_rows(path: Path, encoding: str = "utf-8") -> list[dict]:
    import csv

    with open(path, encoding=encoding, newline="") as fh:
        return list(csv.DictReader(fh))


def recode(path: Path, encoding: str) -> None:
    """Rewrite a UTF-8 CSV in another encoding (gb18030, or utf-8-sig for a BOM)."""
    text = path.read_text(encoding="utf-8")
    path.write_bytes(text.encode(encoding))


def to_xlsx(csv_path: Path, date_columns: dict[str, str] | None = None) -> Path:
    """The CSV as an .xlsx sheet (the CSV removed): numbers as numbers, and each of ``date_columns`` as
    "date" (an Excel date cell) or "serial" (the day number Excel stores, as some exports give it)."""
    import csv
    import datetime as dt

    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    with open(csv_path, encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        sheet.append(header)
        kinds = [(date_columns or {}).get(h) for h in header]
        for row in reader:
            cells = []
            for value, kind in zip(row, kinds, strict=True):
                if kind and value:
                    day = dt.date.fromisoformat(value)
                    cells.append(day if kind == "date" else (day - dt.date(1899, 12, 30)).days)
                else:
                    cells.append(_number(value))
            sheet.append(cells)
    target = csv_path.with_suffix(".xlsx")
    book.save(target)
    csv_path.unlink()
    return target


def _number(value: str):
    # codes with leading zeros (district 990102 has none, but "0101" would) stay text
    if value.isdigit() and not value.startswith("0") and len(value) < 15:
        return int(value)
    return value


def to_parquet(csv_path: Path) -> Path:
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    table = pacsv.read_csv(csv_path)
    target = csv_path.with_suffix(".parquet")
    pq.write_table(table, target)
    csv_path.unlink()
    return target


def to_gzip(csv_path: Path) -> Path:
    import gzip
    import shutil

    target = csv_path.with_name(csv_path.name + ".gz")
    with open(csv_path, "rb") as src, gzip.open(target, "wb") as dst:
        shutil.copyfileobj(src, dst)
    csv_path.unlink()
    return target


def quality_warehouse(demo: Path, folder: Path) -> tuple[str, dict[str, str]]:
    """A copy of the demo whose last month of visits was loaded again (months mode) with faults a data
    manager must see: one institution missing, one with 30% of its usual rows, one with 3 (withheld), one
    with 6 rows quarantined and one with 2. Returns the warehouse URL and which institution is which."""
    import shutil

    import pandas as pd

    from dashboard.load.extracts.run import LoadOptions, load_extracts

    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "quality.duckdb"
    shutil.copyfile(demo, target)
    con = _private_copy(demo, folder)
    last = con.execute("SELECT date_trunc('month', max(visit_date))::DATE FROM fact_visit").fetchone()[0]
    con.close()
    extract = folder / "extract"
    export_contract_layout(
        demo,
        extract,
        tables={"fact_visit"},
        where={"fact_visit": f"visit_date >= DATE '{last}'"},
        keep_ids=True,
    )
    path = extract / "fact_visit.csv"
    visits = pd.read_csv(path, dtype=str, keep_default_na=False)
    roles = {"missing": "I001", "low": "I002", "withheld": "I003", "quarantined": "I004", "few_bad": "I005"}
    keep = visits[visits["institution_id"] != roles["missing"]]
    low = visits[visits["institution_id"] == roles["low"]]
    keep = keep[keep["institution_id"] != roles["low"]]
    keep = pd.concat([keep, low.head(int(len(low) * 0.3))])
    small = keep[keep["institution_id"] == roles["withheld"]].head(3)
    keep = pd.concat([keep[keep["institution_id"] != roles["withheld"]], small])
    bad = []
    for code, n in ((roles["quarantined"], 6), (roles["few_bad"], 2)):
        rows = visits[visits["institution_id"] == code].head(n).copy()
        rows["visit_id"] = [str(990_000_000 + len(bad) * 10 + i) for i in range(n)]
        rows["visit_type"] = "walk_in"
        bad.append(rows)
    pd.concat([keep, *bad]).to_csv(path, index=False)
    url = f"duckdb:///{target}"
    load_extracts(
        LoadOptions(extract, url, mode="months", report_dir=folder / "report", ids_are_pseudonyms=True)
    )
    return url, roles
