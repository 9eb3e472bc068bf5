"""The compute side's rows: the network, grants and their ledger, workloads and leases."""

from innovation_center.compute.models.grants import (
    HOURS,
    Allocation,
    AllocationRequest,
    CapacityPool,
    LedgerEntry,
)
from innovation_center.compute.models.network import (
    Accelerator,
    AcceleratorType,
    DeviceOutage,
    Site,
)
from innovation_center.compute.models.rollups import (
    CompanyMonthUsage,
    DeviceMonthUsage,
    UtilizationMonth,
)
from innovation_center.compute.models.workloads import Lease, Workload

__all__ = [
    "HOURS",
    "Accelerator",
    "AcceleratorType",
    "Allocation",
    "AllocationRequest",
    "CapacityPool",
    "CompanyMonthUsage",
    "DeviceMonthUsage",
    "DeviceOutage",
    "LedgerEntry",
    "Lease",
    "Site",
    "UtilizationMonth",
    "Workload",
]
