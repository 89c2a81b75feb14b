"""The Espace Surveillant's state as JSON, in a constant number of queries whatever the
number of candidates. The page re-reads it on every live event."""

import datetime as dt
from typing import Any

from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from certification import engine
from certification.actions import open_room_suspension
from certification.models import (
    READY_MESSAGES,
    AlertStatus,
    CertificationCourse,
    CourseStatus,
    LiveAlert,
    MessageReceipt,
    Suspension,
    TimeAddition,
)
from exams.models import TEST_DURATION, Candidate, ExamSession
from invigilation.evidence import Evidence, session_evidence
from invigilation.history import TIMELINE_LENGTH, session_history
from invigilation.models import Note, Watcher
from invigilation.rows import row_actions
from lib import issue_reports
from lib.prepared import Prepared

STATUS_LABELS = {
    "not_confirmed": _("Présence non confirmée"),
    "confirmed": _("Présence confirmée"),
    "started": _("En cours"),
    "alert": _("Signalement en cours"),
    "resume_authorized": _("Autorisé à reprendre"),
    "companion": _("Extension non détectée"),
    "suspended": _("Suspendu"),
    CourseStatus.COMPLETED: _("Terminé"),
    CourseStatus.ENDED_BY_INVIGILATOR: _("Terminé par le surveillant"),
    CourseStatus.ENDED_DUE_TO_FINALIZATION: _("Terminé à la finalisation"),
}


def _name(user: Any) -> str:
    return f"{user.first_name} {user.last_name}".strip() if user else ""


def _minutes(delta: dt.timedelta) -> str:
    minutes = round(delta.total_seconds() / 60)
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest:02d}" if hours else f"{rest} min"


def _status(candidate: Candidate, alerts: dict[str, LiveAlert]) -> str:
    course = getattr(candidate, "course", None)
    if course is None:
        return "confirmed" if candidate.authorized_to_start_at else "not_confirmed"
    if not course.is_running:
        return str(course.status)
    if course.is_suspended:
        return "suspended"
    if "companion" in alerts:
        return "companion"
    if "question" in alerts:
        return "alert"
    if candidate.authorized_to_start_at:
        return "resume_authorized"
    return "started"


def claim_age(delta: dt.timedelta) -> str:
    """« 40 s », « 2 min 05 s »: how long a claim has held (the page's claims.js counts on
    in the same words)."""
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    return f"{seconds // 60} min {seconds % 60:02d} s"


def _alert(alert: LiveAlert | None, now: dt.datetime) -> dict[str, Any] | None:
    if alert is None:
        return None
    data: dict[str, Any] = {"id": alert.pk, "question_number": alert.question_number}
    # « Pris en charge par … depuis … » while the claim holds (it lapses by itself: the
    # page hides it at `claim_ends_iso` without asking).
    holder = alert.claim_holder_id(now)
    ends = alert.claim_ends_at()
    data["claim"] = (
        {
            "by_id": holder,
            "by": _name(alert.claimed_by),
            "since_iso": alert.claimed_at.isoformat() if alert.claimed_at else None,
            "ends_iso": ends.isoformat() if ends else None,
            "age": claim_age(now - alert.claimed_at) if alert.claimed_at else "",
        }
        if holder is not None
        else None
    )
    if alert.kind == LiveAlert.Kind.QUESTION:
        data["reasons"] = issue_reports.live_reasons(engine.item(alert.item_id).flags)
    return data


def _note(note: Note, zone: Any) -> dict[str, Any]:
    return {
        "author": _name(note.author),
        "at": timezone.localtime(note.created_at, zone).strftime("%H:%M"),
        "text": note.text,
        # A line of the PV (issue 15): its category, question and the action taken.
        "code": note.code,
        "code_label": issue_reports.code_label(note.code) if note.code else "",
        "question_number": note.question_number,
        "action_taken": note.action_taken,
        "fraud": note.code == issue_reports.FRAUD_CODE,
        "id": note.pk,
    }


def _evidence(items: list[Evidence], notes: list[Note], zone: Any) -> list[dict[str, Any]]:
    """What Vigie saw, newest first, each with the PV line it became (if any)."""
    in_pv = {note.evidence_id: note for note in notes if note.evidence_id}
    return [
        {
            "id": item.event.pk,
            "at": timezone.localtime(item.event.at, zone).strftime("%H:%M"),
            "kind": item.kind,
            "text": item.text,
            "question_number": item.question_number,
            "code": item.code,
            "code_label": item.code_label,
            "in_pv": item.event.pk in in_pv,
        }
        for item in reversed(items)
    ]


