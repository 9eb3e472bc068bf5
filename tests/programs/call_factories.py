"""Builders for the calls tests: a call with a rubric and panel, submitted applications, files.

The tests run on a frozen clock (`FROZEN`, Beijing time); the call's deadline is `DEADLINE`.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
import zoneinfo
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from innovation_center.accounts.models import Membership
from innovation_center.programs import services
from innovation_center.programs.models import Application, Call
from tests import factories

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
FROZEN = dt.datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)
OPENS_ON = dt.date(2026, 3, 1)
DEADLINE = dt.datetime(2026, 3, 31, 18, 0, tzinfo=SHANGHAI)

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


def office_file(main_part: str = "word/document.xml") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(main_part, "<document/>")
    return buffer.getvalue()


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def judge(username: str):
    """A reviewer of the center's panel."""
    return factories.center_staff(username, role=Membership.Role.CENTER_REVIEWER)


def make_call(
    *,
    staff,
    kind: str = Call.Kind.INCUBATION,
    slug: str = "spring-cohort",
    panel=(),
    criteria=None,
    questions=None,
    published: bool = True,
    reviews_per_application: int = 2,
    **fields,
) -> Call:
    if kind == Call.Kind.COMPUTE_GRANT:
        fields.setdefault("hours_pool", Decimal("1000"))
        fields.setdefault("accelerator_type", factories.accelerator_type())
        fields.setdefault("grant_starts_on", dt.date(2026, 4, 1))
        fields.setdefault("grant_ends_on", dt.date(2026, 6, 30))
    call = services.call_create(
        actor=staff,
        kind=kind,
        slug=slug,
        title=fields.pop("title", "Spring cohort 2026"),
        title_zh=fields.pop("title_zh", "2026 春季孵化营"),
        text=fields.pop("text", "Six months of incubation at the center."),
        opens_on=fields.pop("opens_on", OPENS_ON),
        closes_at=fields.pop("closes_at", DEADLINE),
        reviews_per_application=reviews_per_application,
        questions=questions
        if questions is not None
        else [
            {"text": "What do you build?", "text_zh": "你们做什么？", "required": True},
            {"text": "Anything else?", "required": False, "max_length": 200},
        ],
        criteria=criteria
        if criteria is not None
        else [
            {"name": "Team", "name_zh": "团队", "weight": Decimal("1")},
            {"name": "Market", "name_zh": "市场", "weight": Decimal("3")},
        ],
        panel=panel,
        **fields,
    )
    if published:
        call = services.call_publish(actor=staff, call=call)
    return call


def submitted(call: Call, company, person, **save) -> Application:
    """The company's application to the call, answered and submitted by `person`."""
    application = services.application_start(call=call, company=company, actor=person)
    first = call.questions.order_by("order").first()
    save.setdefault("answers", {first.pk: "Vision models for steel inspection."} if first else {})
    save.setdefault("summary", "We inspect steel.")
    if call.kind == Call.Kind.COMPUTE_GRANT:
        save.setdefault("requested_hours", Decimal("100"))
    return services.application_save(application=application, actor=person, submit=True, **save)


def applicant(name: str | None = None, **fields):
    """A company (status applied) with its owner: (company, owner)."""
    fields.setdefault("status", "applied")
    company = factories.company(name, **fields)
    owner = factories.member(company.organisation, Membership.Role.COMPANY_OWNER)
    return company, owner
