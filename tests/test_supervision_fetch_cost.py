"""What a live event costs the Espace Surveillant (issue 14's push regression): the page
fetches the rows an event changed with `since=` its journal's mark, and gets the counts and
the journal only when the session's journal moved on — an answer's event writes no audit
row and costs its row alone; a start, an end, a report… write one and bring them.

Personas: Alice Martin entered the session with its password; the `invigilator` persona did
not and is refused.
"""

import re

import pytest
from django.test import Client

from audit.events import record_event
from audit.models import AuditEvent
from audit.tags import Tag
from certification import actions as test_actions
from certification import engine
from certification.models import AlertStatus, LiveAlert
from exams.models import Candidate
from invigilation.models import InvigilatorAccess
from invigilation.state import journal_mark, session_counts
from tests.factories import (
    CandidateFactory,
    CertificationCourseFactory,
    LiveAlertFactory,
    UserFactory,
)
from tests.live_record import answer, joined, start


@pytest.fixture
def alice(exam_session):
    user = UserFactory(first_name="Alice", last_name="Martin")
    InvigilatorAccess.objects.create(session=exam_session, user=user, via="password")
    return user


@pytest.fixture
def as_alice(login, alice) -> Client:
    return login(alice)


@pytest.fixture
def running(exam_session, small_bank, alice):
    """Léa's test runs (one question answered), Hugo is enrolled."""
    lea = joined(exam_session, "Léa", "Dupont")
    CandidateFactory(session=exam_session, first_name="Hugo", last_name="Abadi")
    run = start(lea, alice)
    answer(run, 1)
    return exam_session, lea, run


def _url(session) -> str:
    return f"/surveillance/sessions/{session.pk}/lignes/"


def _mark(html: str) -> str:
    found = re.search(r'<ol id="timeline"[^>]* data-mark="([^"]*)"', html)
    assert found, "the journal carries its mark"
    return found.group(1)


@pytest.mark.django_db
def test_it_gives_the_page_the_mark_of_its_journal(as_alice, running):
    session, *_ = running
    html = as_alice.get(f"/surveillance/sessions/{session.pk}/").content.decode()
    assert _mark(html) == journal_mark(session)
    events = AuditEvent.objects.filter(session=session)
    assert journal_mark(session) == f"{events.count()}-{max(e.pk for e in events)}"


@pytest.mark.django_db
def test_it_sends_the_row_alone_while_the_journal_has_not_moved(
    as_alice, running, django_assert_num_queries
):
    session, lea, _run = running
    mark = journal_mark(session)
    # The session, the user, the access (session, membership, password access), the row
    # with its course's additions, open suspension and alerts, its notes, what Vigie saw on
    # it (issue 15's evidence), and the mark: no counts, no journal.
    with django_assert_num_queries(12):
        response = as_alice.get(_url(session), {"ids": str(lea.pk), "since": mark})
    html = response.content.decode()
    assert response.status_code == 200
    assert f'<li id="candidate-{lea.pk}" ' in html
    assert 'id="timeline"' not in html and 'id="counter"' not in html


@pytest.mark.django_db
def test_it_sends_the_counts_and_the_new_line_once_an_action_wrote_to_the_journal(
    as_alice, running, alice, django_assert_num_queries
):
    session, _lea, _run = running
    hugo = Candidate.objects.get(session=session, first_name="Hugo")
    mark = journal_mark(session)
    test_actions.do_confirm_presence(hugo, actor=alice)

    # Hugo's row has no test yet (no additions, suspensions nor alerts to read): 9 with its
    # evidence, the mark, then the counts (2) and the new line (2: the events after the
    # page's mark, the names they need) — not the whole journal (4: who watches, the notes,
    # every name, 50 events).
    with django_assert_num_queries(14):
        response = as_alice.get(_url(session), {"ids": str(hugo.pk), "since": mark})
    html = response.content.decode()
    assert 'id="counter"' in html and "2 / 2 candidats présents" in html
    assert 'id="timeline"' not in html and 'id="watchers"' not in html
    new = re.findall(r'<ol hx-swap-oob="afterbegin:#timeline">(.*?)</ol>', html)
    assert len(new) == 1 and new[0].count("<li") == 1
    assert "ABADI Hugo" in new[0] and "Alice Martin" in new[0]
    # The new line carries the new mark: with it, the next event that wrote nothing costs
    # its row alone.
    now = re.search(r'<li [^>]*data-mark="([^"]*)"', new[0])
    assert now and now.group(1) == journal_mark(session) != mark
    again = as_alice.get(_url(session), {"ids": str(hugo.pk), "since": now.group(1)})
    assert (
        "#timeline" not in again.content.decode() and 'id="counter"' not in again.content.decode()
    )


