"""One fixture world in which every page and API operation of Vigie can succeed for someone,
shared by the authorization matrix and the destructive-actions tests.

Two centres: the centre admin's (sessions A, B, F, R, P) and the other centre admin's
(session C). Sessions A and C are in `created` with a candidate in every situation the
Espace Surveillant needs (`Target`); F is finalized (a signed attendance sheet scanned) and ready to publish, R is finalized
with an unresolved question report and an identity correction (C1), P is published. The eight personas:

- anonymous (no user);
- candidate: linked to a line of A, test started (this tab's run token is kept) and
  authorized to resume; also owns the published certificate of P;
- other candidate: linked to a line of C, test started;
- invigilator: entered A with its password (valid until 06:00 the day after A, in the
  centre's time zone: `ExamSession.supervision_ends_at`); other invigilator: entered C only;
- centre admin: member of the centre of A, B, F, R, P; other centre admin: member of C's;
- jury: a staff user (no Django admin permission).

A superuser exists too, only for the Django admin's routes.
"""

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from accounts.models import Centre, User
from audit.events import record_event
from audit.models import AuditEvent
from audit.tags import Tag
from certification import actions as test_actions
from certification import engine
from certification.bank import Bank
from certification.models import Answer, CertificationCourse, CourseStatus, IssueReport, LiveAlert
from exams.models import Candidate, ExamSession
from finalization import validation
from finalization.actions import do_attach_scan, do_finalize_session
from finalization.models import SessionRecord
from invigilation.models import InvigilatorAccess, Note
from jury.actions import do_publish_session
from results.models import Certificate
from tests.factories import (
    CandidateFactory,
    CentreFactory,
    ExamDurationFactory,
    ExamSessionFactory,
    MembershipFactory,
    MessageReceiptFactory,
    RoomSuspensionFactory,
    SuspensionFactory,
    UserFactory,
)
from tests.journey import write_bank

SESSION_PASSWORD = "BCDF-GHJK-MNPQ"
# The smallest scan: a PNG's signature and header (Vigie reads only the signature).
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(17)

ANONYMOUS = "anonymous"
CANDIDATE = "candidate"
OTHER_CANDIDATE = "candidate of another session"
INVIGILATOR = "invigilator of this session"
OTHER_INVIGILATOR = "invigilator of another session"
CENTRE_ADMIN = "centre admin"
OTHER_CENTRE_ADMIN = "admin of another centre"
JURY = "jury"
PERSONAS = [
    ANONYMOUS,
    CANDIDATE,
    OTHER_CANDIDATE,
    INVIGILATOR,
    OTHER_INVIGILATOR,
    CENTRE_ADMIN,
    OTHER_CENTRE_ADMIN,
    JURY,
]
SUPERUSER = "superuser"


@dataclass
class Target:
    """A session in `created` with one candidate per situation an invigilator acts on."""

    session: ExamSession
    absent: Candidate
    confirmed: Candidate
    running: Candidate
    alert: LiveAlert
    companion: LiveAlert
    # Something Vigie saw about the running test (a focus-mode frame left), to put in the PV.
    evidence: AuditEvent
    # A « Suspicion de fraude » line of the PV about the running test (its PV de fraude).
    fraud_line: Note


def build_target(session: ExamSession, runner: User, absent: Candidate | None = None) -> Target:
    """One candidate per situation; the running tests are past their theoretical end."""
    three_hours_ago = timezone.now() - dt.timedelta(hours=3)
    absent = absent or CandidateFactory(session=session, last_name="Absent")
    confirmed = CandidateFactory(
        session=session, last_name="Confirme", authorized_to_start_at=timezone.now()
    )
    running = CandidateFactory(session=session, last_name="Encours")
    alerted = CandidateFactory(session=session, last_name="Signale")
    for candidate in (running, alerted):
        CertificationCourse.objects.create(
            candidate=candidate, user=runner, started_at=three_hours_ago, seed=1
        )
    course = CertificationCourse.objects.get(candidate=alerted)
    CertificationCourse.objects.filter(pk=course.pk).update(current_item_id="1.1-000")
    alert = LiveAlert.objects.create(course=course, item_id="1.1-000", question_number=3)
    companion = LiveAlert.objects.create(
        course=CertificationCourse.objects.get(candidate=running), kind=LiveAlert.Kind.COMPANION
    )
    evidence = record_event(
        Tag.Candidate.FOCUS_LEAVE,
        actor=runner,
        session=session,
        candidate=running.pk,
        item="1.1-000",
        question_number=1,
    )
    fraud_line = Note.objects.create(
        session=session, candidate=running, author=runner, text="Téléphone", code="C6"
    )
    return Target(session, absent, confirmed, running, alert, companion, evidence, fraud_line)


