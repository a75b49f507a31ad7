"""Plotly figures for the care-delivery pages: pure functions of the panel frames (queries/panels.py).

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

from dashboard.figures import COLORS, OUTCOME_COLORS, TEMPLATE
from dashboard.formatting import format_kpi
from dashboard.i18n import t

SHARE_AXIS = {"tickformat": ".0%"}


def _axis(unit: str) -> dict:
    if unit == "share":
        return SHARE_AXIS
    return {"tickformat": ",.0f"} if unit == "count" else {"separatethousands": True}


def _num(value) -> str:
    return "—" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:,.0f}"


def hover_text(row, unit: str, lang: str, label: str = "") -> str:
    """Value, numerator / denominator and interval of one row, as a hover label."""
    head = f"<b>{label}</b><br>" if label else ""
    if bool(row.get("suppressed", False)):
        return head + t("suppressed", lang)
    text = head + format_kpi(unit, row.get("value"), lang)
    denominator = row.get("denominator")
    if denominator is not None and not (isinstance(denominator, float) and math.isnan(denominator)):
        text += f"<br>{t('numerator', lang)} {_num(row.get('numerator'))} / {t('denominator', lang)} {_num(denominator)}"
    low, high = row.get("ci_low"), row.get("ci_high")
    if low is not None and not (isinstance(low, float) and math.isnan(low)):
        text += f"<br>{t('ci', lang)} {format_kpi(unit, low, lang)} – {format_kpi(unit, high, lang)}"
    return text


def _layout(figure: go.Figure, height: int = 320, **kw) -> go.Figure:
    settings = {"legend": {"orientation": "h", "y": -0.15, "x": 0}, "hovermode": "closest"}
    figure.update_layout(template=TEMPLATE, height=height, **(settings | kw))
    return figure


def _counts_by_category(frame: pd.DataFrame, x: str, color: str, names: dict, lang: str, trace) -> go.Figure:
    """One trace per category of ``color``: ``trace(figure, part, label, colour, hover)`` adds it."""
    figure = go.Figure()
    for i, (code, part) in enumerate(frame.groupby(color, sort=False)):
        label = names.get(code, code)
        hover = [hover_text(r, "count", lang, f"{label} {r[x]}") for r in part.to_dict("records")]
        trace(figure, part, label, COLORS[i % len(COLORS)], hover)
    return figure


def stacked_counts(frame: pd.DataFrame, x: str, color: str, names: dict, lang: str) -> go.Figure:
    """Counts by period stacked by a category (visits by institution level)."""

    def bar(figure, part, label, colour, hover):
        figure.add_bar(
            x=part[x], y=part["value"], name=label, marker_color=colour, hovertext=hover, hoverinfo="text"
        )

    figure = _counts_by_category(frame, x, color, names, lang, bar)
    return _layout(figure, barmode="stack", yaxis={"separatethousands": True})


def count_lines(frame: pd.DataFrame, x: str, color: str, names: dict, lang: str) -> go.Figure:
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

    figure = _counts_by_category(frame, x, color, names, lang, line)
    return _layout(figure, yaxis={"separatethousands": True, "rangemode": "tozero"})


def _trend_note(test: dict, lang: str) -> str:
    if not test or test.get("p_value") is None or math.isnan(test.get("p_value", math.nan)):
        return t("trend_too_short", lang)
    word = t(f"trend_{test['direction']}", lang)
    return f"{word} (p={test['p_value']:.3f})" if test["significant"] else f"{word} (p={test['p_value']:.2f})"


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
        figure.add_scatter(
            x=part["period"],
            y=part["value"],
            mode="lines+markers",
            line={"color": color},
            name=kpi.name_en if lang == "en" else kpi.name_zh,
            hovertext=[hover_text(r, kpi.unit, lang, str(r["period"])) for r in part.to_dict("records")],
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
        figure.update_yaxes(**_axis(kpi.unit), row=row, col=1)
    figure.update_annotations(font_size=12)
    return _layout(figure, height=max(260, 230 * len(ids)), margin={"l": 50, "r": 10, "t": 40, "b": 30})


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
    return _layout(
        figure,
        height=max(220, 24 * len(part) + 80),
        xaxis=_axis(unit),
        yaxis={"automargin": True},
        margin={"l": 10, "r": 10, "t": 32, "b": 30},
    )


def flow_matrix(frame: pd.DataFrame, names: dict, lang: str) -> go.Figure:
    """Rows: residents' district; columns: district of care; colour: share of the residents' visits."""
    rows = sorted(frame["res_district"].unique())
    cols = sorted(frame["district_code"].unique())
    share = frame.pivot(index="res_district", columns="district_code", values="share").reindex(
        index=rows, columns=cols
    )
    count = frame.pivot(index="res_district", columns="district_code", values="value").reindex(
        index=rows, columns=cols
    )
    text = [
        [
            f"{names.get(r, r)} → {names.get(c, c)}<br>{_num(count.loc[r, c])} "
            f"({'—' if np.isnan(share.loc[r, c]) else f'{share.loc[r, c]:.1%}'})"
            for c in cols
        ]
        for r in rows
    ]
    figure = go.Figure(
        go.Heatmap(
            z=share.to_numpy(),
            x=[names.get(c, c) for c in cols],
            y=[names.get(r, r) for r in rows],
            colorscale="Blues",
            zmin=0,
            zmax=1,
            hovertext=text,
            hoverinfo="text",
            texttemplate="%{z:.0%}",
            colorbar={"tickformat": ".0%"},
        )
    )
    return _layout(
        figure,
        height=max(300, 34 * len(rows) + 140),
        xaxis={"side": "top", "tickangle": -40},
        yaxis={"autorange": "reversed", "automargin": True},
        margin={"l": 10, "r": 10, "t": 80, "b": 10},
    )


def sankey(
    frame: pd.DataFrame,
    source: str,
    target: str,
    names: dict,
    lang: str,
    pairs: bool = False,
    top: int | None = None,
) -> go.Figure:
    """Flows from a referring side (left) to a receiving side (right); with ``pairs`` each link carries its
    ``source~target`` codes so a click can choose the pair."""
    part = frame.dropna(subset=["value"])
    part = part[part["value"] > 0].head(top) if top else part[part["value"] > 0]
    left = list(dict.fromkeys(part[source]))
    right = list(dict.fromkeys(part[target]))
    labels = [names.get(c, c) for c in left] + [names.get(c, c) for c in right]
    index_left = {c: i for i, c in enumerate(left)}
    index_right = {c: len(left) + i for i, c in enumerate(right)}
    link_text = [
        f"{names.get(a, a)} → {names.get(b, b)}: {_num(v)}"
        for a, b, v in zip(part[source], part[target], part["value"], strict=True)
    ]
    figure = go.Figure(
        go.Sankey(
            arrangement="snap",
            node={"label": labels, "pad": 12, "thickness": 14, "color": "#adb5bd"},
            link={
                "source": [index_left[c] for c in part[source]],
                "target": [index_right[c] for c in part[target]],
                "value": part["value"].tolist(),
                "customdata": [f"{a}~{b}" for a, b in zip(part[source], part[target], strict=True)]
                if pairs
                else None,
                "hovertemplate": "%{label}<extra></extra>",
                "label": link_text,
                "color": "rgba(13,110,253,0.25)",
            },
        )
    )
    return _layout(
        figure,
        height=max(320, 18 * max(len(left), len(right)) + 80),
        margin={"l": 10, "r": 10, "t": 32, "b": 10},
    )


def direction_bars(frame: pd.DataFrame, kpis: dict, lang: str) -> go.Figure:
    """Up and down referrals by month (bars) and the down-referral share with its interval (line, right axis)."""
    figure = make_subplots(specs=[[{"secondary_y": True}]])
    for i, kpi_id in enumerate(("up_referrals", "down_referrals")):
        part, kpi = frame[frame["kpi"] == kpi_id], kpis[kpi_id]
        name = kpi.name_en if lang == "en" else kpi.name_zh
        figure.add_bar(
            x=part["month"],
            y=part["value"],
            name=name,
            marker_color=COLORS[i],
            hovertext=[hover_text(r, "count", lang, f"{name} {r['month']}") for r in part.to_dict("records")],
            hoverinfo="text",
        )
    share, kpi = frame[frame["kpi"] == "down_referral_share"], kpis["down_referral_share"]
    name = kpi.name_en if lang == "en" else kpi.name_zh
    figure.add_scatter(
        x=share["month"],
        y=share["value"],
        name=name,
        mode="lines+markers",
        line={"color": COLORS[2]},
        error_y={
            "type": "data",
            "symmetric": False,
            "array": (share["ci_high"] - share["value"]).tolist(),
            "arrayminus": (share["value"] - share["ci_low"]).tolist(),
            "thickness": 1,
        },
        hovertext=[hover_text(r, "share", lang, f"{name} {r['month']}") for r in share.to_dict("records")],
        hoverinfo="text",
        secondary_y=True,
    )
    figure.update_yaxes(separatethousands=True, secondary_y=False)
    figure.update_yaxes(tickformat=".0%", rangemode="tozero", secondary_y=True, showgrid=False)
    return _layout(figure, barmode="group")


def funnel_plot(
    frame: pd.DataFrame,
    meta: dict,
    key: str,
    unit: str,
    lang: str,
    drill_level: str | None,
    x_title: str = "",
) -> go.Figure:
    """Units by denominator (x) and value (y) around the benchmark, with 95% and 99.8% control limits; units
    outside the 99.8% limits are drawn in red (above, for a KPI where higher is better: green)."""
    figure = go.Figure()
    sizes = meta["sizes"]
    for label, dash in (("95", "dash"), ("99.8", "solid")):
        low, high = meta["limits"][label]
        for bound in (low, high):
            figure.add_scatter(
                x=sizes,
                y=bound,
                mode="lines",
                line={"color": "#adb5bd", "dash": dash, "width": 1},
                name=f"{label}% {t('control_limits', lang)}",
                hoverinfo="skip",
                showlegend=bound is high,
            )
    figure.add_hline(y=meta["benchmark"], line={"color": "#495057", "width": 1})
    outside = frame["outside_99.8"].fillna(False).to_numpy(dtype=bool)
    chosen = frame.get("chosen", pd.Series(False, index=frame.index)).to_numpy(dtype=bool)
    colors = np.where(
        outside,
        np.where(frame["value"] > meta["benchmark"], OUTCOME_COLORS["better"], OUTCOME_COLORS["worse"]),
        COLORS[0],
    )
    figure.add_scatter(
        x=frame["denominator"],
        y=frame["value"],
        mode="markers",
        marker={
            "color": colors.tolist(),
            "size": np.where(outside | chosen, 11, 7).tolist(),
            # the unit the view is scoped to, among its peers: a dark ring
            "line": {
                "width": np.where(chosen, 3, 0.5).tolist(),
                "color": np.where(chosen, "#212529", "#fff").tolist(),
            },
        },
        name=t("units", lang),
        customdata=[[drill_level, c] for c in frame[key]] if drill_level else None,
        hovertext=[hover_text(r, unit, lang, r["name"]) for r in frame.to_dict("records")],
        hoverinfo="text",
    )
    return _layout(
        figure,
        xaxis={"title": x_title or t("denominator", lang), "separatethousands": True},
        yaxis=_axis(unit),
        legend={"orientation": "h", "y": 1.12, "x": 0},
        margin={"l": 40, "r": 10, "t": 40, "b": 40},
    )


def cascade_bars(frame: pd.DataFrame, lang: str) -> go.Figure:
    """The care cascade as bars, each labelled with its count and the share of the step before."""
    labels = [t(f"cascade_{s}", lang) for s in frame["step"]]
    counts = frame["patients"].astype(float)
    rates = pd.to_numeric(frame["rate"], errors="coerce")
    text = [
        f"{_num(c)}" + ("" if math.isnan(r) else f" ({r:.1%})") for c, r in zip(counts, rates, strict=True)
    ]
    figure = go.Figure(
        go.Bar(
            x=labels,
            y=counts,
            text=text,
            textposition="outside",
            marker_color=[COLORS[6], COLORS[0], COLORS[1], COLORS[5]][-len(labels) :],
            hovertext=[f"{lab}: {tx}" for lab, tx in zip(labels, text, strict=True)],
            hoverinfo="text",
        )
    )
    return _layout(figure, yaxis={"separatethousands": True}, margin={"l": 50, "r": 10, "t": 36, "b": 30})


def crude_vs_adjusted(
    frame: pd.DataFrame, key: str, lang: str, method: str, drill_level: str | None
) -> go.Figure:
    """Each unit's crude rate (hollow) and standardised rate with its interval (filled)."""
    part = frame.sort_values("adjusted").reset_index(drop=True)
    figure = go.Figure()
    figure.add_scatter(
        x=part["crude"],
        y=part["name"],
        mode="markers",
        marker={"symbol": "circle-open", "size": 10, "color": "#6c757d"},
        name=t("crude", lang),
        hovertext=[
            f"{n}<br>{t('crude', lang)} {format_kpi('share', v, lang)}"
            for n, v in zip(part["name"], part["crude"], strict=True)
        ],
        hoverinfo="text",
    )
    figure.add_scatter(
        x=part["adjusted"],
        y=part["name"],
        mode="markers",
        marker={"size": 10, "color": COLORS[0]},
        error_x={
            "type": "data",
            "symmetric": False,
            "array": (part["adjusted_high"] - part["adjusted"]).tolist(),
            "arrayminus": (part["adjusted"] - part["adjusted_low"]).tolist(),
            "thickness": 1,
        },
        customdata=[[drill_level, c] for c in part[key]] if drill_level else None,
        name=t("standardised", lang),
        hovertext=[
            f"{r['name']}<br>{t('standardised', lang)} {format_kpi('share', r['adjusted'], lang)}"
            f"<br>O/E {r['ratio']:.2f} ({r['ratio_low']:.2f}–{r['ratio_high']:.2f})"
            f"<br>{t('observed', lang)} {_num(r['observed'])} / {t('expected', lang)} {r['expected']:,.1f}"
            for r in part.to_dict("records")
        ],
        hoverinfo="text",
    )
    return _layout(
        figure,
        height=max(240, 26 * len(part) + 100),
        xaxis={**SHARE_AXIS, "title": method, "range": [0, 1.02]},  # an interval past 100% is cut at 100%
        yaxis={"automargin": True},
        legend={"orientation": "h", "y": 1.02, "x": 0, "yanchor": "bottom"},
        margin={"l": 10, "r": 10, "t": 30, "b": 40},
    )


