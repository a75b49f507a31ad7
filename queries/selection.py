"""From what the viewer asked (the view state in the URL, their data scope) to what is queried: validated
filters over a whole-month period, the drill level, the units one level down, the filter bar's options, the
breadcrumb and the view after a click.

Codes the warehouse does not know, and units that do not belong to the selected parent (a hand-edited link),
are dropped and reported, never fatal and never mixed in.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from dashboard.core.errors import UserFacingError
from dashboard.core.messages import Message
from dashboard.core.months import add_months, month_end, parse_month, quarter_start
from dashboard.core.state import DEFAULT_PERIOD, DRILL_LEVELS, PERIODS, ViewState
from queries.access import in_scope, scope_root
from queries.kpi.catalog import Catalog, get_catalog
from queries.kpi.filters import EVERYTHING, Filters, Scope, make_filters

RELATIVE_PERIODS = (*PERIODS, "ytd")  # "ytd": the CLI's older name for this_year
CHILD_LEVEL = {
    None: "district",
    "district": "consortium",
    "consortium": "institution",
    "institution": "team",
    "team": "doctor",
    "doctor": None,
}
# view-state field -> the filter dimension it sets
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
class View:
    """Who asks what of which warehouse: the view state from the URL and the viewer's data scope."""

    database_url: str
    state: ViewState
    scope: Scope = EVERYTHING
    confined: tuple[str, ...] = ()  # URL parameters (their names) dropped because they lie outside the scope
    # the page may show a district official the whole city's districts (the commission's league tables)
    city_open: bool = False


def confine(view: View) -> View:
    """The view kept inside the viewer's scope: a unit outside it (a hand-edited link, a forged request) is
    dropped and remembered for a notice; a scoped viewer's view starts at their own unit (a consortium
    director's home is their consortium), with its parents filled in for the breadcrumb."""
    scope = view.scope
    if scope.unrestricted and scope.doctors:
        return view
    catalog = get_catalog(view.database_url)
    state, confined = view.state, list(view.confined)
    for level in DRILL_LEVELS:
        code = getattr(state, level)
        # a code this warehouse does not know at this level goes too: a scoped viewer's links name only
        # their own units (the code may be another level's, outside the scope)
        if code and not (catalog.knows(level, code) and in_scope(catalog, scope, level, code)):
            confined.append(level)  # the level only: the notice must not repeat a code the viewer may not see
            state = replace(state, **{lv: "" for lv in DRILL_LEVELS[DRILL_LEVELS.index(level) :]})
            break
    if state.pair and not all(
        catalog.knows("institution", code) and in_scope(catalog, scope, "institution", code)
        for code in state.pair.split("~")
    ):
        confined.append("pair")
        state = replace(state, pair="")
    root = scope_root(scope)
    at_city = view.city_open and root is not None and root[0] == "district" and state.deepest() is None
    if root and not getattr(state, root[0]) and not at_city:
        filled = drill_state(View(view.database_url, state), *root)
        state = filled if filled is not None else state
    return View(view.database_url, state, scope, tuple(confined), view.city_open)


@dataclass(frozen=True)
class Selection:
    """A view resolved against the warehouse: the filters to query with, and where in the drill-down it is."""

    database_url: str
    filters: Filters
    scope: Scope
    lang: str
    dropped: tuple[str, ...]  # parameters of the URL that were ignored (unknown or inconsistent codes)
    level: str | None  # the deepest drill level selected (None = the city)
    code: str | None
    notes: tuple[
        Message, ...
    ] = ()  # what the viewer should know about the selection (a period cut to the data)

    @property
    def child(self) -> str | None:
        """The drill level below the selection (None below a doctor)."""
        return CHILD_LEVEL[self.level]


@dataclass(frozen=True)
class Period:
    """A whole-month period within the data, and whether it had to be cut to the data's months."""

    start: dt.date
    end: dt.date
    clamped: bool = False


