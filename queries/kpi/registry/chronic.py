"""Hypertension and diabetes management, standardised management and control (DOMAIN.md §4)."""

from __future__ import annotations

from dashboard.core.reference import CHRONIC_DISEASES, prevalence_by_band
from queries.kpi.registry.model import (
    Kpi,
    Part,
    col,
    part,
)
from queries.kpi.sources import (
    ESTIMATED_RELATIONS,
    MANAGED_RELATIONS,
)


def _managed(disease: str, measure: str) -> Part:
    return part(
        MANAGED_RELATIONS, col(measure), window=True, options={"disease": disease}, columns=("n", measure)
    )


def _estimated(disease: str) -> Part:
    prevalence = dict(
        zip(
            ("0-14", "15-34", "35-44", "45-54", "55-64", "65-74", "75+"),
            prevalence_by_band(disease),
            strict=True,
        )
    )
    return part(
        ESTIMATED_RELATIONS,
        col("estimated_patients"),
        window=True,
        options={"point": True, "prevalence": prevalence, "disease": disease},
        columns=("estimated_patients",),
    )


_DISEASE_ZH = {"hypertension": "高血压", "diabetes": "糖尿病"}
_DISEASE_PREFIX = {"hypertension": "htn", "diabetes": "dm"}


def _chronic_kpis() -> list[Kpi]:
    out = []
    for disease in CHRONIC_DISEASES:
        zh, pre = _DISEASE_ZH[disease], _DISEASE_PREFIX[disease]
        out.append(
            Kpi(
                f"{pre}_management_rate",
                f"{zh}健康管理率",
                f"{disease.capitalize()} management rate",
                f"期内在管{zh}患者数 / 估计患者数（人口×分年龄组患病率，配置于 data/reference/chronic_prevalence.csv）",
                f"Managed {disease} patients in the period / estimated patients (population × age-specific prevalence)",
                "share",
                "higher",
                "rate",
                "residence",
                "国家基本公共卫生服务规范（第三版）",
                _managed(disease, "n"),
                _estimated(disease),
                split=True,
            )
        )
        out.append(
            Kpi(
                f"{pre}_standardized_management_rate",
                f"{zh}规范管理率",
                f"{disease.capitalize()} standardised management",
                f"期内面对面随访（门诊或家庭随访，电话和网络随访不计）不少于⌊m/3⌋次的在管{zh}患者 / 在管患者；"
                "m为期间的整月数：一年或任意12个月需4次，半年2次，一个季度1次，不足3个月不计算；期内新登记的患者计入分母",
                "Managed patients with at least ⌊m/3⌋ face-to-face follow-ups (clinic or home; phone and online do "
                "not count) in a period of m whole months / managed patients: 4 in a year or any 12 months, 2 in "
                "half a year, 1 in a quarter, no value under 3 months; patients registered in the period count",
                "share",
                "higher",
                "wilson",
                "institution",
                "国家基本公共卫生服务规范：每年至少4次面对面随访",
                part(
                    MANAGED_RELATIONS,
                    col("standardised"),
                    window=True,
                    options={"disease": disease},
                    columns=("standardised",),
                    min_months=3,
                ),
                _managed(disease, "n"),
            )
        )
        if disease == "hypertension":
            rule_zh, rule_en = (
                "最近一次随访收缩压<140且舒张压<90 mmHg",
                "latest follow-up SBP <140 and DBP <90 mmHg",
            )
        else:
            rule_zh, rule_en = (
                "最近一次随访空腹血糖<7.0 mmol/L",
                "latest follow-up fasting glucose <7.0 mmol/L",
            )
        out.append(
            Kpi(
                f"{pre}_control_rate",
                f"{zh}控制率",
                f"{disease.capitalize()} control rate",
                f"期内{rule_zh}的在管患者 / 在管患者（无随访者计为未控制）；每季度应随访一次，不足3个月的期间不计算",
                f"Managed patients whose {rule_en} in the period / managed patients (no follow-up counts as not "
                "controlled); a follow-up is due every quarter, so there is no value under 3 months",
                "share",
                "higher",
                "wilson",
                "institution",
                "国家基本公共卫生服务规范；医联体慢病管理综述",
                # under a quarter most managed patients have had no follow-up yet and would count as not
                # controlled (a month read 22% beside 55% for the year)
                part(
                    MANAGED_RELATIONS,
                    col("controlled"),
                    window=True,
                    options={"disease": disease},
                    columns=("n", "controlled"),
                    min_months=3,
                ),
                _managed(disease, "n"),
            )
        )
    return out


CHRONIC_KPIS: tuple[Kpi, ...] = tuple(_chronic_kpis())
