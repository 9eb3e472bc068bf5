"""What the demo's allocation requests ask for, and why two of them were rejected."""

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
# Approved new requests (not a phase of the usage story) end in this; the idle grants use it.
NEW_REQUEST_SUFFIX = "（新增申请）"
