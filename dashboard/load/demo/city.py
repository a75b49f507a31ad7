"""The demo city of 江州市: districts, consortia, institutions, family-doctor teams and doctors.

The structure is the same at every scale; only the number of residents changes. Each district carries the
reasons its numbers differ (ageing, rurality, staffing, how tight its consortium is), so that a drill-down
finds an explanation and not just noise. A few units are deliberate outliers, named in comments.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dashboard.core.reference import LEVELS

CITY_NAME = "江州市"
CITY_NAME_EN = "Jiangzhou"


@dataclass(frozen=True)
class DistrictSpec:
    code: str
    name: str
    name_en: str
    urban_rural: str
    population_share: float
    ageing: float  # shifts the age pyramid: +1 = markedly older than the city
    employee_share: float  # share of working-age residents with employee insurance
    primary_preference: float  # log-odds shift towards primary care for a visit
    tertiary_pull: float  # share of hospital visits that go to a city tertiary hospital
    managed_share: float  # share of prevalent hypertension/diabetes patients under management
    team_quality: float  # mean control-rate effect of the district's family-doctor teams (log-odds)
    followup_rate: float  # chance a managed patient is followed up in a given quarter
    contract_propensity: float  # chance an ordinary resident signs a family-doctor contract
    consortium_tightness: float  # 0..1: how hard the consortium pushes patients back down


DISTRICTS = (
    # Old town: the oldest population, hence the highest crude hospitalisation; similar once standardised.
    DistrictSpec(
        "990102", "鼓楼区", "Gulou", "urban", 0.16, 1.0, 0.62, 0.00, 0.62, 0.46, 0.15, 0.90, 0.30, 0.4
    ),
    DistrictSpec(
        "990103", "江南区", "Jiangnan", "urban", 0.17, 0.2, 0.58, 0.05, 0.55, 0.45, 0.10, 0.90, 0.32, 0.5
    ),
    # New town: young, few community centres for its size, residents go straight to hospital.
    DistrictSpec(
        "990104", "新港区", "Xingang", "urban", 0.15, -0.6, 0.55, -0.45, 0.50, 0.38, -0.05, 0.86, 0.24, 0.3
    ),
    DistrictSpec(
        "990105", "高新区", "Gaoxin", "urban", 0.10, -1.0, 0.70, -0.10, 0.60, 0.40, 0.10, 0.88, 0.28, 0.4
    ),
    # Deliberate laggard: ageing, understaffed, patients leave the county; poor chronic control.
    DistrictSpec(
        "990121", "青山县", "Qingshan", "rural", 0.12, 0.8, 0.18, 0.05, 0.42, 0.31, -0.65, 0.74, 0.33, 0.2
    ),
    # Deliberate leader: a tightly integrated county community (紧密型县域医共体).
    DistrictSpec(
        "990122", "平湖县", "Pinghu", "rural", 0.13, 0.5, 0.20, 0.55, 0.16, 0.58, 0.40, 0.95, 0.45, 0.9
    ),
    # Remote and small: wide confidence intervals, an extreme crude rate that is not significant.
    DistrictSpec(
        "990123", "云岭县", "Yunling", "rural", 0.05, 0.7, 0.12, 0.25, 0.20, 0.40, 0.00, 0.85, 0.36, 0.5
    ),
    DistrictSpec(
        "990124", "河口县", "Hekou", "rural", 0.12, 0.4, 0.22, 0.20, 0.28, 0.44, 0.05, 0.88, 0.36, 0.5
    ),
)

CONSORTIA = (
    # id, name, name_en, type, district
    ("C01", "江州市第一人民医院医疗集团", "Jiangzhou First People's Hospital Group", "urban_group", "990102"),
    ("C02", "江州市中心医院医疗集团", "Jiangzhou Central Hospital Group", "urban_group", "990103"),
    ("C03", "青山县医共体", "Qingshan County Medical Community", "county_community", "990121"),
    ("C04", "平湖县紧密型医共体", "Pinghu Integrated County Medical Community", "county_community", "990122"),
    ("C05", "云岭县医共体", "Yunling County Medical Community", "county_community", "990123"),
    ("C06", "河口县医共体", "Hekou County Medical Community", "county_community", "990124"),
    ("C07", "江州市肿瘤专科联盟", "Jiangzhou Oncology Alliance", "specialty_alliance", "990105"),
    ("C08", "江州市中医远程医疗协作网", "Jiangzhou TCM Telemedicine Network", "telemedicine", "990102"),
)


@dataclass(frozen=True)
class HospitalSpec:
    name: str
    name_en: str
    level: str
    district: str
    consortium: str | None
    lead: bool
    beds: int
    cost_factor: float  # relative cost of the same care here
    los_factor: float
    mortality_factor: float
    ungrouped_share: float  # cases the coder could not group


HOSPITALS = (
    HospitalSpec(
        "江州市第一人民医院",
        "Jiangzhou First People's Hospital",
        "tertiary",
        "990102",
        "C01",
        True,
        1800,
        0.95,
        1.00,
        1.0,
        0.010,
    ),
    HospitalSpec(
        "江州市中心医院",
        "Jiangzhou Central Hospital",
        "tertiary",
        "990103",
        "C02",
        True,
        1500,
        1.00,
        1.02,
        1.0,
        0.012,
    ),
    # Long stays: the TCM hospital keeps patients longer (time-efficiency outlier).
    HospitalSpec(
        "江州市中医院",
        "Jiangzhou TCM Hospital",
        "tertiary",
        "990102",
        "C08",
        True,
        900,
        1.02,
        1.30,
        0.9,
        0.015,
    ),
    # Expensive: the cancer hospital costs more for the same group (cost-efficiency outlier).
    HospitalSpec(
        "江州市肿瘤医院",
        "Jiangzhou Cancer Hospital",
        "tertiary",
        "990105",
        "C07",
        True,
        800,
        1.30,
        1.10,
        1.1,
        0.012,
    ),
    HospitalSpec(
        "鼓楼区人民医院",
        "Gulou District People's Hospital",
        "secondary",
        "990102",
        "C01",
        False,
        400,
        0.98,
        1.00,
        1.0,
        0.015,
    ),
    HospitalSpec(
        "江南区人民医院",
        "Jiangnan District People's Hospital",
        "secondary",
        "990103",
        "C02",
        False,
        450,
        1.00,
        0.98,
        1.0,
        0.015,
    ),
    HospitalSpec(
        "新港区人民医院",
        "Xingang District People's Hospital",
        "secondary",
        "990104",
        "C02",
        False,
        350,
        1.05,
        1.05,
        1.0,
        0.018,
    ),
    HospitalSpec(
        "高新区医院",
        "Gaoxin District Hospital",
        "secondary",
        "990105",
        "C08",
        False,
        300,
        1.00,
        1.00,
        1.0,
        0.015,
    ),
    HospitalSpec(
        "青山县人民医院",
        "Qingshan County People's Hospital",
        "secondary",
        "990121",
        "C03",
        True,
        380,
        1.08,
        1.10,
        1.2,
        0.020,
    ),
    HospitalSpec(
        "平湖县人民医院",
        "Pinghu County People's Hospital",
        "secondary",
        "990122",
        "C04",
        True,
        450,
        0.90,
        0.92,
        0.9,
        0.008,
    ),
    # Deliberate quality signal: deaths in low-risk groups and a poor grouping rate.
    HospitalSpec(
        "云岭县人民医院",
        "Yunling County People's Hospital",
        "secondary",
        "990123",
        "C05",
        True,
        220,
        1.02,
        1.05,
        3.5,
        0.045,
    ),
    HospitalSpec(
        "河口县人民医院",
        "Hekou County People's Hospital",
        "secondary",
        "990124",
        "C06",
        True,
        380,
        0.97,
        1.00,
        1.0,
        0.015,
    ),
    HospitalSpec(
        "平湖县中医院",
        "Pinghu County TCM Hospital",
        "secondary",
        "990122",
        "C04",
        False,
        200,
        0.92,
        1.08,
        0.9,
        0.012,
    ),
)

# Community health centres (社区卫生服务中心) by street, and township health centres (乡镇卫生院) by town.
# The consortium of each centre: urban ones join the district's group; two Xingang centres have joined none.
CHC_STREETS = {
    "990102": [("钟楼", "C01"), ("鼓西", "C01"), ("北门", "C01"), ("城隍", "C01"), ("府前", "C01")],
    "990103": [("江滨", "C02"), ("南湖", "C02"), ("望江", "C02"), ("沙洲", "C02"), ("东塘", "C02")],
    "990104": [("港湾", "C02"), ("新城", "C02"), ("海晏", None), ("临港", None)],
    "990105": [("科创", "C08"), ("云谷", "C08"), ("创业", "C08")],
}
THC_TOWNS = {
    "990121": ["青石", "松岭", "龙潭", "桐溪", "白沙", "石门"],
    "990122": ["湖东", "莲塘", "新埠", "渔港", "芦荡", "柳桥"],
    "990123": ["云溪", "雾山", "竹坪", "岭口"],
    "990124": ["河湾", "沙口", "杨柳", "三岔", "黄桥", "金滩"],
}
VILLAGES_PER_COUNTY = 3
VILLAGE_NAMES = [
    "上庄",
    "下坝",
    "中屯",
    "东岗",
    "西塘",
    "南岭",
    "北坡",
    "前湾",
    "后山",
    "石桥",
    "杏林",
    "桃源",
]

SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红建文辉力婷雪琳晨宇浩然欣怡子轩佳琪")
HOSPITAL_DEPARTMENTS = [
    "心血管内科",
    "呼吸内科",
    "神经内科",
    "消化内科",
    "内分泌科",
    "肾内科",
    "普通外科",
    "骨科",
    "神经外科",
    "心胸外科",
    "泌尿外科",
    "妇产科",
    "儿科",
    "眼科",
    "耳鼻喉科",
    "肿瘤科",
    "感染科",
    "精神科",
    "血液科",
    "皮肤科",
    "全科",
]
TITLES = ["主任医师", "副主任医师", "主治医师", "医师"]
HOSPITAL_DOCTORS = {"tertiary": 42, "secondary": 21}
# institution_type (同级同类) by what the name says; every other institution, primary care included, is general
TYPE_BY_NAME = (("中医院", "tcm"), ("肿瘤医院", "specialty"), ("妇幼", "maternal_child"))
TEAM_DOCTORS = 3


@dataclass
class City:
    """The city's structure as DataFrames in contract shape, plus the numeric lookups the generator uses."""

    districts: pd.DataFrame
    consortia: pd.DataFrame
    institutions: pd.DataFrame
    teams: pd.DataFrame
    doctors: pd.DataFrame
    specs: tuple[DistrictSpec, ...]

    # numpy lookups, positional (index i = row i of the DataFrame above)
    inst_level: np.ndarray
    inst_district: np.ndarray
    inst_consortium: np.ndarray  # -1 where none
    inst_cost: np.ndarray
    inst_los: np.ndarray
    inst_mortality: np.ndarray
    inst_ungrouped: np.ndarray
    team_inst: np.ndarray
    team_quality: np.ndarray
    team_followup: np.ndarray
    inst_team_start: np.ndarray
    inst_team_count: np.ndarray
    inst_doc_start: np.ndarray
    inst_doc_count: np.ndarray
    team_doc_start: np.ndarray
    doctor_dept: np.ndarray
    consortium_lead: np.ndarray  # institution index of each consortium's lead
    consortium_tightness: np.ndarray

    LEVELS = LEVELS  # the contract's level codes, in the order the generator's arrays use

    def level_code(self, level: str) -> int:
        return self.LEVELS.index(level)

    def institutions_of(self, level: str, district: int | None = None) -> np.ndarray:
        mask = self.inst_level == self.level_code(level)
        if district is not None:
            mask &= self.inst_district == district
        return np.flatnonzero(mask)


