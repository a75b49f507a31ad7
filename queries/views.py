"""Page-level questions answered from the query API: the home page's cards, scorecard and red-red list,
the filter bar's options and the breadcrumb. Plain data out (dicts and DataFrames); no Dash here.
"""

from __future__ import annotations

import hashlib
import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import pandas as pd
import sqlalchemy as sa

from dashboard.cache import cache_get, cache_set
from dashboard.db import get_engine
from dashboard.errors import UserFacingError
from dashboard.schema import kpi_target
from dashboard.state import DRILL_LEVELS, ViewState
from queries.api import comparisons, filters_for, kpi_values
from queries.api import series as kpi_series
from queries.builder import NotApplicable, Request
from queries.catalog import get_catalog
from queries.filters import Filters, add_months, make_filters
from queries.registry import REGISTRY
from queries.stats import classify, unit_outcomes

WORKERS = 4
HOME_KPIS = (
    "primary_care_visit_share",
    "htn_control_rate",
    "dm_control_rate",
    "htn_standardized_management_rate",
    "down_referral_share",
    "referral_completion_rate",
    "avg_outpatient_cost",
    "cmi",
)
CHILD_LEVEL = {
    None: "district",
    "district": "consortium",
    "consortium": "institution",
    "institution": "team",
    "team": "doctor",
    "doctor": None,
}
STATE_FILTERS = {
    "district": "district",
    "consortium": "consortium",
    "institution": "institution",
    "team": "team",
    "doctor": "doctor",
    "disease": "chronic_group",
    "insurance": "insurance_type",
}


@dataclass(frozen=True)
class Selection:
    filters: Filters
    dropped: tuple[str, ...]  # codes in the URL that this warehouse does not know
    level: str | None  # the deepest drill level selected (None = the city)
    code: str | None


def selection(database_url: str, state: ViewState) -> Selection:
    """Filters for a view state; unknown codes are dropped and reported, not fatal."""
    catalog = get_catalog(database_url)
    values, dropped = {}, []
    for attribute, dimension in STATE_FILTERS.items():
        code = getattr(state, attribute)
        if not code:
            continue
        known = catalog.names.get(dimension, {})
        if code in known:
            values[dimension] = code
        else:
            dropped.append(f"{attribute}={code}")
    try:
        filters = filters_for(database_url, state.period, state.start or None, state.end or None, **values)
    except UserFacingError as exc:
        dropped.append(str(exc))
        filters = filters_for(database_url, "last_12_months", **values)
    _drop_inconsistent(catalog, values, dropped)
    deepest = None
    for level in reversed(DRILL_LEVELS):
        if level in values:
            deepest = (level, values[level])
            break
    return Selection(filters, tuple(dropped), *(deepest or (None, None)))


def _drop_inconsistent(catalog, values: dict[str, str], dropped: list[str]) -> None:
    """A unit that does not belong to the selected parent (a hand-edited link) is dropped, not mixed in."""
    institution = values.get("institution")
    if institution:
        district, consortium, _level = catalog.parents["institution"][institution]
        if values.get("district", district) != district or values.get("consortium", consortium) != consortium:
            dropped.append(f"institution={values.pop('institution')}")
    team = values.get("team")
    if team and values.get("institution", catalog.parents["team"][team]) != catalog.parents["team"][team]:
        dropped.append(f"team={values.pop('team')}")
    doctor = values.get("doctor")
    if doctor:
        institution_of, team_of = catalog.parents["doctor"][doctor]
        if (
            values.get("institution", institution_of) != institution_of
            or values.get("team", team_of) != team_of
        ):
            dropped.append(f"doctor={values.pop('doctor')}")


