"""区县对比: which differences between districts are real. A league table with intervals and ranks, a funnel
plot, a tartan of districts × KPIs, a map, small-multiple trends, crude or age/sex-standardised rates, and one
comparator for the whole view (the city, the parent, or the units' peers: ``queries.comparators``). Below a
district the same views compare its consortia, institutions (within their level) and teams.
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import replace
from pathlib import Path

import pandas as pd

from dashboard.core.errors import UserFacingError
from dashboard.core.messages import Message
from dashboard.core.paths import DATA_DIR, REFERENCE_DIR
from dashboard.core.state import ViewState
from queries.comparators import compare_units, compared_funnel, kind_of
from queries.comparisons import trend
from queries.kpi import stats
from queries.kpi.builder import NotApplicable, output_column
from queries.kpi.catalog import get_catalog
from queries.kpi.registry import REGISTRY
from queries.panels import PanelData, panel, request, values
from queries.selection import View, selection, since_data_start, whole_quarters

KPI_CHOICES = (
    "hospitalization_rate",
    "visits_per_capita",
    "in_county_visit_rate",
    "htn_management_rate",
    "dm_management_rate",
    "htn_control_rate",
    "dm_control_rate",
    "htn_standardized_management_rate",
    "contract_coverage",
    "primary_care_visit_share",
    "down_referral_share",
    "readmission_rate",
    "avg_outpatient_cost",
    "alos",
)
DEFAULT_KPI = "hospitalization_rate"
TARTAN_KPIS = (
    "hospitalization_rate",
    "in_county_visit_rate",
    "htn_management_rate",
    "htn_control_rate",
    "dm_control_rate",
    "contract_coverage",
    "primary_care_visit_share",
    "down_referral_share",
    "readmission_rate",
    "alos",
)
TILES_FILE = REFERENCE_DIR / "district_tiles.csv"
SMALL_MULTIPLES = 12  # small multiples stay readable up to a dozen


def kpi_of(state: ViewState) -> str:
    return state.kpi if state.kpi in KPI_CHOICES else DEFAULT_KPI


def kpi_choices() -> tuple[str, ...]:
    """The KPIs the page compares, in the order the picker lists them."""
    return KPI_CHOICES


def league_selection(view: View):
    """The view's selection for the commission's league tables: at the city level the units compared are
    the districts, which every role opening this page may see as aggregates whatever its scope (DOMAIN §11:
    a district official sees the other districts only here); below it, the viewer's own scope."""
    sel = selection(view)
    return replace(sel, scope=sel.scope.widened()) if sel.child == "district" else sel


def league(view: View) -> PanelData:
    """Each unit's value with its interval, rank, comparator and better / similar / worse outcome.

    Crude: the KPI's own value and interval. Standardised: the adjusted rate (O/E × the comparator's crude
    rate) and its exact Poisson interval. The comparator is the view's (``queries.comparators``): the city,
    the parent, or the unit's peers; institutions, teams and doctors are ranked and compared within their
    level.
    """
    return panel("districts.league", view, lambda: _league(view))


def _compared(view: View, kpi_id: str, adjust: str | None = None):
    """The view's units of one KPI against the view's comparator: (selection, level, frame, meta), or a
    message when there is nothing below the selection."""
    sel = league_selection(view)
    level = sel.child
    if level is None:
        return sel, None, None, {"message": Message.of("nothing_below_doctor")}
    adjust = view.state.adjust if adjust is None else adjust
    frame, meta = compare_units(
        view.database_url,
        request(sel, kpi_id, (level,)),
        kind_of(view.state.compare),
        adjust or "crude",
        view.state.lang,
    )
    return sel, level, frame, meta


def _league(view: View) -> PanelData:
    kpi = REGISTRY[kpi_of(view.state)]
    _sel, level, frame, comparator = _compared(view, kpi.id)
    if level is None:
        return PanelData(message=comparator["message"])
    key = output_column(level)
    groups = frame["comparator_group"].fillna("")
    frame["rank"] = [None] * len(frame)
    for _group, part in frame.groupby(groups):  # ranked within the group a unit is compared in
        frame.loc[part.index, "rank"] = stats.rank_by_polarity(part["value"], kpi.polarity)
    frame["kpi"] = kpi.id
    first = [key, "name", "kpi", "value", "ci_low", "ci_high", "numerator", "denominator"]
    rest = [c for c in frame.columns if c not in (*first, "outcome", "rank")]
    frame = frame[[*first, *rest, "outcome", "rank"]]
    frame = frame.sort_values("value", ascending=kpi.polarity == "lower", na_position="last")
    method = comparator["method"]
    meta = {
        "level": level,
        "key": key,
        "kpi": kpi.id,
        "method": method,
        "adjust": method,
        "comparator": comparator,
        # each unit has its own comparator (its peers, or its level): marked on its row, not as one line
        "peers": comparator["grouped_by"] is not None,
    }
    return PanelData(frame.reset_index(drop=True), meta)


