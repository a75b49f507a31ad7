"""Running a KPI request: the builder's statements, the sums from the warehouse, the ratio with its interval,
small-number suppression, and the one cache every result goes through.

Results are pandas DataFrames with one row per unit (and period) and these columns: the dimension key
columns, ``name``, ``numerator``, ``denominator``, ``value``, ``ci_low``, ``ci_high``, ``suppressed``.

Every cached thing (a KPI result, its raw sums, a whole page panel, the targets) is stored under a key made by
``cache_key``, from the question, the viewer's scope, the data version, the query code, the policy file and
any reference file the answer read: a change in any of them is a different key.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from dashboard.core.cache import cache_get, cache_set
from dashboard.core.db import get_engine
from dashboard.core.paths import PROJECT_ROOT, REFERENCE_DIR
from dashboard.core.policy import PolicyError, get_policy
from queries.kpi import stats
from queries.kpi.builder import (
    NotApplicable,
    Plan,
    Request,
    build_plan,
    output_column,
    period_column,
    period_windows,
)
from queries.kpi.catalog import Catalog, get_catalog
from queries.kpi.filters import DIMENSIONS, Scope
from queries.kpi.registry import Kpi, get_kpi
from queries.kpi.sources import GROUPER_COLUMNS

SUPPRESSION_THRESHOLD = 5
RESULT_COLUMNS = ["name", "numerator", "denominator", "value", "ci_low", "ci_high", "suppressed"]
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
        return compute()  # the other thread failed, or no cache is configured
    try:
        value = compute()
        cache_set(key, value)
        return value
    finally:
        with _in_flight_lock:
            _in_flight.pop(key).set()


def parallel(function, items) -> list:
    """``function`` over ``items`` on a few threads: the engine releases the GIL while it queries."""
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return list(pool.map(function, items))


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


def finish(
    kpi: Kpi, frame: pd.DataFrame, request: Request, catalog: Catalog, level: float, threshold: int
) -> pd.DataFrame:
    """Sums into values: the ratio × unit factor, its interval, the names of the units, and suppression of
    small numbers (a suppressed cell shows no number at all, never a 0)."""
    keys = [output_column(d) for d in request.by] + list(period_column(request.grain))
    if request.grain and not request.by:
        frame = _every_period(frame, request)
    if frame.empty:
        return pd.DataFrame(columns=[*keys, *RESULT_COLUMNS])
    out = frame.copy()
    for column in ("numerator", "denominator", "numerator_sq"):
        if column in out:
            # SUM over no rows is NULL: an empty selection has zero events, not an unknown number
            out[column] = pd.to_numeric(out[column], errors="coerce").astype(float).fillna(0.0)
    if "denominator" not in out:
        out["denominator"] = np.nan
    num, den = out["numerator"].to_numpy(), out["denominator"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        value = num if kpi.denominator is None else np.where(den != 0, num / den, np.nan)
    value = value * kpi.factor
    low = high = np.full(len(out), np.nan)
    if kpi.ci == "wilson":
        low, high = stats.wilson_interval(num, den, level)
    elif kpi.ci == "rate":
        low, high = stats.rate_interval(num, den, level)
    elif kpi.ci == "count":
        low, high = stats.poisson_interval(num, level)
    elif kpi.ci == "mean":
        low, high = stats.mean_interval(
            num, out.get("numerator_sq", pd.Series(np.nan)).to_numpy(), den, level
        )
    out["value"] = value
    out["ci_low"] = np.asarray(low) * (kpi.factor if kpi.ci in ("wilson", "rate") else 1)
    out["ci_high"] = np.asarray(high) * (kpi.factor if kpi.ci in ("wilson", "rate") else 1)
    suppressed = np.zeros(len(out), dtype=bool)
    if kpi.count_based:
        suppressed |= (num > 0) & (num < threshold)
    if kpi.ci in ("wilson", "mean"):
        suppressed |= (den > 0) & (den < threshold)  # an empty selection has nothing to protect
    out["suppressed"] = suppressed
    # A suppressed cell shows no number at all: not its count, not a rate that reveals it, never a 0.
    out.loc[suppressed, ["numerator", "denominator", "value", "ci_low", "ci_high"]] = np.nan
    if request.by:
        first = request.by[0]
        out["name"] = [catalog.name(first, code) for code in out[output_column(first)]]
    else:
        out["name"] = None  # the whole selection; the command line and the UI say so in words
    if request.grain:
        out[request.grain] = pd.to_datetime(out[request.grain]).dt.date
    out = out.sort_values(keys).reset_index(drop=True) if keys else out
    return out[[*keys, *RESULT_COLUMNS]]


def _every_period(frame: pd.DataFrame, request: Request) -> pd.DataFrame:
    """A series has a row for every period: a period without events has a numerator of 0, not a gap."""
    periods = [label for label, _window in period_windows(request.filters, request.grain)]
    if not frame.empty:
        frame = frame.assign(**{request.grain: pd.to_datetime(frame[request.grain]).dt.date})
    full = pd.DataFrame({request.grain: periods})
    merged = full.merge(frame, on=request.grain, how="left") if not frame.empty else full
    for column in ("numerator", "denominator"):
        merged[column] = merged[column].fillna(0.0) if column in merged else 0.0
    return merged


def kpi_values(
    database_url: str, request: Request, level: float = 0.95, threshold: int = SUPPRESSION_THRESHOLD
) -> pd.DataFrame:
    """Values of one KPI by the request's dimensions and time grain (cached).

    Raises:
        UserFacingError (incl. NotApplicable): unknown KPI, dimension or code, or a breakdown the KPI cannot
            honour; the message is meant for the user.
    """
    kpi = get_kpi(request.kpi_id)
    catalog = get_catalog(database_url)
    catalog.validate(request.filters)
    check_one_grouper_version(kpi, request, catalog)
    key = cache_key("values", (request.key(), level, threshold), request.scope, catalog)
    return cached(
        key,
        lambda: finish(
            kpi,
            fetch(build_plan(kpi, request, catalog.rollups, catalog.optional_columns), database_url),
            request,
            catalog,
            level,
            threshold,
        ),
    )


def raw_sums(database_url: str, request: Request) -> pd.DataFrame:
    """Unsuppressed numerator and denominator sums, for arithmetic only (never shown as they are)."""
    kpi = get_kpi(request.kpi_id)
    catalog = get_catalog(database_url)
    key = cache_key("raw", request.key(), request.scope, catalog)

    def compute() -> pd.DataFrame:
        frame = fetch(build_plan(kpi, request, catalog.rollups, catalog.optional_columns), database_url)
        for column in ("numerator", "denominator"):
            if column in frame:  # a count KPI has no denominator
                frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
        return frame

    return cached(key, compute)


def check_one_grouper_version(kpi: Kpi, request: Request, catalog: Catalog) -> None:
    """Results of different grouper versions are never averaged: a DRG result over a period with cases of
    two versions is refused unless it is broken down by version."""
    columns = set().union(*(p.columns for p in (kpi.numerator, kpi.denominator) if p is not None))
    asked = [*request.by, *(d for d, _ in request.filters.values)]
    columns |= {
        output_column(d) for d in asked if d in DIMENSIONS
    }  # an unknown one is refused by the builder
    if not columns & GROUPER_COLUMNS or "grouper_version" in request.by:
        return
    chosen = dict(request.filters.values).get("grouper_version")
    versions = [
        v
        for v in catalog.versions_between(request.filters.start, request.filters.end)
        if not chosen or v in chosen
    ]
    if len(versions) > 1:
        raise NotApplicable("grouper_versions_mixed", versions=tuple(versions))
