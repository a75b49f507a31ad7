"""What a unit is compared with, chosen once per view and named wherever a verdict is shown (DOMAIN.md §5).

A comparator is one of:

- ``city``: the whole city (the view's period and other filters, without its place in the drill-down);
- ``parent``: the selection the units make up (a district for its consortia, a consortium for its members);
  at the city level the parent is the city, and is called so;
- ``peers``: units of the same kind city-wide: urban or rural districts, consortia of the same type, and
  institutions (teams, doctors) of the same level.

Institutions, and the teams and doctors that work in them, are compared within their level whatever the
comparator: a village clinic is never held against a tertiary hospital. Their comparator value is the
comparator's value over the institutions of their own level (the city's tertiary hospitals, the district's
township health centres …); every frame says which group a unit was compared in (``comparator_group``).

The comparator's value is pooled (Σnumerator / Σdenominator), or, standardised, the comparator's crude rate
with the units' rates indirectly standardised to the comparator's age × sex rates (for peers: the group's
pooled O/E × the city's crude rate). Each unit's outcome comes from ``kpi_outcomes`` (its interval against
the comparator, through the KPI's polarity); a funnel's from its control limits (``funnel_groups``), limits
that may be widened for overdispersion (Spiegelhalter 2005).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from dashboard.core.messages import Term
from dashboard.core.state import DRILL_LEVELS
from queries.comparisons import kpi_outcomes, standardised
from queries.execution import kpi_values
from queries.kpi import stats
from queries.kpi.builder import NotApplicable, Request, output_column
from queries.kpi.catalog import Catalog, get_catalog
from queries.kpi.filters import Filters
from queries.kpi.registry import Kpi, get_kpi
from queries.selection import city_filters

KINDS = ("city", "parent", "peers")
# the view state's ``compare`` -> the comparator kind
STATE_KINDS = {"": "city", "city": "city", "parent": "parent", "peer": "peers", "peers": "peers"}
LIMITS = ("overdispersed", "plain")
DEFAULT_LIMITS = "overdispersed"
LEVEL_GROUPED = ("institution", "team", "doctor")  # compared within the level of their institution
COMPARATOR_COLUMNS = ["comparator_kind", "comparator_name", "comparator_group", "comparator"]
OE_COLUMNS = ["crude", "observed", "expected", "ratio", "ratio_low", "ratio_high"]
FUNNEL_KIND = {"wilson": "proportion", "rate": "rate", "mean": "mean"}


def kind_of(compare: str | None) -> str:
    """The comparator kind a view's ``compare`` value (or the command line's ``--comparator``) names."""
    return STATE_KINDS.get(compare or "", "city")


def unit_groups(
    catalog: Catalog, dimension: str | None, kind: str
) -> tuple[dict[str, str] | None, str | None]:
    """Each unit's comparison group and what the groups are: (code -> group, "level" | "urban_rural" |
    "consortium_type"), or (None, None) when the units are compared with one value."""
    if dimension in LEVEL_GROUPED:
        institutions = catalog.parents.get("institution", {})
        level = {code: parent[2] for code, parent in institutions.items()}
        if dimension == "team":
            level = {team: level.get(inst) for team, inst in catalog.parents.get("team", {}).items()}
        elif dimension == "doctor":
            level = {doc: level.get(inst) for doc, (inst, _t) in catalog.parents.get("doctor", {}).items()}
        return level, "level"
    if kind != "peers":
        return None, None
    if dimension == "district":
        return dict(catalog.parents.get("district", {})), "urban_rural"
    if dimension == "consortium" and catalog.parents.get("consortium"):
        return dict(catalog.parents["consortium"]), "consortium_type"
    raise NotApplicable("no_peers", dimension=Term("dimension", dimension or "all"))


def _parent(filters: Filters) -> tuple[str, str] | None:
    """The unit the selection is (its deepest drill level with a single code), if it is one unit."""
    for level in reversed(DRILL_LEVELS):
        codes = filters.get(level)
        if codes:
            return (level, codes[0]) if len(codes) == 1 else None
    return None


def _group_filters(
    scope: Filters, dimension: str, grouped_by: str, codes: tuple[str, ...], group: str
) -> Filters | None:
    """The comparator's filters narrowed to one group: a level, or the group's units (within any units the
    filters already choose); None when nothing is left."""
    if grouped_by == "level":
        chosen = scope.get("level")
        return scope.replace(level=(group,)) if not chosen or group in chosen else None
    chosen = scope.get(dimension)
    kept = tuple(c for c in codes if not chosen or c in chosen)
    return scope.replace(**{dimension: kept}) if kept else None


def compare_units(
    database_url: str,
    request: Request,
    kind: str = "city",
    adjust: str = "crude",
    lang: str = "zh",
    level: float = 0.95,
) -> tuple[pd.DataFrame, dict]:
    """The request's units (``request.by``: one dimension, or none for the selection as one unit) with their
    comparator and outcome.

    Returns:
        (frame, meta). The frame has the result columns (``value``/``ci_low``/``ci_high`` the adjusted rate
        and its interval when standardised, with the O/E columns after them), then ``comparator_kind``,
        ``comparator_name`` (the parent's name), ``comparator_group`` (the unit's level, urban/rural or
        consortium type, when compared within a group), ``comparator`` (the value) and ``outcome``. ``meta``
        says the same for the whole: kind, name, grouped_by, method.
    """
    kpi = get_kpi(request.kpi_id)
    catalog = get_catalog(database_url)
    dimension = request.by[0] if request.by else None
    if request.grain or len(request.by) > 1:
        raise NotApplicable("comparator_needs_units")
    parent = _parent(request.filters)
    if kind == "parent" and parent is None:
        kind = "city"  # the parent of the city's units is the city, and is called so
    groups, grouped_by = unit_groups(catalog, dimension, kind)
    scope = request.filters if kind == "parent" else city_filters(request.filters)
    key = output_column(dimension) if dimension else None
    if adjust == "standardised":
        frame = _standardised(database_url, request, kpi, kind, scope, groups, grouped_by, level)
    else:
        frame = kpi_values(database_url, request, level)
        frame["comparator_group"] = [groups.get(c) for c in frame[key]] if groups else None
        frame["comparator"] = _pooled(database_url, request, kpi, scope, dimension, groups, grouped_by, frame)
    frame["comparator_kind"] = kind
    name = catalog.name(parent[0], parent[1], lang) if kind == "parent" and parent else None
    frame["comparator_name"] = name
    frame["outcome"] = kpi_outcomes(frame, np.asarray(frame["comparator"], dtype=float), kpi, request.filters)
    leading = [key] if key else []
    result = ["name", "numerator", "denominator", "value", "ci_low", "ci_high", "suppressed"]
    extra = [*OE_COLUMNS, "comparator_ratio"] if adjust == "standardised" else []
    frame = frame[[*leading, *result, *extra, *COMPARATOR_COLUMNS, "outcome"]]
    meta = {
        "kind": kind,
        "name": name,
        "grouped_by": grouped_by,
        "method": "standardised" if adjust == "standardised" else "crude",
    }
    return frame.reset_index(drop=True), meta


def _pooled(database_url, request, kpi, scope, dimension, groups, grouped_by, frame) -> list[float]:
    """The comparator's pooled value for each unit of ``frame`` (its group's, when grouped)."""

    def value(filters: Filters | None) -> float:
        if filters is None:
            return float("nan")
        # a comparator is an aggregate over the whole city (or a group of it), whatever the viewer's scope
        pooled = kpi_values(database_url, Request(kpi.id, filters, (), None, request.scope.widened()))
        return float(pooled["value"].iloc[0]) if len(pooled) else float("nan")

    if not groups:
        return [value(scope)] * len(frame)
    members: dict[str, list[str]] = {}
    for code, group in groups.items():
        members.setdefault(group, []).append(code)
    values = {
        group: value(_group_filters(scope, dimension, grouped_by, tuple(sorted(codes)), group))
        for group, codes in members.items()
        if group in set(frame["comparator_group"])
    }
    return [values.get(g, float("nan")) for g in frame["comparator_group"]]


def _standardised(database_url, request, kpi, kind, scope, groups, grouped_by, level) -> pd.DataFrame:
    """Units indirectly standardised to the comparator (each group's, when grouped by level), with the
    comparator's value on the same scale."""
    dimension = request.by[0] if request.by else None
    key = output_column(dimension) if dimension else None
    peers = kind == "peers" and grouped_by != "level"
    if groups and not peers:  # within level: each group standardised to the comparator's own level
        present = standardised(database_url, request, level, scope)[key].map(groups)
        parts = []
        for group in sorted({g for g in present if isinstance(g, str)}):
            codes = tuple(sorted(c for c, g in groups.items() if g == group))
            reference = _group_filters(scope, dimension, grouped_by, codes, group)
            if reference is None:
                continue
            part = standardised(database_url, request, level, reference)
            parts.append(part[part[key].map(groups) == group].assign(comparator_group=group))
        if parts:
            frame = pd.concat(parts, ignore_index=True)
        else:  # no unit with a group (an institution without teams): nothing to standardise, an empty frame
            frame = standardised(database_url, request, level, scope)
            frame["comparator_group"] = [groups.get(c) for c in frame[key]]
        frame["comparator"] = frame["reference_crude"]
    else:
        frame = standardised(database_url, request, level, scope)
        frame["comparator_group"] = [groups.get(c) for c in frame[key]] if groups else None
        frame["comparator"] = frame["reference_crude"]
        if peers:  # each group's pooled O/E over its units city-wide, on the city's scale
            city_request = replace(
                request, filters=scope, scope=request.scope.widened()
            )  # summed, never shown
            city = standardised(database_url, city_request, level, scope, withhold=False)
            city["group"] = city[key].map(groups)
            sums = city.groupby("group")[["observed", "expected"]].sum()
            ratio = sums["observed"] / sums["expected"]
            frame["comparator"] = frame["comparator_group"].map(ratio) * frame["reference_crude"]
    frame["comparator_ratio"] = frame["comparator"] / frame["reference_crude"]
    frame = frame.rename(columns={"adjusted": "value", "adjusted_low": "ci_low", "adjusted_high": "ci_high"})
    frame["numerator"] = frame["observed"]  # the unit's own events and people; the value is adjusted
    if "name" not in frame:
        frame["name"] = None
    return frame


def funnel_groups(
    frame: pd.DataFrame,
    kpi: Kpi,
    limits: str = DEFAULT_LIMITS,
    x: str = "denominator",
    y: str = "value",
    population: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, list[dict]]:
    """Control limits for the units of ``frame`` (from ``compare_units``), one funnel per comparator group,
    around the group's comparator, and each unit's verdict by its 99.8% limits.

    ``x`` is the units' size (people, cases, or expected events of a standardised rate) and ``y`` their value
    (a rate in the KPI's unit, or an O/E ratio); ``limits`` "overdispersed" widens the limits by Spiegelhalter's
    additive random effects where the units are overdispersed, "plain" never does. The between-unit variance
    is estimated over ``population`` (every unit of the comparator: the city's, when the funnel shows one
    district's), by default the units shown.

    Returns:
        (units with outside_95, outside_99.8, the 99.8% limits at their size and ``outcome``; one dict per
        group: group, benchmark, sizes, limits {"95": (low, high), "99.8": …}, phi, tau2).
    """
    ratio = y == "ratio"
    kind = "rate" if ratio else FUNNEL_KIND.get(kpi.ci)
    if kind is None:
        raise NotApplicable("no_funnel", kpi=kpi.name)
    factor = 1.0 if ratio else kpi.factor

    def usable(rows: pd.DataFrame) -> pd.DataFrame:
        rows = rows[~rows["suppressed"].astype(bool)].dropna(subset=[y, x])
        return rows[rows[x] > 0].copy()

    units = usable(frame)
    population = units if population is None else usable(population)
    centre = "comparator_ratio" if ratio else "comparator"
    groups, parts = [], []
    for (group, benchmark), part in units.groupby(
        [units["comparator_group"].fillna(""), units[centre]], sort=True, dropna=False
    ):
        part = part.copy()
        size, target = part[x].to_numpy(float), benchmark / factor
        peers = population[population["comparator_group"].fillna("") == group]
        peers = part if peers.empty else peers
        spread = None
        if kind == "mean":  # the unit-level standard deviation, from the units' own intervals
            spread = float(
                np.nanmedian(
                    (peers["ci_high"] - peers["ci_low"]) / (2 * 1.96) * np.sqrt(peers[x].astype(float))
                )
            )
        phi, tau2 = float("nan"), 0.0
        if limits == "overdispersed":
            peer_size = peers[x].to_numpy(float)
            errors = stats.funnel_standard_errors(kind, target, peer_size, spread)
            phi, tau2 = stats.overdispersion(peers[y].to_numpy(float) / factor, target, errors)
        sizes = np.unique(np.geomspace(max(1.0, size.min()), max(2.0, size.max()), 60))
        drawn = {}
        for label, lv in stats.LEVELS.items():
            low, high = stats.funnel_limits(kind, target, sizes, lv, spread, tau2)
            drawn[label] = ((np.asarray(low) * factor).tolist(), (np.asarray(high) * factor).tolist())
            low, high = stats.funnel_limits(kind, target, size, lv, spread, tau2)
            low, high = np.asarray(low) * factor, np.asarray(high) * factor
            part[f"outside_{label}"] = (part[y] < low) | (part[y] > high)
            part[f"limit_low_{label}"], part[f"limit_high_{label}"] = low, high
        part["outcome"] = stats.funnel_outcomes(
            part[y], part["limit_low_99.8"], part["limit_high_99.8"], kpi.polarity
        )
        parts.append(part)
        groups.append(
            {
                "group": group or None,
                "benchmark": float(benchmark),
                "sizes": sizes.tolist(),
                "limits": drawn,
                "phi": phi,
                "tau2": tau2,
            }
        )
    out = pd.concat(parts) if parts else units.assign(outcome=[])
    return out.sort_index().reset_index(drop=True), groups


def compared_funnel(
    database_url: str,
    request: Request,
    kind: str = "city",
    adjust: str = "crude",
    limits: str = DEFAULT_LIMITS,
    lang: str = "zh",
) -> tuple[pd.DataFrame, list[dict], dict, pd.DataFrame]:
    """The request's units on funnels around the comparator (``compare_units`` then ``funnel_groups``), the
    overdispersion estimated over every unit of the comparator (the city's units of the same kind when the
    comparator is the city or peers, the units shown when it is the parent).

    Returns:
        (funnel units, groups, comparator meta, the compared units with the suppressed ones).
    """
    kpi = get_kpi(request.kpi_id)
    frame, meta = compare_units(database_url, request, kind, adjust, lang)
    x, y = ("expected", "ratio") if adjust == "standardised" else ("denominator", "value")
    population = None
    scope = city_filters(request.filters)
    if limits == "overdispersed" and meta["kind"] != "parent" and scope != request.filters:
        # the city's units of the kind, for the overdispersion only (never shown): whatever the viewer's scope
        city_request = replace(request, filters=scope, scope=request.scope.widened())
        population, _ = compare_units(database_url, city_request, meta["kind"], adjust, lang)
    units, groups = funnel_groups(frame, kpi, limits, x, y, population)
    return units, groups, meta, frame


FUNNEL_COLUMNS = {
    "limit_low_95": "funnel_low_95",
    "limit_high_95": "funnel_high_95",
    "limit_low_99.8": "funnel_low_998",
    "limit_high_99.8": "funnel_high_998",
    "outcome": "funnel_outcome",
}


def comparison_table(
    database_url: str,
    request: Request,
    comparator: str | None = None,
    adjust: str = "crude",
    limits: str | None = None,
) -> pd.DataFrame:
    """The command line's twin of the district page and the funnels: the request's units with the result
    columns first (standardised: the adjusted rate as ``value`` with its interval, the unit's own events and
    people as numerator and denominator), then the O/E columns (standardised), then the comparator and the
    outcome (with ``comparator``), then each unit's funnel limits at its size and its funnel verdict (with
    ``limits``; on the ratio's scale when standardised). Without a comparator the city is the reference."""
    frame, _meta = compare_units(database_url, request, kind_of(comparator), adjust)
    key = frame.columns[0] if request.by else None
    columns = [c for c in frame.columns if c not in (*COMPARATOR_COLUMNS, "outcome", "comparator_ratio")]
    if comparator:
        columns += [
            *COMPARATOR_COLUMNS,
            *(["comparator_ratio"] if adjust == "standardised" else []),
            "outcome",
        ]
    table = frame[columns].copy()
    if limits:
        if key is None:
            raise NotApplicable("comparator_needs_units")
        units, groups, _meta, _frame = compared_funnel(
            database_url, request, kind_of(comparator), adjust, limits
        )
        tau2 = {g["group"] or "": g["tau2"] for g in groups}
        funnel = units[[key, *FUNNEL_COLUMNS]].rename(columns=FUNNEL_COLUMNS)
        funnel["funnel_tau2"] = [tau2.get(g or "", 0.0) for g in units["comparator_group"]]
        table = table.merge(funnel, on=key, how="left")
    return table
