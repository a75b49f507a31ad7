"""区县对比: which differences between districts are real. A league table with intervals and ranks, a funnel
plot, a tartan of districts × KPIs, a map, small-multiple trends, crude or age/sex-standardised rates, and the
whole city or the district's peers (urban or rural) as comparator. Below a district the same views compare its
consortia, institutions and teams.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from dashboard.core.errors import UserFacingError
from dashboard.core.messages import Message
from dashboard.core.paths import DATA_DIR, REFERENCE_DIR
from dashboard.core.state import ViewState
from queries.comparisons import funnel, standardised, trend
from queries.kpi import stats
from queries.kpi.builder import NotApplicable, output_column
from queries.kpi.catalog import get_catalog
from queries.kpi.registry import REGISTRY
from queries.panels import PanelData, panel, per_window, request, values
from queries.selection import View, city_filters, selection, since_data_start, whole_quarters

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


def _peer_codes(database_url: str) -> dict[str, list[str]]:
    """Districts by peer group (urban, rural)."""
    groups: dict[str, list[str]] = {}
    for code, kind in get_catalog(database_url).parents.get("district", {}).items():
        groups.setdefault(kind, []).append(code)
    return groups


def league(view: View) -> PanelData:
    """Each unit's value with its interval, rank, comparator and better / similar / worse outcome.

    Crude: the KPI's own value and interval. Standardised: the adjusted rate (O/E × the city's crude rate)
    and its exact Poisson interval. The comparator is the city, or for districts their peer group (pooled
    over the group's districts, standardised the same way when rates are adjusted).
    """
    return panel("districts.league", view, lambda: _league(view))


def _league(view: View) -> PanelData:
    state = view.state
    sel = selection(view)
    level, kpi = sel.child, REGISTRY[kpi_of(state)]
    if level is None:
        return PanelData(message=Message.of("nothing_below_doctor"))
    key = output_column(level)
    peers = state.compare == "peer" and level == "district"
    kinds = get_catalog(view.database_url).parents["district"]
    if state.adjust == "standardised":
        frame = standardised(view.database_url, request(sel, kpi.id, (level,)))
        # the reference is the selection the units make up (the city, for districts): its crude rate
        city = float(frame["observed"].sum() / frame["denominator"].sum() * kpi.factor)
        frame = frame.rename(
            columns={"adjusted": "value", "adjusted_low": "ci_low", "adjusted_high": "ci_high"}
        )
        frame["numerator"], frame["denominator"] = frame["observed"], frame["expected"]
        frame["comparator"] = city
        if peers:
            group = frame.assign(kind=[kinds.get(c) for c in frame[key]]).groupby("kind")
            pooled = group["observed"].sum() / group["expected"].sum() * city  # the group's O/E × city crude
            frame["comparator"] = [pooled[kinds.get(c)] for c in frame[key]]
        method = "standardised"
    else:
        frame = values(sel, kpi.id, (level,))
        frame["comparator"] = values(sel, kpi.id, filters=city_filters(sel.filters))["value"].iloc[0]
        if peers:
            pooled = {
                kind: values(sel, kpi.id, filters=city_filters(sel.filters).replace(district=tuple(codes)))[
                    "value"
                ].iloc[0]
                for kind, codes in _peer_codes(view.database_url).items()
            }
            frame["comparator"] = [pooled.get(kinds.get(c)) for c in frame[key]]
        method = "crude"
    frame["outcome"] = stats.unit_outcomes(frame, np.asarray(frame["comparator"], dtype=float), kpi.polarity)
    frame["rank"] = stats.rank_by_polarity(frame["value"], kpi.polarity)
    frame["kpi"] = kpi.id
    columns = [key, "name", "kpi", "value", "ci_low", "ci_high", "numerator", "denominator", "comparator"]
    frame = frame[[*columns, "outcome", "rank"]]
    frame = frame.sort_values("value", ascending=kpi.polarity == "lower", na_position="last")
    meta = {"level": level, "key": key, "kpi": kpi.id, "method": method, "peers": peers, "adjust": method}
    return PanelData(frame.reset_index(drop=True), meta)


def funnel_view(view: View) -> PanelData:
    """Units by size and value with 95% / 99.8% limits: crude values around the city's value, or, standardised,
    O/E ratios by expected events around 1 (exact Poisson limits)."""

    def compute():
        state = view.state
        sel = selection(view)
        level, kpi = sel.child, REGISTRY[kpi_of(state)]
        if level is None:
            return PanelData(message=Message.of("nothing_below_doctor"))
        key = output_column(level)
        if state.adjust == "standardised":
            frame = standardised(view.database_url, request(sel, kpi.id, (level,)))
            # x is expected events, not people
            frame = frame[~frame["suppressed"]].drop(columns=["denominator"])
            frame = frame.rename(columns={"ratio": "value", "expected": "denominator"})
            sizes = np.unique(
                np.geomspace(max(1.0, frame["denominator"].min()), max(2.0, frame["denominator"].max()), 60)
            )
            limits = {k: stats.funnel_limits("rate", 1.0, sizes, lv) for k, lv in stats.LEVELS.items()}
            for label, lv in stats.LEVELS.items():
                low, high = stats.funnel_limits("rate", 1.0, frame["denominator"].to_numpy(), lv)
                frame[f"outside_{label}"] = (frame["value"] < low) | (frame["value"] > high)
            benchmark, x_axis = 1.0, "expected"
        else:
            result = funnel(view.database_url, request(sel, kpi.id, (level,)))
            frame, sizes, limits = result["units"], result["sizes"], result["limits"]
            benchmark, x_axis = result["benchmark"], "denominator"
        meta = {
            "benchmark": float(benchmark),
            "sizes": list(map(float, sizes)),
            "limits": {k: (list(map(float, lo)), list(map(float, hi))) for k, (lo, hi) in limits.items()},
            "level": level,
            "key": key,
            "unit": "ratio" if state.adjust == "standardised" else kpi.unit,
            "x_axis": x_axis,
        }
        frame["chosen"] = False
        return PanelData(frame.reset_index(drop=True), meta)

    return panel("districts.funnel", view, compute)


def tartan(view: View) -> PanelData:
    """Units × KPIs coloured by outcome against the city (crude): where a unit stands out, and on what."""

    def compute():
        sel = selection(view)
        level = sel.child
        if level is None:
            return PanelData(message=Message.of("nothing_below_doctor"))
        frames, skipped = [], []
        for kpi_id in TARTAN_KPIS:
            kpi = REGISTRY[kpi_id]
            try:
                frame = values(sel, kpi_id, (level,))
            except NotApplicable:
                skipped.append(kpi_id)  # a residence KPI below the district level, say
                continue
            city = values(sel, kpi_id, filters=city_filters(sel.filters))["value"].iloc[0]
            frame["comparator"] = city
            frame["outcome"] = stats.unit_outcomes(frame, city, kpi.polarity)
            frames.append(frame.rename(columns={output_column(level): "code"}))
        if not frames:
            return PanelData(message=Message.of("kpis_not_comparable_here"))
        long = pd.concat(frames, ignore_index=True)
        return PanelData(long, {"level": level, "skipped": skipped})

    return panel("districts.tartan", view, compute)


def small_trends(view: View) -> PanelData:
    """Each unit's KPI period by period, with a weighted trend test per unit (monthly; quarterly for
    per-window KPIs, from the start of the data)."""

    def compute():
        sel = selection(view)
        level, kpi = sel.child, REGISTRY[kpi_of(view.state)]
        if level is None:
            return PanelData(message=Message.of("nothing_below_doctor"))
        key = output_column(level)
        units = values(sel, kpi.id, (level,)).dropna(subset=["value"])
        codes = list(units[key])[:SMALL_MULTIPLES]
        grain, filters = "month", sel.filters
        if per_window(kpi):  # whole quarters from the start of the data: a partial quarter is not comparable
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
