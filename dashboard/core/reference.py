"""Reference data the product ships in ``data/reference``: age bands, chronic prevalence, demo catalogues."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from dashboard.core.paths import REFERENCE_DIR

AGE_BANDS = ("0-14", "15-34", "35-44", "45-54", "55-64", "65-74", "75+")
AGE_BAND_LOWER = np.array([0, 15, 35, 45, 55, 65, 75])
SEXES = ("M", "F")
CHRONIC_DISEASES = ("hypertension", "diabetes")
# the contract's code lists (DOMAIN.md §3)
LEVELS = ("tertiary", "secondary", "chc", "thc", "village")
INSURANCE_TYPES = ("employee", "resident", "none")
VISIT_TYPES = ("outpatient", "emergency", "home", "online")
# optional contract columns' code lists
INSTITUTION_TYPES = ("general", "tcm", "specialty", "maternal_child")  # 综合 / 中医 / 专科 / 妇幼
ADMISSION_ROUTES = ("emergency", "outpatient", "transfer_in", "other")  # 病案首页 入院途径


def age_band_index(ages: np.ndarray) -> np.ndarray:
    """Position in AGE_BANDS of each age (ages must be >= 0)."""
    return np.searchsorted(AGE_BAND_LOWER, ages, side="right") - 1


def _read(name: str, directory: Path | None = None) -> pd.DataFrame:
    path = (directory or REFERENCE_DIR) / name
    return pd.read_csv(path, dtype=str, keep_default_na=False)


@cache
def chronic_prevalence() -> pd.DataFrame:
    """Age-specific prevalence of hypertension and diabetes, used to estimate patients in a population."""
    frame = _read("chronic_prevalence.csv")
    frame["prevalence"] = frame["prevalence"].astype(float)
    return frame


def prevalence_by_band(disease: str) -> np.ndarray:
    """Prevalence of ``disease`` for each band of AGE_BANDS, in that order."""
    frame = chronic_prevalence()
    table = frame[frame.disease == disease].set_index("age_band")["prevalence"]
    return table.reindex(list(AGE_BANDS)).to_numpy(dtype=float)


@cache
def icd10_catalogue() -> pd.DataFrame:
    """The ICD-10 codes the demo warehouse uses, with chapter, block and chronic group."""
    frame = _read("icd10_demo.csv")
    frame["chronic_group"] = frame["chronic_group"].replace("", None)
    return frame


@cache
def drg_adrg_catalogue() -> pd.DataFrame:
    """The demo ADRG catalogue: from it the demo generator expands DRGs by severity."""
    frame = _read("drg_adrg_demo.csv")
    for column in ("base_rw", "base_los", "mortality"):
        frame[column] = frame[column].astype(float)
    return frame


@cache
def drg_mdc_names() -> pd.DataFrame:
    return _read("drg_mdc_demo.csv")


# Stand-ins for units outside a viewer's data scope (DOMAIN §11): institutions aggregated as 其他机构, and a
# hospital's peers as 同级医院A, B, … The interface names them (``dashboard.ui.words``); no real code looks so.
OTHER_UNITS = "_other"
PEER_PREFIX = "_peer_"
