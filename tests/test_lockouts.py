"""Lock-outs of the Django admin's log-in and of the password-reset request.

Personas: a staff member (the jury) logs in to the admin; the centre admin asks for a new
password. The attacker keeps guessing the jury's password on the admin, or keeps asking for
reset e-mails (to flood an inbox or to find out which addresses have an account): locked out,
without learning whether an account exists.
"""

import datetime as dt
import html
import re

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone, translation

from accounts import ratelimit
from accounts.forms import LOGIN_LOCKED, RESET_LOCKED
from accounts.models import RateLimitHit
from tests.factories import PASSWORD

ADMIN_LOGIN = "/admin/login/?next=/admin/"
RESET = "/compte/mot-de-passe/"
LOCKED = "Trop de tentatives de connexion. Réessayez dans 15 minutes."
RESET_LOCKED_FR = "Trop de demandes de réinitialisation du mot de passe. Réessayez dans 15 minutes."


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """The personas' passwords are not what is under test here: hash them quickly."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


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
    them from one address lock that address out, for the staff member too."""
    with time_machine.travel(timezone.now(), tick=False):
        refused = [_admin_log_in(centre_admin.email, PASSWORD, ip="203.0.113.9") for _ in range(10)]
        locked = _admin_log_in(jury.email, PASSWORD, ip="203.0.113.9")
        elsewhere = _admin_log_in(jury.email, PASSWORD, ip="203.0.113.10")

    assert all(r.status_code == 200 and LOCKED not in _text(r) for r in refused)
    assert LOCKED in _text(locked)
    assert elsewhere.status_code == 302


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
def test_it_locks_reset_requests_out_after_twenty_from_one_address(centre_admin, invigilator):
    """Twenty requests from one address on any e-mails lock that address, not the others."""
    with time_machine.travel(timezone.now(), tick=False):
        for n in range(20):
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
def test_it_forgets_attempts_older_than_a_day_but_keeps_the_lock_out_window():
    """`purge_ratelimits` (daily cron): old rows go, recent ones still lock out."""
    from io import StringIO

    from django.core.management import call_command

    now = timezone.now()
    RateLimitHit.objects.bulk_create(
        [RateLimitHit(key="login:ip:10.0.0.1", at=now - dt.timedelta(days=2)) for _ in range(3)]
        + [RateLimitHit(key="login:ip:10.0.0.2", at=now - dt.timedelta(minutes=5))]
    )
    out = StringIO()
    call_command("purge_ratelimits", stdout=out)
    assert "3 tentatives anciennes supprimées" in out.getvalue()
    assert list(RateLimitHit.objects.values_list("key", flat=True)) == ["login:ip:10.0.0.2"]
    assert ratelimit.is_limited(["login:ip:10.0.0.2"], limit=1, window=dt.timedelta(minutes=15))
