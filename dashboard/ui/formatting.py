"""Numbers as Chinese readers expect them: thousands separators, 万 and 亿 where they help. The unit words
(万, 亿, 元, 天 …) come from the catalogues' ``number`` section."""

from __future__ import annotations

from dashboard.ui.words import label

WAN = 10_000
YI = 100_000_000


def _word(key: str, lang: str = "zh") -> str:
    return label("number", key, lang)


def format_int(value: int | float) -> str:
    """An exact count with thousands separators: 5,191,585."""
    return f"{round(value):,}"


def format_large(value: int | float, decimals: int = 1) -> str:
    """A large number shortened the Chinese way: 5,191,585 -> '519.2万', 312,000,000 -> '3.1亿'.

    Numbers under ten thousand are shown whole.
    """
    magnitude = abs(value)
    if magnitude >= YI:
        return f"{value / YI:,.{decimals}f}{_word('yi')}"
    if magnitude >= WAN:
        return f"{value / WAN:,.{decimals}f}{_word('wan')}"
    return format_int(value)


def format_yuan(value: int | float, decimals: int = 1) -> str:
    """Money in yuan: '361.60元' below ten thousand, then '12.3万元', '4.5亿元'."""
    if abs(value) >= WAN:
        return f"{format_large(value, decimals)}{_word('yuan')}"
    return f"{value:,.2f}{_word('yuan')}"


def format_percent(fraction: float, decimals: int = 1) -> str:
    return f"{fraction * 100:.{decimals}f}%"


def format_kpi(unit: str, value: float | None, lang: str = "zh") -> str:
    """A KPI value in its unit, the way a Chinese report prints it; '—' when there is no value."""
    if value is None or value != value:  # None or NaN
        return "—"
    if unit == "share":
        return format_percent(value)
    if unit == "yuan":
        if lang == "zh":
            return format_yuan(value)
        currency = _word("currency", lang)
        return f"{currency}{value:,.2f}" if abs(value) < WAN else f"{currency}{value:,.0f}"
    if unit == "days":
        return f"{value:.1f}{_word('days', lang)}"
    if unit == "count":
        return format_large(value, 1) if lang == "zh" else f"{value:,.0f}"
    if unit == "weight":  # a total of relative weights: a count-like size
        return format_large(value, 1) if lang == "zh" and abs(value) >= WAN else f"{value:,.1f}"
    if unit in ("per100", "per_capita"):
        return f"{value:.2f}"
    return f"{value:.3f}"


def format_change(unit: str, change: float | None, lang: str = "zh") -> str:
    """A difference between two values: percentage points for shares (个百分点 in Chinese, DOMAIN §4), the
    unit's own otherwise."""
    if change is None or change != change:
        return "—"
    sign = "+" if change > 0 else ""
    if unit == "share":
        return f"{sign}{change * 100:.1f}{_word('points', lang)}"
    if unit == "yuan":
        return f"{sign}{change:,.1f}"
    return f"{sign}{change:.2f}" if unit not in ("count",) else f"{sign}{change:,.0f}"
