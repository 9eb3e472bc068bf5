"""Restore a backup made by `manage.py backup`, then prove it matches (docs/operations.md)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from innovation_center.core.backup import ENGINE_NAMES, BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restore the database and media folder from a backup directory into an empty "
        "database, then compare row counts, migrations and every allocation balance with "
        "the backup's manifest."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--input", required=True, type=Path, help="The directory `backup` made."
        )
        parser.add_argument(
            "--database-url",
            help="Restore into this database instead of the configured one "
            "(postgres://user@host:5432/name or sqlite:////path/file.sqlite3).",
        )
        parser.add_argument(
            "--media-root", type=Path, help="Restore the media files here (default MEDIA_ROOT)."
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace the contents of a database that has tables and a media folder "
            "that has files.",
        )

    def handle(self, *args, input, database_url, media_root, force, **options):
        try:
            report = backup_restore(
                directory=input, database_url=database_url, media_root=media_root, force=force
            )
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            _(
                "Restored the %(engine)s database %(name)s from %(dir)s (backup of "
                "%(created)s): %(rows)s rows in %(tables)s tables, as the manifest says."
            )
            % {
                "engine": ENGINE_NAMES[report.engine],
                "name": report.database,
                "dir": input,
                "created": report.created_at,
                "rows": report.rows,
                "tables": report.tables,
            }
        )
        for name, count in report.checks.items():
            totals = ", ".join(f"{k} {v}" for k, v in report.totals[name].items())
            self.stdout.write(
                _("%(name)s: all %(count)s equal to the backup's (totals %(totals)s).")
                % {"name": name, "count": count, "totals": totals or "—"}
            )
        self.stdout.write(
            _("Restored %(files)s media files into %(dir)s.")
            % {"files": report.media_files, "dir": report.media_root}
        )
        if report.unapplied_migrations:
            self.stdout.write(
                self.style.WARNING(
                    _(
                        "The code has %(count)s migrations the backup has not applied (e.g. "
                        "%(first)s): run `manage.py migrate` before starting the center."
                    )
                    % {
                        "count": len(report.unapplied_migrations),
                        "first": report.unapplied_migrations[0],
                    }
                )
            )
