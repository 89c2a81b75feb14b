"""Security: Content-Security-Policy, lock-outs after repeated failures, CSRF on every
write, no secret in the logs, production cookies and HSTS, HTML injection kept as text.

Personas: the centre admin, an invigilator, the candidate persona; the attacker is whoever
keeps guessing (locked out), posts without a CSRF token (403) or names a candidate like an
HTML tag (printed as text).
"""

import datetime as dt
import html
import io
import json
import logging
import re
import subprocess
import sys

import pypdf
import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern
from django.utils import timezone, translation

from accounts.models import User
from accounts.ratelimit import SCHOOL_ADDRESS_LIMIT
from certification import actions
from certification.models import CertificationCourse
from invigilation.models import InvigilatorAccess
from tests.factories import PASSWORD, CandidateFactory, UserFactory
from vigie.middleware import CONTENT_SECURITY_POLICY

# The personas' passwords are not under test: hashed quickly (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("fast_password_hashing")

LOGIN_LOCKED = "Trop de tentatives de connexion. Réessayez dans 15 minutes."
JOIN_LOCKED = (
    "Trop de tentatives pour rejoindre une session. Pour votre sécurité, réessayez dans 15 minutes."
)
CODE_LOCKED = "Trop de codes d'accès erronés. Pour votre sécurité, réessayez dans 15 minutes."
INJECTED = "<img src=x onerror=alert(1)>"
SESSION_PASSWORD = "BCDF-GHJK-MNPQ"
CSRF_REFUSED = (
    "Requête refusée : elle ne vient pas d'une page de Vigie, ou la page a expiré. "
    "Rechargez la page et réessayez."
)
CSRF_REFUSED_EN = (
    "Request refused: it does not come from a Vigie page, or the page has expired. "
    "Reload the page and try again."
)
CSRF_REFUSED_JSON = {"detail": CSRF_REFUSED, "code": "csrf_failed"}

# API operations that are meant to be called without an account. Their writes need the CSRF
# token all the same (a cross-site sign-up would log the victim's browser in to the
# attacker's account): the list is here so a new one is reviewed.
UNAUTHENTICATED_OPERATIONS = {
    ("post", "/api/accounts/register"),
    ("post", "/api/accounts/register/activate"),
    ("get", "/api/results/verify/{code}"),
}


def _page_text(response) -> str:
    return html.unescape(response.content.decode())


# --- Content-Security-Policy -----------------------------------------------------------------


