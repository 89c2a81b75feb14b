"""Signing in through a school's identity provider, in Chromium, against real providers on
the loopback (node's oidc-provider for the ENT, a samlp SAML provider for the GAR): a pupil
signs in, joins the session with the names the provider gave (« JEAN-FRANCOIS DE LA
FONTAINE » for the sheet's « Jean-François de La Fontaine »), is confirmed by an
invigilator who also signed in through the ENT and entered the Espace Surveillant with the
session's password, and answers a question. Every page is checked with axe-core, the
providers' pages and Vigie's SAML relay page included (held on screen by aborting the next
request once, then sent on with their buttons, as without JavaScript)."""

import datetime as dt

import pytest
from playwright.sync_api import Page, expect

from accounts.models import ExternalIdentity
from certification.models import Answer
from invigilation.models import InvigilatorAccess
from tests.browser.conftest import AccessibilityChecker, screenshot
from tests.factories import (
    CandidateFactory,
    ExamSessionFactory,
    ExternalIdentityFactory,
    UserFactory,
)
from tests.identity_providers import start_oidc_provider, start_saml_provider


@pytest.fixture(scope="module")
def browser_providers(asgi_server, tmp_path_factory):
    ent = start_oidc_provider(
        "ent", "ENT Hauts-de-France", [asgi_server], tmp_path_factory.mktemp("ent")
    )
    gar = start_saml_provider("gar", "GAR", tmp_path_factory.mktemp("gar"), vigie=asgi_server)
    yield ent, gar
    ent.server.stop()
    gar.server.stop()


@pytest.fixture
def providers(settings, asgi_server, browser_providers):
    ent, gar = browser_providers
    settings.OIDC_PROVIDERS = [ent.config()]
    settings.SAML_PROVIDERS = [gar.config()]
    settings.SAML_SP_ENTITY_ID = f"{asgi_server}/compte/saml/metadata/"
    return ent, gar


def _hold_next(page: Page, pattern: str) -> None:
    """Abort the next request to `pattern` once: the page that sent it stays on screen."""

    page.route(pattern, lambda route: route.abort("aborted"), times=1)


def _sign_in_with_ent(page: Page, axe: AccessibilityChecker, base: str, who: str) -> None:
    page.goto(f"{base}/compte/connexion/")
    axe.check(page)
    page.get_by_role("button", name="Se connecter avec ENT Hauts-de-France").click()
    expect(page.get_by_role("heading", name="ENT de test — connexion")).to_be_visible()
    axe.check(page)
    page.get_by_role("button", name=who).click()
    expect(page.get_by_text("Vous êtes connecté(e) avec ENT Hauts-de-France.")).to_be_visible()
    axe.check(page)


def _sign_in_with_gar(page: Page, axe: AccessibilityChecker, base: str, who: str) -> None:
    page.goto(f"{base}/compte/connexion/")
    axe.check(page)
    page.get_by_role("button", name="Se connecter avec GAR").click()
    expect(page.get_by_role("heading", name="GAR de test — connexion")).to_be_visible()
    axe.check(page)
    # The GAR's page posts its answer at once; held once, it is checked and then sent on.
    _hold_next(page, "**/compte/saml/gar/acs/")
    page.get_by_role("button", name=who).click()
    expect(page.get_by_role("heading", name="Retour vers le service")).to_be_visible()
    axe.check(page)
    _hold_next(page, "**/compte/saml/gar/acs/suite/")
    page.get_by_role("button", name="Continuer").click()
    expect(page.get_by_role("heading", name="Connexion en cours")).to_be_visible()
    axe.check(page)
    page.get_by_role("button", name="Continuer vers Vigie").click()
    expect(page.get_by_text("Vous êtes connecté(e) avec GAR.")).to_be_visible()
    axe.check(page)


def _row(page: Page, name: str):
    return page.locator("li.candidate").filter(has=page.get_by_role("heading", name=name))


