"""Build Arrow columns without creating a Python object per row: codes travel as dictionary indices."""

from __future__ import annotations

import numpy as np
import pyarrow as pa


class Dictionary:
    """A fixed list of codes (institution ids, ICD codes …) addressed by position."""

    def __init__(self, values) -> None:
        self.values = pa.array(list(values) if not isinstance(values, np.ndarray) else values, pa.string())

    def column(self, indices: np.ndarray) -> pa.DictionaryArray:
        """Codes at ``indices``; a negative index means null."""
        indices = np.asarray(indices)
        mask = indices < 0
        idx = pa.array(np.where(mask, 0, indices).astype(np.int32), mask=mask if mask.any() else None)
        return pa.DictionaryArray.from_arrays(idx, self.values)


def dates(days: np.ndarray) -> pa.Array:
    """Days since 1970-01-01 as an Arrow date column; negative means null."""
    days = np.asarray(days)
    mask = days < 0
    return pa.array(days.astype(np.int32), pa.date32(), mask=mask if mask.any() else None)


def money(cents: np.ndarray) -> pa.Array:
    """Integer cents as yuan: the nearest double, which the warehouse casts exactly to DECIMAL(14,2)."""
    return pa.array(np.asarray(cents, dtype=np.int64) / 100.0, pa.float64())


def strings(values: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    return pa.array(values, pa.string(), mask=mask)


def categorical(labels: tuple[str, ...], codes: np.ndarray) -> pa.DictionaryArray:
    return Dictionary(labels).column(codes)
