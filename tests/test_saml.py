"""Signing in with a SAML 2.0 identity provider (the GAR): a real provider on the loopback
(node's samlp, tests/idp/saml_idp.js), its metadata fetched by URL or read from a file.

Refused, each audited with the check that refused it: an unsigned assertion, an answer
meant for another service (recipient), for another audience, replayed, unsolicited, and one
posted to another browser than the one that asked."""

import pytest
import requests
from django.contrib.auth import BACKEND_SESSION_KEY
from django.test import Client
from django.urls import reverse

from accounts.identities import PROVIDER_BACKEND
from accounts.models import ExternalIdentity, User
from audit.models import AuditEvent
from audit.tags import Tag
from tests.identity_providers import post_saml, saml_authorize, sign_in_saml

pytestmark = pytest.mark.django_db


def _refusals() -> list[str]:
    return list(
        AuditEvent.objects.filter(tag=Tag.Person.SIGN_IN_REFUSE)
        .order_by("pk")
        .values_list("data__reason", flat=True)
    )


def _signed_in(client: Client) -> User | None:
    response = client.get(reverse("accounts:account"))
    return response.context["user"] if response.status_code == 200 else None


def test_a_pupil_signs_in_with_the_gar_and_gets_an_account(saml_providers):
    client = Client()

    response = sign_in_saml(client, saml_providers, "gar-7f3a9c")

    assert response.status_code == 302 and response["Location"] == reverse("home")
    link = ExternalIdentity.objects.get(provider="gar", subject="gar-7f3a9c")
    assert (link.first_name, link.last_name, str(link.birthdate)) == (
        "JEAN-FRANCOIS",
        "DE LA FONTAINE",
        "2008-03-14",
    )
    assert link.user.email is None  # the GAR gives pupils no address
    assert client.session[BACKEND_SESSION_KEY] == PROVIDER_BACKEND
    assert _signed_in(client) == link.user

    # Again, from another browser: the same account.
    other = Client()
    sign_in_saml(other, saml_providers, "gar-7f3a9c")
    assert _signed_in(other) == link.user
    assert User.objects.count() == 1


def test_it_reads_the_metadata_from_a_file(saml_gar, settings, tmp_path):
    metadata = tmp_path / "gar.xml"
    metadata.write_text(
        __import__("requests").get(saml_gar.entity_id, timeout=5).text, encoding="utf-8"
    )
    settings.SAML_PROVIDERS = [saml_gar.config(metadata_url="", metadata_file=str(metadata))]
    settings.SAML_SP_ENTITY_ID = "http://testserver/compte/saml/metadata/"
    client = Client()
    assert sign_in_saml(client, saml_gar, "gar-7f3a9c").status_code == 302
    assert _signed_in(client) is not None


def test_vigie_publishes_its_metadata(saml_providers):
    response = Client().get(reverse("accounts:saml_metadata"))
    assert response.status_code == 200
    xml = response.content.decode()
    assert 'entityID="http://testserver/compte/saml/metadata/"' in xml
    assert "http://testserver/compte/saml/gar/acs/" in xml


def test_an_address_the_gar_does_not_vouch_for_links_nothing(saml_providers, candidate_user):
    # SAML_GAR_EMAIL_VERIFIED is off: eleve@lycee.fr is the candidate persona's.
    client = Client()
    response = sign_in_saml(client, saml_providers, "gar-b81e44")
    assert response.status_code == 409
    assert not ExternalIdentity.objects.exists()
    assert _signed_in(client) is None
    assert _refusals() == ["email_not_verified"]


def test_a_federation_that_vouches_for_addresses_links_the_account(
    saml_gar, settings, candidate_user
):
    settings.SAML_PROVIDERS = [saml_gar.config(email_verified=True)]
    settings.SAML_SP_ENTITY_ID = "http://testserver/compte/saml/metadata/"
    client = Client()
    sign_in_saml(client, saml_gar, "gar-b81e44")
    assert ExternalIdentity.objects.get().user == candidate_user


