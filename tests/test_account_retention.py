"""Accounts unused for 5 years (seed 003): warned by e-mail, then deleted — or anonymized
when the archived records point to them — by `python manage.py purge_accounts`, with
`--dry-run`, idempotent, audited, under a faked clock.

Personas: a pupil who never came back (deleted), a candidate who took a test (anonymized:
the test and its certificate stay), an invigilator (anonymized), a member who signs in
after the warning (kept), the jury (staff: left to the administrators).
"""

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command

from accounts.actions import RETENTION_NOTICE, do_purge_unused_accounts
from accounts.models import ExternalIdentity, User
from audit.models import AuditEvent
from audit.tags import Tag
from certification.models import CertificationCourse
from tests.factories import (
    CandidateFactory,
    CertificationCourseFactory,
    CompetenceLevelFactory,
    ExternalIdentityFactory,
    InvigilatorAccessFactory,
    MembershipFactory,
    UserFactory,
)

JOINED = dt.datetime(2020, 9, 1, 8, 0, tzinfo=dt.UTC)
LAST_SEEN = dt.datetime(2021, 3, 10, 9, 0, tzinfo=dt.UTC)
FIVE_YEARS_ON = dt.datetime(2026, 3, 11, 3, 0, tzinfo=dt.UTC)


@pytest.fixture
def people(db):
    with time_machine.travel(JOINED, tick=False):
        pupil = UserFactory(email="pupil@lycee.fr", first_name="Noé", last_login=LAST_SEEN)
        CompetenceLevelFactory(user=pupil)
        ExternalIdentityFactory(user=pupil)
        candidate = UserFactory(email="cand@lycee.fr", first_name="Léa", last_login=LAST_SEEN)
        line = CandidateFactory(user=candidate, first_name="Léa", last_name="Dupont")
        CertificationCourseFactory(candidate=line, user=candidate)
        invigilator = UserFactory(email="surv@lycee.fr", last_login=LAST_SEEN)
        InvigilatorAccessFactory(user=invigilator)
        member = UserFactory(email="admin@lycee.fr", last_login=LAST_SEEN)
        MembershipFactory(user=member)
        recent = UserFactory(
            email="recent@lycee.fr", last_login=dt.datetime(2025, 1, 5, tzinfo=dt.UTC)
        )
        jury = UserFactory(email="jury@vigie.fr", is_staff=True, last_login=LAST_SEEN)
    # The factories' other accounts (a session's author…) have no address and were last seen
    # the same day: without an e-mail they are not warned, only counted.
    User.objects.filter(last_login__isnull=True).update(last_login=LAST_SEEN, email=None)
    return {
        "pupil": pupil,
        "candidate": candidate,
        "line": line,
        "invigilator": invigilator,
        "member": member,
        "recent": recent,
        "jury": jury,
    }


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """`purge_accounts` at a given moment; the warning is sent once the transaction
    commits, so those callbacks run."""

    def call(at: dt.datetime, *args: str) -> str:
        out = StringIO()
        with (
            time_machine.travel(at, tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            call_command("purge_accounts", *args, stdout=out)
        return out.getvalue()

    return call


def test_it_does_nothing_before_five_years(people, run):
    assert "Aucun compte" in run(FIVE_YEARS_ON - dt.timedelta(days=2))
    assert not mail.outbox


def test_it_warns_first_then_deletes_or_anonymizes_after_the_notice(people, run):
    warned = run(FIVE_YEARS_ON)

    assert sorted(m.to[0] for m in mail.outbox) == [
        "admin@lycee.fr",
        "cand@lycee.fr",
        "pupil@lycee.fr",
        "surv@lycee.fr",
    ]
    assert "votre compte sera supprimé le 10/04/2026" in mail.outbox[0].body
    assert all(f"Compte n° {people[n].pk} " in warned for n in ("pupil", "candidate", "member"))
    assert f"Compte n° {people['recent'].pk} " not in warned
    assert f"Compte n° {people['jury'].pk} " not in warned
    users = User.objects.count()
    assert run(FIVE_YEARS_ON + RETENTION_NOTICE - dt.timedelta(hours=1)).startswith("Aucun")
    assert User.objects.count() == users  # nothing deleted during the notice

    # The member signs in during the notice: kept.
    User.objects.filter(pk=people["member"].pk).update(
        last_login=FIVE_YEARS_ON + dt.timedelta(days=3)
    )
    done = run(FIVE_YEARS_ON + RETENTION_NOTICE)

    assert not User.objects.filter(pk=people["pupil"].pk).exists()
    assert not ExternalIdentity.objects.exists()
    for name in ("candidate", "invigilator"):
        kept = User.objects.get(pk=people[name].pk)
        assert (kept.email, kept.first_name, kept.is_active) == (None, "", False)
        assert not kept.has_usable_password()
        assert kept.anonymized_at is not None
    # What the archived records keep stays: the test, and the line's own identity.
    course = CertificationCourse.objects.get(candidate=people["line"])
    assert course.user_id == people["candidate"].pk
    assert course.candidate.first_name == "Léa"
    assert User.objects.filter(pk=people["member"].pk, is_active=True).exists()
    assert User.objects.filter(pk=people["recent"].pk).exists()
    assert User.objects.filter(pk=people["jury"].pk).exists()
    assert "supprimé" in done and "anonymisé" in done
    tags = list(AuditEvent.objects.values_list("tag", "data__user").order_by("pk"))
    assert (Tag.System.ACCOUNT_DELETE, people["pupil"].pk) in tags
    assert (Tag.System.ACCOUNT_ANONYMIZE, people["candidate"].pk) in tags
    assert all("@" not in str(e.data) for e in AuditEvent.objects.all())  # no address kept


def test_it_is_idempotent(people, run):
    run(FIVE_YEARS_ON)
    run(FIVE_YEARS_ON + RETENTION_NOTICE)
    events, users, sent = AuditEvent.objects.count(), User.objects.count(), len(mail.outbox)

    again = run(FIVE_YEARS_ON + RETENTION_NOTICE + dt.timedelta(days=1))

    assert again.startswith("Aucun")
    assert (AuditEvent.objects.count(), User.objects.count(), len(mail.outbox)) == (
        events,
        users,
        sent,
    )


def test_it_changes_nothing_on_a_dry_run(people, run):
    before = list(User.objects.order_by("pk").values_list("pk", "retention_warned_at"))

    out = run(FIVE_YEARS_ON, "--dry-run")

    assert f"Compte n° {people['pupil'].pk} (dernier accès le 10/03/2021) : serait prévenu" in out
    assert list(User.objects.order_by("pk").values_list("pk", "retention_warned_at")) == before
    assert not mail.outbox
    assert not AuditEvent.objects.exists()


def test_it_warns_again_an_account_used_after_an_old_warning(people, run):
    run(FIVE_YEARS_ON)
    pupil = people["pupil"]
    User.objects.filter(pk=pupil.pk).update(last_login=FIVE_YEARS_ON + dt.timedelta(days=1))

    # Five years after that sign-in: warned again, not deleted at once.
    later = FIVE_YEARS_ON + dt.timedelta(days=1) + dt.timedelta(days=366 * 5)
    steps = do_purge_unused_accounts(now=later, dry_run=True)

    assert [(s.user_id, s.action) for s in steps if s.user_id == pupil.pk] == [(pupil.pk, "warn")]
