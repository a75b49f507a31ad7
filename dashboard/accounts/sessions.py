"""Sessions kept on the server, in the application database: the browser's cookie holds only a random
session id, and a session ends on the server (logout, idle timeout, a disabled account), so a copied cookie
is worth nothing afterwards. The table stores a hash of each id, never the id itself: whoever reads the
database cannot take over a session.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import sqlalchemy as sa

from dashboard.accounts.store import app_metadata, utc_now

TOUCH_EVERY = dt.timedelta(seconds=30)  # last_seen is written at most this often: not a write per request

app_session = sa.Table(
    "app_session",
    app_metadata,
    sa.Column("session_hash", sa.String(64), primary_key=True),
    sa.Column("username", sa.String(40), nullable=False, index=True),
    sa.Column("address", sa.String(64), nullable=False),
    sa.Column("started_at", sa.DateTime, nullable=False),
    sa.Column("last_seen", sa.DateTime, nullable=False),
    sa.Column("ended_at", sa.DateTime),
)


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def start(engine: sa.Engine, username: str, address: str) -> str:
    """A new session for ``username``; returns the id to put in the cookie."""
    session_id = secrets.token_urlsafe(32)
    now = utc_now()
    row = {
        "session_hash": _hash(session_id),
        "username": username,
        "address": address[:64],
        "started_at": now,
        "last_seen": now,
        "ended_at": None,
    }
    with engine.begin() as conn:
        conn.execute(sa.insert(app_session), [row])
    return session_id


def user_of(engine: sa.Engine, session_id: str, idle: dt.timedelta) -> str | None:
    """The user of a live session, which this request keeps alive; None for an unknown, ended or idle one
    (an idle session is ended on the way)."""
    if not isinstance(session_id, str) or not session_id:
        return None
    key = _hash(session_id)
    now = utc_now()
    with engine.begin() as conn:
        row = conn.execute(sa.select(app_session).where(app_session.c.session_hash == key)).mappings().first()
        if row is None or row["ended_at"] is not None:
            return None
        if now - row["last_seen"] > idle:
            conn.execute(sa.update(app_session).where(app_session.c.session_hash == key).values(ended_at=now))
            return None
        if now - row["last_seen"] > TOUCH_EVERY:
            conn.execute(
                sa.update(app_session).where(app_session.c.session_hash == key).values(last_seen=now)
            )
    return row["username"]


def end(engine: sa.Engine, session_id: str) -> None:
    """End a session (logout)."""
    with engine.begin() as conn:
        conn.execute(
            sa.update(app_session)
            .where(app_session.c.session_hash == _hash(session_id), app_session.c.ended_at.is_(None))
            .values(ended_at=utc_now())
        )


def set_last_seen(engine: sa.Engine, session_id: str, when: dt.datetime) -> None:
    """Move a session's last request in time (for the idle-timeout tests and an operator's tooling)."""
    with engine.begin() as conn:
        conn.execute(
            sa.update(app_session)
            .where(app_session.c.session_hash == _hash(session_id))
            .values(last_seen=when)
        )