def _row(
    candidate: Candidate,
    alerts: dict[str, LiveAlert],
    notes: list[Note],
    now: dt.datetime,
    evidence: list[Evidence] | None = None,
) -> dict[str, Any]:
    zone = candidate.session.zone
    course = getattr(candidate, "course", None)
    status = _status(candidate, alerts)
    row: dict[str, Any] = {
        "id": candidate.pk,
        "last_name": candidate.last_name.upper(),
        "first_name": candidate.first_name,
        "birthdate": candidate.birthdate.strftime("%d/%m/%Y"),
        "complementary": candidate.get_complementary_certification_display()
        if candidate.complementary_certification
        else "",
        "extra_time_percentage": candidate.extra_time_percentage,
        "status": status,
        "status_label": str(STATUS_LABELS[status]),
        "ended_by": _name(course.ended_by) if course and course.ended_by_id else "",
        "answered": getattr(candidate, "answered", 0),
        # Answers given after leaving a focus-mode question's frame, and timed questions that
        # ran out: both counted wrong, and the candidate was told the invigilator would know.
        "focus_lost": getattr(candidate, "focus_lost", 0),
        "timed_out": getattr(candidate, "timed_out", 0),
        "total": engine.TEST_LENGTH,
        "alert": _alert(alerts.get("question"), now),
        "companion_alert": _alert(alerts.get("companion"), now),
        "notes": [_note(n, zone) for n in notes],
        "evidence": _evidence(evidence or [], notes, zone),
        "started_at": None,
        "theoretical_end": None,
        "theoretical_end_iso": None,
        "breakdown": None,
        "time_over": False,
        "suspended": False,
        "suspension": None,
        "held_by_room": False,
        "added_minutes": 0,
    }
    if course is not None:
        end = course.end_at(now)
        row.update(
            started_at=timezone.localtime(course.started_at, zone).strftime("%H:%M"),
            theoretical_end=timezone.localtime(end, zone).strftime("%H:%M"),
            theoretical_end_iso=end.isoformat(),
            breakdown=end_breakdown(course, now),
            time_over=course.is_running and not course.is_suspended and now > end,
            suspended=course.is_running and course.is_suspended,
            added_minutes=int(course.added_time.total_seconds() // 60),
        )
        open_suspension = next(iter(getattr(course, "open_suspensions", [])), None)
        if open_suspension is not None and course.is_running:
            room = open_suspension.room
            row["suspension"] = {
                "reason": open_suspension.reason,
                "since": timezone.localtime(open_suspension.started_at, zone).strftime("%H:%M"),
                "with_room": room is not None,
            }
            # Its room still stopped: only « Reprendre la session » lets it go on.
            row["held_by_room"] = room is not None and room.ended_at is None
    row["attention"] = (
        0 if row["companion_alert"] else 1 if row["alert"] else 2 if row["time_over"] else 3
    )
    # What the row offers (invigilation/rows.py): API clients follow the page's rule.
    row["actions"] = [action.value for action in row_actions(row)]
    return row


def end_breakdown(course: CertificationCourse, now: dt.datetime) -> str:
    """« 1 h 45 + 35 min de temps majoré (33 %) + 10 min ajoutées (coupure réseau) + 12 min
    de suspension »: how the end time was reached, each part with its reason."""
    candidate = course.candidate
    parts = [_minutes(course.duration)]
    if candidate.extra_time_percentage:
        parts.append(
            _("%(duration)s de temps majoré (%(pct)s %%)")
            % {"duration": _minutes(course.extra_time), "pct": candidate.extra_time_percentage}
        )
    additions = getattr(course, "additions", None)  # prefetched by `session_state`
    if additions is None:
        additions = list(course.time_additions.all())
    for addition in additions:
        parts.append(
            _("%(duration)s ajoutées (%(reason)s)")
            % {
                "duration": _minutes(dt.timedelta(minutes=addition.minutes)),
                "reason": addition.reason,
            }
        )
    stood_still = course.stood_still(now)
    if stood_still >= dt.timedelta(minutes=1):
        parts.append(_("%(duration)s de suspension") % {"duration": _minutes(stood_still)})
    return " + ".join(parts)


def messages(session: ExamSession, names: dict[int, str]) -> list[dict[str, Any]]:
    """The messages sent to the candidates, newest first, with who read them and who not
    (one query: every message has at least one receipt, `do_send_message` sees to it)."""
    zone = session.zone
    sent: dict[int, dict[str, Any]] = {}
    receipts = (
        MessageReceipt.objects.filter(message__session=session)
        .select_related("message__sent_by")
        .order_by("-message__sent_at", "-message_id", "candidate_id")
    )
    for receipt in receipts:
        message = receipt.message
        entry = sent.setdefault(
            message.pk,
            {
                "id": message.pk,
                "text": message.text,
                "at": timezone.localtime(message.sent_at, zone).strftime("%H:%M"),
                "by": _name(message.sent_by),
                "to_everyone": message.to_everyone,
                "read": [],
                "unread": [],
            },
        )
        entry["read" if receipt.read_at else "unread"].append(names.get(receipt.candidate_id, ""))
    for entry in sent.values():
        entry["read"].sort()
        entry["unread"].sort()
        entry["total"] = len(entry["read"]) + len(entry["unread"])
    return list(sent.values())


def _candidate_names(session: ExamSession) -> dict[int, str]:
    return {
        pk: f"{last.upper()} {first}"
        for pk, first, last in session.candidates.values_list("pk", "first_name", "last_name")
    }


def session_messages(session: ExamSession) -> list[dict[str, Any]]:
    """`messages` for a fragment of the live page (the names read once)."""
    return messages(session, _candidate_names(session))


def room_state(session: ExamSession) -> dict[str, Any] | None:
    """The room's suspension, if any: since when, the words shown to the candidates, and the
    candidates it still holds (« Reprendre la session » asks who of them is back)."""
    room = open_room_suspension(session)
    if room is None:
        return None
    held = (
        Suspension.objects.filter(room=room, ended_at=None)
        .select_related("course__candidate")
        .order_by("course__candidate__last_name_key", "course__candidate__first_name_key")
    )
    return {
        "since": timezone.localtime(room.started_at, session.zone).strftime("%H:%M"),
        "since_iso": room.started_at.isoformat(),
        "message": room.message,
        "held": [
            {
                "id": s.course.candidate_id,
                "name": f"{s.course.candidate.last_name.upper()} {s.course.candidate.first_name}",
            }
            for s in held
        ],
    }


def watchers(session: ExamSession) -> list[str]:
    """Who has the Espace Surveillant of this session open (« Qui surveille »)."""
    since = timezone.now() - Watcher.TIMEOUT
    users = (
        Watcher.objects.filter(session=session, last_seen__gte=since)
        .values_list("user__first_name", "user__last_name")
        .distinct()
    )
    return sorted({f"{first} {last}".strip() for first, last in users})


def _with_row_data(candidates: QuerySet[Candidate]) -> QuerySet[Candidate]:
    """What a row shows of each candidate, those of the queryset, by name."""
    return (
        candidates.select_related("course__ended_by", "session__centre")
        .annotate(
            answered=Count("course__answers"),
            focus_lost=Count("course__answers", filter=Q(course__answers__focus_lost=True)),
            timed_out=Count("course__answers", filter=Q(course__answers__timed_out=True)),
        )
        .order_by("last_name_key", "first_name_key", "birthdate")
    )


# A row is read on every live event of the Espace Surveillant (a fetch, or a push): its
# queries are compiled once per process (lib/prepared.py), as the answer's are. Compiling
# them was about two fifths of a start's fetch (bench/profile_requests.py, docs/scaling.md).
_ALL_ROWS = Prepared(
    lambda session_id: _with_row_data(Candidate.objects.filter(session_id=session_id))
)
_ROWS = Prepared(
    lambda session_id, ids: _with_row_data(
        Candidate.objects.filter(session_id=session_id, pk__in=ids)
    ),
    kinds=(int, list),
)
# What the row's course holds besides, by course: the time added, the open suspension (of
# the candidate or of the room), the alerts waiting for the invigilator.
_ADDITIONS = Prepared(
    lambda courses: TimeAddition.objects.filter(course_id__in=courses), kinds=(list,)
)
_OPEN_SUSPENSIONS = Prepared(
    lambda courses: Suspension.objects.filter(course_id__in=courses, ended_at=None).select_related(
        "room"
    ),
    kinds=(list,),
)
_ONGOING_ALERTS = Prepared(
    lambda courses: LiveAlert.objects.filter(
        course_id__in=courses, status=AlertStatus.ONGOING
    ).select_related("claimed_by"),
    kinds=(list,),
)
_ALL_NOTES = Prepared(
    lambda session_id: Note.objects.filter(
        session_id=session_id, candidate__isnull=False
    ).select_related("author")
)
_NOTES = Prepared(
    lambda session_id, ids: Note.objects.filter(
        session_id=session_id, candidate_id__in=ids
    ).select_related("author"),
    kinds=(int, list),
)


def _by_course(query: Prepared[Any], courses: list[int]) -> dict[int, list[Any]]:
    found: dict[int, list[Any]] = {course: [] for course in courses}
    for row in query.rows(courses):
        found[row.course_id].append(row)
    return found


def candidate_rows(
    session: ExamSession, ids: list[int] | None = None, *, now: dt.datetime | None = None
) -> list[dict[str, Any]]:
    """The rows of the session's candidates (of those `ids` only, when given), those needing
    attention first, in a constant number of queries."""
    now = now or timezone.now()
    # Rows pushed and fetched concurrently may arrive out of order: the page keeps the row
    # read last (supervision.js). Read after every commit that came before `now`.
    version = int(now.timestamp() * 1_000_000)
    candidates = list(
        _ALL_ROWS.rows(session.pk) if ids is None else _ROWS.rows(session.pk, list(ids))
    )
    courses = {c.course.pk: c.course for c in candidates if getattr(c, "course", None) is not None}
    if courses:
        ids_of_courses = list(courses)
        additions = _by_course(_ADDITIONS, ids_of_courses)
        suspensions = _by_course(_OPEN_SUSPENSIONS, ids_of_courses)
        alerts = _by_course(_ONGOING_ALERTS, ids_of_courses)
        for course in courses.values():
            # The attributes `Prefetch(…, to_attr=…)` set, which the row reads.
            course.additions = additions[course.pk]
            course.open_suspensions = suspensions[course.pk]
            course.ongoing = alerts[course.pk]
    notes: dict[int | None, list[Note]] = {}
    note_rows = _ALL_NOTES.rows(session.pk) if ids is None else _NOTES.rows(session.pk, list(ids))
    for note in note_rows:
        notes.setdefault(note.candidate_id, []).append(note)
    seen = session_evidence(session, candidates)
    rows = []
    for candidate in candidates:
        course = getattr(candidate, "course", None)
        ongoing = {a.kind: a for a in getattr(course, "ongoing", [])} if course else {}
        row = _row(candidate, ongoing, notes.get(candidate.pk, []), now, seen.get(candidate.pk, []))
        # Its place among the session's candidates by name: rows fetched one at a time
        # find their place in the page's list (attention first, then this key).
        row["sort_key"] = (
            "\x1f".join(
                (candidate.last_name_key, candidate.first_name_key, candidate.birthdate.isoformat())
            )
            + f"\x1f{candidate.pk:012d}"
        )
        row["version"] = version
        rows.append(row)
        if course is not None:
            course.detach_from_candidate()  # freed with the request, not by the collector
    rows.sort(key=lambda r: r["attention"])
    return rows


_COUNTS: Prepared[Any] = Prepared(
    # One query for the three counts (a start's fetch on every invigilator's page reads
    # them): a test with two ongoing alerts joins twice, hence `distinct`. Grouped by the
    # session, so that it is a query of rows (compiled once); no row: an empty session.
    lambda session_id: (
        Candidate.objects.filter(session_id=session_id)
        .values("session_id")
        .annotate(
            total=Count("pk", distinct=True),
            present=Count(
                "pk",
                filter=Q(authorized_to_start_at__isnull=False) | Q(course__isnull=False),
                distinct=True,
            ),
            alerts=Count(
                "course__alerts__course_id",
                filter=Q(course__alerts__status=AlertStatus.ONGOING),
                distinct=True,
            ),
        )
        .values_list("total", "present", "alerts")
    )
)
_RUNNING = Prepared(
    lambda session_id: (
        CertificationCourse.objects.filter(
            candidate__session_id=session_id, status=CourseStatus.STARTED
        )
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
)


def session_counts(session: ExamSession, *, now: dt.datetime | None = None) -> dict[str, int]:
    """The counts of the page's head (present, alerts, time over) without reading the rows:
    a live event re-renders one row, and these."""
    now = now or timezone.now()
    total, present, alerts = _COUNTS.first(session.pk) or (0, 0, 0)
    # The same end as each row's (`CertificationCourse.end_at`: time added and suspensions
    # included); a suspended test's clock stands still, it is never over.
    time_over = 0
    for course in _RUNNING.rows(session.pk):
        time_over += not course.is_suspended and now > course.end_at(now)
        course.detach_from_candidate()  # freed with the request, not by the collector
    return {"present": present, "total": total, "alerts": alerts, "time_over": time_over}


_MARK: Prepared[Any] = Prepared(
    lambda session_id: (
        AuditEvent.objects.filter(session_id=session_id)
        .values("session_id")
        .annotate(count=Count("pk"), last=Max("pk"))
        .values_list("count", "last")
    )
)


def journal_mark(session: ExamSession) -> str:
    """Where the session's journal stands: how many audit events it has and the last one.
    Every action that changes a row's status, the counts or the timeline writes one (GUIDE:
    an audit row per action), so a page whose journal carries this mark has nothing to
    re-read for them. The count too, not only the last id: a transaction that took an
    earlier id but commits later changes the count. One indexed query, against the seven
    the counts and the journal cost (bench/profile_requests.py)."""
    count, last = _MARK.first(session.pk) or (0, 0)
    return f"{count}-{last}"


def timeline_since(session: ExamSession, since: str, mark: str) -> list[dict[str, Any]] | None:
    """The timeline's lines a page whose journal stands at `since` lacks, now that it stands
    at `mark` (journal_mark), newest first; None when they cannot be told apart — an unknown
    mark, an event that took an earlier id but committed later (the counts disagree), more
    than a timeline shows: the page then gets the whole journal. A start costs the page one
    line, not the 50 of the timeline, the session's notes and who is watching (these have
    their own events)."""
    try:
        count, last = (int(part) for part in since.split("-"))
        now_count = int(mark.split("-")[0])
    except ValueError:
        return None
    entries = session_history(session).newer_than(last, TIMELINE_LENGTH)
    if count + len(entries) != now_count or len(entries) >= TIMELINE_LENGTH:
        return None
    return [_timeline_line(entry, session.zone) for entry in entries]


def newest_lines(session: ExamSession, limit: int) -> list[dict[str, Any]]:
    """The timeline's newest `limit` lines, newest first, each with its event's id: what a
    pushed update carries (invigilation/push.py) for pages to add those they lack."""
    return [
        _timeline_line(entry, session.zone)
        for entry in session_history(session).newer_than(0, limit)
    ]


def _timeline_line(entry: Any, zone: Any) -> dict[str, Any]:
    return {
        "id": entry.event.pk,
        "at": timezone.localtime(entry.at, zone).strftime("%H:%M:%S"),
        "actor": entry.actor,
        "tag": entry.tag,
        "label": entry.label,
        "candidate": entry.candidate,
    }


def session_notes(session: ExamSession) -> list[dict[str, str]]:
    """The session's own notes (« PV d'incident de la session »), oldest first."""
    zone = session.zone
    return [
        {
            "author": _name(n.author),
            "at": timezone.localtime(n.created_at, zone).strftime("%H:%M"),
            "text": n.text,
        }
        for n in session.notes.filter(candidate__isnull=True).select_related("author")
    ]


def timeline(session: ExamSession, names: dict[int, str] | None = None) -> list[dict[str, Any]]:
    """The session's last 50 events, newest first."""
    zone = session.zone
    if names is None:
        names = _candidate_names(session)
    return [
        _timeline_line(entry, zone)
        for entry in session_history(session).recent(TIMELINE_LENGTH, names=names)
    ]


def session_state(session: ExamSession) -> dict[str, Any]:
    now = timezone.now()
    rows = candidate_rows(session, now=now)
    zone = session.zone
    room = open_room_suspension(session)
    names = {r["id"]: f"{r['last_name']} {r['first_name']}" for r in rows}
    return {
        "session": {
            "id": session.pk,
            "number": session.number,
            "date": session.date.strftime("%d/%m/%Y"),
            "time": session.time.strftime("%H:%M"),
            "site_name": session.site_name,
            "room": session.room,
            "examiner": session.examiner,
            "access_code": session.access_code,
            "accessible": session.is_accessible,
            "duration": _("1 h 45"),
            "duration_minutes": int(TEST_DURATION.total_seconds() // 60),
            "suspended": (
                {
                    "since": timezone.localtime(room.started_at, zone).strftime("%H:%M"),
                    "message": room.message,
                }
                if room
                else None
            ),
        },
        "counts": {
            "present": sum(1 for r in rows if r["status"] != "not_confirmed"),
            "total": len(rows),
            "alerts": sum(1 for r in rows if r["alert"] or r["companion_alert"]),
            "time_over": sum(1 for r in rows if r["time_over"]),
        },
        "candidates": rows,
        "session_notes": session_notes(session),
        "watchers": watchers(session),
        "messages": messages(session, names),
        "ready_messages": [str(text) for text in READY_MESSAGES],
        "timeline": timeline(session, names),
        "server_time": now.isoformat(),
    }
