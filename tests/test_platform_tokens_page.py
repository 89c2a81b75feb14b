"""« Jetons des plateformes »: the centre admin creates, lists and revokes the tokens its
learning platform presents to send pupils' levels (what `manage.py platform_token` does).

The token is shown once, in the creation's response, and stored as its SHA-256 only; each
creation and revocation is audited with the admin who did it. Personas: the centre admin
(allowed), an invigilator of the centre's session, the admin of another centre and an
anonymous visitor (refused, nothing changes)."""

import hashlib
import re
from html import unescape

import pytest
from django.test import Client

from audit.models import AuditEvent
from audit.tags import Tag
from exams.models import PlatformToken
from invigilation.models import InvigilatorAccess
from tests.factories import PlatformTokenFactory

pytestmark = pytest.mark.usefixtures("fast_password_hashing")


def _page(centre) -> str:
    return f"/centres/{centre.pk}/jetons/"


def _revoke(centre, token) -> str:
    return f"/centres/{centre.pk}/jetons/{token.pk}/revoquer/"


def _shown_token(response) -> str:
    match = re.search(r'id="new-token-value"[^>]*value="([^"]+)"', response.content.decode())
    assert match, "the new token is shown"
    return unescape(match.group(1))


def _bearer(token: str) -> Client:
    return Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {token}"})


def test_it_creates_a_token_shown_once_stored_hashed_and_audited(login, centre, centre_admin):
    client = login(centre_admin)

    response = client.post(_page(centre), {"name": "  ENT   Pronote "})

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    token = _shown_token(response)
    row = PlatformToken.objects.get(centre=centre)
    assert row.name == "ENT Pronote"
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(PlatformToken.objects.filter(pk=row.pk).values().get())
    event = AuditEvent.objects.get(tag=Tag.System.PLATFORM_ACCESS_GRANT)
    assert event.actor == centre_admin and event.data["token"] == row.pk
    assert token not in str(event.data)
    # It works for the platform, and the list never shows it again.
    assert _bearer(token).get(f"/api/centres/{centre.pk}/pupils").status_code == 200
    listing = client.get(_page(centre)).content.decode()
    assert "ENT Pronote" in listing and token not in listing and "Actif" in listing


def test_it_refuses_a_blank_name_and_creates_nothing(login, centre, centre_admin):
    response = login(centre_admin).post(_page(centre), {"name": "   "})

    assert response.status_code == 400
    assert "new-token-value" not in response.content.decode()
    assert not PlatformToken.objects.exists()
    assert not AuditEvent.objects.filter(tag=Tag.System.PLATFORM_ACCESS_GRANT).exists()


def test_it_revokes_a_token_at_once_audited_with_the_admin(login, centre, centre_admin):
    client = login(centre_admin)
    token = _shown_token(client.post(_page(centre), {"name": "ENT"}))
    row = PlatformToken.objects.get()

    response = client.post(_revoke(centre, row), follow=True)

    row.refresh_from_db()
    assert row.revoked_at is not None
    assert "est révoqué" in unescape(response.content.decode())
    assert "Révoqué le" in response.content.decode()
    event = AuditEvent.objects.get(tag=Tag.System.PLATFORM_ACCESS_REVOKE)
    assert event.actor == centre_admin and event.data["token"] == row.pk
    assert _bearer(token).get(f"/api/centres/{centre.pk}/pupils").status_code == 401
    # Twice changes nothing.
    again = client.post(_revoke(centre, row), follow=True)
    assert "Ce jeton était déjà révoqué." in unescape(again.content.decode())
    assert AuditEvent.objects.filter(tag=Tag.System.PLATFORM_ACCESS_REVOKE).count() == 1


def test_it_refuses_an_invigilator_of_the_centre(login, exam_session, invigilator):
    InvigilatorAccess.objects.create(
        session=exam_session, user=invigilator, via=InvigilatorAccess.Via.PASSWORD
    )
    row = PlatformTokenFactory(centre=exam_session.centre)
    client = login(invigilator)

    assert client.get(_page(exam_session.centre)).status_code == 404
    assert client.post(_page(exam_session.centre), {"name": "ENT"}).status_code == 404
    assert client.post(_revoke(exam_session.centre, row)).status_code == 404
    row.refresh_from_db()
    assert row.revoked_at is None
    assert PlatformToken.objects.count() == 1


def test_it_refuses_another_centres_admin_even_through_their_own_centre(
    login, centre, other_centre_admin
):
    row = PlatformTokenFactory(centre=centre)
    other_centre = other_centre_admin.memberships.get().centre
    client = login(other_centre_admin)

    assert client.get(_page(centre)).status_code == 404
    assert client.post(_page(centre), {"name": "ENT"}).status_code == 404
    assert client.post(_revoke(centre, row)).status_code == 404
    # This centre's token through the other centre's address: still not theirs.
    assert client.post(_revoke(other_centre, row)).status_code == 404
    row.refresh_from_db()
    assert row.revoked_at is None
    assert "ENT du lycée" not in client.get(_page(other_centre)).content.decode()


def test_it_sends_an_anonymous_visitor_to_log_in(client, centre):
    row = PlatformTokenFactory(centre=centre)

    assert client.get(_page(centre))["Location"].startswith("/compte/connexion/")
    assert client.post(_revoke(centre, row)).status_code == 302
    row.refresh_from_db()
    assert row.revoked_at is None