def suspended_room(session: ExamSession) -> ExamSession:
    """Setup for « Reprendre la session »: the session suspended (rows only, whatever its
    status, so the after-the-session checks can build the same call)."""
    RoomSuspensionFactory(session=session)
    return session


def message_to(candidate: Candidate) -> int:
    """Setup for « J'ai lu »: a message sent to the candidate; its id."""
    return MessageReceiptFactory(candidate=candidate).message_id


def suspended_test(candidate: Candidate) -> Candidate:
    """Setup for « Reprendre ce test »: the candidate's running test suspended on its own."""
    SuspensionFactory(course=CertificationCourse.objects.get(candidate=candidate))
    return candidate


@dataclass
class World:
    users: dict[str, User | None]
    centre: Centre
    other_centre: Centre
    a: Target
    b: ExamSession
    c: Target
    own: Candidate  # the candidate persona's line of A
    run_token: str  # the run token of the candidate persona's tab
    finalized: ExamSession  # F: finalized, nothing unresolved, ready to publish
    scan: SessionRecord  # F's signed attendance sheet, scanned (a PNG)
    reviewed: ExamSession  # R: finalized, one unresolved report on question 2
    report: IssueReport
    # R's other candidate: a C1 report asking to correct the first name (« Lea » → « Léa »).
    correction_report: IssueReport
    published: ExamSession  # P: published
    certificate: Certificate  # the candidate persona's, in P
    reset_user: User  # never logs in: a password-reset link for them stays valid
    media: str  # a file of the item bank's media folder

    @property
    def own_course(self) -> CertificationCourse:
        return CertificationCourse.objects.get(candidate=self.own)


def _joined(session: ExamSession, user: User) -> Candidate:
    return CandidateFactory(
        session=session,
        first_name=user.first_name,
        last_name=user.last_name,
        user=user,
        instructions_accepted_at=timezone.now(),
    )


def _completed(candidate: Candidate, bank: Bank, *, runner: User) -> CertificationCourse:
    """32 answers on distinct items, the first 24 right: a validated certification."""
    now = timezone.now()
    course = CertificationCourse.objects.create(
        candidate=candidate,
        user=candidate.user or runner,
        started_at=now - dt.timedelta(hours=1),
        ended_at=now,
        seed=1,
        status=CourseStatus.COMPLETED,
    )
    items = [item for item in bank.items if item.type == "single"][:32]
    Answer.objects.bulk_create(
        Answer(
            course=course,
            position=position,
            item_id=item.id,
            competence=item.competence,
            response=[0] if position <= 24 else [1],
            correct=position <= 24,
            asked_at=now,
            answered_at=now,
        )
        for position, item in enumerate(items, start=1)
    )
    return course


def _finalized(
    session: ExamSession, candidate: Candidate, admin: User, issues: list[str]
) -> ExamSession:
    report = validation.CandidateReportInput(
        candidate_id=candidate.pk,
        has_seen_end_screen=True,
        issue_reports=[
            validation.IssueReportInput(subcategory=code, question_number=2) for code in issues
        ],
    )
    do_finalize_session(session, validation.FinalizationInput(reports=[report]), actor=admin)
    session.refresh_from_db()
    return session