def followup_bars(frame: pd.DataFrame, names: dict, lang: str, quarters: int) -> go.Figure:
    """Managed patients by follow-ups in the period; bars reaching the standard (one per quarter) in green."""
    part = frame.sort_values("followups")
    colors = [OUTCOME_COLORS["better"] if int(f) >= quarters else COLORS[0] for f in part["followups"]]
    figure = go.Figure(
        go.Bar(
            x=[names.get(str(f), str(f)) for f in part["followups"]],
            y=part["denominator"],
            marker_color=colors,
            hovertext=[
                f"{names.get(str(r['followups']), r['followups'])}: {_num(r['denominator'])} "
                f"{t('patients', lang)}<br>{t('control_rate', lang)} {format_kpi('share', r['value'], lang)}"
                if not r["suppressed"]
                else t("suppressed", lang)
                for r in part.to_dict("records")
            ],
            hoverinfo="text",
        )
    )
    return _layout(
        figure,
        xaxis={"type": "category"},
        yaxis={"separatethousands": True},
    )


def quadrant_plot(
    frame: pd.DataFrame, key: str, region_cmi: float, lang: str, drill_level: str | None, chosen: str = ""
) -> go.Figure:
    """CMI (x) against surplus per case (y), bubble size = grouped cases; the lines at the region's CMI and at
    zero surplus make four quadrants (heavy and gaining, heavy and losing, light and gaining, light and losing)."""
    part = frame.dropna(subset=["value", "surplus_per_case"])
    sizes = np.sqrt(part["denominator"].clip(lower=1))
    figure = go.Figure(
        go.Scatter(
            x=part["value"],
            y=part["surplus_per_case"],
            mode="markers+text",
            text=[n if len(part) <= 12 else "" for n in part["name"]],  # more labels than that only collide
            textposition="top center",
            textfont={"size": 10},
            marker={
                "size": (8 + 22 * sizes / max(sizes.max(), 1)).tolist(),
                "color": np.where(
                    part["surplus_per_case"] >= 0, OUTCOME_COLORS["better"], OUTCOME_COLORS["worse"]
                ).tolist(),
                "opacity": 0.75,
                "line": {
                    "width": [3 if c == chosen else 0.5 for c in part[key]],
                    "color": ["#212529" if c == chosen else "#fff" for c in part[key]],
                },
            },
            customdata=[[drill_level, c] for c in part[key]] if drill_level else None,
            hovertext=[
                f"<b>{r['name']}</b><br>CMI {r['value']:.3f}<br>{t('surplus_per_case', lang)} "
                f"{format_kpi('yuan', r['surplus_per_case'], lang)}<br>{t('grouped_cases', lang)} {_num(r['denominator'])}"
                for r in part.to_dict("records")
            ],
            hoverinfo="text",
        )
    )
    figure.add_vline(x=region_cmi, line={"dash": "dot", "color": "#6c757d"})
    figure.add_hline(y=0, line={"dash": "dot", "color": "#6c757d"})
    return _layout(
        figure,
        height=380,
        xaxis={"title": "CMI", "tickformat": ".2f"},
        yaxis={"title": t("surplus_per_case", lang), "separatethousands": True},
        showlegend=False,
        margin={"l": 60, "r": 10, "t": 32, "b": 40},
    )


