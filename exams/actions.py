"""Writes with side effects. Views and the API call these; nothing else writes sessions."""

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Centre, User
from audit.events import record_event
from audit.tags import Tag
from exams.models import (
    IDENTITY_FIELDS,
    Candidate,
    ExamSession,
    PlatformToken,
    Student,
    StudentLevel,
)
from lib.codes import generate_access_code, generate_invigilator_password, generate_session_number

SESSION_FIELDS = [
    "site_name",
    "address",
    "room",
    "date",
    "time",
    "examiner",
    "description",
    "companion_required",
]


class SessionNotEditable(Exception):
    """The session left `created`: its planning and candidates are now evidence."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(
            message
            or _(
                "Cette session n'est plus modifiable : elle a été finalisée ou ses résultats sont en cours de traitement."
            )
        )


class EvidenceKept(SessionNotEditable):
    """The session is still `created` while its tests run: a started test makes the
    candidate's line, identity and session evidence, and so does an invigilator's note about
    the candidate. The message says what to do instead."""

    @classmethod
    def unenrol(cls, candidate: Candidate) -> "EvidenceKept":
        return cls(
            _(
                "%(name)s a commencé son test : sa désinscription effacerait ses réponses. "
                "Un candidat qui a commencé son test reste inscrit ; s'il a abandonné, "
                "indiquez-le à la finalisation de la session."
            )
            % {"name": candidate}
        )

    @classmethod
    def noted(cls, candidate: Candidate) -> "EvidenceKept":
        return cls(
            _(
                "Une note des surveillants concerne %(name)s : elle fait partie du PV "
                "d'incident de la session, le candidat reste inscrit (il figurera absent "
                "s'il n'a pas passé son test)."
            )
            % {"name": candidate}
        )

    @classmethod
    def identity(cls, candidate: Candidate) -> "EvidenceKept":
        return cls(identity_locked_text(candidate))

    @classmethod
    def session(cls, started: int) -> "EvidenceKept":
        return cls(
            ngettext(
                "Cette session ne peut pas être supprimée : %(count)s candidat a commencé son "
                "test, ses réponses sont conservées. Finalisez la session.",
                "Cette session ne peut pas être supprimée : %(count)s candidats ont commencé "
                "leur test, leurs réponses sont conservées. Finalisez la session.",
                started,
            )
            % {"count": started}
        )


def identity_locked_text(candidate: Candidate) -> str:
    return _(
        "%(name)s a commencé son test : son identité (nom, prénom, date, sexe et lieu de "
        "naissance) ne se modifie plus ici. Signalez la correction à la finalisation de la "
        "session (signalement C1 « Modification des prénom/nom/date de naissance »)."
    ) % {"name": candidate}


def started_tests(session: ExamSession) -> int:
    """Candidates of the session whose test started (`certification`'s course, by name)."""
    return session.candidates.filter(course__isnull=False).count()


def _json_safe(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, dt.date | dt.time) else v for k, v in data.items()}


# Every write re-reads its rows under lock in its transaction (session first, then
# candidate: one order, no deadlock). What the request read before may have been deleted
# since by a request that committed first (a PATCH and a DELETE at once, found by fuzzing
# the API, issue 13): a vanished row is a 404, never DoesNotExist (500) nor a save() that
# would insert the deleted row again.
def _locked_session(pk: int) -> ExamSession:
    return get_object_or_404(ExamSession.objects.select_for_update(), pk=pk)


def _locked_candidate(pk: int) -> Candidate:
    return get_object_or_404(Candidate.objects.select_for_update(), pk=pk)


def _assert_editable(session: ExamSession) -> None:
    if not session.is_accessible:
        raise SessionNotEditable


def _create_session_row(centre: Centre, data: Mapping[str, Any], actor: User) -> ExamSession:
    # Numbers are random (not sequential ids), so a collision is possible but rare: retry.
    for _attempt in range(20):
        session = ExamSession(
            centre=centre,
            number=generate_session_number(),
            access_code=generate_access_code(),
            created_by=actor,
            **{field: data[field] for field in SESSION_FIELDS if field in data},
        )
        session.invigilator_password = generate_invigilator_password()
        try:
            with transaction.atomic():
                session.save()
        except IntegrityError:
            if ExamSession.objects.filter(number=session.number).exists():
                continue
            raise
        return session
    raise RuntimeError("Could not find a free session number")


