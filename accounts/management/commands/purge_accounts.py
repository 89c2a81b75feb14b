"""Accounts unused for 5 years (seed 003: « conservées pendant une durée de 5 ans maximum à
compter du dernier accès au compte utilisateur »): `python manage.py purge_accounts
[--dry-run]`, run daily by cron. An account is first warned by e-mail; still unused 30 days
later it is deleted, or anonymized when the archived records point to it."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from accounts.actions import do_purge_unused_accounts

LABELS = {
    "warn": ("prévenu par e-mail", "serait prévenu par e-mail"),
    "delete": ("supprimé", "serait supprimé"),
    "anonymize": ("anonymisé (les documents archivés y renvoient)", "serait anonymisé"),
}


class Command(BaseCommand):
    help = "Prévient, puis supprime ou anonymise les comptes inutilisés depuis 5 ans."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Affiche ce qui serait fait, sans rien modifier ni envoyer.",
        )

    def handle(self, *args: Any, dry_run: bool = False, **options: Any) -> None:
        steps = do_purge_unused_accounts(now=timezone.now(), dry_run=dry_run)
        if not steps:
            self.stdout.write("Aucun compte inutilisé depuis 5 ans à traiter.")
            return
        for step in steps:
            done, would = LABELS[step.action]
            last = timezone.localtime(step.last_access).strftime("%d/%m/%Y")
            self.stdout.write(
                f"Compte n° {step.user_id} (dernier accès le {last}) : {would if dry_run else done}."
            )