def outlier_bars(frame: pd.DataFrame, names: dict, lang: str) -> go.Figure:
    """High- and low-cost outlier cases (counts) by DRG group."""
    figure = go.Figure()
    order = frame.groupby("drg_code")["numerator"].sum().sort_values().index
    for kind, color in (
        ("high_cost_outlier_share", OUTCOME_COLORS["worse"]),
        ("low_cost_outlier_share", COLORS[2]),
    ):
        part = frame[frame["kind"] == kind].set_index("drg_code").reindex(order).reset_index()
        figure.add_bar(
            y=[f"{c} {names.get(c, '')}"[:28] for c in part["drg_code"]],
            x=part["numerator"],
            orientation="h",
            name=t(kind, lang),
            marker_color=color,
            hovertext=[
                f"{c} {names.get(c, '')}<br>{t(kind, lang)}: "
                + (t("suppressed", lang) if s else f"{_num(n)} / {_num(d)}")
                for c, n, d, s in zip(
                    part["drg_code"], part["numerator"], part["denominator"], part["suppressed"], strict=True
                )
            ],
            hoverinfo="text",
        )
    return _layout(
        figure,
        height=max(260, 22 * len(order) + 90),
        barmode="stack",
        yaxis={"automargin": True},
        margin={"l": 10, "r": 10, "t": 32, "b": 30},
    )


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
    title = f"{verdict} {format_kpi('yuan', abs(balance), lang)}"
    return _layout(
        figure,
        height=340,
        title={"text": title, "font": {"size": 13}, "x": 0.01},
        yaxis={"separatethousands": True, "rangemode": "tozero"},
        margin={"l": 60, "r": 10, "t": 40, "b": 30},
    )


