"""The monthly report as files: one CSV with a block per section, one XLSX sheet per section."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Font

from innovation_center.core.exports import csv_writer, xlsx_cells
from innovation_center.reports.selectors import Section

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def report_csv(*, title: str, sections: list[Section]) -> bytes:
    buffer = io.StringIO()
    writer = csv_writer(buffer)
    writer.writerow([title])
    for section in sections:
        writer.writerow([])
        writer.writerow([section.title])
        writer.writerow([str(h) for h in section.headers])
        writer.writerows(["" if v is None else v for v in row] for row in section.rows)
    # A BOM so spreadsheet programs read the Chinese names as UTF-8.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def report_xlsx(*, title: str, sections: list[Section]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    bold = Font(bold=True)
    for section in sections:
        # Sheet names: at most 31 characters, and none of []:*?/\
        name = "".join(c for c in str(section.title) if c not in "[]:*?/\\")[:31]
        sheet = workbook.create_sheet(name)
        sheet.append(xlsx_cells(sheet, [title]))
        sheet.append(xlsx_cells(sheet, [str(h) for h in section.headers]))
        for cell in sheet[2]:
            cell.font = bold
        for row in section.rows:
            sheet.append(xlsx_cells(sheet, row))
        for column in sheet.columns:
            width = max(len(str(c.value or "")) for c in column)
            sheet.column_dimensions[column[0].column_letter].width = min(max(10, width + 2), 60)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
