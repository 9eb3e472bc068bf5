"""The center, the demo logins and the names of everyone else."""

CENTER_NAME = "武汉人工智能计算中心"
DEMO_PASSWORD = "demo-pass-2021"

# (username, last name, first name, role, is_superuser, organisation key)
DEMO_USERS = [
    ("admin", "王", "磊", "center_admin", True, "center"),
    ("reviewer", "李", "娜", "center_reviewer", False, "center"),
    ("operator", "张", "伟", "center_operator", False, "center"),
    ("owner", "陈", "晓峰", "company_owner", False, "owner_company"),
    ("member", "刘", "洋", "company_member", False, "owner_company"),
    ("rival", "赵", "敏", "company_owner", False, "rival_company"),
    ("coordinator", "周", "静", "coordinator", False, "coordinator_university"),
]

# Names for the other companies' contacts (no password: they only appear as requesters)
# and for the universities' teachers.
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