@pytest.mark.parametrize("provider", ["ent", "gar"])
def test_a_pupil_signs_in_with_the_school_joins_is_confirmed_and_answers(
    page: Page,
    browser,
    axe: AccessibilityChecker,
    asgi_server: str,
    providers,
    small_bank,
    provider,
) -> None:
    session = ExamSessionFactory()
    line = CandidateFactory(
        session=session,
        first_name="Jean-François",
        last_name="de La Fontaine",
        birthdate=dt.date(2008, 3, 14),
    )
    # The pupil's Vigie account from the school year (positioning done: certifiable), known
    # to the ENT by its verified address, to the GAR by an earlier sign-in.
    pupil = UserFactory(
        email="jean-francois.delafontaine@ent.example",
        first_name="Jean-François",
        last_name="de La Fontaine",
        certifiable=True,
    )
    if provider == "gar":
        ExternalIdentityFactory(user=pupil, provider="gar", subject="gar-7f3a9c")
    session.centre.candidate_password_sign_in = False  # this centre: school accounts only
    session.centre.save()

    if provider == "ent":
        _sign_in_with_ent(page, axe, asgi_server, "JEAN-FRANCOIS DE LA FONTAINE (jf-delafontaine)")
    else:
        _sign_in_with_gar(page, axe, asgi_server, "JEAN-FRANCOIS DE LA FONTAINE (gar-7f3a9c)")
    assert ExternalIdentity.objects.get(provider=provider).user == pupil

    # The join form offers the provider's spelling; only the session number is typed.
    page.goto(f"{asgi_server}/certification/rejoindre/")
    axe.check(page)
    expect(page.get_by_label("Prénom")).to_have_value("JEAN-FRANCOIS")
    expect(page.get_by_label("Nom de naissance")).to_have_value("DE LA FONTAINE")
    expect(page.get_by_label("Date de naissance")).to_have_value("2008-03-14")
    page.get_by_label("Numéro de session").fill(session.number)
    page.get_by_role("button", name="Continuer").click()
    expect(page.get_by_text("Le test comporte 32 questions.")).to_be_visible()
    axe.check(page)
    line.refresh_from_db()
    assert line.user == pupil
    page.get_by_label("J'ai lu les règles de la certification").check()
    page.get_by_role("button", name="Continuer vers le test").click()
    page.get_by_label("Code d'accès communiqué par le surveillant").fill(session.access_code)
    page.get_by_role("button", name="Commencer mon test").click()
    expect(page.get_by_role("alert")).to_contain_text("n'a pas confirmé votre présence")
    axe.check(page)

    # The invigilator signs in through the ENT, then enters the room with its password.
    invigilator = page.context.browser.new_context(locale="fr-FR").new_page()
    invigilator.set_default_timeout(10_000)
    invigilator.on(
        "framenavigated",
        lambda frame: (
            axe.visited.add(invigilator.url.split("#")[0])
            if frame == invigilator.main_frame and invigilator.url.startswith("http")
            else None
        ),
    )
    _sign_in_with_ent(invigilator, axe, asgi_server, "Marc Martin (m-martin)")
    invigilator.goto(f"{asgi_server}/surveillance/?session={session.number}")
    axe.check(invigilator)
    invigilator.get_by_label("Mot de passe de la session").fill(session.invigilator_password)
    invigilator.get_by_role("button", name="Surveiller la session").click()
    expect(invigilator.get_by_role("heading", name=f"Session {session.number}")).to_be_visible()
    axe.check(invigilator)
    assert InvigilatorAccess.objects.filter(
        session=session, user__identities__subject="m-martin"
    ).exists()
    invigilator.get_by_role(
        "button", name="Confirmer la présence de l'élève Jean-François DE LA FONTAINE"
    ).click()

    expect(page.get_by_role("status").filter(has_text="a confirmé votre présence")).to_be_visible()
    page.get_by_role("button", name="Commencer mon test").click()
    expect(page.locator("#progress")).to_have_text("Question 1 / 32")
    axe.check(page)
    page.locator("#choices input").first.check()
    page.get_by_role("button", name="Je valide ma réponse").click()
    expect(page.locator("#progress")).to_have_text("Question 2 / 32")
    screenshot(page, f"sso-{provider}-question")
    assert Answer.objects.filter(course__candidate=line).count() == 1
    expect(_row(invigilator, "DE LA FONTAINE Jean-François")).to_contain_text("En cours")
    invigilator.context.close()


def test_log_out_ends_vigie_s_session_and_the_ent_s(
    page: Page, axe: AccessibilityChecker, asgi_server: str, providers
) -> None:
    _sign_in_with_ent(page, axe, asgi_server, "Marc Martin (m-martin)")
    page.get_by_role("button", name="Se déconnecter").click()
    expect(
        page.get_by_role("heading", name="Déconnexion du fournisseur d'identité de test")
    ).to_be_visible()
    axe.check(page)
    page.get_by_role("button", name="Oui, me déconnecter").click()
    expect(page.get_by_role("heading", name="Connectez-vous")).to_be_visible()
    assert page.url.startswith(f"{asgi_server}/compte/connexion/")
    axe.check(page)

    # The ENT's session is over too: signing in again asks who you are.
    page.get_by_role("button", name="Se connecter avec ENT Hauts-de-France").click()
    expect(page.get_by_role("heading", name="ENT de test — connexion")).to_be_visible()
    axe.check(page)


def test_log_out_ends_vigie_s_session_and_the_gar_s(
    page: Page, axe: AccessibilityChecker, asgi_server: str, providers
) -> None:
    _sign_in_with_gar(page, axe, asgi_server, "JEAN-FRANCOIS DE LA FONTAINE (gar-7f3a9c)")
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_text("Vous êtes aussi déconnecté(e) de GAR.")).to_be_visible()
    assert page.url == f"{asgi_server}/compte/connexion/"
    axe.check(page)
    page.get_by_role("button", name="Se connecter avec GAR").click()
    expect(page.get_by_role("heading", name="GAR de test — connexion")).to_be_visible()
    axe.check(page)


def test_the_account_page_lists_the_link_and_removes_it(
    browser_as, axe: AccessibilityChecker, asgi_server: str, providers
) -> None:
    user = UserFactory(first_name="Léa", last_name="Dupont")
    ExternalIdentityFactory(user=user, provider="ent", first_name="LÉA", last_name="DUPONT")
    page = browser_as(user, phone=True)
    page.goto(f"{asgi_server}/compte/")
    axe.check(page)
    card = page.locator("li.panel").filter(
        has=page.get_by_role("heading", name="ENT Hauts-de-France")
    )
    expect(card).to_contain_text("LÉA DUPONT")
    card.get_by_text("Retirer ce lien", exact=True).click()
    card.get_by_role("button", name="Oui, retirer ce lien").click()
    expect(page.get_by_text("Le lien avec ENT Hauts-de-France est retiré.")).to_be_visible()
    axe.check(page)
    assert not ExternalIdentity.objects.exists()
    expect(page.get_by_role("button", name="Lier mon compte ENT Hauts-de-France")).to_be_visible()
