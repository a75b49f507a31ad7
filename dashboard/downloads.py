"""Data behind a chart or table as files Chinese Excel opens correctly."""

from __future__ import annotations

import io

import pandas as pd

CSV_ENCODING = "utf-8-sig"  # the BOM makes Excel on Chinese Windows read UTF-8, not GBK


def csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode(CSV_ENCODING)


def xlsx_bytes(frame: pd.DataFrame, sheet: str = "data") -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        frame.to_excel(writer, index=False, sheet_name=sheet[:31])
    return buffer.getvalue()
