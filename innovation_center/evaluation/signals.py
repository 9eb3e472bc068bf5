"""What the evaluation side tells the apps above it (benchmarks): sent, never imported back."""

from django.dispatch import Signal

# A job reached a final status. Sent inside the transaction that ended it, once per job, with
# `job` (the EvaluationJob, its new status set) and `status`.
job_finished = Signal()