def budget_and_spend(frame: pd.DataFrame, key: str, lang: str, drill_level: str | None) -> go.Figure:
    """Each budget holder's budget and spend side by side; hover gives its shares of the whole."""
    part = frame.iloc[::-1]
    figure = go.Figure()
    for column, label, color in (("denominator", "budget", "#adb5bd"), ("numerator", "spend", COLORS[0])):
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
                for r in part.to_dict("records")
            ],
            hoverinfo="text",
        )
    return _layout(
        figure,
        height=max(240, 30 * len(part) + 90),
        barmode="group",
        xaxis={"separatethousands": True},
        yaxis={"automargin": True},
        margin={"l": 10, "r": 10, "t": 32, "b": 30},
    )


OUTCOME_CODE = {"better": 0, "similar": 1, "worse": 2, "higher": 3, "lower": 4, "unknown": 5, "suppressed": 5}
_OUTCOME_SCALE = [
    [i / 5, OUTCOME_COLORS[o]]
    for o, i in (("better", 0), ("similar", 1), ("worse", 2), ("higher", 3), ("lower", 4), ("unknown", 5))
]


def tartan_grid(frame: pd.DataFrame, kpis: dict, lang: str, drill_level: str | None) -> go.Figure:
    """Units (rows) × KPIs (columns) coloured by outcome against the city, each cell showing its value."""
    ids = list(dict.fromkeys(frame["kpi"]))
    units = list(dict.fromkeys(frame["code"]))
    names = dict(zip(frame["code"], frame["name"], strict=False))
    cell = {(r["code"], r["kpi"]): r for r in frame.to_dict("records")}
    z, text, hover = [], [], []
    for code in units:
        z.append([OUTCOME_CODE.get(cell.get((code, k), {}).get("outcome", "unknown"), 5) for k in ids])
        text.append([format_kpi(kpis[k].unit, cell.get((code, k), {}).get("value"), lang) for k in ids])
        hover.append(
            [
                hover_text(
                    cell.get((code, k), {"value": None}),
                    kpis[k].unit,
                    lang,
                    f"{names[code]} · {kpis[k].name_en if lang == 'en' else kpis[k].name_zh}",
                )
                + f"<br>{t(cell.get((code, k), {}).get('outcome', 'unknown'), lang)}{' ' if lang == 'en' else ''}{t('benchmark', lang)}"
                for k in ids
            ]
        )
    figure = go.Figure(
        go.Heatmap(
            z=z,
            x=[kpis[k].name_en if lang == "en" else kpis[k].name_zh for k in ids],
            y=[names[c] for c in units],
            customdata=[[[drill_level, c]] * len(ids) for c in units] if drill_level else None,
            colorscale=_OUTCOME_SCALE,
            zmin=0,
            zmax=5,
            showscale=False,
            text=text,
            texttemplate="%{text}",
            hovertext=hover,
            hoverinfo="text",
            xgap=2,
            ygap=2,
        )
    )
    return _layout(
        figure,
        height=max(260, 34 * len(units) + 140),
        xaxis={"side": "top", "tickangle": -30},
        yaxis={"autorange": "reversed", "automargin": True},
        margin={"l": 10, "r": 10, "t": 110, "b": 10},
    )


