"""Who may do what, everywhere: every route of the URLconf and every operation of the
OpenAPI schema, tried by each of the eight personas of tests/world.py.

Adding an entry — the rule checked by the first two tests below: every URL pattern and every
OpenAPI operation needs an entry keyed by (method, route), the route written as in the
URLconf for pages (« sessions/<id:session_id>/ ») and as in the schema for the API
(« /api/sessions/{session_id} »). The entry says how to call it on the world (URL, body,
headers) and what each persona gets (`only(CENTRE_ADMIN)`, `signed_in()`, …). A new page or
operation fails the test until it has one; an entry whose route no longer exists fails too.
Django's admin is one group, « admin/ » (staff only), checked route by route in
test_it_keeps_the_django_admin_for_staff. The routes of the Espace Surveillant are tried once
more after the session: the morning after (the invigilator's access has expired, the centre
admin's membership has not) and once the session is finalized (closed to both).

Outcomes: ALLOWED is a 2xx, or a 3xx anywhere but a log-in page (and, for a page that
redirects whatever happened, its `done` check holds); LOGIN is a redirect to the log-in
page for a page, 401 for the API; a number is the exact refusal (404 when the object must
stay invisible, 409 for a line belonging to another account). A refused call changes
nothing.
"""

import datetime as dt
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
import time_machine
from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.actions import sign_up_token
from accounts.models import ExternalIdentity, User
from audit.models import AuditEvent
from certification.models import (
    Answer,
    CertificationCourse,
    IssueReport,
    LiveAlert,
    MessageReceipt,
    RoomMessage,
    RoomSuspension,
    Suspension,
    TimeAddition,
)
from exams.models import Candidate, ExamSession, PlatformToken, StudentLevel
from finalization.models import SessionRecord
from invigilation.models import InvigilatorAccess, Note, RoomScreen
from lib.identity_providers import SAMLProvider
from results.models import Certificate
from tests.factories import PlatformTokenFactory
from tests.identity_providers import idp_metadata, self_signed_certificate
from tests.spreadsheets import CANDIDATE_HEADERS, SESSION_HEADERS, candidate_row, make_csv
from tests.world import (
    ANONYMOUS,
    CANDIDATE,
    CENTRE_ADMIN,
    INVIGILATOR,
    JURY,
    PERSONAS,
    PNG,
    SESSION_PASSWORD,
    SUPERUSER,
    World,
    message_to,
    persistent_world,
    suspended_room,
    suspended_test,
)
from vigie.api import api

ALLOWED = "allowed"
LOGIN = "log-in"
Outcome = str | int
LOGIN_PAGES = ("/compte/connexion/?next=", "/admin/login/?next=")


@dataclass(frozen=True)
class Call:
    url: str
    json: Any = None  # API body
    form: Mapping[str, Any] | None = None  # page form (files included)
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Entry:
    call: Callable[[World], Call]
    expect: Mapping[str, Outcome]
    # For a page that redirects whatever happened: the change an allowed persona made.
    done: Callable[[World], bool] | None = None


def everyone() -> dict[str, Outcome]:
    return dict.fromkeys(PERSONAS, ALLOWED)


def signed_in() -> dict[str, Outcome]:
    return {**everyone(), ANONYMOUS: LOGIN}


def only(*allowed: str, others: int = 404) -> dict[str, Outcome]:
    return {
        persona: ALLOWED if persona in allowed else LOGIN if persona == ANONYMOUS else others
        for persona in PERSONAS
    }


def nobody(status: int) -> dict[str, Outcome]:
    return dict.fromkeys(PERSONAS, status)


CENTRE = (CENTRE_ADMIN,)
ROOM = (INVIGILATOR, CENTRE_ADMIN)  # the Espace Surveillant of session A


# --- Bodies --------------------------------------------------------------------------------


def _future() -> dt.date:
    return timezone.localdate() + dt.timedelta(days=10)


def _session_plan() -> dict[str, Any]:
    row = ["Lycée Victor Hugo", "", "C3", _future().strftime("%d/%m/%Y"), "09:00", "M. Roy", ""]
    data = make_csv([SESSION_HEADERS, row + [""] * len(candidate_row())])
    return {"file": SimpleUploadedFile("sessions.csv", data)}


def _candidate_list() -> dict[str, Any]:
    data = make_csv([CANDIDATE_HEADERS, candidate_row("Zoé", "Martin")])
    return {"file": SimpleUploadedFile("candidats.csv", data)}


NEW_SESSION = {"site_name": "Lycée", "room": "C3", "time": "09:00", "examiner": "M. Roy"}
NEW_CANDIDATE = {
    "first_name": "Zoé",
    "last_name": "Martin",
    "birthdate": "2008-05-02",
    "sex": "F",
    "birth_city": "Lyon",
    "birth_postal_code": "69001",
}


def _own_answer(w: World) -> Call:
    course = w.own_course
    return Call(
        f"/api/certification/courses/{course.pk}/answers",
        json={"item_id": course.current_item_id, "response": [0]},
        headers={"X-Run-Token": w.run_token},
    )


def _own_report(w: World) -> Call:
    course = w.own_course
    return Call(
        f"/api/certification/courses/{course.pk}/alerts",
        json={"item_id": course.current_item_id},
        headers={"X-Run-Token": w.run_token},
    )


def _finalization_of_a(w: World) -> Call:
    courses = CertificationCourse.objects.filter(candidate__session=w.a.session)
    reports = [{"candidate_id": c.candidate_id, "abort_reason": "technical"} for c in courses]
    return Call(f"/api/sessions/{w.a.session.pk}/finalization", json={"reports": reports})


LEVELS = {
    "levels": [
        {"student": "zoe@lycee.fr", "competence": "1.1", "level": 2, "reached_on": "2025-01-15"}
    ]
}


def _levels_file() -> dict[str, Any]:
    data = make_csv(
        [["Élève", "Compétence", "Niveau", "Atteint le"], ["zoe@lycee.fr", "1.1", 2, "15/01/2025"]]
    )
    return {"file": SimpleUploadedFile("niveaux.csv", data)}


def _scan() -> dict[str, Any]:
    return {"kind": "pv-signe", "file": SimpleUploadedFile("pv.png", PNG)}


def _reset_link(w: World) -> Call:
    uid = urlsafe_base64_encode(force_bytes(w.reset_user.pk))
    token = default_token_generator.make_token(w.reset_user)
    return Call(f"/compte/mot-de-passe/{uid}/{token}/")


NEW_ACCOUNT = {
    "first_name": "Nina",
    "last_name": "Roy",
    "email": "nina@lycee.fr",
    "password": "Nouveau-Secret-2026",
}


def _sign_up_token() -> str:
    """The token of the activation link e-mailed to nina@lycee.fr."""
    return sign_up_token(NEW_ACCOUNT, password_hash=make_password(NEW_ACCOUNT["password"]))


def _own_link(w: World) -> ExternalIdentity:
    """The candidate persona's link to the ENT (the candidate also has a password)."""
    link, _created = ExternalIdentity.objects.get_or_create(
        user=w.users[CANDIDATE], provider="ent", defaults={"subject": "eleve-ent"}
    )
    return link


def _saml_answer(w: World) -> Call:
    return Call("/compte/saml/gar/acs/", form={"SAMLResponse": "PHNhbWw+", "RelayState": ""})


# --- Pages: (method, URLconf route) ----------------------------------------------------------

