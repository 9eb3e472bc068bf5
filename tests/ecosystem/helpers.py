"""Builders for the ecosystem tests (beyond tests/factories.py)."""

import datetime as dt

from innovation_center.ecosystem.models import Engagement, Solution
from tests import factories


def engagement(company, title="Defect detection", **fields):
    defaults = {"started_on": dt.date(2024, 3, 1)}
    defaults.update(fields)
    return Engagement.objects.create(company=company, title=title, **defaults)


def solution(name, *companies, **fields):
    defaults = {"vertical": "smart_city"}
    defaults.update(fields)
    if defaults.get("status") == Solution.Status.LAUNCHED:
        defaults.setdefault("launched_on", dt.date(2024, 6, 1))
    if defaults.get("is_published"):
        defaults.setdefault("showcase_text", f"What {name} does, for whom, and what it changed.")
    row = Solution.objects.create(name=name, **defaults)
    row.companies.add(*companies)
    return row


def many_companies(count, **fields):
    return [factories.company(**fields) for _ in range(count)]


def csv_upload(text, name="companies.csv", bom=False):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = text.encode("utf-8")
    if bom:
        data = b"\xef\xbb\xbf" + data
    return SimpleUploadedFile(name, data, content_type="text/csv")


def xlsx_upload(rows, name="companies.xlsx"):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())
