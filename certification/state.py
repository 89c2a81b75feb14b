"""The candidate's test page state, as JSON: what the page shows, recomputed on each event.

A read: the question shown is the one the last action stored (the start, an answer, a
validated report, a resume), never drawn here."""

from typing import Any

from django.urls import reverse
from django.utils import timezone

from certification import actions, engine
from certification.models import AlertStatus, CertificationCourse, LiveAlert, MessageReceipt
from exams.models import Candidate
from lib.prepared import Prepared


def _media(question: engine.Item) -> dict[str, str]:
    media: dict[str, str] = {}
    for key in ("image", "attachment", "simulator"):
        if question.media.get(key):
            media[f"{key}_url"] = reverse("certification:media", args=[question.media[key]])
    if question.media.get("alt"):
        media["alt"] = question.media["alt"]
    return media


def _question(course: CertificationCourse, question: engine.Item, number: int) -> dict[str, Any]:
    remaining = None
    if question.timed and course.current_asked_at:
        # The test's own clock: it stands still while the test is suspended.
        elapsed = (course.clock(timezone.now()) - course.current_asked_at).total_seconds()
        remaining = max(0, int(question.timed - elapsed))
    return {
        "id": question.id,
        "number": number,
        "type": question.type,
        "prompt": question.prompt,
        # In the order drawn for this candidate; the answer's indices are positions in it.
        "choices": engine.shown_choices(question, course.current_choice_order),
        "flags": sorted(question.flags),
        "timed": question.timed,
        "remaining_seconds": remaining,
        "media": _media(question),
    }


def course_state(
    course: CertificationCourse, token: str, progress: engine.Progress | None = None
) -> dict[str, Any]:
    """`course` is fresh from the database (the access function, or the answer just saved,
    with its candidate and session loaded); `progress` saves its two queries when known."""
    candidate = course.candidate
    zone = candidate.session.zone
    progress = progress or engine.progress(course)
    try:
        actions.check_run(course, token)
        run_ok = True
    except actions.e.StaleRun:
        run_ok = False
    alert = progress.last_question_alert
    paused = alert is not None and alert.status == AlertStatus.ONGOING
    question = None
    current = engine.current_item(course) if course.is_running and run_ok else None
    if current is not None:
        question = _question(course, current, progress.answered + 1)
    now = timezone.now()
    end = course.end_at(now)
    suspension = (
        course.suspensions.filter(ended_at=None).select_related("room").first()
        if course.is_running and course.is_suspended
        else None
    )
    return {
        "status": course.status,
        "running": course.is_running,
        "run_ok": run_ok,
        "paused": paused,
        # « Épreuve suspendue », with the invigilator's words (the room's message, or the
        # reason this test was suspended); no answer is accepted meanwhile.
        "suspended": (
            {
                "since": timezone.localtime(suspension.started_at, zone).strftime("%H:%M"),
                "message": suspension.room.message if suspension.room else suspension.reason,
                "room": suspension.room_id is not None,
            }
            if suspension
            else None
        ),
        "added_minutes": int(course.added_time.total_seconds() // 60),
        "companion_required": candidate.session.companion_required,
        "companion_blocked": progress.ongoing(LiveAlert.Kind.COMPANION) is not None,
        "last_alert": (
            {"status": alert.status, "question_number": alert.question_number} if alert else None
        ),
        "answered": progress.answered,
        "total": engine.TEST_LENGTH,
        "started_at": timezone.localtime(course.started_at, zone).strftime("%H:%M"),
        "started_at_iso": course.started_at.isoformat(),
        "theoretical_end": timezone.localtime(end, zone).strftime("%H:%M"),
        "theoretical_end_iso": end.isoformat(),
        "extra_time_percentage": candidate.extra_time_percentage,
        "question": question,
        "end_message": None if course.is_running else engine.end_message(course.status),
    }


# Read with the test page's state (the start's response, then the page once its link is
# up) and its messages: compiled once (lib/prepared.py).
_UNREAD = Prepared(
    lambda candidate_id: (
        MessageReceipt.objects.filter(candidate_id=candidate_id, read_at=None)
        .select_related("message")
        .order_by("message__sent_at", "message_id")
    )
)


def unread_messages(candidate: Candidate) -> list[dict[str, Any]]:
    """The invigilators' messages this candidate has not acknowledged yet, oldest first."""
    zone = candidate.session.zone
    receipts = _UNREAD.rows(candidate.pk)
    return [
        {
            "id": receipt.message_id,
            "text": receipt.message.text,
            "at": timezone.localtime(receipt.message.sent_at, zone).strftime("%H:%M"),
        }
        for receipt in receipts
    ]
