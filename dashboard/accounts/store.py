"""The application database: users and the audit trail.

A SQLite file under data/ by default (``sqlite:///data/app.sqlite3``), PostgreSQL by
``DASHBOARD_APP_DATABASE_URL``; tables are created on first use. Never the warehouse: a load swaps the
warehouse whole, and users must outlive loads.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import threading
from dataclasses import dataclass

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from dashboard.core.errors import UserFacingError
from dashboard.core.paths import DATA_DIR
from dashboard.core.roles import ROLES, SCOPE_OF_ROLE

DEFAULT_APP_DATABASE_URL = f"sqlite:///{DATA_DIR / 'app.sqlite3'}"
MIN_PASSWORD = 10
_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{1,39}$")
_hasher = PasswordHasher()  # argon2id with the library's current defaults (memory-hard)

app_metadata = sa.MetaData()
app_user = sa.Table(
    "app_user",
    app_metadata,
    sa.Column("username", sa.String(40), primary_key=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("scope_type", sa.String(16)),
    sa.Column("scope_id", sa.String(32)),
    sa.Column("email", sa.String(200)),
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("disabled", sa.Boolean, nullable=False, default=False),
    # made by `make run` for the demo warehouse: listed on its login page, never let in on real data
    sa.Column("demo", sa.Boolean, nullable=False, default=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)


@dataclass(frozen=True)
class User:
    username: str
    role: str
    scope_type: str | None
    scope_id: str | None
    email: str | None
    disabled: bool
    demo: bool = False

    @property
    def scope_label(self) -> str:
        return f"{self.scope_type}={self.scope_id}" if self.scope_type else "city"


def app_database_url() -> str:
    return os.environ.get("DASHBOARD_APP_DATABASE_URL") or DEFAULT_APP_DATABASE_URL


def app_engine(url: str | None = None) -> sa.Engine:
    """An engine on the application database, its tables created if missing."""
    url = url or app_database_url()
    try:
        parsed = sa.make_url(url)
        options: dict = {}
        if parsed.get_backend_name() == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")  # the one PostgreSQL driver the app ships
        if parsed.get_backend_name() == "sqlite":
            # the server's threads write audit rows at once: wait for the lock rather than fail
            options["connect_args"] = {"timeout": 30, "check_same_thread": False}
        engine = sa.create_engine(parsed, **options)
        if engine.dialect.name == "sqlite" and engine.url.database:
            os.makedirs(os.path.dirname(os.path.abspath(engine.url.database)), exist_ok=True)
            sa.event.listen(engine, "connect", _sqlite_wal)
        app_metadata.create_all(engine)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError):
        raise UserFacingError("app_database_url", url=url.split("@")[-1]) from None
    except sa.exc.OperationalError as exc:
        raise UserFacingError("app_database_unreachable", reason=str(exc.orig).splitlines()[0]) from None
    return engine


_ENGINES: dict[str, sa.Engine] = {}
_ENGINES_LOCK = threading.Lock()


def shared_engine(url: str | None = None) -> sa.Engine:
    """The process's one engine on the application database (the web app asks on every request)."""
    url = url or app_database_url()
    with _ENGINES_LOCK:
        if url not in _ENGINES:
            _ENGINES[url] = app_engine(url)
        return _ENGINES[url]


def _sqlite_wal(dbapi_connection, _record) -> None:
    # readers do not wait for the writer, and the writer waits for the lock instead of failing at once
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserFacingError("password_too_short", minimum=MIN_PASSWORD)


def parse_scope(role: str, scope: str | None) -> tuple[str | None, str | None]:
    """``district=CODE`` etc. into (type, id), as the role requires: one scope for district, consortium and
    hospital users, none for the others."""
    if role not in ROLES:
        raise UserFacingError("unknown_role", role=role, roles=ROLES)
    wanted = SCOPE_OF_ROLE.get(role)
    if scope is None:
        if wanted:
            raise UserFacingError("scope_required", role=role, kind=wanted)
        return None, None
    kind, sep, code = scope.partition("=")
    if not sep or not code.strip():
        raise UserFacingError("scope_syntax", scope=scope)
    kind, code = kind.strip(), code.strip()
    if wanted is None:
        raise UserFacingError("scope_not_taken", role=role)
    if kind != wanted:
        raise UserFacingError("scope_required", role=role, kind=wanted)
    return kind, code


def add_user(
    engine: sa.Engine,
    username: str,
    role: str,
    scope: str | None,
    email: str | None,
    password: str,
    known_codes=None,
    demo: bool = False,
) -> User:
    """Create a user. ``known_codes(kind, code) -> bool`` checks a scope against the warehouse."""
    if not _USERNAME.match(username or ""):
        raise UserFacingError("bad_username", username=username)
    scope_type, scope_id = parse_scope(role, scope)
    if scope_type and known_codes is not None and not known_codes(scope_type, scope_id):
        raise UserFacingError("scope_unknown", kind=scope_type, code=scope_id)
    check_password_rules(password)
    now = utc_now()
    row = {
        "username": username,
        "role": role,
        "scope_type": scope_type,
        "scope_id": scope_id,
        "email": email,
        "password_hash": _hasher.hash(password),
        "disabled": False,
        "demo": demo,
        "created_at": now,
        "updated_at": now,
    }
    with engine.begin() as conn:
        if conn.execute(sa.select(app_user.c.username).where(app_user.c.username == username)).first():
            raise UserFacingError("user_exists", username=username)
        conn.execute(sa.insert(app_user), [row])
    return get_user(engine, username)


def get_user(engine: sa.Engine, username: str) -> User | None:
    with engine.connect() as conn:
        row = conn.execute(sa.select(app_user).where(app_user.c.username == username)).mappings().first()
    return _user(row) if row else None


def list_users(engine: sa.Engine) -> list[User]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(app_user).order_by(app_user.c.username)).mappings().all()
    return [_user(r) for r in rows]


def disable_user(engine: sa.Engine, username: str) -> None:
    _update(engine, username, disabled=True)


def set_password(engine: sa.Engine, username: str, password: str) -> None:
    check_password_rules(password)
    _update(engine, username, password_hash=_hasher.hash(password))


def verify(engine: sa.Engine, username: str, password: str) -> User | None:
    """The user if the password is theirs and they are not disabled; None otherwise (the same answer for
    an unknown user, a wrong password and a disabled account)."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(app_user).where(app_user.c.username == username)).mappings().first()
    if row is None:
        _hasher.hash(password)  # as slow as a real check: the time taken does not say whether the name exists
        return None
    try:
        _hasher.verify(row["password_hash"], password)
    except (VerificationError, InvalidHashError):
        return None
    if row["disabled"]:
        return None
    if _hasher.check_needs_rehash(row["password_hash"]):
        _update(engine, username, password_hash=_hasher.hash(password))
    return _user(row)


def _update(engine: sa.Engine, username: str, **values) -> None:
    with engine.begin() as conn:
        done = conn.execute(
            sa.update(app_user).where(app_user.c.username == username).values(**values, updated_at=utc_now())
        )
        if done.rowcount == 0:
            raise UserFacingError("no_such_user", username=username)


def _user(row) -> User:
    return User(
        row["username"],
        row["role"],
        row["scope_type"],
        row["scope_id"],
        row["email"],
        bool(row["disabled"]),
        bool(row["demo"]),
    )
