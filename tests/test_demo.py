"""`manage.py demo`, what `make run` loads: the accounts and sessions it prints exist and
work, the links point where the server answers, and running it again changes nothing."""

import io

import pytest
from django.core.management import call_command

from accounts.models import User
from exams.management.commands.demo import DEMO_PASSWORD
from exams.models import ExamSession

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]


def demo() -> str:
    out = io.StringIO()
    call_command("demo", stdout=out)
    return out.getvalue()


def test_it_prints_log_ins_that_work(client):
    printed = demo()
    for email in ("admin@vigie.test", "surveillant@vigie.test", "jury@vigie.test"):
        assert email in printed
        assert User.objects.get(email=email).check_password(DEMO_PASSWORD)
    assert DEMO_PASSWORD in printed
    for session in ExamSession.objects.all():
        assert f"mot de passe surveillant {session.invigilator_password}" in printed
        assert f"code d'accès {session.access_code}" in printed
    assert client.login(email="admin@vigie.test", password=DEMO_PASSWORD)


def test_it_loads_the_sessions_the_readme_describes():
    demo()
    sizes = sorted(session.candidates.count() for session in ExamSession.objects.all())
    assert sizes == [8, 25]


def test_it_prints_the_address_the_server_was_given(settings):
    settings.SITE_URL = "http://127.0.0.1:8765"
    printed = demo()
    assert "http://127.0.0.1:8765/surveillance/" in printed
    assert "http://127.0.0.1:8765/certification/rejoindre/" in printed
    assert ":8000" not in printed


def test_it_changes_nothing_when_run_again():
    first = demo()
    counts = (User.objects.count(), ExamSession.objects.count())
    again = demo()
    assert (User.objects.count(), ExamSession.objects.count()) == counts
    assert again == first
