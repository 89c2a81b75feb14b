"""What the candidate reads before the test (seed 001): « Extension obligatoire » with where
to install and activate the extension when the session requires it, and the consent text
naming the deployment's data protection contact; and the extension's content script built
for the Vigie origins only (extension/package.py), never for every HTTPS page.

Personas: the candidate persona reads their own pages; another signed-in user gets 404.
"""

import importlib.util
import json
import zipfile
from html import unescape
from pathlib import Path

import pytest
from django.utils import timezone

from invigilation.models import InvigilatorAccess
from tests.factories import CandidateFactory, UserFactory

EXTENSION = Path(__file__).resolve().parent.parent / "extension"


def _package():
    spec = importlib.util.spec_from_file_location("package", EXTENSION / "package.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def line(exam_session, candidate_user):
    exam_session.companion_required = True  # the model's default; the factory turns it off
    exam_session.save()
    return CandidateFactory(session=exam_session, user=candidate_user)


def test_it_shows_extension_obligatoire_with_the_install_links(
    login, line, candidate_user, settings
):
    settings.COMPANION_CHROME_URL = "https://chromewebstore.google.com/detail/vigie/abc"
    settings.COMPANION_FIREFOX_URL = "https://addons.mozilla.org/fr/firefox/addon/vigie/"
    client = login(candidate_user)

    instructions = unescape(
        client.get(f"/certification/candidats/{line.pk}/instructions/").content.decode()
    )
    line.instructions_accepted_at = timezone.now()
    line.save()
    start = unescape(client.get(f"/certification/candidats/{line.pk}/commencer/").content.decode())

    for page in (instructions, start):
        assert "Extension obligatoire" in page
        assert 'href="https://chromewebstore.google.com/detail/vigie/abc"' in page
        assert 'href="https://addons.mozilla.org/fr/firefox/addon/vigie/"' in page
        assert "vérifiez que « Vigie Companion » est activée" in page


def test_it_says_nothing_of_the_extension_when_the_session_does_not_require_it(
    login, line, candidate_user
):
    line.session.companion_required = False
    line.session.save()

    page = login(candidate_user).get(f"/certification/candidats/{line.pk}/instructions/")

    assert 'data-testid="companion-notice"' not in page.content.decode()


def test_it_asks_the_invigilator_when_no_store_link_is_configured(
    login, line, candidate_user, settings
):
    settings.COMPANION_CHROME_URL = settings.COMPANION_FIREFOX_URL = ""

    page = unescape(
        login(candidate_user)
        .get(f"/certification/candidats/{line.pk}/instructions/")
        .content.decode()
    )

    assert "Demandez à votre surveillant comment l'installer sur cet ordinateur." in page


@pytest.mark.parametrize(
    ("contact", "expected"),
    [
        (
            "dpo@academie.fr",
            "en contactant le délégué à la protection des données : dpo@academie.fr.",
        ),
        ("", "en contactant le délégué à la protection des données de votre centre."),
    ],
)
def test_it_names_the_data_protection_contact_in_the_consent(
    login, line, candidate_user, settings, contact, expected
):
    settings.DATA_PROTECTION_CONTACT = contact
    line.instructions_accepted_at = timezone.now()
    line.save()

    page = unescape(
        login(candidate_user).get(f"/certification/candidats/{line.pk}/commencer/").content.decode()
    )

    assert expected in page


def test_it_keeps_another_user_out(login, line):
    client = login(UserFactory())

    assert client.get(f"/certification/candidats/{line.pk}/instructions/").status_code == 404


def test_it_runs_the_content_script_on_the_loopback_only_in_the_source_manifest():
    manifest = json.loads((EXTENSION / "manifest.json").read_text(encoding="utf-8"))

    (script,) = manifest["content_scripts"]
    assert script["matches"] == ["http://127.0.0.1/*", "http://localhost/*"]
    _package().check()  # a wildcard host would fail it


def test_it_builds_the_package_for_the_given_origins_only(tmp_path, monkeypatch):
    package = _package()
    monkeypatch.setattr(
        "sys.argv",
        [
            "package.py",
            "--origin",
            "https://vigie.lycee.fr",
            "--origin",
            "https://vigie.ac-lyon.fr:8443",
            "--out",
            str(tmp_path),
        ],
    )

    package.main()

    (built,) = tmp_path.glob("*.zip")
    with zipfile.ZipFile(built) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        assert "package.py" not in archive.namelist()
    assert manifest["content_scripts"][0]["matches"] == [
        "https://vigie.lycee.fr/*",
        "https://vigie.ac-lyon.fr:8443/*",
    ]


@pytest.mark.parametrize(
    "origin",
    ["https://*/", "https://*.fr", "http://vigie.lycee.fr", "https://vigie.fr/test", "<all_urls>"],
)
def test_it_refuses_to_build_for_more_than_an_origin(tmp_path, monkeypatch, origin):
    package = _package()
    monkeypatch.setattr("sys.argv", ["package.py", "--origin", origin, "--out", str(tmp_path)])

    with pytest.raises(SystemExit):
        package.main()

    assert not list(tmp_path.glob("*.zip"))


def test_it_refuses_a_manifest_that_runs_everywhere(tmp_path, monkeypatch):
    package = _package()
    manifest = json.loads((EXTENSION / "manifest.json").read_text(encoding="utf-8"))
    manifest["content_scripts"][0]["matches"] = ["https://*/*"]
    for name in [*package.FILES, "icons"]:
        source = EXTENSION / name
        target = tmp_path / name
        if source.is_dir():
            target.mkdir()
            for icon in source.iterdir():
                (target / icon.name).write_bytes(icon.read_bytes())
        else:
            target.write_bytes(source.read_bytes())
    (tmp_path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    monkeypatch.setattr(package, "HERE", tmp_path)

    with pytest.raises(SystemExit, match="content script on too many pages"):
        package.check()


# --- The Espace Surveillant (seed 001: « L'extension … est désormais obligatoire », with a
# link to its installation / activation) ---------------------------------------------------


@pytest.fixture
def invigilating(line, invigilator):
    """An invigilator who entered the session with its password."""
    InvigilatorAccess.objects.create(
        session=line.session, user=invigilator, via=InvigilatorAccess.Via.PASSWORD
    )
    return invigilator


def _es_page(client, session) -> str:
    response = client.get(f"/surveillance/sessions/{session.pk}/")
    assert response.status_code == 200
    return unescape(response.content.decode())


def test_it_shows_extension_obligatoire_in_the_espace_surveillant_header(
    login, line, invigilating, settings
):
    settings.COMPANION_CHROME_URL = "https://chromewebstore.google.com/detail/vigie/abc"
    settings.COMPANION_FIREFOX_URL = "https://addons.mozilla.org/fr/firefox/addon/vigie/"

    page = _es_page(login(invigilating), line.session)

    head, rows = page.split('id="candidates"', 1)
    assert 'data-testid="es-companion-notice"' in head  # the session's header, not a row
    assert 'data-testid="es-companion-notice"' not in rows
    assert "Extension obligatoire" in head
    assert 'href="https://chromewebstore.google.com/detail/vigie/abc"' in head
    assert 'href="https://addons.mozilla.org/fr/firefox/addon/vigie/"' in head
    assert "vérifiez que « Vigie Companion » est activée" in head


def test_it_shows_the_centre_admin_the_notice_too_and_sends_to_the_referent_without_links(
    login, line, centre_admin, settings
):
    settings.COMPANION_CHROME_URL = settings.COMPANION_FIREFOX_URL = ""
    client = login(centre_admin)
    assert client.post(f"/surveillance/sessions/{line.session.pk}/entrer/").status_code == 302

    page = _es_page(client, line.session)

    assert "Extension obligatoire" in page
    assert "demandez au référent de votre centre comment l'installer" in page


def test_it_says_nothing_of_the_extension_in_the_es_when_the_session_does_not_require_it(
    login, line, invigilating
):
    line.session.companion_required = False
    line.session.save()

    page = _es_page(login(invigilating), line.session)

    assert 'data-testid="es-companion-notice"' not in page


def test_it_keeps_an_invigilator_who_did_not_enter_away_from_the_notice(login, line):
    response = login(UserFactory()).get(f"/surveillance/sessions/{line.session.pk}/")

    assert response.status_code in (302, 404)
    assert b"es-companion-notice" not in response.content
