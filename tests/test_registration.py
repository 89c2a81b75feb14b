"""Seed 003: creating a Vigie account.

Personas: Léa signs up with her own address and opens the link she receives; the centre admin
already has an account, and someone (Léa mistyping, or an attacker finding out which
addresses have an account) signs up with it. The answer is the same for both: « Vérifiez
votre boîte mail »; only the owner of the address learns, by e-mail, which case it was.
"""

import datetime as dt
import re
from html import unescape

import pytest
import time_machine
from django.contrib.auth.hashers import identify_hasher
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import actions
from accounts.models import User
from audit.models import AuditEvent
from tests.factories import PASSWORD

VALID = {
    "first_name": "Léa",
    "last_name": "Dupont",
    "email": "Lea.Dupont@Example.fr",
    "password": "Motdepasse1",
    "accept_terms": "on",
}
SENT_PAGE = "/compte/inscription/envoyee/"
CHECK_YOUR_MAILBOX = "Vérifiez votre boîte mail"
SENT_API = (
    "Vérifiez votre boîte mail : un e-mail vient d'être envoyé à l'adresse indiquée. "
    "Ouvrez le lien qu'il contient pour activer votre compte."
)
INVALID_LINK = (
    "Ce lien d'activation n'est pas valable ou a expiré (il sert pendant 7 jours). "
    "Inscrivez-vous à nouveau."
)
ALREADY_ACTIVE = "Ce compte est déjà activé : connectez-vous."
LINK = re.compile(r"https?://[^/\s]+(/compte/inscription/activer/[^/\s]+/)")


def _text(response) -> str:
    return unescape(response.content.decode())


def _link(message) -> str:
    match = LINK.search(message.body)
    assert match, message.body
    return match[1]


def _sign_up(client: Client, **changes):
    return client.post(reverse("accounts:register"), {**VALID, **changes})


def _without_tokens(page: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)


@pytest.mark.django_db
def test_it_sends_an_activation_link_and_creates_the_account_when_it_is_opened(client):
    """A complete form sends the link and creates nothing yet; opening the link shows a
    button (a mail scanner opening it creates nothing); the button creates the user, hashed
    with Argon2, and opens their session."""
    response = _sign_up(client)

    assert response.status_code == 302
    assert response["Location"] == SENT_PAGE
    assert CHECK_YOUR_MAILBOX in _text(client.get(SENT_PAGE))
    assert not User.objects.exists()
    assert "_auth_user_id" not in client.session
    [message] = mail.outbox
    assert message.to == ["lea.dupont@example.fr"]
    assert message.subject == "Vigie : activez votre compte"
    link = _link(message)

    opened = client.get(link)
    assert opened.status_code == 200
    assert "lea.dupont@example.fr" in _text(opened)
    assert not User.objects.exists()

    activated = client.post(link)
    assert activated.status_code == 302
    assert activated["Location"] == reverse("home")
    user = User.objects.get()
    assert user.email == "lea.dupont@example.fr"
    assert (user.first_name, user.last_name) == ("Léa", "Dupont")
    assert identify_hasher(user.password).algorithm == "argon2"
    assert user.check_password("Motdepasse1")
    assert user.terms_accepted_at is not None
    assert int(client.session["_auth_user_id"]) == user.pk
    assert "Votre compte a été créé." in _text(client.get(reverse("home"), follow=True))


@pytest.mark.django_db
def test_it_answers_the_same_whether_the_address_has_an_account_or_not(centre_admin):
    """Signing up with an address that has an account, whatever its case, gets the very page
    a new address gets; no account is created or changed, and the owner is told by e-mail
    to log in or reset the password (no activation link)."""
    taken, new = Client(), Client()
    taken_answer = _sign_up(taken, email="ADMIN@lycee.fr")
    new_answer = _sign_up(new)

    assert taken_answer.status_code == new_answer.status_code == 302
    assert taken_answer["Location"] == new_answer["Location"] == SENT_PAGE
    assert taken_answer.cookies.keys() == new_answer.cookies.keys()
    taken_page, new_page = taken.get(SENT_PAGE), new.get(SENT_PAGE)
    assert _without_tokens(_text(taken_page)) == _without_tokens(_text(new_page))
    assert "déjà utilisée" not in _text(taken_answer) + _text(taken_page)
    assert "_auth_user_id" not in taken.session
    assert User.objects.count() == 1
    centre_admin.refresh_from_db()
    assert centre_admin.check_password(PASSWORD)
    assert centre_admin.first_name != "Léa"

    warning, activation = mail.outbox
    assert warning.to == ["admin@lycee.fr"]
    assert warning.subject == "Vigie : votre adresse a déjà un compte"
    assert "Quelqu'un vient de demander la création d'un compte Vigie" in warning.body
    assert "/compte/connexion/" in warning.body
    assert "/compte/mot-de-passe/" in warning.body
    assert not LINK.search(warning.body)
    assert activation.to == ["lea.dupont@example.fr"]


@pytest.mark.django_db
def test_it_hashes_the_password_whether_the_address_has_an_account_or_not(
    centre_admin, monkeypatch
):
    """The slow part (hashing the password) is done in both cases, so the time taken does not
    tell either."""
    hashed: list[str] = []
    real = actions.make_password
    monkeypatch.setattr(actions, "make_password", lambda p: hashed.append(p) or real(p))
    _sign_up(Client(), email="admin@lycee.fr")
    _sign_up(Client())

    assert hashed == ["Motdepasse1", "Motdepasse1"]