def tile_map(frame: pd.DataFrame, unit: str, lang: str) -> go.Figure:
    """Districts as equal tiles (a tile map: no district looks bigger for being larger), coloured by outcome,
    with name and value; a click drills into the district."""
    figure = go.Figure(
        go.Scatter(
            x=frame["col"],
            y=frame["row"],
            mode="markers+text",
            marker={
                "symbol": "square",
                "size": 86,
                "color": [OUTCOME_COLORS.get(o, "#adb5bd") for o in frame["outcome"]],
                "opacity": 0.85,
            },
            text=[
                f"{n}<br>{format_kpi(unit, v, lang)}"
                for n, v in zip(frame["name"], frame["value"], strict=True)
            ],
            textfont={"color": "#fff", "size": 12},
            customdata=[["district", c] for c in frame["district_code"]],
            hovertext=[hover_text(r, unit, lang, r["name"]) for r in frame.to_dict("records")],
            hoverinfo="text",
        )
    )
    rows, cols = int(frame["row"].max()) + 1, int(frame["col"].max()) + 1
    return _layout(
        figure,
        height=110 * rows + 60,
        xaxis={"visible": False, "range": [-0.6, cols - 0.4]},
        yaxis={"visible": False, "range": [rows - 0.4, -0.6]},
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        showlegend=False,
    )