PAGES: dict[tuple[str, str], Entry] = {
    ("get", ""): Entry(lambda w: Call("/"), signed_in()),
    ("get", "healthz"): Entry(lambda w: Call("/healthz"), everyone()),
    ("get", "readyz"): Entry(lambda w: Call("/readyz"), everyone()),
    ("get", "compte/inscription/"): Entry(lambda w: Call("/compte/inscription/"), everyone()),
    ("get", "compte/inscription/envoyee/"): Entry(
        lambda w: Call("/compte/inscription/envoyee/"), everyone()
    ),
    # The activation link from the e-mail: the token is the credential, whoever holds it.
    ("post", "compte/inscription/activer/<str:token>/"): Entry(
        lambda w: Call(f"/compte/inscription/activer/{_sign_up_token()}/", form={}),
        everyone(),
        done=lambda w: User.objects.filter(email=NEW_ACCOUNT["email"]).exists(),
    ),
    ("get", "compte/connexion/"): Entry(lambda w: Call("/compte/connexion/"), everyone()),
    # « Mon compte » and its links to identity providers (tests/test_oidc.py, test_saml.py).
    ("get", "compte/"): Entry(lambda w: Call("/compte/"), signed_in()),
    ("post", "compte/liens/<id:link_id>/retirer/"): Entry(
        lambda w: Call(f"/compte/liens/{_own_link(w).pk}/retirer/", form={}),
        only(CANDIDATE),
        done=lambda w: not ExternalIdentity.objects.filter(provider="ent").exists(),
    ),
    # Off to the provider (the world's GAR, metadata from a file): anyone may sign in.
    ("post", "compte/fournisseurs/<slug:key>/connexion/"): Entry(
        lambda w: Call("/compte/fournisseurs/gar/connexion/", form={}), everyone()
    ),
    # The provider's answers: a provider that is not configured (or not of that kind) is
    # not found. What a configured one's answer gets (and every refusal) is in
    # tests/test_oidc.py and tests/test_saml.py: a refused answer leaves an audit row.
    ("get", "compte/oidc/<slug:key>/retour/"): Entry(
        lambda w: Call("/compte/oidc/gar/retour/?code=x&state=y"), nobody(404)
    ),
    ("post", "compte/saml/<slug:key>/acs/suite/"): Entry(
        lambda w: Call("/compte/saml/inconnu/acs/suite/", form={"SAMLResponse": "x"}),
        nobody(404),
    ),
    # The relay page shows a form and changes nothing, for anyone (CSRF-exempt by design).
    ("post", "compte/saml/<slug:key>/acs/"): Entry(_saml_answer, everyone()),
    ("get", "compte/saml/metadata/"): Entry(lambda w: Call("/compte/saml/metadata/"), everyone()),
    # The provider's answer to a log-out: back to the log-in page, whatever it says.
    ("get", "compte/saml/<slug:key>/sls/"): Entry(
        lambda w: Call("/compte/saml/gar/sls/?SAMLResponse=eA"), everyone()
    ),
    ("post", "compte/deconnexion/"): Entry(
        lambda w: Call("/compte/deconnexion/", form={}), everyone()
    ),
    ("get", "compte/mot-de-passe/"): Entry(lambda w: Call("/compte/mot-de-passe/"), everyone()),
    ("get", "compte/mot-de-passe/envoye/"): Entry(
        lambda w: Call("/compte/mot-de-passe/envoye/"), everyone()
    ),
    # The link from the e-mail: the token is the credential, whoever holds it.
    ("get", "compte/mot-de-passe/<uidb64>/<token>/"): Entry(_reset_link, everyone()),
    ("get", "compte/mot-de-passe/termine/"): Entry(
        lambda w: Call("/compte/mot-de-passe/termine/"), everyone()
    ),
    ("get", "certification/rejoindre/"): Entry(
        lambda w: Call("/certification/rejoindre/"), signed_in()
    ),
    ("get", "certification/candidats/<id:candidate_id>/instructions/"): Entry(
        lambda w: Call(f"/certification/candidats/{w.own.pk}/instructions/"), only(CANDIDATE)
    ),
    ("get", "certification/candidats/<id:candidate_id>/commencer/"): Entry(
        lambda w: Call(f"/certification/candidats/{w.own.pk}/commencer/"), only(CANDIDATE)
    ),
    ("get", "certification/tests/<id:course_id>/"): Entry(
        lambda w: Call(f"/certification/tests/{w.own_course.pk}/"), only(CANDIDATE)
    ),
    ("get", "certification/media/<str:name>"): Entry(
        lambda w: Call(f"/certification/media/{w.media}"), signed_in()
    ),
    ("get", "surveillance/"): Entry(lambda w: Call("/surveillance/"), signed_in()),
    # « Aide » (issue 16): the invigilator's guide, for anyone signed in.
    ("get", "surveillance/aide/"): Entry(lambda w: Call("/surveillance/aide/"), signed_in()),
    ("get", "surveillance/sessions/<id:session_id>/"): Entry(
        lambda w: Call(f"/surveillance/sessions/{w.a.session.pk}/"), only(*ROOM)
    ),
    # « Surveiller cette session »: a centre member's entry, recorded (the page records none).
    ("post", "surveillance/sessions/<id:session_id>/entrer/"): Entry(
        lambda w: Call(f"/surveillance/sessions/{w.a.session.pk}/entrer/", form={}),
        only(CENTRE_ADMIN),
        done=lambda w: InvigilatorAccess.objects.filter(
            session=w.a.session, via="membership"
        ).exists(),
    ),
    ("post", "surveillance/sessions/<id:session_id>/quitter/"): Entry(
        lambda w: Call(f"/surveillance/sessions/{w.a.session.pk}/quitter/", form={}), only(*ROOM)
    ),
    ("get", "surveillance/sessions/<id:session_id>/kit.pdf"): Entry(
        lambda w: Call(f"/surveillance/sessions/{w.a.session.pk}/kit.pdf"), only(*ROOM)
    ),
    # The live page's fragments (htmx): the rows, and each action giving its row back.
    ("get", "surveillance/sessions/<id:session_id>/lignes/"): Entry(
        lambda w: Call(
            f"/surveillance/sessions/{w.a.session.pk}/lignes/?ids={w.a.running.pk}&journal=1"
        ),
        only(*ROOM),
    ),
    ("post", "surveillance/sessions/<id:session_id>/notes/"): Entry(
        lambda w: Call(f"/surveillance/sessions/{w.a.session.pk}/notes/", form={"text": "PV"}),
        only(*ROOM),
        done=lambda w: Note.objects.filter(session=w.a.session, text="PV").exists(),
    ),
    ("post", "surveillance/sessions/<id:session_id>/terminer-temps-ecoule/"): Entry(
        lambda w: Call(f"/surveillance/sessions/{w.a.session.pk}/terminer-temps-ecoule/", form={}),
        only(*ROOM),
    ),
    (
        "post",
        "surveillance/sessions/<id:session_id>/candidats/<id:candidate_id>/confirmer/",
    ): Entry(
        lambda w: Call(
            f"/surveillance/sessions/{w.a.session.pk}/candidats/{w.a.absent.pk}/confirmer/", form={}
        ),
        only(*ROOM),
        done=lambda w: Candidate.objects.filter(
            pk=w.a.absent.pk, authorized_to_start_at__isnull=False
        ).exists(),
    ),
    (
        "post",
        "surveillance/sessions/<id:session_id>/candidats/<id:candidate_id>/annuler-confirmation/",
    ): Entry(
        lambda w: Call(
            f"/surveillance/sessions/{w.a.session.pk}/candidats/{w.a.confirmed.pk}"
            "/annuler-confirmation/",
            form={},
        ),
        only(*ROOM),
        done=lambda w: Candidate.objects.filter(
            pk=w.a.confirmed.pk, authorized_to_start_at__isnull=True
        ).exists(),
    ),
    (
        "post",
        "surveillance/sessions/<id:session_id>/candidats/<id:candidate_id>/autoriser-reprise/",
    ): Entry(
        lambda w: Call(
            f"/surveillance/sessions/{w.a.session.pk}/candidats/{w.a.running.pk}/autoriser-reprise/",
            form={},
        ),
        only(*ROOM),
        done=lambda w: Candidate.objects.filter(
            pk=w.a.running.pk, authorized_to_start_at__isnull=False
        ).exists(),
    ),
    (
        "post",
        "surveillance/sessions/<id:session_id>/candidats/<id:candidate_id>/terminer/",
    ): Entry(
        lambda w: Call(
            f"/surveillance/sessions/{w.a.session.pk}/candidats/{w.a.running.pk}/terminer/", form={}
        ),
        only(*ROOM),
        done=lambda w: CertificationCourse.objects.filter(
            candidate=w.a.running, status="ended_by_invigilator"
        ).exists(),
    ),
    ("post", "surveillance/sessions/<id:session_id>/candidats/<id:candidate_id>/notes/"): Entry(
        lambda w: Call(
            f"/surveillance/sessions/{w.a.session.pk}/candidats/{w.a.running.pk}/notes/",
            form={"text": "Incident"},
        ),
        only(*ROOM),
        done=lambda w: Note.objects.filter(candidate=w.a.running, text="Incident").exists(),
    ),
    ("get", "surveillance/sessions/<id:session_id>/pv-fraude/<id:note_id>.pdf"): Entry(
        lambda w: Call(
            f"/surveillance/sessions/{w.a.session.pk}/pv-fraude/{w.a.fraud_line.pk}.pdf"
        ),
        only(*ROOM),
    ),
    (
        "post",
        "surveillance/sessions/<id:session_id>/candidats/<id:candidate_id>/constats/<id:event_id>/au-pv/",
    ): Entry(
        lambda w: Call(
            f"/surveillance/sessions/{w.a.session.pk}/candidats/{w.a.running.pk}"
            f"/constats/{w.a.evidence.pk}/au-pv/",
            form={},
        ),
        only(*ROOM),
        done=lambda w: Note.objects.filter(evidence=w.a.evidence, code="E10").exists(),
    ),
    ("post", "surveillance/sessions/<id:session_id>/signalements/<id:alert_id>/valider/"): Entry(
        lambda w: Call(
            f"/surveillance/sessions/{w.a.session.pk}/signalements/{w.a.alert.pk}/valider/",
            form={"reason": "E11"},
        ),
        only(*ROOM),
        done=lambda w: LiveAlert.objects.filter(pk=w.a.alert.pk, status="validated").exists(),
    ),
    ("post", "surveillance/sessions/<id:session_id>/signalements/<id:alert_id>/refuser/"): Entry(
        lambda w: Call(
            f"/surveillance/sessions/{w.a.session.pk}/signalements/{w.a.alert.pk}/refuser/", form={}
        ),
        only(*ROOM),
        done=lambda w: LiveAlert.objects.filter(pk=w.a.alert.pk, status="refused").exists(),
    ),
    (
        "post",
        "surveillance/sessions/<id:session_id>/signalements/<id:alert_id>/extension/",
    ): Entry(
        lambda w: Call(
            f"/surveillance/sessions/{w.a.session.pk}/signalements/{w.a.companion.pk}/extension/",
            form={},
        ),
        only(*ROOM),
        done=lambda w: not LiveAlert.objects.filter(pk=w.a.companion.pk, status="ongoing").exists(),
    ),
    # « Affichage salle » (issue 16): the room's screen, its content, the access code on it.
    ("get", "surveillance/sessions/<id:session_id>/affichage-salle/"): Entry(
        lambda w: Call(f"/surveillance/sessions/{w.a.session.pk}/affichage-salle/"), only(*ROOM)
    ),
    ("get", "surveillance/sessions/<id:session_id>/affichage-salle/contenu/"): Entry(
        lambda w: Call(f"/surveillance/sessions/{w.a.session.pk}/affichage-salle/contenu/"),
        only(*ROOM),
    ),
    ("post", "surveillance/sessions/<id:session_id>/affichage-salle/code/"): Entry(
        lambda w: Call(
            f"/surveillance/sessions/{w.a.session.pk}/affichage-salle/code/", form={"shown": "1"}
        ),
        only(*ROOM),
        done=lambda w: RoomScreen.objects.filter(
            session=w.a.session, access_code_shown=True
        ).exists(),
    ),
    # Before the start and before leaving (issue 16).
    ("get", "surveillance/sessions/<id:session_id>/avant-le-debut/"): Entry(
        lambda w: Call(f"/surveillance/sessions/{w.a.session.pk}/avant-le-debut/"), only(*ROOM)
    ),
    ("get", "surveillance/sessions/<id:session_id>/avant-de-partir/"): Entry(
        lambda w: Call(f"/surveillance/sessions/{w.a.session.pk}/avant-de-partir/"), only(*ROOM)
    ),
    # « Je m'en occupe » (issue 16): a claim on a pending alert, either kind.
    (
        "post",
        "surveillance/sessions/<id:session_id>/signalements/<id:alert_id>/je-m-en-occupe/",
    ): Entry(
        lambda w: Call(
            f"/surveillance/sessions/{w.a.session.pk}/signalements/{w.a.alert.pk}/je-m-en-occupe/",
            form={},
        ),
        only(*ROOM),
        done=lambda w: LiveAlert.objects.filter(pk=w.a.alert.pk, claimed_by__isnull=False).exists(),
    ),
    # Issue 15's incidents from the live page: each gives its row(s) back.
    (
        "post",
        "surveillance/sessions/<id:session_id>/candidats/<id:candidate_id>/ajouter-temps/",
    ): Entry(
        lambda w: Call(
            f"/surveillance/sessions/{w.a.session.pk}/candidats/{w.a.running.pk}/ajouter-temps/",
            form={"minutes": "10", "reason": "Coupure réseau"},
        ),
        only(*ROOM),
        done=lambda w: TimeAddition.objects.filter(course__candidate=w.a.running).exists(),
    ),
    (
        "post",
        "surveillance/sessions/<id:session_id>/candidats/<id:candidate_id>/suspendre/",
    ): Entry(
        lambda w: Call(
            f"/surveillance/sessions/{w.a.session.pk}/candidats/{w.a.running.pk}/suspendre/",
            form={"reason": "Malaise"},
        ),
        only(*ROOM),
        done=lambda w: Suspension.objects.filter(
            course__candidate=w.a.running, ended_at=None
        ).exists(),
    ),
    (
        "post",
        "surveillance/sessions/<id:session_id>/candidats/<id:candidate_id>/reprendre/",
    ): Entry(
        lambda w: Call(
            f"/surveillance/sessions/{w.a.session.pk}/candidats/"
            f"{suspended_test(w.a.running).pk}/reprendre/",
            form={},
        ),
        only(*ROOM),
        done=lambda w: (
            not Suspension.objects.filter(course__candidate=w.a.running, ended_at=None).exists()
        ),
    ),
    (
        "post",
        "surveillance/sessions/<id:session_id>/candidats/<id:candidate_id>/message/",
    ): Entry(
        lambda w: Call(
            f"/surveillance/sessions/{w.a.session.pk}/candidats/{w.a.running.pk}/message/",
            form={"ready": "Il reste 10 minutes."},
        ),
        only(*ROOM),
        done=lambda w: MessageReceipt.objects.filter(candidate=w.a.running).exists(),
    ),
    ("post", "surveillance/sessions/<id:session_id>/suspendre/"): Entry(
        lambda w: Call(
            f"/surveillance/sessions/{w.a.session.pk}/suspendre/",
            form={"text": "Alarme incendie : sortez dans le calme."},
        ),
        only(*ROOM),
        done=lambda w: RoomSuspension.objects.filter(session=w.a.session, ended_at=None).exists(),
    ),
    ("post", "surveillance/sessions/<id:session_id>/reprendre/"): Entry(
        lambda w: Call(
            f"/surveillance/sessions/{suspended_room(w.a.session).pk}/reprendre/",
            form={"present": [str(w.a.running.pk)]},
        ),
        only(*ROOM),
        done=lambda w: (
            not RoomSuspension.objects.filter(session=w.a.session, ended_at=None).exists()
        ),
    ),
    # A selection (issue 15): the same, for the ticked candidates.
    ("post", "surveillance/sessions/<id:session_id>/selection/confirmer/"): Entry(
        lambda w: Call(
            f"/surveillance/sessions/{w.a.session.pk}/selection/confirmer/",
            form={"ids": [str(w.a.absent.pk)]},
        ),
        only(*ROOM),
        done=lambda w: Candidate.objects.filter(
            pk=w.a.absent.pk, authorized_to_start_at__isnull=False
        ).exists(),
    ),
    ("post", "surveillance/sessions/<id:session_id>/selection/ajouter-temps/"): Entry(
        lambda w: Call(
            f"/surveillance/sessions/{w.a.session.pk}/selection/ajouter-temps/",
            form={"ids": [str(w.a.running.pk)], "minutes": "5", "reason": "Coupure réseau"},
        ),
        only(*ROOM),
        done=lambda w: TimeAddition.objects.filter(course__candidate=w.a.running).exists(),
    ),
    ("post", "surveillance/sessions/<id:session_id>/selection/message/"): Entry(
        lambda w: Call(
            f"/surveillance/sessions/{w.a.session.pk}/selection/message/",
            form={"ids": [str(w.a.running.pk)], "text": "Levez la main"},
        ),
        only(*ROOM),
        done=lambda w: MessageReceipt.objects.filter(candidate=w.a.running).exists(),
    ),
    ("post", "surveillance/sessions/<id:session_id>/selection/terminer/"): Entry(
        lambda w: Call(
            f"/surveillance/sessions/{w.a.session.pk}/selection/terminer/",
            form={"ids": [str(w.a.running.pk)]},
        ),
        only(*ROOM),
        done=lambda w: CertificationCourse.objects.filter(
            candidate=w.a.running, status="ended_by_invigilator"
        ).exists(),
    ),
    ("post", "surveillance/sessions/<id:session_id>/message/"): Entry(
        lambda w: Call(
            f"/surveillance/sessions/{w.a.session.pk}/message/",
            form={"text": "Merci de rester silencieux."},
        ),
        only(*ROOM),
        done=lambda w: RoomMessage.objects.filter(session=w.a.session).exists(),
    ),
    ("get", "jury/"): Entry(lambda w: Call("/jury/"), only(JURY)),
    ("get", "jury/sessions/<id:session_id>/"): Entry(
        lambda w: Call(f"/jury/sessions/{w.finalized.pk}/"), only(JURY)
    ),
    ("post", "jury/sessions/<id:session_id>/attribuer/"): Entry(
        lambda w: Call(f"/jury/sessions/{w.finalized.pk}/attribuer/", form={}),
        only(JURY),
        done=lambda w: ExamSession.objects.filter(
            pk=w.finalized.pk, assigned_officer=w.users[JURY]
        ).exists(),
    ),
    ("post", "jury/sessions/<id:session_id>/publier/"): Entry(
        lambda w: Call(f"/jury/sessions/{w.finalized.pk}/publier/", form={}),
        only(JURY),
        done=lambda w: ExamSession.objects.get(pk=w.finalized.pk).published_at is not None,
    ),
    ("post", "jury/sessions/<id:session_id>/depublier/"): Entry(
        lambda w: Call(f"/jury/sessions/{w.published.pk}/depublier/", form={}),
        only(JURY),
        done=lambda w: ExamSession.objects.get(pk=w.published.pk).published_at is None,
    ),
    ("post", "jury/signalements/<id:report_id>/traiter/"): Entry(
        lambda w: Call(f"/jury/signalements/{w.report.pk}/traiter/", form={"decision": "reject"}),
        only(JURY),
        done=lambda w: IssueReport.objects.get(pk=w.report.pk).resolved_at is not None,
    ),
    # Issue 18: the item statistics, page and files, for the jury (staff) only.
    ("get", "jury/questions/"): Entry(lambda w: Call("/jury/questions/"), only(JURY)),
    # Recalibration: the proposal, and « Appliquer » (here with a stale proposal: refused
    # with a message, nothing written — what is written is tested in test_recalibration_page).
    ("get", "jury/questions/recalibration/"): Entry(
        lambda w: Call("/jury/questions/recalibration/"), only(JURY)
    ),
    ("post", "jury/questions/recalibration/"): Entry(
        lambda w: Call("/jury/questions/recalibration/", form={"proposal": "ancienne"}),
        only(JURY),
    ),
    ("get", "jury/questions/statistiques.<str:fmt>"): Entry(
        lambda w: Call("/jury/questions/statistiques.ods"), only(JURY)
    ),
    ("get", "jury/sessions/<id:session_id>/archives/<slug:kind>.pdf"): Entry(
        lambda w: Call(f"/jury/sessions/{w.finalized.pk}/archives/proces-verbal.pdf"), only(JURY)
    ),
    ("get", "jury/sessions/<id:session_id>/archives/scans/<id:record_id>/"): Entry(
        lambda w: Call(f"/jury/sessions/{w.finalized.pk}/archives/scans/{w.scan.pk}/"),
        only(JURY),
    ),
    ("get", "resultats/<id:certificate_id>/"): Entry(
        lambda w: Call(f"/resultats/{w.certificate.pk}/"), only(CANDIDATE)
    ),
    ("get", "resultats/<id:certificate_id>/certificat.pdf"): Entry(
        lambda w: Call(f"/resultats/{w.certificate.pk}/certificat.pdf"), only(CANDIDATE)
    ),
    ("get", "verifier/"): Entry(
        lambda w: Call(f"/verifier/?code={w.certificate.verification_code}"), everyone()
    ),
    ("get", "sessions/<id:session_id>/resultats.<str:kind>"): Entry(
        lambda w: Call(f"/sessions/{w.published.pk}/resultats.csv"), only(*CENTRE)
    ),
    ("post", "i18n/setlang/"): Entry(
        lambda w: Call("/i18n/setlang/", form={"language": "en", "next": "/verifier/"}),
        everyone(),
    ),
    # Routes under api/ that are not operations of the schema.
    ("get", "api/openapi.json"): Entry(lambda w: Call("/api/openapi.json"), everyone()),
    ("get", "api/docs"): Entry(lambda w: Call("/api/docs"), everyone()),
    ("get", "api/"): Entry(lambda w: Call("/api/"), nobody(404)),  # django-ninja's empty root
    # The centre's pages.
    ("get", "centres/<id:centre_id>/sessions/"): Entry(
        lambda w: Call(f"/centres/{w.centre.pk}/sessions/"), only(*CENTRE)
    ),
    # « Éligibilité des élèves »: the pupils' levels, their import and its template.
    ("get", "centres/<id:centre_id>/eleves/"): Entry(
        lambda w: Call(f"/centres/{w.centre.pk}/eleves/"), only(*CENTRE)
    ),
    ("post", "centres/<id:centre_id>/eleves/"): Entry(
        lambda w: Call(f"/centres/{w.centre.pk}/eleves/", form=_levels_file()),
        only(*CENTRE),
        done=lambda w: StudentLevel.objects.filter(student__centre=w.centre).exists(),
    ),
    ("get", "centres/<id:centre_id>/eleves/modele.<str:kind>"): Entry(
        lambda w: Call(f"/centres/{w.centre.pk}/eleves/modele.ods"), only(*CENTRE)
    ),
    # « Jetons des plateformes »: create / list / revoke the learning platform's tokens.
    ("get", "centres/<id:centre_id>/jetons/"): Entry(
        lambda w: Call(f"/centres/{w.centre.pk}/jetons/"), only(*CENTRE)
    ),
    ("post", "centres/<id:centre_id>/jetons/"): Entry(
        lambda w: Call(f"/centres/{w.centre.pk}/jetons/", form={"name": "ENT Pronote"}),
        only(*CENTRE),
        done=lambda w: PlatformToken.objects.filter(centre=w.centre, name="ENT Pronote").exists(),
    ),
    ("post", "centres/<id:centre_id>/jetons/<id:token_id>/revoquer/"): Entry(
        lambda w: Call(
            f"/centres/{w.centre.pk}/jetons/{PlatformTokenFactory(centre=w.centre).pk}/revoquer/"
        ),
        only(*CENTRE),
        done=lambda w: PlatformToken.objects.filter(
            centre=w.centre, revoked_at__isnull=False
        ).exists(),
    ),
    # « Résultats de l'établissement »: all its published sessions, page and export.
    ("get", "centres/<id:centre_id>/resultats/"): Entry(
        lambda w: Call(f"/centres/{w.centre.pk}/resultats/?school_class=3e A"), only(*CENTRE)
    ),
    ("get", "centres/<id:centre_id>/resultats.<str:kind>"): Entry(
        lambda w: Call(f"/centres/{w.centre.pk}/resultats.ods"), only(*CENTRE)
    ),
    ("get", "centres/<id:centre_id>/parametres/"): Entry(
        lambda w: Call(f"/centres/{w.centre.pk}/parametres/"), only(*CENTRE)
    ),
    ("get", "centres/<id:centre_id>/sessions/nouvelle/"): Entry(
        lambda w: Call(f"/centres/{w.centre.pk}/sessions/nouvelle/"), only(*CENTRE)
    ),
    ("get", "centres/<id:centre_id>/sessions/import/"): Entry(
        lambda w: Call(f"/centres/{w.centre.pk}/sessions/import/"), only(*CENTRE)
    ),
    ("get", "centres/<id:centre_id>/sessions/modele.<str:kind>"): Entry(
        lambda w: Call(f"/centres/{w.centre.pk}/sessions/modele.csv"), only(*CENTRE)
    ),
    ("get", "sessions/<id:session_id>/"): Entry(
        lambda w: Call(f"/sessions/{w.a.session.pk}/"), only(*CENTRE)
    ),
    ("get", "sessions/<id:session_id>/modifier/"): Entry(
        lambda w: Call(f"/sessions/{w.a.session.pk}/modifier/"), only(*CENTRE)
    ),
    ("get", "sessions/<id:session_id>/supprimer/"): Entry(
        lambda w: Call(f"/sessions/{w.b.pk}/supprimer/"), only(*CENTRE)
    ),
    ("post", "sessions/<id:session_id>/supprimer/"): Entry(
        lambda w: Call(f"/sessions/{w.b.pk}/supprimer/", form={}),
        only(*CENTRE),
        done=lambda w: not ExamSession.objects.filter(pk=w.b.pk).exists(),
    ),
    ("get", "sessions/<id:session_id>/finaliser/"): Entry(
        lambda w: Call(f"/sessions/{w.a.session.pk}/finaliser/"), only(*CENTRE)
    ),
    ("get", "sessions/<id:session_id>/candidats/ajouter/"): Entry(
        lambda w: Call(f"/sessions/{w.a.session.pk}/candidats/ajouter/"), only(*CENTRE)
    ),
    ("get", "sessions/<id:session_id>/candidats/import/"): Entry(
        lambda w: Call(f"/sessions/{w.a.session.pk}/candidats/import/"), only(*CENTRE)
    ),
    ("get", "sessions/<id:session_id>/candidats/modele.<str:kind>"): Entry(
        lambda w: Call(f"/sessions/{w.a.session.pk}/candidats/modele.csv"), only(*CENTRE)
    ),
    ("get", "sessions/<id:session_id>/documents/<slug:kind>.pdf"): Entry(
        lambda w: Call(f"/sessions/{w.a.session.pk}/documents/kit-surveillant.pdf"), only(*CENTRE)
    ),
    # Documents archived at finalization: the centre's copy here, the jury's under jury/.
    ("get", "sessions/<id:session_id>/archives/<slug:kind>.pdf"): Entry(
        lambda w: Call(f"/sessions/{w.finalized.pk}/archives/proces-verbal.pdf"), only(*CENTRE)
    ),
    # Signed scans the centre attaches to them, and their download.
    ("post", "sessions/<id:session_id>/archives/scans/"): Entry(
        lambda w: Call(f"/sessions/{w.finalized.pk}/archives/scans/", form=_scan()),
        only(*CENTRE),
        done=lambda w: SessionRecord.objects.filter(session=w.finalized, kind="pv-signe").exists(),
    ),
    ("get", "sessions/<id:session_id>/archives/scans/<id:record_id>/"): Entry(
        lambda w: Call(f"/sessions/{w.finalized.pk}/archives/scans/{w.scan.pk}/"),
        only(*CENTRE),
    ),
    # Removing a scan attached by mistake, with its reason (until publication).
    ("post", "sessions/<id:session_id>/archives/scans/<id:record_id>/retirer/"): Entry(
        lambda w: Call(
            f"/sessions/{w.finalized.pk}/archives/scans/{w.scan.pk}/retirer/",
            form={"reason": "ajoutée par erreur"},
        ),
        only(*CENTRE),
        done=lambda w: not SessionRecord.objects.filter(pk=w.scan.pk).exists(),
    ),
    ("get", "candidats/<id:candidate_id>/modifier/"): Entry(
        lambda w: Call(f"/candidats/{w.a.absent.pk}/modifier/"), only(*CENTRE)
    ),
    ("post", "candidats/<id:candidate_id>/supprimer/"): Entry(
        lambda w: Call(f"/candidats/{w.a.absent.pk}/supprimer/", form={}),
        only(*CENTRE),
        done=lambda w: not Candidate.objects.filter(pk=w.a.absent.pk).exists(),
    ),
}


