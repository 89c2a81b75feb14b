import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from exams.models import TEST_DURATION, Candidate, ExamSession
from lib import issue_reports


class CourseStatus(models.TextChoices):
    STARTED = "started", _("En cours")
    COMPLETED = "completed", _("Terminé")
    ENDED_BY_INVIGILATOR = "ended_by_invigilator", _("Terminé par le surveillant")
    ENDED_DUE_TO_FINALIZATION = "ended_due_to_finalization", _("Terminé à la finalisation")


class CertificationCourse(models.Model):
    """A candidate's test, created at the first start; resumes continue the same course."""

    # PROTECT here and below: a started test's answers, alerts, reports and certificate are
    # evidence; no deletion (an action, the Django admin, a script) may take them along.
    candidate = models.OneToOneField(Candidate, on_delete=models.PROTECT, related_name="course")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=30, choices=CourseStatus.choices, default=CourseStatus.STARTED
    )
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Hash of the token held by the one browser tab allowed to run the test; a start or a
    # resume (each needing the invigilator) rotates it, so closing the tab ends that tab's run.
    run_token_hash = models.CharField(max_length=64, blank=True)
    seed = models.BigIntegerField()
    current_item_id = models.CharField(max_length=40, blank=True)
    current_asked_at = models.DateTimeField(null=True, blank=True)
    # The order in which the current question's choices are shown: indices into the bank's
    # `choices` (engine.choice_order); empty for a free answer, or the bank's own order.
    current_choice_order = models.JSONField(default=list, blank=True)
    # Set after a validated report: the next question must come from another competence.
    avoid_competence = models.CharField(max_length=4, blank=True)
    theta = models.FloatField(default=0.0)
    theta_sd = models.FloatField(default=1.0)
    # The version of the item bank the test was taken and scored with (0: as shipped; n:
    # the n-th recalibration, certification/calibration.py).
    bank_version = models.PositiveIntegerField(default=0)
    # The test's clock (issue 15): its duration read at the start (`exams.ExamDuration`), the
    # time the invigilators added, the time its clock stood still (ended suspensions), and
    # since when it stands still now. Sums of `TimeAddition` and `Suspension`, kept on the row
    # the answer already locks, so the end time costs no query.
    duration = models.DurationField(default=TEST_DURATION)
    added_time = models.DurationField(default=dt.timedelta)
    suspended_time = models.DurationField(default=dt.timedelta)
    suspended_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("test de certification")

    def __str__(self) -> str:
        return f"Test de {self.candidate}"

    def detach_from_candidate(self) -> None:
        """Read or created with its candidate, a course is also cached on the candidate
        (`candidate.course`: Django's way with a one-to-one, both sides), a reference
        cycle that kept the course, candidate, session and centre of every answer, state
        read and start until a garbage collection; the candidate's requests never go back
        from the candidate to its course. Once detached they are freed when the request
        ends (bench/gc_garbage.py; docs/scaling.md, « Cycles cut at the source »). Only the
        cache is dropped: `candidate.course` still reads the course if asked.
        `is_cached`/`delete_cached_value` are not documented: tests/test_request_garbage.py
        fails by name if they stop doing this."""
        field = self._meta.get_field("candidate")
        if not field.is_cached(self):  # type: ignore[union-attr]
            return
        reverse = field.remote_field
        if reverse.is_cached(self.candidate):  # type: ignore[union-attr]
            reverse.delete_cached_value(self.candidate)  # type: ignore[union-attr]

    @property
    def is_running(self) -> bool:
        return self.status == CourseStatus.STARTED

    @property
    def is_suspended(self) -> bool:
        return self.suspended_since is not None

    @property
    def extra_time(self) -> dt.timedelta:
        return self.candidate.extra_time_for(self.duration)

    def stood_still(self, now: dt.datetime) -> dt.timedelta:
        """Time lost to suspensions, the one still going on included (counted up to `now`)."""
        ongoing = now - self.suspended_since if self.suspended_since else dt.timedelta()
        return self.suspended_time + max(ongoing, dt.timedelta())

    def end_at(self, now: dt.datetime) -> dt.datetime:
        """Start + duration + extra time (Pix leaves it out) + time added + time suspended;
        while suspended, the end moves with the clock that stands still."""
        return (
            self.started_at
            + self.duration
            + self.extra_time
            + self.added_time
            + self.stood_still(now)
        )

    @property
    def theoretical_end(self) -> dt.datetime:
        return self.end_at(timezone.now())

    def clock(self, now: dt.datetime) -> dt.datetime:
        """The test's own time: stopped at the suspension's start while suspended (a timed
        question's countdown stops with it)."""
        return self.suspended_since or now


