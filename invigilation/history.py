"""A session's history, read once for everyone who tells it: the Espace Surveillant's live
timeline, the pre-filled « Finaliser la session », the archived documents and the jury's
page.

`session_history(session)` reads lazily, each part in one query whatever the number of
candidates or events: the enrolled candidates with their test, its answers counted and the
centre's report; the issue reports; the alerts still waiting for an invigilator; the
invigilators' notes; the audit trail; the entries into the Espace Surveillant. It lives here
because invigilation is the lowest layer that sees all of them. The words come from
audit/events.py (`describe`, `label`…), the one place the history becomes sentences.
"""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.db.models import Count, Q, QuerySet

from accounts.models import User
from audit.events import describe, describe_note, describe_pending_alert, label
from audit.models import AuditEvent
from audit.tags import Tag
from certification.models import (
    AlertStatus,
    Answer,
    CertificationCourse,
    CertificationReport,
    IssueReport,
    LiveAlert,
)
from exams.models import Candidate, ExamSession
from invigilation.models import InvigilatorAccess, Note
from lib.prepared import Prepared

# Incidents (issue 15): time added, tests or the room suspended and resumed.
INCIDENT_TAGS = (
    Tag.Invigilator.TIME_ADD,
    Tag.Invigilator.COURSE_SUSPEND,
    Tag.Invigilator.COURSE_CONTINUE,
    Tag.Invigilator.SESSION_SUSPEND,
    Tag.Invigilator.SESSION_RESUME,
)
# The invigilators' decisions the record lists per candidate (with who took them).
RECORD_TAGS = (
    Tag.Candidate.FOCUS_LEAVE,
    Tag.Candidate.QUESTION_TIMEOUT,
    Tag.Centre.ALERT_CLOSE,
    Tag.Invigilator.ALERT_CLAIM,
    Tag.Invigilator.ALERT_REFUSE,
    Tag.Invigilator.ALERT_VALIDATE,
    Tag.Invigilator.RESUME_AUTHORIZE,
    Tag.Invigilator.COURSE_END,
    *INCIDENT_TAGS,
)


def _full_name(user: User | None) -> str:
    return user.get_full_name() if user else ""


@dataclass(frozen=True)
class Line:
    """A line of the record shown to the centre. An invigilator's note keeps its own words
    in `note` (the finalization pre-fills the comment with them)."""

    at: dt.datetime
    text: str
    note: str = ""


@dataclass(frozen=True)
class Entry:
    """One audit event as a timeline shows it: when, what, about whom, by whom."""

    event: AuditEvent
    candidate: str  # the candidate's name; "" for an event about the session

    @property
    def at(self) -> dt.datetime:
        return self.event.at

    @property
    def tag(self) -> str:
        return self.event.tag

    @property
    def actor(self) -> str:
        return _full_name(self.event.actor)

    @property
    def label(self) -> str:
        return label(self.event.tag)

    @property
    def text(self) -> str:
        return describe(self.event)


@dataclass
class CandidateHistory:
    """One enrolled candidate and what happened to them during the session."""

    candidate: Candidate
    course: CertificationCourse | None
    answered: int
    neutralized: int
    report: CertificationReport | None
    # Answers given after leaving a focus-mode question's frame, and to timed questions that
    # ran out (both counted wrong; the candidate was told the invigilators would know).
    focus_lost: int = 0
    timed_out: int = 0
    issue_reports: list[IssueReport] = field(default_factory=list)
    pending_alerts: list[LiveAlert] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    events: list[AuditEvent] = field(default_factory=list)

    @property
    def candidate_id(self) -> int:
        return self.candidate.pk

    @property
    def present(self) -> bool:
        """Started a test, or an invigilator confirmed the presence (not cancelled)."""
        return self.course is not None or self.candidate.authorized_to_start_at is not None

    @property
    def resumes(self) -> list[AuditEvent]:
        return [e for e in self.events if e.tag == Tag.Invigilator.RESUME_AUTHORIZE]

    @property
    def closed_alerts(self) -> list[AuditEvent]:
        """Alerts nobody decided on, closed by the finalization."""
        return [e for e in self.events if e.tag == Tag.Centre.ALERT_CLOSE]

    @property
    def pv_lines(self) -> list[Note]:
        """The lines of the PV d'incident the invigilators wrote or made from evidence: each
        pre-fills one of the finalization's reports."""
        return [note for note in self.notes if note.code]

    @cached_property
    def lines(self) -> list[Line]:
        """What the invigilators recorded: decisions, alerts still waiting, notes; in order."""
        return _lines(self.events, self.pending_alerts, self.notes)


