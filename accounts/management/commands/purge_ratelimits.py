"""Forget the attempt counters whose window ended over a day ago: `python manage.py
purge_ratelimits`, daily.

Lock-outs last 15 minutes; older rows only grow the table (and keep addresses and account
ids longer than needed)."""

from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import ngettext

from accounts import ratelimit


class Command(BaseCommand):
    help = "Supprime les compteurs de tentatives terminés depuis plus d'un jour (verrouillages)."

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = ratelimit.purge()
        self.stdout.write(
            ngettext(
                "%(count)s compteur de tentatives ancien supprimé.",
                "%(count)s compteurs de tentatives anciens supprimés.",
                deleted,
            )
            % {"count": deleted}
        )
