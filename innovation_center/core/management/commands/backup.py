"""Back up the database and the media folder into a new directory (docs/operations.md)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from innovation_center.core.backup import ENGINE_NAMES, BackupError, backup_create


class Command(BaseCommand):
    help = (
        "Copy the database (pg_dump on PostgreSQL, SQLite's online backup on SQLite) and "
        "MEDIA_ROOT into a new directory, with a manifest that restore checks."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output", required=True, type=Path, help="A new directory for this backup."
        )

    def handle(self, *args, output, **options):
        try:
            manifest = backup_create(output=output)
        except BackupError as error:
            raise CommandError(str(error)) from error
        counts = manifest["counts"]
        self.stdout.write(
            _(
                "Backed up the %(engine)s database %(name)s (%(rows)s rows in %(tables)s "
                "tables) and %(files)s media files into %(dir)s."
            )
            % {
                "engine": ENGINE_NAMES[manifest["engine"]],
                "name": manifest["database_name"],
                "rows": sum(counts.values()),
                "tables": len(counts),
                "files": manifest["media"]["files"],
                "dir": output,
            }
        )
        for name, check in manifest["checks"].items():
            totals = ", ".join(f"{k} {v}" for k, v in check["totals"].items())
            self.stdout.write(
                _("Checksum %(name)s: %(count)s entries; totals %(totals)s.")
                % {"name": name, "count": len(check["rows"]), "totals": totals or "—"}
            )
