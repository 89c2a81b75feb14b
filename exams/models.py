import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Centre
from lib import crypto
from lib.codes import password_matches
from lib.framework import COMPETENCE_CODES, MAX_LEVEL, is_certifiable
from lib.prepared import Prepared
from lib.text import normalize_name, split_names

# Seed 004: « Il prévoit la présence d'un surveillant pour 20 élèves maximum ».
MAX_CANDIDATES_PER_INVIGILATOR = 20
# Seed 004 / reference §6: « maximum 1h45 (hors temps majoré) ». A complementary
# certification may last otherwise: `ExamDuration`, set by the operator.
TEST_DURATION = dt.timedelta(minutes=105)
# An access by the session's password ends at 06:00 the day after the session, in the
# centre's time zone: the longest test (1 h 45 + 100 % extra time = 3 h 30) of a session
# planned late in the evening and starting late still ends before it, and nobody invigilates
# a session the next morning. Centre members are not bound by it (their membership is).
SUPERVISION_GRACE = dt.timedelta(hours=6)
# Normalized name keys: compatibility decomposition can expand a character (« ﬃ » → FFI).
KEY_LENGTH = 400


def name_key(name: str) -> str:
    """The stored form of a name for duplicate detection and join matching."""
    return normalize_name(name)[:KEY_LENGTH]


class SessionStatus(models.TextChoices):
    CREATED = "created", _("Créée")
    FINALIZED = "finalized", _("Finalisée")
    IN_PROCESS = "in_process", _("En cours de traitement")
    PUBLISHED = "published", _("Résultats publiés")


class ExamSession(models.Model):
    """A certification session planned by a centre.

    Its status is derived from dates (reference §1): published_at → published; else a jury
    member assigned → in process; else finalized_at → finalized; else created.
    """

    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="sessions")
    number = models.CharField(_("numéro de session"), max_length=12, unique=True)
    site_name = models.CharField(_("nom du site"), max_length=200)
    address = models.CharField(_("adresse"), max_length=300, blank=True)
    room = models.CharField(_("salle"), max_length=100)
    date = models.DateField(_("date"))
    time = models.TimeField(_("heure"))
    examiner = models.CharField(_("surveillant(s)"), max_length=300)
    description = models.TextField(_("description"), blank=True, max_length=2000)
    # Seed 001: « L'extension Pix Companion est désormais obligatoire » — per session here.
    companion_required = models.BooleanField(
        _("extension Vigie Companion obligatoire"), default=True
    )
    access_code = models.CharField(_("code d'accès (candidats)"), max_length=6)
    invigilator_password_encrypted = models.TextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finalized_at = models.DateTimeField(null=True, blank=True)
    assigned_officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    # Written by the centre at finalization (reference §1: examinerGlobalComment ≤ 500,
    # hasIncident, hasJoiningIssue).
    examiner_global_comment = models.TextField(_("commentaire global"), blank=True, max_length=500)
    has_incident = models.BooleanField(_("incident pendant la session"), default=False)
    has_joining_issue = models.BooleanField(_("problème d'accès à la session"), default=False)

    class Meta:
        verbose_name = _("session de certification")
        ordering = ["date", "time", "number"]
        constraints = [
            models.CheckConstraint(condition=models.Q(number__regex=r"^[0-9]+$"), name="digits")
        ]

    def __str__(self) -> str:
        return f"Session {self.number}"

    @property
    def status(self) -> SessionStatus:
        if self.published_at:
            return SessionStatus.PUBLISHED
        if self.assigned_officer_id:
            return SessionStatus.IN_PROCESS
        if self.finalized_at:
            return SessionStatus.FINALIZED
        return SessionStatus.CREATED

    @property
    def is_accessible(self) -> bool:
        """Only a session still in `created` can be edited, joined or invigilated."""
        return self.status == SessionStatus.CREATED

    @property
    def invigilator_password(self) -> str:
        return crypto.decrypt(self.invigilator_password_encrypted)

    @invigilator_password.setter
    def invigilator_password(self, value: str) -> None:
        self.invigilator_password_encrypted = crypto.encrypt(value)

    def check_invigilator_password(self, typed: str) -> bool:
        return password_matches(self.invigilator_password, typed)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.centre.time_zone)

    @property
    def starts_at(self) -> dt.datetime:
        """Planned start, as an aware datetime in the centre's time zone."""
        return dt.datetime.combine(self.date, self.time, tzinfo=self.zone)

    @property
    def supervision_ends_at(self) -> dt.datetime:
        """When an access by the session's password ends (SUPERVISION_GRACE after the end of
        the session's day, in the centre's time zone); read from the date, so moving the
        session moves it too."""
        next_day = dt.datetime.combine(self.date + dt.timedelta(days=1), dt.time(), self.zone)
        return next_day + SUPERVISION_GRACE

    def invigilator_names(self) -> list[str]:
        return split_names(self.examiner)

    def max_candidates(self) -> int:
        return MAX_CANDIDATES_PER_INVIGILATOR * max(1, len(self.invigilator_names()))

    def is_understaffed(self, candidate_count: int) -> bool:
        return candidate_count > self.max_candidates()


