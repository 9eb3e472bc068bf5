"""Write the monthly report as CSV and XLSX, the same files the report page downloads."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from innovation_center.reports import exports, selectors
from innovation_center.reports.forms import parse_month


class Command(BaseCommand):
    help = "Write monthly-report-YYYY-MM.csv and .xlsx for a month."

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="The month, as YYYY-MM.")
        parser.add_argument("--out", default=".", help="Folder to write into (default: here).")

    def handle(self, *args, month: str, out: str, **options):
        try:
            year, number = parse_month(month)
        except ValueError as error:
            raise CommandError(str(error)) from None
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        report = selectors.monthly_report(year=year, month=number)
        title = selectors.monthly_report_title(report)
        stem = folder / f"monthly-report-{year}-{number:02d}"
        csv_path, xlsx_path = stem.with_suffix(".csv"), stem.with_suffix(".xlsx")
        csv_path.write_bytes(exports.report_csv(title=title, sections=report["sections"]))
        xlsx_path.write_bytes(exports.report_xlsx(title=title, sections=report["sections"]))
        self.stdout.write(f"{csv_path}\n{xlsx_path}")
