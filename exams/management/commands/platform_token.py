"""Tokens for the learning platform a centre's pupils use, to send their competence levels
(`POST /api/centres/{id}/competence-levels` with `Authorization: Bearer <token>`):

    python manage.py platform_token create --centre 12 --name "ENT Pronote"
    python manage.py platform_token list [--centre 12]
    python manage.py platform_token revoke --id 3

The token is printed once, at creation; Vigie keeps only its SHA-256."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Centre
from exams.actions import do_create_platform_token, do_revoke_platform_token
from exams.models import PlatformToken


class Command(BaseCommand):
    help = "Crée, liste ou révoque les jetons des plateformes qui envoient les niveaux des élèves."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["create", "list", "revoke"])
        parser.add_argument("--centre", type=int, help="Numéro (id) du centre.")
        parser.add_argument("--name", default="", help="Nom de la plateforme.")
        parser.add_argument("--id", type=int, help="Numéro (id) du jeton à révoquer.")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="revoke : affiche le jeton qui serait révoqué, sans le révoquer.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "create":
            centre = Centre.objects.filter(pk=options["centre"] or 0).first()
            if centre is None:
                raise CommandError("Centre inconnu : indiquez --centre <id>.")
            if not options["name"].strip():
                raise CommandError("Indiquez le nom de la plateforme : --name « … ».")
            row, token = do_create_platform_token(centre, name=options["name"])
            self.stdout.write(f"Jeton n° {row.pk} pour « {row.name} » ({centre.name}) :")
            self.stdout.write(token)
            self.stdout.write("Il ne sera plus affiché : transmettez-le à la plateforme.")
        elif action == "list":
            rows = PlatformToken.objects.select_related("centre")
            if options["centre"]:
                rows = rows.filter(centre_id=options["centre"])
            for row in rows:
                state = f"révoqué le {row.revoked_at:%d/%m/%Y}" if row.revoked_at else "actif"
                self.stdout.write(f"{row.pk}\t{row.centre.name}\t{row.name}\t{state}")
        else:
            found = PlatformToken.objects.filter(pk=options["id"] or 0).first()
            if found is None:
                raise CommandError("Jeton inconnu : indiquez --id <numéro>.")
            if options["dry_run"]:
                state = "serait révoqué" if found.revoked_at is None else "est déjà révoqué"
                self.stdout.write(f"Simulation : le jeton n° {found.pk} ({found.name}) {state}.")
            elif do_revoke_platform_token(found):
                self.stdout.write(f"Jeton n° {found.pk} révoqué.")
            else:
                self.stdout.write(f"Le jeton n° {found.pk} était déjà révoqué.")