def funnel_view(view: View) -> PanelData:
    """Units by size and value with 95% / 99.8% limits around the view's comparator, one funnel per group a
    unit is compared in (urban and rural peers, institution levels): crude values by their denominator, or,
    standardised, O/E ratios by expected events (exact Poisson limits). The limits are widened for
    overdispersion unless the view asks for plain ones; each unit's outcome is its verdict by the 99.8%
    limits, through the KPI's polarity."""

    def compute():
        kpi = REGISTRY[kpi_of(view.state)]
        sel = league_selection(view)
        level = sel.child
        if level is None:
            return PanelData(message=Message.of("nothing_below_doctor"))
        standardised = view.state.adjust == "standardised"
        units, groups, comparator, _frame = compared_funnel(
            view.database_url,
            request(sel, kpi.id, (level,)),
            kind_of(view.state.compare),
            view.state.adjust or "crude",
            view.state.limits,
            view.state.lang,
        )
        x_axis = "expected" if standardised else "denominator"
        if standardised:  # the funnel plots O/E against expected events
            units = units.assign(value=units["ratio"], ci_low=units["ratio_low"], ci_high=units["ratio_high"])
            units = units.assign(denominator=units["expected"])
        units["chosen"] = False
        meta = {
            "groups": groups,
            "level": level,
            "key": output_column(level),
            "kpi": kpi.id,
            "unit": "ratio" if standardised else kpi.unit,
            "x_axis": x_axis,
            "limits": view.state.limits,
            "comparator": comparator,
        }
        return PanelData(units.reset_index(drop=True), meta)

    return panel("districts.funnel", view, compute)


def tartan(view: View) -> PanelData:
    """Units × KPIs coloured by outcome against the view's comparator (crude): where a unit stands out, and
    on what."""

    def compute():
        sel = league_selection(view)
        level = sel.child
        if level is None:
            return PanelData(message=Message.of("nothing_below_doctor"))
        frames, skipped, comparator = [], [], None
        for kpi_id in TARTAN_KPIS:
            try:
                _sel, _level, frame, comparator_of_kpi = _compared(view, kpi_id, adjust="crude")
            except NotApplicable:
                skipped.append(kpi_id)  # a residence KPI below the district level, say
                continue
            comparator = comparator_of_kpi
            frames.append(frame.assign(kpi=kpi_id).rename(columns={output_column(level): "code"}))
        if not frames:
            return PanelData(message=Message.of("kpis_not_comparable_here"))
        long = pd.concat(frames, ignore_index=True)
        return PanelData(long, {"level": level, "skipped": skipped, "comparator": comparator})

    return panel("districts.tartan", view, compute)


def small_trends(view: View) -> PanelData:
    """Each unit's KPI period by period, with a weighted trend test per unit (monthly; quarterly for
    per-window KPIs, from the start of the data)."""

    def compute():
        sel = league_selection(view)
        level, kpi = sel.child, REGISTRY[kpi_of(view.state)]
        if level is None:
            return PanelData(message=Message.of("nothing_below_doctor"))
        key = output_column(level)
        units = values(sel, kpi.id, (level,)).dropna(subset=["value"])
        codes = list(units[key])[:SMALL_MULTIPLES]
        grain, filters = "month", sel.filters
        if kpi.per_window:  # whole quarters from the start of the data: a partial quarter is not comparable
            grain, filters = "quarter", whole_quarters(since_data_start(view.database_url, filters))
        names = units.set_index(key)["name"]
        frames, tests = [], {}
        for code in codes:
            result = trend(
                view.database_url, request(sel, kpi.id, filters=filters.replace(**{level: (code,)})), grain
            )
            frames.append(
                result["series"].rename(columns={grain: "period"}).assign(code=code, name=names[code])
            )
            tests[code] = {k: result[k] for k in ("slope", "p_value", "significant", "direction")}
        frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        return PanelData(frame, {"trend": tests, "kpi": kpi.id, "level": level})

    return panel("districts.trends", view, compute)


def tiles(database_url: str) -> dict[str, tuple[int, int]]:
    """Tile positions (row, column) of the districts: the demo city's from data/reference/district_tiles.csv,
    any other district placed in reading order after them."""
    known: dict[str, tuple[int, int]] = {}
    if TILES_FILE.exists():
        with TILES_FILE.open(encoding="utf-8") as handle:
            known = {r["district_code"]: (int(r["row"]), int(r["col"])) for r in csv.DictReader(handle)}
    codes = sorted(get_catalog(database_url).names.get("district", {}))
    placed = {c: known[c] for c in codes if c in known}
    spare = [c for c in codes if c not in placed]
    start = max((r for r, _ in placed.values()), default=-1) + 1
    for i, code in enumerate(spare):
        placed[code] = (start + i // 4, i % 4)
    return placed


def geojson_path() -> Path | None:
    """A district GeoJSON the user supplied: DASHBOARD_DISTRICT_GEOJSON, or the first *.geojson in data/."""
    override = os.environ.get("DASHBOARD_DISTRICT_GEOJSON")
    if override:
        return Path(override) if Path(override).exists() else None
    found = sorted(DATA_DIR.glob("*.geojson"))
    return found[0] if found else None


def _read_geojson(path: Path) -> dict:
    """The user's district boundaries; a file that is not GeoJSON is a clear error, not a broken map."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserFacingError("geojson_unreadable", path=str(path), reason=str(exc)) from None
    if not isinstance(document, dict) or not isinstance(document.get("features"), list):
        raise UserFacingError("geojson_not_collection", path=str(path))
    return document


def district_map(view: View) -> PanelData:
    """The league's district values with their tile positions, and the user's GeoJSON when there is one."""
    path = geojson_path()

    def compute():
        data = league(view)
        if data.empty or data.meta.get("level") != "district":
            return PanelData(message=Message.of("map_shows_districts"))
        positions = tiles(view.database_url)
        frame = data.frame.assign(
            row=[positions.get(c, (0, 0))[0] for c in data.frame["district_code"]],
            col=[positions.get(c, (0, 0))[1] for c in data.frame["district_code"]],
        )
        return PanelData(frame, {**data.meta, "geojson": _read_geojson(path) if path else None})

    return panel("districts.map", view, compute, files=(TILES_FILE, *((path,) if path else ())))
