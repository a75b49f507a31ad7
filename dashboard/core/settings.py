"""Run-time settings, read from the environment once and passed around as a frozen value."""

from __future__ import annotations

import os
from dataclasses import dataclass

from dashboard.core.errors import UserFacingError
from dashboard.core.paths import DATA_DIR

DEFAULT_WAREHOUSE = DATA_DIR / "warehouse.duckdb"
DEFAULT_DATABASE_URL = f"duckdb:///{DEFAULT_WAREHOUSE}"


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: int = 8050
    redis_url: str | None = None
    demo_scale: str = "M"

    @classmethod
    def from_env(cls, **overrides) -> Settings:
        env = os.environ
        values = {
            "database_url": env.get("DASHBOARD_DATABASE_URL") or DEFAULT_DATABASE_URL,
            "host": env.get("DASHBOARD_HOST") or "127.0.0.1",
            "port": _port(env.get("DASHBOARD_PORT", "8050")),
            "redis_url": env.get("DASHBOARD_REDIS_URL") or None,
            "demo_scale": (env.get("DASHBOARD_DEMO_SCALE") or "M").upper(),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise UserFacingError("port_not_number", value=text) from None
    if not 0 < port < 65536:
        raise UserFacingError("port_out_of_range", value=port)
    return port


DEFAULT_SUPPRESSION_THRESHOLD = 5


def suppression_threshold() -> int:
    """The deployment's small-number threshold (DOMAIN §9): counts from 1 to one less are withheld.
    ``DASHBOARD_SUPPRESSION_THRESHOLD``, default 5; a deployment may raise it, never turn it off."""
    text = os.environ.get("DASHBOARD_SUPPRESSION_THRESHOLD", "").strip()
    if not text:
        return DEFAULT_SUPPRESSION_THRESHOLD
    try:
        value = int(text)
    except ValueError:
        raise UserFacingError("threshold_not_number", value=text) from None
    if value < 2:
        raise UserFacingError("threshold_too_low", value=value)
    return value
