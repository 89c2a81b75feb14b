"""Seed 003: creating a Vigie account."""

from html import unescape

import pytest
from django.contrib.auth.hashers import identify_hasher
from django.urls import reverse

from accounts.models import User

VALID = {
    "first_name": "Léa",
    "last_name": "Dupont",
    "email": "Lea.Dupont@Example.fr",
    "password": "Motdepasse1",
    "accept_terms": "on",
}


@pytest.mark.django_db
def test_it_creates_an_account_and_logs_the_user_in(client):
    """A complete form creates the user, hashed with Argon2, and opens their session."""
    response = client.post(reverse("accounts:register"), VALID)
    assert response.status_code == 302
    user = User.objects.get()
    assert user.email == "lea.dupont@example.fr"
    assert identify_hasher(user.password).algorithm == "argon2"
    assert user.terms_accepted_at is not None
    assert client.get(reverse("home")).status_code in (200, 302)
    assert "_auth_user_id" in client.session


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
    response = client.post(reverse("accounts:register"), {**VALID, "password": password})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not User.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["first_name", "last_name", "email", "password"])
def test_it_requires_every_field(client, field):
    """« Tous les champs sont obligatoires. »"""
    response = client.post(reverse("accounts:register"), {**VALID, field: ""})
    assert "Ce champ est obligatoire." in response.content.decode()
    assert not User.objects.exists()


@pytest.mark.django_db
def test_it_requires_accepting_the_terms(client):
    """The terms checkbox is mandatory, with its own message."""
    data = {k: v for k, v in VALID.items() if k != "accept_terms"}
    response = client.post(reverse("accounts:register"), data)
    assert "Vous devez accepter les conditions d'utilisation." in unescape(
        response.content.decode()
    )
    assert not User.objects.exists()


@pytest.mark.django_db
def test_it_refuses_an_address_already_used_whatever_its_case(client, centre_admin):
    """One account per e-mail address."""
    response = client.post(reverse("accounts:register"), {**VALID, "email": "ADMIN@lycee.fr"})
    assert "Cette adresse e-mail est déjà utilisée." in response.content.decode()
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_it_refuses_a_malformed_address(client):
    """The e-mail must be an address."""
    response = client.post(reverse("accounts:register"), {**VALID, "email": "pas-une-adresse"})
    assert "Saisissez une adresse e-mail valide." in response.content.decode()


@pytest.mark.django_db
def test_it_escapes_html_typed_in_a_name(client):
    """A name is text: it is shown escaped, never interpreted."""
    client.post(reverse("accounts:register"), {**VALID, "first_name": "<script>x</script>"})
    page = client.get(reverse("home")).content.decode()
    assert "&lt;script&gt;x&lt;/script&gt;" in page
    assert "<script>x</script>" not in page


@pytest.mark.django_db
def test_it_registers_through_the_api(client):
    """POST /api/accounts/register creates the account; errors come back per field."""
    bad = client.post(
        "/api/accounts/register",
        {**VALID, "accept_terms": True, "password": "x"},
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert "password" in bad.json()["errors"]
    ok = client.post(
        "/api/accounts/register", {**VALID, "accept_terms": True}, content_type="application/json"
    )
    assert ok.status_code == 201
    assert ok.json()["email"] == "lea.dupont@example.fr"
    assert client.get("/api/accounts/me").json()["first_name"] == "Léa"
