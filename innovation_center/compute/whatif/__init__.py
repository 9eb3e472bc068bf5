"""What-if capacity planning: replay recorded demand against a changed fleet.

`demand_load` reads the last N months into plain rows in a fixed number of queries; `replay`
runs them through the scheduler's own planning code (`scheduler.plan`, `queue_order`,
`expected_duration`) against a simulated clock, with no database access at all; `compare`
sets a scenario beside the unchanged fleet.

What is replayed:

- *Workloads* arrive at their submission time, ask for their devices for their recorded
  duration (last lease end − first lease start when finished, else the estimate) and are
  placed by `plan()` at every arrival and release, as the real rounds run on every submit and
  finish. The scheduler sees what it saw then: expected ends from estimates, fair share from
  the charges so far (a running total per company decayed with `scheduler.decayed_usage`;
  it keeps charges older than ten half-lives that the scheduler drops, which changes a total
  by less than 0.1 %). A workload cancelled while queued leaves the queue when it did.
  Allocation status is not re-checked: recorded work was admitted.
- *Usage without a workload* (the demo's history) and work already running when the window
  opens are occupancy of one device over a recorded interval. It takes its own device when
  that is in the fleet and free, else another free device of the same type and site, else
  waits (first come, first served, ahead of the queue) and then runs for its recorded length.
- *Devices*: every device present now is present for the whole window; outages make a device
  unavailable for new work (work already on it runs on). Added devices are healthy
  throughout; removed ones are the pool's highest ids.

Figures:

- *Wait*: start − submission; for usage without a workload, start − recorded start (0 as
  recorded). Work still waiting at the end counts with what it has waited so far (a lower
  bound). Median and p95 are nearest-rank (`selectors.percentile`).
- *Utilization* per pool: device-hours busy / device-hours in service, inside the window.
- *Unmet hours* = hours the grant rule would refuse + demand still waiting at the end. The
  rule is that of a grant: hours ≤ pool in service × factor − committed over the request's
  period, where committed spreads every earlier allocation's grant evenly over its period
  (at most its cap × 24 h a day) and counts the pool's share of its devices. Each request of
  the window is checked on its own against the recorded grants. The over-subscription factor
  acts only here: the replay cannot invent the work a larger grant would have brought.
"""

from innovation_center.compute.whatif.comparison import (
    MOST_AFFECTED,
    PAGE_MAX_MONTHS,
    WAIT_RESOLUTION_HOURS,
    CompanyRow,
    Comparison,
    Figure,
    PoolRow,
    compare,
    pool_find,
    scenario_build,
    whatif_run,
)
from innovation_center.compute.whatif.demand import (
    HOUR,
    Demand,
    Device,
    Grant,
    Job,
    Occupancy,
    PoolKey,
    Request,
    demand_load,
    window_start,
)
from innovation_center.compute.whatif.simulation import (
    Outcome,
    PoolUse,
    Scenario,
    Waits,
    recorded_waits,
    replay,
)
from innovation_center.core.errors import ApplicationError

__all__ = [
    "ApplicationError",
    "CompanyRow",
    "Comparison",
    "Demand",
    "Device",
    "Figure",
    "Grant",
    "HOUR",
    "Job",
    "MOST_AFFECTED",
    "Occupancy",
    "Outcome",
    "PAGE_MAX_MONTHS",
    "PoolKey",
    "PoolRow",
    "PoolUse",
    "Request",
    "Scenario",
    "WAIT_RESOLUTION_HOURS",
    "Waits",
    "compare",
    "demand_load",
    "pool_find",
    "recorded_waits",
    "replay",
    "scenario_build",
    "whatif_run",
    "window_start",
]
