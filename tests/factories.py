"""A factory for every model (tests/test_factories.py keeps the list complete): each builds
a valid row with the fewest decisions, and a test states only what matters to it."""

import datetime as dt
import hashlib

import factory
from django.utils import timezone

from accounts.models import (
    Centre,
    CompetenceLevel,
    ExternalIdentity,
    Membership,
    RateLimitCounter,
    UsedAssertion,
    User,
)
from audit.models import AuditEvent
from certification.models import (
    Answer,
    CertificationCourse,
    CertificationReport,
    IssueReport,
    LiveAlert,
    MessageReceipt,
    RoomMessage,
    RoomSuspension,
    Suspension,
    TimeAddition,
)
from exams.models import Candidate, ExamDuration, ExamSession, PlatformToken, Student, StudentLevel
from finalization.models import IdentityCorrection, SessionRecord
from invigilation.models import InvigilatorAccess, Note, RoomScreen, Watcher
from lib.codes import generate_access_code, generate_invigilator_password
from results.models import Certificate, CertificateStatus

PASSWORD = "Motdepasse1"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.fr")
    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def certifiable(self, create: bool, extracted: bool | None, **kwargs: object) -> None:
        if extracted:
            for code in ("1.1", "1.2", "2.1", "3.1", "4.1"):
                CompetenceLevel.objects.create(user=self, competence=code, level=2)
        if create:
            self.save()


class CentreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Centre

    name = factory.Sequence(lambda n: f"Lycée numéro {n}")
    type = Centre.Type.SCHOOL
    time_zone = Centre.TimeZone.PARIS


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    centre = factory.SubFactory(CentreFactory)


class ExamSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExamSession
        skip_postgeneration_save = True

    centre = factory.SubFactory(CentreFactory)
    number = factory.Sequence(lambda n: str(1000000 + n))
    site_name = "Lycée Victor Hugo"
    address = "1 rue de la République, 69001 Lyon"
    room = "B12"
    date = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=7))
    time = dt.time(14, 0)
    examiner = "Mme Martin"
    access_code = factory.LazyFunction(generate_access_code)
    # Tests that exercise the companion extension turn it on explicitly.
    companion_required = False
    invigilator_password_encrypted = ""
    # No password to hash: the creator only signs the row.
    created_by = factory.SubFactory(UserFactory, password=None)

    @factory.post_generation
    def password(self, create: bool, extracted: str | None, **kwargs: object) -> None:
        self.invigilator_password = extracted or generate_invigilator_password()
        if create:
            self.save(update_fields=["invigilator_password_encrypted"])


class CandidateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Candidate

    session = factory.SubFactory(ExamSessionFactory)
    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Sequence(lambda n: f"Nom{n}")
    birthdate = dt.date(2008, 3, 14)
    sex = "F"
    birth_city = "Lyon"
    birth_postal_code = "69001"
    birth_country = "FRANCE"


class StudentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Student

    centre = factory.SubFactory(CentreFactory)
    key = factory.Sequence(lambda n: f"eleve{n}@lycee.fr")
    first_name = "Léa"
    last_name = factory.Sequence(lambda n: f"Eleve{n}")


class StudentLevelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StudentLevel

    student = factory.SubFactory(StudentFactory)
    competence = "1.1"
    level = 2
    reached_on = dt.date(2026, 1, 15)
    updated_at = factory.LazyFunction(timezone.now)


class PlatformTokenFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlatformToken

    centre = factory.SubFactory(CentreFactory)
    name = "ENT du lycée"
    token_hash = factory.Sequence(lambda n: hashlib.sha256(f"jeton-{n}".encode()).hexdigest())
    created_at = factory.LazyFunction(timezone.now)


class CompetenceLevelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CompetenceLevel

    user = factory.SubFactory(UserFactory)
    competence = "1.1"
    level = 2


class RateLimitCounterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RateLimitCounter

    key = factory.Sequence(lambda n: f"login:ip:10.0.0.{n}")
    until = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(minutes=15))
    count = 1


class ExternalIdentityFactory(factory.django.DjangoModelFactory):
    """A link to an identity provider (the provider need not be configured)."""

    class Meta:
        model = ExternalIdentity

    user = factory.SubFactory(UserFactory)
    provider = "ent"
    subject = factory.Sequence(lambda n: f"sujet-{n}")
    first_name = factory.LazyAttribute(lambda o: o.user.first_name.upper())
    last_name = factory.LazyAttribute(lambda o: o.user.last_name.upper())
    birthdate = dt.date(2008, 3, 14)


class UsedAssertionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UsedAssertion

    key = factory.Sequence(lambda n: hashlib.sha256(f"assertion-{n}".encode()).hexdigest())
    until = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(minutes=10))


class AuditEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AuditEvent

    session = factory.SubFactory(ExamSessionFactory)
    session_number = factory.LazyAttribute(lambda event: event.session.number)
    actor = factory.SubFactory(UserFactory)
    tag = "invigilator:note:add"
    data = factory.Dict({})


class CertificationCourseFactory(factory.django.DjangoModelFactory):
    """A test started now by the candidate's own account (or a new one)."""

    class Meta:
        model = CertificationCourse

    candidate = factory.SubFactory(CandidateFactory)
    user = factory.LazyAttribute(lambda course: course.candidate.user or UserFactory())
    started_at = factory.LazyFunction(timezone.now)
    seed = 7


class AnswerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Answer

    course = factory.SubFactory(CertificationCourseFactory)
    position = factory.Sequence(lambda n: n + 1)
    item_id = factory.Sequence(lambda n: f"1.1-{n:03d}")
    competence = "1.1"
    response = factory.List([0])
    correct = True
    asked_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(seconds=30))
    answered_at = factory.LazyFunction(timezone.now)