# --- Refusals -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "reason"),
    [
        ({"signAssertion": False}, "unsigned"),
        ({"signAssertion": False, "signResponse": True}, "unsigned"),
        ({"recipient": "http://autre-service.example/acs"}, "recipient"),
        ({"destination": "http://autre-service.example/acs"}, "destination"),
        ({"audience": "http://autre-service.example/metadata"}, "audience"),
    ],
    ids=[
        "unsigned",
        "unsigned-assertion-in-signed-response",
        "recipient",
        "destination",
        "audience",
    ],
)
def test_it_refuses_an_answer_that_fails_a_check(saml_providers, options, reason):
    client = Client()
    saml_providers.next_response(**options)
    response = post_saml(client, "gar", saml_authorize(client, saml_providers, "gar-7f3a9c"))
    assert response.status_code == 403
    assert _signed_in(client) is None
    assert not ExternalIdentity.objects.exists() and not User.objects.exists()
    assert _refusals() == [reason]


def test_it_refuses_a_replayed_answer(saml_providers):
    client = Client()
    fields = saml_authorize(client, saml_providers, "gar-7f3a9c")
    assert post_saml(client, "gar", fields).status_code == 302

    # The same answer again: no request pending in this browser, nor in another one.
    assert post_saml(client, "gar", fields).status_code == 403
    assert post_saml(Client(), "gar", fields).status_code == 403
    assert _refusals() == ["unsolicited", "unsolicited"]


def test_it_refuses_an_assertion_used_before_even_for_a_pending_request(saml_providers):
    """The same assertion presented to a new sign-in that names its request: its ID was used."""
    client = Client()
    fields = saml_authorize(client, saml_providers, "gar-7f3a9c")
    assert post_saml(client, "gar", fields).status_code == 302
    # A new sign-in in this browser, answered with the old assertion: InResponseTo differs.
    client.post(reverse("accounts:provider_sign_in", args=["gar"]))
    assert post_saml(client, "gar", fields).status_code == 403
    assert _refusals() == ["unsolicited"]


def test_an_answer_posted_into_another_browser_is_refused(saml_providers):
    """Log-in CSRF: an attacker's own answer pushed into the victim's browser."""
    attacker = Client()
    fields = saml_authorize(attacker, saml_providers, "gar-7f3a9c")
    victim = Client()
    victim.post(reverse("accounts:provider_sign_in", args=["gar"]))
    assert post_saml(victim, "gar", fields).status_code == 403
    assert _signed_in(victim) is None
    assert _refusals() == ["unsolicited"]


def test_the_relay_page_changes_nothing(saml_providers):
    client = Client()
    fields = saml_authorize(client, saml_providers, "gar-7f3a9c")
    relay = client.post(reverse("accounts:saml_acs", args=["gar"]), fields)
    assert relay.status_code == 200
    assert "data-autosubmit" in relay.content.decode()
    assert not User.objects.exists() and _signed_in(client) is None


# --- Log-out ----------------------------------------------------------------------------------


def test_log_out_ends_vigie_s_session_then_the_gar_s(saml_providers):
    """Single log-out: a LogoutRequest for this sign-in's NameID, the provider's session
    ended, its LogoutResponse back to Vigie."""
    client = Client()
    at_the_gar = requests.Session()  # the browser's cookies at the provider
    sign_in_saml(client, saml_providers, "gar-7f3a9c", at_the_gar)

    response = client.post(reverse("accounts:logout"))

    assert _signed_in(client) is None
    assert response["Location"].startswith(f"{saml_providers.server.url}/slo?SAMLRequest=")
    answer = at_the_gar.get(response["Location"], allow_redirects=False, timeout=10)
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("http://testserver/compte/saml/gar/sls/")
    assert saml_providers.logouts() == ["gar-7f3a9c"]
    back = client.get(answer.headers["Location"].removeprefix("http://testserver"), follow=True)
    assert "Vous êtes aussi déconnecté(e) de GAR." in back.content.decode()

    # The provider asks who you are again.
    start = client.post(reverse("accounts:provider_sign_in", args=["gar"]))
    page = at_the_gar.get(start["Location"], timeout=10)
    assert "GAR de test — connexion" in page.text


def test_the_provider_remembers_its_session_until_then(saml_providers):
    client = Client()
    at_the_gar = requests.Session()
    sign_in_saml(client, saml_providers, "gar-7f3a9c", at_the_gar)
    other = Client()
    start = other.post(reverse("accounts:provider_sign_in", args=["gar"]))
    assert "déjà connecté" in at_the_gar.get(start["Location"], timeout=10).text


def test_a_logout_answer_that_is_not_one_changes_nothing(saml_providers):
    response = Client().get(
        reverse("accounts:saml_sls", args=["gar"]) + "?SAMLResponse=bm9uc2Vucw", follow=True
    )
    assert "aussi déconnecté" not in response.content.decode()