def resolve_period(
    data_start: dt.date,
    data_end: dt.date,
    period: str | None = None,
    from_month: str | None = None,
    to_month: str | None = None,
) -> Period:
    """Whole-month (start, end) from explicit months or a relative period anchored on the data's last month,
    cut to the data's months (a period reaching past them is clamped and says so).

    Relative periods are relative to the data, not to today: a warehouse loaded last month still shows a
    full "last 12 months".

    Raises:
        UserFacingError: a malformed or reversed period, or one that lies wholly outside the data.
    """
    first, last = data_start.replace(day=1), data_end.replace(day=1)
    if from_month or to_month:
        start = parse_month(from_month) if from_month else first
        end_month = parse_month(to_month) if to_month else last
    else:
        period = period or DEFAULT_PERIOD
        if period not in RELATIVE_PERIODS:
            raise UserFacingError("unknown_period", period=period, periods=RELATIVE_PERIODS)
        # the last whole calendar quarter of the data (the data's last month may be mid-quarter)
        quarter_last = add_months(quarter_start(add_months(last, 1)), -1)
        start, end_month = {
            "this_year": (dt.date(last.year, 1, 1), last),
            "ytd": (dt.date(last.year, 1, 1), last),
            "last_month": (last, last),
            "last_quarter": (add_months(quarter_last, -2), quarter_last),
            "last_12_months": (add_months(last, -11), last),
            "last_year": (dt.date(last.year - 1, 1, 1), dt.date(last.year - 1, 12, 1)),
            "all": (first, last),
        }[period]
    if start > end_month:
        raise UserFacingError("period_reversed", start=f"{start:%Y-%m}", end=f"{end_month:%Y-%m}")
    if end_month < first or start > last:
        raise UserFacingError(
            "period_outside_data",
            start=f"{start:%Y-%m}",
            end=f"{end_month:%Y-%m}",
            data_start=f"{first:%Y-%m}",
            data_end=f"{last:%Y-%m}",
        )
    # clamped before the month's end is taken: a month past the data (even past year 9999) never becomes a date
    clamped = start < first or end_month > last
    return Period(max(start, first), month_end(min(end_month, last)), clamped)


def period_of(
    database_url: str, period: str | None = None, from_month: str | None = None, to_month: str | None = None
) -> Period:
    """The period asked for, resolved against the warehouse's data and cut to it."""
    catalog = get_catalog(database_url)
    return resolve_period(catalog.period_start, catalog.period_end, period, from_month, to_month)


def clamp_note(resolved: Period) -> Message | None:
    """What to tell the viewer when the period had to be cut to the data."""
    if not resolved.clamped:
        return None
    return Message.of("period_clamped", start=f"{resolved.start:%Y-%m}", end=f"{resolved.end:%Y-%m}")


def filters_for(
    database_url: str,
    period: str | None = None,
    from_month: str | None = None,
    to_month: str | None = None,
    **values,
) -> Filters:
    """Filters with the period resolved against (and cut to) the warehouse's data period and codes validated."""
    catalog = get_catalog(database_url)
    resolved = period_of(database_url, period, from_month, to_month)
    filters = make_filters(resolved.start, resolved.end, **values)
    catalog.validate(filters)
    return filters


def selection(view: View, extra: tuple[tuple[str, str], ...] = ()) -> Selection:
    """The filters for a view; ``extra`` adds a page's own filters (the visits page's ICD-10 chapter, the DRG
    page's group) as (dimension, code) pairs."""
    view = confine(view)
    state = view.state
    catalog = get_catalog(view.database_url)
    values, dropped = {}, []
    for attribute, dimension in STATE_FILTERS.items():
        code = getattr(state, attribute)
        if not code:
            continue
        if catalog.knows(dimension, code):
            values[dimension] = code
        else:
            dropped.append(f"{attribute}={code}")
    _drop_inconsistent(catalog, values, dropped)
    try:
        resolved = period_of(view.database_url, state.period, state.start or None, state.end or None)
    except UserFacingError:  # outside the data: the default period, and the link's period reported
        dropped.append(
            f"period={state.period}" if not state.start else f"start={state.start}&end={state.end}"
        )
        resolved = period_of(view.database_url, DEFAULT_PERIOD)
    note = clamp_note(resolved)
    filters = make_filters(resolved.start, resolved.end, **values)
    if extra:
        filters = filters.replace(**{dimension: (code,) for dimension, code in extra})
    deepest = next(((level, values[level]) for level in reversed(DRILL_LEVELS) if level in values), None)
    notes = (note,) if note else ()
    if view.confined:
        notes += (Message.of("out_of_scope", what=", ".join(view.confined)),)
    return Selection(
        view.database_url,
        filters,
        view.scope,
        state.lang,
        tuple(dropped),
        *(deepest or (None, None)),
        notes=notes,
    )


