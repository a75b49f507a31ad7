"""The line under a chart: what it leaves out, how it was computed, how to use it. Each note is a function of
the panel's data and the language."""

from __future__ import annotations

from dashboard.ui.words import join, pick, t, tell


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


def district_colours(data, lang: str) -> str:
    comparator = t("comparator_peer" if data.meta.get("peers") else "comparator_city", lang)
    return t("colours_note", lang, comparator=comparator, method=t(f"method_{data.meta['method']}", lang))


def district_funnel(data, lang: str) -> str:
    return t("funnel_note_standardised", lang) if data.meta["unit"] == "ratio" else ""


def tartan(data, lang: str, kpis: dict) -> str:
    skipped = data.meta["skipped"]
    return t("tartan_skipped", lang) + join([pick(kpis[k], lang) for k in skipped], lang) if skipped else ""


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
