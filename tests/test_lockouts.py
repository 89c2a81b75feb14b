"""Lock-outs: the Django admin's log-in, the password-reset request, sign-up, a school behind
one address, and simultaneous attempts.

Personas: a staff member (the jury) logs in to the admin; the centre admin asks for a new
password; invigilators and candidates of one school share its address (NAT). The attacker
keeps guessing the jury's password on the admin, keeps asking for reset or sign-up e-mails
(to flood an inbox or to find out which addresses have an account), or sends 40 guesses at
the same instant: locked out, without learning whether an account exists, and no more than
the limit's worth of checks. The school is never locked out by a few people's typing
mistakes.
"""

import datetime as dt
import html
import re
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone, translation

from accounts import ratelimit
from accounts.forms import LOGIN_LOCKED, RESET_LOCKED
from accounts.models import RateLimitCounter
from accounts.ratelimit import SCHOOL_ADDRESS_LIMIT
from certification import actions as journey
from certification.models import CertificationCourse
from invigilation import actions as room
from invigilation.models import InvigilatorAccess
from tests.concurrency import race
from tests.factories import PASSWORD, CandidateFactory, UserFactory

# The personas' passwords are not under test: hashed quickly (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("fast_password_hashing")

ADMIN_LOGIN = "/admin/login/?next=/admin/"
RESET = "/compte/mot-de-passe/"
LOCKED = "Trop de tentatives de connexion. Réessayez dans 15 minutes."
RESET_LOCKED_FR = "Trop de demandes de réinitialisation du mot de passe. Réessayez dans 15 minutes."
SIGN_UP_LOCKED = "Trop de demandes d'inscription. Réessayez dans 15 minutes."
SUPERVISE_LOCKED = (
    "Trop de tentatives de connexion à une session. Pour votre sécurité, réessayez dans 15 minutes."
)
CODE_LOCKED = "Trop de codes d'accès erronés. Pour votre sécurité, réessayez dans 15 minutes."
SESSION_PASSWORD = "BCDF-GHJK-MNPQ"
SCHOOL = "203.0.113.50"  # one address for a whole school (NAT)


def _text(response) -> str:
    return html.unescape(response.content.decode())


def _admin_log_in(email: str, password: str, ip: str = "192.0.2.1"):
    return Client(REMOTE_ADDR=ip).post(ADMIN_LOGIN, {"username": email, "password": password})


def _ask_reset(email: str, ip: str = "192.0.2.1"):
    return Client(REMOTE_ADDR=ip).post(RESET, {"email": email})


# --- The Django admin's log-in ------------------------------------------------------------------


@pytest.mark.django_db
def test_it_locks_the_admin_log_in_out_after_ten_failures(jury):
    """The 11th admin log-in in 15 minutes is refused even with the right password, from any
    address, until the 15 minutes have passed."""
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for n in range(10):
            failed = _admin_log_in("JURY@vigie.fr", "mauvais", ip=f"192.0.2.{n + 1}")
            assert failed.status_code == 200
            assert LOCKED not in _text(failed)
        locked = _admin_log_in(jury.email, PASSWORD, ip="198.51.100.7")

    assert locked.status_code == 200
    assert LOCKED in _text(locked)
    assert "_auth_user_id" not in locked.client.session
    with time_machine.travel(start + dt.timedelta(minutes=14, seconds=59), tick=False):
        assert LOCKED in _text(_admin_log_in(jury.email, PASSWORD))
    with time_machine.travel(start + dt.timedelta(minutes=15, seconds=1), tick=False):
        opened = _admin_log_in(jury.email, PASSWORD)
    assert opened.status_code == 302
    assert opened["Location"] == "/admin/"


@pytest.mark.django_db
def test_it_shares_the_lock_out_between_the_site_and_the_admin(jury, centre_admin):
    """Failures on the site's log-in lock the admin's, and the other way round."""
    with time_machine.travel(timezone.now(), tick=False):
        for _ in range(10):
            Client(REMOTE_ADDR="203.0.113.1").post(
                "/compte/connexion/", {"username": jury.email, "password": "mauvais"}
            )
        admin_side = _admin_log_in(jury.email, PASSWORD, ip="203.0.113.2")
        for _ in range(10):
            _admin_log_in(centre_admin.email, "mauvais", ip="203.0.113.3")
        site_side = Client(REMOTE_ADDR="203.0.113.4").post(
            "/compte/connexion/", {"username": centre_admin.email, "password": PASSWORD}
        )

    assert LOCKED in _text(admin_side)
    assert LOCKED in _text(site_side)
    assert "_auth_user_id" not in site_side.client.session


