"""What the compute side tells the app whose work a workload is.

Compute never imports that app; it sends these inside the transaction that made the change,
so a receiver's updates commit or roll back with it.
"""

from django.dispatch import Signal

# Devices were bound: `placements` (list of scheduler.Placement), `at` (the round's time).
workloads_placed = Signal()
# Workloads went back to the queue before they started (their device failed): `workload_ids`.
workload_requeued = Signal()
