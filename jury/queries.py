"""What the jury reads: finalized sessions (those needing attention first) and, for one
session, each candidate's test, reports and answers (from the session's history,
invigilation/history.py, which also gives the timeline)."""

from dataclasses import dataclass, field

from certification import review, scoring
from certification.models import (
    AbortReason,
    CertificationCourse,
    CertificationReport,
    IssueReport,
)
from exams.models import ExamSession
from invigilation.history import SessionHistory
from lib import issue_reports


@dataclass
class SessionSummary:
    session: ExamSession
    reports: int = 0
    unresolved: int = 0
    impactful_unresolved: int = 0

    @property
    def has_comment(self) -> bool:
        return bool(self.session.examiner_global_comment)

    @property
    def needs_attention(self) -> bool:
        """A global comment or an unresolved report: the jury must look before publishing."""
        return self.session.published_at is None and (self.has_comment or self.unresolved > 0)


def _summaries(sessions: list[ExamSession]) -> list[SessionSummary]:
    summaries = {s.pk: SessionSummary(session=s) for s in sessions}
    rows = IssueReport.objects.filter(course__candidate__session__in=sessions).values_list(
        "course__candidate__session_id", "category", "subcategory", "resolved_at"
    )
    for session_id, category, subcategory, resolved_at in rows:
        summary = summaries[session_id]
        summary.reports += 1
        if resolved_at is None:
            summary.unresolved += 1
            if issue_reports.is_impactful(category, subcategory):
                summary.impactful_unresolved += 1
    return list(summaries.values())


def summary_of(session: ExamSession) -> SessionSummary:
    return _summaries([session])[0]


def finalized_sessions() -> list[SessionSummary]:
    sessions = list(
        ExamSession.objects.filter(finalized_at__isnull=False).select_related(
            "centre", "assigned_officer"
        )
    )
    ordered = _summaries(sessions)
    # Unpublished sessions needing attention first, then the other unpublished ones, oldest
    # finalization first; published sessions last, latest publication first.
    ordered.sort(key=lambda s: s.session.finalized_at.timestamp() if s.session.finalized_at else 0)
    ordered.sort(
        key=lambda s: (
            s.session.published_at is not None,
            not s.needs_attention,
            -(s.session.published_at.timestamp() if s.session.published_at else 0),
        )
    )
    return ordered


@dataclass
class CandidateReview:
    course: CertificationCourse
    answered: int
    neutralized: int
    report: CertificationReport | None
    issue_reports: list[IssueReport] = field(default_factory=list)
    # Answers after leaving a focus-mode question's frame / to a timed question run out.
    focus_lost: int = 0
    timed_out: int = 0

    @property
    def reports_seen(self) -> list[tuple[IssueReport, review.QuestionAsSeen | None]]:
        """Each report with the question it is about, as the candidate saw it."""
        return [(report, review.reported_question(report)) for report in self.issue_reports]

    @property
    def abort_reason_label(self) -> str:
        if self.report is None or not self.report.abort_reason:
            return ""
        return str(AbortReason(self.report.abort_reason).label)

    @property
    def rejected(self) -> bool:
        """Reference §6: fewer than 20 answers and an abort reason."""
        aborted = bool(self.report and self.report.abort_reason)
        return scoring.is_rejected(self.answered, aborted)


def candidates_for_review(history: SessionHistory) -> list[CandidateReview]:
    """The started tests of the session's history, as the jury reviews them."""
    return [
        CandidateReview(
            course=entry.course,
            answered=entry.answered,
            neutralized=entry.neutralized,
            report=entry.report,
            issue_reports=entry.issue_reports,
            focus_lost=entry.focus_lost,
            timed_out=entry.timed_out,
        )
        for entry in history.started
        if entry.course is not None
    ]
