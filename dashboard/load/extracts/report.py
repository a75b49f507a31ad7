"""The load's report: ``report.json`` (per table rows read, loaded and quarantined, counts by reason, unmapped
codes …) and ``quarantine/<table>.csv`` (each refused row as the file gave it, with its row number and reason).

``rows_read = rows_loaded + rows_quarantined`` for every table: nothing is lost. A person's identifier is
shown in the quarantine as its pseudonym (the row number finds the row in the source), and columns the
mapping marks personal (names, addresses, phone numbers) are not copied at all.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from dashboard.core.errors import UserFacingError
from queries import intake as q

QUARANTINE = "quarantine"
_FETCH_ROWS = 100_000


@dataclass
class TableReport:
    file: str
    format: str
    encoding: str | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    months: list[str] = field(default_factory=list)
    unmapped_codes: dict[str, dict[str, int]] = field(default_factory=dict)
    unknown_values: dict[str, dict[str, int]] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)
    dropped_personal_columns: list[str] = field(default_factory=list)
    identifier_columns: list[str] = field(default_factory=list)


@dataclass
class LoadReport:
    load_id: str
    started_at: dt.datetime
    mode: str
    source_dir: str
    mapping: str | None
    database: str
    report_dir: Path
    ids_are_pseudonyms: bool = False
    status: str = "running"
    refusal: dict | None = None
    finished_at: dt.datetime | None = None
    tables: dict[str, TableReport] = field(default_factory=dict)
    ignored_files: list[str] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        return sum(t.rows_read for t in self.tables.values())

    @property
    def rows_loaded(self) -> int:
        return sum(t.rows_loaded for t in self.tables.values())

    @property
    def rows_quarantined(self) -> int:
        return sum(t.rows_quarantined for t in self.tables.values())

    def refuse(self, error: UserFacingError) -> None:
        # the key and its parameters: the command line and the data-quality page word it in their language
        self.status = "refused"
        self.refusal = {"key": error.key, "params": {k: _plain(v) for k, v in error.params.items()}}
        self.finished_at = dt.datetime.now(dt.UTC)

    def fail(self, error: BaseException) -> None:
        """An unexpected failure or an interruption: recorded without its message (it may quote data)."""
        self.status = "failed" if isinstance(error, Exception) else "interrupted"
        self.refusal = {"key": "unexpected", "params": {"error": type(error).__name__}}
        self.finished_at = dt.datetime.now(dt.UTC)

    def finish(self) -> None:
        if self.status == "running":
            self.status = "loaded"
        self.finished_at = self.finished_at or dt.datetime.now(dt.UTC)

    def as_dict(self) -> dict:
        out = {
            "load_id": self.load_id,
            "status": self.status,
            "refusal": self.refusal,
            "mode": self.mode,
            "started_at": self.started_at.isoformat(timespec="seconds"),
            "finished_at": self.finished_at.isoformat(timespec="seconds") if self.finished_at else None,
            "source_dir": self.source_dir,
            "mapping": self.mapping,
            "database": self.database,
            "ids_are_pseudonyms": self.ids_are_pseudonyms,
            "rows_read": self.rows_read,
            "rows_loaded": self.rows_loaded,
            "rows_quarantined": self.rows_quarantined,
            "tables": {name: asdict(t) for name, t in self.tables.items()},
            "ignored_files": self.ignored_files,
        }
        return out

    def write(self) -> Path:
        path = self.report_dir / "report.json"
        path.write_text(json.dumps(self.as_dict(), ensure_ascii=False, indent=1), encoding="utf-8")
        return path


def _plain(value):
    return list(value) if isinstance(value, tuple) else value


def write_quarantine(con, planned, report: LoadReport) -> None:
    """``quarantine/<table>.csv``: source_row, the columns read (by their source names), reason."""
    table = planned.mapping.target
    result = report.tables[table]
    if not result.rows_quarantined:
        return
    folder = report.report_dir / QUARANTINE
    folder.mkdir(exist_ok=True)
    headers = [h for h in planned.source.header if h in planned.raw_columns]
    raw = [planned.raw_columns[h] for h in headers]
    identifiers = planned.mapping.identifier_columns()
    pseudonymised = (
        {} if report.ids_are_pseudonyms else {planned.raw_columns[h]: c for h, c in identifiers.items()}
    )
    masked = tuple(planned.raw_columns[h] for h in identifiers) if report.ids_are_pseudonyms else ()
    # UTF-8 with BOM: Excel opens it with the Chinese intact, scripts read it as UTF-8
    with open(folder / f"{table}.csv", "w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["source_row", *headers, "reason"])
        cursor = con.execute(q.quarantine_rows(table, raw, pseudonymised, masked))
        while rows := cursor.fetchmany(_FETCH_ROWS):
            out.writerows(rows)
        # the row's text is not copied: with its fields out of place, an identifier could not be masked
        for line, fields in planned.source.malformed:
            out.writerow([line, *([""] * len(headers)), f"malformed_row ({fields} fields)"])
