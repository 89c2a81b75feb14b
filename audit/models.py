from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """Who did what, when, with before/after: the record an exam dispute relies on.

    Tags follow `source:subject:action` (audit/tags.py). The session is referenced by name
    (« exams.ExamSession »): the audit trail sits below every app that writes to it.
    """

    session = models.ForeignKey(
        "exams.ExamSession",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="events",
    )
    # Kept when the session is deleted, so the deletion's own row still names it.
    session_number = models.CharField(max_length=12, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    tag = models.CharField(max_length=60)
    at = models.DateTimeField(auto_now_add=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["session", "at"], name="audit_event_session_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.tag}"
