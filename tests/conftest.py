"""Personas shared by every test: the centre admin, an invigilator, the admin of another
centre, a candidate and a jury member, so each test can show who is refused."""

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.signals import request_started
from django.test import Client
from django.utils import translation

from certification import engine
from live.events import capture_events
from tests.factories import (
    CandidateFactory,
    CentreFactory,
    ExamSessionFactory,
    MembershipFactory,
    UserFactory,
)
from tests.identity_providers import TEST_SERVER, start_oidc_provider, start_saml_provider


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests last: Playwright keeps an event loop running in the test thread once it
    starts, which would break the tests that drive the ASGI app with asyncio."""
    items.sort(key=lambda item: "tests/browser/" in str(item.fspath))


@pytest.fixture(autouse=True)
def default_language() -> Iterator[None]:
    """Each test starts and ends in the default language (French). A request through the
    test client leaves its language active on the test's thread (LocaleMiddleware does not
    deactivate it), so a test after one in English read French strings in English."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def fast_password_hashing(settings):
    """The personas' passwords are not what is under test: hashed quickly (MD5). Files that
    create many accounts ask for it (`pytestmark = pytest.mark.usefixtures(...)`)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def login():
    """`login(user)`: a test client signed in as `user` (no password checked)."""

    def client_for(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return client_for


@pytest.fixture
def centre(db):
    return CentreFactory(name="Lycée Victor Hugo")


@pytest.fixture
def centre_admin(centre):
    return MembershipFactory(centre=centre, user__email="admin@lycee.fr").user


@pytest.fixture
def other_centre_admin(db):
    return MembershipFactory(user__email="admin@autre-lycee.fr").user


@pytest.fixture
def invigilator(db):
    return UserFactory(email="surveillant@lycee.fr")


@pytest.fixture
def candidate_user(db):
    return UserFactory(email="eleve@lycee.fr", certifiable=True)


@pytest.fixture
def jury(db):
    return UserFactory(email="jury@vigie.fr", is_staff=True)


@pytest.fixture
def exam_session(centre, centre_admin):
    return ExamSessionFactory(centre=centre, created_by=centre_admin)


@pytest.fixture
def candidate(exam_session):
    return CandidateFactory(session=exam_session, first_name="Léa", last_name="Dupont")


@pytest.fixture
def small_bank(tmp_path, settings):
    """Replace the shipped bank by a small, predictable one (answer index 0 is right)."""
    from tests.journey import write_bank

    settings.ITEM_BANK_DIR = str(write_bank(tmp_path / "bank"))
    engine.get_bank.cache_clear()
    yield engine.get_bank()
    engine.get_bank.cache_clear()


@pytest.fixture
def joined_candidate(exam_session, candidate_user):
    """The candidate persona linked to its line of the attendance sheet, instructions read."""
    from django.utils import timezone

    return CandidateFactory(
        session=exam_session,
        first_name=candidate_user.first_name,
        last_name=candidate_user.last_name,
        user=candidate_user,
        instructions_accepted_at=timezone.now(),
    )


@pytest.fixture
def sent_events(django_capture_on_commit_callbacks):
    """`with sent_events() as events:` records the live events sent after commit."""
    from contextlib import contextmanager

    @contextmanager
    def capture():
        with capture_events() as events, django_capture_on_commit_callbacks(execute=True):
            yield events

    return capture


# --- Identity providers on the loopback (tests/identity_providers.py) ------------------------


@pytest.fixture(scope="session")
def oidc_ent(tmp_path_factory):
    """A school's ENT: node's oidc-provider, for Django's test client (http://testserver)."""
    provider = start_oidc_provider(
        "ent", "ENT Hauts-de-France", [TEST_SERVER], tmp_path_factory.mktemp("oidc-ent")
    )
    yield provider
    provider.server.stop()


@pytest.fixture(scope="session")
def oidc_academie(tmp_path_factory):
    """An academy's provider, allowed to grant the jury role (OIDC_ACADEMIE_GRANTS=jury)."""
    provider = start_oidc_provider(
        "academie",
        "Académie de Lille",
        [TEST_SERVER],
        tmp_path_factory.mktemp("oidc-academie"),
        grants=frozenset({"jury"}),
    )
    yield provider
    provider.server.stop()


@pytest.fixture
def oidc_providers(settings, oidc_ent, oidc_academie):
    """Vigie configured with both OpenID Connect providers."""
    settings.OIDC_PROVIDERS = [oidc_ent.config(), oidc_academie.config()]
    return oidc_ent, oidc_academie


@pytest.fixture(scope="session")
def saml_gar(tmp_path_factory):
    """A GAR-like SAML 2.0 identity provider (node's samlp), its metadata by URL."""
    provider = start_saml_provider("gar", "GAR", tmp_path_factory.mktemp("saml-gar"))
    yield provider
    provider.server.stop()


@pytest.fixture
def saml_providers(settings, saml_gar):
    settings.SAML_PROVIDERS = [saml_gar.config()]
    settings.SAML_SP_ENTITY_ID = "http://testserver/compte/saml/metadata/"
    return saml_gar


class Hold:
    """A request whose query string has `hold` stops on the thread it borrowed, before its
    view, until `release` is set: a request in progress, as a saturated worker has them.
    Through `request_started` (sent on that thread, vigie/handler.py), which a running
    server sends too: its middleware chain was built at its start."""

    def __init__(self) -> None:
        self.holding, self.release = threading.Event(), threading.Event()

    def __call__(self, sender: Any, scope: dict[str, Any] | None = None, **kwargs: Any) -> None:
        if scope is not None and b"hold" in scope.get("query_string", b""):
            self.holding.set()
            self.release.wait(20)


@pytest.fixture
def hold() -> Iterator[Hold]:
    """Requests with `hold` in their query string wait for `hold.release` (admission tests)."""
    held = Hold()
    request_started.connect(held)
    yield held
    held.release.set()
    request_started.disconnect(held)
