"""Interface text in Chinese (default) and English. KPI names and definitions come from the registry."""

from __future__ import annotations

LANGS = ("zh", "en")

TEXT = {
    "app_title": ("医联体绩效分析", "Consortium performance"),
    "data_as_of": ("数据截至", "Data as of"),
    "switch_lang": ("English", "中文"),
    "section_consortium": ("医联体", "Consortium"),
    "section_commission": ("卫健委", "Health commission"),
    "section_insurance": ("医保局", "Insurance bureau"),
    "section_reference": ("参考", "Reference"),
    "period": ("期间", "Period"),
    "last_12_months": ("近12个月", "Last 12 months"),
    "this_year": ("本年", "This year"),
    "last_year": ("上年", "Last year"),
    "all": ("全部数据", "All data"),
    "district": ("区县", "District"),
    "consortium": ("医联体", "Consortium"),
    "institution": ("机构", "Institution"),
    "team": ("家庭医生团队", "Team"),
    "doctor": ("医生", "Doctor"),
    "disease": ("病种", "Disease"),
    "insurance": ("参保类型", "Insurance"),
    "all_units": ("全部", "All"),
    "city": ("全市", "City"),
    "target": ("目标", "Target"),
    "yoy": ("同比", "YoY"),
    "mom": ("环比", "vs prev."),
    "better": ("优于", "Better than"),
    "similar": ("持平", "Similar to"),
    "worse": ("差于", "Worse than"),
    "higher": ("高于", "Higher than"),
    "lower": ("低于", "Lower than"),
    "unknown": ("无法判断", "Not enough data vs"),
    "suppressed": ("数量过少已隐藏", "Suppressed (small numbers)"),
    "benchmark": ("全市", "city"),
    "ci": ("95%置信区间", "95% CI"),
    "met": ("达标", "On target"),
    "not_met": ("未达标", "Below target"),
    "no_data": ("所选范围内没有数据", "No data for this selection"),
    "not_applicable": ("不适用于当前范围", "Not applicable to this scope"),
    "red_red": ("双红预警：差于基准且在变差", "Red-red: worse than benchmark and getting worse"),
    "red_red_none": (
        "没有同时差于基准且在变差的单位",
        "No unit is both worse than the benchmark and worsening",
    ),
    "scorecard": ("成员单位记分卡", "Scorecard of member units"),
    "scorecard_hint": (
        "点击单位名称下钻；颜色：绿=优于上级，红=差于上级（95%置信区间）；✓ 达标",
        "Click a unit to drill down; green = better than parent, red = worse (95% CI); ✓ on target",
    ),
    "download_csv": ("下载 CSV", "Download CSV"),
    "download_xlsx": ("下载 Excel", "Download Excel"),
    "definitions": ("指标定义", "KPI definitions"),
    "overview": ("运营总览", "Overview"),
    "warehouse": ("数据概况", "Warehouse"),
    "numerator": ("分子", "Numerator"),
    "denominator": ("分母", "Denominator"),
    "unit": ("单位", "Unit"),
    "polarity": ("方向", "Better when"),
    "source": ("依据", "Source"),
    "definition": ("定义", "Definition"),
    "unit_name": ("单位", "Unit"),
    "bad_url": ("链接中有无法识别的参数，已忽略：", "Ignored unrecognised link parameters: "),
    "error": ("出错了：", "Error: "),
    "page_visits": ("就诊与分级诊疗", "Visits and tiered care"),
    "page_referrals": ("双向转诊", "Two-way referrals"),
    "page_chronic": ("慢病管理", "Chronic disease management"),
    "hypertension": ("高血压", "Hypertension"),
    "diabetes": ("糖尿病", "Diabetes"),
    "panel_shares": (
        "基层就诊率与县域就诊率（按月，含目标）",
        "Primary-care share and in-county rate by month, with targets",
    ),
    "panel_visits_by_level": ("各级机构诊疗人次", "Visits by institution level"),
    "panel_members_visits": ("成员单位诊疗人次", "Visits by member unit"),
    "panel_diagnoses": ("诊断构成（ICD-10 章 → 类目）", "Diagnoses (ICD-10 chapter → category)"),
    "panel_cost_by_level": ("各级机构次均门急诊费用", "Cost per outpatient visit by level"),
    "panel_visit_types": ("家庭出诊与互联网诊疗人次", "Home and online visits"),
    "panel_flows": (
        "居民就诊流向（居住地 → 就诊地）",
        "Where residents are treated (residence → place of care)",
    ),
    "flows_hint": (
        "每行是一个区县的居民，颜色为其诊疗人次流向各区县的占比；对角线为本地就诊",
        "Each row is one district's residents; colour = share of their visits by district of care; the diagonal stays home",
    ),
    "place_of_care": ("就诊地", "Place of care"),
    "residence": ("居住地", "Residence"),
    "drill_hint": ("点击单位下钻", "Click a unit to drill down"),
    "chapter_hint": ("点击一章查看其类目", "Click a chapter to see its categories"),
    "panel_level_flows": ("各级机构间转诊流向", "Referrals between levels"),
    "panel_institution_flows": ("机构间转诊流向（前25对）", "Referrals between institutions (top 25 pairs)"),
    "sankey_hint": ("点击一条流向查看这对机构的月度趋势", "Click a flow to see that pair's monthly trend"),
    "panel_pair": ("所选机构对的转诊趋势", "The chosen pair's referrals"),
    "panel_directions": ("上转、下转人次与下转占比", "Up and down referrals and the down-referral share"),
    "panel_completion": ("转诊完成率与完成天数", "Completion rate and days to completion"),
    "panel_referral_units": (
        "各医联体下转占比（颜色：与整体相比）",
        "Down-referral share by consortium (colour vs the whole)",
    ),
    "units_hint": (
        "绿=优于所选范围整体，红=差于（95%置信区间）；虚线为整体水平",
        "green = better than the selection as a whole, red = worse (95% CI); dotted line = the whole",
    ),
    "gaps_suppressed": (
        "1–4例的月份按小数保护规则隐藏，图中为断点。",
        "Months with 1–4 referrals are suppressed (small numbers) and show as gaps.",
    ),
    "page_drg": ("DRG绩效", "DRG performance"),
    "surplus_per_case": ("例均结余（元）", "Surplus per case (yuan)"),
    "grouped_cases": ("入组病例", "Grouped cases"),
    "high_cost_outlier_share": ("高倍率病例", "High-cost outliers"),
    "low_cost_outlier_share": ("低倍率病例", "Low-cost outliers"),
    "panel_weight_bands": ("各权重段出院人次", "Discharges by weight band"),
    "panel_quadrant_institution": ("机构四象限：CMI × 例均结余", "Institutions: CMI × surplus per case"),
    "panel_quadrant_department": ("科室四象限：CMI × 例均结余", "Departments: CMI × surplus per case"),
    "quadrant_hint": (
        "竖线为全市CMI，横线为结余为零；气泡大小为入组病例数；点击机构下钻",
        "Vertical line = the region's CMI, horizontal = zero surplus; bubble size = grouped cases; click to drill",
    ),
    "panel_groups": ("病组下钻：MDC → ADRG → DRG（出院人次）", "Groups: MDC → ADRG → DRG (discharges)"),
    "groups_hint": ("点击一个组继续下钻", "Click a group to drill down"),
    "groups_back": ("返回全部MDC", "Back to all MDCs"),
    "panel_group_costs": ("所选DRG在各机构的次均费用", "The chosen DRG's average cost by institution"),
    "group_costs_note": (
        "深色为当前所选机构；虚线为全市该组次均费用；误差线为95%置信区间；另有{hidden}家机构病例少于5例，按小数保护规则未显示",
        "Dark = the selected institution; dotted line = the region's mean for the group; bars show 95% CIs; "
        "{hidden} more institutions with fewer than 5 cases are not shown (small numbers)",
    ),
    "panel_outliers": ("高/低倍率病例数（按DRG组，前15）", "High/low-cost outlier cases by DRG (top 15)"),
    "panel_outlier_cases": ("倍率病例清单（不含患者身份信息）", "Outlier cases (no patient identity)"),
    "outlier_cases_note": (
        "按偏离程度排序，最多显示{limit}例；阈值按出院年度取自政策文件。",
        "Sorted by how far the cost is from the group mean, at most {limit} cases; thresholds from the policy file.",
    ),
    "draw_error": ("图表生成出错，已记录日志", "This chart could not be drawn; the error was logged"),
    "completion_note": (
        "按转诊日期统计：最近一两个月的转诊有些尚未完成（待处理），完成率会在随后的数据中回升。",
        "By referral date: some referrals of the last month or two are still pending, so their completion rate "
        "rises as later data arrive.",
    ),
    "panel_up_diagnoses": ("上转最多的诊断（ICD-10 类目）", "Diagnoses most referred up (ICD-10 category)"),
    "chronic_hint": (
        "病种在筛选栏中选择（默认高血压）",
        "Choose the disease in the filter bar (hypertension by default)",
    ),
    "panel_cascade": (
        "管理级联：估计患者 → 在管 → 规范管理 → 控制",
        "Cascade: estimated → managed → standardised → controlled",
    ),
    "cascade_estimated": ("估计患者", "Estimated patients"),
    "cascade_managed": ("在管患者", "Managed"),
    "cascade_standardised": ("规范管理", "Standardised management"),
    "cascade_controlled": ("控制达标", "Controlled"),
    "cascade_note": (
        "估计患者按居住地（人口×患病率）；在管及以下按管理机构。括号内为占上一步的比例。",
        "Estimated patients by residence (population × prevalence); the later steps by managing institution. "
        "Brackets: share of the step before.",
    ),
    "cascade_note_no_estimate": (
        "估计患者按居住地计算，不适用于医联体、机构或团队；在管及以下按管理机构。",
        "Estimated patients are by residence and do not apply to a consortium, institution or team.",
    ),
    "panel_chronic_trends": (
        "控制率与规范管理率（按季度，显著性检验）",
        "Control and standardised management by quarter (trend test)",
    ),
    "panel_funnel_institution": ("各机构控制率漏斗图", "Control rate by institution: funnel plot"),
    "panel_funnel_team": ("各团队控制率漏斗图", "Control rate by team: funnel plot"),
    "funnel_hint": (
        "横轴为在管患者数；虚线/实线为全市水平的95%/99.8%控制限；超出99.8%限的单位加大标出并列于下方",
        "x = managed patients; dashed / solid = 95% / 99.8% limits around the city; units outside 99.8% are enlarged and listed",
    ),
    "control_limits": ("控制限", "control limits"),
    "units": ("单位", "Units"),
    "outside_limits": ("超出99.8%控制限：", "Outside the 99.8% limits:"),
    "none_outside": ("没有单位超出99.8%控制限", "No unit lies outside the 99.8% limits"),
    "above": ("高于全市", "above the city"),
    "below": ("低于全市", "below the city"),
    "panel_standardised": ("粗率与年龄性别标化控制率", "Crude vs age/sex-standardised control rate"),
    "standardised_note": (
        "空心=粗率，实心=标化率（含95%置信区间）。方法：间接标准化，按年龄组×性别，以全市同期分层控制率为参照；标化率=O/E×全市粗率。",
        "Hollow = crude, filled = standardised (95% CI). Method: indirect standardisation by age band × sex against "
        "the whole city's stratum rates for the same period; standardised rate = O/E × city crude rate.",
    ),
    "crude": ("粗率", "Crude"),
    "standardised": ("标化率", "Standardised"),
    "observed": ("实际", "Observed"),
    "expected": ("期望", "Expected"),
    "panel_followups": (
        "随访完整性：在管患者按期内随访次数",
        "Follow-up completeness: managed patients by follow-ups",
    ),
    "followups_note": (
        "本期涉及{quarters}个自然季度：达到{quarters}次为规范管理（绿色）。只显示人数，不含任何患者身份信息。",
        "The period touches {quarters} calendar quarters: {quarters} or more follow-ups is standardised (green). "
        "Counts only, no patient identity.",
    ),
    "followups_in_period": ("期内随访次数", "Follow-ups in the period"),
    "patients": ("患者数", "Patients"),
    "managed_patients": ("在管患者数", "Managed patients"),
    "control_rate": ("控制率", "Control rate"),
    "panel_team_doctors": ("团队医生的诊疗人次", "The team's doctors: visits"),
    "trend_too_short": ("点数不足，未做趋势检验", "too few points for a trend test"),
    "trend_improving": ("显著改善", "improving"),
    "trend_worsening": ("显著变差", "worsening"),
    "trend_rising": ("显著上升", "rising"),
    "trend_falling": ("显著下降", "falling"),
    "trend_flat": ("无显著变化", "no significant change"),
}

POLARITY = {
    "higher": ("越高越好", "higher"),
    "lower": ("越低越好", "lower"),
    "none": ("无方向", "no direction"),
}
UNITS = {
    "share": ("%", "%"),
    "per100": ("每百人", "per 100"),
    "per_capita": ("次/人", "per person"),
    "yuan": ("元", "yuan"),
    "days": ("天", "days"),
    "count": ("人次", "count"),
    "index": ("指数", "index"),
    "weight": ("权重", "weight"),
    "ratio": ("比值", "ratio"),
}


def t(key: str, lang: str = "zh") -> str:
    zh, en = TEXT[key]
    return en if lang == "en" else zh


def pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "en" else pair[0]