class ComplementaryCertification(models.TextChoices):
    NONE = "", _("Aucune")
    CLEA = "CLEA", _("CléA Numérique")
    DROIT = "DROIT", _("Pix+ Droit")
    EDU_1ER = "EDU_1ER_DEGRE", _("Pix+ Édu 1er degré")
    EDU_2ND = "EDU_2ND_DEGRE", _("Pix+ Édu 2nd degré")
    EDU_CPE = "EDU_CPE", _("Pix+ Édu CPE")
    PRO_SANTE = "PRO_SANTE", _("Pix+ Pro Santé")


class ExamDuration(models.Model):
    """How long a test lasts when a complementary certification is taken with it, set by the
    operator in the administration; without a line, the certification's 1 h 45. Read once, at
    the test's start: the course keeps its duration, whatever the operator changes later."""

    complementary_certification = models.CharField(
        _("certification complémentaire"),
        max_length=20,
        choices=ComplementaryCertification.choices,
        unique=True,
        blank=True,
    )
    minutes = models.PositiveSmallIntegerField(
        _("durée (minutes)"), validators=[MinValueValidator(10), MaxValueValidator(300)]
    )

    class Meta:
        verbose_name = _("durée d'épreuve")
        verbose_name_plural = _("durées d'épreuve")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(minutes__gte=10, minutes__lte=300), name="test_duration_bounds"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_complementary_certification_display()} : {self.minutes} min"

    @classmethod
    def of(cls, complementary_certification: str) -> dt.timedelta:
        found = _DURATION.first(complementary_certification)
        return dt.timedelta(minutes=found[0]) if found and found[0] else TEST_DURATION


# Read at every start (lib/prepared.py: compiled once; at nine o'clock every room starts).
_DURATION: "Prepared[Any]" = Prepared(
    lambda code: (
        ExamDuration.objects.filter(complementary_certification=code)
        .order_by("pk")
        .values_list("minutes")
    ),
    kinds=(str,),
)


# A candidate's civil identity: frozen once the test started (corrections go through the
# finalization's C1 report), since the answers and the certificate are about this person.
IDENTITY_FIELDS = (
    "first_name",
    "last_name",
    "birthdate",
    "sex",
    "birth_city",
    "birth_postal_code",
    "birth_country",
)