def build_world(bank: Bank) -> World:
    centre = CentreFactory(name="Lycée Victor Hugo")
    other_centre = CentreFactory(name="Lycée Jean Moulin")
    centre_admin = MembershipFactory(centre=centre, user__email="admin@lycee.fr").user
    other_admin = MembershipFactory(centre=other_centre, user__email="admin@autre-lycee.fr").user
    candidate_user = UserFactory(email="eleve@lycee.fr", certifiable=True)
    other_candidate_user = UserFactory(email="eleve@autre-lycee.fr", certifiable=True)
    invigilator = UserFactory(email="surveillant@lycee.fr", first_name="Alice")
    other_invigilator = UserFactory(email="surveillant@autre-lycee.fr")
    jury = UserFactory(email="jury@vigie.fr", is_staff=True)
    superuser = UserFactory(email="root@vigie.fr", is_staff=True, is_superuser=True)
    ExamDurationFactory(complementary_certification="CLEA", minutes=60)  # the operator's
    runner = UserFactory(email="runner@lycee.fr")

    session_a = ExamSessionFactory(
        centre=centre, created_by=centre_admin, password=SESSION_PASSWORD
    )
    session_b = ExamSessionFactory(centre=centre, password=SESSION_PASSWORD)
    session_c = ExamSessionFactory(centre=other_centre, password=SESSION_PASSWORD)
    for session, user in ((session_a, invigilator), (session_c, other_invigilator)):
        InvigilatorAccess.objects.create(
            session=session, user=user, via=InvigilatorAccess.Via.PASSWORD
        )
    target_a = build_target(session_a, runner)
    target_c = build_target(session_c, runner)

    own = _joined(session_a, candidate_user)
    run = test_actions.do_start_or_resume(
        own, user=candidate_user, access_code=_confirmed(own, invigilator)
    )
    assert engine.current_item(run.course) is not None
    test_actions.do_authorize_resume(own, actor=invigilator)
    other_own = _joined(session_c, other_candidate_user)
    test_actions.do_start_or_resume(
        other_own, user=other_candidate_user, access_code=_confirmed(other_own, other_invigilator)
    )

    session_f = ExamSessionFactory(centre=centre, password=SESSION_PASSWORD)
    done_f = CandidateFactory(session=session_f, user=runner)
    _completed(done_f, bank, runner=runner)
    _finalized(session_f, done_f, centre_admin, issues=[])
    scan = do_attach_scan(
        session_f, kind="emargement-signe", name="emargement.png", data=PNG, actor=centre_admin
    )

    session_r = ExamSessionFactory(centre=centre, password=SESSION_PASSWORD)
    done_r = CandidateFactory(session=session_r, user=runner)
    _completed(done_r, bank, runner=runner)
    renamed_r = CandidateFactory(session=session_r, first_name="Lea")
    _completed(renamed_r, bank, runner=runner)
    reports = [
        validation.CandidateReportInput(
            candidate_id=done_r.pk,
            has_seen_end_screen=True,
            issue_reports=[validation.IssueReportInput(subcategory="E9", question_number=2)],
        ),
        validation.CandidateReportInput(
            candidate_id=renamed_r.pk,
            has_seen_end_screen=True,
            issue_reports=[
                validation.IssueReportInput(subcategory="C1", correction={"first_name": "Léa"})
            ],
        ),
    ]
    do_finalize_session(
        session_r, validation.FinalizationInput(reports=reports), actor=centre_admin
    )
    session_r.refresh_from_db()
    report = IssueReport.objects.get(course__candidate=done_r)
    correction_report = IssueReport.objects.get(course__candidate=renamed_r)

    session_p = ExamSessionFactory(centre=centre, password=SESSION_PASSWORD)
    mine_p = _joined(session_p, candidate_user)
    _completed(mine_p, bank, runner=runner)
    _finalized(session_p, mine_p, centre_admin, issues=[])
    do_publish_session(session_p, actor=jury)
    session_p.refresh_from_db()

    media = "simulateur.html"
    (Path(bank.directory) / "media" / media).write_text(
        "<!doctype html><p>Simulateur</p>", encoding="utf-8"
    )
    return World(
        users={
            ANONYMOUS: None,
            CANDIDATE: candidate_user,
            OTHER_CANDIDATE: other_candidate_user,
            INVIGILATOR: invigilator,
            OTHER_INVIGILATOR: other_invigilator,
            CENTRE_ADMIN: centre_admin,
            OTHER_CENTRE_ADMIN: other_admin,
            JURY: jury,
            SUPERUSER: superuser,
        },
        centre=centre,
        other_centre=other_centre,
        a=target_a,
        b=session_b,
        c=target_c,
        own=own,
        run_token=run.token,
        finalized=session_f,
        scan=scan,
        reviewed=session_r,
        report=report,
        correction_report=correction_report,
        published=session_p,
        certificate=Certificate.objects.get(course__candidate=mine_p),
        reset_user=runner,
        media=media,
    )


def _confirmed(candidate: Candidate, invigilator: User) -> str:
    test_actions.do_confirm_presence(candidate, actor=invigilator)
    return candidate.session.access_code


@contextmanager
def persistent_world(django_db_blocker, bank_dir: Path) -> Iterator[World]:
    """Build the world once for a test module, inside a transaction rolled back at the end.

    Each test still runs in its own transaction (pytest-django's `db`), nested as a savepoint
    in this one: whatever a test changes is undone before the next test."""
    with (
        django_db_blocker.unblock(),
        override_settings(
            ITEM_BANK_DIR=str(write_bank(bank_dir)),
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        ),
    ):
        engine.get_bank.cache_clear()
        try:
            with transaction.atomic():
                yield build_world(engine.get_bank())
                transaction.set_rollback(True)
        finally:
            engine.get_bank.cache_clear()
