"""Start the web app, making sure a warehouse is there first."""

from __future__ import annotations

import logging
import os
import secrets
import sys

from dashboard.accounts import store
from dashboard.app import create_app
from dashboard.core.db import check_warehouse, create_engine, duckdb_path, parse_database_url
from dashboard.core.errors import UserFacingError
from dashboard.core.settings import DEFAULT_DATABASE_URL, Settings
from dashboard.guard import MAX_REQUEST_BYTES
from dashboard.load.demo.build import build_demo, terminal_progress
from dashboard.ui.words import tell
from queries.access import is_demo_warehouse
from queries.kpi.catalog import get_catalog
from queries.warehouse import data_as_of

log = logging.getLogger(__name__)

THREADS = 8


def ensure_warehouse(settings: Settings, build_missing: bool) -> dict[str, str]:
    """Open the configured warehouse, first building the demo into a missing DuckDB file if asked to."""
    url = parse_database_url(settings.database_url)
    path = duckdb_path(url)
    if build_missing and path is not None and not path.exists():
        print(
            f"No warehouse yet: building the {settings.demo_scale} demo city at {path} (once) …",
            file=sys.stderr,
        )
        build_demo(settings.database_url, scale=settings.demo_scale, progress=terminal_progress())
    engine = create_engine(url)
    try:
        return check_warehouse(engine)
    finally:
        engine.dispose()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env()
        # Only the embedded default is built on the fly; a configured URL must point at a real warehouse.
        meta = ensure_warehouse(settings, build_missing=settings.database_url == DEFAULT_DATABASE_URL)
    except UserFacingError as exc:
        print(f"error: {tell(exc, 'en')}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("interrupted: the warehouse was left as it was", file=sys.stderr)
        sys.exit(130)
    try:
        check_bind(settings.host)
    except UserFacingError as exc:
        print(f"error: {tell(exc, 'en')}", file=sys.stderr)
        sys.exit(2)
    app = create_app(settings)
    data_as_of(settings.database_url)  # reads the warehouse's codes and names before the first visitor
    if is_demo_warehouse(settings.database_url):
        password, names = demo_users(settings.database_url)
        print(f"demo users ({', '.join(names)}), password for this run: {password}", file=sys.stderr)
    print(
        f"data {meta.get('period_start')} to {meta.get('period_end')} · serving http://{settings.host}:{settings.port}/",
        file=sys.stderr,
    )
    if os.environ.get("DASHBOARD_DEV_SERVER") == "1":  # Flask's development server: never in service
        app.run(host=settings.host, port=settings.port, debug=False)
        return
    serve_production(app.server, settings)


LOOPBACK = ("127.0.0.1", "localhost", "::1")
DEMO_ROLES = ("admin", "city", "district", "consortium", "insurance", "hospital")


def check_bind(host: str) -> None:
    """Serving beyond this machine needs real users (demo users, whose password is printed, do not count).

    Raises:
        UserFacingError: a non-loopback address and no active user.
    """
    if host in LOOPBACK or host.startswith("127."):
        return
    if not any(not u.disabled and not u.demo for u in store.list_users(store.shared_engine())):
        raise UserFacingError("bind_needs_users", host=host)


def demo_users(database_url: str) -> tuple[str, list[str]]:
    """One user per role for the demo city, with a password generated for this run (printed by the caller,
    listed by name on the login page): the first district, consortium and tertiary hospital as scopes."""
    catalog = get_catalog(database_url)
    parents = catalog.parents["institution"]
    hospital = min(c for c, p in parents.items() if p[2] == "tertiary")
    scopes = {
        "district": f"district={min(catalog.names['district'])}",
        "consortium": f"consortium={parents[hospital][1]}",
        "hospital": f"institution={hospital}",
    }
    password = secrets.token_urlsafe(12)
    engine = store.shared_engine()
    names = []
    for role in DEMO_ROLES:
        name = f"demo-{role}"
        user = store.get_user(engine, name)
        if user is None:
            store.add_user(engine, name, role, scopes.get(role), None, password, demo=True)
        elif user.demo:
            store.set_password(engine, name, password)
        else:
            continue  # a real account of that name: not ours to touch
        names.append(name)
    return password, names


def serve_production(server, settings: Settings) -> None:
    """Serve with waitress: a production WSGI server of pure Python, one process with a pool of threads.

    One process suits the embedded warehouse: its threads share the read-only DuckDB engine and the
    in-process result cache. For several processes (gunicorn 'app:server' -w N), set DASHBOARD_REDIS_URL so
    they share one cache.
    """
    from waitress import serve

    serve(
        server,
        host=settings.host,
        port=settings.port,
        threads=THREADS,
        ident="",  # no "Server: waitress" (nor any version) in the responses
        max_request_body_size=MAX_REQUEST_BYTES,
        clear_untrusted_proxy_headers=True,
    )
