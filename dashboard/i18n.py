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
