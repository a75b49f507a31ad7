"""The KPI registry: every KPI of DOMAIN.md §4, defined once.

A KPI is a numerator and a denominator, each a SUM over the rows of a record source (queries/sources.py);
the value is Σnumerator / Σdenominator × unit factor, computed after grouping, never an average of rates.
A "split" KPI takes its denominator from another source (population, estimated patients, budgets) and is
joined to the numerator on the requested dimensions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa

from dashboard.reference import CHRONIC_DISEASES, prevalence_by_band
from queries import sources as src
from queries.expressions import year_of

Columns = sa.ColumnCollection
Expr = Callable[[Columns], sa.ColumnElement]


@dataclass(frozen=True)
class Part:
    """A SUM over a source's rows (optionally restricted), for a numerator or a denominator."""

    relations: tuple[src.Relation, ...]
    value: Expr
    where: Expr | None = None
    square: Expr | None = None  # Σx², for the interval of a mean
    distinct: Expr | None = None  # COUNT(DISTINCT …) instead of a SUM
    window: bool = False  # evaluated once per window (point-in-time or per-period logic)
    options: dict = field(default_factory=dict)
    columns: frozenset[str] = frozenset()  # columns the expressions use


@dataclass(frozen=True)
class Kpi:
    id: str
    name_zh: str
    name_en: str
    definition_zh: str
    definition_en: str
    unit: str  # share | per100 | per_capita | yuan | days | count | index | weight | ratio
    polarity: str  # higher | lower | none
    ci: str  # wilson | rate | count | mean | none
    geography: str  # institution | residence
    source: str  # policy source
    numerator: Part
    denominator: Part | None = None
    split: bool = False  # the denominator comes from another source, joined on the dimensions
    # Only residence breakdowns make sense: by institution it would divide part of a resident's care by all of it.
    residence_only: bool = False

    @property
    def factor(self) -> float:
        return 100.0 if self.unit == "per100" else 1.0

    @property
    def count_based(self) -> bool:
        """Numerator counts events (subject to small-number suppression)."""
        return self.ci in ("wilson", "rate", "count")


def _c(name: str) -> Expr:
    return lambda c: c[name]


def _when(condition: Expr, value: str = "n") -> Expr:
    return lambda c: sa.case((condition(c), c[value]), else_=0)


ONE: Expr = _c("n")
VISITS = src.VISIT_RELATIONS
CASES = src.INPATIENT_RELATIONS
REFERRALS = src.REFERRAL_RELATIONS
OUTPATIENT = ("outpatient", "emergency")
# Region-wide group means, with outlier thresholds from the policy file (dashboard/policy.py) by discharge year
REGION_MEANS = {"region_means": True}


def _part(relations, value, *, columns=(), **kw) -> Part:
    return Part(relations, value, columns=frozenset(columns), **kw)


def _managed(disease: str, measure: str) -> Part:
    return _part(
        src.MANAGED_RELATIONS, _c(measure), window=True, options={"disease": disease}, columns=("n", measure)
    )


def _estimated(disease: str) -> Part:
    prevalence = dict(
        zip(
            ("0-14", "15-34", "35-44", "45-54", "55-64", "65-74", "75+"),
            prevalence_by_band(disease),
            strict=True,
        )
    )
    return _part(
        src.POPULATION_RELATIONS,
        _c("estimated_patients"),
        window=True,
        options={"point": True, "prevalence": prevalence},
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
                f"期内随访次数不少于期内涉及的自然季度数的在管{zh}患者 / 在管患者（跨季度的12个月涉及5个季度，需5次）",
                "Managed patients with at least as many follow-ups in the period as calendar quarters it touches / "
                "managed patients (12 months not aligned to quarters touch 5 quarters, so 5 follow-ups)",
                "share",
                "higher",
                "wilson",
                "institution",
                "国家基本公共卫生服务规范：每季度至少面对面随访1次",
                _managed(disease, "standardised"),
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
                f"期内{rule_zh}的在管患者 / 在管患者（无随访者计为未控制）",
                f"Managed patients whose {rule_en} in the period / managed patients (no follow-up counts as not controlled)",
                "share",
                "higher",
                "wilson",
                "institution",
                "国家基本公共卫生服务规范；医联体慢病管理综述",
                _managed(disease, "controlled"),
                _managed(disease, "n"),
            )
        )
    return out


