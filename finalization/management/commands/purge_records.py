"""Delete the archived documents past their retention date (seed 004: 5 years):
`python manage.py purge_records [--dry-run]`, run daily by cron."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from finalization.actions import do_purge_records


class Command(BaseCommand):
    help = "Supprime les documents archivés dont la durée de conservation est écoulée."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Affiche ce qui serait supprimé, sans rien supprimer.",
        )

    def handle(self, *args: Any, dry_run: bool = False, **options: Any) -> None:
        purged = do_purge_records(now=timezone.now(), dry_run=dry_run)
        if not purged:
            self.stdout.write(_("Aucun document n'a dépassé sa durée de conservation."))
            return
        for item in purged:
            count = len(item.records)
            until = max(record.retain_until for record in item.records)
            message = (
                ngettext(
                    "Session %(number)s : %(count)s document serait supprimé (à conserver jusqu'au %(until)s).",
                    "Session %(number)s : %(count)s documents seraient supprimés (à conserver jusqu'au %(until)s).",
                    count,
                )
                if dry_run
                else ngettext(
                    "Session %(number)s : %(count)s document supprimé (à conserver jusqu'au %(until)s).",
                    "Session %(number)s : %(count)s documents supprimés (à conserver jusqu'au %(until)s).",
                    count,
                )
            )
            self.stdout.write(
                message
                % {"number": item.session.number, "count": count, "until": f"{until:%d/%m/%Y}"}
            )
        total = sum(len(item.records) for item in purged)
        if dry_run:
            summary = ngettext(
                "Simulation : %(count)s document serait supprimé, rien n'a été supprimé.",
                "Simulation : %(count)s documents seraient supprimés, rien n'a été supprimé.",
                total,
            )
        else:
            summary = ngettext(
                "%(count)s document archivé supprimé.",
                "%(count)s documents archivés supprimés.",
                total,
            )
        self.stdout.write(summary % {"count": total})