# --- API: (method, OpenAPI path) -------------------------------------------------------------

OPERATIONS: dict[tuple[str, str], Entry] = {
    # Accounts.
    ("post", "/api/accounts/register"): Entry(
        lambda w: Call(
            "/api/accounts/register",
            json={
                "first_name": "Nina",
                "last_name": "Roy",
                "email": "nina@lycee.fr",
                "password": "Nouveau-Secret-2026",
                "accept_terms": True,
            },
        ),
        everyone(),
    ),
    ("post", "/api/accounts/register/activate"): Entry(
        lambda w: Call("/api/accounts/register/activate", json={"token": _sign_up_token()}),
        everyone(),
    ),
    ("get", "/api/accounts/me"): Entry(lambda w: Call("/api/accounts/me"), signed_in()),
    # The candidate's journey: only the candidate's own line and test.
    ("post", "/api/certification/join"): Entry(
        lambda w: Call(
            "/api/certification/join",
            json={
                "session_number": w.a.session.number,
                "first_name": w.own.first_name,
                "last_name": w.own.last_name,
                "birthdate": w.own.birthdate.isoformat(),
            },
        ),
        only(CANDIDATE, others=409),  # anyone may try; this line belongs to the candidate
    ),
    ("post", "/api/certification/candidates/{candidate_id}/instructions"): Entry(
        lambda w: Call(f"/api/certification/candidates/{w.own.pk}/instructions", json={}),
        only(CANDIDATE),
    ),
    # Issue 16: the instructions and start pages say whether they detect the extension.
    ("post", "/api/certification/candidates/{candidate_id}/companion-check"): Entry(
        lambda w: Call(
            f"/api/certification/candidates/{w.own.pk}/companion-check", json={"detected": True}
        ),
        only(CANDIDATE),
    ),
    ("get", "/api/certification/candidates/{candidate_id}/authorization"): Entry(
        lambda w: Call(f"/api/certification/candidates/{w.own.pk}/authorization"),
        only(CANDIDATE),
    ),
    ("post", "/api/certification/candidates/{candidate_id}/start"): Entry(
        lambda w: Call(
            f"/api/certification/candidates/{w.own.pk}/start",
            json={"access_code": w.a.session.access_code},
        ),
        only(CANDIDATE),
    ),
    ("get", "/api/certification/courses/{course_id}/state"): Entry(
        lambda w: Call(
            f"/api/certification/courses/{w.own_course.pk}/state",
            headers={"X-Run-Token": w.run_token},
        ),
        only(CANDIDATE),
    ),
    ("post", "/api/certification/courses/{course_id}/answers"): Entry(_own_answer, only(CANDIDATE)),
    ("post", "/api/certification/courses/{course_id}/companion-alert"): Entry(
        lambda w: Call(
            f"/api/certification/courses/{w.own_course.pk}/companion-alert",
            json={},
            headers={"X-Run-Token": w.run_token},
        ),
        only(CANDIDATE),
    ),
    ("post", "/api/certification/courses/{course_id}/alerts"): Entry(_own_report, only(CANDIDATE)),
    ("get", "/api/certification/candidates/{candidate_id}/messages"): Entry(
        lambda w: Call(f"/api/certification/candidates/{w.own.pk}/messages"), only(CANDIDATE)
    ),
    ("post", "/api/certification/candidates/{candidate_id}/messages/{message_id}/read"): Entry(
        lambda w: Call(
            f"/api/certification/candidates/{w.own.pk}/messages/{message_to(w.own)}/read",
            json={},
        ),
        only(CANDIDATE),
    ),
    # The Espace Surveillant of session A. Entering it needs only its number and password.
    ("post", "/api/invigilation/supervise"): Entry(
        lambda w: Call(
            "/api/invigilation/supervise",
            json={"session_number": w.a.session.number, "password": SESSION_PASSWORD},
        ),
        signed_in(),
    ),
    ("post", "/api/invigilation/sessions/{session_id}/enter"): Entry(
        lambda w: Call(f"/api/invigilation/sessions/{w.a.session.pk}/enter", json={}),
        only(CENTRE_ADMIN),
    ),
    ("get", "/api/invigilation/sessions/{session_id}/state"): Entry(
        lambda w: Call(f"/api/invigilation/sessions/{w.a.session.pk}/state"), only(*ROOM)
    ),
    ("post", "/api/invigilation/candidates/{candidate_id}/confirm-presence"): Entry(
        lambda w: Call(f"/api/invigilation/candidates/{w.a.absent.pk}/confirm-presence", json={}),
        only(*ROOM),
    ),
    ("post", "/api/invigilation/candidates/{candidate_id}/cancel-presence"): Entry(
        lambda w: Call(f"/api/invigilation/candidates/{w.a.confirmed.pk}/cancel-presence", json={}),
        only(*ROOM),
    ),
    ("post", "/api/invigilation/candidates/{candidate_id}/authorize-resume"): Entry(
        lambda w: Call(f"/api/invigilation/candidates/{w.a.running.pk}/authorize-resume", json={}),
        only(*ROOM),
    ),
    ("post", "/api/invigilation/candidates/{candidate_id}/end"): Entry(
        lambda w: Call(f"/api/invigilation/candidates/{w.a.running.pk}/end", json={}),
        only(*ROOM),
    ),
    ("post", "/api/invigilation/sessions/{session_id}/end-overtime"): Entry(
        lambda w: Call(f"/api/invigilation/sessions/{w.a.session.pk}/end-overtime", json={}),
        only(*ROOM),
    ),
    ("post", "/api/invigilation/sessions/{session_id}/add-time"): Entry(
        lambda w: Call(
            f"/api/invigilation/sessions/{w.a.session.pk}/add-time",
            json={"candidate_ids": [w.a.running.pk], "minutes": 10, "reason": "Coupure réseau"},
        ),
        only(*ROOM),
    ),
    ("post", "/api/invigilation/sessions/{session_id}/suspend"): Entry(
        lambda w: Call(
            f"/api/invigilation/sessions/{w.a.session.pk}/suspend",
            json={"message": "Alarme incendie : sortez dans le calme."},
        ),
        only(*ROOM),
    ),
    ("post", "/api/invigilation/sessions/{session_id}/resume"): Entry(
        lambda w: Call(
            f"/api/invigilation/sessions/{suspended_room(w.a.session).pk}/resume",
            json={"present": [w.a.running.pk]},
        ),
        only(*ROOM),
    ),
    ("post", "/api/invigilation/candidates/{candidate_id}/suspend"): Entry(
        lambda w: Call(
            f"/api/invigilation/candidates/{w.a.running.pk}/suspend", json={"reason": "Malaise"}
        ),
        only(*ROOM),
    ),
    ("post", "/api/invigilation/candidates/{candidate_id}/continue"): Entry(
        lambda w: Call(
            f"/api/invigilation/candidates/{suspended_test(w.a.running).pk}/continue", json={}
        ),
        only(*ROOM),
    ),
    ("post", "/api/invigilation/sessions/{session_id}/messages"): Entry(
        lambda w: Call(
            f"/api/invigilation/sessions/{w.a.session.pk}/messages",
            json={"text": "Il reste 10 minutes.", "candidate_ids": [w.own.pk]},
        ),
        only(*ROOM),
    ),
    ("post", "/api/invigilation/alerts/{alert_id}/validate"): Entry(
        lambda w: Call(f"/api/invigilation/alerts/{w.a.alert.pk}/validate", json={"reason": "E11"}),
        only(*ROOM),
    ),
    ("post", "/api/invigilation/alerts/{alert_id}/companion"): Entry(
        lambda w: Call(f"/api/invigilation/alerts/{w.a.companion.pk}/companion", json={}),
        only(*ROOM),
    ),
    ("post", "/api/invigilation/sessions/{session_id}/room-screen"): Entry(
        lambda w: Call(
            f"/api/invigilation/sessions/{w.a.session.pk}/room-screen",
            json={"access_code_shown": True},
        ),
        only(*ROOM),
    ),
    ("post", "/api/invigilation/alerts/{alert_id}/claim"): Entry(
        lambda w: Call(f"/api/invigilation/alerts/{w.a.alert.pk}/claim", json={}),
        only(*ROOM),
    ),
    ("post", "/api/invigilation/alerts/{alert_id}/refuse"): Entry(
        lambda w: Call(f"/api/invigilation/alerts/{w.a.alert.pk}/refuse", json={}),
        only(*ROOM),
    ),
    ("post", "/api/invigilation/candidates/{candidate_id}/evidence/{event_id}/pv"): Entry(
        lambda w: Call(
            f"/api/invigilation/candidates/{w.a.running.pk}/evidence/{w.a.evidence.pk}/pv",
            json={},
        ),
        only(*ROOM),
    ),
    ("post", "/api/invigilation/sessions/{session_id}/notes"): Entry(
        lambda w: Call(
            f"/api/invigilation/sessions/{w.a.session.pk}/notes",
            json={"text": "Incident", "candidate_id": w.a.running.pk},
        ),
        only(*ROOM),
    ),
    # The jury.
    ("get", "/api/jury/sessions"): Entry(lambda w: Call("/api/jury/sessions"), only(JURY)),
    ("get", "/api/jury/sessions/{session_id}"): Entry(
        lambda w: Call(f"/api/jury/sessions/{w.finalized.pk}"), only(JURY)
    ),
    ("post", "/api/jury/sessions/{session_id}/assign"): Entry(
        lambda w: Call(f"/api/jury/sessions/{w.finalized.pk}/assign", json={}), only(JURY)
    ),
    ("post", "/api/jury/sessions/{session_id}/publish"): Entry(
        lambda w: Call(f"/api/jury/sessions/{w.finalized.pk}/publish", json={}), only(JURY)
    ),
    ("post", "/api/jury/sessions/{session_id}/unpublish"): Entry(
        lambda w: Call(f"/api/jury/sessions/{w.published.pk}/unpublish", json={}), only(JURY)
    ),
    ("post", "/api/jury/reports/{report_id}/neutralize"): Entry(
        lambda w: Call(f"/api/jury/reports/{w.report.pk}/neutralize", json={}), only(JURY)
    ),
    ("post", "/api/jury/reports/{report_id}/reject"): Entry(
        lambda w: Call(f"/api/jury/reports/{w.report.pk}/reject", json={}), only(JURY)
    ),
    ("post", "/api/jury/reports/{report_id}/resolve"): Entry(
        lambda w: Call(f"/api/jury/reports/{w.report.pk}/resolve", json={"comment": "Vu."}),
        only(JURY),
    ),
    ("post", "/api/jury/reports/{report_id}/accept-correction"): Entry(
        lambda w: Call(f"/api/jury/reports/{w.correction_report.pk}/accept-correction", json={}),
        only(JURY),
    ),
    ("post", "/api/jury/reports/{report_id}/refuse-correction"): Entry(
        lambda w: Call(
            f"/api/jury/reports/{w.correction_report.pk}/refuse-correction",
            json={"comment": "Pièce d'identité non conforme."},
        ),
        only(JURY),
    ),
    # Results.
    ("get", "/api/results/verify/{code}"): Entry(
        lambda w: Call(f"/api/results/verify/{w.certificate.verification_code}"), everyone()
    ),
    ("get", "/api/results/certificates/{certificate_id}"): Entry(
        lambda w: Call(f"/api/results/certificates/{w.certificate.pk}"), only(CANDIDATE)
    ),
    ("get", "/api/results/sessions/{session_id}/results"): Entry(
        lambda w: Call(f"/api/results/sessions/{w.published.pk}/results"), only(*CENTRE)
    ),
    ("get", "/api/centres/{centre_id}/pupils"): Entry(
        lambda w: Call(f"/api/centres/{w.centre.pk}/pupils"), only(*CENTRE)
    ),
    ("post", "/api/centres/{centre_id}/competence-levels"): Entry(
        lambda w: Call(f"/api/centres/{w.centre.pk}/competence-levels", json=LEVELS),
        only(*CENTRE),
    ),
    ("get", "/api/results/centres/{centre_id}"): Entry(
        lambda w: Call(f"/api/results/centres/{w.centre.pk}?date_from=2020-01-01"),
        only(*CENTRE),
    ),
    # The centre.
    ("get", "/api/centres/{centre_id}/sessions"): Entry(
        lambda w: Call(f"/api/centres/{w.centre.pk}/sessions"), only(*CENTRE)
    ),
    ("post", "/api/centres/{centre_id}/sessions"): Entry(
        lambda w: Call(
            f"/api/centres/{w.centre.pk}/sessions",
            json={**NEW_SESSION, "date": _future().isoformat()},
        ),
        only(*CENTRE),
    ),
    ("post", "/api/centres/{centre_id}/sessions/import"): Entry(
        lambda w: Call(f"/api/centres/{w.centre.pk}/sessions/import", form=_session_plan()),
        only(*CENTRE),
    ),
    ("get", "/api/sessions/{session_id}"): Entry(
        lambda w: Call(f"/api/sessions/{w.a.session.pk}"), only(*CENTRE)
    ),
    ("patch", "/api/sessions/{session_id}"): Entry(
        lambda w: Call(f"/api/sessions/{w.a.session.pk}", json={"room": "C3"}), only(*CENTRE)
    ),
    ("delete", "/api/sessions/{session_id}"): Entry(
        lambda w: Call(f"/api/sessions/{w.b.pk}"), only(*CENTRE)
    ),
    ("get", "/api/sessions/{session_id}/candidates"): Entry(
        lambda w: Call(f"/api/sessions/{w.a.session.pk}/candidates"), only(*CENTRE)
    ),
    ("post", "/api/sessions/{session_id}/candidates"): Entry(
        lambda w: Call(f"/api/sessions/{w.a.session.pk}/candidates", json=NEW_CANDIDATE),
        only(*CENTRE),
    ),
    ("post", "/api/sessions/{session_id}/candidates/import"): Entry(
        lambda w: Call(f"/api/sessions/{w.a.session.pk}/candidates/import", form=_candidate_list()),
        only(*CENTRE),
    ),
    ("patch", "/api/candidates/{candidate_id}"): Entry(
        lambda w: Call(f"/api/candidates/{w.a.absent.pk}", json={"first_name": "Zoé"}),
        only(*CENTRE),
    ),
    ("delete", "/api/candidates/{candidate_id}"): Entry(
        lambda w: Call(f"/api/candidates/{w.a.absent.pk}"), only(*CENTRE)
    ),
    ("get", "/api/sessions/{session_id}/finalization"): Entry(
        lambda w: Call(f"/api/sessions/{w.a.session.pk}/finalization"), only(*CENTRE)
    ),
    ("put", "/api/sessions/{session_id}/finalization"): Entry(_finalization_of_a, only(*CENTRE)),
    ("post", "/api/sessions/{session_id}/scans"): Entry(
        lambda w: Call(f"/api/sessions/{w.finalized.pk}/scans", form=_scan()), only(*CENTRE)
    ),
    ("post", "/api/sessions/{session_id}/scans/{record_id}/removal"): Entry(
        lambda w: Call(
            f"/api/sessions/{w.finalized.pk}/scans/{w.scan.pk}/removal",
            json={"reason": "ajoutée par erreur"},
        ),
        only(*CENTRE),
    ),
    ("get", "/api/sessions/{session_id}/scans/{record_id}"): Entry(
        lambda w: Call(f"/api/sessions/{w.finalized.pk}/scans/{w.scan.pk}"),
        only(CENTRE_ADMIN, JURY),
    ),
    ("get", "/api/sessions/{session_id}/records"): Entry(
        lambda w: Call(f"/api/sessions/{w.finalized.pk}/records"), only(CENTRE_ADMIN, JURY)
    ),
    ("get", "/api/sessions/{session_id}/records/{kind}"): Entry(
        lambda w: Call(f"/api/sessions/{w.finalized.pk}/records/proces-verbal"),
        only(CENTRE_ADMIN, JURY),
    ),
}

