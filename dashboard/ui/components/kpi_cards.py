"""KPI cards: value, target status, 同比/环比, sparkline, benchmark badge with its interval in a tooltip."""

from __future__ import annotations

import dash_bootstrap_components as dbc
import pandas as pd
from dash import html

from dashboard.ui.figures.theme import OUTCOME_COLORS, sparkline_svg
from dashboard.ui.formatting import format_change, format_kpi
from dashboard.ui.words import t, tell

BADGE = {
    "better": "success",
    "similar": "secondary",
    "worse": "danger",
    "higher": "primary",
    "lower": "warning",
    "unknown": "light",
    "suppressed": "light",
    "city": "secondary",
    "within_budget": "success",
    "overspend": "danger",
    "underuse": "warning",
}


def _target_status(card: dict) -> tuple[str, str] | None:
    """Met or not (the query layer's verdict, by the KPI's polarity); nothing without a target."""
    met = card.get("target_met")
    if met is None:
        return None
    return ("met", "text-success") if met else ("not_met", "text-danger")


def kpi_card(card: dict, lang: str, index: int) -> dbc.Card:
    kpi = card["kpi_obj"]
    title = kpi.name_en if lang == "en" else kpi.name_zh
    if card.get("error"):
        message = tell(card["error"], lang)
        return _shell(
            title,
            [
                html.Div(t("not_applicable", lang), className="text-muted small"),
                html.Div(message, className="text-muted small"),
            ],
            kpi.id,
        )
    if card.get("suppressed"):
        return _shell(
            title,
            [html.Div("—", className="fs-3"), html.Div(t("suppressed", lang), className="small")],
            kpi.id,
        )
    value = format_kpi(kpi.unit, card.get("value"), lang)
    outcome = card.get("outcome", "unknown")
    ci = f"{t('ci', lang)}: {format_kpi(kpi.unit, card.get('ci_low'), lang)} – {format_kpi(kpi.unit, card.get('ci_high'), lang)}"
    bench = f"{t('benchmark', lang)} {format_kpi(kpi.unit, card.get('benchmark'), lang)}"
    numbers = ""
    if card.get("denominator") is not None:
        numbers = f"{t('numerator', lang)} {card.get('numerator'):,.0f} / {t('denominator', lang)} {card['denominator']:,.0f}"
    badge_id = f"badge-{kpi.id}"
    joiner = " " if lang == "en" else ""  # 优于全市 / Better than city
    badge_text = t("city", lang) if outcome == "city" else f"{t(outcome, lang)}{joiner}{t('benchmark', lang)}"
    band = card.get("band")
    if band:  # judged by its band (capitation against the budget), not against the city
        badge_text = t(outcome, lang)
        bench += " · " + t(
            "band_note",
            lang,
            low=format_kpi(kpi.unit, band[0], lang),
            high=format_kpi(kpi.unit, band[1], lang),
        )
    status = _target_status(card)
    series = card.get("series")
    trend_title = ""
    image = ""
    if series is not None and len(series) and series["value"].notna().any():
        # hover on the sparkline lists each period's value
        provisional = series["provisional"] if "provisional" in series else [False] * len(series)
        trend_title = "\n".join(
            f"{p}: {format_kpi(kpi.unit, v, lang)}{' · ' + t('provisional', lang) if open_ else ''}"
            for p, v, open_ in zip(series["period"], series["value"], provisional, strict=True)
        )
        image = sparkline_svg(
            series["value"].tolist(), OUTCOME_COLORS.get(outcome, "#0d6efd"), provisional=list(provisional)
        )
    trend = (
        html.Img(src=image, title=trend_title, className="sparkline", alt=trend_title)
        if image
        else html.Div(t("no_data", lang), className="small text-muted sparkline")
    )
    body = [
        html.Div(
            [
                html.Span(value, className="fs-3 fw-semibold me-2 kpi-value"),
                dbc.Badge(
                    badge_text, color=BADGE.get(outcome, "light"), id=badge_id, className="align-middle"
                ),
            ],
            className="d-flex align-items-center",
        ),
        dbc.Tooltip([html.Div(ci), html.Div(bench), html.Div(numbers)], target=badge_id, placement="bottom"),
        html.Div(
            [
                html.Span(
                    f"{t('target', lang)} {format_kpi(kpi.unit, card.get('target'), lang)} ", className="me-1"
                ),
                html.Span(t(status[0], lang), className=status[1]) if status else None,
            ],
            className="small",
        ),
        html.Div(
            [
                html.Span(
                    f"{t(COMPARISON_WORDS[label], lang)} {format_change(kpi.unit, card.get(f'change_{label}'), lang)}",
                    className="me-3",
                )
                for label in card.get("comparisons", ("last_year",))
            ],
            className="small text-muted card-comparisons",
        ),
        # provisional months (follow-up time not yet passed) and what the comparisons use instead
        *[
            html.Div(tell(note, lang), className="small text-warning-emphasis card-note")
            for note in card.get("notes", ())
        ],
        trend,
    ]
    return _shell(title, body, kpi.id)


# the earlier periods a card's value is compared with (queries.comparisons.comparisons_offered)
COMPARISON_WORDS = {"previous": "mom", "last_year": "yoy"}


def _shell(title: str, body: list, kpi_id: str) -> dbc.Card:
    return dbc.Card(
        dbc.CardBody([html.Div(title, className="text-muted small mb-1"), *body]),
        className="h-100 kpi-card",
        id=f"card-{kpi_id}",
    )


def cards_grid(cards: list[dict], lang: str):
    return dbc.Row(
        [
            dbc.Col(kpi_card(card, lang, i), xl=3, lg=4, md=6, className="mb-3")
            for i, card in enumerate(cards)
        ],
        className="g-3",
    )


def cards_with_note(cards: list[dict], note: str, lang: str):
    """A page's cards with a line under them saying how their numbers are made."""
    return html.Div([cards_grid(cards, lang), html.Div(note, className="small text-muted")])


def cards_table(cards: list[dict], lang: str) -> pd.DataFrame:
    """The numbers behind the cards, for download."""
    rows = []
    for card in cards:
        kpi = card["kpi_obj"]
        rows.append(
            {
                "kpi_id": kpi.id,
                "name": kpi.name_en if lang == "en" else kpi.name_zh,
                "numerator": card.get("numerator"),
                "denominator": card.get("denominator"),
                "value": card.get("value"),
                "ci_low": card.get("ci_low"),
                "ci_high": card.get("ci_high"),
                "target": card.get("target"),
                "previous_period": card.get("previous"),
                "same_period_last_year": card.get("last_year"),
                "city": card.get("benchmark"),
                "outcome": card.get("outcome"),
                "suppressed": card.get("suppressed"),
                "note": " ".join(
                    tell(note, lang) for note in (card.get("error"), *card.get("notes", ())) if note
                ),
            }
        )
    return pd.DataFrame(rows)


def cards_with_notice(cards: list[dict], dropped: tuple[str, ...], lang: str, notes=()) -> list:
    """A page's cards, under notices naming what the link held that was ignored and what else the viewer
    should know about the selection (a period cut to the data)."""
    notices = (
        [dbc.Alert(t("bad_url", lang) + ", ".join(dropped), color="warning", className="py-2")]
        if dropped
        else []
    )
    notices += [dbc.Alert(tell(note, lang), color="info", className="py-2 period-note") for note in notes]
    return [*notices, cards_grid(cards, lang)]