def _drop_inconsistent(catalog: Catalog, values: dict[str, str], dropped: list[str]) -> None:
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


def whole_quarters(filters: Filters) -> Filters:
    """The calendar quarters lying wholly inside the period (the period itself if it holds none)."""
    start = filters.start
    if start != quarter_start(start):
        start = add_months(quarter_start(start), 3)
    end_first = filters.end.replace(day=1)
    if end_first.month % 3:
        end_first = add_months(quarter_start(end_first), -1)
    if start > end_first:
        return filters
    return make_filters(start, end_first, **dict(filters.values))


def since_data_start(database_url: str, filters: Filters) -> Filters:
    """The same filters from the first month of the data to the end of the period."""
    start = get_catalog(database_url).period_start
    return make_filters(start, filters.end.replace(day=1), **dict(filters.values))


def city_filters(filters: Filters) -> Filters:
    """The selection's period and other filters, without its place in the drill-down: the whole city."""
    return filters.without(*DRILL_LEVELS)


def filter_options(view: View) -> dict[str, list[dict]]:
    """Options of the cascading filter bar: each level lists only the children of the level above, and only
    units inside the viewer's scope."""
    view = confine(view)
    state, lang = view.state, view.state.lang
    catalog = get_catalog(view.database_url)
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
    if not view.scope.unrestricted:
        for level in ("district", "consortium", "institution", "team"):
            options[level] = [o for o in options[level] if in_scope(catalog, view.scope, level, o["value"])]
    for level in ("district", "consortium", "institution", "team"):
        # A code this warehouse does not know stays visible (and in the URL) with a mark, rather than being
        # silently dropped by the dropdown; the page says it was ignored.
        code = getattr(state, level)
        if code and code not in {o["value"] for o in options[level]}:
            options[level].append({"label": f"{code} (?)", "value": code})
    return options


def breadcrumb(view: View) -> list[tuple[str | None, ViewState]]:
    """(name, view state) from the city (named None) down to the deepest selected unit."""
    view = confine(view)
    state = view.state
    catalog = get_catalog(view.database_url)
    root = None if view.state.deepest() is None else scope_root(view.scope)
    # a scoped viewer's path starts at their own unit: the levels above it are not theirs to go to
    crumbs: list[tuple[str | None, ViewState]] = [] if root else [(None, state.up_to(None))]
    levels = DRILL_LEVELS[DRILL_LEVELS.index(root[0]) :] if root else DRILL_LEVELS
    for level in levels:
        code = getattr(state, level)
        if code:
            crumbs.append((catalog.name(level, code, state.lang), state.up_to(level)))
    return crumbs


def drill_target(view: View, code: str) -> ViewState | None:
    """The view one level down, into ``code`` (None at the doctor level, where there is nothing below, and for
    a code the warehouse does not know: a forged click)."""
    view = confine(view)
    child = selection(view).child
    return drill_state(view, child, code) if child else None


def drill_state(view: View, level: str, code: str) -> ViewState | None:
    """The view re-scoped to the unit ``code`` at ``level`` (a click on a chart), with the unit's own district,
    consortium, institution and team filled in so the breadcrumb shows the whole path; None for an unknown
    unit (a forged click)."""
    catalog = get_catalog(view.database_url)
    if level not in DRILL_LEVELS or code not in catalog.names.get(level, {}):
        return None
    if not in_scope(catalog, view.scope, level, code):  # a forged click on a unit outside the scope
        return None
    new = view.state.select(level, code)
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