@pytest.mark.django_db
def test_it_counts_a_non_staff_account_on_the_admin_as_a_failure(centre_admin, jury):
    """A right password of a non-staff account does not open the admin and counts: ten of
    them lock that account out, on the site too; the staff member on the same address (a
    school's) still gets in."""
    with time_machine.travel(timezone.now(), tick=False):
        refused = [_admin_log_in(centre_admin.email, PASSWORD, ip="203.0.113.9") for _ in range(10)]
        locked = _admin_log_in(centre_admin.email, PASSWORD, ip="203.0.113.9")
        site = Client(REMOTE_ADDR="203.0.113.10").post(
            "/compte/connexion/", {"username": centre_admin.email, "password": PASSWORD}
        )
        staff = _admin_log_in(jury.email, PASSWORD, ip="203.0.113.9")

    assert all(r.status_code == 200 and LOCKED not in _text(r) for r in refused)
    assert LOCKED in _text(locked)
    assert LOCKED in _text(site)
    assert staff.status_code == 302


# --- Password reset ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_stops_sending_reset_emails_after_five_requests_for_one_address(centre_admin):
    """Five e-mails in 15 minutes for one address; the 6th request, from anywhere, sends
    nothing and says to retry later; 15 minutes on, it works again."""
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        sent = [_ask_reset(centre_admin.email.upper(), ip=f"192.0.2.{n}") for n in range(5)]
        locked = _ask_reset(centre_admin.email, ip="198.51.100.1")

    assert [r.status_code for r in sent] == [302] * 5
    assert len(mail.outbox) == 5
    assert locked.status_code == 200
    assert RESET_LOCKED_FR in _text(locked)
    assert len(mail.outbox) == 5
    with time_machine.travel(start + dt.timedelta(minutes=14, seconds=59), tick=False):
        assert RESET_LOCKED_FR in _text(_ask_reset(centre_admin.email, ip="198.51.100.2"))
    with time_machine.travel(start + dt.timedelta(minutes=15, seconds=1), tick=False):
        again = _ask_reset(centre_admin.email, ip="198.51.100.3")
    assert again.status_code == 302
    assert again["Location"] == "/compte/mot-de-passe/envoye/"
    assert len(mail.outbox) == 6


@pytest.mark.django_db
def test_it_locks_out_an_address_with_and_without_an_account_alike(centre_admin):
    """The lock-out page is the same for an address with an account and one without: it
    tells nothing about which addresses have an account."""
    with time_machine.travel(timezone.now(), tick=False):
        for _ in range(5):
            _ask_reset(centre_admin.email)
            _ask_reset("inconnu@lycee.fr")
        with_account = _ask_reset(centre_admin.email)
        without_account = _ask_reset("inconnu@lycee.fr")

    def page(response) -> str:
        body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", _text(response))
        return body.replace(centre_admin.email, "…").replace("inconnu@lycee.fr", "…")

    assert RESET_LOCKED_FR in _text(with_account)
    assert with_account.status_code == without_account.status_code == 200
    assert page(with_account) == page(without_account)
    assert len(mail.outbox) == 5  # the unknown address never got one


@pytest.mark.django_db
def test_it_locks_reset_requests_out_after_a_hundred_from_one_address(centre_admin, invigilator):
    """A hundred requests (the per-address limit, fit for a school) from one address on any
    e-mails lock that address, not the others."""
    with time_machine.travel(timezone.now(), tick=False):
        for n in range(SCHOOL_ADDRESS_LIMIT):
            _ask_reset(f"essai{n}@lycee.fr", ip="203.0.113.5")
        locked = _ask_reset(invigilator.email, ip="203.0.113.5")
        elsewhere = _ask_reset(invigilator.email, ip="203.0.113.6")

    assert RESET_LOCKED_FR in _text(locked)
    assert elsewhere.status_code == 302
    assert [m.to for m in mail.outbox] == [[invigilator.email]]


def test_it_translates_the_lock_out_messages():
    """French first, English second."""
    with translation.override("en"):
        assert str(LOGIN_LOCKED) == "Too many login attempts. Try again in 15 minutes."
        assert str(RESET_LOCKED) == "Too many password reset requests. Try again in 15 minutes."
    with translation.override("fr"):
        assert str(LOGIN_LOCKED) == LOCKED
        assert str(RESET_LOCKED) == RESET_LOCKED_FR


