"""What the API shows of the programs and what it takes in: calls and applications, reviews
and conflicts, KPI reports and the incubator criteria (one module each)."""
