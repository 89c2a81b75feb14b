"""What Vigie saw during a candidate's test and the invigilator may put in the PV in one tap:
a focus-mode frame left, a timed question that ran out (with extra time or not), the
companion extension lost, a resume, time added. Each is an audit event (the one history);
this module says which events are evidence, in which words, and which line of the PV each
becomes (the category from the one catalogue, lib/issue_reports.py, and the question
number). The row of the Espace Surveillant and `do_evidence_to_pv` both read it here, and a
« Suspicion de fraude » line's PV de fraude is filled from here (`fraud_facts`).
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import CharField, QuerySet
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from audit.events import describe
from audit.models import AuditEvent
from audit.tags import Tag
from exams.documents import FraudFacts
from exams.models import Candidate, ExamSession
from invigilation.models import Note
from lib import issue_reports
from lib.prepared import Prepared

EVIDENCE_TAGS = (
    Tag.Candidate.FOCUS_LEAVE,
    Tag.Candidate.QUESTION_TIMEOUT,
    Tag.Candidate.COMPANION_MISSING,
    Tag.Invigilator.RESUME_AUTHORIZE,
    Tag.Invigilator.TIME_ADD,
)

_KINDS: dict[str, str] = {
    Tag.Candidate.FOCUS_LEAVE: "focus_leave",
    Tag.Candidate.QUESTION_TIMEOUT: "timeout",
    Tag.Candidate.COMPANION_MISSING: "companion_lost",
    Tag.Invigilator.RESUME_AUTHORIZE: "resume",
    Tag.Invigilator.TIME_ADD: "time_added",
}


@dataclass(frozen=True)
class Evidence:
    event: AuditEvent
    kind: str
    code: str
    question_number: int | None
    text: str

    @property
    def code_label(self) -> str:
        return issue_reports.code_label(self.code)


def evidence(event: AuditEvent, candidate: Candidate) -> Evidence:
    """The event as evidence about `candidate` (whose extra time decides a timeout's code)."""
    kind = _KINDS[event.tag]
    number = event.data.get("question_number")
    text = describe(event)
    if kind == "timeout" and candidate.extra_time_percentage:
        kind = "timeout_extra_time"
        text += _(" (temps majoré de %(pct)s %%)") % {"pct": candidate.extra_time_percentage}
    return Evidence(
        event=event,
        kind=kind,
        code=issue_reports.EVIDENCE_CODES[kind],
        question_number=number if isinstance(number, int) else None,
        text=text,
    )


def pv_text(item: Evidence) -> str:
    """The line's description as the centre will read it at finalization: the evidence's
    own words, which already name the question (« … — question 4 »)."""
    return item.text


def _evidence(session_id: int) -> "QuerySet[AuditEvent]":
    return (
        AuditEvent.objects.filter(session_id=session_id, tag__in=EVIDENCE_TAGS)
        .select_related("actor")
        .order_by("at", "pk")
    )


# Read with every row of the Espace Surveillant (a fetch per live event): compiled once
# (lib/prepared.py). The candidate's number compared as text: an argument of the compiled
# query must reach the SQL unchanged, which a JSON lookup (`data__candidate=`) would wrap,
# and a cast to text cannot fail on any value, where a cast to integer could.
_SESSION_EVIDENCE = Prepared(_evidence)
_CANDIDATE_EVIDENCE = Prepared(
    lambda session_id, candidate: (
        _evidence(session_id)
        .annotate(about=Cast(KT("data__candidate"), CharField()))
        .filter(about=candidate)
    ),
    kinds=(int, str),
)


def session_evidence(
    session: ExamSession, candidates: Iterable[Candidate]
) -> dict[int, list[Evidence]]:
    """Candidate id → their evidence, oldest first, in one query."""
    by_id = {candidate.pk: candidate for candidate in candidates}
    found: dict[int, list[Evidence]] = {}
    if not by_id:
        return found
    events = (
        _CANDIDATE_EVIDENCE.rows(session.pk, str(next(iter(by_id))))
        if len(by_id) == 1
        else _SESSION_EVIDENCE.rows(session.pk)
    )
    for event in events:
        candidate = by_id.get(event.data.get("candidate") or 0)
        if candidate is not None:
            found.setdefault(candidate.pk, []).append(evidence(event, candidate))
    return found


def fraud_facts(note: Note) -> FraudFacts:
    """A « Suspicion de fraude » (C6) line as its PV de fraude pre-filled (exams/documents.py)."""
    if note.code != issue_reports.FRAUD_CODE or note.candidate is None:
        raise ValueError("Only a C6 line about a candidate has a PV de fraude.")
    author = note.author
    return FraudFacts(
        candidate=note.candidate,
        noted_at=note.created_at,
        noted_by=f"{author.first_name} {author.last_name}".strip() or str(author.email or ""),
        text=note.text,
        action_taken=note.action_taken,
    )
