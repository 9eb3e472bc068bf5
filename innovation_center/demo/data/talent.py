"""Universities, talent programs, courses, crowd-development tasks and internships."""

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