class LiveAlertFactory(factory.django.DjangoModelFactory):
    """A candidate's report on the question on screen (`kind=COMPANION`: the extension)."""

    class Meta:
        model = LiveAlert

    course = factory.SubFactory(CertificationCourseFactory)
    kind = LiveAlert.Kind.QUESTION
    item_id = factory.Maybe(
        factory.LazyAttribute(lambda alert: alert.kind == LiveAlert.Kind.QUESTION),
        "1.1-000",
        "",
    )
    question_number = factory.Maybe(
        factory.LazyAttribute(lambda alert: alert.kind == LiveAlert.Kind.QUESTION), 4, None
    )


class IssueReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IssueReport

    course = factory.SubFactory(CertificationCourseFactory)
    category = "IN_CHALLENGE"
    subcategory = "E4"
    question_number = 2
    created_by = factory.SubFactory(UserFactory)


class IdentityCorrectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IdentityCorrection

    report = factory.SubFactory(
        "tests.factories.IssueReportFactory",
        category="CANDIDATE_INFORMATIONS_CHANGES",
        subcategory="C1",
    )
    changes = factory.LazyFunction(lambda: {"first_name": "Léa"})


class CertificationReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CertificationReport

    course = factory.SubFactory(CertificationCourseFactory)
    has_seen_end_screen = True


class ExamDurationFactory(factory.django.DjangoModelFactory):
    """The operator's duration for a complementary certification."""

    class Meta:
        model = ExamDuration
        django_get_or_create = ("complementary_certification",)

    complementary_certification = "CLEA"
    minutes = 60


class TimeAdditionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TimeAddition

    course = factory.SubFactory(CertificationCourseFactory)
    minutes = 10
    reason = "Coupure réseau"
    added_by = factory.SubFactory(UserFactory)
    added_at = factory.LazyFunction(timezone.now)


class RoomSuspensionFactory(factory.django.DjangoModelFactory):
    """A session suspended now (no test stopped with it unless given)."""

    class Meta:
        model = RoomSuspension

    session = factory.SubFactory(ExamSessionFactory)
    message = "Alarme incendie : évacuation"
    started_at = factory.LazyFunction(timezone.now)
    started_by = factory.SubFactory(UserFactory)


class SuspensionFactory(factory.django.DjangoModelFactory):
    """A test suspended on its own, now; the course's `suspended_since` follows."""

    class Meta:
        model = Suspension
        skip_postgeneration_save = True

    course = factory.SubFactory(CertificationCourseFactory)
    reason = "Malaise"
    started_at = factory.LazyFunction(timezone.now)
    started_by = factory.SubFactory(UserFactory)

    @factory.post_generation
    def stop_the_clock(obj, create, extracted, **kwargs):
        if create and obj.ended_at is None:
            CertificationCourse.objects.filter(pk=obj.course_id).update(
                suspended_since=obj.started_at
            )
            obj.course.suspended_since = obj.started_at


class RoomMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoomMessage

    session = factory.SubFactory(ExamSessionFactory)
    text = "Il reste 10 minutes."
    to_everyone = True
    sent_by = factory.SubFactory(UserFactory)
    sent_at = factory.LazyFunction(timezone.now)


class MessageReceiptFactory(factory.django.DjangoModelFactory):
    """A candidate's unread copy of a message sent to their session."""

    class Meta:
        model = MessageReceipt

    candidate = factory.SubFactory(CandidateFactory)
    message = factory.SubFactory(
        RoomMessageFactory, session=factory.SelfAttribute("..candidate.session")
    )


class InvigilatorAccessFactory(factory.django.DjangoModelFactory):
    """An invigilator who entered the session's number and password."""

    class Meta:
        model = InvigilatorAccess

    session = factory.SubFactory(ExamSessionFactory)
    user = factory.SubFactory(UserFactory)
    via = InvigilatorAccess.Via.PASSWORD


class WatcherFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Watcher

    session = factory.SubFactory(ExamSessionFactory)
    user = factory.SubFactory(UserFactory)
    channel_name = factory.Sequence(lambda n: f"specific.test!{n}")
    last_seen = factory.LazyFunction(timezone.now)


class NoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Note

    session = factory.SubFactory(ExamSessionFactory)
    author = factory.SubFactory(UserFactory)
    text = "Salle froide"


class RoomScreenFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoomScreen
        django_get_or_create = ("session",)

    session = factory.SubFactory(ExamSessionFactory)
    access_code_shown = False


class SessionRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SessionRecord

    session = factory.SubFactory(
        ExamSessionFactory, finalized_at=factory.LazyFunction(timezone.now)
    )
    kind = SessionRecord.Kind.REPORT
    content = b"%PDF-1.4 test"
    sha256 = factory.LazyAttribute(lambda record: hashlib.sha256(record.content).hexdigest())
    size = factory.LazyAttribute(lambda record: len(record.content))
    created_at = factory.LazyFunction(timezone.now)
    retain_until = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=5 * 365))


class CertificateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Certificate

    course = factory.SubFactory(CertificationCourseFactory)
    session = factory.LazyAttribute(lambda certificate: certificate.course.candidate.session)
    verification_code = factory.Sequence(lambda n: f"P-{n:08d}")
    status = CertificateStatus.VALIDATED
    score = 320
    level = 2
    competence_levels = factory.Dict({"1.1": 2})
    answer_count = 32
    theta = 0.4
    issued_at = factory.LazyFunction(timezone.now)
    issued_by = factory.SubFactory(UserFactory, is_staff=True, password=None)
