"""The hospital report as files: Excel (every row with numerator, denominator, CI and definition, plus the
peers' values) and PDF (the same table with an embedded Chinese font from Debian's fonts-noto-cjk)."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pandas as pd

from dashboard.core.errors import UserFacingError
from dashboard.ui.components.report import peer_description
from dashboard.ui.formatting import format_kpi
from dashboard.ui.words import stand_in_names, t

# Debian's fonts-noto-cjk; the collection's third face is Simplified Chinese. DASHBOARD_CJK_FONT overrides.
CJK_FONTS = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf", 0),
)


def report_table(frame: pd.DataFrame, meta: dict, lang: str) -> pd.DataFrame:
    """The report's rows as the Excel sheet holds them: one row per indicator, every number unrounded."""
    en = lang == "en"
    return pd.DataFrame(
        {
            "kpi_id": frame["kpi"],
            "indicator": frame["name_en" if en else "name_zh"],
            "hospital": meta["name"],
            "value": frame["value"],
            "numerator": frame["numerator"],
            "denominator": frame["denominator"],
            "ci_low": frame["ci_low"],
            "ci_high": frame["ci_high"],
            "suppressed": frame["suppressed"],
            "peer_value": frame["peer_value"],
            "peer_basis": frame["peer_basis"],
            "rank": frame["rank"],
            "peers": frame["peers"],
            "outcome": frame["outcome"],
            "period": f"{meta['start']} – {meta['end']}",
            "definition": frame["definition_en" if en else "definition_zh"],
        }
    )


def report_xlsx(frame: pd.DataFrame, meta: dict, lang: str) -> bytes:
    buffer = io.BytesIO()
    peers = stand_in_names(meta["peers"].drop(columns=["chosen"], errors="ignore"), lang)
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        report_table(frame, meta, lang).to_excel(writer, sheet_name=t("sheet_indicators", lang), index=False)
        peers.to_excel(writer, sheet_name=t("sheet_peers", lang), index=False)
    return buffer.getvalue()


def _font() -> tuple[str, int]:
    override = os.environ.get("DASHBOARD_CJK_FONT")
    candidates = [(override, 0)] if override else list(CJK_FONTS)
    for path, index in candidates:
        if Path(path).exists():
            return path, index
    raise UserFacingError("pdf_needs_font")


def _cell(row, column: str, lang: str) -> str:
    if column == "value":
        return t("suppressed", lang) if row["suppressed"] else format_kpi(row["unit"], row["value"], lang)
    if column == "ci":
        if pd.isna(row["ci_low"]) or row["suppressed"]:
            return "—"
        return f"{format_kpi(row['unit'], row['ci_low'], lang)} – {format_kpi(row['unit'], row['ci_high'], lang)}"
    if column == "peer":
        return format_kpi(row["unit"], row["peer_value"], lang)
    if column == "rank":
        return "—" if pd.isna(row["rank"]) else f"{int(row['rank'])}/{int(row['peers'])}"
    return t(str(row["outcome"]), lang) if row["outcome"] in ("better", "similar", "worse") else "—"


def report_pdf(frame: pd.DataFrame, meta: dict, lang: str) -> bytes:
    """An A4 landscape PDF: title, period and peer group, the ranked table, then every definition."""
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    path, index = _font()
    pdf = FPDF(orientation="L", format="A4")
    pdf.set_auto_page_break(True, margin=12)
    pdf.add_font("cjk", fname=path, collection_font_number=index)
    pdf.add_page()
    pdf.set_font("cjk", size=16)
    pdf.cell(text=f"{t('report_title', lang)} · {meta['name']}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=10)
    pdf.cell(
        text=f"{t('period', lang)} {meta['start']} – {meta['end']} · {t('peer_group', lang)}: {peer_description(meta, lang)}",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(3)
    name_column = "name_en" if lang == "en" else "name_zh"
    headings = ["indicator", "value", "ci", "peer", "rank", "outcome_vs_peers"]
    # headings shaded rather than bold: one regular CJK face is embedded, not a bold one too
    shaded = FontFace(emphasis=None, fill_color=(233, 236, 239))
    with pdf.table(
        col_widths=(60, 34, 60, 34, 22, 30), text_align="LEFT", line_height=6, headings_style=shaded
    ) as table:
        head = table.row()
        for heading in headings:
            head.cell(t(f"report_{heading}", lang))
        for row in frame.to_dict("records"):
            cells = table.row()
            cells.cell(row[name_column])
            for column in ("value", "ci", "peer", "rank", "outcome"):
                cells.cell(_cell(row, column, lang))
    pdf.ln(4)
    pdf.set_font("cjk", size=12)
    pdf.cell(text=t("definitions", lang), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=9)
    for row in frame.to_dict("records"):
        definition = row["definition_en" if lang == "en" else "definition_zh"]
        pdf.multi_cell(0, 5, text=f"{row[name_column]}: {definition}", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
