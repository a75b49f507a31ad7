"""Record sources: each turns the warehouse into one relation of logical columns for a time window; a KPI's
numerator and denominator are sums over one of them (``queries.kpi.registry``).

May import: dashboard.core.
"""

from queries.kpi.sources.care import CARE_RELATIONS
from queries.kpi.sources.chronic import FOLLOWUP_CAP, MANAGED_RELATIONS, required_followups
from queries.kpi.sources.contracts import CONTRACT_END_RELATIONS, RESIDENT_RELATIONS
from queries.kpi.sources.inpatient import GROUPER_COLUMNS, INPATIENT_RELATIONS, inpatient_cases
from queries.kpi.sources.population import BUDGET_RELATIONS, ESTIMATED_RELATIONS, POPULATION_RELATIONS
from queries.kpi.sources.referrals import REFERRAL_RELATIONS
from queries.kpi.sources.relation import Relation, Window
from queries.kpi.sources.visits import CONTRACT_VISIT_RELATIONS, VISIT_RELATIONS

__all__ = [
    "BUDGET_RELATIONS",
    "CARE_RELATIONS",
    "CONTRACT_END_RELATIONS",
    "CONTRACT_VISIT_RELATIONS",
    "ESTIMATED_RELATIONS",
    "FOLLOWUP_CAP",
    "GROUPER_COLUMNS",
    "INPATIENT_RELATIONS",
    "MANAGED_RELATIONS",
    "POPULATION_RELATIONS",
    "REFERRAL_RELATIONS",
    "RESIDENT_RELATIONS",
    "VISIT_RELATIONS",
    "Relation",
    "Window",
    "inpatient_cases",
    "required_followups",
]
