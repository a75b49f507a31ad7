"""医院数据发布: one hospital against its peers (同级同类) on the insurance bureau's indicators, ranked, with
intervals and definitions: the data behind the report page, its slides and its PDF and Excel exports.

Peers are the institutions of the same level and the same type (general, TCM, specialty, maternal and child)
in the region over the same period (DOMAIN.md §6); where the warehouse does not record types, or the hospital
is the only one of its type at its level, they are the institutions of the same level, and the report says
which. The peer value is the KPI over all of them together (Σnumerator / Σdenominator), never a mean of their
rates; hospitals are ranked by the surplus per case, never by the size-driven total.
"""

from __future__ import annotations

import hashlib

import pandas as pd

from dashboard.core.messages import Message
from dashboard.core.reference import PEER_PREFIX
from queries.access import peers_named, visible_institutions
from queries.comparisons import kpi_outcomes
from queries.kpi.catalog import Catalog, get_catalog
from queries.kpi.filters import make_filters
from queries.kpi.registry import REGISTRY
from queries.kpi.stats import rank_by_polarity
from queries.panels import PanelData, localise, panel, values
from queries.selection import View, selection

REPORT_KPIS = (
    "cmi",
    "drg_total_weight",
    "drg_group_count",
    "cost_efficiency_index",
    "time_efficiency_index",
    "low_risk_mortality",
    "drg_grouping_rate",
    "high_cost_outlier_share",
    "low_cost_outlier_share",
    "readmission_rate",
    "alos",
    "avg_inpatient_cost",
    "insurance_share",
    "drg_surplus_per_case",
)
HOSPITAL_LEVELS = ("tertiary", "secondary")


def hospitals(view: View) -> list[dict]:
    """The hospitals a report can be made for (tertiary and secondary) inside the viewer's scope, as dropdown
    options."""
    lang = view.state.lang
    catalog = get_catalog(view.database_url)
    names = catalog.names["institution"] if lang == "zh" else catalog.names_en["institution"]
    visible = visible_institutions(catalog, view.scope)
    chosen = [
        (code, parent[2])
        for code, parent in catalog.parents["institution"].items()
        if parent[2] in HOSPITAL_LEVELS and code in visible
    ]
    return [
        {"label": names[code], "value": code}
        for code, _level in sorted(chosen, key=lambda c: (c[1] != "tertiary", c[0]))
    ]


def peer_group(catalog: Catalog, code: str) -> tuple[tuple[str, ...], str]:
    """The hospital's peers (itself included) and on what basis: "level_type" (同级同类), "level" (the
    warehouse records no type for it) or "level_alone" (no other institution of its type at its level)."""
    level = catalog.parents["institution"][code][2]
    same_level = sorted(c for c, parent in catalog.parents["institution"].items() if parent[2] == level)
    kind = catalog.institution_types.get(code)
    if kind is None:
        return tuple(same_level), "level"
    same_type = [c for c in same_level if catalog.institution_types.get(c) == kind]
    if len(same_type) < 2:
        return tuple(same_level), "level_alone"
    return tuple(same_type), "level_type"


def _rank(frame: pd.DataFrame, code: str, polarity: str) -> tuple[int | None, int]:
    """The hospital's rank among the peers with a shown value (1 = best by the KPI's polarity)."""
    shown = frame.dropna(subset=["value"])
    ranks = dict(zip(shown["institution_id"], rank_by_polarity(shown["value"], polarity), strict=True))
    return ranks.get(code), len(shown)