MATRIX = {**PAGES, **OPERATIONS}


# --- Helpers ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gar_metadata(tmp_path_factory):
    _key, cert = self_signed_certificate()
    path = tmp_path_factory.mktemp("gar") / "gar.xml"
    path.write_text(idp_metadata("https://gar.test/idp", "https://gar.test/sso", cert))
    return path


@pytest.fixture(autouse=True)
def identity_providers(settings, gar_metadata):
    """A GAR configured from a metadata file: signing in only redirects to it."""
    settings.SAML_PROVIDERS = [
        SAMLProvider(
            key="gar",
            label="GAR",
            metadata_file=str(gar_metadata),
            entity_id="https://gar.test/idp",
        )
    ]


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    with persistent_world(django_db_blocker, tmp_path_factory.mktemp("bank")) as built:
        yield built


def _client(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _send(client: Client, method: str, call: Call):
    if call.form is not None:
        return client.post(call.url, call.form, headers=call.headers)
    if method == "get":
        return client.get(call.url, headers=call.headers)
    body = "" if call.json is None else json.dumps(call.json)
    return client.generic(
        method.upper(), call.url, body, content_type="application/json", headers=call.headers
    )


def _openapi_path(route: str) -> str:
    """« api/sessions/<session_id> » (URLconf) → « /api/sessions/{session_id} » (schema)."""
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)


