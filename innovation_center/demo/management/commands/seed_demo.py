import time

from django.core.management.base import BaseCommand

from innovation_center.demo.seed import demo_seed


class Command(BaseCommand):
    help = (
        "Create a demo center shaped like the Wuhan AI Computing Center: sites, devices, "
        "companies, solutions, talent programs, allocations and a year of usage. Running it "
        "again creates nothing new."
    )

    def add_arguments(self, parser):
        parser.add_argument("--quiet", action="store_true", help="Print only the demo logins.")

    def handle(self, *args, quiet: bool = False, **options):
        started = time.monotonic()
        result = demo_seed()
        if not quiet:
            if result.created:
                self.stdout.write("Created:")
                width = max(len(label) for label in result.created)
                for label, count in sorted(result.created.items()):
                    self.stdout.write(f"  {label:<{width}}  {count:>7,}")
            else:
                self.stdout.write("Nothing to create: the demo data is already there.")
            self.stdout.write(f"({time.monotonic() - started:.1f} s)\n")
            self.stdout.write("Demo logins:")
        headers = ("username", "password", "role", "organisation")
        rows = [(x.username, x.password, x.role, x.organisation) for x in result.logins]
        widths = [max(len(str(row[i])) for row in [headers, *rows]) for i in range(3)]
        for row in [headers, *rows]:
            cells = [f"{cell:<{width}}" for cell, width in zip(row, widths, strict=False)]
            self.stdout.write("  ".join([*cells, row[3]]))
