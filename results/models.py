from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from certification.models import CertificationCourse
from exams.models import Candidate, ExamSession
from lib.framework import AREAS, COMPETENCES, Competence

# « V- » + 10 characters: the length a person types from a printout or reads to a recruiter.
CODE_LENGTH = 12


class CertificateStatus(models.TextChoices):
    VALIDATED = "validated", _("Validée")
    REJECTED = "rejected", _("Rejetée")


class Visibility(models.TextChoices):
    PUBLISHED = "published", _("Publié")
    WITHDRAWN = "withdrawn", _("Retiré")


class Certificate(models.Model):
    """The result of one certification course, issued when the jury publishes the session.

    Re-issuing recomputes the result but keeps the row and its verification code; withdrawing
    keeps the row too, so the public page can say the certificate was withdrawn.
    """

    course = models.OneToOneField(
        CertificationCourse, on_delete=models.PROTECT, related_name="certificate"
    )
    session = models.ForeignKey(ExamSession, on_delete=models.PROTECT, related_name="certificates")
    verification_code = models.CharField(
        _("code de vérification"), max_length=CODE_LENGTH, unique=True
    )
    status = models.CharField(_("statut"), max_length=10, choices=CertificateStatus.choices)
    score = models.PositiveSmallIntegerField(_("score"))
    level = models.PositiveSmallIntegerField(_("niveau"))
    # Competence code (« 1.1 ») → level 0-7, for the 16 competences of lib/framework.py.
    competence_levels = models.JSONField(default=dict)
    answer_count = models.PositiveSmallIntegerField()
    theta = models.FloatField()
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.PUBLISHED
    )
    issued_at = models.DateTimeField()
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("certificat")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(score__lte=895), name="score_max"),
            models.CheckConstraint(condition=models.Q(level__lte=7), name="level_max"),
        ]

    def __str__(self) -> str:
        return f"{self.verification_code} ({self.course_id})"

    @property
    def is_published(self) -> bool:
        return self.visibility == Visibility.PUBLISHED

    @property
    def is_validated(self) -> bool:
        """Only a validated certification shows a score: a rejected one has none to give."""
        return self.status == CertificateStatus.VALIDATED

    @property
    def candidate(self) -> Candidate:
        return self.course.candidate

    def competences_by_area(self) -> list[tuple[str, str, list[tuple[Competence, int]]]]:
        """(area code, area name, [(competence, level)…]) for the 5 areas, in order."""
        return [
            (
                area,
                area_name,
                [
                    (c, int(self.competence_levels.get(c.code, 0)))
                    for c in COMPETENCES
                    if c.area == area
                ],
            )
            for area, area_name in AREAS.items()
        ]
