"""Local DRG payment policy as data: base rate, outlier thresholds, readmission interval, risk-level rule,
level coefficients and grouper version, per pooling region and year, and the capitation warning line, read from a TOML file the user can
replace (``data/policy/drg_policy.toml`` or ``DASHBOARD_POLICY_FILE``).

The file is read again whenever it changes; its fingerprint is part of every cached result's key, so a new
policy never serves numbers computed under the old one.
"""

from __future__ import annotations

import hashlib
import os
import threading
import tomllib
from dataclasses import dataclass
from pathlib import Path

from dashboard.core.errors import UserFacingError
from dashboard.core.paths import DATA_DIR
from dashboard.core.reference import LEVELS

DEFAULT_POLICY_FILE = DATA_DIR / "policy" / "drg_policy.toml"
_NUMBERS = {
    "base_rate": float,
    "k_high": float,
    "k_low": float,
    "high_outlier_top_up": float,
    "readmission_days": int,
}
# Optional keys with the reading the product takes when a file leaves them out.
LOW_OUTLIER_PAYMENTS = (
    "cost",
    "standard",
)  # 低倍率病例: 按实际费用 (at cost) or 按病组标准 (the group's standard)
DEFAULT_LOW_OUTLIER_PAYMENT = "cost"
# Optional keys and their defaults: a file written before they existed stays valid.
DEFAULT_CAPITATION_WARNING_LINE = 0.85  # capitation spend below 85% of the budget: a warning of 推诿


class PolicyError(UserFacingError):
    """The policy file is missing, malformed, or has no entry for what was asked."""


class PolicyYearMissing(PolicyError):
    """The policy file has no entry for a year that was asked (a period before its first year)."""


@dataclass(frozen=True)
class YearPolicy:
    region: str
    year: int
    grouper_version: str
    base_rate: float  # yuan per weight point
    k_high: float
    k_low: float
    high_outlier_top_up: float  # share of the cost above k_high × group mean the fund pays on top
    readmission_days: int
    risk_cut_points: tuple[float, float, float]
    level_coefficients: dict[str, float]
    low_outlier_payment: str = DEFAULT_LOW_OUTLIER_PAYMENT  # how a low-cost outlier is paid: cost | standard
    # capitation spend / budget below this is a warning of under-service (推诿); above 1 is overspend (超支不补)
    capitation_warning_line: float = DEFAULT_CAPITATION_WARNING_LINE


@dataclass(frozen=True)
class PolicyBook:
    """Every year's policy of one file."""

    years: dict[int, YearPolicy]
    fingerprint: str  # hash of the file's bytes
    path: str

    def for_year(self, year: int) -> YearPolicy:
        try:
            return self.years[int(year)]
        except KeyError:
            covered = f"{min(self.years)}–{max(self.years)}" if self.years else "none"
            raise PolicyYearMissing("policy_no_year", year=year, covered=covered) from None

    def covering(self, first_year: int, last_year: int) -> list[YearPolicy]:
        return [self.for_year(y) for y in range(first_year, last_year + 1)]


def capitation_warning_line(year: int) -> float:
    """The capitation warning line in force in ``year``: the policy file's, or the default where the file has
    no entry for the year or there is no file (capitation needs no DRG policy); a malformed file is an error."""
    try:
        return get_policy().for_year(year).capitation_warning_line
    except PolicyError as exc:
        if exc.message.key in ("policy_no_year", "policy_missing_file"):
            return DEFAULT_CAPITATION_WARNING_LINE
        raise


