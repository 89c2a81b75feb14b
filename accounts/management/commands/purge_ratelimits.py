"""Forget failed attempts older than a day: `python manage.py purge_ratelimits`, daily.

Lock-outs look back 15 minutes; older rows only grow the table (and keep addresses and
account ids longer than needed)."""

from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import ngettext

from accounts import ratelimit


class Command(BaseCommand):
    help = "Supprime les tentatives refusées de plus d'un jour (verrouillages)."

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = ratelimit.purge()
        self.stdout.write(
            ngettext(
                "%(count)s tentative ancienne supprimée.",
                "%(count)s tentatives anciennes supprimées.",
                deleted,
            )
            % {"count": deleted}
        )