def _lines(events: list[AuditEvent], pending: list[LiveAlert], notes: list[Note]) -> list[Line]:
    # An incident (time added, a suspension) is also written into the comment the
    # finalization pre-fills, as an invigilator's note is: the centre need not copy it.
    lines = [
        Line(e.at, text, text if e.tag in INCIDENT_TAGS else "")
        for e in events
        if e.tag in RECORD_TAGS
        for text in [describe(e, by=True)]
    ]
    lines += [
        Line(a.created_at, describe_pending_alert(a.kind, a.question_number)) for a in pending
    ]
    # A line of the PV (a note with a category) pre-fills a report of its own, not the
    # comment (CandidateHistory.pv_lines).
    lines += [
        Line(
            n.created_at,
            describe_note(_full_name(n.author), n.text, code=n.code, question=n.question_number),
            "" if n.code else n.text,
        )
        for n in notes
    ]
    return sorted(lines, key=lambda line: line.at)


class SessionHistory:
    def __init__(self, session: ExamSession) -> None:
        self.session = session

    @cached_property
    def events(self) -> list[AuditEvent]:
        """The whole audit trail of the session, oldest first."""
        return list(self.session.events.select_related("actor").order_by("at", "pk"))

    @cached_property
    def notes(self) -> list[Note]:
        return list(Note.objects.filter(session=self.session).select_related("author"))

    @cached_property
    def candidates(self) -> list[CandidateHistory]:
        """Every enrolled candidate, by name, with their test (if started) and its story."""
        rows = (
            Candidate.objects.filter(session=self.session)
            .select_related("course__ended_by", "course__report")
            .annotate(
                answered=Count("course__answers"),
                neutralized=Count("course__answers", filter=Q(course__answers__neutralized=True)),
                focus_lost=Count("course__answers", filter=Q(course__answers__focus_lost=True)),
                timed_out=Count("course__answers", filter=Q(course__answers__timed_out=True)),
            )
            .order_by("last_name_key", "first_name_key", "birthdate", "pk")
        )
        by_id: dict[int, CandidateHistory] = {}
        by_course: dict[int, CandidateHistory] = {}
        for candidate in rows:
            course = getattr(candidate, "course", None)
            entry = CandidateHistory(
                candidate=candidate,
                course=course,
                answered=getattr(candidate, "answered", 0),
                neutralized=getattr(candidate, "neutralized", 0),
                focus_lost=getattr(candidate, "focus_lost", 0),
                timed_out=getattr(candidate, "timed_out", 0),
                # A reverse one-to-one with no row raises an AttributeError subclass.
                report=getattr(course, "report", None) if course else None,
            )
            by_id[candidate.pk] = entry
            if course is not None:
                by_course[course.pk] = entry
        reports = (
            IssueReport.objects.filter(course__candidate__session=self.session)
            .select_related("created_by", "resolved_by", "live_alert__resolved_by")
            .order_by("created_at", "pk")
        )
        for report in reports:
            by_course[report.course_id].issue_reports.append(report)
        pending = LiveAlert.objects.filter(
            course__candidate__session=self.session, status=AlertStatus.ONGOING
        ).order_by("created_at", "pk")
        for alert in pending:
            by_course[alert.course_id].pending_alerts.append(alert)
        for note in self.notes:
            if note.candidate_id in by_id:
                by_id[note.candidate_id].notes.append(note)
        for event in self.events:
            about = by_id.get(event.data.get("candidate") or 0)
            if about is not None:
                about.events.append(event)
        return list(by_id.values())

    @property
    def started(self) -> list[CandidateHistory]:
        """The candidates who started a test: the finalization's and the jury's rows."""
        return [entry for entry in self.candidates if entry.course is not None]

    @cached_property
    def names(self) -> dict[int, str]:
        """Candidate id → « DUPONT Léa »."""
        if "candidates" in self.__dict__:
            return {entry.candidate_id: str(entry.candidate) for entry in self.candidates}
        rows = Candidate.objects.filter(session=self.session).only("pk", "first_name", "last_name")
        return {candidate.pk: str(candidate) for candidate in rows}

    @property
    def had_incident(self) -> bool:
        """Time added or a test suspended: the finalization's « incident » box comes ticked."""
        return any(event.tag in INCIDENT_TAGS for event in self.events)

    @property
    def session_notes(self) -> list[Note]:
        return [note for note in self.notes if note.candidate_id is None]

    @property
    def session_lines(self) -> list[Line]:
        """What the record holds about the session as a whole (its notes)."""
        about_session = [e for e in self.events if not e.data.get("candidate")]
        return _lines(about_session, [], self.session_notes)

    @cached_property
    def flagged_questions(self) -> dict[int, tuple[list[int], list[int]]]:
        """Candidate id → (question numbers answered after leaving a focus-mode question's
        frame, numbers of timed questions that ran out): the archived PV lists them."""
        flagged: dict[int, tuple[list[int], list[int]]] = {}
        answers = (
            Answer.objects.filter(course__candidate__session=self.session)
            .filter(Q(focus_lost=True) | Q(timed_out=True))
            .values_list("course__candidate_id", "position", "focus_lost", "timed_out")
            .order_by("course__candidate_id", "position")
        )
        for candidate_id, position, focus_lost, timed_out in answers:
            focus, timed = flagged.setdefault(candidate_id, ([], []))
            if focus_lost:
                focus.append(position)
            if timed_out:
                timed.append(position)
        return flagged

    @cached_property
    def accesses(self) -> list[InvigilatorAccess]:
        """Entries into the Espace Surveillant, in order."""
        return list(
            InvigilatorAccess.objects.filter(session=self.session)
            .select_related("user")
            .order_by("authorized_at", "pk")
        )

    @property
    def finalized_by(self) -> User | None:
        finalizations = [e for e in self.events if e.tag == Tag.Centre.SESSION_FINALIZE]
        return finalizations[-1].actor if finalizations else None

    def timeline(self) -> list[Entry]:
        """Every event, oldest first, with the candidate's name."""
        return [self._entry(event, self.names) for event in self.events]

    def recent(self, limit: int, *, names: Mapping[int, str] | None = None) -> list[Entry]:
        """The newest `limit` events, newest first (the live timeline): one query, none
        more when the caller already has the candidates' names."""
        if "events" in self.__dict__:
            events = self.events[::-1][:limit]
        else:
            events = list(
                self.session.events.select_related("actor").order_by("-at", "-pk")[:limit]
            )
        return [self._entry(event, self.names if names is None else names) for event in events]

    def newer_than(self, pk: int, limit: int) -> list[Entry]:
        """The events after the one numbered `pk`, newest first (at most `limit`): what a
        live timeline that ends there lacks. Two queries: the events, then the names of
        the candidates they concern, if any."""
        if limit <= TIMELINE_LENGTH:
            events = list(_NEWER_EVENTS.rows(self.session.pk, pk))[:limit]
        else:
            events = list(_newer_events(self.session.pk, pk)[:limit])
        wanted = sorted({int(e.data.get("candidate") or 0) for e in events} - {0})
        names = {
            pk: f"{last.upper()} {first}"
            for pk, first, last in _NAMES.rows(self.session.pk, wanted)
        }
        return [self._entry(event, names) for event in events]

    @staticmethod
    def _entry(event: AuditEvent, names: Mapping[int, str]) -> Entry:
        return Entry(event=event, candidate=names.get(event.data.get("candidate") or 0, ""))


def _newer_events(session_id: int, pk: int) -> "QuerySet[AuditEvent]":
    return (
        AuditEvent.objects.filter(session_id=session_id, pk__gt=pk)
        .select_related("actor")
        .order_by("-at", "-pk")
    )


TIMELINE_LENGTH = 50  # the live page's timeline: its last 50 events (supervision.js trims)
# A live page's fetch after each start, and each pushed update, reads the newest events:
# compiled once per process (lib/prepared.py), for up to a timeline's length of them.
_NEWER_EVENTS = Prepared(
    lambda session_id, pk: _newer_events(session_id, pk)[:TIMELINE_LENGTH], kinds=(int, int)
)
_NAMES: Prepared[Any] = Prepared(
    lambda session_id, ids: Candidate.objects.filter(session_id=session_id, pk__in=ids).values_list(
        "pk", "first_name", "last_name"
    ),
    kinds=(int, list),
)


def session_history(session: ExamSession) -> SessionHistory:
    return SessionHistory(session)
