"""Hand-written SQL for a few KPI aggregations, used only by the benchmark as the speed floor.

Each statement is what a database engineer would write directly against the facts for one request of the
benchmark, with the same period. The benchmark runs them side by side with the query API.
"""

from __future__ import annotations

import sqlalchemy as sa

RAW = {
    ("primary_care_visit_share", "district"): """
        SELECT i.district_code, sum(CASE WHEN i.is_primary THEN 1 ELSE 0 END) AS numerator, count(*) AS denominator
        FROM fact_visit v JOIN dim_institution i ON i.institution_id = v.institution_id
        WHERE v.visit_date BETWEEN :start AND :end GROUP BY i.district_code""",
    ("primary_care_visit_share", "age_band"): """
        SELECT CASE WHEN extract(year FROM v.visit_date) - p.birth_year >= 75 THEN '75+'
                    WHEN extract(year FROM v.visit_date) - p.birth_year >= 65 THEN '65-74'
                    WHEN extract(year FROM v.visit_date) - p.birth_year >= 55 THEN '55-64'
                    WHEN extract(year FROM v.visit_date) - p.birth_year >= 45 THEN '45-54'
                    WHEN extract(year FROM v.visit_date) - p.birth_year >= 35 THEN '35-44'
                    WHEN extract(year FROM v.visit_date) - p.birth_year >= 15 THEN '15-34' ELSE '0-14' END AS band,
               sum(CASE WHEN i.is_primary THEN 1 ELSE 0 END), count(*)
        FROM fact_visit v JOIN dim_institution i ON i.institution_id = v.institution_id
        JOIN dim_patient p ON p.patient_id = v.patient_id
        WHERE v.visit_date BETWEEN :start AND :end GROUP BY 1""",
    ("avg_outpatient_cost", "institution"): """
        SELECT institution_id, sum(total_cost), count(*) FROM fact_visit
        WHERE visit_date BETWEEN :start AND :end AND visit_type IN ('outpatient', 'emergency')
        GROUP BY institution_id""",
    ("visits_per_capita", "district"): """
        SELECT p.district_code, count(*) FROM fact_visit v JOIN dim_patient p ON p.patient_id = v.patient_id
        WHERE v.visit_date BETWEEN :start AND :end GROUP BY p.district_code""",
    ("alos", "institution"): """
        SELECT institution_id, sum(los_days), count(*) FROM fact_inpatient
        WHERE discharge_date BETWEEN :start AND :end GROUP BY institution_id""",
    ("cmi", "institution"): """
        SELECT f.institution_id, sum(d.weight), count(*) FROM fact_inpatient f
        JOIN dim_drg d ON d.drg_code = f.drg_code AND d.grouper_version = f.grouper_version
        WHERE f.discharge_date BETWEEN :start AND :end GROUP BY f.institution_id""",
    ("down_referral_share", "institution"): """
        SELECT from_institution_id, sum(CASE WHEN direction = 'down' THEN 1 ELSE 0 END),
               sum(CASE WHEN direction IN ('up', 'down') THEN 1 ELSE 0 END)
        FROM fact_referral WHERE referral_date BETWEEN :start AND :end GROUP BY from_institution_id""",
    ("contract_renewal_rate", "team"): """
        SELECT c.team_id, count(*), sum(CASE WHEN EXISTS (SELECT 1 FROM fact_contract n
               WHERE n.patient_id = c.patient_id AND n.start_date > c.end_date
                 AND n.start_date <= c.end_date + 90) THEN 1 ELSE 0 END)
        FROM fact_contract c WHERE c.end_date BETWEEN :start AND :end GROUP BY c.team_id""",
}


def raw_statement(kpi_id: str, dimension: str) -> sa.TextClause:
    return sa.text(RAW[(kpi_id, dimension)])