@pytest.mark.django_db
def test_it_sends_a_strict_policy_with_every_html_page(login, client, centre_admin, exam_session):
    """Anonymous and member pages carry the policy; it allows no inline script or style."""
    pages = [client.get("/compte/connexion/"), client.get("/compte/inscription/")]
    member = login(centre_admin)
    pages += [member.get(f"/sessions/{exam_session.pk}/"), member.get("/", follow=True)]

    for page in pages:
        assert page.status_code == 200
        assert page["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        body = page.content.decode()
        inline = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", body)
        assert inline == [], inline
        assert " style=" not in body
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY


@pytest.mark.django_db
def test_it_keeps_the_sandbox_policy_of_a_simulator_and_leaves_json_alone(
    login, small_bank, settings, candidate_user
):
    """A simulator keeps its own sandbox policy; JSON answers get no page policy."""
    from pathlib import Path

    (Path(settings.ITEM_BANK_DIR) / "media" / "sim.html").write_text(
        "<!doctype html><p>Simulateur</p>", encoding="utf-8"
    )
    client = login(candidate_user)

    simulator = client.get("/certification/media/sim.html")
    api = client.get("/api/accounts/me")

    assert simulator.status_code == 200
    assert simulator["Content-Security-Policy"].startswith("sandbox allow-scripts")
    assert api.status_code == 200
    assert "Content-Security-Policy" not in api


@pytest.mark.django_db
def test_it_serves_the_api_docs_from_its_own_files_under_the_same_policy(login, centre_admin):
    """/api/docs loads Swagger UI from Vigie's static files: the strict policy fits it."""
    docs = login(centre_admin).get("/api/docs")

    assert docs.status_code == 200
    assert docs["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    body = docs.content.decode()
    sources = re.findall(r'<script[^>]*src="([^"]+)"', body)
    assert sources and all(src.startswith("/static/") for src in sources)
    assert "cdn" not in body.lower()
    inline = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", body)
    assert inline == []


# --- Lock-outs -------------------------------------------------------------------------------


def _log_in(email: str, password: str, ip: str = "192.0.2.1"):
    return Client(REMOTE_ADDR=ip).post(
        "/compte/connexion/", {"username": email, "password": password}
    )


@pytest.mark.django_db
def test_it_locks_an_account_out_after_ten_failed_log_ins(centre_admin, invigilator):
    """The 11th log-in in 15 minutes is refused even with the right password, from anywhere."""
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for n in range(10):
            failed = _log_in("ADMIN@lycee.fr", "mauvais", ip=f"192.0.2.{n + 1}")
            assert "sont incorrects" in _page_text(failed)
        locked = _log_in(centre_admin.email, PASSWORD, ip="198.51.100.7")
        other = _log_in(invigilator.email, PASSWORD, ip="198.51.100.7")

    assert locked.status_code == 200
    assert LOGIN_LOCKED in _page_text(locked)
    assert "_auth_user_id" not in locked.client.session
    assert other.status_code == 302
    with time_machine.travel(start + dt.timedelta(minutes=14, seconds=59), tick=False):
        assert LOGIN_LOCKED in _page_text(_log_in(centre_admin.email, PASSWORD))
    with time_machine.travel(start + dt.timedelta(minutes=15, seconds=1), tick=False):
        assert _log_in(centre_admin.email, PASSWORD).status_code == 302


@pytest.mark.django_db
def test_it_locks_an_address_out_after_a_hundred_failed_log_ins_on_any_accounts(
    centre_admin, invigilator
):
    """A hundred failures (the per-address limit, fit for a school behind one address) on
    many e-mails from one address lock that address, not the others; ten do not
    (tests/test_lockouts.py)."""
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for n in range(SCHOOL_ADDRESS_LIMIT):
            _log_in(f"inconnu{n}@lycee.fr", "mauvais", ip="203.0.113.5")
        locked = _log_in(invigilator.email, PASSWORD, ip="203.0.113.5")
        elsewhere = _log_in(invigilator.email, PASSWORD, ip="203.0.113.6")

    assert LOGIN_LOCKED in _page_text(locked)
    assert elsewhere.status_code == 302
    with time_machine.travel(start + dt.timedelta(minutes=15, seconds=1), tick=False):
        assert _log_in(centre_admin.email, PASSWORD, ip="203.0.113.5").status_code == 302


def _join(client: Client, session, *, first_name="Léa", ip="192.0.2.1"):
    return client.post(
        "/api/certification/join",
        {
            "session_number": session.number,
            "first_name": first_name,
            "last_name": "Dupont",
            "birthdate": "2008-03-14",
        },
        content_type="application/json",
        REMOTE_ADDR=ip,
    )


@pytest.mark.django_db
def test_it_locks_joining_out_after_twenty_refusals_per_account(login, candidate, candidate_user):
    """20 refused joins in 15 minutes lock the account out, on the API and the page."""
    client = login(candidate_user)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for n in range(20):
            assert (
                _join(
                    client, candidate.session, first_name="Personne", ip=f"192.0.2.{n}"
                ).status_code
                == 404
            )
        locked = _join(client, candidate.session, ip="198.51.100.1")
        page = client.post(
            "/certification/rejoindre/",
            {
                "session_number": candidate.session.number,
                "first_name": "Léa",
                "last_name": "Dupont",
                "birthdate": "14/03/2008",
            },
            REMOTE_ADDR="198.51.100.2",
        )

    assert locked.status_code == 429
    assert locked.json() == {"detail": JOIN_LOCKED, "code": "too_many_attempts"}
    assert JOIN_LOCKED in _page_text(page)
    candidate.refresh_from_db()
    assert candidate.user_id is None
    with time_machine.travel(start + dt.timedelta(minutes=15, seconds=1), tick=False):
        assert _join(client, candidate.session).status_code == 200
    candidate.refresh_from_db()
    assert candidate.user_id == candidate_user.pk


@pytest.mark.django_db
def test_it_locks_joining_out_after_a_hundred_refusals_from_one_address(login, exam_session):
    """Refusals of several accounts from one address (5 × 20 = 100, the per-address limit)
    lock that address only."""
    lea = CandidateFactory(session=exam_session, first_name="Léa", last_name="Dupont")
    guessers = [login(UserFactory(certifiable=True)) for _ in range(5)]
    owner = login(UserFactory(certifiable=True))
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for guesser in guessers:
            for _ in range(20):
                refused = _join(guesser, exam_session, first_name="Personne", ip="203.0.113.9")
                assert refused.status_code == 404
        locked = _join(owner, exam_session, ip="203.0.113.9")
        elsewhere = _join(owner, exam_session, ip="203.0.113.10")

    assert locked.status_code == 429
    assert elsewhere.status_code == 200
    lea.refresh_from_db()
    assert lea.user_id is not None


def _start(client: Client, candidate, code: str):
    return client.post(
        f"/api/certification/candidates/{candidate.pk}/start",
        {"access_code": code},
        content_type="application/json",
    )


@pytest.mark.django_db
def test_it_locks_the_access_code_out_after_ten_wrong_codes(
    login, joined_candidate, candidate_user, invigilator
):
    """The 11th code in 15 minutes is refused even when right; the test does not start."""
    actions.do_confirm_presence(joined_candidate, actor=invigilator)
    client = login(candidate_user)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(10):
            wrong = _start(client, joined_candidate, "BCDF22")
            assert wrong.json()["code"] == "wrong_access_code"
        locked = _start(client, joined_candidate, joined_candidate.session.access_code)

    assert locked.status_code == 429
    assert locked.json() == {"detail": CODE_LOCKED, "code": "too_many_attempts"}
    assert not CertificationCourse.objects.exists()
    with time_machine.travel(start + dt.timedelta(minutes=14, seconds=59), tick=False):
        assert (
            _start(client, joined_candidate, joined_candidate.session.access_code).status_code
            == 429
        )
    with time_machine.travel(start + dt.timedelta(minutes=15, seconds=1), tick=False):
        started = _start(client, joined_candidate, joined_candidate.session.access_code)
    assert started.status_code == 200
    assert CertificationCourse.objects.filter(candidate=joined_candidate).count() == 1


# --- CSRF --------------------------------------------------------------------------------------


def _schema_operations(client: Client) -> list[tuple[str, str, dict]]:
    schema = client.get("/api/openapi.json").json()
    return [
        (method, path, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]


@pytest.mark.django_db
def test_it_refuses_every_api_write_without_a_csrf_token(login, centre_admin, exam_session):
    """Every POST/PUT/PATCH/DELETE of the schema, with or without an account (the operations
    declared `auth=None` included), answers 403 and a French JSON message to a cookie without
    a token."""
    schema_client = login(centre_admin)
    operations = _schema_operations(schema_client)
    unauthenticated = {(m, p) for m, p, op in operations if not op.get("security")}
    assert unauthenticated == UNAUTHENTICATED_OPERATIONS

    signed_in = Client(enforce_csrf_checks=True)
    signed_in.force_login(centre_admin)
    anonymous = Client(enforce_csrf_checks=True)
    writes = [(m, p) for m, p, _op in operations if m in {"post", "put", "patch", "delete"}]
    assert len(writes) >= 20
    assert ("post", "/api/accounts/register") in writes
    accepted = []
    for attacker in (signed_in, anonymous):
        for method, path in writes:
            url = re.sub(r"\{[^}]+\}", str(exam_session.pk), path)
            response = getattr(attacker, method)(url, "{}", content_type="application/json")
            if response.status_code != 403 or response.json() != CSRF_REFUSED_JSON:
                accepted.append((method, path, response.status_code, response.content[:80]))
    assert accepted == []

    # The same call with the token gets past the check (so the 403s above are CSRF's).
    signed_in.get(f"/sessions/{exam_session.pk}/")
    token = signed_in.cookies["csrftoken"].value
    note = signed_in.post(
        f"/api/invigilation/sessions/{exam_session.pk}/notes",
        {"text": "Salle calme."},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert note.status_code == 200


SIGN_UP = {
    "first_name": "Pirate",
    "last_name": "Roy",
    "email": "pirate@exemple.fr",
    "password": "Pirate-2026-Secret",
    "accept_terms": True,
}


@pytest.mark.django_db
def test_it_refuses_a_cross_site_sign_up_through_the_api():
    """Log-in CSRF: a foreign page posts a JSON body as text/plain (no preflight) to sign the
    candidate's browser up, and in, to the attacker's account. Refused: 403, French JSON, no
    account, no session cookie."""
    browser = Client(enforce_csrf_checks=True)
    response = browser.post(
        "/api/accounts/register",
        json.dumps(SIGN_UP),
        content_type="text/plain",
        HTTP_ORIGIN="https://attaquant.example",
    )

    assert response.status_code == 403
    assert response.json() == CSRF_REFUSED_JSON
    assert not User.objects.filter(email=SIGN_UP["email"]).exists()
    assert "sessionid" not in response.cookies
    assert mail.outbox == []


@pytest.mark.django_db
def test_it_refuses_a_cross_site_post_of_a_public_page_in_french():
    """The sign-up and log-in pages, posted from a foreign page: a 403 page saying why."""
    browser = Client(enforce_csrf_checks=True)
    form = {**SIGN_UP, "accept_terms": "on"}
    for url in ("/compte/inscription/", "/compte/connexion/"):
        response = browser.post(url, form, HTTP_ORIGIN="https://attaquant.example")
        assert response.status_code == 403
        assert CSRF_REFUSED in _page_text(response)
        assert response["Content-Type"].startswith("text/html")
    assert not User.objects.filter(email=SIGN_UP["email"]).exists()
    with translation.override("en"):
        english = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en").post(
            "/api/accounts/register", "{}", content_type="application/json"
        )
    assert english.status_code == 403
    assert english.json()["detail"] == CSRF_REFUSED_EN


def _url_patterns(resolver: URLResolver, prefix: str = "") -> list[str]:
    """Every route of the URLconf written as a path route (Django's admin also has two
    regular-expression routes, its app index and catch-all: they are left out)."""
    routes = []
    for entry in resolver.url_patterns:
        if isinstance(entry.pattern, RegexPattern):
            continue
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            routes += _url_patterns(entry, route)
        elif isinstance(entry, URLPattern):
            routes.append(route)
    return routes


# Routes that take a POST from another site by design, each with why it is safe.
CSRF_EXEMPT = {
    # The SAML HTTP-POST binding: the identity provider's page posts the answer. The route
    # only shows a Vigie page that posts it on, with a CSRF token, to saml_continue, where
    # the answer must answer a request of this very session (tests/test_saml.py).
    "compte/saml/<slug:key>/acs/",
}


@pytest.mark.django_db
def test_it_refuses_every_form_post_without_a_csrf_token(centre_admin, exam_session, candidate):
    """Every page of the URLconf (admin included) answers 403 and a French page to a POST
    without a token, signed in or not (sign-up, log-in and password reset included)."""
    attacker = Client(enforce_csrf_checks=True)
    attacker.force_login(centre_admin)
    anonymous = Client(enforce_csrf_checks=True)
    routes = [
        r
        for r in _url_patterns(get_resolver())
        if not r.startswith("api/") and r not in CSRF_EXEMPT
    ]
    assert len(routes) >= 30
    assert {"compte/inscription/", "compte/connexion/", "compte/mot-de-passe/"} <= set(routes)
    accepted = []
    for client in (attacker, anonymous):
        for route in routes:
            path = re.sub(r"<id:[^>]+>", str(candidate.pk), route)
            path = re.sub(r"<[^>]+>", "x", path)
            response = client.post("/" + path, {"first_name": "Pirate"})
            if response.status_code != 403 or CSRF_REFUSED not in _page_text(response):
                accepted.append((route, response.status_code))
    assert accepted == []
    candidate.refresh_from_db()
    assert candidate.first_name == "Léa"

    # With the token, the same kind of post reaches the view.
    attacker.get(f"/sessions/{exam_session.pk}/")
    edit = attacker.post(
        f"/candidats/{candidate.pk}/modifier/",
        {"csrfmiddlewaretoken": attacker.cookies["csrftoken"].value},
    )
    assert edit.status_code != 403


# --- Secrets and production settings -----------------------------------------------------------


@pytest.mark.django_db
def test_it_writes_no_secret_to_the_logs(
    login, caplog, small_bank, joined_candidate, candidate_user
):
    """Session password, access code and account passwords never reach a log record."""
    session = joined_candidate.session
    session.invigilator_password = SESSION_PASSWORD
    session.save(update_fields=["invigilator_password_encrypted"])
    invigilator = UserFactory()
    secrets = [
        SESSION_PASSWORD,
        session.access_code,
        PASSWORD,
        "Nouveau-Secret-2026",
        "Faux1234Mot",
    ]
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django")

    room = login(invigilator)
    for password in ("Faux1234Mot", SESSION_PASSWORD):
        room.post(
            "/api/invigilation/supervise",
            {"session_number": session.number, "password": password},
            content_type="application/json",
        )
    actions.do_confirm_presence(joined_candidate, actor=invigilator)
    student = login(candidate_user)
    _start(student, joined_candidate, "BCDF22")
    started = _start(student, joined_candidate, session.access_code)
    _log_in(invigilator.email, "Faux1234Mot")
    logged_in = _log_in(invigilator.email, PASSWORD)
    registered = Client().post(
        "/api/accounts/register",
        {
            "first_name": "Nina",
            "last_name": "Roy",
            "email": "nina@lycee.fr",
            "password": "Nouveau-Secret-2026",
            "accept_terms": True,
        },
        content_type="application/json",
    )
    Client().post(
        "/api/accounts/register",
        {"first_name": "", "last_name": "", "email": "x", "password": "Faux1234Mot"},
        content_type="application/json",
    )
    link_token = re.search(r"/compte/inscription/activer/([^/]+)/", mail.outbox[-1].body)[1]
    secrets.append(link_token)
    activated = Client().post(
        "/api/accounts/register/activate",
        {"token": link_token},
        content_type="application/json",
    )

    assert activated.status_code == 201
    assert InvigilatorAccess.objects.filter(user=invigilator).exists()
    assert started.status_code == 200
    assert logged_in.status_code == 302
    assert registered.status_code == 202
    assert caplog.records, "nothing was logged: the capture would prove nothing"
    for record in caplog.records:
        text = record.getMessage() + (record.exc_text or "") + repr(record.__dict__)
        for secret in secrets:
            assert secret.lower() not in text.lower(), (record.name, record.getMessage())


def test_it_sets_secure_cookies_and_hsts_when_debug_is_off():
    """Production settings: cookies only over HTTPS, HSTS for a year, the CSP middleware on."""
    program = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY,"
        " s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS,"
        " 'vigie.middleware.ContentSecurityPolicyMiddleware' in s.MIDDLEWARE]))"
    )
    env = {"DJANGO_SETTINGS_MODULE": "vigie.settings", "PATH": ""}
    production = subprocess.run(  # noqa: S603 - our own interpreter and program
        [sys.executable, "-c", program],
        env={**env, "DEBUG": "false", "SECRET_KEY": "x" * 50},
        capture_output=True,
        text=True,
        check=False,
    )
    development = subprocess.run(  # noqa: S603
        [sys.executable, "-c", program], env=env, capture_output=True, text=True, check=False
    )

    assert production.returncode == 0, production.stderr
    assert json.loads(production.stdout.strip().splitlines()[-1]) == [
        True,
        True,
        True,
        31536000,
        True,
        True,
    ]
    assert json.loads(development.stdout.strip().splitlines()[-1])[:2] == [False, False]


# --- HTML injection ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_keeps_a_candidate_named_like_an_html_tag_as_text(login, centre_admin, exam_session):
    """Centre page, invigilation state and attendance sheet print the name, never the tag."""
    admin = login(centre_admin)
    enrolled = admin.post(
        f"/api/sessions/{exam_session.pk}/candidates",
        {
            "first_name": "Eve",
            "last_name": INJECTED,
            "birthdate": "2008-03-14",
            "sex": "F",
            "birth_city": "Lyon",
            "birth_postal_code": "69001",
        },
        content_type="application/json",
    )
    assert enrolled.status_code == 201, enrolled.content

    page = admin.get(f"/sessions/{exam_session.pk}/").content.decode()
    state = admin.get(f"/api/invigilation/sessions/{exam_session.pk}/state")
    sheet = admin.get(f"/sessions/{exam_session.pk}/documents/feuille-emargement.pdf")
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(sheet.getvalue())).pages)

    assert "<img" not in page.lower()
    assert html.escape(INJECTED.upper()) in page or html.escape(INJECTED) in page
    assert state.status_code == 200
    names = json.dumps(state.json())
    assert "onerror" in names.lower()  # plain data: the page sets it with textContent
    assert INJECTED.upper() in " ".join(text.upper().split())
    outsider = Client()
    outsider.force_login(UserFactory())
    assert outsider.get(f"/sessions/{exam_session.pk}/").status_code == 404
