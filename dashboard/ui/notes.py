"""The line under a chart: what it leaves out, how it was computed, how to use it. Each note is a function of
the panel's data and the language."""

from __future__ import annotations

import math

from dashboard.ui.formatting import format_kpi
from dashboard.ui.words import join, label, labels, pick, t, tell

MIN_UNITS_FOR_OVERDISPERSION = 5  # as the query layer's statistics (queries.kpi.stats); said in the note
GROUP_VOCABULARY = {"level": "level", "urban_rural": "urban_rural", "consortium_type": "consortium_type"}


def not_applicable(data, lang: str) -> str:
    """KPIs a trend chart had to leave out, and why."""
    skipped = data.meta.get("not_applicable", {})
    return join([tell(message, lang) for message in skipped.values()], lang) if skipped else ""


def chapters(data, lang: str) -> str:
    return t("chapter_hint", lang) if not data.meta.get("chapter") else ""


def pair(data, lang: str) -> str:
    return f"{data.meta['source_name']} → {data.meta['target_name']} · {t('gaps_suppressed', lang)}"


def cascade(data, lang: str) -> str:
    return t("cascade_note" if data.meta.get("estimated_shown") else "cascade_note_no_estimate", lang)


def followups(data, lang: str) -> str:
    return t("followups_note", lang, months=data.meta["months"], required=data.meta["required"])


def group_costs(data, lang: str) -> str:
    return t("group_costs_note", lang, hidden=int(data.frame["suppressed"].sum()))


def capitation(data, lang: str) -> str:
    return t("capitation_note", lang, through=data.meta["through"])


def comparator(meta: dict | None, lang: str) -> str:
    """What the units of a panel are compared with, in words, from the comparator the query layer chose
    (``queries.comparators``): the city, the parent by name, or the units' peers; and whether they are
    compared within their level."""
    meta = meta or {"kind": "city"}
    kind, grouped = meta.get("kind", "city"), meta.get("grouped_by")
    if kind == "parent":
        text = t("comparator_parent", lang, name=meta.get("name") or "")
    elif kind == "peers":
        text = t(f"comparator_peers_{grouped}", lang)
    else:
        text = t("comparator_city", lang)
    if grouped == "level" and kind != "peers":
        text += t("within_level", lang, levels=join(labels("level", lang).values(), lang))
    return text


def district_colours(data, lang: str) -> str:
    return t(
        "colours_note",
        lang,
        comparator=comparator(data.meta.get("comparator"), lang),
        method=t(f"method_{data.meta['method']}", lang),
    )


def funnel_limits(data, lang: str, unit: str) -> str:
    """Which limits a funnel draws: plain, or widened for overdispersion (by how much, per group)."""
    if data.meta.get("limits") == "plain":
        return t("limits_plain", lang)
    vocabulary = GROUP_VOCABULARY.get((data.meta.get("comparator") or {}).get("grouped_by"))
    parts = []
    for group in data.meta["groups"]:
        phi, tau2 = group.get("phi"), group.get("tau2") or 0.0
        if phi is None or (isinstance(phi, float) and math.isnan(phi)):
            detail = t("limits_too_few", lang, minimum=MIN_UNITS_FOR_OVERDISPERSION)
        elif tau2 <= 0:
            detail = t("limits_not_overdispersed", lang)
        else:
            factor = 100.0 if unit == "per100" else 1.0
            detail = t("limits_widened", lang, tau=format_kpi(unit, math.sqrt(tau2) * factor, lang))
        name = label(vocabulary, group["group"], lang) if vocabulary and group.get("group") else ""
        parts.append(t("limits_group", lang, group=name, detail=detail) if name else detail)
    return t("limits_overdispersed", lang, details=join(parts, lang))


def funnel(data, lang: str, unit: str | None = None) -> str:
    """The line under a funnel: its comparator, its limits, what the colours mean (and, standardised, what
    the axes are)."""
    unit = unit or data.meta.get("unit", "share")
    lines = [
        t("comparator_is", lang, comparator=comparator(data.meta.get("comparator"), lang)),
        funnel_limits(data, lang, unit),
        t("funnel_colours", lang),
    ]
    if unit == "ratio":
        lines.append(t("funnel_note_standardised", lang))
    return " ".join(lines)


def district_map(data, lang: str) -> str:
    """The tile map's colours are the league table's outcomes: against which comparator, and how to draw real
    boundaries."""
    said = t("tartan_comparator", lang, comparator=comparator(data.meta.get("comparator"), lang))
    return f"{said} · {t('map_note', lang)}"


def district_funnel(data, lang: str) -> str:
    return funnel(data, lang)


def standardised(data, lang: str) -> str:
    return t("standardised_note", lang, comparator=comparator(data.meta.get("comparator"), lang))


def tartan(data, lang: str, kpis: dict) -> str:
    skipped = data.meta["skipped"]
    said = t("tartan_comparator", lang, comparator=comparator(data.meta.get("comparator"), lang))
    if skipped:
        said += " · " + t("tartan_skipped", lang) + join([pick(kpis[k], lang) for k in skipped], lang)
    return said


def fixed(key: str):
    """A note that is always the same text."""
    return lambda data, lang: t(key, lang)


def payments(data, lang: str) -> str:
    return t("payments_note", lang, fingerprint=data.meta["fingerprint"])


def drg_cards(data, lang: str) -> str:
    """How the DRG cards are made: efficiency without outliers, outliers by the year's mean, risk levels."""
    derived = data.meta.get("derived_versions")
    risk = (
        t("risk_source_derived", lang, versions=join(derived, lang))
        if derived
        else t("risk_source_catalogue", lang)
    )
    return f"{t('drg_cards_note', lang)} {risk}"


def quality_grid(data, lang: str) -> str:
    """How the data-quality grid's marks are decided, and why some cells show no number."""
    said = t("quality_grid_note", lang, threshold=data.meta.get("threshold", 5))
    if data.meta.get("kpi") is None:
        said += " " + t("quality_no_counts", lang)
    return said