class Answer(models.Model):
    course = models.ForeignKey(
        CertificationCourse, on_delete=models.PROTECT, related_name="answers"
    )
    position = models.PositiveSmallIntegerField()
    item_id = models.CharField(max_length=40)
    competence = models.CharField(max_length=4)
    # Indices into the bank's `choices` (whatever order they were shown in), or the text.
    response = models.JSONField()
    # The order the candidate saw the choices in (indices into the bank's `choices`, first
    # shown first); empty: the bank's order (free answers, tests begun before shuffling).
    choice_order = models.JSONField(default=list, blank=True)
    correct = models.BooleanField()
    timed_out = models.BooleanField(default=False)
    focus_lost = models.BooleanField(default=False)
    asked_at = models.DateTimeField()
    answered_at = models.DateTimeField()
    # Set by the jury (« neutraliser la question »): the answer is not counted in the score.
    neutralized = models.BooleanField(default=False)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["course", "item_id"], name="one_answer_per_item"),
            models.UniqueConstraint(fields=["course", "position"], name="one_answer_per_position"),
        ]

    def __str__(self) -> str:
        return f"{self.course_id}#{self.position} {self.item_id}"


class AlertStatus(models.TextChoices):
    ONGOING = "ongoing", _("En attente du surveillant")
    VALIDATED = "validated", _("Validé")
    REFUSED = "refused", _("Refusé")
    CLEARED = "cleared", _("Traité")
    # Still waiting for an invigilator when the centre finalized the session: nobody decided.
    CLOSED = "closed", _("Clos à la finalisation")


class LiveAlert(models.Model):
    """A candidate's « Signaler un problème avec la question » (or, later, a companion alert)."""

    class Kind(models.TextChoices):
        QUESTION = "question", _("Problème sur une question")
        COMPANION = "companion", _("Extension non détectée")

    course = models.ForeignKey(CertificationCourse, on_delete=models.PROTECT, related_name="alerts")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.QUESTION)
    item_id = models.CharField(max_length=40, blank=True)
    question_number = models.PositiveSmallIntegerField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=AlertStatus.choices, default=AlertStatus.ONGOING
    )
    reason = models.CharField(max_length=4, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # « Je m'en occupe » (issue 16): who went to the candidate, and since when. A claim is
    # never cleared: it lapses by itself `settings.ALERT_CLAIM_LAPSE` after `claimed_at`,
    # computed when read (`claim_holder`), so that an invigilator called elsewhere does not
    # leave the alert hidden from the others' escalation.
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    claimed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "kind"],
                condition=models.Q(status="ongoing"),
                name="one_ongoing_alert_per_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.status} ({self.course_id})"

    def claim_ends_at(self) -> dt.datetime | None:
        """When the current claim lapses (None: never claimed)."""
        if self.claimed_at is None:
            return None
        return self.claimed_at + settings.ALERT_CLAIM_LAPSE

    def claim_holder_id(self, now: dt.datetime) -> int | None:
        """The invigilator whose claim still holds at `now`: a pending alert, claimed less
        than ALERT_CLAIM_LAPSE ago."""
        ends = self.claim_ends_at()
        if self.status != AlertStatus.ONGOING or ends is None or now >= ends:
            return None
        return self.claimed_by_id


class IssueReport(models.Model):
    """A « signalement » on a candidate's test (reference §1 categories), written by the
    invigilator during the session or by the centre at finalization; the jury resolves it."""

    course = models.ForeignKey(
        CertificationCourse, on_delete=models.PROTECT, related_name="issue_reports"
    )
    category = models.CharField(max_length=40)
    subcategory = models.CharField(max_length=4, blank=True)
    description = models.TextField(blank=True, max_length=500)
    question_number = models.PositiveSmallIntegerField(null=True, blank=True)
    live_alert = models.OneToOneField(
        LiveAlert, on_delete=models.SET_NULL, null=True, blank=True, related_name="issue_report"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.TextField(blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The jury neutralized the question this report is about (IN_CHALLENGE only).
    neutralized = models.BooleanField(default=False)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.subcategory or self.category} ({self.course_id})"

    @property
    def is_impactful(self) -> bool:
        return issue_reports.is_impactful(self.category, self.subcategory)

    @property
    def is_resolved(self) -> bool:
        return self.resolved_at is not None

    @property
    def label(self) -> str:
        """« E1 — L'image ne s'affiche pas » (labels of the reference's table)."""
        return issue_reports.code_label(self.subcategory) if self.subcategory else self.category


class AbortReason(models.TextChoices):
    CANDIDATE = "candidate", _("Abandon")
    TECHNICAL = "technical", _("Problème technique")


class CertificationReport(models.Model):
    """What the centre states about one candidate's test when it finalizes the session."""

    course = models.OneToOneField(
        CertificationCourse, on_delete=models.PROTECT, related_name="report"
    )
    has_seen_end_screen = models.BooleanField(_("écran de fin de test vu"), default=False)
    abort_reason = models.CharField(
        _("motif d'abandon"), max_length=10, choices=AbortReason.choices, blank=True
    )
    comment = models.TextField(_("commentaire"), blank=True, max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("compte rendu de test")

    def __str__(self) -> str:
        return f"Compte rendu du test {self.course_id}"


class TimeAddition(models.Model):
    """« Ajouter du temps »: minutes an invigilator gave a candidate, with the reason (a network
    cut, a broken computer), apart from the planned extra time."""

    course = models.ForeignKey(
        CertificationCourse, on_delete=models.PROTECT, related_name="time_additions"
    )
    minutes = models.PositiveSmallIntegerField()
    reason = models.CharField(max_length=200)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField()

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(minutes__gte=1, minutes__lte=120), name="time_addition_bounds"
            )
        ]

    def __str__(self) -> str:
        return f"+{self.minutes} min ({self.course_id})"


