"""The KPI registry: every KPI of DOMAIN.md §4, defined once, in three families: ``care`` (visits, costs, the
insurance share, contracts, referrals), ``chronic`` (hypertension and diabetes) and ``insurance`` (inpatient
cases, DRG, readmission, capitation). What a KPI's fields mean is in ``model.py``. To add a KPI, add a ``Kpi(…)``
to its family's tuple and work its value by hand in tests/kpi/test_values.py.

May import: dashboard.core.
"""

from __future__ import annotations

from dashboard.core.errors import UserFacingError
from queries.kpi.registry.care import CARE_KPIS
from queries.kpi.registry.chronic import CHRONIC_KPIS
from queries.kpi.registry.insurance import INSURANCE_KPIS
from queries.kpi.registry.model import Kpi, Part

KPIS: tuple[Kpi, ...] = (*CARE_KPIS, *CHRONIC_KPIS, *INSURANCE_KPIS)
REGISTRY: dict[str, Kpi] = {k.id: k for k in KPIS}

__all__ = ["KPIS", "REGISTRY", "Kpi", "Part", "get_kpi"]


def get_kpi(kpi_id: str) -> Kpi:
    """The KPI with this id; a clear error for an unknown one."""
    try:
        return REGISTRY[kpi_id]
    except KeyError:
        raise UserFacingError("unknown_kpi", kpi=kpi_id, known=tuple(sorted(REGISTRY))) from None