def _targets(database_url: str) -> dict[tuple[str, str, str, int], float]:
    """All targets of the warehouse (a small table), read once per data version."""
    catalog = get_catalog(database_url)
    key = ("targets", database_url, catalog.data_version)
    cached = _view_memo.get(key)
    if cached is None:
        t = kpi_target
        with get_engine(database_url).connect() as conn:
            rows = conn.execute(
                sa.select(t.c.kpi_id, t.c.scope_type, t.c.scope_id, t.c.year, t.c.target)
            ).all()
        cached = {(r[0], r[1], r[2], int(r[3])): float(r[4]) for r in rows}
        _view_memo[key] = cached
    return cached


_view_memo: dict = {}


def target_for(database_url: str, kpi_id: str, sel: Selection) -> float | None:
    """The target for the selected scope (its own if set, else the city's) in the period's last year."""
    year = sel.filters.end.year
    targets = _targets(database_url)
    if sel.level in ("district", "consortium", "institution"):
        own = targets.get((kpi_id, sel.level, sel.code or "", year))
        if own is not None:
            return own
    return next(
        (v for (k, scope, _id, y), v in targets.items() if k == kpi_id and scope == "city" and y == year),
        None,
    )


def whole_quarters(filters: Filters) -> Filters:
    """The calendar quarters lying wholly inside the period (the period itself if it holds none)."""
    start = filters.start
    if (start.month - 1) % 3:
        start = add_months(start.replace(month=3 * ((start.month - 1) // 3) + 1), 3)
    end_first = filters.end.replace(day=1)
    if end_first.month % 3:
        end_first = add_months(end_first.replace(month=3 * ((end_first.month - 1) // 3) + 1), -1)
    if start > end_first:
        return filters
    return make_filters(start, end_first, **dict(filters.values))


def city_filters(filters: Filters) -> Filters:
    """The selection's period and other filters, without its place in the drill-down: the whole city."""
    return filters.without("district", "consortium", "institution", "team", "doctor")


def _parallel(function, items):
    """Run per-KPI work on a few threads: the engine releases the GIL while it queries."""
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return list(pool.map(function, items))


def cached_view(kind: str, database_url: str, state: ViewState, compute):
    """A whole view's data under one cache entry (state + data version): a warm page needs one lookup."""
    catalog = get_catalog(database_url)
    digest = hashlib.sha256(repr((kind, state.to_query(), catalog.data_version, database_url)).encode())
    key = "view:" + digest.hexdigest()
    cached = cache_get(key)
    if cached is None:
        cached = compute()
        cache_set(key, cached)
    return cached


def home_cards(database_url: str, state: ViewState) -> tuple[Selection, list[dict]]:
    """One dict per home KPI: value, CI, target, 同比/环比, benchmark outcome, monthly or quarterly series."""
    return kpi_cards(database_url, state, HOME_KPIS)


def kpi_cards(
    database_url: str, state: ViewState, kpis: tuple[str, ...], extra: tuple[tuple[str, str], ...] = ()
) -> tuple[Selection, list[dict]]:
    """Cards for ``kpis`` in the view ``state``; ``extra`` adds a page's own filters (dimension, code)."""
    kind = "cards:" + ",".join(kpis) + repr(extra)
    sel, cards = cached_view(kind, database_url, state, lambda: _kpi_cards(database_url, state, kpis, extra))
    return sel, [{**card, "kpi_obj": REGISTRY[card["kpi"]]} for card in cards]


def with_extra(sel: Selection, extra: tuple[tuple[str, str], ...]) -> Selection:
    """The selection narrowed by a page's own filters (the visits page's ICD chapter, say)."""
    if not extra:
        return sel
    return replace(sel, filters=sel.filters.replace(**{d: (code,) for d, code in extra}))


def _kpi_cards(database_url: str, state: ViewState, kpis, extra) -> tuple[Selection, list[dict]]:
    sel = with_extra(selection(database_url, state), extra)

    def one(kpi_id: str) -> dict:
        kpi = REGISTRY[kpi_id]
        card = {"kpi": kpi_id}
        try:
            request = Request(kpi_id, sel.filters)
            current = comparisons(database_url, request)
            city_frame = kpi_values(database_url, Request(kpi_id, city_filters(sel.filters)))
            if current.empty or city_frame.empty:  # e.g. a distinct count over no rows at all
                return {**card, "error": "所选范围内没有数据 (no data for this selection)"}
            row, city = current.iloc[0], city_frame.iloc[0]
            if any(p.window for p in (kpi.numerator, kpi.denominator) if p):
                # Per-window KPIs (follow-ups per quarter, managed patients) only mean something over whole
                # quarters: the sparkline shows the complete quarters of the period.
                grain, series_request = "quarter", replace(request, filters=whole_quarters(sel.filters))
            else:
                grain, series_request = "month", request
            series = kpi_series(database_url, series_request, grain)
            card.update(
                value=_num(row["value"]),
                ci_low=_num(row["ci_low"]),
                ci_high=_num(row["ci_high"]),
                numerator=_num(row["numerator"]),
                denominator=_num(row["denominator"]),
                suppressed=bool(row["suppressed"]),
                previous=_num(row["value_previous"]),
                last_year=_num(row["value_last_year"]),
                benchmark=_num(city["value"]),
                target=target_for(database_url, kpi_id, sel),
                series=series[[grain, "value"]].rename(columns={grain: "period"}),
            )
            outcome = classify(
                [row["value"]], [row["ci_low"]], [row["ci_high"]], float(city["value"]), kpi.polarity
            )
            card["outcome"] = str(outcome[0]) if sel.level else "city"
        except NotApplicable as exc:
            card.update(error=str(exc))
        return card

    return sel, _parallel(one, kpis)


def _num(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def scorecard(
    database_url: str, state: ViewState
) -> tuple[Selection, str | None, pd.DataFrame, pd.DataFrame]:
    """Child units of the selection × home KPIs, with outcome against the parent and target status.

    Returns (selection, child level, wide table, red-red list). The red-red list holds units worse than the
    parent whose value also moved the wrong way since the previous period by more than its interval's half-width.
    """
    return cached_view("scorecard", database_url, state, lambda: _scorecard(database_url, state))


def _scorecard(database_url: str, state: ViewState):
    sel = selection(database_url, state)
    child = CHILD_LEVEL[sel.level]
    if child is None:
        return sel, None, pd.DataFrame(), pd.DataFrame()
    frames, red = [], []

    def fetch(kpi_id: str):
        try:
            return comparisons(database_url, Request(kpi_id, sel.filters, (child,)))
        except NotApplicable:
            return None

    for kpi_id, units in zip(HOME_KPIS, _parallel(fetch, HOME_KPIS), strict=True):
        kpi = REGISTRY[kpi_id]
        if units is None:
            continue
        # members are compared with their parent (the current selection), not with the city
        # the same request as the card's: one shared (cached, single-flight) query serves both
        parent = comparisons(database_url, Request(kpi_id, sel.filters)).iloc[0]
        units["outcome"] = unit_outcomes(units, parent["value"], kpi.polarity)
        target = target_for(database_url, kpi_id, sel)
        units["kpi"] = kpi_id
        units["target"] = target
        frames.append(
            units[
                [
                    _key(child),
                    "name",
                    "kpi",
                    "value",
                    "ci_low",
                    "ci_high",
                    "numerator",
                    "denominator",
                    "outcome",
                    "target",
                    "value_previous",
                    "suppressed",
                ]
            ]
        )
        change = units["value"] - units["value_previous"]
        half = (units["ci_high"] - units["ci_low"]) / 2
        worsening = (change < -half) if kpi.polarity == "higher" else (change > half)
        for _, unit in units[(units["outcome"] == "worse") & worsening.fillna(False)].iterrows():
            red.append(
                {
                    "code": unit[_key(child)],
                    "name": unit["name"],
                    "kpi": kpi_id,
                    "value": unit["value"],
                    "previous": unit["value_previous"],
                    "parent": parent["value"],
                }
            )
    long = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if state.lang != "zh" and not long.empty:
        catalog = get_catalog(database_url)
        long["name"] = [catalog.name(child, code, state.lang) for code in long[_key(child)]]
        for entry in red:
            entry["name"] = catalog.name(child, entry["code"], state.lang)
    return sel, child, long, pd.DataFrame(red)


def _key(level: str) -> str:
    from queries.builder import output_column

    return output_column(level)


def filter_options(database_url: str, state: ViewState, lang: str = "zh") -> dict[str, list[dict]]:
    """Options of the cascading filter bar: each level lists only the children of the level above."""
    catalog = get_catalog(database_url)
    names = catalog.names if lang == "zh" else catalog.names_en
    inst_parent = catalog.parents["institution"]  # (district, consortium, level)
    options = {"district": [{"label": names["district"][k], "value": k} for k in sorted(names["district"])]}
    consortia = sorted(names["consortium"])
    if state.district:
        consortia = sorted({p[1] for p in inst_parent.values() if p[0] == state.district and p[1]})
    options["consortium"] = [{"label": names["consortium"][k], "value": k} for k in consortia]
    institutions = [
        k
        for k, p in inst_parent.items()
        if (not state.district or p[0] == state.district)
        and (not state.consortium or p[1] == state.consortium)
    ]
    options["institution"] = [{"label": names["institution"][k], "value": k} for k in sorted(institutions)]
    teams = [
        k for k, inst in catalog.parents["team"].items() if not state.institution or inst == state.institution
    ]
    if not state.institution:
        teams = [k for k in teams if catalog.parents["team"][k] in institutions]
    options["team"] = [{"label": catalog.names["team"][k], "value": k} for k in sorted(teams)]
    for level in ("district", "consortium", "institution", "team"):
        # A code this warehouse does not know stays visible (and in the URL) with a mark, rather than being
        # silently dropped by the dropdown; the page says it was ignored.
        code = getattr(state, level)
        if code and code not in {o["value"] for o in options[level]}:
            options[level].append({"label": f"{code} (?)", "value": code})
    return options


def breadcrumb(database_url: str, state: ViewState, lang: str = "zh") -> list[tuple[str, ViewState]]:
    """(label, view state) from the city down to the deepest selected unit."""
    catalog = get_catalog(database_url)
    crumbs = [("全市" if lang == "zh" else "City", state.up_to(None))]
    for level in DRILL_LEVELS:
        code = getattr(state, level)
        if code:
            crumbs.append((catalog.name(level, code, lang), state.up_to(level)))
    return crumbs


def drill_target(database_url: str, state: ViewState, code: str) -> ViewState | None:
    """The view one level down, into ``code`` (None at the doctor level, where there is nothing below)."""
    child = CHILD_LEVEL[selection(database_url, state).level]
    return state.select(child, code) if child else None


def drill_state(database_url: str, state: ViewState, level: str, code: str) -> ViewState | None:
    """The view re-scoped to the unit ``code`` at ``level`` (a click on a chart), with the unit's own district,
    consortium, institution and team filled in so the breadcrumb shows the whole path; None for an unknown
    unit (a forged click)."""
    catalog = get_catalog(database_url)
    if level not in DRILL_LEVELS or code not in catalog.names.get(level, {}):
        return None
    new = state.select(level, code)
    institution = {"institution": code, "team": None, "doctor": None}.get(level)
    team = ""
    if level == "team":
        institution = catalog.parents["team"][code]
    elif level == "doctor":
        institution, team = catalog.parents["doctor"][code]
    if institution:
        district, consortium, _level = catalog.parents["institution"][institution]
        new = replace(new, district=district, consortium=consortium, institution=institution)
        if level == "doctor":
            new = replace(new, team=team)
    return new