@pytest.mark.django_db
def test_it_puts_nothing_typed_at_sign_up_into_the_e_mail(centre_admin):
    """The address may be someone else's: the names typed never reach its owner's inbox."""
    bait = "Urgent http://pirate.example"
    _sign_up(Client(), email="admin@lycee.fr", first_name=bait)
    _sign_up(Client(), first_name=bait, last_name=bait)

    assert all(bait not in m.body and bait not in m.subject for m in mail.outbox)
    assert len(mail.outbox) == 2


@pytest.mark.django_db
def test_it_activates_an_account_once(client):
    """The link used a second time (or after the address got an account otherwise) says the
    account is already active, and creates nothing."""
    _sign_up(client)
    _sign_up(Client())  # two links for the same address: the first one used wins
    first, second = (_link(m) for m in mail.outbox)
    assert client.post(first).status_code == 302

    again = Client().post(first)
    other = Client().post(second)
    assert again.status_code == other.status_code == 409
    assert ALREADY_ACTIVE in _text(again)
    assert User.objects.count() == 1
    (created,) = AuditEvent.objects.filter(tag="person:account:create")
    assert created.actor == User.objects.get() and created.data["terms_accepted_at"]


@pytest.mark.django_db
def test_it_refuses_an_altered_or_expired_link(client):
    """A link is valid for 7 days and cannot be altered."""
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        _sign_up(client)
    link = _link(mail.outbox[0])
    altered = link[:-6] + ("A" if link[-6] != "A" else "B") + link[-5:]

    assert client.get(altered).status_code == 400
    assert INVALID_LINK in _text(client.post(altered))
    with time_machine.travel(start + dt.timedelta(days=7, seconds=1), tick=False):
        expired = client.post(link)
    assert expired.status_code == 400
    assert INVALID_LINK in _text(expired)
    assert not User.objects.exists()
    with time_machine.travel(start + dt.timedelta(days=6, hours=23), tick=False):
        assert client.post(link).status_code == 302
    assert User.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Court1", "au moins 8 caractères"),
        ("motdepasse1", "une majuscule"),
        ("MOTDEPASSE1", "une minuscule"),
        ("Motdepasse", "un chiffre"),
    ],
)
def test_it_explains_in_french_why_a_password_is_refused(client, password, message):
    """Seed 003: 8 characters minimum, with an upper-case letter, a lower-case letter, a digit."""
    response = _sign_up(client, password=password)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not User.objects.exists()
    assert mail.outbox == []


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["first_name", "last_name", "email", "password"])
def test_it_requires_every_field(client, field):
    """« Tous les champs sont obligatoires. »"""
    response = _sign_up(client, **{field: ""})
    assert "Ce champ est obligatoire." in response.content.decode()
    assert not User.objects.exists()
    assert mail.outbox == []


@pytest.mark.django_db
def test_it_requires_accepting_the_terms(client):
    """The terms checkbox is mandatory, with its own message."""
    data = {k: v for k, v in VALID.items() if k != "accept_terms"}
    response = client.post(reverse("accounts:register"), data)
    assert "Vous devez accepter les conditions d'utilisation." in _text(response)
    assert not User.objects.exists()
    assert mail.outbox == []


@pytest.mark.django_db
def test_it_refuses_a_malformed_address(client):
    """The e-mail must be an address."""
    response = _sign_up(client, email="pas-une-adresse")
    assert "Saisissez une adresse e-mail valide." in response.content.decode()
    assert mail.outbox == []


@pytest.mark.django_db
def test_it_escapes_html_typed_in_a_name(client):
    """A name is text: it is shown escaped, never interpreted."""
    _sign_up(client, first_name="<script>x</script>")
    client.post(_link(mail.outbox[0]))
    # An account with no centre lands on the Espace Surveillant's entry (seed 001), which
    # names the account in use.
    page = client.get(reverse("home"), follow=True).content.decode()
    assert "&lt;script&gt;x&lt;/script&gt;" in page
    assert "<script>x</script>" not in page


@pytest.mark.django_db
def test_it_registers_through_the_api(client, centre_admin):
    """POST /api/accounts/register: errors per field, else 202 and the same body whether the
    address has an account or not; POST /api/accounts/register/activate with the link's token
    creates the account and logs it in."""
    data = {**VALID, "accept_terms": True}
    bad = client.post(
        "/api/accounts/register", {**data, "password": "x"}, content_type="application/json"
    )
    assert bad.status_code == 400
    assert "password" in bad.json()["errors"]
    taken = Client().post(
        "/api/accounts/register",
        {**data, "email": "Admin@Lycee.fr"},
        content_type="application/json",
    )
    ok = client.post("/api/accounts/register", data, content_type="application/json")
    assert taken.status_code == ok.status_code == 202
    assert taken.content == ok.content
    assert ok.json() == {"detail": SENT_API, "code": "email_sent"}
    assert "sessionid" not in ok.cookies and "sessionid" not in taken.cookies
    assert client.get("/api/accounts/me").status_code == 401

    token = _link(mail.outbox[-1]).split("/")[-2]
    activated = client.post(
        "/api/accounts/register/activate", {"token": token}, content_type="application/json"
    )
    assert activated.status_code == 201
    assert activated.json()["email"] == "lea.dupont@example.fr"
    assert client.get("/api/accounts/me").json()["first_name"] == "Léa"
    again = client.post(
        "/api/accounts/register/activate", {"token": token}, content_type="application/json"
    )
    assert again.status_code == 409
    assert again.json() == {"detail": ALREADY_ACTIVE, "code": "account_exists"}
    forged = client.post(
        "/api/accounts/register/activate", {"token": "x" + token}, content_type="application/json"
    )
    assert forged.status_code == 400
    assert forged.json() == {"detail": INVALID_LINK, "code": "invalid_link"}