@pytest.mark.django_db
def test_it_forgets_counters_ended_over_a_day_ago_but_keeps_the_lock_out_window():
    """`purge_ratelimits` (daily cron): counters whose window ended over a day ago go, a
    running one still locks out."""
    now = timezone.now()
    with time_machine.travel(now - dt.timedelta(days=2), tick=False):
        for n in range(3):
            ratelimit.take([ratelimit.Rule(f"login:ip:10.0.0.{n}", 1)])
    with time_machine.travel(now - dt.timedelta(minutes=5), tick=False):
        assert ratelimit.take([ratelimit.Rule("login:ip:10.0.0.9", 1)])
    out = StringIO()
    with time_machine.travel(now, tick=False):
        call_command("purge_ratelimits", stdout=out)
        assert not ratelimit.take([ratelimit.Rule("login:ip:10.0.0.9", 1)])

    assert "3 compteurs de tentatives anciens supprimés" in out.getvalue()
    assert list(RateLimitCounter.objects.values_list("key", flat=True)) == ["login:ip:10.0.0.9"]


@pytest.mark.django_db
def test_it_counts_an_e_mail_longer_than_the_counter_s_key_without_error(centre_admin):
    """A 300-character e-mail typed at log-in or reset is refused or answered like any
    other, and still counted on its own (a server error before, on PostgreSQL)."""
    long_email = "a" * 290 + "@lycee.fr"
    twin = "a" * 289 + "b@lycee.fr"  # same start: a different count
    with time_machine.travel(timezone.now(), tick=False):
        for _ in range(10):
            failed = Client().post("/compte/connexion/", {"username": long_email, "password": "x"})
            assert failed.status_code == 200 and LOCKED not in _text(failed)
        locked = Client().post("/compte/connexion/", {"username": long_email, "password": "x"})
        other = Client().post("/compte/connexion/", {"username": twin, "password": "x"})
        reset = Client().post(RESET, {"email": long_email})

    assert LOCKED in _text(locked)
    assert LOCKED not in _text(other)
    assert reset.status_code in (200, 302)


# --- A school behind one address ----------------------------------------------------------------


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def room_session(exam_session):
    exam_session.invigilator_password = SESSION_PASSWORD
    exam_session.save(update_fields=["invigilator_password_encrypted"])
    return exam_session


def _supervise(client: Client, session, password: str, ip: str = SCHOOL):
    return client.post(
        "/api/invigilation/supervise",
        {"session_number": session.number, "password": password},
        content_type="application/json",
        REMOTE_ADDR=ip,
    )


@pytest.mark.django_db
def test_it_lets_a_school_s_invigilators_in_after_ten_of_them_mistyped(room_session):
    """Ten invigilators of one school each mistype the session password once (ten failures
    from the school's address): the eleventh still gets in. Each account keeps its own
    strict limit: ten failures lock that invigilator out, from any address."""
    with time_machine.travel(timezone.now(), tick=False):
        for _ in range(10):
            assert _supervise(_signed_in(UserFactory()), room_session, "NOPE").status_code == 403
        eleventh = UserFactory()
        entered = _supervise(_signed_in(eleventh), room_session, SESSION_PASSWORD)
        clumsy = _signed_in(UserFactory())
        for _ in range(10):
            _supervise(clumsy, room_session, "NOPE", ip="198.51.100.1")
        locked = _supervise(clumsy, room_session, SESSION_PASSWORD, ip="198.51.100.2")

    assert entered.status_code == 200
    assert InvigilatorAccess.objects.filter(user=eleventh).exists()
    assert locked.status_code == 429
    assert locked.json()["detail"] == SUPERVISE_LOCKED


@pytest.mark.django_db
def test_it_lets_a_school_log_in_after_ten_pupils_mistyped(centre_admin):
    """Ten pupils mistype their password from the school's address: the next one logs in."""
    pupils = [UserFactory() for _ in range(10)]
    with time_machine.travel(timezone.now(), tick=False):
        for pupil in pupils:
            failed = Client(REMOTE_ADDR=SCHOOL).post(
                "/compte/connexion/", {"username": pupil.email, "password": "mauvais"}
            )
            assert "sont incorrects" in _text(failed)
        logged_in = Client(REMOTE_ADDR=SCHOOL).post(
            "/compte/connexion/", {"username": centre_admin.email, "password": PASSWORD}
        )

    assert logged_in.status_code == 302