def _entry(raw: dict, path: str, entry: int) -> YearPolicy:
    where = {"path": path, "entry": entry}
    if not isinstance(raw, dict):
        raise PolicyError("policy_not_a_table", **where)
    missing = [
        k
        for k in ("region", "year", "grouper_version", *_NUMBERS, "risk_cut_points", "level_coefficients")
        if k not in raw
    ]
    if missing:
        raise PolicyError("policy_missing", keys=tuple(missing), **where)
    try:
        numbers = {k: kind(raw[k]) for k, kind in _NUMBERS.items()}
        year = int(raw["year"])
        cuts = tuple(float(c) for c in raw["risk_cut_points"])
        coefficients = {str(k): float(v) for k, v in dict(raw["level_coefficients"]).items()}
    except (TypeError, ValueError) as exc:
        raise PolicyError("policy_bad_value", reason=str(exc), **where) from None
    if isinstance(raw["year"], bool) or not 1990 <= year <= 2100:
        raise PolicyError("policy_bad_year", year=raw["year"], **where)
    if numbers["base_rate"] <= 0 or not 0 < numbers["k_low"] < 1 < numbers["k_high"]:
        raise PolicyError("policy_rates", **where)
    if not 0 <= numbers["high_outlier_top_up"] <= 1:
        raise PolicyError("policy_top_up", **where)
    if numbers["readmission_days"] <= 0:
        raise PolicyError("policy_readmission", **where)
    if len(cuts) != 3 or list(cuts) != sorted(cuts):
        raise PolicyError("policy_cut_points", **where)
    if set(coefficients) != set(LEVELS) or min(coefficients.values()) <= 0:
        raise PolicyError("policy_coefficients", levels=LEVELS, **where)
    low_payment = raw.get("low_outlier_payment", DEFAULT_LOW_OUTLIER_PAYMENT)
    if low_payment not in LOW_OUTLIER_PAYMENTS:
        raise PolicyError("policy_low_outlier_payment", choices=LOW_OUTLIER_PAYMENTS, **where)
    warning_line = raw.get("capitation_warning_line", DEFAULT_CAPITATION_WARNING_LINE)
    if (
        isinstance(warning_line, bool)
        or not isinstance(warning_line, int | float)
        or not 0 < warning_line < 1
    ):
        raise PolicyError("policy_warning_line", **where)
    return YearPolicy(
        region=str(raw["region"]),
        year=year,
        grouper_version=str(raw["grouper_version"]),
        risk_cut_points=cuts,
        level_coefficients=coefficients,
        low_outlier_payment=low_payment,
        capitation_warning_line=float(warning_line),
        **numbers,
    )


def parse_policy(data: bytes, path: str = "policy file") -> PolicyBook:
    """A PolicyBook from the TOML text; every problem is one clear PolicyError."""
    try:
        document = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise PolicyError("policy_not_toml", path=path, reason=str(exc)) from None
    entries = document.get("policy")
    if not isinstance(entries, list) or not entries:
        raise PolicyError("policy_no_entries", path=path)
    years: dict[int, YearPolicy] = {}
    for index, raw in enumerate(entries, start=1):
        entry = _entry(raw, path, index)
        if entry.year in years:
            raise PolicyError("policy_year_twice", path=path, year=entry.year)
        years[entry.year] = entry
    regions = {e.region for e in years.values()}
    if len(regions) > 1:
        raise PolicyError("policy_regions", path=path, regions=tuple(sorted(regions)))
    return PolicyBook(years, hashlib.sha256(data).hexdigest()[:16], path)


_lock = threading.Lock()
_loaded: dict[str, tuple[tuple, PolicyBook]] = {}


def policy_path() -> Path:
    return Path(os.environ.get("DASHBOARD_POLICY_FILE") or DEFAULT_POLICY_FILE)


def get_policy() -> PolicyBook:
    """The current policy file's book, re-read when the file's size or modification time changes."""
    path = policy_path()
    try:
        stat = path.stat()
    except OSError:
        raise PolicyError("policy_missing_file", path=str(path)) from None
    stamp = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
    with _lock:
        cached = _loaded.get(str(path))
        if cached is None or cached[0] != stamp:
            cached = (stamp, parse_policy(path.read_bytes(), str(path)))
            _loaded[str(path)] = cached
        return cached[1]
