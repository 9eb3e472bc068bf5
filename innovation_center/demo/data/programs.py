"""The demo's incubation programs: the two calls' texts (in both languages), the mentors and
the shape of the KPI reports."""

from decimal import Decimal

# The closed incubation call: 30 applications, scored by a panel of three, decided.
COHORT_CALL = {
    "title": "Ascend AI incubation cohort",
    "title_zh": "昇腾 AI 创新孵化营",
    "text": (
        "Six months of full-lifecycle incubation at the Wuhan AI Computing Center: scenario "
        "analysis with the center's engineers, model development and migration on Ascend "
        "hardware, a launch on the center's marketplace and joint marketing."
    ),
    "text_zh": (
        "在武汉人工智能计算中心开展为期六个月的全生命周期孵化：与中心工程师一起做场景分析，"
        "在昇腾硬件上完成模型开发与迁移，在中心的应用市场上线并联合推广。"
    ),
    "eligibility": (
        "Companies registered in China with an AI product or a concrete application scenario; "
        "a team of at least three."
    ),
    "eligibility_zh": "在中国注册、拥有人工智能产品或明确应用场景的企业；团队不少于三人。",
}
COHORT_QUESTIONS = [
    # (text, text_zh, required, max_length)
    (
        "What problem does your product solve, and for whom?",
        "你们的产品解决什么问题？面向哪些用户？",
        True,
        2000,
    ),
    (
        "Which models do you train or serve, and on what hardware today?",
        "你们训练或部署哪些模型？目前使用什么硬件？",
        True,
        2000,
    ),
    (
        "What would six months at the center change for you?",
        "在中心孵化六个月，对你们意味着什么？",
        False,
        1000,
    ),
]
# (name, name_zh, description, description_zh, weight): the weights sum to 10.
COHORT_RUBRIC = [
    (
        "Team",
        "团队",
        "A complete team that has shipped AI products before.",
        "团队完整，曾交付过人工智能产品。",
        Decimal("3"),
    ),
    (
        "Technology",
        "技术",
        "Models of its own, measured, and a clear path to Ascend.",
        "拥有自研模型与量化指标，迁移到昇腾的路线清晰。",
        Decimal("3"),
    ),
    (
        "Market",
        "市场",
        "Paying customers or signed pilots in the scenario.",
        "在该场景已有付费客户或签约试点。",
        Decimal("2"),
    ),
    (
        "Fit with the center",
        "与中心的契合度",
        "Needs the center's compute and engineers, and can launch on the marketplace.",
        "需要中心的算力与工程支持，能在应用市场上线。",
        Decimal("2"),
    ),
]
COHORT_COMMENTS_STRONG = [
    "团队扎实，场景清晰，建议入营。",
    "已有付费客户，迁移路线可行。",
    "模型指标有说服力，与中心算力需求匹配。",
    "Strong team and a real pilot; a good fit for the cohort.",
]
COHORT_COMMENTS_WEAK = [
    "场景尚不清晰，建议补充客户验证后再申请。",
    "技术方案以调用第三方接口为主，自研能力不足。",
    "团队规模偏小，短期内难以完成模型迁移。",
    "The market case needs evidence; apply again with a pilot.",
]
REJECTION_FEEDBACK = (
    "感谢申请。评审认为贵公司目前的场景验证和自研模型尚不足以进入本期孵化营，"
    "欢迎补充客户试点后申请下一期，或先通过算力资助计划在中心开展模型验证。"
)
ACCEPTANCE_FEEDBACK = "祝贺入选本期孵化营，中心运营人员将在一周内联系你们开展场景分析。"
CONFLICT_REASON = "评审人曾担任该公司技术顾问。"

