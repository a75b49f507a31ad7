"""Figures of the settlement page: capitation budget against spend, budget holders."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.ui.figures.common import styled, unit_bars
from dashboard.ui.figures.theme import COLORS, OUTCOME_COLORS
from dashboard.ui.formatting import format_kpi
from dashboard.ui.words import t


def capitation_progress(frame: pd.DataFrame, meta: dict, lang: str) -> go.Figure:
    """Cumulative capitation spend against the cumulative budget this year, with the straight-line projection
    of spend to 31 December and the annual budget; the title says what the projection means for the holder."""
    months = pd.to_datetime(frame["month"])
    year_end = pd.Timestamp(year=meta["year"], month=12, day=1)
    figure = go.Figure()
    figure.add_scatter(
        x=months,
        y=frame["cumulative_budget"],
        name=t("budget_to_date", lang),
        mode="lines",
        line={"color": "#6c757d", "dash": "dot"},
        hovertemplate="%{x|%Y-%m} %{y:,.0f}<extra></extra>",
    )
    figure.add_scatter(
        x=months,
        y=frame["cumulative_spend"],
        name=t("spend_to_date", lang),
        mode="lines+markers",
        line={"color": COLORS[0]},
        hovertemplate="%{x|%Y-%m} %{y:,.0f}<extra></extra>",
    )
    figure.add_scatter(
        x=[months.iloc[-1], year_end],
        y=[frame["cumulative_spend"].iloc[-1], meta["projected"]],
        name=t("projection", lang),
        mode="lines+markers",
        line={"color": COLORS[0], "dash": "dash"},
        hovertemplate="%{x|%Y-%m} %{y:,.0f}<extra></extra>",
    )
    figure.add_hline(
        y=meta["annual_budget"],
        line={"color": "#dc3545", "width": 1},
        annotation_text=f"{t('annual_budget', lang)} {format_kpi('yuan', meta['annual_budget'], lang)}",
        annotation_position="top left",
    )
    balance = meta["balance"]
    verdict = t("surplus_kept" if balance >= 0 else "overspend_borne", lang)
    so_far = t(
        "spend_rate_so_far",
        lang,
        rate=format_kpi("share", meta["spend_rate"], lang),
        verdict=t(meta["outcome"], lang),
    )
    title = f"{verdict} {format_kpi('yuan', abs(balance), lang)} · {so_far}"
    return styled(
        figure,
        height=340,
        title={"text": title, "font": {"size": 13}, "x": 0.01},
        yaxis={"separatethousands": True, "rangemode": "tozero"},
        margin={"l": 60, "r": 10, "t": 40, "b": 30},
    )


def budget_and_spend(frame: pd.DataFrame, key: str, lang: str, drill_level: str | None) -> go.Figure:
    """Each budget holder's budget and spend side by side, the spend coloured by where its rate lies in the
    band (within budget, overspend, under the warning line); hover gives its shares of the whole."""
    part = frame.iloc[::-1]
    figure = go.Figure()
    outcomes = part["outcome"] if "outcome" in part else pd.Series("unknown", index=part.index)
    spend_colors = [OUTCOME_COLORS.get(o, COLORS[0]) for o in outcomes]
    for column, label, color in (("denominator", "budget", "#adb5bd"), ("numerator", "spend", spend_colors)):
        figure.add_bar(
            y=part["name"],
            x=part[column],
            orientation="h",
            name=t(label, lang),
            marker_color=color,
            customdata=[[drill_level, c] for c in part[key]] if drill_level else None,
            hovertext=[
                f"<b>{r['name']}</b><br>{t('budget', lang)} {format_kpi('yuan', r['denominator'], lang)} "
                f"({r['budget_share']:.1%})<br>{t('spend', lang)} {format_kpi('yuan', r['numerator'], lang)} "
                f"({r['spend_share']:.1%})<br>{t('spend_rate', lang)} {r['value']:.1%}"
                f"{' · ' + t(r['outcome'], lang) if r.get('outcome') in OUTCOME_COLORS else ''}"
                for r in part.to_dict("records")
            ],
            hoverinfo="text",
        )
    return styled(
        figure,
        height=max(240, 30 * len(part) + 90),
        barmode="group",
        xaxis={"separatethousands": True},
        yaxis={"automargin": True},
        margin={"l": 10, "r": 10, "t": 32, "b": 30},
    )


def surplus_bars(frame: pd.DataFrame, meta: dict, lang: str, drill_level: str | None = None) -> go.Figure:
    """Surplus (green) or deficit (red) per unit, group or department, largest first: the colour is the
    frame's outcome (the query layer reads the sign through the surplus's polarity)."""
    return unit_bars(frame, meta["key"], "yuan", lang, drill_level, top=meta["top"])


def payments_bars(frame: pd.DataFrame, meta: dict, lang: str) -> go.Figure:
    """What the fund settled (实际结算) beside what the policy file gives (按政策测算), year by year; the title
    carries both totals and their difference."""
    years = [str(pd.Timestamp(y).year) for y in frame["year"]]
    figure = go.Figure()
    for column, name, color in (("settled", "settled", "#adb5bd"), ("policy", "policy_estimate", COLORS[0])):
        figure.add_bar(
            x=years,
            y=frame[column],
            name=t(name, lang),
            marker_color=color,
            hovertext=[
                f"<b>{year}</b><br>{t('settled', lang)} {format_kpi('yuan', r['settled'], lang)}<br>"
                f"{t('policy_estimate', lang)} {format_kpi('yuan', r['policy'], lang)}"
                for year, r in zip(years, frame.to_dict("records"), strict=True)
            ],
            hoverinfo="text",
        )
    title = t(
        "payments_title",
        lang,
        settled=format_kpi("yuan", meta["settled"], lang),
        policy=format_kpi("yuan", meta["policy"], lang),
        difference=format_kpi("yuan", meta["policy"] - meta["settled"], lang),
    )
    return styled(
        figure,
        height=320,
        barmode="group",
        title={"text": title, "font": {"size": 13}, "x": 0.01},
        yaxis={"separatethousands": True, "rangemode": "tozero"},
        margin={"l": 60, "r": 10, "t": 40, "b": 30},
    )
