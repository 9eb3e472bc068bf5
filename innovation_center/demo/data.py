"""Name lists and fixed figures for the demo center (`manage.py seed_demo`).

The figures follow the article about the Wuhan AI Computing Center (武汉人工智能计算中心):
100+ companies, 50+ solutions, 105 courses for 16,000+ students in 2021, crowd-development
tasks of 160 operators, 25 models and 1 application, and a compute network of Wuhan,
Shenzhen, Xi'an, Chengdu and Nanjing.
"""

import datetime as dt
from decimal import Decimal

from innovation_center.ecosystem.models import Industry

CENTER_NAME = "武汉人工智能计算中心"
DEMO_PASSWORD = "demo-pass-2021"

# --- Compute network -------------------------------------------------------------------

# Kernel simulator presets. FP32 peaks, not the marketing FP16/INT8 figures.
ACCELERATOR_TYPES = [
    {
        "name": "Ascend 910 (sim)",
        "vendor": "Huawei (simulated)",
        "preset": "sim-ascend910",
        # 256 TFLOP/s is the FP16 cube figure; FP32 runs on the vector units at ~1/8.
        "peak_tflops": Decimal("32.000"),
        "memory_gib": Decimal("32.00"),
        "memory_bandwidth_gbps": Decimal("1228.00"),
        "interconnect_gbps": Decimal("90.00"),
        "launch_overhead_us": Decimal("10.000"),
    },
    {
        "name": "H200 (sim)",
        "vendor": "NVIDIA (simulated)",
        "preset": "sim-h200",
        "peak_tflops": Decimal("51.100"),
        "memory_gib": Decimal("141.00"),
        "memory_bandwidth_gbps": Decimal("4221.00"),
        "interconnect_gbps": Decimal("450.00"),
        "launch_overhead_us": Decimal("8.000"),
    },
    {
        "name": "A100 80GB (sim)",
        "vendor": "NVIDIA (simulated)",
        "preset": "sim-a100",
        "peak_tflops": Decimal("19.500"),
        "memory_gib": Decimal("80.00"),
        "memory_bandwidth_gbps": Decimal("2039.00"),
        "interconnect_gbps": Decimal("300.00"),
        "launch_overhead_us": Decimal("8.000"),
    },
    {
        "name": "T4 (sim)",
        "vendor": "NVIDIA (simulated)",
        "preset": "sim-t4",
        "peak_tflops": Decimal("8.100"),
        "memory_gib": Decimal("16.00"),
        "memory_bandwidth_gbps": Decimal("320.00"),
        "interconnect_gbps": Decimal("32.00"),
        "launch_overhead_us": Decimal("10.000"),
    },
]

SITES = [
    {
        "code": "wuhan",
        "name": "武汉人工智能计算中心",
        "city": "武汉",
        "is_home": True,
        "commissioned_on": dt.date(2021, 5, 31),
    },
    {
        "code": "shenzhen",
        "name": "鹏城云脑（深圳）",
        "city": "深圳",
        "is_home": False,
        "commissioned_on": dt.date(2020, 11, 1),
    },
    {
        "code": "xian",
        "name": "西安未来人工智能计算中心",
        "city": "西安",
        "is_home": False,
        "commissioned_on": dt.date(2021, 9, 10),
    },
    {
        "code": "chengdu",
        "name": "成都智算中心",
        "city": "成都",
        "is_home": False,
        "commissioned_on": dt.date(2021, 10, 20),
    },
    {
        "code": "nanjing",
        "name": "南京人工智能计算中心",
        "city": "南京",
        "is_home": False,
        "commissioned_on": dt.date(2021, 6, 30),
    },
]

# (site code, preset, device name prefix, devices): 78 devices in six pools.
DEVICE_POOLS = [
    ("wuhan", "sim-ascend910", "WH-A910", 32),
    ("shenzhen", "sim-h200", "SZ-H200", 8),
    ("shenzhen", "sim-ascend910", "SZ-A910", 8),
    ("xian", "sim-a100", "XA-A100", 12),
    ("chengdu", "sim-t4", "CD-T4", 10),
    ("nanjing", "sim-ascend910", "NJ-A910", 8),
]
# How many of the companies with allocations use each pool (same order): 40 in all.
COMPANIES_PER_POOL = [14, 5, 5, 6, 5, 5]
DRAINING_DEVICE = ("NJ-A910-008", "风扇告警，已排空待更换")

ALLOCATION_PURPOSES = [
    "工业缺陷检测模型训练与推理验证",
    "遥感影像语义分割模型训练",
    "城市事件识别模型迁移至昇思 MindSpore",
    "交通流量预测模型训练",
    "输电线路巡检目标检测模型训练",
    "医学影像分割模型训练与评测",
    "OCR 识别模型微调与精度评测",
    "多模态检索模型预训练",
]
REJECTION_REASONS = [
    "申请的卡时与项目阶段不符：场景分析尚未完成，请先提交方案设计后再申请。",
    "申请材料缺少数据来源说明，无法确认数据合规，请补充后重新提交。",
]

# --- Companies ------------------------------------------------------------------------

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

# --- Solutions ------------------------------------------------------------------------

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

# --- Talent ---------------------------------------------------------------------------

