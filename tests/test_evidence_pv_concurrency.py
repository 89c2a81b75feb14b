"""« Ajouter au PV » tapped by two invigilators at the same instant (or twice on a bad
network), with real threads on PostgreSQL: one line of the PV, one audit row, and both taps
answer with that line — never an error."""

import pytest
from django.db import connection

from audit.events import record_event
from audit.models import AuditEvent
from audit.tags import Tag
from invigilation.actions import do_evidence_to_pv
from invigilation.models import Note
from tests.concurrency import race
from tests.factories import CandidateFactory, ExamSessionFactory, UserFactory

pytestmark = [
    pytest.mark.usefixtures("fast_password_hashing"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres_only,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="real concurrency needs PostgreSQL (set DATABASE_URL); SQLite serializes writers",
    ),
]

ROUNDS = 8


def test_it_makes_one_line_when_two_invigilators_tap_the_same_evidence_at_once():
    session = ExamSessionFactory()
    alice = UserFactory(first_name="Alice", last_name="Martin")
    bruno = UserFactory(first_name="Bruno", last_name="Petit")
    for n in range(ROUNDS):
        candidate = CandidateFactory(session=session, last_name=f"Focus{n}")
        event = record_event(
            Tag.Candidate.FOCUS_LEAVE,
            actor=None,
            session=session,
            candidate=candidate.pk,
            item="focus-2",
            question_number=n + 1,
        )
        results = race(
            lambda c=candidate, e=event: do_evidence_to_pv(c, e, actor=alice),
            lambda c=candidate, e=event: do_evidence_to_pv(c, e, actor=bruno),
        )
        assert all(isinstance(result, Note) for result in results), results
        line = Note.objects.get(evidence=event)
        assert [result.pk for result in results] == [line.pk, line.pk]
        assert (line.code, line.question_number) == ("E10", n + 1)
        added = AuditEvent.objects.filter(tag=Tag.Invigilator.PV_LINE_ADD, data__evidence=event.pk)
        assert added.count() == 1