@transaction.atomic
def do_create_session(centre: Centre, data: Mapping[str, Any], *, actor: User) -> ExamSession:
    session = _create_session_row(centre, data, actor)
    record_event(Tag.Centre.SESSION_CREATE, actor=actor, session=session, after=_json_safe(data))
    return session


@transaction.atomic
def do_update_session(session: ExamSession, data: Mapping[str, Any], *, actor: User) -> ExamSession:
    locked = _locked_session(session.pk)
    _assert_editable(locked)
    before = {field: getattr(locked, field) for field in SESSION_FIELDS}
    after = {field: data[field] for field in SESSION_FIELDS if field in data}
    for field, value in after.items():
        setattr(locked, field, value)
    locked.save(update_fields=list(after))
    changed = {k: v for k, v in after.items() if before[k] != v}
    if changed:
        record_event(
            Tag.Centre.SESSION_UPDATE,
            actor=actor,
            session=locked,
            before=_json_safe({k: before[k] for k in changed}),
            after=_json_safe(changed),
        )
    return locked


@transaction.atomic
def do_delete_session(session: ExamSession, *, actor: User) -> None:
    locked = _locked_session(session.pk)
    _assert_editable(locked)
    # A start locks the session row too: no test can begin between this count and the delete.
    started = started_tests(locked)
    if started:
        raise EvidenceKept.session(started)
    record_event(
        Tag.Centre.SESSION_DELETE,
        actor=actor,
        session=None,
        number=locked.number,
        centre=locked.centre_id,
        candidates=locked.candidates.count(),
    )
    locked.delete()


def _add_candidates(session: ExamSession, rows: Iterable[Mapping[str, Any]]) -> list[Candidate]:
    created = []
    for row in rows:
        candidate = Candidate(session=session, **row)
        candidate.save()
        created.append(candidate)
    return created


@transaction.atomic
def do_enrol_candidate(session: ExamSession, data: Mapping[str, Any], *, actor: User) -> Candidate:
    locked = _locked_session(session.pk)
    _assert_editable(locked)
    (candidate,) = _add_candidates(locked, [data])
    record_event(
        Tag.Centre.CANDIDATE_ENROL,
        actor=actor,
        session=locked,
        candidate=candidate.pk,
        after=_json_safe(data),
    )
    return candidate


@transaction.atomic
def do_update_candidate(candidate: Candidate, data: Mapping[str, Any], *, actor: User) -> Candidate:
    session = _locked_session(candidate.session_id)
    _assert_editable(session)
    # Re-read: a ModelForm bound to `candidate` has already copied the new values onto it.
    candidate = _locked_candidate(candidate.pk)
    before = {k: getattr(candidate, k) for k in data}
    touched = [k for k in IDENTITY_FIELDS if k in data and data[k] != before[k]]
    if touched and candidate.has_started_test():
        raise EvidenceKept.identity(candidate)
    for field, value in data.items():
        setattr(candidate, field, value)
    candidate.save()
    changed = {k: v for k, v in data.items() if before[k] != v}
    if changed:
        record_event(
            Tag.Centre.CANDIDATE_UPDATE,
            actor=actor,
            session=session,
            candidate=candidate.pk,
            before=_json_safe({k: before[k] for k in changed}),
            after=_json_safe(changed),
        )
    return candidate


@transaction.atomic
def do_delete_candidate(candidate: Candidate, *, actor: User) -> None:
    session = _locked_session(candidate.session_id)
    _assert_editable(session)
    candidate = _locked_candidate(candidate.pk)
    if candidate.has_started_test():
        raise EvidenceKept.unenrol(candidate)
    # The invigilators' notes (invigilation.Note, reached by its relation's name).
    if candidate.notes.exists():
        raise EvidenceKept.noted(candidate)
    record_event(
        Tag.Centre.CANDIDATE_DELETE,
        actor=actor,
        session=session,
        candidate=candidate.pk,
        before={"name": str(candidate), "birthdate": candidate.birthdate.isoformat()},
    )
    candidate.delete()


