"""The result cache: flask-caching, in-process by default, Redis when DASHBOARD_REDIS_URL is set.

A cache that cannot be reached never stops an answer: the query runs uncached and the log says why (once a
minute at most, so a Redis outage does not flood the log). A Redis that accepts connections but never answers
would cost every lookup its socket timeout: after a failure the cache is left alone for ``BREAK_SECONDS``
(a circuit breaker), so a panel pays the timeout once, not on every lookup.
"""

from __future__ import annotations

import logging
import time

from flask import Flask
from flask_caching import Cache

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 24 * 3600  # keys carry the data version, so entries never go stale; this only bounds memory
BREAK_SECONDS = 30.0
cache = Cache()
_state = {"app": None, "last_warning": 0.0, "errors": 0, "open_until": 0.0}


def cache_config(redis_url: str | None) -> dict:
    if redis_url:
        return {
            "CACHE_TYPE": "RedisCache",
            "CACHE_REDIS_URL": redis_url,
            "CACHE_KEY_PREFIX": "dashboard:",
            "CACHE_DEFAULT_TIMEOUT": DEFAULT_TIMEOUT,
            "CACHE_OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    return {"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": DEFAULT_TIMEOUT, "CACHE_THRESHOLD": 5000}


def init_cache(server: Flask, redis_url: str | None) -> None:
    """Attach the cache to a Flask server (the Dash app's, or a bare one for the command line)."""
    cache.init_app(server, config=cache_config(redis_url))
    _state["app"] = server
    _state["open_until"] = 0.0


def standalone_cache(redis_url: str | None) -> Flask:
    """A bare Flask app carrying the cache, for the command line and benchmarks."""
    server = Flask("dashboard-cli")
    init_cache(server, redis_url)
    return server


def _broken() -> bool:
    return time.monotonic() < _state["open_until"]


def _warn(action: str, exc: Exception) -> None:
    _state["errors"] += 1
    now = time.monotonic()
    _state["open_until"] = now + BREAK_SECONDS
    if now - _state["last_warning"] > 60:
        _state["last_warning"] = now
        log.warning("result cache unavailable (%s: %s); answering uncached", action, exc)


def cache_get(key: str):
    """The cached value, or None when absent or when the cache cannot be reached."""
    if _state["app"] is None or _broken():
        return None
    try:
        with _state["app"].app_context():
            return cache.get(key)
    except Exception as exc:  # a cache outage of any kind must not break a page
        _warn("get", exc)
        return None


def cache_set(key: str, value) -> None:
    if _state["app"] is None or _broken():
        return
    try:
        with _state["app"].app_context():
            cache.set(key, value)
    except Exception as exc:
        _warn("set", exc)


def cache_errors() -> int:
    return _state["errors"]