def _person_name(rng: np.random.Generator) -> str:
    given = "".join(rng.choice(GIVEN, size=rng.integers(1, 3)))
    return str(rng.choice(SURNAMES)) + given


def build_city(rng: np.random.Generator) -> City:
    """Lay out the city. Deterministic for a given generator state."""
    specs = DISTRICTS
    district_index = {s.code: i for i, s in enumerate(specs)}
    consortium_index = {c[0]: i for i, c in enumerate(CONSORTIA)}

    districts = pd.DataFrame(
        {
            "district_code": [s.code for s in specs],
            "district_name": [s.name for s in specs],
            "city_name": CITY_NAME,
            "urban_rural": [s.urban_rural for s in specs],
            "district_name_en": [s.name_en for s in specs],
        }
    )

    rows: list[dict] = []

    def add(name, name_en, level, district, consortium, beds, cost=1.0, los=1.0, mort=1.0, ungrouped=0.012):
        rows.append(
            {
                "institution_id": f"I{len(rows) + 1:03d}",
                "institution_name": name,
                "institution_name_en": name_en,
                "level": level,
                "is_primary": level in ("chc", "thc", "village"),
                "institution_type": next((k for word, k in TYPE_BY_NAME if word in name), "general"),
                "district_code": district,
                "consortium_id": consortium,
                "beds": beds,
                "_cost": cost,
                "_los": los,
                "_mort": mort,
                "_ungrouped": ungrouped,
            }
        )

    for h in HOSPITALS:
        add(
            h.name,
            h.name_en,
            h.level,
            h.district,
            h.consortium,
            h.beds,
            h.cost_factor,
            h.los_factor,
            h.mortality_factor,
            h.ungrouped_share,
        )
    for district, streets in CHC_STREETS.items():
        dname = specs[district_index[district]].name
        for street, consortium in streets:
            add(
                f"{dname}{street}街道社区卫生服务中心",
                f"{street} Community Health Centre",
                "chc",
                district,
                consortium,
                int(rng.integers(10, 40)),
                cost=float(rng.normal(1.0, 0.06)),
            )
    for district, towns in THC_TOWNS.items():
        consortium = next(c[0] for c in CONSORTIA if c[4] == district and c[3] == "county_community")
        dname = specs[district_index[district]].name
        for town in towns:
            add(
                f"{dname}{town}镇卫生院",
                f"{town} Township Health Centre",
                "thc",
                district,
                consortium,
                int(rng.integers(20, 60)),
                cost=float(rng.normal(1.0, 0.06)),
                los=0.9,
                ungrouped=0.02,
            )
    village_names = iter(VILLAGE_NAMES)
    for district in THC_TOWNS:
        consortium = next(c[0] for c in CONSORTIA if c[4] == district and c[3] == "county_community")
        dname = specs[district_index[district]].name
        for _ in range(VILLAGES_PER_COUNTY):
            village = next(village_names)
            add(f"{dname}{village}村卫生室", f"{village} Village Clinic", "village", district, consortium, 0)

    inst = pd.DataFrame(rows)
    level_codes = inst["level"].map({lv: i for i, lv in enumerate(City.LEVELS)}).to_numpy()
    inst_district = inst["district_code"].map(district_index).to_numpy()
    inst_consortium = inst["consortium_id"].map(consortium_index).fillna(-1).astype(int).to_numpy()

    leads = {h.consortium: h.name for h in HOSPITALS if h.lead}
    lead_ids = {c: inst.loc[inst.institution_name == n, "institution_id"].iloc[0] for c, n in leads.items()}
    consortia = pd.DataFrame(
        {
            "consortium_id": [c[0] for c in CONSORTIA],
            "consortium_name": [c[1] for c in CONSORTIA],
            "consortium_type": [c[3] for c in CONSORTIA],
            "lead_institution_id": [lead_ids[c[0]] for c in CONSORTIA],
            "district_code": [c[4] for c in CONSORTIA],
            "consortium_name_en": [c[2] for c in CONSORTIA],
        }
    )
    consortium_lead = (
        inst.reset_index().set_index("institution_id").loc[consortia.lead_institution_id, "index"]
    )
    tightness = np.array([specs[district_index[c[4]]].consortium_tightness for c in CONSORTIA])
    tightness[consortium_index["C04"]] = 0.95

    # Family-doctor teams: 3-5 per community centre, 2-4 per township centre (Qingshan, understaffed: 2).
    teams = []
    inst_team_start = np.zeros(len(inst), dtype=np.int64)
    inst_team_count = np.zeros(len(inst), dtype=np.int64)
    for i, row in inst.iterrows():
        if row.level not in ("chc", "thc"):
            continue
        spec = specs[inst_district[i]]
        if spec.code == "990121":
            n = 2
        else:
            n = int(rng.integers(3, 6)) if row.level == "chc" else int(rng.integers(2, 5))
        inst_team_start[i], inst_team_count[i] = len(teams), n
        short = row.institution_name.replace(spec.name, "").replace("街道社区卫生服务中心", "")
        short = short.replace("镇卫生院", "镇")
        for k in range(n):
            teams.append(
                {
                    "team_id": f"T{len(teams) + 1:03d}",
                    "team_name": f"{short}家庭医生{k + 1}队",
                    "institution_id": row.institution_id,
                }
            )
    teams_df = pd.DataFrame(teams)
    team_inst = (
        inst.reset_index().set_index("institution_id").loc[teams_df.institution_id, "index"].to_numpy()
    )
    team_district = inst_district[team_inst]
    team_quality = np.array([specs[d].team_quality for d in team_district]) + rng.normal(0, 0.25, len(teams))
    team_followup = np.clip(
        np.array([specs[d].followup_rate for d in team_district]) + rng.normal(0, 0.03, len(teams)), 0.5, 0.99
    )
    # Deliberate outliers among teams: one excellent team in Pinghu, one failing team in Xingang.
    best = np.flatnonzero(team_district == district_index["990122"])[0]
    worst = np.flatnonzero(team_district == district_index["990104"])[0]
    team_quality[best] += 1.0
    team_quality[worst] -= 1.1
    team_followup[worst] = 0.62

    # Doctors: hospital doctors by department; three per team at primary centres; one or two village doctors.
    doctors, doctor_dept = [], []
    inst_doc_start = np.zeros(len(inst), dtype=np.int64)
    inst_doc_count = np.zeros(len(inst), dtype=np.int64)
    team_doc_start = np.zeros(len(teams_df), dtype=np.int64)

    def add_doctor(i, team_id, department):
        doctors.append(
            {
                "doctor_id": f"D{len(doctors) + 1:04d}",
                "doctor_name": _person_name(rng),
                "institution_id": inst.institution_id[i],
                "team_id": team_id,
                "department": department,
                "title": str(rng.choice(TITLES, p=[0.12, 0.23, 0.4, 0.25])),
            }
        )
        doctor_dept.append(department)

    for i, row in inst.iterrows():
        inst_doc_start[i] = len(doctors)
        if row.level in HOSPITAL_DOCTORS:
            for k in range(HOSPITAL_DOCTORS[row.level]):
                add_doctor(i, None, HOSPITAL_DEPARTMENTS[k % len(HOSPITAL_DEPARTMENTS)])
        elif row.level == "village":
            for _ in range(int(rng.integers(1, 3))):
                add_doctor(i, None, "全科")
        else:
            for t in range(inst_team_start[i], inst_team_start[i] + inst_team_count[i]):
                team_doc_start[t] = len(doctors)
                for _ in range(TEAM_DOCTORS):
                    add_doctor(i, teams_df.team_id[t], "全科")
        inst_doc_count[i] = len(doctors) - inst_doc_start[i]

    institutions = inst[[c for c in inst.columns if not c.startswith("_")]]
    return City(
        districts=districts,
        consortia=consortia,
        institutions=institutions,
        teams=teams_df,
        doctors=pd.DataFrame(doctors),
        specs=specs,
        inst_level=level_codes,
        inst_district=inst_district,
        inst_consortium=inst_consortium,
        inst_cost=inst["_cost"].to_numpy(),
        inst_los=inst["_los"].to_numpy(),
        inst_mortality=inst["_mort"].to_numpy(),
        inst_ungrouped=inst["_ungrouped"].to_numpy(),
        team_inst=team_inst,
        team_quality=team_quality,
        team_followup=team_followup,
        inst_team_start=inst_team_start,
        inst_team_count=inst_team_count,
        inst_doc_start=inst_doc_start,
        inst_doc_count=inst_doc_count,
        team_doc_start=team_doc_start,
        doctor_dept=np.array(doctor_dept),
        consortium_lead=consortium_lead.to_numpy(),
        consortium_tightness=tightness,
    )
