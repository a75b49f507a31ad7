"""Figures every page family uses: hover labels, axes, unit bars with intervals, trends with their test,
counts by category, funnel plots. Pure functions of data (the panels' frames); they never query.

Every point's hover shows the value with its numerator, denominator and interval, formatted for the unit;
suppressed cells are drawn as gaps and say so. Units that can be drilled into carry ``[level, code]`` in
their customdata, which the shared drill callback reads.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.ui.figures.theme import COLORS, OUTCOME_COLORS, TEMPLATE
from dashboard.ui.formatting import format_kpi
from dashboard.ui.words import column_labels, label, t

SHARE_AXIS = {"tickformat": ".0%"}


def axis_format(unit: str) -> dict:
    if unit == "share":
        return SHARE_AXIS
    return {"tickformat": ",.0f"} if unit == "count" else {"separatethousands": True}


def whole(value) -> str:
    return "—" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:,.0f}"


def hover_text(row, unit: str, lang: str, label: str = "") -> str:
    """Value, numerator / denominator and interval of one row, as a hover label."""
    head = f"<b>{label}</b><br>" if label else ""
    if bool(row.get("suppressed", False)):
        return head + t("suppressed", lang)
    text = head + format_kpi(unit, row.get("value"), lang)
    denominator = row.get("denominator")
    if denominator is not None and not (isinstance(denominator, float) and math.isnan(denominator)):
        text += f"<br>{t('numerator', lang)} {whole(row.get('numerator'))} / {t('denominator', lang)} {whole(denominator)}"
    low, high = row.get("ci_low"), row.get("ci_high")
    if low is not None and not (isinstance(low, float) and math.isnan(low)):
        text += f"<br>{t('ci', lang)} {format_kpi(unit, low, lang)} – {format_kpi(unit, high, lang)}"
    return text


def styled(figure: go.Figure, height: int = 320, **kw) -> go.Figure:
    settings = {"legend": {"orientation": "h", "y": -0.15, "x": 0}, "hovermode": "closest"}
    figure.update_layout(template=TEMPLATE, height=height, **(settings | kw))
    return figure


def code_names(frame: pd.DataFrame, code: str, name: str | None, lang: str) -> dict:
    """Names of the codes in column ``code``: from the frame's ``name`` column when it has one, else from the
    catalogue's vocabulary of the column (levels, visit types …), else the codes themselves."""
    if name and name in frame:
        return dict(zip(frame[code], frame[name], strict=False))
    return column_labels(code, lang)


def counts_by_category(
    frame: pd.DataFrame, x: str, color: str, lang: str, trace, names: dict | None = None
) -> go.Figure:
    """One trace per category of ``color``: ``trace(figure, part, label, colour, hover)`` adds it."""
    names = column_labels(color, lang) if names is None else names
    figure = go.Figure()
    for i, (code, part) in enumerate(frame.groupby(color, sort=False)):
        label = names.get(code, code)
        hover = [hover_text(r, "count", lang, f"{label} {r[x]}") for r in part.to_dict("records")]
        trace(figure, part, label, COLORS[i % len(COLORS)], hover)
    return figure


def stacked_counts(frame: pd.DataFrame, x: str, color: str, lang: str) -> go.Figure:
    """Counts by period stacked by a category (visits by institution level)."""

    def bar(figure, part, label, colour, hover):
        figure.add_bar(
            x=part[x], y=part["value"], name=label, marker_color=colour, hovertext=hover, hoverinfo="text"
        )

    figure = counts_by_category(frame, x, color, lang, bar)
    return styled(figure, barmode="stack", yaxis={"separatethousands": True})


def count_lines(frame: pd.DataFrame, x: str, color: str, lang: str, names: dict | None = None) -> go.Figure:
    """Counts by period, one line per category (home and online visits; a pair's up and down referrals)."""

    def line(figure, part, label, colour, hover):
        figure.add_scatter(
            x=part[x],
            y=part["value"],
            name=label,
            mode="lines+markers",
            line={"color": colour},
            hovertext=hover,
            hoverinfo="text",
        )

    figure = counts_by_category(frame, x, color, lang, line, names)
    return styled(figure, yaxis={"separatethousands": True, "rangemode": "tozero"})


def _trend_note(test: dict, lang: str) -> str:
    if not test or test.get("p_value") is None or math.isnan(test.get("p_value", math.nan)):
        return t("trend_too_short", lang)
    word = t(f"trend_{test['direction']}", lang)
    note = f"{word} (p={test['p_value']:.3f})" if test["significant"] else f"{word} (p={test['p_value']:.2f})"
    if test.get("provisional"):  # the open points: their follow-up time has not passed
        note += " · " + t("trend_provisional", lang, n=test["provisional"])
    return note


