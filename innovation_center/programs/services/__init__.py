"""Calls, applications, reviews and decisions: every change to them goes through here.

A call is open from its `opens_on` date until its deadline (`closes_at`, a moment: the
messages give it on the center's wall clock); an application is editable by its company
until the deadline and never after it. Reviews and scores are the reviewers' and the
center's: their history is kept without the company's organisation, so the applicant's
people never read it. Decisions keep rejected applications on record (the comparison group).
"""

from innovation_center.programs.services.applications import (
    applicant_register,
    application_save,
    application_start,
    application_withdraw,
    attachment_add,
    attachment_remove,
)
from innovation_center.programs.services.base import (
    CALL_FIELDS,
    MAX_ATTACHMENTS,
    call_accepts_applications,
    deadline_text,
)
from innovation_center.programs.services.calls import call_create, call_publish, call_update
from innovation_center.programs.services.judging import (
    application_decide,
    conflict_declare,
    review_submit,
    reviewers_assign,
)

__all__ = [
    "CALL_FIELDS",
    "MAX_ATTACHMENTS",
    "applicant_register",
    "application_decide",
    "application_save",
    "application_start",
    "application_withdraw",
    "attachment_add",
    "attachment_remove",
    "call_accepts_applications",
    "call_create",
    "call_publish",
    "call_update",
    "conflict_declare",
    "deadline_text",
    "review_submit",
    "reviewers_assign",
]