class Candidate(models.Model):
    class Sex(models.TextChoices):
        FEMALE = "F", _("Femme")
        MALE = "M", _("Homme")

    session = models.ForeignKey(ExamSession, on_delete=models.CASCADE, related_name="candidates")
    first_name = models.CharField(_("prénom"), max_length=100)
    last_name = models.CharField(_("nom de naissance"), max_length=100)
    birthdate = models.DateField(_("date de naissance"))
    sex = models.CharField(_("sexe"), max_length=1, choices=Sex.choices)
    birth_city = models.CharField(_("commune de naissance"), max_length=100)
    birth_postal_code = models.CharField(_("code postal de naissance"), max_length=10, blank=True)
    birth_country = models.CharField(_("pays de naissance"), max_length=100, default="FRANCE")
    email = models.EmailField(_("e-mail"), blank=True)
    result_recipient_email = models.EmailField(
        _("e-mail du destinataire des résultats"), blank=True
    )
    external_id = models.CharField(_("identifiant externe"), max_length=100, blank=True)
    # The pupil's class (« 3e B », « Terminale 2 »): the establishment's results by class.
    school_class = models.CharField(_("classe"), max_length=40, blank=True)
    extra_time_percentage = models.PositiveSmallIntegerField(_("temps majoré (%)"), default=0)
    complementary_certification = models.CharField(
        _("certification complémentaire"),
        max_length=20,
        choices=ComplementaryCertification.choices,
        blank=True,
    )
    # Normalized names: duplicate detection now, join matching later (reference §1).
    # NFKD and ligatures (« œ » → OE) can make a key longer than the name it comes from.
    first_name_key = models.CharField(max_length=KEY_LENGTH, editable=False)
    last_name_key = models.CharField(max_length=KEY_LENGTH, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="candidacies",
    )
    linked_at = models.DateTimeField(null=True, blank=True)
    instructions_accepted_at = models.DateTimeField(null=True, blank=True)
    # Issue 16: before the test, the candidate's pages (instructions, start) say whether they
    # detect the companion extension, for the readiness board; None: not checked yet.
    companion_detected = models.BooleanField(null=True, blank=True)
    # Presence confirmed by an invigilator: a one-shot token, consumed by a start or a resume
    # (reference §2.3), so a candidate who leaves cannot come back alone.
    authorized_to_start_at = models.DateTimeField(null=True, blank=True)
    authorized_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("candidat")
        ordering = ["last_name_key", "first_name_key", "birthdate"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "last_name_key", "first_name_key", "birthdate"],
                name="one_candidate_per_identity",
            ),
            models.CheckConstraint(
                condition=models.Q(extra_time_percentage__lte=100), name="extra_time_max"
            ),
            # One account per candidate line and one candidate line per account and session.
            models.UniqueConstraint(fields=["session", "user"], name="one_candidate_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.last_name.upper()} {self.first_name}"

    def save(self, *args: object, **kwargs: object) -> None:
        self.first_name_key = name_key(self.first_name)
        self.last_name_key = name_key(self.last_name)
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def has_started_test(self) -> bool:
        """A test exists (`certification.CertificationCourse`, reached by its relation's
        name): from then on the line, its identity and its session are evidence."""
        return Candidate.objects.filter(pk=self.pk, course__isnull=False).exists()

    @property
    def extra_time(self) -> dt.timedelta:
        return self.extra_time_for(TEST_DURATION)

    def extra_time_for(self, duration: dt.timedelta) -> dt.timedelta:
        """« Temps majoré »: a percentage of the test's own duration."""
        return duration * self.extra_time_percentage / 100

    def eligibility(self, levels: dict[str, int] | None) -> bool | None:
        """Certifiable or not, or None when no Vigie account is known for the candidate."""
        if levels is None:
            return None
        return is_certifiable(levels)


class Student(models.Model):
    """A pupil as the centre (or the learning platform its pupils use) knows them, before
    any enrolment: who they are and the competence levels they reached (seed 004: « atteint
    un niveau 1 minimum dans au moins 5 compétences »). `key` is the centre's identifier for
    the pupil, their e-mail or the candidate lines' « identifiant externe » (INE…), compared
    without case; a candidate of the centre's sessions with that e-mail or identifier gets
    these levels for its eligibility."""

    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="students")
    key = models.CharField(_("identifiant de l'élève"), max_length=254)
    first_name = models.CharField(_("prénom"), max_length=100, blank=True)
    last_name = models.CharField(_("nom de naissance"), max_length=100, blank=True)
    school_class = models.CharField(_("classe"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("élève")
        ordering = ["centre", "last_name", "first_name", "key"]
        constraints = [
            models.UniqueConstraint(fields=["centre", "key"], name="one_student_per_key")
        ]

    def __str__(self) -> str:
        return f"{self.last_name.upper()} {self.first_name}".strip() or self.key


def student_key(value: str) -> str:
    """The stored form of a pupil's identifier: trimmed, lower-case."""
    return value.strip().lower()


class StudentLevel(models.Model):
    """A competence level a pupil reached, and the day they reached it."""

    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="levels")
    competence = models.CharField(max_length=4, choices=[(c, c) for c in COMPETENCE_CODES])
    level = models.PositiveSmallIntegerField()
    reached_on = models.DateField(_("atteint le"))
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("niveau de compétence d'un élève")
        ordering = ["student", "competence"]
        constraints = [
            models.UniqueConstraint(
                fields=["student", "competence"], name="one_student_level_per_competence"
            ),
            models.CheckConstraint(
                condition=models.Q(level__lte=MAX_LEVEL), name="student_level_max"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.competence}: {self.level}"


class PlatformToken(models.Model):
    """What the learning platform a centre's pupils use presents to send their competence
    levels (`Authorization: Bearer …`). Only its SHA-256 is kept: the token is shown once,
    when created (`python manage.py platform_token create`); revoking it is immediate."""

    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="platform_tokens")
    name = models.CharField(_("nom de la plateforme"), max_length=100)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("jeton de plateforme")
        ordering = ["centre", "name", "pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.centre_id})"
