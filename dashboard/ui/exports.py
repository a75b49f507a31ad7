"""Data behind a chart or table as files Chinese Excel opens correctly."""

from __future__ import annotations

import io

import pandas as pd

from dashboard.ui.words import t, unit_names

CSV_ENCODING = "utf-8-sig"  # the BOM makes Excel on Chinese Windows read UTF-8, not GBK


def readable(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """A panel's frame as its download holds it: units named in ``lang``, method codes in words."""
    frame = unit_names(frame, lang)
    if "method" in frame:
        frame = frame.assign(method=[t(f"method_{code}", lang) for code in frame["method"]])
    return frame


def csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode(CSV_ENCODING)


def xlsx_bytes(frame: pd.DataFrame, sheet: str = "data") -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        frame.to_excel(writer, index=False, sheet_name=sheet[:31])
    return buffer.getvalue()
