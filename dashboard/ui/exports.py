"""Data behind a chart or table as files Chinese Excel opens correctly."""

from __future__ import annotations

import io

import pandas as pd

from dashboard.ui.words import label, labels, t, unit_names

CSV_ENCODING = "utf-8-sig"  # the BOM makes Excel on Chinese Windows read UTF-8, not GBK
# the vocabularies a comparison group's code can come from (a level, urban or rural, a consortium type)
GROUP_VOCABULARIES = ("level", "urban_rural", "consortium_type")


def readable(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """A panel's frame as its download holds it: units named in ``lang``, method codes in words, and what each
    unit was compared with in words (the city, the parent, its peers; the group it was compared in)."""
    frame = unit_names(frame, lang)
    if "method" in frame:
        frame = frame.assign(method=[t(f"method_{code}", lang) for code in frame["method"]])
    if "comparator_kind" in frame:
        frame = frame.assign(
            comparator_kind=[label("comparator_kind", k, lang) for k in frame["comparator_kind"]]
        )
    if "comparator_group" in frame:
        names = {code: name for v in GROUP_VOCABULARIES for code, name in labels(v, lang).items()}
        frame = frame.assign(comparator_group=[names.get(g, g) for g in frame["comparator_group"]])
    return frame


def csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode(CSV_ENCODING)


def xlsx_bytes(frame: pd.DataFrame, sheet: str = "data") -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        frame.to_excel(writer, index=False, sheet_name=sheet[:31])
    return buffer.getvalue()