@pytest.mark.django_db
def test_it_sends_the_whole_journal_when_the_new_lines_cannot_be_told_apart(
    as_alice, running, alice
):
    """An event that took an earlier id but committed after the page's mark: the lines
    after the mark's id are not all that is new, the counts say so."""
    session, lea, _run = running
    first = record_event(Tag.Candidate.FOCUS_LEAVE, actor=alice, session=session)
    record_event(Tag.Candidate.FOCUS_LEAVE, actor=alice, session=session)
    pk = first.pk
    first.delete()  # as if not yet committed
    mark = journal_mark(session)
    AuditEvent.objects.create(
        pk=pk, tag=Tag.Candidate.FOCUS_LEAVE, actor=alice, session=session, data={}
    )
    html = as_alice.get(_url(session), {"ids": str(lea.pk), "since": mark}).content.decode()
    assert '<ol id="timeline"' in html and "afterbegin" not in html


@pytest.mark.django_db
def test_it_costs_nothing_more_for_an_answer_and_brings_the_journal_for_the_last_one(
    as_alice, running, small_bank
):
    session, lea, run = running
    mark = journal_mark(session)
    course = answer(run, 1)
    assert journal_mark(session) == mark  # an ordinary answer writes no audit row
    answer(run, engine.TEST_LENGTH - course.answers.count())  # the last one ends the test
    html = as_alice.get(_url(session), {"ids": str(lea.pk), "since": mark}).content.decode()
    assert "afterbegin:#timeline" in html and "Test terminé" in html


@pytest.mark.django_db
def test_it_sees_an_event_that_took_an_earlier_id_but_committed_later(running, alice):
    """Two transactions: the one with the earlier id commits last. The last id alone would
    not move; the count does."""
    session, _lea, _run = running
    first = record_event(Tag.Candidate.FOCUS_LEAVE, actor=alice, session=session)
    record_event(Tag.Candidate.FOCUS_LEAVE, actor=alice, session=session)
    pk = first.pk
    first.delete()  # as if not yet committed
    mark = journal_mark(session)
    AuditEvent.objects.create(
        pk=pk, tag=Tag.Candidate.FOCUS_LEAVE, actor=alice, session=session, data={}
    )
    assert journal_mark(session) != mark


@pytest.mark.django_db
def test_it_sends_everything_when_the_mark_is_unknown_or_forced(as_alice, running):
    session, lea, _run = running
    for params in ({"since": "nonsense"}, {"since": ""}, {"journal": "1"}):
        html = as_alice.get(_url(session), {"ids": str(lea.pk), **params}).content.decode()
        assert 'id="timeline"' in html and 'id="counter"' in html, params


@pytest.mark.django_db
def test_it_refuses_the_fetch_to_an_invigilator_who_did_not_enter(login, running, invigilator):
    session, lea, _run = running
    response = login(invigilator).get(
        _url(session), {"ids": str(lea.pk), "since": journal_mark(session)}
    )
    assert response.status_code in (403, 404)
    assert b"Dupont" not in response.content and b"DUPONT" not in response.content


@pytest.mark.django_db
def test_it_counts_the_head_in_two_queries_a_test_with_two_alerts_once(
    exam_session, django_assert_num_queries
):
    """The head's counts, read by every start's fetch: the candidates, those present and the
    tests with an ongoing alert in one query (two alerts of one test join twice: counted
    once), the running tests' ends in the other."""
    both = CertificationCourseFactory(candidate=CandidateFactory(session=exam_session))
    LiveAlertFactory(course=both)
    LiveAlertFactory(course=both, kind=LiveAlert.Kind.COMPANION)
    one = CertificationCourseFactory(candidate=CandidateFactory(session=exam_session))
    LiveAlertFactory(course=one)
    LiveAlertFactory(course=one, kind=LiveAlert.Kind.COMPANION, status=AlertStatus.REFUSED)
    CertificationCourseFactory(candidate=CandidateFactory(session=exam_session))
    CandidateFactory(session=exam_session)  # enrolled, not present
    other = CertificationCourseFactory()  # another session's alert
    LiveAlertFactory(course=other)

    with django_assert_num_queries(2):
        counts = session_counts(exam_session)
    assert counts == {"present": 3, "total": 4, "alerts": 2, "time_over": 0}