def choropleth(frame: pd.DataFrame, geojson: dict, unit: str, lang: str) -> go.Figure:
    """Districts drawn from a user's GeoJSON (features carry properties.district_code), coloured by value."""
    figure = go.Figure(
        go.Choropleth(
            geojson=geojson,
            locations=frame["district_code"],
            featureidkey="properties.district_code",
            z=frame["value"],
            colorscale="Blues",
            hovertext=[hover_text(r, unit, lang, r["name"]) for r in frame.to_dict("records")],
            hoverinfo="text",
            customdata=[["district", c] for c in frame["district_code"]],
            colorbar={"tickformat": ".0%" if unit == "share" else ""},
        )
    )
    figure.update_geos(fitbounds="locations", visible=False)
    return _layout(figure, height=420, margin={"l": 0, "r": 0, "t": 0, "b": 0})


def small_multiples(frame: pd.DataFrame, meta: dict, unit: str, lang: str) -> go.Figure:
    """One small chart per unit on a shared y axis; a significant trend is marked ▲ (improving / rising) or
    ▼ in the unit's title."""
    codes = list(dict.fromkeys(frame["code"]))
    cols = 4
    rows = (len(codes) + cols - 1) // cols
    titles = []
    for code in codes:
        test = meta["trend"].get(code, {})
        name = frame.loc[frame["code"] == code, "name"].iloc[0]
        mark = ""
        if test.get("significant"):
            mark = " ▲" if test["direction"] in ("improving", "rising") else " ▼"
        titles.append(f"{name}{mark}")
    figure = make_subplots(
        rows=rows, cols=cols, shared_yaxes=True, subplot_titles=titles, vertical_spacing=0.14
    )
    for i, code in enumerate(codes):
        part = frame[frame["code"] == code]
        figure.add_scatter(
            x=part["period"],
            y=part["value"],
            mode="lines",
            line={"color": COLORS[0], "width": 1.5},
            hovertext=[
                hover_text(r, unit, lang, f"{r['name']} {r['period']}") for r in part.to_dict("records")
            ],
            hoverinfo="text",
            showlegend=False,
            row=i // cols + 1,
            col=i % cols + 1,
        )
    figure.update_xaxes(showticklabels=False)
    figure.update_yaxes(**_axis(unit))
    figure.update_annotations(font_size=11)
    return _layout(figure, height=170 * rows + 40, margin={"l": 50, "r": 10, "t": 30, "b": 10})
