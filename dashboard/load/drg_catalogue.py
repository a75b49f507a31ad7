"""A region's DRG group list (``CODE NAME`` lines, as CHS-DRG lists are published) read as a catalogue: each
group's MDC, ADRG, kind and severity from its code (``dashboard.core.drg_codes``)."""

from __future__ import annotations

import pandas as pd

from dashboard.core.drg_codes import parse_drg_code


def read_group_list(text: str):
    """A DRG catalogue from a ``CODE NAME`` list (one group a line): code, name, MDC, ADRG, kind, severity.

    Raises:
        ValueError: a line without a name or with a code that is not a CHS-DRG code (its line number given).
    """
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split(maxsplit=1)
        if len(parts) != 2:
            raise ValueError(f"line {number}: expected 'CODE NAME', got {line!r}")
        try:
            code = parse_drg_code(parts[0])
        except ValueError as exc:
            raise ValueError(f"line {number}: {exc}") from None
        rows.append(
            {
                "drg_code": code.code,
                "drg_name": parts[1].strip(),
                "adrg_code": code.adrg,
                "mdc_code": code.mdc,
                "kind": code.kind,
                "severity": code.severity,
            }
        )
    return pd.DataFrame(rows)