def report(view: View) -> PanelData:
    """Rows per indicator (value, CI, numerator, denominator, peer value, rank, outcome, definition) for the
    hospital in ``state.institution``; ``meta["peers"]`` holds every peer's values for the charts."""

    def compute():
        state = view.state
        catalog = get_catalog(view.database_url)
        code = state.institution
        parent = catalog.parents["institution"].get(code)
        if not parent or parent[2] not in HOSPITAL_LEVELS:
            return PanelData(message=Message.of("choose_hospital"))
        level = parent[2]
        sel = selection(view)
        peer_codes, peer_kind = peer_group(catalog, code)
        peer_filters = make_filters(sel.filters.start, sel.filters.end.replace(day=1), institution=peer_codes)
        rows, peers = [], []
        for kpi_id in REPORT_KPIS:
            kpi = REGISTRY[kpi_id]
            # the peers whatever the viewer's scope: those outside it are anonymised below
            units = values(sel, kpi_id, ("institution",), filters=peer_filters, comparator=True)
            if kpi.denominator is not None:  # a rate: the peers pooled (Σnumerator / Σdenominator)
                group = values(sel, kpi_id, filters=peer_filters, comparator=True)
                peer_value, basis = (float(group["value"].iloc[0]) if len(group) else float("nan")), "pooled"
            else:  # a total (weight, groups, surplus): the peers' median, since their sum is no comparison
                peer_value, basis = float(units["value"].median()), "median"
            units["outcome"] = kpi_outcomes(units, peer_value, kpi, peer_filters)
            units["chosen"] = units["institution_id"] == code
            peers.append(units.assign(peer_value=peer_value))
            mine = units[units["chosen"]]
            rank, count = _rank(units, code, kpi.polarity)
            row = mine.iloc[0].to_dict() if len(mine) else {"value": None, "suppressed": False}
            rows.append(
                {
                    "kpi": kpi_id,
                    "name_zh": kpi.name_zh,
                    "name_en": kpi.name_en,
                    "unit": kpi.unit,
                    "polarity": kpi.polarity,
                    "value": row.get("value"),
                    "ci_low": row.get("ci_low"),
                    "ci_high": row.get("ci_high"),
                    "numerator": row.get("numerator"),
                    "denominator": row.get("denominator"),
                    "suppressed": bool(row.get("suppressed", False)),
                    "peer_value": peer_value,
                    "peer_basis": basis,
                    "rank": rank,
                    "peers": count,
                    "outcome": row.get("outcome", "unknown"),
                    "definition_zh": kpi.definition_zh,
                    "definition_en": kpi.definition_en,
                }
            )
        meta = {
            "institution": code,
            "name": catalog.name("institution", code, state.lang),
            "level": level,
            "institution_type": catalog.institution_types.get(code),
            "peer_group": peer_kind,
            "peer_count": len(peer_codes),
            "start": sel.filters.start.isoformat(),
            "end": sel.filters.end.isoformat(),
            "peers": anonymised(
                localise(pd.concat(peers, ignore_index=True), view.database_url, state.lang),
                None if named else visible_institutions(catalog, sel.scope),
            ),
        }
        return PanelData(pd.DataFrame(rows), meta)

    named = view.scope.unrestricted or peers_named()
    return panel("report.named" if named else "report", view, compute)


def anonymised(peers: pd.DataFrame, visible: frozenset[str] | None) -> pd.DataFrame:
    """The peers outside the viewer's scope as 同级医院A, B, … (``visible`` None: every peer named).

    The letters follow a hash of the codes, not the codes' order, so a letter says nothing about which
    hospital it is; the same hospital keeps its letter on every indicator of the report.
    """
    if visible is None or peers.empty:
        return peers
    hidden = sorted(
        {c for c in peers["institution_id"] if c not in visible},
        key=lambda c: hashlib.sha256(c.encode()).hexdigest(),
    )
    letters = {code: PEER_PREFIX + _letters(i) for i, code in enumerate(hidden)}
    codes = [letters.get(c, c) for c in peers["institution_id"]]
    names = [letters.get(c, n) for c, n in zip(peers["institution_id"], peers["name"], strict=True)]
    return peers.assign(institution_id=codes, name=names)


def _letters(index: int) -> str:
    """A, B, …, Z, AA, AB, …"""
    text = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        text = chr(ord("A") + rest) + text
    return text
