import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from audit.models import AuditEvent
from exams.models import Candidate, ExamSession


class InvigilatorAccess(models.Model):
    """One row per successful entry into a session's Espace Surveillant (reference §1:
    several invigilators and devices may work on the same session)."""

    class Via(models.TextChoices):
        PASSWORD = "password", _("Numéro et mot de passe de la session")
        MEMBERSHIP = "membership", _("Membre du centre")

    session = models.ForeignKey(ExamSession, on_delete=models.CASCADE, related_name="accesses")
    # Who entered is printed in the session's procès-verbal: the account stays (deactivate it).
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    via = models.CharField(max_length=12, choices=Via.choices)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    authorized_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("entrée dans l'Espace Surveillant")
        indexes = [models.Index(fields=["session", "user"])]

    def __str__(self) -> str:
        # Listed by the Django admin when it refuses to delete the account.
        return _("Entrée de %(user)s dans l'Espace Surveillant de la session %(number)s") % {
            "user": self.user.email,
            "number": self.session.number,
        }


class Watcher(models.Model):
    """An open Espace Surveillant page (one per WebSocket), for « who else is watching ».
    Rows of a worker that died are ignored once `last_seen` is older than TIMEOUT (the page
    sends a heartbeat more often than that)."""

    TIMEOUT = dt.timedelta(seconds=60)

    session = models.ForeignKey(ExamSession, on_delete=models.CASCADE, related_name="watchers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    channel_name = models.CharField(max_length=200, unique=True)
    last_seen = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.user_id} watching {self.session_id}"


class Note(models.Model):
    """The digital « PV d'incident »: a note on the session or on one candidate.

    A note with a `code` (C1…E12, lib/issue_reports.py) is a line of the PV: typed by the
    invigilator, or made in one tap from what Vigie saw (`evidence`, at most one line per
    event). The finalization pre-fills the candidate's reports with these lines."""

    session = models.ForeignKey(ExamSession, on_delete=models.CASCADE, related_name="notes")
    # RESTRICT: unenrolling the candidate a note is about would take the note out of the PV
    # d'incident; deleting the whole session (which takes its notes along) stays possible.
    candidate = models.ForeignKey(
        Candidate, on_delete=models.RESTRICT, null=True, blank=True, related_name="notes"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)
    code = models.CharField(_("catégorie"), max_length=4, blank=True)
    # Required for a problem on a question (E…), as on the paper PV.
    question_number = models.PositiveSmallIntegerField(
        _("numéro de la question"), null=True, blank=True
    )
    action_taken = models.TextField(_("mesure prise"), max_length=500, blank=True)
    # The audit event this line was made from; unique, so two taps make one line.
    evidence = models.OneToOneField(
        AuditEvent, on_delete=models.SET_NULL, null=True, blank=True, related_name="pv_line"
    )

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Note {self.pk} ({self.session_id})"


class RoomScreen(models.Model):
    """The session's « Affichage salle » (issue 16): what the invigilators chose to project.
    The candidates' access code shows only once an invigilator reveals it."""

    session = models.OneToOneField(ExamSession, on_delete=models.CASCADE, related_name="screen")
    access_code_shown = models.BooleanField(default=False)
    changed_at = models.DateTimeField(null=True, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"Affichage salle {self.session_id}"