# (name, short name, slug for demo links, courses in the 2021 course program: 105 in all,
# weight for crowd-development tasks). The five course universities are the article's.
UNIVERSITIES = [
    ("武汉大学", "武大", "whu", 24, 25),
    ("华中科技大学", "华科", "hust", 25, 30),
    ("武汉理工大学", "武理工", "whut", 20, 15),
    ("中国地质大学（武汉）", "地大", "cug", 18, 10),
    ("华中师范大学", "华师", "ccnu", 18, 8),
    ("湖北大学", "湖大", "hubu", 0, 6),
    ("武汉科技大学", "武科大", "wust", 0, 6),
]
CROWD_TEAMS = [
    "智能计算系统实验室",
    "并行计算团队",
    "AI 系统软件团队",
    "视觉计算团队",
    "异构计算课题组",
]
COORDINATOR_UNIVERSITY = "武汉大学"

PROGRAMS = [
    {
        "name": "智能基座产教融合协同育人项目",
        "kind": "course",
        "year": 2021,
        "description": "把昇腾 AI 技术知识融入高校计算机、人工智能等专业课程。",
    },
    {
        "name": "昇腾众智计划",
        "kind": "crowd",
        "year": 2021,
        "description": "高校团队参与昇腾 AI 基础软件的算子、模型与应用众智开发。",
    },
    {
        "name": "昇腾优才实习计划",
        "kind": "internship",
        "year": 2021,
        "description": "学生在入驻企业实习，参与真实的 AI 应用开发。",
    },
]

COURSE_TITLES = [
    "昇腾AI处理器架构与编程",
    "深度学习与MindSpore实践",
    "人工智能导论",
    "机器学习",
    "计算机视觉",
    "自然语言处理",
    "模式识别",
    "神经网络与深度学习",
    "智能计算系统",
    "并行程序设计",
    "异构计算CANN编程",
    "遥感影像智能解译",
    "数据挖掘",
    "强化学习",
    "知识图谱",
    "AI框架原理与实践",
    "智能机器人",
    "语音信号处理",
    "边缘智能",
    "医学影像分析",
    "大数据处理技术",
    "高性能计算导论",
]
COURSE_COUNT = 105
TEACHER_COUNT = 75
COURSE_STUDENTS_MIN = 16_000
COURSE_STUDENTS_MAX = 17_000

OPERATORS = [
    "Conv2D",
    "Conv3D",
    "DepthwiseConv2D",
    "MaxPool",
    "AvgPool",
    "BatchNorm",
    "LayerNorm",
    "GroupNorm",
    "InstanceNorm",
    "Softmax",
    "LogSoftmax",
    "GeLU",
    "ReLU6",
    "Swish",
    "Mish",
    "HardSwish",
    "PReLU",
    "Softplus",
    "MatMul",
    "BatchMatMul",
    "Transpose",
    "Gather",
    "ScatterNd",
    "TopK",
    "Sort",
    "ArgMax",
    "CumSum",
    "ReduceMean",
    "Einsum",
    "Pad",
    "Tile",
    "StridedSlice",
    "Concat",
    "Roll",
    "Unique",
    "NonZero",
    "Erfinv",
    "Lgamma",
    "Atan2",
    "Expm1",
    "Bucketize",
    "IndexSelect",
    "MaskedFill",
    "EmbeddingBag",
    "NLLLoss",
    "SmoothL1Loss",
    "CTCLoss",
    "KLDivLoss",
    "ROIAlign",
    "NMS",
    "ResizeBilinear",
    "GridSample",
    "DepthToSpace",
    "PixelShuffle",
    "Im2Col",
    "DeformableConv2D",
]
OPERATOR_FLAVOURS = [("Ascend C 实现", "ascendc"), ("TBE 实现", "tbe"), ("AI CPU 实现", "aicpu")]
OPERATOR_TASKS = 160

MODELS = [
    "YOLOv5",
    "ResNet-50",
    "BERT-base",
    "Transformer",
    "DeepLabV3",
    "U-Net",
    "Mask R-CNN",
    "Faster R-CNN",
    "SSD",
    "CenterNet",
    "HRNet",
    "EfficientNet-B0",
    "MobileNetV3",
    "ShuffleNetV2",
    "GhostNet",
    "ViT-B/16",
    "Swin Transformer",
    "CRNN",
    "DBNet",
    "PSPNet",
    "GCN",
    "DeepFM",
    "Tacotron2",
    "GPT-2",
    "PointNet++",
]
MODEL_TASKS = 25
APPLICATION_TASKS = [("遥感影像智能解译应用（基于 LuojiaNet）", "武汉大学")]

INTERNSHIP_COUNT = 14

# --- People ---------------------------------------------------------------------------

# username -> (last name, first name, role, is_superuser, organisation key)
DEMO_USERS = [
    ("admin", "王", "磊", "center_admin", True, "center"),
    ("reviewer", "李", "娜", "center_reviewer", False, "center"),
    ("operator", "张", "伟", "center_operator", False, "center"),
    ("owner", "陈", "晓峰", "company_owner", False, "owner_company"),
    ("member", "刘", "洋", "company_member", False, "owner_company"),
    ("rival", "赵", "敏", "company_owner", False, "rival_company"),
    ("coordinator", "周", "静", "coordinator", False, "coordinator_university"),
]

# Contacts of the other companies (no password: they only appear as requesters).
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN_NAMES = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "涛",
    "明",
    "超",
    "秀英",
    "华",
    "平",
    "刚",
    "桂英",
    "文",
    "辉",
    "鹏",
    "丹",
    "晨",
    "宇",
    "浩然",
    "思远",
]