KPIS: tuple[Kpi, ...] = (
    Kpi(
        "primary_care_visit_share",
        "基层就诊率",
        "Primary-care visit share",
        "基层医疗卫生机构（社区卫生服务中心/站、乡镇卫生院、村卫生室）诊疗人次 / 总诊疗人次",
        "Visits at primary-care institutions / all visits",
        "share",
        "higher",
        "wilson",
        "institution",
        "分级诊疗制度建设指导意见；浙江 2019 年起 >65%",
        _part(VISITS, _when(lambda c: c["is_primary"]), columns=("n", "is_primary")),
        _part(VISITS, ONE, columns=("n",)),
    ),
    Kpi(
        "visit_count",
        "诊疗人次",
        "Visits",
        "期内门急诊、家庭与互联网诊疗人次（按就诊机构）",
        "Outpatient, emergency, home and online visits in the period, by the institution of care",
        "count",
        "none",
        "count",
        "institution",
        "卫生健康统计年鉴：诊疗人次",
        _part(VISITS, ONE, columns=("n",)),
    ),
    Kpi(
        "in_county_visit_rate",
        "县域就诊率",
        "In-county care rate",
        "本区县居民在本区县机构的门急诊人次与住院人次 / 本区县居民的全部门急诊人次与住院人次",
        "Visits and admissions of residents at institutions of their own district / all their visits and "
        "admissions",
        "share",
        "higher",
        "wilson",
        "residence",
        "紧密型县域医共体建设：县域就诊率目标90%",
        _part(
            src.CARE_RELATIONS,
            _when(lambda c: c["inst_district"] == c["res_district"]),
            columns=("n", "inst_district", "res_district"),
        ),
        _part(src.CARE_RELATIONS, ONE, columns=("n",)),
        residence_only=True,
    ),
    Kpi(
        "visits_per_capita",
        "人均就诊次数",
        "Visits per capita",
        "居民门急诊人次 / 人口（按期内人年折算）",
        "Visits of residents / person-years in the period",
        "per_capita",
        "none",
        "rate",
        "residence",
        "国家卫生健康统计年鉴：2023年6.8次",
        _part(VISITS, ONE, columns=("n", "res_district")),
        _part(src.POPULATION_RELATIONS, _c("population"), window=True, columns=("population",)),
        split=True,
    ),
    Kpi(
        "hospitalization_rate",
        "住院率",
        "Hospitalisation rate",
        "居民出院人次 / 人口（人年）× 100",
        "Admissions of residents / person-years × 100",
        "per100",
        "lower",
        "rate",
        "residence",
        "2023年全国21.4%，OECD 12.8%",
        _part(CASES, ONE, columns=("n", "res_district")),
        _part(src.POPULATION_RELATIONS, _c("population"), window=True, columns=("population",)),
        split=True,
    ),
    Kpi(
        "avg_outpatient_cost",
        "次均门诊费用",
        "Average outpatient cost",
        "门急诊总费用 / 门急诊人次",
        "Σ total cost / outpatient and emergency visits",
        "yuan",
        "lower",
        "mean",
        "institution",
        "2023年医院次均门诊费用361.6元",
        _part(
            VISITS,
            _c("total_cost"),
            where=lambda c: c["visit_type"].in_(OUTPATIENT),
            square=_c("total_cost_sq"),
            columns=("total_cost", "total_cost_sq", "visit_type"),
        ),
        _part(VISITS, ONE, where=lambda c: c["visit_type"].in_(OUTPATIENT), columns=("n", "visit_type")),
    ),
    Kpi(
        "avg_inpatient_cost",
        "次均住院费用",
        "Average inpatient cost",
        "住院总费用 / 出院人次",
        "Σ total cost / discharges",
        "yuan",
        "lower",
        "mean",
        "institution",
        "公立医院绩效考核",
        _part(CASES, _c("total_cost"), square=_c("total_cost_sq"), columns=("total_cost", "total_cost_sq")),
        _part(CASES, ONE, columns=("n",)),
    ),
    Kpi(
        "alos",
        "平均住院日",
        "Average length of stay",
        "出院者住院天数之和 / 出院人次",
        "Σ length of stay / discharges",
        "days",
        "lower",
        "mean",
        "institution",
        "公立医院绩效考核：一般8–10天",
        _part(CASES, _c("los"), square=_c("los_sq"), columns=("los", "los_sq")),
        _part(CASES, ONE, columns=("n",)),
    ),
    Kpi(
        "insurance_share",
        "医保基金支付占比",
        "Insurance share of cost",
        "医保基金支付金额 / 医疗总费用（门急诊与住院）",
        "Σ insurance paid / Σ total cost (visits and admissions)",
        "share",
        "none",
        "none",
        "institution",
        "2022年医保基金约占医疗机构收入59%",
        _part(src.CARE_RELATIONS, _c("insurance_paid"), columns=("insurance_paid",)),
        _part(src.CARE_RELATIONS, _c("total_cost"), columns=("total_cost",)),
    ),
    Kpi(
        "contract_coverage",
        "家庭医生签约率",
        "Family-doctor contract coverage",
        "期末签约有效的居民数 / 期末所在年份人口",
        "Residents with a contract active at period end / population",
        "share",
        "higher",
        "rate",
        "residence",
        "关于推进家庭医生签约服务高质量发展的指导意见",
        _part(src.RESIDENT_RELATIONS, _c("contracted"), window=True, columns=("contracted",)),
        _part(
            src.POPULATION_RELATIONS,
            _c("population"),
            window=True,
            options={"point": True},
            columns=("population",),
        ),
        split=True,
    ),
    Kpi(
        "priority_contract_coverage",
        "重点人群签约率",
        "Priority-group contract coverage",
        "期末签约有效的重点人群（65岁及以上、在管高血压/糖尿病患者）/ 重点人群",
        "Priority residents (65+, managed hypertension or diabetes) with an active contract at period end / "
        "priority residents",
        "share",
        "higher",
        "wilson",
        "residence",
        "家庭医生签约服务：重点人群优先",
        _part(
            src.RESIDENT_RELATIONS,
            _c("contracted"),
            where=lambda c: c["priority"] == 1,
            window=True,
            columns=("contracted", "priority"),
        ),
        _part(
            src.RESIDENT_RELATIONS,
            ONE,
            where=lambda c: c["priority"] == 1,
            window=True,
            columns=("n", "priority"),
        ),
    ),
    Kpi(
        "contract_renewal_rate",
        "续约率",
        "Contract renewal rate",
        "期内到期、且90天内同一居民再次签约的合同 / 期内到期合同",
        "Contracts ending in the period followed by a new contract of the same resident within 90 days / "
        "contracts ending in the period",
        "share",
        "higher",
        "wilson",
        "residence",
        "家庭医生签约服务",
        _part(src.CONTRACT_END_RELATIONS, _c("renewed"), columns=("renewed",)),
        _part(src.CONTRACT_END_RELATIONS, ONE, columns=("n",)),
    ),
    Kpi(
        "contracted_stickiness",
        "签约居民回头率",
        "Contracted residents' loyalty",
        "签约居民在签约团队所在机构的就诊人次 / 签约居民全部就诊人次（按签约团队）",
        "Visits of contracted residents at their own team's institution / all visits of contracted residents",
        "share",
        "higher",
        "wilson",
        "residence",
        "家庭医生签约服务：签约居民基层就诊",
        _part(src.CONTRACT_VISIT_RELATIONS, _when(lambda c: c["at_own_team"]), columns=("n", "at_own_team")),
        _part(src.CONTRACT_VISIT_RELATIONS, ONE, columns=("n",)),
    ),
    Kpi(
        "up_referrals",
        "上转人次",
        "Up-referrals",
        "转出机构发起的上转人次",
        "Referrals up, by referring institution",
        "count",
        "none",
        "count",
        "institution",
        "双向转诊",
        _part(REFERRALS, _when(lambda c: c["direction"] == "up"), columns=("n", "direction")),
    ),
    Kpi(
        "down_referrals",
        "下转人次",
        "Down-referrals",
        "转出机构发起的下转人次",
        "Referrals down, by referring institution",
        "count",
        "none",
        "count",
        "institution",
        "双向转诊",
        _part(REFERRALS, _when(lambda c: c["direction"] == "down"), columns=("n", "direction")),
    ),
    Kpi(
        "down_referral_share",
        "下转占比",
        "Down-referral share",
        "下转人次 / （上转人次 + 下转人次）",
        "Down / (up + down) referrals",
        "share",
        "higher",
        "wilson",
        "institution",
        "急慢分治、上下联动",
        _part(REFERRALS, _when(lambda c: c["direction"] == "down"), columns=("n", "direction")),
        _part(REFERRALS, _when(lambda c: c["direction"].in_(("up", "down"))), columns=("n", "direction")),
    ),
    Kpi(
        "referral_completion_rate",
        "转诊完成率",
        "Referral completion rate",
        "已完成转诊 / （全部转诊 − 已取消）",
        "Completed / (all − cancelled) referrals",
        "share",
        "higher",
        "wilson",
        "institution",
        "双向转诊",
        _part(REFERRALS, _when(lambda c: c["status"] == "completed"), columns=("n", "status")),
        _part(REFERRALS, _when(lambda c: c["status"] != "cancelled"), columns=("n", "status")),
    ),
    Kpi(
        "referral_count",
        "转诊人次",
        "Referrals",
        "转出机构发起的全部转诊人次（上转、下转与平转）",
        "All referrals (up, down and lateral), by referring institution",
        "count",
        "none",
        "count",
        "institution",
        "双向转诊",
        _part(REFERRALS, ONE, columns=("n",)),
    ),
    Kpi(
        "referral_completion_days",
        "转诊完成天数",
        "Days to referral completion",
        "已完成转诊从转出到完成的天数之和 / 已完成转诊数",
        "Σ days from referral to completion / completed referrals",
        "days",
        "lower",
        "mean",
        "institution",
        "双向转诊：转诊服务及时性",
        _part(
            REFERRALS,
            _c("completed_days"),
            square=_c("completed_days_sq"),
            columns=("completed_days", "completed_days_sq"),
        ),
        _part(REFERRALS, _when(lambda c: c["status"] == "completed"), columns=("n", "status")),
    ),
    *_chronic_kpis(),
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
        _part(CASES, ONE, columns=("n",)),
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
        _part(CASES, _c("grouped"), columns=("grouped",)),
        _part(CASES, ONE, columns=("n",)),
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
        _part(CASES, ONE, distinct=_c("drg_code"), columns=("n", "drg_code")),
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
        _part(CASES, _c("weight"), columns=("weight",)),
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
        _part(CASES, _c("weight"), square=lambda c: c["weight_sq"], columns=("weight", "weight_sq")),
        _part(CASES, _c("grouped"), columns=("grouped",)),
    ),
    Kpi(
        "cost_efficiency_index",
        "费用消耗指数",
        "Cost efficiency index",
        "Σ 各组病例数×(本单位组均费用/全市组均费用) / 入组病例数；1 = 全市水平",
        "Σ_g n_g·(mean cost in g here / region mean cost in g) / Σ n_g; 1 = region",
        "index",
        "lower",
        "mean",
        "institution",
        "DRG绩效评价：费用消耗指数",
        _part(
            CASES,
            _c("cost_ratio"),
            square=_c("cost_ratio_sq"),
            options=REGION_MEANS,
            columns=("cost_ratio", "cost_ratio_sq"),
        ),
        _part(CASES, _c("grouped"), columns=("grouped",)),
    ),
    Kpi(
        "time_efficiency_index",
        "时间消耗指数",
        "Time efficiency index",
        "Σ 各组病例数×(本单位组均住院日/全市组均住院日) / 入组病例数；1 = 全市水平",
        "Σ_g n_g·(mean stay in g here / region mean stay in g) / Σ n_g; 1 = region",
        "index",
        "lower",
        "mean",
        "institution",
        "DRG绩效评价：时间消耗指数",
        _part(
            CASES,
            _c("los_ratio"),
            square=_c("los_ratio_sq"),
            options=REGION_MEANS,
            columns=("los_ratio", "los_ratio_sq"),
        ),
        _part(CASES, _c("grouped"), columns=("grouped",)),
    ),
    Kpi(
        "low_risk_mortality",
        "低风险组死亡率",
        "Low-risk group mortality",
        "低风险组死亡病例 / 低风险组病例",
        "Deaths in low-risk DRG groups / cases in those groups",
        "share",
        "lower",
        "wilson",
        "institution",
        "DRG绩效评价：医疗安全",
        _part(CASES, _c("died"), where=lambda c: c["risk_level"] == "low", columns=("died", "risk_level")),
        _part(CASES, ONE, where=lambda c: c["risk_level"] == "low", columns=("n", "risk_level")),
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
        _part(CASES, _c("surplus"), columns=("surplus",)),
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
        _part(CASES, _c("payment"), columns=("payment",)),
        _part(CASES, _c("grouped_cost"), columns=("grouped_cost",)),
    ),
    Kpi(
        "high_cost_outlier_share",
        "高倍率病例占比",
        "High-cost outlier share",
        "费用高于全市同组均值 k_high 倍的入组病例 / 入组病例（k_high 按出院年度取自政策文件）",
        "Grouped cases costing more than k_high × the region mean of their group / grouped cases "
        "(k_high of the discharge year, from the policy file)",
        "share",
        "lower",
        "wilson",
        "institution",
        "DRG付费：高倍率病例（倍数由地方政策确定）",
        _part(CASES, _c("high_outlier"), options=REGION_MEANS, columns=("high_outlier",)),
        _part(CASES, _c("grouped"), columns=("grouped",)),
    ),
    Kpi(
        "low_cost_outlier_share",
        "低倍率病例占比",
        "Low-cost outlier share",
        "费用低于全市同组均值 k_low 倍的入组病例 / 入组病例（k_low 按出院年度取自政策文件）",
        "Grouped cases costing less than k_low × the region mean of their group / grouped cases "
        "(k_low of the discharge year, from the policy file)",
        "share",
        "lower",
        "wilson",
        "institution",
        "DRG付费：低倍率病例（倍数由地方政策确定）",
        _part(CASES, _c("low_outlier"), options=REGION_MEANS, columns=("low_outlier",)),
        _part(CASES, _c("grouped"), columns=("grouped",)),
    ),
    Kpi(
        "readmission_rate",
        "再入院率",
        "Readmission rate",
        "出院后 N 天内同一患者再次入院的出院人次 / 出院人次（N 按出院年度取自政策文件）",
        "Discharges followed by an admission of the same patient within N days / discharges "
        "(N of the discharge year, from the policy file)",
        "share",
        "lower",
        "wilson",
        "institution",
        "公立医院绩效考核",
        _part(CASES, _c("readmitted"), options={"readmission": True}, columns=("readmitted",)),
        _part(CASES, ONE, columns=("n",)),
    ),
    Kpi(
        "capitation_spend_rate",
        "按人头付费执行率",
        "Capitation spend rate",
        "签约参保人在预算年度内的医保支付（门急诊）/ 按期折算的预算",
        "Insurance spend on the budget holder's contracted insured / budget pro-rated to the period",
        "share",
        "lower",
        "none",
        "institution",
        "按人头付费：结余留用、超支不补",
        _part(
            src.CONTRACT_VISIT_RELATIONS,
            _c("insurance_paid"),
            where=lambda c: (c["insurance_type"] != "none") & (year_of(c["date"]) >= _FIRST_BUDGET_YEAR),
            columns=("insurance_paid", "insurance_type", "date"),
        ),
        _part(src.BUDGET_RELATIONS, _c("budget"), window=True, columns=("budget",)),
        split=True,
    ),
)

_FIRST_BUDGET_YEAR = sa.select(sa.func.min(src.fact_capitation.c.year)).scalar_subquery()

REGISTRY: dict[str, Kpi] = {k.id: k for k in KPIS}


def get_kpi(kpi_id: str) -> Kpi:
    """The KPI with this id; a clear error for an unknown one."""
    try:
        return REGISTRY[kpi_id]
    except KeyError:
        from dashboard.errors import UserFacingError

        raise UserFacingError(f"unknown KPI {kpi_id!r}; known: {', '.join(sorted(REGISTRY))}") from None