# The open compute-grant call: a pool of hours, deadline after the demo's first run.
GRANT_CALL = {
    "title": "Compute grants for model migration",
    "title_zh": "模型迁移算力资助计划",
    "text": (
        "Accelerator-hours on the home site's Ascend pool for incubated companies migrating "
        "their models: ask for the hours and the devices you need at once."
    ),
    "text_zh": "为迁移模型的在孵企业提供本部昇腾资源池的加速卡时：请填写所需卡时与同时使用的卡数。",
    "eligibility": "Companies admitted to or incubating at the center.",
    "eligibility_zh": "已入驻或在孵的企业。",
}
GRANT_QUESTIONS = [
    (
        "Which model will you migrate, and how will you measure it?",
        "你们将迁移哪个模型？如何衡量效果？",
        True,
        2000,
    ),
]
GRANT_RUBRIC = [
    ("Readiness", "准备程度", "", "", Decimal("1")),
    ("Impact", "影响", "", "", Decimal("1")),
]
GRANT_HOURS_POOL = Decimal("20000")
GRANT_PRESET, GRANT_SITE = "sim-ascend910", "wuhan"
GRANT_ANSWERS = [
    "将目标检测模型从 GPU 迁移到昇腾，以 mAP 与单卡吞吐衡量。",
    "迁移语音识别模型，目标字错率不高于 GPU 版本，推理时延降低 30%。",
    "把文本分类模型迁移到 MindSpore，比较精度与训练时长。",
    "迁移遥感影像分割模型，以 mIoU 和每平方公里处理时间衡量。",
    "迁移推荐模型的训练流程，衡量每轮训练耗时。",
]

APPLICATION_ANSWERS = [
    "面向制造企业的质检环节，替代人工目检，已在两家工厂试点。",
    "为城市管理部门自动识别违规事件，减少人工巡查。",
    "帮助中小企业用自然语言查询经营数据。",
    "为电网提供输电线路缺陷的自动识别。",
    "为医院提供影像辅助诊断的初筛。",
    "为物流园区提供车辆与货物的智能调度。",
]
MODEL_ANSWERS = [
    "自研目标检测模型，目前在 GPU 上训练，计划迁移到昇腾。",
    "基于开源大模型微调，使用云上 GPU 推理。",
    "语义分割模型，本地服务器训练。",
    "We fine-tune an open detection model on rented GPUs.",
]

# The center's entrepreneurship mentors: (name, affiliation, expertise).
MENTORS = [
    ("吴建华", "华中科技大学人工智能与自动化学院", "计算机视觉与工业质检"),
    ("孙丽萍", "武汉大学遥感信息工程学院", "遥感影像智能解译"),
    ("黄志刚", "光谷创业投资基金", "早期投资与融资规划"),
    ("林晓东", "武汉理工大学交通学院", "智慧交通与车路协同"),
    ("郭慧敏", "湖北省知识产权服务中心", "专利布局与软件著作权"),
    ("何振宇", "东湖高新区企业服务中心", "高新技术企业认定"),
    ("高文静", "华为昇腾生态部", "昇腾迁移与性能调优"),
    ("罗海峰", "长江产业投资集团", "产业投资与并购"),
    ("郑雅琴", "华中师范大学教育学院", "智慧教育产品设计"),
    ("梁国栋", "武汉市律师协会", "公司治理与股权结构"),
    ("谢明远", "中国地质大学（武汉）", "地质与矿产数据智能分析"),
    ("宋佳怡", "武汉人工智能计算中心", "商业模式与市场推广"),
    ("唐志勇", "湖北省电力公司", "电力巡检与能源大数据"),
    ("许芳", "同济医院信息中心", "医疗影像与数据合规"),
]
MENTEES_PER_MENTOR = (3, 6)

# KPI reports: the shares of the incubated firms that filed IP (patents or software
# copyrights), that hold granted IP, that raised money, and that are certified high-tech
# enterprises. The criteria ask for 50 % filed (or 30 % granted) and 10 % financed: the
# granted share is kept well below its threshold, a criterion the demo center misses.
IP_FILED_SHARE = 0.65
IP_GRANTED_SHARE = 0.12
FINANCED_SHARE = 0.25
HIGH_TECH_SHARE = 0.2
# Companies that pass a graduation test by revenue (≥ ¥10M over the two years).
HIGH_REVENUE_SHARE = 0.1
INVESTORS = [
    "光谷创投",
    "长江资本",
    "楚天天使基金",
    "东湖科技投资",
    "湖北省高新技术产业投资",
    "武汉市科技创新基金",
]
