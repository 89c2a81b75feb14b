"""Logging in, out, and resetting a forgotten password."""

import datetime as dt
import re

import pytest
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from tests.factories import PASSWORD


@pytest.mark.django_db
def test_it_logs_in_with_the_email_whatever_its_case(client, centre_admin):
    """The e-mail is the identifier; its case does not matter."""
    response = client.post(
        reverse("accounts:login"), {"username": "ADMIN@Lycee.fr", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == centre_admin.pk


@pytest.mark.django_db
def test_it_refuses_a_wrong_password_in_french(client, centre_admin):
    """A wrong password gives one message that does not say which field was wrong."""
    response = client.post(
        reverse("accounts:login"), {"username": centre_admin.email, "password": "Mauvais1"}
    )
    assert response.status_code == 200
    assert "L&#x27;adresse e-mail et/ou le mot de passe saisis sont incorrects." in (
        response.content.decode()
    )
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_it_logs_out_only_with_a_post(client, centre_admin):
    """Log-out is a POST (CSRF-protected), so a link in an e-mail cannot log anyone out."""
    client.force_login(centre_admin)
    assert client.get(reverse("accounts:logout")).status_code == 405
    client.post(reverse("accounts:logout"))
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_it_resets_a_forgotten_password_by_email(client, centre_admin):
    """The reset link sent by e-mail lets the user choose a new password."""
    client.post(reverse("accounts:password_reset"), {"email": centre_admin.email})
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/compte/mot-de-passe/\S+/)", mail.outbox[0].body)
    assert link
    form_page = client.get(link.group(1), follow=True)
    new = "Nouveau2026"
    client.post(form_page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    centre_admin.refresh_from_db()
    assert centre_admin.check_password(new)


@pytest.mark.django_db
def test_it_does_not_reveal_whether_an_address_has_an_account(client):
    """Asking a reset for an unknown address looks the same and sends nothing."""
    response = client.post(reverse("accounts:password_reset"), {"email": "inconnu@example.fr"})
    assert response.status_code == 302
    assert response.url == reverse("accounts:password_reset_done")
    assert mail.outbox == []


@pytest.mark.django_db
def test_it_sends_anonymous_visitors_to_the_login_page(client):
    """Every centre page needs an account."""
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


@pytest.mark.django_db
@pytest.mark.parametrize("change", ["session expired", "account deactivated", "session deleted"])
def test_it_ends_a_log_in_when_its_session_expires_or_its_account_is_gone(
    client, centre_admin, other_centre_admin, change
):
    """accounts/sessions.py and accounts/backends.py read sessions and users with queries
    compiled once: the rules stay Django's. Another user's session is not disturbed."""

    def logged_in(browser: Client) -> bool:
        return not browser.get(reverse("home")).url.startswith(reverse("accounts:login"))

    client.force_login(centre_admin)
    other = Client()
    other.force_login(other_centre_admin)
    assert logged_in(client) and logged_in(other)

    if change == "session expired":
        Session.objects.filter(session_key=client.session.session_key).update(
            expire_date=timezone.now() - dt.timedelta(seconds=1)
        )
    elif change == "account deactivated":
        User.objects.filter(pk=centre_admin.pk).update(is_active=False)
    else:
        Session.objects.filter(session_key=client.session.session_key).delete()

    assert not logged_in(client)
    assert logged_in(other)
