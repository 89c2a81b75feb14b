"""Signing in with an OpenID Connect provider (an ENT, an academy's provider): a real
provider on the loopback (node's oidc-provider, tests/identity_providers.py), Vigie's
pages through Django's test client.

Personas: the pupil whose ENT spells « JEAN-FRANCOIS DE LA FONTAINE », the candidate
persona (eleve@lycee.fr) with a Vigie password, a jury member, and whoever must be refused:
a doctored ID token (wrong key, another audience, expired, replayed), an unverified e-mail
that matches an account, a provider not allowed to grant the jury role."""

from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.contrib.auth import BACKEND_SESSION_KEY
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.identities import PROVIDER_BACKEND
from accounts.models import ExternalIdentity, User
from audit.models import AuditEvent
from audit.tags import Tag
from tests.identity_providers import oidc_authorize, sign_in_oidc

pytestmark = pytest.mark.django_db


def _refusals() -> list[str]:
    return list(
        AuditEvent.objects.filter(tag=Tag.Person.SIGN_IN_REFUSE)
        .order_by("pk")
        .values_list("data__reason", flat=True)
    )


def _signed_in_user(client: Client) -> User | None:
    response = client.get(reverse("accounts:account"))
    return response.context["user"] if response.status_code == 200 else None


def test_it_creates_the_account_at_a_first_sign_in_and_remembers_the_link(oidc_providers):
    ent, _academie = oidc_providers
    client = Client()

    response = sign_in_oidc(client, ent, "jf-delafontaine")

    assert response.status_code == 302 and response["Location"] == reverse("home")
    user = User.objects.get(email="jean-francois.delafontaine@ent.example")
    assert (user.first_name, user.last_name) == ("JEAN-FRANCOIS", "DE LA FONTAINE")
    assert not user.has_usable_password()
    link = ExternalIdentity.objects.get(user=user)
    assert (link.provider, link.subject) == ("ent", "jf-delafontaine")
    assert str(link.birthdate) == "2008-03-14"
    assert client.session[BACKEND_SESSION_KEY] == PROVIDER_BACKEND
    assert _signed_in_user(client) == user
    tags = list(AuditEvent.objects.filter(actor=user).order_by("pk").values_list("tag", flat=True))
    assert tags == [
        Tag.Person.IDENTITY_CREATE,
        Tag.Person.IDENTITY_LINK,
        Tag.Person.IDENTITY_SIGN_IN,
    ]

    # Signing in again finds the same account through the link.
    other_browser = Client()
    sign_in_oidc(other_browser, ent, "jf-delafontaine")
    assert User.objects.filter(identities__provider="ent").count() == 1
    assert _signed_in_user(other_browser) == user


def test_it_asks_for_pkce_state_and_nonce(oidc_providers):
    _ent, _academie = oidc_providers
    start = Client().post(reverse("accounts:provider_sign_in", args=["ent"]))
    query = parse_qs(urlsplit(start["Location"]).query)
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) >= 43
    assert len(query["state"][0]) >= 20 and len(query["nonce"][0]) >= 20
    assert query["client_id"] == ["vigie"] and "openid" in query["scope"][0].split()


def test_it_links_an_existing_account_only_when_the_provider_verified_the_address(
    oidc_providers, candidate_user
):
    ent, _academie = oidc_providers

    # Unverified: no link, no new account, nobody signed in.
    client = Client()
    response = sign_in_oidc(client, ent, "lea-dupont")
    assert response.status_code == 409
    assert "ne garantit pas" in response.content.decode()
    assert not ExternalIdentity.objects.exists()
    assert User.objects.filter(email__iexact="eleve@lycee.fr").count() == 1
    assert _signed_in_user(client) is None
    assert _refusals() == ["email_not_verified"]

    # Verified by the provider: linked to that account.
    client = Client()
    sign_in_oidc(client, ent, "lea-dupont-verified")
    assert ExternalIdentity.objects.get().user == candidate_user
    assert _signed_in_user(client) == candidate_user


def test_it_never_links_an_account_with_rights_by_its_address(oidc_providers, centre_admin):
    ent, _academie = oidc_providers
    centre_admin.email = "marc.martin@ent.example"
    centre_admin.save()

    response = sign_in_oidc(Client(), ent, "m-martin")

    assert response.status_code == 409
    assert not ExternalIdentity.objects.exists()
    assert _refusals() == ["privileged_account"]


