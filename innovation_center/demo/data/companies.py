"""Parts of the demo companies' names, their industries and statuses, and the solutions."""

from innovation_center.ecosystem.models import Industry

# (prefix in the legal name, city field, administrative division codes, weight)
CITY_PREFIXES = [
    ("武汉", "武汉", ["420100", "420102", "420103", "420106", "420111", "420115"], 60),
    ("湖北", "武汉", ["420100", "420111"], 14),
    ("襄阳", "襄阳", ["420600"], 5),
    ("宜昌", "宜昌", ["420500"], 5),
    ("黄石", "黄石", ["420200"], 3),
    ("十堰", "十堰", ["420300"], 3),
    ("荆州", "荆州", ["421000"], 3),
    ("孝感", "孝感", ["420900"], 2),
    ("鄂州", "鄂州", ["420700"], 2),
    ("深圳", "深圳", ["440300"], 1),
    ("西安", "西安", ["610100"], 1),
    ("成都", "成都", ["510100"], 1),
]

# (brand, pinyin for the demo web address)
BRANDS = [
    ("光谷", "guanggu"),
    ("楚天", "chutian"),
    ("江城", "jiangcheng"),
    ("东湖", "donghu"),
    ("珞珈", "luojia"),
    ("长江", "changjiang"),
    ("汉江", "hanjiang"),
    ("黄鹤", "huanghe"),
    ("云帆", "yunfan"),
    ("智联", "zhilian"),
    ("星瀚", "xinghan"),
    ("天穹", "tianqiong"),
    ("鲲鹏", "kunpeng"),
    ("睿思", "ruisi"),
    ("慧眼", "huiyan"),
    ("极目", "jimu"),
    ("九州", "jiuzhou"),
    ("博远", "boyuan"),
    ("中盛", "zhongsheng"),
    ("华启", "huaqi"),
    ("楚云", "chuyun"),
    ("荆楚", "jingchu"),
    ("瑞泰", "ruitai"),
    ("新锐", "xinrui"),
    ("深瞳", "shentong"),
    ("灵犀", "lingxi"),
    ("晨曦", "chenxi"),
    ("恒信", "hengxin"),
    ("卓越", "zhuoyue"),
    ("同创", "tongchuang"),
    ("明德", "mingde"),
    ("青山", "qingshan"),
    ("远望", "yuanwang"),
    ("驰骋", "chicheng"),
    ("知行", "zhixing"),
    ("海纳", "haina"),
]

# industry -> [(word in the legal name, pinyin, what the company does)]
DOMAINS = {
    Industry.SMART_MANUFACTURING: [
        ("智能制造", "zhizao", "工业视觉质检与产线智能化改造"),
        ("工业视觉", "gongyeshijue", "基于深度学习的表面缺陷检测"),
        ("机器人", "jiqiren", "工业机器人视觉引导与柔性装配"),
    ],
    Industry.SMART_CITY: [
        ("城市大脑", "chengshidanao", "城市治理事件的智能识别与分拨"),
        ("智慧城市", "zhihuichengshi", "城市运行监测与应急管理平台"),
        ("数字孪生", "shuziluansheng", "城市与园区的数字孪生建模"),
    ],
    Industry.SMART_TRANSPORT: [
        ("智行", "zhixing", "交通流量预测与信号优化"),
        ("交通", "jiaotong", "车路协同感知与交通事件检测"),
        ("航运", "hangyun", "长江航道船舶识别与调度"),
    ],
    Industry.SMART_INSPECTION: [
        ("智巡", "zhixun", "无人机与机器人巡检"),
        ("电力巡检", "dianlixunjian", "输变电设备缺陷识别"),
        ("安全监测", "anquanjiance", "管廊、桥梁与隧道的安全监测"),
    ],
    Industry.REMOTE_SENSING: [
        ("遥感", "yaogan", "遥感影像智能解译"),
        ("空间信息", "kongjianxinxi", "时空大数据与地理信息服务"),
        ("测绘", "cehui", "测绘地理信息与变化检测"),
    ],
    Industry.HEALTHCARE: [
        ("医疗影像", "yiliaoyingxiang", "医学影像辅助诊断"),
        ("健康", "jiankang", "智慧健康管理与慢病筛查"),
    ],
    Industry.FINANCE: [("金融科技", "jinrong", "智能风控与票据识别")],
    Industry.EDUCATION: [("教育科技", "jiaoyu", "智慧课堂与个性化学习")],
    Industry.ENERGY: [("能源", "nengyuan", "电网负荷与新能源功率预测")],
    Industry.AGRICULTURE: [("农业", "nongye", "作物病虫害识别与农情监测")],
}
# Most companies work in the six verticals of the center's solutions.
INDUSTRY_WEIGHTS = {
    Industry.SMART_MANUFACTURING: 24,
    Industry.SMART_CITY: 16,
    Industry.SMART_TRANSPORT: 12,
    Industry.SMART_INSPECTION: 12,
    Industry.REMOTE_SENSING: 12,
    Industry.HEALTHCARE: 10,
    Industry.FINANCE: 4,
    Industry.EDUCATION: 4,
    Industry.ENERGY: 4,
    Industry.AGRICULTURE: 2,
}
SUFFIXES = [
    "科技有限公司",
    "智能科技有限公司",
    "信息技术有限公司",
    "软件有限公司",
    "数据科技有限公司",
    "科技股份有限公司",
]

