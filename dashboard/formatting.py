"""Numbers as Chinese readers expect them: thousands separators, 万 and 亿 where they help."""

from __future__ import annotations

WAN = 10_000
YI = 100_000_000


def format_int(value: int | float) -> str:
    """An exact count with thousands separators: 5,191,585."""
    return f"{round(value):,}"


def format_large(value: int | float, decimals: int = 1) -> str:
    """A large number shortened the Chinese way: 5,191,585 -> '519.2万', 312,000,000 -> '3.1亿'.

    Numbers under ten thousand are shown whole.
    """
    magnitude = abs(value)
    if magnitude >= YI:
        return f"{value / YI:,.{decimals}f}亿"
    if magnitude >= WAN:
        return f"{value / WAN:,.{decimals}f}万"
    return format_int(value)


def format_yuan(value: int | float, decimals: int = 1) -> str:
    """Money in yuan: '361.60元' below ten thousand, then '12.3万元', '4.5亿元'."""
    if abs(value) >= WAN:
        return f"{format_large(value, decimals)}元"
    return f"{value:,.2f}元"
