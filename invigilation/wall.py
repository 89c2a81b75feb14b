"""« Affichage salle » (issue 16): what the room's projected screen shows, read in a few
queries. No candidate's name, birthdate or note: only the session, the time, the ends of the
tests, the access code once revealed, the suspension and the messages sent to everyone."""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from certification.actions import open_room_suspension
from certification.models import CertificationCourse, CourseStatus, RoomMessage
from exams.models import ExamDuration, ExamSession
from invigilation.models import RoomScreen

MESSAGES_SHOWN = 3


def _duration(delta: dt.timedelta) -> str:
    """« 1 h 45 », « 2 h », « 50 min »."""
    minutes = round(delta.total_seconds() / 60)
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest:02d}" if rest else f"{hours} h"


@dataclass(frozen=True)
class End:
    """One line of « Fin » : the latest end of the tests of the same duration and extra
    time (a test given time has its own, later end: the room sees the last one)."""

    label: str
    at: str


def _label(duration: dt.timedelta, percentage: int) -> str:
    if percentage:
        return _("temps majoré (%(pct)s %%)") % {"pct": percentage}
    return _("fin %(duration)s") % {"duration": _duration(duration)}


def _ends(session: ExamSession, now: dt.datetime) -> tuple[list[End], bool]:
    """The running tests' ends, grouped; before any test started, the ends planned from the
    session's time. Returns (ends, planned)."""
    zone = session.zone
    running = list(
        CertificationCourse.objects.filter(candidate__session=session, status=CourseStatus.STARTED)
        .select_related("candidate")
        .only(
            "started_at",
            "duration",
            "added_time",
            "suspended_time",
            "suspended_since",
            "candidate__extra_time_percentage",
        )
    )
    latest: dict[tuple[dt.timedelta, int], dt.datetime] = {}
    planned = not running
    if running:
        for course in running:
            key = (course.duration, course.candidate.extra_time_percentage)
            end = course.end_at(now)
            latest[key] = max(latest.get(key, end), end)
    else:
        start = session.starts_at
        durations: dict[str, dt.timedelta] = {}
        for complementary, percentage in session.candidates.values_list(
            "complementary_certification", "extra_time_percentage"
        ).distinct():
            if complementary not in durations:
                durations[complementary] = ExamDuration.of(complementary)
            duration = durations[complementary]
            end = start + duration + duration * percentage / 100
            key = (duration, percentage)
            latest[key] = max(latest.get(key, end), end)
    ordered = sorted(latest.items(), key=lambda item: (item[0][1], item[0][0]))
    return [
        End(_label(duration, pct), timezone.localtime(at, zone).strftime("%H:%M"))
        for (duration, pct), at in ordered
    ], planned


def wall_state(session: ExamSession) -> dict[str, Any]:
    now = timezone.now()
    zone = session.zone
    screen = RoomScreen.objects.filter(session=session).first()
    room = open_room_suspension(session)
    ends, planned = _ends(session, now)
    messages = RoomMessage.objects.filter(session=session, to_everyone=True).order_by(
        "-sent_at", "-pk"
    )[:MESSAGES_SHOWN]
    return {
        "number": session.number,
        "zone": str(zone.key),
        "clock": timezone.localtime(now, zone).strftime("%H:%M:%S"),
        "server_time": now.isoformat(),
        "start": session.time.strftime("%H:%M"),
        "ends": ends,
        "planned": planned,
        "access_code": session.access_code if screen and screen.access_code_shown else None,
        "suspended": (
            {
                "since": timezone.localtime(room.started_at, zone).strftime("%H:%M"),
                "message": room.message,
            }
            if room
            else None
        ),
        "messages": [
            {"text": m.text, "at": timezone.localtime(m.sent_at, zone).strftime("%H:%M")}
            for m in messages
        ],
    }


def access_code_shown(session: ExamSession) -> bool:
    return RoomScreen.objects.filter(session=session, access_code_shown=True).exists()
