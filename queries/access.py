"""Who sees what (DOMAIN §11), as data the queries obey: a viewer's role and scope code become a ``Scope``,
and a unit is inside a scope or not.

The scope is applied on the server, in the query layer: a page or a callback cannot forget it, because every
``View`` carries it into the statements, the cache keys, the filter options, the drill targets and the
breadcrumb (``queries.selection``).
"""

from __future__ import annotations

import os
from collections import Counter
from functools import lru_cache

from dashboard.core.db import check_warehouse, get_engine
from queries.kpi.catalog import Catalog, get_catalog
from queries.kpi.filters import EVERYTHING, Scope

UNIT_LEVELS = ("district", "consortium", "institution", "team", "doctor")
NOTHING = Scope.of(institutions=("~none",), label="none")  # no account, or a role without its scope
__all__ = ["EVERYTHING", "NOTHING", "Scope", "in_scope", "scope_for", "visible_institutions"]


def scope_for(database_url: str, role: str, scope_type: str | None, scope_id: str | None) -> Scope:
    """The data scope of a role with its scope code (a code the warehouse no longer knows sees nothing)."""
    if role in ("admin", "city"):
        return EVERYTHING
    if role == "insurance":
        return Scope(doctors=False, label="insurance")
    code = scope_id or ""
    catalog = get_catalog(database_url)
    if role == "district" and scope_type == "district":
        return Scope.of(districts=(code,), label=f"district={code}")
    if role == "consortium" and scope_type == "consortium":
        return Scope.of(
            consortia=(code,), catchment=_districts_of(catalog, 1, code), label=f"consortium={code}"
        )
    if role == "hospital" and scope_type == "institution":
        return Scope.of(
            institutions=(code,), catchment=_districts_of(catalog, 2, code), label=f"institution={code}"
        )
    return NOTHING  # a role without the scope it needs sees nothing rather than everything


def _districts_of(catalog: Catalog, position: int, code: str) -> tuple[str, ...]:
    """The district most of a consortium's (position 1) or an institution's (position 2) members lie in."""
    if position == 2:
        parent = catalog.parents["institution"].get(code)
        return (parent[0],) if parent else ()
    counts = Counter(d for d, c, _level in catalog.parents["institution"].values() if c == code)
    return (counts.most_common(1)[0][0],) if counts else ()


def in_scope(catalog: Catalog, scope: Scope, level: str, code: str) -> bool:
    """Whether the unit ``code`` at ``level`` lies inside ``scope``. A district is inside if the scope names
    it, or if the viewer's own units lie in it (a consortium's or a hospital's district, which a link to one
    of their units carries for the breadcrumb: their views stay at their own unit all the same)."""
    if level == "doctor" and not scope.doctors:
        return False
    if scope.unrestricted:
        return True
    if level == "district":
        if scope.districts:
            return code in scope.districts
        return any(
            p[0] == code and (i in scope.institutions or p[1] in scope.consortia)
            for i, p in catalog.parents["institution"].items()
        )
    if level == "consortium":
        if code in scope.consortia:
            return True
        members = [p for p in catalog.parents["institution"].values() if p[1] == code]
        return bool(members) and all(p[0] in scope.districts for p in members)
    if level == "team":
        institution = catalog.parents["team"].get(code)
        return institution is not None and in_scope(catalog, scope, "institution", institution)
    if level == "doctor":
        parent = catalog.parents["doctor"].get(code)
        return parent is not None and in_scope(catalog, scope, "institution", parent[0])
    parent = catalog.parents["institution"].get(code)
    if parent is None:
        return False
    district, consortium, _level = parent
    return code in scope.institutions or consortium in scope.consortia or district in scope.districts


def visible_institutions(catalog: Catalog, scope: Scope) -> frozenset[str]:
    """The institutions a scope may name."""
    return frozenset(i for i in catalog.parents["institution"] if in_scope(catalog, scope, "institution", i))


def scope_root(scope: Scope) -> tuple[str, str] | None:
    """The unit a scoped viewer's views start from: (level, code), or None for the whole city."""
    if scope.institutions:
        return "institution", scope.institutions[0]
    if scope.consortia:
        return "consortium", scope.consortia[0]
    if scope.districts:
        return "district", scope.districts[0]
    return None


def unit_of(database_url: str, scope_type: str | None, scope_id: str | None, lang: str = "zh") -> str | None:
    """The name of a user's own unit (their district, consortium or institution), None without one."""
    if not scope_type or not scope_id:
        return None
    return get_catalog(database_url).name(scope_type, scope_id, lang) or scope_id


def peers_named() -> bool:
    """``DASHBOARD_PEERS_NAMED=1``: a hospital's report names its peers (the deployment's choice, §11)."""
    return os.environ.get("DASHBOARD_PEERS_NAMED") == "1"


@lru_cache(maxsize=16)
def _demo_by_version(database_url: str, data_version: str) -> bool:
    return check_warehouse(get_engine(database_url)).get("source") == "demo"


def is_demo_warehouse(database_url: str) -> bool:
    """Whether the warehouse served is the demo city (its demo users may log in), not loaded data."""
    try:
        return _demo_by_version(database_url, get_catalog(database_url).data_version)
    except Exception:  # no warehouse to read: certainly not one to let demo users into
        return False
