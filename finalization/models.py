import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from certification.models import IssueReport
from exams.models import IDENTITY_FIELDS, Candidate, ExamSession

# The documents Vigie builds at finalization (finalization/records.py); the others are scans.
GENERATED_KINDS = ["feuille-emargement", "proces-verbal", "deroulement"]
EXTENSIONS = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}


class SessionRecord(models.Model):
    """A document archived when the session is finalized: the PDF as it was then, never
    regenerated, so later changes to the data cannot alter what was kept."""

    class Kind(models.TextChoices):
        # Values are the download URLs' slugs.
        ATTENDANCE = "feuille-emargement", _("Feuille d'émargement")
        REPORT = "proces-verbal", _("Procès-verbal de session")
        TIMELINE = "deroulement", _("Déroulement de la session")
        # Scans the centre attaches (finalization/scans.py), several of each if need be.
        SIGNED_ATTENDANCE = "emargement-signe", _("Feuille d'émargement signée (scan)")
        SIGNED_REPORT = "pv-signe", _("PV signé (scan)")
        # One per « Suspicion de fraude » (C6) line of the PV, built at finalization too.
        FRAUD_REPORT = "pv-fraude", _("PV de fraude")

    # PROTECT: a session with archived documents must not disappear before they expire.
    session = models.ForeignKey(ExamSession, on_delete=models.PROTECT, related_name="records")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    content = models.BinaryField()
    # What the content is, read from its first bytes (never from a file name).
    media_type = models.CharField(max_length=40, default="application/pdf")
    # A scan: who attached it and the name of the file sent.
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    original_name = models.CharField(max_length=200, blank=True)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField()
    # The last day the centre must keep the document (seed 004: 5 years).
    retain_until = models.DateField(db_index=True)

    class Meta:
        verbose_name = _("document archivé")
        ordering = ["session", "kind"]
        constraints = [
            # One of each generated document; scans may be several pages or PVs.
            models.UniqueConstraint(
                fields=["session", "kind"],
                condition=models.Q(kind__in=GENERATED_KINDS),
                name="one_generated_record_per_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.session_id})"

    @property
    def is_scan(self) -> bool:
        return self.kind in (self.Kind.SIGNED_ATTENDANCE, self.Kind.SIGNED_REPORT)

    @property
    def by_id(self) -> bool:
        """Several of its kind per session (scans, PVs de fraude): reached by its id."""
        return self.kind not in GENERATED_KINDS

    @property
    def extension(self) -> str:
        return EXTENSIONS.get(self.media_type, "pdf")

    @property
    def filename(self) -> str:
        if self.by_id:
            return f"{self.kind}-session-{self.session.number}-{self.pk}.{self.extension}"
        return f"{self.kind}-session-{self.session.number}.pdf"


class IdentityCorrection(models.Model):
    """The identity a C1 report (« Modification des informations du candidat ») asks for:
    only the fields that change, as strings (a date in ISO 8601). The jury decides; once
    accepted, `before` keeps what the line held, so the change can be read back."""

    class Status(models.TextChoices):
        PENDING = "pending", _("En attente de la décision du jury")
        ACCEPTED = "accepted", _("Acceptée")
        REFUSED = "refused", _("Refusée")

    # PROTECT both ways: a decided correction is evidence of a change of identity.
    report = models.OneToOneField(
        IssueReport, on_delete=models.PROTECT, related_name="identity_correction"
    )
    changes = models.JSONField()
    before = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("correction d'identité")

    def __str__(self) -> str:
        return f"C1 {self.status} ({self.report_id})"

    def lines(self) -> list[tuple[str, str, str]]:
        """(field, before, after): before as kept at acceptance, else the line as it is."""
        before = self.before or current_values(self.report.course.candidate)
        return [
            (field_label(name), display(name, before.get(name, "")), display(name, value))
            for name, value in sorted(self.changes.items(), key=lambda i: _ORDER[i[0]])
        ]


_ORDER = {name: position for position, name in enumerate(IDENTITY_FIELDS)}


def current_values(candidate: Candidate) -> dict[str, str]:
    """The candidate's identity as strings (a date as ISO 8601), as a correction stores it."""
    values = {}
    for name in IDENTITY_FIELDS:
        value = getattr(candidate, name)
        values[name] = value.isoformat() if isinstance(value, dt.date) else str(value or "")
    return values


def field_label(name: str) -> str:
    field = Candidate._meta.get_field(name)
    assert isinstance(field, models.Field)
    return str(field.verbose_name)


def display(name: str, value: str) -> str:
    """A stored value as people read it: a date as JJ/MM/AAAA, the sex by its label."""
    if name == "birthdate" and value:
        return dt.date.fromisoformat(value).strftime("%d/%m/%Y")
    if name == "sex" and value:
        return str(Candidate.Sex(value).label)
    return value