def trend_panels(frame: pd.DataFrame, meta: dict, kpis: dict, lang: str) -> go.Figure:
    """One row per KPI: its values by period with the interval as a band, the target as a dashed line and the
    trend test's verdict in the row title (a significant change is marked ▲/▼)."""
    ids = list(dict.fromkeys(frame["kpi"]))
    titles = []
    for kpi_id in ids:
        kpi = kpis[kpi_id]
        test = meta.get("trend", {}).get(kpi_id, {})
        mark = ""
        if test.get("significant"):
            mark = "▲ " if test["direction"] in ("improving", "rising") else "▼ "
        titles.append(f"{mark}{kpi.name_en if lang == 'en' else kpi.name_zh} · {_trend_note(test, lang)}")
    figure = make_subplots(
        rows=len(ids), cols=1, shared_xaxes=True, subplot_titles=titles, vertical_spacing=0.12
    )
    for row, kpi_id in enumerate(ids, start=1):
        kpi, part = kpis[kpi_id], frame[frame["kpi"] == kpi_id]
        color = COLORS[(row - 1) % len(COLORS)]
        figure.add_scatter(
            x=list(part["period"]) + list(part["period"])[::-1],
            y=list(part["ci_high"]) + list(part["ci_low"])[::-1],
            fill="toself",
            mode="lines",
            fillcolor="rgba(13,110,253,0.12)" if row == 1 else "rgba(32,201,151,0.15)",
            line={"width": 0},
            hoverinfo="skip",
            showlegend=False,
            row=row,
            col=1,
        )
        provisional = (
            part["provisional"].fillna(False).astype(bool) if "provisional" in part else [False] * len(part)
        )
        figure.add_scatter(
            x=part["period"],
            y=part["value"],
            mode="lines+markers",
            line={"color": color},
            # a provisional period is an open point, and says so on hover
            marker={"symbol": ["circle-open" if p else "circle" for p in provisional], "size": 7},
            name=kpi.name_en if lang == "en" else kpi.name_zh,
            hovertext=[
                hover_text(r, kpi.unit, lang, f"{r['period']}{' · ' + t('provisional', lang) if p else ''}")
                for r, p in zip(part.to_dict("records"), provisional, strict=True)
            ],
            hoverinfo="text",
            showlegend=False,
            row=row,
            col=1,
        )
        target = meta.get("targets", {}).get(kpi_id)
        if target is not None:
            figure.add_hline(
                y=target,
                line={"dash": "dash", "color": "#dc3545", "width": 1},
                annotation_text=f"{t('target', lang)} {format_kpi(kpi.unit, target, lang)}",
                annotation_position="top left",
                row=row,
                col=1,
            )
        figure.update_yaxes(**axis_format(kpi.unit), row=row, col=1)
    figure.update_annotations(font_size=12)
    return styled(figure, height=max(260, 230 * len(ids)), margin={"l": 50, "r": 10, "t": 40, "b": 30})


def unit_bars(
    frame: pd.DataFrame, key: str, unit: str, lang: str, drill_level: str | None = None, top: int = 30
) -> go.Figure:
    """Units as horizontal bars with their interval, coloured by outcome against the parent when known;
    a click drills into the unit when ``drill_level`` is given."""
    part = frame.head(top).iloc[::-1]
    colors = [OUTCOME_COLORS.get(o, COLORS[0]) for o in part.get("outcome", pd.Series([None] * len(part)))]
    if "chosen" in part:  # the unit the view is about, among the others
        colors = ["#212529" if chosen else c for c, chosen in zip(colors, part["chosen"], strict=True)]
    has_ci = part["ci_low"].notna().any() and unit != "count"
    figure = go.Figure(
        go.Bar(
            x=part["value"],
            y=part["name"],
            orientation="h",
            marker_color=colors,
            error_x={
                "type": "data",
                "symmetric": False,
                "array": (part["ci_high"] - part["value"]).tolist(),
                "arrayminus": (part["value"] - part["ci_low"]).tolist(),
                "color": "#495057",
                "thickness": 1,
            }
            if has_ci
            else None,
            customdata=[[drill_level, code] for code in part[key]] if drill_level else None,
            hovertext=[hover_text(r, unit, lang, r["name"]) for r in part.to_dict("records")],
            hoverinfo="text",
        )
    )
    parent = frame["parent"].iloc[0] if "parent" in frame and len(frame) else None
    if parent is not None and not math.isnan(parent):
        figure.add_vline(x=parent, line={"dash": "dot", "color": "#6c757d"})
    return styled(
        figure,
        height=max(220, 24 * len(part) + 80),
        xaxis=axis_format(unit),
        yaxis={"automargin": True},
        margin={"l": 10, "r": 10, "t": 32, "b": 30},
    )


# a funnel group's code -> the catalogue vocabulary that names it, by what the groups are
GROUP_VOCABULARY = {"level": "level", "urban_rural": "urban_rural", "consortium_type": "consortium_type"}