def test_a_signed_in_person_links_their_account_from_the_account_page(oidc_providers, centre_admin):
    ent, _academie = oidc_providers
    client = Client()
    client.force_login(centre_admin)
    page = client.get(reverse("accounts:account"))
    assert "Lier mon compte ENT Hauts-de-France" in page.content.decode()

    response = sign_in_oidc(client, ent, "m-martin")

    assert response["Location"] == reverse("accounts:account")
    link = ExternalIdentity.objects.get()
    assert link.user == centre_admin and link.subject == "m-martin"
    assert AuditEvent.objects.filter(tag=Tag.Person.IDENTITY_LINK, data__how="signed_in").exists()


def test_an_account_without_e_mail_is_created_for_a_provider_that_gives_none(oidc_providers):
    ent, _academie = oidc_providers
    sign_in_oidc(Client(), ent, "sans-email")
    user = ExternalIdentity.objects.get(subject="sans-email").user
    assert user.email is None
    assert (user.first_name, user.last_name) == ("Nour", "Benali")


def test_an_unverified_address_is_not_given_to_a_new_account(oidc_providers, settings):
    ent, _academie = oidc_providers
    # No account has eleve@lycee.fr here: the account is created without it.
    sign_in_oidc(Client(), ent, "lea-dupont")
    user = ExternalIdentity.objects.get(subject="lea-dupont").user
    assert user.email is None
    assert ExternalIdentity.objects.get(subject="lea-dupont").email == "eleve@lycee.fr"


# --- Roles ---------------------------------------------------------------------------------


def test_a_provider_allowed_to_grant_the_jury_role_grants_it(oidc_providers):
    _ent, academie = oidc_providers
    sign_in_oidc(Client(), academie, "jury-ent")
    user = User.objects.get(email="julie.rey@ent.example")
    assert user.is_staff
    assert AuditEvent.objects.filter(tag=Tag.Person.ROLE_GRANT, data__role="jury").count() == 1


def test_a_provider_not_allowed_to_grant_the_jury_role_does_not(oidc_providers):
    ent, _academie = oidc_providers
    client = Client()
    sign_in_oidc(client, ent, "jury-ent")
    user = User.objects.get(email="julie.rey@ent.example")
    assert not user.is_staff
    assert client.get(reverse("jury:session_list")).status_code in (302, 403, 404)
    refused = AuditEvent.objects.get(tag=Tag.Person.ROLE_REFUSE)
    assert refused.data == {"provider": "ent", "role": "jury"}


# --- Refusals: the ID token -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "options", "reason"),
    [
        ("wrong_key", {}, "bad_signature"),
        # Authlib's first audience rule: a token not for this client must name its
        # authorized party (azp), and this one, like any token for another client, does not.
        ("claims", {"set": {"aud": "another-client"}}, "missing_claim:azp"),
        ("claims", {"set": {"iss": "http://127.0.0.1:9/"}}, "invalid_claim:iss"),
        ("claims", {"exp_offset": -61 - 60}, "expired_token:exp"),
        ("claims", {"iat_offset": 600}, "invalid_claim:iat"),
        ("claims", {"set": {"nonce": "another-nonce"}}, "invalid_claim:nonce"),
        ("drop", {}, "missing_id_token"),
    ],
    ids=["wrong-key", "audience", "issuer", "expired", "issued-in-the-future", "nonce", "none"],
)
def test_it_refuses_a_doctored_id_token(oidc_providers, mode, options, reason):
    ent, _academie = oidc_providers
    client = Client()
    callback = oidc_authorize(client, ent, "jf-delafontaine")
    ent.tamper(mode, **options)

    response = client.get(callback)

    assert response.status_code == 403
    assert "pas abouti" in response.content.decode()
    assert _signed_in_user(client) is None
    assert not User.objects.exists() and not ExternalIdentity.objects.exists()
    assert _refusals() == [reason]