@transaction.atomic
def do_import_candidates(
    session: ExamSession, rows: Sequence[Mapping[str, Any]], *, actor: User, filename: str
) -> list[Candidate]:
    """Adds every validated row or none: the caller validated them all beforehand."""
    locked = _locked_session(session.pk)
    _assert_editable(locked)
    created = _add_candidates(locked, rows)
    record_event(
        Tag.Centre.CANDIDATE_IMPORT,
        actor=actor,
        session=locked,
        filename=filename,
        count=len(created),
    )
    return created


@transaction.atomic
def do_import_sessions(
    centre: Centre,
    planned: Sequence[tuple[Mapping[str, Any], Sequence[Mapping[str, Any]]]],
    *,
    actor: User,
    filename: str,
) -> list[ExamSession]:
    """Creates every session with its candidates, or nothing."""
    sessions = []
    for session_data, candidate_rows in planned:
        session = _create_session_row(centre, session_data, actor)
        _add_candidates(session, candidate_rows)
        record_event(
            Tag.Centre.SESSION_IMPORT,
            actor=actor,
            session=session,
            filename=filename,
            after=_json_safe(session_data),
            candidates=len(candidate_rows),
        )
        sessions.append(session)
    return sessions


# --- Pupils' competence levels (eligibility before enrolment) -------------------------------


@transaction.atomic
def do_record_levels(
    centre: Centre, rows: Sequence[Mapping[str, Any]], *, actor: User | None, source: str
) -> list[dict[str, Any]]:
    """Records validated rows (exams/levels.py) for the centre's pupils, all or nothing;
    returns the changes (pupil, competence, before, after), every one of them in the single
    audit row. A row that changes nothing is no change."""
    now = timezone.now()
    keys = {row["key"] for row in rows}
    students = {
        s.key: s for s in Student.objects.select_for_update().filter(centre=centre, key__in=keys)
    }
    changes: list[dict[str, Any]] = []
    for row in rows:
        student = students.get(row["key"])
        if student is None:
            student = Student.objects.create(centre=centre, key=row["key"])
            students[student.key] = student
        named = {f: row[f] for f in ("first_name", "last_name", "school_class") if row.get(f)}
        if any(getattr(student, f) != v for f, v in named.items()):
            for name, value in named.items():
                setattr(student, name, value)
            student.save(update_fields=list(named))
        current = StudentLevel.objects.filter(student=student, competence=row["competence"]).first()
        before = (
            {"level": current.level, "reached_on": current.reached_on.isoformat()}
            if current
            else None
        )
        after = {"level": row["level"], "reached_on": row["reached_on"].isoformat()}
        if before == after:
            continue
        StudentLevel.objects.update_or_create(
            student=student,
            competence=row["competence"],
            defaults={
                "level": row["level"],
                "reached_on": row["reached_on"],
                "updated_at": now,
                "updated_by": actor,
            },
        )
        changes.append(
            {
                "student": student.key,
                "competence": row["competence"],
                "before": before,
                "after": after,
            }
        )
    record_event(
        Tag.Centre.LEVELS_RECORD,
        actor=actor,
        session=None,
        centre=centre.pk,
        source=source,
        rows=len(rows),
        changes=changes,
    )
    return changes


# --- The learning platform's tokens ----------------------------------------------------------

PLATFORM_TOKEN_BYTES = 32


def platform_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def do_create_platform_token(
    centre: Centre, *, name: str, actor: User | None = None
) -> tuple[PlatformToken, str]:
    """A new token for the centre's platform: (row, the token, shown this once). `actor` is
    the centre admin on the page, None from `manage.py platform_token`."""
    token = secrets.token_urlsafe(PLATFORM_TOKEN_BYTES)
    row = PlatformToken.objects.create(
        centre=centre,
        name=name.strip()[:100],
        token_hash=platform_token_hash(token),
        created_at=timezone.now(),
    )
    record_event(
        Tag.System.PLATFORM_ACCESS_GRANT,
        actor=actor,
        session=None,
        centre=centre.pk,
        token=row.pk,
        name=row.name,
    )
    return row, token


@transaction.atomic
def do_revoke_platform_token(row: PlatformToken, *, actor: User | None = None) -> bool:
    """Revokes the token at once; revoking twice changes nothing (False)."""
    revoked = PlatformToken.objects.filter(pk=row.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if revoked:
        record_event(
            Tag.System.PLATFORM_ACCESS_REVOKE,
            actor=actor,
            session=None,
            centre=row.centre_id,
            token=row.pk,
            name=row.name,
        )
    return bool(revoked)
