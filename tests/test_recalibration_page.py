"""« Recalibration » (jury/questions/recalibration/): the jury sees the bank's parameters
estimated again from the answers (items that moved, by how much, with their answer counts)
and applies them into a new version of the bank, audited with who did it; the running bank
is untouched. Personas: the jury (allowed); the centre admin, an invigilator and a candidate
(404); anonymous (log in)."""

import json
import random
from pathlib import Path

import pytest

from audit.models import AuditEvent
from audit.tags import Tag
from certification import calibration, irt
from certification.bank import load_bank
from tests.factories import AnswerFactory, CertificationCourseFactory

pytestmark = pytest.mark.django_db

URL = "/jury/questions/recalibration/"


@pytest.fixture
def answered(small_bank, settings, tmp_path, monkeypatch):
    """80 tests; "1.1-001" and "1.2-001" answered by all, "1.3-001" by 10 only; an item
    needs 50 answers here (200 in production) and new versions go to a temporary folder."""
    monkeypatch.setattr(calibration, "MIN_ANSWERS", 50)
    settings.BANK_VERSIONS_DIR = str(tmp_path / "versions")
    rng = random.Random(5)
    items = small_bank.by_id()
    for n in range(80):
        theta = rng.gauss(0, 1)
        course = CertificationCourseFactory(theta=theta)
        for position, item_id in enumerate(("1.1-001", "1.2-001", "1.3-001"), start=1):
            if item_id == "1.3-001" and n >= 10:
                continue
            item = items[item_id]
            p = irt.probability(theta, item.discrimination, item.difficulty)
            AnswerFactory(
                course=course, position=position, item_id=item_id, correct=rng.random() < p
            )
    return small_bank


def _proposal(page: str) -> str:
    marker = 'name="proposal" value="'
    return page.split(marker, 1)[1].split('"', 1)[0]


def test_it_shows_the_items_that_moved_by_how_much_with_their_answers(login, jury, answered):
    page = login(jury).get(URL).content.decode()

    estimated = {e.item_id: e for e in calibration.recalibrate(answered, min_answers=50)}
    moved = [e for e in estimated.values() if e.moved]
    assert len(moved) == 2
    assert page.count('data-testid="moved-item"') == 2
    for e in moved:
        assert f'<th scope="row">{e.item_id}</th>' in page
        assert f"<td>{e.answers}</td>" in page
    assert "1.3-001" not in page  # 10 answers: kept, not proposed
    kept = len(answered.items) - 2  # "1.3-001" and every item never asked
    assert f"{kept} gardées faute de réponses." in page
    assert "Appliquer : écrire la version 1" in page


def test_it_applies_the_proposal_into_a_new_version_audited(login, jury, answered, settings):
    client = login(jury)
    source = Path(answered.directory)
    before = source.joinpath("items.yaml").read_text(encoding="utf-8")
    proposal = _proposal(client.get(URL).content.decode())

    response = client.post(URL, {"proposal": proposal}, follow=True)

    target = Path(settings.BANK_VERSIONS_DIR) / "v1"
    assert "Version 1 de la banque écrite dans" in response.content.decode()
    new = load_bank(target)
    estimated = {e.item_id: e for e in calibration.recalibrate(answered, min_answers=50)}
    changed = new.by_id()["1.1-001"]
    assert (changed.discrimination, changed.difficulty) == (
        estimated["1.1-001"].a,
        estimated["1.1-001"].b,
    )
    assert new.by_id()["1.3-001"] == answered.by_id()["1.3-001"]
    assert source.joinpath("items.yaml").read_text(encoding="utf-8") == before
    event = AuditEvent.objects.get(tag=Tag.System.BANK_RECALIBRATE)
    assert event.actor == jury and event.data["version"] == 1 and event.data["items"] == 2
    meta = json.loads((target / "calibration.json").read_text(encoding="utf-8"))
    assert meta["items_changed"] == ["1.1-001", "1.2-001"]
    # Applied twice: the folder exists, nothing more written nor audited.
    again = client.post(URL, {"proposal": proposal}, follow=True)
    assert "existe déjà" in again.content.decode()
    assert AuditEvent.objects.filter(tag=Tag.System.BANK_RECALIBRATE).count() == 1


def test_it_refuses_a_proposal_that_changed_since_it_was_shown(login, jury, answered, settings):
    client = login(jury)
    proposal = _proposal(client.get(URL).content.decode())
    course = CertificationCourseFactory(theta=0.0)
    AnswerFactory(course=course, position=1, item_id="1.1-001", correct=True)

    response = client.post(URL, {"proposal": proposal}, follow=True)

    assert "De nouvelles réponses ont changé les estimations" in response.content.decode()
    assert not Path(settings.BANK_VERSIONS_DIR).joinpath("v1").exists()
    assert not AuditEvent.objects.filter(tag=Tag.System.BANK_RECALIBRATE).exists()


@pytest.mark.parametrize("who", ["centre_admin", "invigilator", "candidate_user"])
def test_it_is_the_jury_s_only(login, answered, settings, request, who):
    client = login(request.getfixturevalue(who))
    proposal = calibration.fingerprint(calibration.recalibrate(answered, min_answers=50))

    assert client.get(URL).status_code == 404
    assert client.post(URL, {"proposal": proposal}).status_code == 404
    assert not Path(settings.BANK_VERSIONS_DIR).joinpath("v1").exists()
    assert not AuditEvent.objects.filter(tag=Tag.System.BANK_RECALIBRATE).exists()


def test_it_sends_anonymous_to_log_in(client, answered):
    assert client.get(URL)["Location"].startswith("/compte/connexion/")