def _routes(resolver: URLResolver, prefix: str = "") -> list[str]:
    """Every route of the URLconf, regular-expression ones included."""
    routes = []
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            routes += _routes(entry, route)
        elif isinstance(entry, URLPattern):
            routes.append(route)
    return routes


def _schema_operations() -> set[tuple[str, str]]:
    schema = api.get_openapi_schema()
    return {
        (method, path)
        for path, item in schema["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    }


def _snapshot() -> tuple:
    """What any page or operation could change (each write also leaves an audit row)."""
    return (
        AuditEvent.objects.count(),
        StudentLevel.objects.count(),
        SessionRecord.objects.count(),
        InvigilatorAccess.objects.count(),
        Note.objects.count(),
        Answer.objects.count(),
        User.objects.count(),
        list(
            ExamSession.objects.order_by("pk").values_list(
                "pk", "room", "finalized_at", "published_at", "assigned_officer"
            )
        ),
        list(
            Candidate.objects.order_by("pk").values_list(
                "pk", "first_name", "user", "authorized_to_start_at", "instructions_accepted_at"
            )
        ),
        list(
            CertificationCourse.objects.order_by("pk").values_list(
                "pk", "status", "run_token_hash", "current_item_id", "added_time", "suspended_since"
            )
        ),
        list(RoomSuspension.objects.order_by("pk").values_list("pk", "ended_at")),
        list(MessageReceipt.objects.order_by("pk").values_list("pk", "read_at")),
        list(LiveAlert.objects.order_by("pk").values_list("pk", "status")),
        list(IssueReport.objects.order_by("pk").values_list("pk", "resolved_at")),
        list(Certificate.objects.order_by("pk").values_list("pk", "visibility")),
    )


def _check(response, outcome: Outcome, *, is_api: bool) -> None:
    location = response.get("Location", "")
    if outcome == ALLOWED:
        assert response.status_code < 400, response.content[:500]
        assert not location.startswith(LOGIN_PAGES), location
    elif outcome == LOGIN and is_api:
        assert response.status_code == 401
    elif outcome == LOGIN:
        assert response.status_code == 302
        assert location.startswith("/compte/connexion/?next="), location
    else:
        assert response.status_code == outcome, response.content[:500]


# --- Every route has an entry ----------------------------------------------------------------


def test_it_has_an_entry_for_every_url_pattern():
    """Pages of the URLconf ⇄ PAGES, both ways; the API's own routes are its operations and
    the Django admin is the one group « admin/ »."""
    operations = {path for _method, path in _schema_operations()}
    routes = {
        route
        for route in _routes(get_resolver())
        if not route.startswith("admin/") and _openapi_path(route) not in operations
    }
    listed = {route for _method, route in PAGES}

    assert sorted(routes - listed) == [], "pages without an entry in PAGES"
    assert sorted(listed - routes) == [], "entries of PAGES for routes that no longer exist"
    assert any(route.startswith("admin/") for route in _routes(get_resolver()))


def test_it_has_an_entry_for_every_api_operation():
    """Operations of the OpenAPI schema ⇄ OPERATIONS, both ways."""
    operations = _schema_operations()

    assert sorted(operations - set(OPERATIONS)) == [], "operations without an entry"
    assert sorted(set(OPERATIONS) - operations) == [], "entries for operations gone"


# --- The matrix ------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("key", list(MATRIX), ids=lambda key: f"{key[0].upper()} {key[1] or '/'}")
def test_it_gives_each_persona_its_expected_outcome(world, key, persona):
    """The call reaches the entry's route; the persona gets the outcome of the table, and a
    refused call changes nothing."""
    method, route = key
    entry = MATRIX[key]
    is_api = key in OPERATIONS
    call = entry.call(world)
    match = resolve(call.url.split("?")[0])
    assert (_openapi_path(match.route) if is_api else match.route) == route
    client = _client(world.users[persona])
    expected = entry.expect[persona]
    before = _snapshot()

    response = _send(client, method, call)

    _check(response, expected, is_api=is_api)
    if expected != ALLOWED:
        assert _snapshot() == before
    elif entry.done is not None:
        assert entry.done(world)


# --- The Espace Surveillant after the session ------------------------------------------------

# Every route of session A's Espace Surveillant (the pages, the state and every action), the
# entry into a session aside: the same calls as in the matrix, after the session.
ROOM_KEYS = [
    key
    for key in MATRIX
    if key[1].startswith(("surveillance/sessions/", "/api/invigilation/"))
    and key != ("post", "/api/invigilation/supervise")
]
# The live page's fragments answer a refused access with its status and reason (the page
# reloads itself and shows it), like the API, not with a redirect.
FRAGMENTS = {
    key
    for key in ROOM_KEYS
    if re.search(
        r"/(lignes|notes|terminer-temps-ecoule|candidats|signalements|suspendre|reprendre|message"
        r"|selection)/",
        key[1],
    )
}
NOT_SUPERVISABLE = (
    "Cette session n'est plus accessible : elle a été finalisée ou ses résultats sont traités."
)


def _refusal(response, *, is_api: bool, fragment: bool = False) -> tuple[int, str]:
    """(status, message) of a refusal: the API's detail, a fragment's text, or the message a
    page redirected to « Surveiller une session » with."""
    if is_api:
        return response.status_code, response.json()["detail"]
    if fragment:
        return response.status_code, response.content.decode()
    assert response.status_code == 302 and response["Location"] == "/surveillance/"
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert len(messages) == 1, messages
    return 302, messages[0]


def test_it_lists_every_route_of_the_espace_surveillant_after_the_session():
    # 9 pages (issue 15's PV de fraude; issue 16's « Affichage salle » and its content, the
    # readiness board and the closing checklist), the state and 20 actions (a centre member's
    # « Surveiller cette session » is one page and one action; issue 15's incidents are 7: add
    # time, suspend and resume the session, suspend and resume one test, send a message,
    # evidence into the PV; issue 16's claim on an alert and the access code shown as a page
    # and an operation), and the live page's 24 fragments (its rows, 10 actions, the claim
    # and the evidence into the PV; issue 15's 7: add time, suspend, resume and a message for
    # one candidate, suspend, resume and a message for the room; the 4 of a selection:
    # confirm the presences, add time, a message, end the tests)
    assert len(ROOM_KEYS) == 9 + 1 + 20 + 24
    assert len(FRAGMENTS) == 11 + 2 + 7 + 4


@pytest.mark.django_db
@pytest.mark.parametrize("key", ROOM_KEYS, ids=lambda key: f"{key[0].upper()} {key[1]}")
def test_it_ends_the_invigilator_access_the_morning_after_the_session(world, key):
    """06:00 the day after session A in the centre's time zone (`supervision_ends_at`): the
    invigilator who entered A's password is refused (403, or back to « Surveiller une
    session » with the reason) and changes nothing; the centre admin, a member, still may."""
    method, _route = key
    is_api = key in OPERATIONS
    call = MATRIX[key].call(world)
    end = world.a.session.supervision_ends_at
    with time_machine.travel(end, tick=False):
        before = _snapshot()
        fragment = key in FRAGMENTS
        status, message = _refusal(
            _send(_client(world.users[INVIGILATOR]), method, call),
            is_api=is_api,
            fragment=fragment,
        )
        assert status == (403 if is_api or fragment else 302)
        assert message.startswith("Votre accès à l'Espace Surveillant de cette session a pris fin")
        assert _snapshot() == before
        _check(_send(_client(world.users[CENTRE_ADMIN]), method, call), ALLOWED, is_api=is_api)


@pytest.mark.django_db
@pytest.mark.parametrize("key", ROOM_KEYS, ids=lambda key: f"{key[0].upper()} {key[1]}")
def test_it_closes_the_espace_surveillant_of_a_finalized_session(world, key):
    """Once A is finalized, its invigilator and the centre admin alike are refused (412, or
    back to « Surveiller une session » with the reason), reads included, and change nothing."""
    method, _route = key
    is_api = key in OPERATIONS
    call = MATRIX[key].call(world)
    ExamSession.objects.filter(pk=world.a.session.pk).update(finalized_at=timezone.now())
    for persona in (INVIGILATOR, CENTRE_ADMIN):
        before = _snapshot()
        response = _send(_client(world.users[persona]), method, call)
        fragment = key in FRAGMENTS
        assert _refusal(response, is_api=is_api, fragment=fragment) == (
            412 if is_api or fragment else 302,
            NOT_SUPERVISABLE,
        )
        assert _snapshot() == before


# --- Django's admin: staff only --------------------------------------------------------------

# What a staff user without any admin permission (the jury) may open: pages that show no data.
ADMIN_STAFF_PAGES = {
    "admin/",
    "admin/password_change/",
    "admin/password_change/done/",
    "admin/jsi18n/",
}
# What a superuser cannot open either: autocomplete needs a field to complete, Vigie's users
# have no public page to « view on site », and the catch-all is the admin's 404.
ADMIN_NOWHERE = {"admin/autocomplete/", "admin/r/<path:content_type_id>/<path:object_id>/"}


def _admin_urls() -> dict[str, str]:
    """Every admin route → a URL on an existing object of its model."""
    urls = {}
    for route in _routes(get_resolver()):
        if not route.startswith("admin/"):
            continue
        path = route.removeprefix("admin/")
        on_model = re.match(r"(\w+)/(\w+)/<", path)
        model = apps.get_model(*on_model.groups()) if on_model else User
        pk = str(model.objects.order_by("pk").values_list("pk", flat=True)[0])
        path = re.sub(r"^\^\(\?P<app_label>(\w+)[^)]*\)/\$$", r"\1/", path)
        path = path.replace("(?P<url>.*)$", "nulle-part/")
        path = path.replace(
            "<path:content_type_id>", str(ContentType.objects.get_for_model(User).pk)
        )
        path = path.replace("<path:object_id>", pk).replace("<id>", pk)
        assert "<" not in path and "(" not in path, route
        urls[route] = "/admin/" + path
    return urls


@pytest.mark.django_db
@pytest.mark.parametrize("persona", [*PERSONAS, SUPERUSER])
def test_it_keeps_the_django_admin_for_staff(world, persona):
    """« admin/ », one entry for all of Django's admin: its log-in page for anyone; every
    other route sends non-staff users to it, shows the jury (staff without admin
    permissions) no data, and lets a superuser in."""
    Group.objects.create(name="Jury")
    user = world.users[persona]
    urls = _admin_urls()
    assert len(urls) >= 20
    for route, url in urls.items():
        client = _client(user)  # afresh: the log-out route ends the session
        response = client.post(url) if route == "admin/logout/" else client.get(url)
        status, location = response.status_code, response.get("Location", "")
        if route in ("admin/login/", "admin/logout/"):
            assert status < 400, (route, status)
        elif user is None or not user.is_staff:
            assert status == 302 and location.startswith("/admin/login/?next="), (route, status)
        elif not user.is_superuser and route in ADMIN_STAFF_PAGES:
            assert status == 200, (route, status)
        elif route in ADMIN_NOWHERE or route.endswith("(?P<url>.*)$"):
            assert status in (403, 404), (route, status)
        elif not user.is_superuser and route.endswith("/<path:object_id>/"):
            assert status == 302 and location.endswith("/change/"), (route, status)  # then 403
        elif not user.is_superuser:
            assert status in (403, 404), (route, status)
        else:
            assert status in (200, 302), (route, status)
            assert not location.startswith("/admin/login/"), (route, location)
