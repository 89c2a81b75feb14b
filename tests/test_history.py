"""invigilation/history.py: one read of a session's history for the live timeline, the
finalization page, the archived documents and the jury's page, in a constant number of
queries whatever the number of candidates and events.

The four tellers' own words are checked where they are shown (tests/test_invigilation.py,
test_finalization.py, test_records.py, test_jury.py); here, what the history holds and
what it costs.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from certification import actions as test_actions
from certification.models import CourseStatus
from exams.models import ExamSession
from finalization.actions import do_finalize_session
from finalization.validation import CandidateReportInput, FinalizationInput, IssueReportInput
from invigilation.actions import do_enter_as_member
from invigilation.history import session_history
from invigilation.models import InvigilatorAccess
from tests import live_record as live
from tests.factories import ExamSessionFactory, UserFactory

# Candidates of each kind per session: absent, confirmed, answering, validated report and a
# note, refused report then ended by the invigilator, resumed with a report left pending.
KINDS = 6


def _lived(session: ExamSession, per_kind: int, invigilator, centre_admin) -> None:
    """A session lived through the real actions, then finalized by the centre."""
    InvigilatorAccess.objects.create(session=session, user=invigilator, via="password")
    do_enter_as_member(centre_admin, session, ip=None)
    reports = []
    for n in range(per_kind * KINDS):
        kind = n % KINDS
        candidate = live.joined(session, f"Eleve{n:02d}", f"Nom{n:02d}")
        if kind == 0:
            continue
        if kind == 1:
            test_actions.do_confirm_presence(candidate, actor=invigilator)
            continue
        run = live.start(candidate, invigilator)
        live.answer(run, 2)
        if kind == 3:
            live.validated_alert(run, invigilator)
            live.note(session, invigilator, f"Poste {n} changé.", candidate=candidate)
        elif kind == 4:
            live.refused_alert(run, invigilator)
            live.end(run, invigilator)
        elif kind == 5:
            test_actions.do_authorize_resume(candidate, actor=invigilator)
            course = run.course
            course.refresh_from_db()
            test_actions.do_report_problem(
                course, user=course.user, token=run.token, item_id=course.current_item_id
            )
        reports.append(
            CandidateReportInput(
                candidate_id=candidate.pk,
                abort_reason="technical",
                issue_reports=[IssueReportInput(subcategory="C7", description="Souris.")],
            )
        )
    live.note(session, invigilator, "Alarme incendie.")
    do_finalize_session(session, FinalizationInput(reports=reports), actor=centre_admin)


def _read_everything(session: ExamSession) -> list[str]:
    """What the four tellers read, related rows included; as text, to compare."""
    history = session_history(session)
    seen = []
    for entry in history.candidates:
        seen.append(f"{entry.candidate} {entry.present} {entry.answered} {entry.neutralized}")
        course, report = entry.course, entry.report
        if course is not None:
            seen.append(f"{course.status} {course.ended_by} {course.candidate}")
        if report is not None:
            seen.append(f"{report.abort_reason} {report.comment}")
        for issue in entry.issue_reports:
            alert = issue.live_alert
            seen.append(f"{issue.label} {issue.created_by} {issue.resolved_by}")
            seen.append(f"{alert.resolved_by if alert else ''}")
        seen += [f"{note.author} {note.text}" for note in entry.notes]
        seen += [f"{e.at} {e.actor}" for e in entry.resumes + entry.closed_alerts]
        seen += [f"{line.at} {line.text}" for line in entry.lines]
    seen += [f"{e.at} {e.text} {e.label} {e.actor} {e.candidate}" for e in history.timeline()]
    seen += [f"{a.user} {a.via}" for a in history.accesses]
    seen += [line.text for line in history.session_lines]
    seen += [f"{note.author}" for note in history.session_notes]
    seen.append(str(history.finalized_by))
    return seen


@pytest.mark.django_db
def test_it_reads_the_whole_history_in_six_queries_whatever_its_size(
    small_bank, centre, centre_admin, django_assert_num_queries
):
    """Candidates with their tests, issue reports, pending alerts, notes, audit trail and
    entries: one query each, for 6 candidates as for 18 (and three times the events)."""
    invigilator = UserFactory(first_name="Alice", last_name="Martin")
    small, large = ExamSessionFactory(centre=centre), ExamSessionFactory(centre=centre)
    _lived(small, 1, invigilator, centre_admin)
    _lived(large, 3, invigilator, centre_admin)

    with django_assert_num_queries(6):
        few = _read_everything(small)
    with django_assert_num_queries(6):
        many = _read_everything(large)

    assert len(many) > 2 * len(few)
    history = session_history(large)
    assert len(history.candidates) == 18 and len(history.started) == 12
    assert {e.course.status for e in history.started} == {
        CourseStatus.ENDED_BY_INVIGILATOR,
        CourseStatus.ENDED_DUE_TO_FINALIZATION,
    }
    assert len(history.timeline()) == large.events.count()


@pytest.mark.django_db
def test_it_gives_each_candidate_its_own_story(small_bank, centre, centre_admin):
    """Events, notes, reports and pending alerts go to the candidate they are about; the
    session's own notes stay with the session."""
    invigilator = UserFactory(first_name="Alice", last_name="Martin")
    session = ExamSessionFactory(centre=centre)
    _lived(session, 1, invigilator, centre_admin)

    history = session_history(session)
    by_kind = {int(entry.candidate.first_name[-2:]): entry for entry in history.candidates}

    assert [entry.present for entry in history.candidates] == [
        kind != 0 for kind in sorted(by_kind)
    ]
    assert by_kind[0].course is None and by_kind[0].events == []
    validated = by_kind[3]
    assert [n.text for n in validated.notes] == ["Poste 3 changé."]
    assert [r.subcategory for r in validated.issue_reports] == ["E4", "C7"]
    assert any("validé par Alice Martin" in line.text for line in validated.lines)
    assert [line.note for line in validated.lines if line.note] == ["Poste 3 changé."]
    assert len(by_kind[5].resumes) == 1 and len(by_kind[5].closed_alerts) == 1
    assert all(e.data["candidate"] == by_kind[5].candidate_id for e in by_kind[5].events)
    assert [n.text for n in history.session_notes] == ["Alarme incendie."]
    assert [line.note for line in history.session_lines] == ["Alarme incendie."]
    assert history.finalized_by == centre_admin
    assert [(a.user, a.via) for a in history.accesses] == [
        (invigilator, "password"),
        (centre_admin, "membership"),
    ]


@pytest.mark.django_db
def test_it_reads_the_live_timeline_newest_first_in_one_query(
    small_bank, centre, centre_admin, django_assert_num_queries
):
    """The Espace Surveillant asks for the newest events only; with the candidates' names it
    already has, that is one query, whatever the length of the trail."""
    invigilator = UserFactory(first_name="Alice", last_name="Martin")
    session = ExamSessionFactory(centre=centre)
    _lived(session, 2, invigilator, centre_admin)
    names = session_history(session).names

    with django_assert_num_queries(1):
        recent = session_history(session).recent(5, names=names)
    with django_assert_num_queries(2):
        named = session_history(session).recent(5)

    newest = list(session.events.order_by("-at", "-pk")[:5])
    assert [entry.event for entry in recent] == newest
    assert [(e.candidate, e.actor, e.label) for e in named] == [
        (e.candidate, e.actor, e.label) for e in recent
    ]
    everything = session_history(session).timeline()
    assert [entry.event for entry in everything][::-1][:5] == newest
    with CaptureQueriesContext(connection) as queries:
        history = session_history(session)
        history.timeline()
        history.recent(5)
    assert len(queries) == 2  # the trail once, the names once