class StoppedPeriod(models.Model):
    """A time when a clock stood still: who stopped it and when; open until it ends."""

    started_at = models.DateTimeField()
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        abstract = True
        ordering = ["started_at", "id"]


class RoomSuspension(StoppedPeriod):
    """« Suspendre la session » (evacuation, fire alarm, a general network cut): every running
    test stops its clock; open until an invigilator resumes the session."""

    # CASCADE: a session can only be deleted before any test started (`EvidenceKept`), and a
    # suspension then stopped nobody's test; the tests' own `Suspension` rows are PROTECTed.
    session = models.ForeignKey(ExamSession, on_delete=models.CASCADE, related_name="suspensions")
    message = models.CharField(max_length=300)

    class Meta(StoppedPeriod.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["session"],
                condition=models.Q(ended_at__isnull=True),
                name="one_open_suspension_per_session",
            )
        ]

    def __str__(self) -> str:
        return f"Suspension {self.session_id} {self.started_at:%H:%M}"


class Suspension(StoppedPeriod):
    """A test whose clock stood still: alone (« Suspendre ce test »: illness, a broken
    computer) or with its room. Ends when the invigilator resumes it, or with the test."""

    class Outcome(models.TextChoices):
        RESUMED = "resumed", _("Repris")
        ENDED = "ended", _("Test terminé")

    course = models.ForeignKey(
        CertificationCourse, on_delete=models.PROTECT, related_name="suspensions"
    )
    room = models.ForeignKey(
        RoomSuspension,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="course_suspensions",
    )
    reason = models.CharField(max_length=300)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True)

    class Meta(StoppedPeriod.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["course"],
                condition=models.Q(ended_at__isnull=True),
                name="one_open_suspension_per_course",
            )
        ]

    def __str__(self) -> str:
        return f"Suspension du test {self.course_id} {self.started_at:%H:%M}"


# Seed-style ready-made messages (issue 15): the invigilator picks one or types their own.
READY_MESSAGES = (
    _("Il reste 10 minutes."),
    _("Merci de rester silencieux."),
    _("Levez la main, un surveillant arrive."),
)


class RoomMessage(models.Model):
    """« Envoyer un message » from an invigilator to the room or to some candidates: a banner
    on their page until they acknowledge it; who read it is shown to the invigilators."""

    # CASCADE here and below: messages are no evidence of a test; a session or a candidate
    # can only be deleted before any test started (`EvidenceKept`).
    session = models.ForeignKey(ExamSession, on_delete=models.CASCADE, related_name="messages")
    text = models.CharField(max_length=300)
    to_everyone = models.BooleanField(default=False)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    sent_at = models.DateTimeField()

    class Meta:
        ordering = ["sent_at", "id"]

    def __str__(self) -> str:
        return self.text[:40]


class MessageReceipt(models.Model):
    """One candidate's copy of a message: read (acknowledged) or not yet."""

    message = models.ForeignKey(RoomMessage, on_delete=models.CASCADE, related_name="receipts")
    candidate = models.ForeignKey(
        Candidate, on_delete=models.CASCADE, related_name="message_receipts"
    )
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["message_id", "candidate_id"]
        constraints = [
            models.UniqueConstraint(fields=["message", "candidate"], name="one_receipt_each")
        ]

    def __str__(self) -> str:
        return f"{self.message_id} → {self.candidate_id}"
