"""Inpatient, DRG, readmission and capitation KPIs: the insurance bureau's pages (DOMAIN.md §4, §6)."""

from __future__ import annotations

import sqlalchemy as sa

from dashboard.core.policy import capitation_warning_line
from dashboard.core.schema import fact_capitation
from queries.kpi.expressions import year_of
from queries.kpi.registry.model import (
    CASES,
    ONE,
    REGION_MEANS,
    Kpi,
    col,
    part,
)
from queries.kpi.sources import (
    BUDGET_RELATIONS,
    CONTRACT_VISIT_RELATIONS,
)

# capitation spend counts from the first budget year on
_FIRST_BUDGET_YEAR = sa.select(sa.func.min(fact_capitation.c.year)).scalar_subquery()

INSURANCE_KPIS: tuple[Kpi, ...] = (
    Kpi(
        "discharges",
        "出院人次",
        "Discharges",
        "期内出院的住院病例数（按出院日期）",
        "Inpatient cases discharged in the period",
        "count",
        "none",
        "count",
        "institution",
        "卫生健康统计年鉴：出院人数",
        part(CASES, ONE, columns=("n",)),
    ),
    Kpi(
        "drg_grouping_rate",
        "入组率",
        "DRG grouping rate",
        "入组病例 / 全部出院病例",
        "Cases with a DRG / all cases",
        "share",
        "higher",
        "wilson",
        "institution",
        "CHS-DRG：入组率≥98%",
        part(CASES, col("grouped"), columns=("grouped",)),
        part(CASES, ONE, columns=("n",)),
    ),
    Kpi(
        "drg_group_count",
        "DRG组数",
        "DRG groups",
        "出现的不同DRG组数",
        "Distinct DRG groups",
        "count",
        "higher",
        "none",
        "institution",
        "DRG绩效评价：服务广度",
        part(CASES, ONE, distinct=col("drg_code"), columns=("n", "drg_code")),
    ),
    Kpi(
        "drg_total_weight",
        "总权重",
        "Total DRG weight",
        "入组病例权重之和",
        "Σ weight over grouped cases",
        "weight",
        "higher",
        "none",
        "institution",
        "DRG绩效评价：产能",
        part(CASES, col("weight"), columns=("weight",)),
    ),
    Kpi(
        "cmi",
        "CMI",
        "Case-mix index",
        "入组病例权重之和 / 入组病例数",
        "Σ weight / grouped cases",
        "index",
        "higher",
        "mean",
        "institution",
        "DRG绩效评价：技术难度",
        part(CASES, col("weight"), square=lambda c: c["weight_sq"], columns=("weight", "weight_sq")),
        part(CASES, col("grouped"), columns=("grouped",)),
    ),
    Kpi(
        "cost_efficiency_index",
        "费用消耗指数",
        "Cost efficiency index",
        "Σ 各组病例数×(本单位组均费用/全市同组同年均费用) / 病例数；高/低倍率病例不计入本单位与全市的均值，"
        "也不计入病例数；全市均值为出院年度全部病例；1 = 全市水平",
        "Σ_g n_g·(mean cost in g here / region mean cost in g in the discharge year) / Σ n_g; high and low "
        "cost outliers are left out of both means and of the case counts; 1 = region",
        "index",
        "lower",
        "mean",
        "institution",
        "DRG绩效评价：费用消耗指数",
        part(
            CASES,
            col("cost_ratio"),
            square=col("cost_ratio_sq"),
            options=REGION_MEANS,
            columns=("cost_ratio", "cost_ratio_sq"),
        ),
        part(CASES, col("efficiency_case"), options=REGION_MEANS, columns=("efficiency_case",)),
    ),
    Kpi(
        "time_efficiency_index",
        "时间消耗指数",
        "Time efficiency index",
        "Σ 各组病例数×(本单位组均住院日/全市同组同年均住院日) / 病例数；高/低倍率病例不计入本单位与全市的"
        "均值，也不计入病例数；全市均值为出院年度全部病例；1 = 全市水平",
        "Σ_g n_g·(mean stay in g here / region mean stay in g in the discharge year) / Σ n_g; high and low "
        "cost outliers are left out of both means and of the case counts; 1 = region",
        "index",
        "lower",
        "mean",
        "institution",
        "DRG绩效评价：时间消耗指数",
        part(
            CASES,
            col("los_ratio"),
            square=col("los_ratio_sq"),
            options=REGION_MEANS,
            columns=("los_ratio", "los_ratio_sq"),
        ),
        part(CASES, col("efficiency_case"), options=REGION_MEANS, columns=("efficiency_case",)),
    ),
    Kpi(
        "low_risk_mortality",
        "低风险组死亡率",
        "Low-risk group mortality",
        "低风险组死亡病例 / 低风险组病例；风险等级取自DRG目录，目录没有的按全库各组死亡率推导（ln死亡率的z值，"
        "按政策文件切点分级；无死亡的组为低风险）",
        "Deaths in low-risk DRG groups / cases in those groups; risk levels from the DRG catalogue, or where it "
        "has none derived from every case of the warehouse (z-score of ln mortality, cut at the policy file's "
        "cut points; groups without deaths are low)",
        "share",
        "lower",
        "wilson",
        "institution",
        "DRG绩效评价：医疗安全",
        part(CASES, col("died"), where=lambda c: c["risk_level"] == "low", columns=("died", "risk_level")),
        part(CASES, ONE, where=lambda c: c["risk_level"] == "low", columns=("n", "risk_level")),
    ),
    Kpi(
        "drg_surplus",
        "DRG结余",
        "DRG surplus",
        "Σ（DRG支付 − 实际费用），入组病例；正数为结余",
        "Σ (DRG payment − cost) over grouped cases; positive = surplus",
        "yuan",
        "higher",
        "none",
        "institution",
        "DRG付费：结余留用",
        part(CASES, col("surplus"), columns=("surplus",)),
    ),
    Kpi(
        "drg_surplus_per_case",
        "例均结余",
        "DRG surplus per case",
        "Σ（DRG支付 − 实际费用）/ 入组病例数：医院间排名与比较用它，而不是随规模增长的总额",
        "Σ (DRG payment − cost) / grouped cases: what ranks and comparisons of hospitals use, never the "
        "size-driven total",
        "yuan",
        "higher",
        "mean",
        "institution",
        "DRG付费：结余留用",
        part(CASES, col("surplus"), square=col("surplus_sq"), columns=("surplus", "surplus_sq")),
        part(CASES, col("grouped"), columns=("grouped",)),
    ),
    Kpi(
        "drg_payment_settled",
        "DRG实际结算",
        "DRG payment settled",
        "Σ 医保基金对入组病例的实际结算金额（数据中的 drg_payment）",
        "Σ what the fund actually settled for grouped cases (the warehouse's drg_payment)",
        "yuan",
        "none",
        "none",
        "institution",
        "医疗保障基金结算清单",
        part(CASES, col("payment"), columns=("payment",)),
    ),
    Kpi(
        "drg_payment_policy",
        "DRG按政策测算",
        "DRG payment by the policy",
        "Σ 入组病例按政策文件测算的支付标准：权重 × 基础费率 × 等级系数；高倍率病例另加"
        "（费用 − k_high × 全市同组同年均值）× 补偿比例，低倍率病例按实际费用（或政策文件所定）；参数按出院年度",
        "Σ the policy file's payment standard of grouped cases: weight × base rate × level coefficient; a high "
        "outlier adds the top-up share of its cost above k_high × the group's region mean of the year, a low "
        "outlier is paid at cost (or as the file states); parameters of the discharge year",
        "yuan",
        "none",
        "none",
        "institution",
        "DRG付费：支付标准 = 权重 × 费率",
        part(CASES, col("policy_payment"), options=REGION_MEANS, columns=("policy_payment",)),
    ),
    Kpi(
        "drg_payment_ratio",
        "DRG结算费用比",
        "DRG payment to cost",
        "Σ DRG支付 / Σ 实际费用，入组病例；大于1为结余",
        "Σ DRG payment / Σ cost over grouped cases; above 1 = surplus",
        "ratio",
        "none",
        "none",
        "institution",
        "DRG付费：支付标准与实际费用",
        part(CASES, col("payment"), columns=("payment",)),
        part(CASES, col("grouped_cost"), columns=("grouped_cost",)),
    ),
    Kpi(
        "high_cost_outlier_share",
        "高倍率病例占比",
        "High-cost outlier share",
        "费用高于全市同组出院年度均值 k_high 倍的入组病例 / 入组病例；均值取该年度全库病例，与筛选和期间无关，"
        "各月相加等于全年（k_high 按出院年度取自政策文件）",
        "Grouped cases costing more than k_high × the region-wide mean of their group in their discharge year "
        "(every case of that year, whatever the filters or window: months add up to the year) / grouped cases "
        "(k_high of the discharge year, from the policy file)",
        "share",
        "lower",
        "wilson",
        "institution",
        "DRG付费：高倍率病例（倍数由地方政策确定）",
        part(CASES, col("high_outlier"), options=REGION_MEANS, columns=("high_outlier",)),
        part(CASES, col("grouped"), columns=("grouped",)),
    ),
    Kpi(
        "low_cost_outlier_share",
        "低倍率病例占比",
        "Low-cost outlier share",
        "费用低于全市同组出院年度均值 k_low 倍的入组病例 / 入组病例；均值取该年度全库病例，与筛选和期间无关，"
        "各月相加等于全年（k_low 按出院年度取自政策文件）",
        "Grouped cases costing less than k_low × the region-wide mean of their group in their discharge year "
        "(every case of that year, whatever the filters or window: months add up to the year) / grouped cases "
        "(k_low of the discharge year, from the policy file)",
        "share",
        "lower",
        "wilson",
        "institution",
        "DRG付费：低倍率病例（倍数由地方政策确定）",
        part(CASES, col("low_outlier"), options=REGION_MEANS, columns=("low_outlier",)),
        part(CASES, col("grouped"), columns=("grouped",)),
    ),
    Kpi(
        "readmission_rate",
        "出院患者31天内非计划再入院率",
        "Unplanned readmission within 31 days",
        "存活出院（非死亡、非转院）后 0–N 天内同一患者在任一机构再次入院、且主诊断与出院主诊断同属一个ICD-10章的"
        "出院人次（出院时记录了“出院31天内再住院计划”的除外）/ 非死亡出院人次；N 按出院年度取自政策文件",
        "Discharges alive (not died, not ended by transfer) followed within 0–N days by an admission of the "
        "same patient at any institution with a principal diagnosis in the same ICD-10 chapter, unless the "
        "discharge recorded a planned readmission / discharges not died (N of the discharge year, from the "
        "policy file)",
        "share",
        "lower",
        "wilson",
        "institution",
        "国家三级公立医院绩效考核：出院患者0–31天非预期再住院率",
        part(CASES, col("readmitted"), options={"readmission": True}, columns=("readmitted",)),
        part(CASES, col("left_alive"), columns=("left_alive",)),
        settles_after="readmission_days",  # N of the discharge year, from the policy file
    ),
    Kpi(
        "capitation_spend_rate",
        "按人头付费执行率",
        "Capitation spend rate",
        "签约参保人在预算年度内的医保支付（门急诊）/ 按期折算的预算",
        "Insurance spend on the budget holder's contracted insured / budget pro-rated to the period",
        "share",
        "band",  # within budget; over 100% overspend (超支不补); under the warning line: under-service (推诿)?
        "none",
        "institution",
        "按人头付费：结余留用、超支不补",
        part(
            CONTRACT_VISIT_RELATIONS,
            col("insurance_paid"),
            where=lambda c: (c["insurance_type"] != "none") & (year_of(c["date"]) >= _FIRST_BUDGET_YEAR),
            columns=("insurance_paid", "insurance_type", "date"),
        ),
        part(BUDGET_RELATIONS, col("budget"), window=True, columns=("budget",)),
        split=True,
        band=lambda year: (capitation_warning_line(year), 1.0),
    ),
)
