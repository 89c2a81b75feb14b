"""Load demo data (idempotent) and print the log-ins: `python manage.py demo`."""

import datetime as dt
import random
import unicodedata

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Centre, CompetenceLevel, Membership, User
from exams.actions import do_create_session, do_enrol_candidate
from exams.models import ExamSession
from lib.framework import COMPETENCE_CODES

DEMO_PASSWORD = "Vigie2026demo"  # noqa: S105 - printed on purpose: demo accounts only
CENTRE_NAME = "Lycée Jean Moulin (démo)"

FIRST_NAMES = [
    "Léa",
    "Hugo",
    "Chloé",
    "Lucas",
    "Inès",
    "Nathan",
    "Manon",
    "Théo",
    "Camille",
    "Enzo",
    "Zoé",
    "Louis",
    "Jade",
    "Gabriel",
    "Emma",
    "Raphaël",
    "Lina",
    "Arthur",
    "Sarah",
    "Noah",
    "Anaïs",
    "Maël",
    "Éloïse",
    "Jules",
    "Océane",
    "Adam",
    "Clémence",
    "Yanis",
    "Margaux",
    "Sacha",
    "Ambre",
    "Timéo",
    "Elsa",
]
LAST_NAMES = [
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefèvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "André",
    "Mercier",
    "Dupont",
    "Lambert",
    "Bonnet",
    "François",
    "Martinez",
    "Legrand",
    "N'Diaye",
    "Le Gall",
    "Saint-Martin",
]


class Command(BaseCommand):
    help = "Create the demo centre, accounts and two sessions (8 and 25 candidates)."

    def handle(self, *args: object, **options: object) -> None:
        with transaction.atomic():
            centre, created = Centre.objects.get_or_create(
                name=CENTRE_NAME,
                defaults={"type": Centre.Type.SCHOOL, "sos_campaign_code": "SOSXYZ123"},
            )
            if created:
                self._populate(centre)
        self._print(centre)

    def _user(self, email: str, first: str, last: str, **extra: object) -> User:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(
                email,
                DEMO_PASSWORD,
                first_name=first,
                last_name=last,
                terms_accepted_at=timezone.now(),
                **extra,
            )
        return user

    def _populate(self, centre: Centre) -> None:
        rng = random.Random(2026)
        admin = self._user("admin@vigie.test", "Claire", "Administratrice")
        Membership.objects.get_or_create(user=admin, centre=centre)
        self._user("surveillant@vigie.test", "Paul", "Surveillant")
        self._user("jury@vigie.test", "Jeanne", "Jury", is_staff=True)
        today = timezone.localdate()
        plans = [
            (8, today, dt.time(9, 0), "Salle B12", "Paul Surveillant"),
            (25, today + dt.timedelta(days=1), dt.time(14, 0), "Salle info 1", "Paul Surveillant"),
        ]
        names = iter(zip(FIRST_NAMES, LAST_NAMES, strict=True))
        for count, date, time, room, examiner in plans:
            session = do_create_session(
                centre,
                {
                    "site_name": "Lycée Jean Moulin",
                    "address": "12 avenue Jean Moulin, 69008 Lyon",
                    "room": room,
                    "date": date,
                    "time": time,
                    "examiner": examiner,
                    "description": "Session de démonstration",
                },
                actor=admin,
            )
            for index in range(count):
                first, last = next(names)
                email = f"{first}.{last}@eleve.vigie.test".lower()
                self._candidate(session, admin, rng, first, last, email, index)

    def _candidate(
        self,
        session: ExamSession,
        admin: User,
        rng: random.Random,
        first: str,
        last: str,
        email: str,
        index: int,
    ) -> None:
        decomposed = unicodedata.normalize("NFKD", email)
        ascii_email = (
            decomposed.encode("ascii", "ignore").decode().replace("'", "").replace(" ", "")
        )
        birthdate = dt.date(2008, 1, 1) + dt.timedelta(days=rng.randrange(700))
        do_enrol_candidate(
            session,
            {
                "first_name": first,
                "last_name": last,
                "birthdate": birthdate,
                "sex": "F" if index % 2 else "M",
                "birth_city": "Lyon",
                "birth_postal_code": "69003",
                "birth_country": "FRANCE",
                "email": ascii_email,
                "extra_time_percentage": 33 if index == 2 else 0,
                "complementary_certification": "DROIT" if index == 3 else "",
            },
            actor=admin,
        )
        user = self._user(ascii_email, first, last)
        # The first candidate of each session is not certifiable: only 3 competences at level 1.
        reached = 3 if index == 0 else 5 + rng.randrange(8)
        for code in COMPETENCE_CODES[:reached]:
            CompetenceLevel.objects.get_or_create(
                user=user, competence=code, defaults={"level": 1 + rng.randrange(4)}
            )

    def _print(self, centre: Centre) -> None:
        out = self.stdout.write
        out("")
        out("=== Vigie : données de démonstration ===")
        out(f"Mot de passe de tous les comptes de démo : {DEMO_PASSWORD}")
        out("  Administrateur du centre : admin@vigie.test")
        out("  Surveillant              : surveillant@vigie.test")
        out("  Jury (staff)             : jury@vigie.test")
        # The address the server was told it has (`make run` sets SITE_URL from its PORT), so
        # the printed links and the kit's PDFs point where the app really answers.
        site = settings.SITE_URL
        out(f"  Espace Surveillant : {site}{reverse('invigilation:enter')} (numéro + mot de passe)")
        out(f"  Candidat : {site}{reverse('certification:join')}")
        for session in centre.sessions.order_by("date", "time"):
            out(
                f"  Session {session.number} — {session.date:%d/%m/%Y} {session.time:%H:%M}, "
                f"{session.candidates.count()} candidats — mot de passe surveillant "
                f"{session.invigilator_password}, code d'accès {session.access_code}"
            )
            for candidate in session.candidates.order_by("last_name_key")[:25]:
                account = User.objects.filter(email=candidate.email).first()
                if account is None:
                    continue
                label = "candidat" if account.is_certifiable() else "non certifiable"
                out(
                    f"    {label} : {candidate.email} — pour rejoindre : {candidate.first_name} "
                    f"{candidate.last_name}, né(e) le {candidate.birthdate:%d/%m/%Y}"
                )
                if label == "candidat":
                    break
        out("")