@pytest.mark.django_db
def test_it_lets_a_school_join_after_twenty_refusals(exam_session):
    """Twenty refused joins from the school's address (four pupils mistyping their birth
    name five times each): the next pupil joins."""
    lea = CandidateFactory(session=exam_session, first_name="Léa", last_name="Dupont")
    join = {"session_number": exam_session.number, "last_name": "Dupont"}
    with time_machine.travel(timezone.now(), tick=False):
        for _ in range(4):
            pupil = _signed_in(UserFactory(certifiable=True))
            for _ in range(5):
                refused = pupil.post(
                    "/api/certification/join",
                    {**join, "first_name": "Lea-Marie", "birthdate": "2008-03-14"},
                    content_type="application/json",
                    REMOTE_ADDR=SCHOOL,
                )
                assert refused.status_code == 404
        joined = _signed_in(UserFactory(certifiable=True)).post(
            "/api/certification/join",
            {**join, "first_name": "Léa", "birthdate": "2008-03-14"},
            content_type="application/json",
            REMOTE_ADDR=SCHOOL,
        )

    assert joined.status_code == 200
    lea.refresh_from_db()
    assert lea.user_id is not None


@pytest.mark.django_db
def test_it_sends_a_school_its_reset_e_mails_after_twenty_requests(centre_admin):
    """Twenty pupils ask for a new password from the school's address: the next one still
    gets the e-mail."""
    with time_machine.travel(timezone.now(), tick=False):
        for n in range(20):
            _ask_reset(f"eleve{n}@lycee.fr", ip=SCHOOL)
        again = _ask_reset(centre_admin.email, ip=SCHOOL)

    assert again.status_code == 302
    assert [m.to for m in mail.outbox] == [[centre_admin.email]]


def _candidate_with_account(session, n: int, *, present: bool = False):
    user = UserFactory(certifiable=True)
    candidate = CandidateFactory(session=session, last_name=f"Eleve{n}", user=user)
    if present:
        journey.do_confirm_presence(candidate, actor=UserFactory())
    return candidate, _signed_in(user)


def _start(client: Client, candidate, code: str, ip: str = SCHOOL):
    return client.post(
        f"/api/certification/candidates/{candidate.pk}/start",
        {"access_code": code},
        content_type="application/json",
        REMOTE_ADDR=ip,
    )


@pytest.mark.django_db
def test_it_locks_the_access_code_out_per_address_too(exam_session):
    """One machine trying codes with many accounts (10 × 10 wrong codes, the per-address
    limit) locks its address: the next account is refused there even with the right code,
    and starts from another address."""
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for n in range(10):
            candidate, client = _candidate_with_account(exam_session, n)
            for _ in range(10):
                assert _start(client, candidate, "BCDF22").json()["code"] == "wrong_access_code"
        candidate, client = _candidate_with_account(exam_session, 99, present=True)
        locked = _start(client, candidate, exam_session.access_code)
        elsewhere = _start(client, candidate, exam_session.access_code, ip="198.51.100.3")

    assert locked.status_code == 429
    assert locked.json() == {"detail": CODE_LOCKED, "code": "too_many_attempts"}
    assert elsewhere.status_code == 200
    assert CertificationCourse.objects.filter(candidate=candidate).count() == 1


@pytest.mark.django_db
def test_it_lets_a_school_start_after_twenty_wrong_codes(exam_session):
    """Two pupils of one school mistype the code ten times each (each is locked): a third
    one, on the same address, starts."""
    with time_machine.travel(timezone.now(), tick=False):
        for n in range(2):
            candidate, client = _candidate_with_account(exam_session, n)
            for _ in range(10):
                _start(client, candidate, "BCDF22")
            assert _start(client, candidate, exam_session.access_code).status_code == 429
        candidate, client = _candidate_with_account(exam_session, 3, present=True)
        started = _start(client, candidate, exam_session.access_code)

    assert started.status_code == 200


# --- Sign-up ----------------------------------------------------------------------------------


def _sign_up(email: str, ip: str = "192.0.2.1", *, api: bool = False):
    data = {
        "first_name": "Léa",
        "last_name": "Dupont",
        "email": email,
        "password": "Motdepasse1",
    }
    client = Client(REMOTE_ADDR=ip)
    if api:
        return client.post(
            "/api/accounts/register",
            {**data, "accept_terms": True},
            content_type="application/json",
        )
    return client.post("/compte/inscription/", {**data, "accept_terms": "on"})