def test_it_accepts_a_token_expired_within_the_clock_skew_and_no_more(oidc_providers, settings):
    ent, _academie = oidc_providers
    settings.IDP_CLOCK_SKEW = 60
    client = Client()
    callback = oidc_authorize(client, ent, "jf-delafontaine")
    ent.tamper("claims", exp_offset=-30)  # 30 s late: a slow clock somewhere
    assert client.get(callback).status_code == 302
    assert _signed_in_user(client) is not None

    client = Client()
    callback = oidc_authorize(client, ent, "jf-delafontaine")
    ent.tamper("claims", exp_offset=-90)
    assert client.get(callback).status_code == 403
    assert _refusals() == ["expired_token:exp"]


def test_it_refuses_a_token_expired_by_vigie_s_clock(oidc_providers, settings):
    """The provider's token is genuine; Vigie's clock is past its expiry plus the skew."""
    ent, _academie = oidc_providers
    settings.IDP_CLOCK_SKEW = 60
    client = Client()
    callback = oidc_authorize(client, ent, "jf-delafontaine")
    with time_machine.travel(timezone.now() + timezone.timedelta(seconds=600 + 61), tick=True):
        response = client.get(callback)
    assert response.status_code == 403
    assert _refusals() == ["expired_token:exp"]


def test_it_refuses_a_replayed_answer(oidc_providers):
    ent, _academie = oidc_providers
    client = Client()
    callback = oidc_authorize(client, ent, "jf-delafontaine")
    assert client.get(callback).status_code == 302

    # The same answer again, in the same browser and in another one: no pending sign-in.
    assert client.get(callback).status_code == 403
    assert Client().get(callback).status_code == 403
    assert _refusals() == ["state", "state"]


def test_it_refuses_a_replayed_id_token(oidc_providers):
    """An earlier sign-in's genuine ID token handed back for a new sign-in."""
    ent, _academie = oidc_providers
    sign_in_oidc(Client(), ent, "jf-delafontaine")
    client = Client()
    callback = oidc_authorize(client, ent, "jf-delafontaine")
    ent.tamper("replay")

    response = client.get(callback)

    assert response.status_code == 403
    assert _signed_in_user(client) is None
    assert _refusals() == ["invalid_claim:nonce"]


def test_it_refuses_an_error_from_the_provider_and_an_unknown_provider(oidc_providers):
    client = Client()
    client.post(reverse("accounts:provider_sign_in", args=["ent"]))
    response = client.get(
        reverse("accounts:oidc_callback", args=["ent"]) + "?error=access_denied&state=x"
    )
    assert response.status_code == 403
    assert _refusals() == ["access_denied"]
    assert client.post(reverse("accounts:provider_sign_in", args=["inconnu"])).status_code == 404
    assert client.get(reverse("accounts:provider_sign_in", args=["ent"])).status_code == 405


# --- Log-out --------------------------------------------------------------------------------


def test_log_out_ends_the_vigie_session_then_the_provider_s(oidc_providers):
    ent, _academie = oidc_providers
    client = Client()
    sign_in_oidc(client, ent, "jf-delafontaine")
    id_token = client.session["vigie_identity_logout_hint"]

    response = client.post(reverse("accounts:logout"))

    assert response.status_code == 302
    end_session = urlsplit(response["Location"])
    assert response["Location"].startswith(f"{ent.issuer}/session/end")
    query = parse_qs(end_session.query)
    assert query["id_token_hint"] == [id_token]
    assert query["post_logout_redirect_uri"] == ["http://testserver/compte/connexion/"]
    assert _signed_in_user(client) is None


def test_log_out_of_a_password_session_stays_in_vigie(candidate_user, oidc_providers):
    client = Client()
    client.force_login(candidate_user, backend="accounts.backends.EmailBackend")
    response = client.post(reverse("accounts:logout"))
    assert response["Location"] == reverse("accounts:login")


def test_the_pages_let_their_forms_lead_to_the_providers(oidc_providers, saml_providers):
    """Chromium checks each redirect of a form against `form-action`: « Se connecter avec »
    and « Se déconnecter » lead to the providers."""
    ent, academie = oidc_providers
    page = Client().get(reverse("accounts:login"))
    policy = page["Content-Security-Policy"]
    form_action = next(p for p in policy.split("; ") if p.startswith("form-action"))
    assert form_action.split() == [
        "form-action",
        "'self'",
        *sorted({ent.issuer, academie.issuer, saml_providers.server.url}),
    ]
    assert "script-src 'self';" in policy
