"""Uploads over the size limit, in Chromium against uvicorn: the request is refused while
it is read (vigie/handler.py), and the browser shows why."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import AccessibilityChecker
from tests.factories import ExamSessionFactory, MembershipFactory


@pytest.mark.parametrize("megabytes", [3, 40])
def test_it_shows_why_a_file_over_the_limit_is_refused(
    browser_as, axe: AccessibilityChecker, asgi_server: str, tmp_path, megabytes: int
) -> None:
    """A centre admin picks a file larger than IMPORT_MAX_BYTES (2 MiB): the server answers
    413 without reading it all, and the page says so in French, naming the limit."""
    admin = MembershipFactory().user
    session = ExamSessionFactory(centre=admin.memberships.first().centre, created_by=admin)
    big = tmp_path / "candidats.csv"
    big.write_bytes(b"Pr\xc3\xa9nom;Nom\n" + b"x" * (megabytes * 1024 * 1024))
    page = browser_as(admin)
    page.goto(f"{asgi_server}/sessions/{session.pk}/candidats/import/")
    axe.check(page)
    page.get_by_label("Fichier (.ods ou .csv)").set_input_files(str(big))
    with page.expect_navigation():
        page.get_by_role("button", name="Importer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Requête trop volumineuse")
    expect(page.get_by_text("un fichier importé ne peut dépasser 2 Mo")).to_be_visible()
    axe.check(page)
    page.get_by_role("link", name="Revenir à la page").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Importer la liste des candidats")
    axe.check(page)