@pytest.mark.django_db
def test_it_stops_sign_up_e_mails_after_five_for_one_address(centre_admin):
    """Five sign-ups for one e-mail in 15 minutes, from anywhere; the 6th sends nothing and
    says to retry later (page and API), the same for an address with an account and one
    without; 15 minutes on, it works again."""
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for n in range(5):
            assert _sign_up("ADMIN@lycee.fr", ip=f"192.0.2.{n}").status_code == 302
            assert _sign_up("nouveau@lycee.fr", ip=f"192.0.2.{n}").status_code == 302
        with_account = _sign_up("admin@lycee.fr", ip="198.51.100.1")
        without_account = _sign_up("nouveau@lycee.fr", ip="198.51.100.1")
        api = _sign_up("nouveau@lycee.fr", ip="198.51.100.2", api=True)

    def page(response) -> str:
        body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", _text(response))
        return body.replace("admin@lycee.fr", "…").replace("nouveau@lycee.fr", "…")

    assert with_account.status_code == without_account.status_code == 200
    assert SIGN_UP_LOCKED in _text(with_account)
    assert page(with_account) == page(without_account)
    assert api.status_code == 429
    assert api.json() == {"detail": SIGN_UP_LOCKED, "code": "too_many_attempts"}
    assert len(mail.outbox) == 10
    with time_machine.travel(start + dt.timedelta(minutes=14, seconds=59), tick=False):
        assert SIGN_UP_LOCKED in _text(_sign_up("nouveau@lycee.fr", ip="198.51.100.3"))
    with time_machine.travel(start + dt.timedelta(minutes=15, seconds=1), tick=False):
        assert _sign_up("nouveau@lycee.fr", ip="198.51.100.4").status_code == 302
    assert len(mail.outbox) == 11


@pytest.mark.django_db
def test_it_limits_sign_ups_per_address_to_a_school_s_worth():
    """A class of 35 signs up from the school's address; one address can send at most 100
    sign-up e-mails in 15 minutes, then it is refused while other addresses are not."""
    with time_machine.travel(timezone.now(), tick=False):
        for n in range(35):
            assert _sign_up(f"eleve{n}@lycee.fr", ip=SCHOOL).status_code == 302
        for n in range(35, SCHOOL_ADDRESS_LIMIT):
            _sign_up(f"eleve{n}@lycee.fr", ip=SCHOOL)
        locked = _sign_up("encore@lycee.fr", ip=SCHOOL, api=True)
        elsewhere = _sign_up("encore@lycee.fr", ip="198.51.100.9", api=True)

    assert len(mail.outbox) == SCHOOL_ADDRESS_LIMIT + 1
    assert locked.status_code == 429
    assert elsewhere.status_code == 202


# --- Simultaneous attempts (PostgreSQL) ---------------------------------------------------------

GUESSES = 40


def concurrent(test):
    """Real threads on PostgreSQL, each with its own connection (tests/concurrency.py)."""
    marks = [
        pytest.mark.django_db(transaction=True),
        pytest.mark.postgres_only,
        pytest.mark.skipif(
            connection.vendor != "postgresql",
            reason="real concurrency needs PostgreSQL (set DATABASE_URL); SQLite serializes writers",
        ),
    ]
    for mark in marks:
        test = mark(test)
    return test


@pytest.mark.parametrize("round_", range(3))
@concurrent
def test_it_checks_no_more_than_ten_of_forty_simultaneous_session_passwords(round_, room_session):
    """40 wrong invigilator passwords from one account at the same instant (three rounds):
    exactly 10 are checked (and refused as wrong), the other 30 are locked out unchecked."""
    session = room_session
    guesser = UserFactory()
    results = race(
        *[
            lambda n=n: room.do_supervise(
                guesser, number=session.number, password="NOPE-NOPE-NOPE", ip=f"192.0.2.{n}"
            )
            for n in range(GUESSES)
        ]
    )

    kinds = [type(r).__name__ for r in results]
    assert kinds.count("WrongSessionPassword") == 10, kinds
    assert kinds.count("TooManyAttempts") == GUESSES - 10, kinds
    assert not InvigilatorAccess.objects.exists()


@concurrent
def test_it_checks_no_more_than_ten_of_forty_simultaneous_log_ins(settings):
    """40 wrong passwords for one e-mail at the same instant: 10 are checked, 30 locked."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    target = UserFactory(email="cible@lycee.fr")

    def guess(n: int) -> str:
        page = _text(
            Client(REMOTE_ADDR=f"192.0.2.{n}").post(
                "/compte/connexion/", {"username": target.email, "password": "mauvais"}
            )
        )
        return "locked" if LOCKED in page else "checked" if "sont incorrects" in page else page

    results = race(*[lambda n=n: guess(n) for n in range(GUESSES)])

    assert results.count("checked") == 10, results
    assert results.count("locked") == GUESSES - 10, results
