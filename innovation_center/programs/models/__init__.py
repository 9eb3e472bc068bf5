"""Incubation programs: calls with judged applications, half-yearly KPI reports, mentors.

A call (an incubation cohort, or a compute-grant call with a pool of hours) has questions
and a scoring rubric whose texts are data in both languages; companies apply, a balanced
panel scores against the rubric, staff decide. Companies report their KPIs twice a year; the
national incubator criteria (国科发区〔2018〕300号) are computed from these records.
"""

from innovation_center.programs.models.calls import (
    Answer,
    Application,
    Attachment,
    BilingualText,
    Call,
    ConflictOfInterest,
    Criterion,
    Question,
    Review,
    Score,
    attachment_path,
)
from innovation_center.programs.models.kpi import FundingRound, KpiReport, Mentor

__all__ = [
    "Answer",
    "Application",
    "Attachment",
    "BilingualText",
    "Call",
    "ConflictOfInterest",
    "Criterion",
    "FundingRound",
    "KpiReport",
    "Mentor",
    "Question",
    "Review",
    "Score",
    "attachment_path",
]
