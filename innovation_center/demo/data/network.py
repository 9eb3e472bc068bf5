"""The compute network's accelerator types, sites and device pools."""

import datetime as dt
from decimal import Decimal

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
        "board_power_w": Decimal("310.0"),
        "power_source": "Huawei Ascend 910 datasheet: 310 W max power",
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
        "board_power_w": Decimal("700.0"),
        "power_source": "NVIDIA H200 SXM datasheet: up to 700 W TDP",
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
        "board_power_w": Decimal("400.0"),
        "power_source": "NVIDIA A100 80GB SXM datasheet: 400 W TDP",
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
        "board_power_w": Decimal("70.0"),
        "power_source": "NVIDIA T4 datasheet: 70 W TDP",
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
# Pools the center books beyond their devices (the capacity page's over-subscription factor):
# the T4s run small inference grants that are rarely spent to the last hour. "None" is the
# type's "any site" pool, the same devices seen from a request that names no site.
POOL_OVERSUBSCRIPTION = {("sim-t4", "chengdu"): "1.20", ("sim-t4", None): "1.20"}
