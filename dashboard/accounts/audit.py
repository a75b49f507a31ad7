"""The audit trail (DOMAIN §11, 等保 2.0): who did what, when, from where, under which data scope, on which
page with which filters, and how many rows left the server. Kept in the application database, never in the
warehouse (a load replaces the warehouse whole; the trail must outlive it).

Rows are only ever added: nothing in the product updates or deletes them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass

import sqlalchemy as sa

from dashboard.accounts.store import app_metadata, utc_now
from dashboard.core.roles import AUDIT_KINDS

KINDS = AUDIT_KINDS
COLUMNS = ("at", "username", "role", "scope", "address", "kind", "page", "filters", "rows", "detail")

audit_event = sa.Table(
    "audit_event",
    app_metadata,
    sa.Column("event_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime, nullable=False, index=True),
    sa.Column("username", sa.String(40), nullable=False, index=True),  # as typed, for a failed login
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("scope", sa.String(64), nullable=False),
    sa.Column("address", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("page", sa.String(200), nullable=False),
    sa.Column("filters", sa.String(1000), nullable=False),
    sa.Column("rows", sa.Integer),  # rows sent out (a download, an export), when known
    sa.Column("detail", sa.String(400), nullable=False),
)


@dataclass(frozen=True)
class Event:
    """One thing to record; text fields are cut to their column's width (a forged value may be long)."""

    username: str
    role: str
    scope: str
    address: str
    kind: str
    page: str = ""
    filters: str = ""
    rows: int | None = None
    detail: str = ""

    def row(self) -> dict:
        widths = {c.name: c.type.length for c in audit_event.columns if isinstance(c.type, sa.String)}
        values = {
            "username": self.username,
            "role": self.role,
            "scope": self.scope,
            "address": self.address,
            "kind": self.kind,
            "page": self.page,
            "filters": self.filters,
            "detail": self.detail,
        }
        cut = {k: str(v or "")[: widths[k]] for k, v in values.items()}
        return {**cut, "at": utc_now(), "rows": self.rows}


def record(engine: sa.Engine, event: Event) -> None:
    """Add one event to the trail."""
    if event.kind not in KINDS:
        raise ValueError(f"unknown audit kind {event.kind!r}")
    with engine.begin() as conn:
        conn.execute(sa.insert(audit_event), [event.row()])


def events(
    engine: sa.Engine,
    since: dt.date | None = None,
    user: str | None = None,
    kind: str | None = None,
    limit: int | None = None,
) -> list[dict]:
    """Events from ``since`` (a day, inclusive), of one user and one kind if given, newest first."""
    statement = sa.select(*[audit_event.c[c] for c in COLUMNS]).order_by(
        audit_event.c.at.desc(), audit_event.c.event_id.desc()
    )
    if since is not None:
        statement = statement.where(audit_event.c.at >= dt.datetime.combine(since, dt.time()))
    if user:
        statement = statement.where(audit_event.c.username == user)
    if kind:
        statement = statement.where(audit_event.c.kind == kind)
    if limit:
        statement = statement.limit(limit)
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(statement).mappings()]


def as_csv(rows: list[dict]) -> str:
    """The events as CSV with a header (times in UTC, ISO 8601 to the second)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({**row, "at": row["at"].replace(microsecond=0).isoformat() + "Z"})
    return out.getvalue()
