"""Start the web app, making sure a warehouse is there first."""

from __future__ import annotations

import logging
import sys

from dashboard.db import check_warehouse, create_engine, parse_database_url
from dashboard.errors import UserFacingError
from dashboard.settings import DEFAULT_DATABASE_URL, Settings

log = logging.getLogger(__name__)


def ensure_warehouse(settings: Settings, build_missing: bool) -> dict[str, str]:
    """Open the configured warehouse, first building the demo into a missing DuckDB file if asked to."""
    from dashboard.db import duckdb_path

    url = parse_database_url(settings.database_url)
    path = duckdb_path(url)
    if build_missing and path is not None and not path.exists():
        from dashboard.demo.build import build_demo, terminal_progress

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


def _warm_metadata(database_url: str) -> None:
    """Read the warehouse's codes and names before the first visitor (not results: those stay uncached)."""
    from queries.catalog import get_catalog

    get_catalog(database_url)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env()
        # Only the embedded default is built on the fly; a configured URL must point at a real warehouse.
        meta = ensure_warehouse(settings, build_missing=settings.database_url == DEFAULT_DATABASE_URL)
    except UserFacingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("interrupted: the warehouse was left as it was", file=sys.stderr)
        sys.exit(130)
    from dashboard.app import create_app

    app = create_app(settings)
    _warm_metadata(settings.database_url)
    print(
        f"数据 {meta.get('period_start')} 至 {meta.get('period_end')} · serving http://{settings.host}:{settings.port}/",
        file=sys.stderr,
    )
    app.run(host=settings.host, port=settings.port, debug=False)