COMPANY_COUNT = 120
# Status counts; most companies are incubating.
STATUS_COUNTS = {
    "applied": 10,
    "admitted": 12,
    "incubating": 70,
    "graduated": 18,
    "exited": 10,
}
EXIT_REASONS = [
    "公司战略调整，暂停人工智能业务线。",
    "项目团队整体迁往外地，转由当地计算中心服务。",
    "未能按期完成场景分析，经双方协商终止孵化。",
    "公司被并购，业务并入母公司。",
    "融资未达预期，主动退出孵化。",
]

# Solutions: one per scenario, named with its vertical's prefix.
SOLUTION_PREFIX = {
    Industry.SMART_MANUFACTURING: "昇腾智造",
    Industry.SMART_CITY: "昇腾智城",
    Industry.SMART_TRANSPORT: "昇腾智行",
    Industry.SMART_INSPECTION: "昇腾智巡",
    Industry.REMOTE_SENSING: "智能遥感",
    Industry.HEALTHCARE: "智慧医疗",
    Industry.FINANCE: "智慧金融",
    Industry.EDUCATION: "智慧教育",
    Industry.ENERGY: "智慧能源",
    Industry.AGRICULTURE: "智慧农业",
}
SOLUTION_SCENARIOS = {
    Industry.SMART_MANUFACTURING: [
        "钢铁表面缺陷检测",
        "PCB 焊点质检",
        "光纤预制棒缺陷识别",
        "汽车零部件视觉质检",
        "纺织品瑕疵检测",
        "化工安全生产监测",
        "锂电池极片检测",
        "显示面板 AOI 质检",
        "钢卷号 OCR 识别",
        "工业机器人视觉引导",
    ],
    Industry.SMART_CITY: [
        "城市治理事件识别",
        "渣土车违规识别",
        "占道经营识别",
        "社区人流分析",
        "城市内涝预警",
        "垃圾满溢识别",
        "高空抛物监测",
        "城市部件普查",
        "消防烟火识别",
    ],
    Industry.SMART_TRANSPORT: [
        "长江航道船舶识别",
        "交通流量预测",
        "车路协同感知",
        "地铁客流预测",
        "智慧停车诱导",
        "公交调度优化",
        "高速公路事件检测",
        "港口集装箱识别",
    ],
    Industry.SMART_INSPECTION: [
        "输电线路无人机巡检",
        "变电站表计识别",
        "铁路接触网巡检",
        "综合管廊机器人巡检",
        "光伏板热斑检测",
        "桥梁裂缝检测",
        "隧道病害检测",
    ],
    Industry.REMOTE_SENSING: [
        "LuojiaNet 地物分类",
        "耕地非农化监测",
        "违章建筑变化检测",
        "长江岸线遥感监测",
        "森林火点识别",
        "水体提取",
        "城市用地分类",
    ],
    Industry.HEALTHCARE: [
        "肺结节 CT 辅助诊断",
        "眼底病变筛查",
        "病理切片分析",
        "医学影像分割",
        "心电异常检测",
        "中医舌诊图像分析",
    ],
    Industry.FINANCE: ["票据 OCR 识别", "信贷风控模型", "智能客服质检"],
    Industry.EDUCATION: ["课堂行为分析", "作文智能批改"],
    Industry.ENERGY: ["电网负荷预测", "风电功率预测", "油气管道泄漏检测"],
    Industry.AGRICULTURE: ["作物病虫害识别", "水产养殖监测"],
}