def funnel_colors(outcomes) -> list[str]:
    """Point colours from each unit's outcome (computed by the query layer, polarity already read): better
    green, worse red, higher / lower (no polarity) blue / orange, within the limits the plain blue."""
    plain = {"similar": COLORS[0], "unknown": COLORS[0]}
    return [plain.get(o, OUTCOME_COLORS.get(o, COLORS[0])) for o in outcomes]


def funnel_plot(
    frame: pd.DataFrame,
    meta: dict,
    key: str,
    unit: str,
    lang: str,
    drill_level: str | None,
    x_title: str = "",
) -> go.Figure:
    """Units by denominator (x) and value (y) around their comparator, with 95% and 99.8% control limits: one
    funnel per group the units are compared in (a level, urban or rural peers), titled by the group. Units
    are coloured by their outcome (the query layer's verdict by the 99.8% limits, through the KPI's
    polarity); units outside the 99.8% limits and the chosen unit are drawn larger."""
    groups = meta["groups"]
    vocabulary = GROUP_VOCABULARY.get((meta.get("comparator") or {}).get("grouped_by"))
    cols = min(len(groups), 3) or 1
    rows = max(1, math.ceil(len(groups) / cols))
    if len(groups) > 1:
        titles = [label(vocabulary, g["group"], lang) if vocabulary else str(g["group"]) for g in groups]
        figure = make_subplots(rows=rows, cols=cols, subplot_titles=titles, horizontal_spacing=0.08)
    else:
        figure = go.Figure()
    in_group = (
        frame["comparator_group"].fillna("") if "comparator_group" in frame else pd.Series("", frame.index)
    )
    for i, group in enumerate(groups):
        where = {"row": i // cols + 1, "col": i % cols + 1} if len(groups) > 1 else {}
        _funnel_group(
            figure,
            frame[in_group == (group["group"] or "")],
            group,
            key,
            unit,
            lang,
            drill_level,
            where,
            i == 0,
        )
    figure.update_xaxes(title=x_title or t("denominator", lang), separatethousands=True)
    figure.update_yaxes(**axis_format(unit))
    figure.update_annotations(font_size=12)
    if len(groups) == 1:
        return styled(
            figure,
            legend={"orientation": "h", "y": 1.12, "x": 0},
            margin={"l": 40, "r": 10, "t": 40, "b": 40},
        )
    # several funnels: their titles on top, the axis titles under them, the legend under those
    return styled(
        figure,
        height=300 * rows + 80,
        legend={"orientation": "h", "y": -0.3 if rows == 1 else -0.12, "x": 0, "yanchor": "top"},
        margin={"l": 40, "r": 10, "t": 40, "b": 80},
    )


def _funnel_group(figure, part, group, key, unit, lang, drill_level, where, legend: bool) -> None:
    """One group's limits, benchmark and units, in its own subplot (``where``) when there are several."""
    sizes = group["sizes"]
    for label_, dash in (("95", "dash"), ("99.8", "solid")):
        low, high = group["limits"][label_]
        for bound in (low, high):
            figure.add_scatter(
                x=sizes,
                y=bound,
                mode="lines",
                line={"color": "#adb5bd", "dash": dash, "width": 1},
                name=f"{label_}% {t('control_limits', lang)}",
                legendgroup=label_,
                hoverinfo="skip",
                showlegend=legend and bound is high,
                **where,
            )
    figure.add_scatter(
        x=[sizes[0], sizes[-1]],
        y=[group["benchmark"], group["benchmark"]],
        mode="lines",
        line={"color": "#495057", "width": 1},
        name=t("comparator_line", lang),
        legendgroup="benchmark",
        hoverinfo="skip",
        showlegend=legend,
        **where,
    )
    outside = part["outside_99.8"].fillna(False).to_numpy(dtype=bool)
    chosen = part.get("chosen", pd.Series(False, index=part.index)).to_numpy(dtype=bool)
    figure.add_scatter(
        x=part["denominator"],
        y=part["value"],
        mode="markers",
        marker={
            "color": funnel_colors(part["outcome"]),
            "size": np.where(outside | chosen, 11, 7).tolist(),
            # the unit the view is scoped to, among its peers: a dark ring
            "line": {
                "width": np.where(chosen, 3, 0.5).tolist(),
                "color": np.where(chosen, "#212529", "#fff").tolist(),
            },
        },
        name=t("units", lang),
        legendgroup="units",
        showlegend=legend,
        customdata=[[drill_level, c] for c in part[key]] if drill_level else None,
        hovertext=[
            hover_text(r, unit, lang, r["name"]) + f"<br>{t(r['outcome'], lang)}"
            for r in part.to_dict("records")
        ],
        hoverinfo="text",
        **where,
    )


def axis_title(axis: str, lang: str) -> str:
    """A funnel's x axis: the denominator of a crude rate, or the expected events of a standardised one."""
    return t(f"x_{axis}", lang)
