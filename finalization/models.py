from django.db import models
from django.utils.translation import gettext_lazy as _

from exams.models import ExamSession


class SessionRecord(models.Model):
    """A document archived when the session is finalized: the PDF as it was then, never
    regenerated, so later changes to the data cannot alter what was kept."""

    class Kind(models.TextChoices):
        # Values are the download URLs' slugs.
        ATTENDANCE = "feuille-emargement", _("Feuille d'émargement")
        REPORT = "proces-verbal", _("Procès-verbal de session")
        TIMELINE = "deroulement", _("Déroulement de la session")

    # PROTECT: a session with archived documents must not disappear before they expire.
    session = models.ForeignKey(ExamSession, on_delete=models.PROTECT, related_name="records")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    content = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField()
    # The last day the centre must keep the document (seed 004: 5 years).
    retain_until = models.DateField(db_index=True)

    class Meta:
        verbose_name = _("document archivé")
        ordering = ["session", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["session", "kind"], name="one_record_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.session_id})"

    @property
    def filename(self) -> str:
        return f"{self.kind}-session-{self.session.number}.pdf"
