"""What the disclosure tests check on a frame that leaves the server (DOMAIN §9): no count of 1–4 shown, and
no withheld cell recoverable by subtracting the shown cells from a total shown beside them.

Which columns are counts comes from the KPI registry (``protecting_columns``: the events, people or cases a
KPI's cell rests on), plus the count columns some frames carry whatever their KPI (observed events of a
standardised rate, patients of a cascade step).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import pandas as pd

from queries.kpi.registry import REGISTRY, Kpi
from queries.kpi.suppression import protecting_columns

THRESHOLD = 5  # the deployment default (DASHBOARD_SUPPRESSION_THRESHOLD unset in tests)
ALWAYS_COUNTS = ("observed", "patients")  # counts of people or events whatever the frame's KPI


def number(value) -> float | None:
    """A cell as a number (None for a blank, a text or a missing value)."""
    if value is None or isinstance(value, bool | str):
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(out) else out


def small(value, threshold: int = THRESHOLD) -> bool:
    out = number(value)
    return out is not None and 0 < out < threshold


def row_kpi(row: pd.Series, default: str | None) -> Kpi | None:
    """The KPI a row's numbers belong to: its ``kpi`` (or a download's ``kpi_id``) column, else the frame's."""
    for column in ("kpi", "kpi_id"):
        code = row.get(column)
        if isinstance(code, str) and code in REGISTRY:
            return REGISTRY[code]
    return REGISTRY.get(default) if default else None


def count_columns(columns: Iterable[str], kpi: Kpi | None) -> list[str]:
    """The columns of a frame that hold counts of people, events or cases for a row of ``kpi``."""
    columns = list(columns)
    counted = [*(protecting_columns(kpi) if kpi else ()), *ALWAYS_COUNTS]
    return [c for c in columns if c in counted]


def small_counts(frame: pd.DataFrame, kpi_id: str | None = None, threshold: int = THRESHOLD) -> list[str]:
    """Every count cell of ``frame`` in 1 … threshold − 1, described (empty when none)."""
    found = []
    for index, row in frame.iterrows():
        kpi = row_kpi(row, kpi_id)
        for column in count_columns(frame.columns, kpi):
            if small(row[column], threshold):
                found.append(f"row {index} ({_label(row)}) {column}={row[column]}")
    return found


def withheld_with_numbers(frame: pd.DataFrame, columns: Iterable[str]) -> list[str]:
    """Rows marked withheld that still show a number in one of ``columns``."""
    found = []
    if "suppressed" not in frame:
        return found
    for index, row in frame[frame["suppressed"].astype(bool)].iterrows():
        shown = {c: row[c] for c in columns if c in frame and number(row[c]) is not None}
        if shown:
            found.append(f"row {index} ({_label(row)}) withheld but shows {shown}")
    return found


def recoverable(
    parts: pd.DataFrame, total: pd.Series, kpi: Kpi, threshold: int = THRESHOLD, where: str = ""
) -> list[str]:
    """Withheld rows of ``parts`` recoverable from a ``total`` shown beside them (the parts add up to it):
    total − the shown parts gives one withheld row's count (one row withheld), or a small sum (several).
    Nothing is recoverable from a withheld total."""
    if bool(total.get("suppressed")) or parts.empty:
        return []
    hidden = parts["suppressed"].astype(bool)
    if not hidden.any():
        return []
    found = []
    for column in protecting_columns(kpi):
        whole = number(total.get(column))
        if whole is None or column not in parts:
            continue
        shown = sum(number(v) or 0.0 for v in parts.loc[~hidden, column])
        rest = round(whole - shown, 6)
        if (hidden.sum() == 1 and rest > 0) or 0 < rest < threshold:
            names = ", ".join(_label(r) for _, r in parts[hidden].iterrows())
            found.append(
                f"{where}{kpi.id}.{column}: total {whole} − shown {shown} = {rest} held by withheld [{names}]"
            )
    return found


def _label(row: pd.Series) -> str:
    first = row.index[0]
    return f"{first}={row.iloc[0]}" + (f" kpi={row['kpi']}" if "kpi" in row.index else "")
