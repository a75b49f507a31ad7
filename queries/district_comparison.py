"""区县对比: which differences between districts are real. A league table with intervals and ranks, a funnel
plot, a tartan of districts × KPIs, a map, small-multiple trends, crude or age/sex-standardised rates, and the
whole city or the district's peers (urban or rural) as comparator. Below a district the same views compare its
consortia, institutions and teams.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np
import pandas as pd

from dashboard import DATA_DIR, REFERENCE_DIR
from dashboard.state import ViewState
from queries import stats
from queries.api import funnel, standardised, trend
from queries.builder import NotApplicable, Request, output_column
from queries.catalog import get_catalog
from queries.filters import make_filters
from queries.panels import PanelData, page_selection, panel, values
from queries.registry import REGISTRY
from queries.views import CHILD_LEVEL, city_filters, whole_quarters

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
STANDARDISED_METHOD = (
    "间接标准化：按年龄组×性别，以全市同期分层率为参照，标化率 = O/E × 全市粗率，O/E 的95%置信区间为精确Poisson区间",
    "Indirect standardisation by age band × sex against the whole city's stratum rates for the same period; "
    "standardised rate = O/E × city crude rate; exact Poisson 95% CI of O/E",
)
CRUDE_METHOD = (
    "粗率：Σ分子/Σ分母，95%置信区间按指标类型",
    "Crude rate: Σ numerator / Σ denominator, 95% CI by KPI type",
)


def kpi_of(state: ViewState) -> str:
    return state.kpi if state.kpi in KPI_CHOICES else DEFAULT_KPI


def level_of(sel) -> str | None:
    """The units compared: districts for the city, then one drill level down."""
    return CHILD_LEVEL.get(sel.level)


def _peer_codes(database_url: str) -> dict[str, list[str]]:
    """Districts by peer group (urban, rural)."""
    groups: dict[str, list[str]] = {}
    for code, kind in get_catalog(database_url).parents.get("district", {}).items():
        groups.setdefault(kind, []).append(code)
    return groups


def league(database_url: str, state: ViewState) -> PanelData:
    """Each unit's value with its interval, rank, comparator and better / similar / worse outcome.

    Crude: the KPI's own value and interval. Standardised: the adjusted rate (O/E × the city's crude rate)
    and its exact Poisson interval. The comparator is the city, or for districts their peer group (pooled
    over the group's districts, standardised the same way when rates are adjusted).
    """

    def compute():
        sel = page_selection(database_url, state)
        level, kpi = level_of(sel), REGISTRY[kpi_of(state)]
        if level is None:
            return PanelData(message="已到最细一级 (nothing below a doctor)")
        key = output_column(level)
        peers = state.compare == "peer" and level == "district"
        if state.adjust == "standardised":
            frame = standardised(database_url, Request(kpi.id, sel.filters, (level,)))
            # the reference is the selection the units make up (the city, for districts): its crude rate
            city = float(frame["observed"].sum() / frame["denominator"].sum() * kpi.factor)
            frame = frame.rename(
                columns={"adjusted": "value", "adjusted_low": "ci_low", "adjusted_high": "ci_high"}
            )
            frame["numerator"], frame["denominator"] = frame["observed"], frame["expected"]
            frame["comparator"] = city
            if peers:
                kinds = get_catalog(database_url).parents["district"]
                group = frame.assign(kind=[kinds.get(c) for c in frame[key]]).groupby("kind")
                pooled = (
                    group["observed"].sum() / group["expected"].sum() * city
                )  # the group's O/E × city crude
                frame["comparator"] = [pooled[kinds.get(c)] for c in frame[key]]
            method = STANDARDISED_METHOD
        else:
            frame = values(database_url, kpi.id, sel.filters, (level,))
            frame["comparator"] = values(database_url, kpi.id, city_filters(sel.filters))["value"].iloc[0]
            if peers:
                kinds = get_catalog(database_url).parents["district"]
                pooled = {
                    kind: values(
                        database_url, kpi.id, city_filters(sel.filters).replace(district=tuple(codes))
                    )["value"].iloc[0]
                    for kind, codes in _peer_codes(database_url).items()
                }
                frame["comparator"] = [pooled.get(kinds.get(c)) for c in frame[key]]
            method = CRUDE_METHOD
        frame["outcome"] = stats.unit_outcomes(
            frame, np.asarray(frame["comparator"], dtype=float), kpi.polarity
        )
        frame["rank"] = stats.rank_by_polarity(frame["value"], kpi.polarity)
        frame["kpi"] = kpi.id
        columns = [
            key,
            "name",
            "kpi",
            "value",
            "ci_low",
            "ci_high",
            "numerator",
            "denominator",
            "comparator",
            "outcome",
            "rank",
        ]
        frame = frame[columns].sort_values("value", ascending=kpi.polarity == "lower", na_position="last")
        return PanelData(
            frame.reset_index(drop=True),
            {
                "level": level,
                "kpi": kpi.id,
                "method": method,
                "peers": peers,
                "adjust": state.adjust or "crude",
            },
        )

    return panel("districts.league", database_url, state, compute)


def funnel_view(database_url: str, state: ViewState) -> PanelData:
    """Units by size and value with 95% / 99.8% limits: crude values around the city's value, or, standardised,
    O/E ratios by expected events around 1 (exact Poisson limits)."""

    def compute():
        sel = page_selection(database_url, state)
        level, kpi = level_of(sel), REGISTRY[kpi_of(state)]
        if level is None:
            return PanelData(message="已到最细一级 (nothing below a doctor)")
        key = output_column(level)
        if state.adjust == "standardised":
            frame = standardised(database_url, Request(kpi.id, sel.filters, (level,)))
            frame = frame[~frame["suppressed"]].drop(
                columns=["denominator"]
            )  # x is expected events, not people
            frame = frame.rename(columns={"ratio": "value", "expected": "denominator"})
            sizes = np.unique(
                np.geomspace(max(1.0, frame["denominator"].min()), max(2.0, frame["denominator"].max()), 60)
            )
            limits = {k: stats.funnel_limits("rate", 1.0, sizes, lv) for k, lv in stats.LEVELS.items()}
            for label, lv in stats.LEVELS.items():
                low, high = stats.funnel_limits("rate", 1.0, frame["denominator"].to_numpy(), lv)
                frame[f"outside_{label}"] = (frame["value"] < low) | (frame["value"] > high)
            benchmark, x_title = 1.0, "expected"
        else:
            result = funnel(database_url, Request(kpi.id, sel.filters, (level,)))
            frame, sizes, limits, benchmark = (
                result["units"],
                result["sizes"],
                result["limits"],
                result["benchmark"],
            )
            x_title = "denominator"
        meta = {
            "benchmark": float(benchmark),
            "sizes": list(map(float, sizes)),
            "limits": {k: (list(map(float, lo)), list(map(float, hi))) for k, (lo, hi) in limits.items()},
            "level": level,
            "key": key,
            "unit": "ratio" if state.adjust == "standardised" else kpi.unit,
            "x_title": x_title,
        }
        frame["chosen"] = False
        return PanelData(frame.reset_index(drop=True), meta)

    return panel("districts.funnel", database_url, state, compute)


def tartan(database_url: str, state: ViewState) -> PanelData:
    """Units × KPIs coloured by outcome against the city (crude): where a unit stands out, and on what."""

    def compute():
        sel = page_selection(database_url, state)
        level = level_of(sel)
        if level is None:
            return PanelData(message="已到最细一级 (nothing below a doctor)")
        frames, skipped = [], []
        for kpi_id in TARTAN_KPIS:
            kpi = REGISTRY[kpi_id]
            try:
                frame = values(database_url, kpi_id, sel.filters, (level,))
            except NotApplicable:
                skipped.append(kpi_id)  # a residence KPI below the district level, say
                continue
            city = values(database_url, kpi_id, city_filters(sel.filters))["value"].iloc[0]
            frame["comparator"] = city
            frame["outcome"] = stats.unit_outcomes(frame, city, kpi.polarity)
            frames.append(frame.rename(columns={output_column(level): "code"}))
        if not frames:
            return PanelData(message="这些指标不能在此层级比较 (these KPIs cannot be compared at this level)")
        long = pd.concat(frames, ignore_index=True)
        return PanelData(long, {"level": level, "skipped": skipped})

    return panel("districts.tartan", database_url, state, compute)


def small_trends(database_url: str, state: ViewState) -> PanelData:
    """Each unit's KPI period by period, with a weighted trend test per unit (monthly; quarterly for
    per-window KPIs, from the start of the data)."""

    def compute():
        sel = page_selection(database_url, state)
        level, kpi = level_of(sel), REGISTRY[kpi_of(state)]
        if level is None:
            return PanelData(message="已到最细一级 (nothing below a doctor)")
        units = values(database_url, kpi.id, sel.filters, (level,)).dropna(subset=["value"])
        codes = list(units[output_column(level)])[:12]  # small multiples stay readable up to a dozen
        window = any(p.window for p in (kpi.numerator, kpi.denominator) if p)
        grain, filters = "month", sel.filters
        if window:  # whole quarters from the start of the data: a partial quarter is not comparable
            start = get_catalog(database_url).period_start
            grain = "quarter"
            filters = whole_quarters(make_filters(start, filters.end.replace(day=1), **dict(filters.values)))
        frames, tests = [], {}
        for code in codes:
            result = trend(database_url, Request(kpi.id, filters.replace(**{level: (code,)})), grain)
            series = result["series"].rename(columns={grain: "period"})
            frames.append(
                series.assign(code=code, name=units.set_index(output_column(level)).loc[code, "name"])
            )
            tests[code] = {k: result[k] for k in ("slope", "p_value", "significant", "direction")}
        frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        return PanelData(frame, {"trend": tests, "kpi": kpi.id, "level": level})

    return panel("districts.trends", database_url, state, compute)


def tiles(database_url: str) -> dict[str, tuple[int, int]]:
    """Tile positions (row, column) of the districts: the demo city's from data/reference/district_tiles.csv,
    any other district placed in reading order after them."""
    path = REFERENCE_DIR / "district_tiles.csv"
    known: dict[str, tuple[int, int]] = {}
    if path.exists():
        with path.open(encoding="utf-8") as handle:
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


def district_map(database_url: str, state: ViewState) -> PanelData:
    """The league's district values with their tile positions (and the GeoJSON to draw, if one is there)."""

    def compute():
        data = league(database_url, state)
        if data.empty or data.meta.get("level") != "district":
            return PanelData(
                message="地图显示区县；请回到全市查看 (the map shows districts: go back to the city)"
            )
        positions = tiles(database_url)
        frame = data.frame.assign(
            row=[positions.get(c, (0, 0))[0] for c in data.frame["district_code"]],
            col=[positions.get(c, (0, 0))[1] for c in data.frame["district_code"]],
        )
        path = geojson_path()
        return PanelData(frame, {**data.meta, "geojson": str(path) if path else ""})

    return panel("districts.map", database_url, state, compute)
