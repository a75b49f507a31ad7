"""The warehouse's sums and the one cache every result goes through.

``fetch`` runs a plan's statements; ``raw_sums`` keeps their unsuppressed sums (for arithmetic and for
disclosure control's own decisions, never shown as they are). Every cached thing (a KPI result, its raw
sums, a whole page panel, the targets, a disclosure decision) is stored under a key made by ``cache_key``,
from the question, the viewer's scope, the data version, the query code, the policy file and any reference
file the answer read: a change in any of them is a different key.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd

from dashboard.core.cache import cache_get, cache_set
from dashboard.core.db import get_engine
from dashboard.core.errors import UserFacingError
from dashboard.core.paths import PROJECT_ROOT, REFERENCE_DIR
from dashboard.core.policy import PolicyError, get_policy
from queries.kpi.builder import Plan, Request, build_plan
from queries.kpi.catalog import Catalog, get_catalog
from queries.kpi.filters import Scope
from queries.kpi.registry import get_kpi

WORKERS = 4


def _code_fingerprint() -> str:
    """A hash of what decides what a query returns besides the warehouse and the policy file: the query layer,
    the ground under it, and the reference data they read when the process starts (age-specific prevalence,
    catalogues, district tiles), which a deployment may replace."""
    files = (
        sorted((PROJECT_ROOT / "queries").rglob("*.py"))
        + sorted((PROJECT_ROOT / "dashboard" / "core").rglob("*.py"))
        + sorted(p for p in REFERENCE_DIR.iterdir() if p.is_file())
    )
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


CODE_FINGERPRINT = _code_fingerprint()


def policy_fingerprint() -> str:
    """The policy file's fingerprint; a missing or broken file is reported by the queries that need it."""
    try:
        return get_policy().fingerprint
    except PolicyError:
        return "no-policy"


def file_stamp(path: Path) -> tuple:
    """What identifies a reference file's content cheaply: its path, size and modification time."""
    try:
        info = path.stat()
    except OSError:
        return (str(path), "missing")
    return (str(path), info.st_size, info.st_mtime_ns)


def cache_key(
    kind: str, question, scope: Scope, catalog: Catalog, files: Iterable[Path] = (), code: str | None = None
) -> str:
    """The one recipe for every cache key: what was asked, by whom (their data scope), of which data (the
    warehouse's data version and engine), computed by which code and under which policy file, from which
    reference files. Equal questions share an entry; a change in any part is a new entry."""
    payload = json.dumps(
        [
            kind,
            question,
            scope.key(),
            catalog.data_version,
            catalog.dialect,
            code or CODE_FINGERPRINT,
            policy_fingerprint(),
            [file_stamp(Path(f)) for f in files],
        ],
        default=str,
        sort_keys=True,
    )
    return f"{kind.split(':')[0]}:" + hashlib.sha256(payload.encode()).hexdigest()


_in_flight: dict[str, threading.Event] = {}
_in_flight_lock = threading.Lock()


def _heavy_limit() -> int:
    """How many uncached computations may run at once (``DASHBOARD_HEAVY_REQUESTS``, default 4): beyond that
    a request waits its turn, so a burst of new views cannot take every thread and the database at once."""
    text = os.environ.get("DASHBOARD_HEAVY_REQUESTS", "").strip()
    return int(text) if text.isdigit() and int(text) > 0 else 4


HEAVY_WAIT_SECONDS = 60.0
_heavy = threading.BoundedSemaphore(_heavy_limit())
_holding = threading.local()  # set while this thread's computation holds a slot (nested ones share it)


def _bounded(compute: Callable):
    if getattr(_holding, "slot", False):
        return compute()  # a part of a computation that already holds a slot
    if not _heavy.acquire(timeout=HEAVY_WAIT_SECONDS):
        raise UserFacingError("server_busy")
    _holding.slot = True
    try:
        return compute()
    finally:
        _holding.slot = False
        _heavy.release()


def cached(key: str, compute: Callable):
    """The cached value of ``key``, computed once. When several threads ask at once (a page's callbacks, two
    viewers of the same view) one computes and the others wait for its result instead of running it again."""
    value = cache_get(key)
    if value is not None:
        return value
    with _in_flight_lock:
        running = _in_flight.get(key)
        if running is None:
            _in_flight[key] = threading.Event()
    if running is not None:
        running.wait(timeout=60)
        value = cache_get(key)
        if value is not None:
            return value
        return _bounded(compute)  # the other thread failed, or no cache is configured
    try:
        value = _bounded(compute)
        cache_set(key, value)
        return value
    finally:
        with _in_flight_lock:
            _in_flight.pop(key).set()


def parallel(function, items) -> list:
    """``function`` over ``items`` on a few threads: the engine releases the GIL while it queries."""
    holding = getattr(_holding, "slot", False)

    def part(item):
        # the workers compute parts of this thread's computation: they share its slot
        _holding.slot = holding
        try:
            return function(item)
        finally:
            _holding.slot = False

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return list(pool.map(part, items))


def fetch(plan: Plan, database_url: str) -> pd.DataFrame:
    """The plan's sums from the warehouse: one row per unit (and period), numerator and denominator merged."""
    engine = get_engine(database_url)
    with engine.connect() as conn:
        numerator = pd.DataFrame(conn.execute(plan.numerator).mappings().all())
        if plan.denominator is None:
            return numerator
        denominator = pd.DataFrame(conn.execute(plan.denominator).mappings().all())
    keys = list(plan.keys)
    if numerator.empty and denominator.empty:
        return pd.DataFrame(columns=[*keys, "numerator", "denominator"])
    if not keys:
        numerator = numerator if not numerator.empty else pd.DataFrame({"numerator": [0]})
        denominator = denominator if not denominator.empty else pd.DataFrame({"denominator": [0]})
        return pd.concat([numerator.reset_index(drop=True), denominator.reset_index(drop=True)], axis=1)
    if numerator.empty:
        numerator = pd.DataFrame(columns=[*keys, "numerator"])
    if denominator.empty:
        denominator = pd.DataFrame(columns=[*keys, "denominator"])
    # Units in the denominator without events have a numerator of 0, not a missing row.
    merged = denominator.merge(numerator, on=keys, how="outer")
    merged["numerator"] = merged["numerator"].fillna(0)
    return merged


def raw_sums(database_url: str, request: Request) -> pd.DataFrame:
    """Unsuppressed numerator and denominator sums, for arithmetic only (never shown as they are)."""
    kpi = get_kpi(request.kpi_id)
    catalog = get_catalog(database_url)
    key = cache_key("raw", request.key(), request.scope, catalog)

    def compute() -> pd.DataFrame:
        frame = fetch(build_plan(kpi, request, catalog.warehouse), database_url)
        for column in ("numerator", "denominator", "cases"):
            if column in frame:  # a count KPI has no denominator
                frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
        return frame

    return cached(key, compute)
