"""Issuing and withdrawing certificates (called by the jury's publication), and the public
verification of a code."""

import secrets

from django.db import transaction
from django.utils import timezone

from accounts import ratelimit
from accounts.models import User
from audit.events import record_event
from audit.tags import Tag
from certification.models import CertificationCourse
from exams.models import ExamSession
from lib.codes import PASSWORD_ALPHABET
from live.events import candidate_group, publish_on_commit
from results import errors
from results.compute import compute_result
from results.models import Certificate, Visibility

# Same 26 unambiguous upper-case symbols as the invigilator password: 10 of them give
# ≈ 47 bits, and the rate limit below leaves 30 guesses per address every 15 minutes.
CODE_PREFIX = "V-"
CODE_ALPHABET = PASSWORD_ALPHABET
CODE_BODY_LENGTH = 10
VERIFY_LIMIT = 30  # per address, in ratelimit.WINDOW (15 minutes)


def generate_verification_code() -> str:
    return CODE_PREFIX + "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_BODY_LENGTH))


def canonical_code(typed: str) -> str:
    """« v-bcdf ghjk mn », « VBCDFGHJKMN » and « V-BCDFGHJKMN » are the same code."""
    body = "".join(c for c in typed.upper() if c.isalnum())
    if len(body) == CODE_BODY_LENGTH + 1 and body.startswith("V"):
        body = body[1:]
    return CODE_PREFIX + body


def _new_code() -> str:
    # A collision is astronomically unlikely; the unique constraint is the last guard.
    while True:
        code = generate_verification_code()
        if not Certificate.objects.filter(verification_code=code).exists():
            return code


def _notify(courses: list[CertificationCourse], op: str) -> None:
    groups = [candidate_group(course.candidate_id) for course in courses]
    if groups:
        publish_on_commit(groups, {"type": "results", "op": op})


@transaction.atomic
def do_issue_certificates(session: ExamSession, *, actor: User) -> list[Certificate]:
    """One published certificate per course of the session, computed from its answers.

    Idempotent: issuing again recomputes the results (after a neutralization, say) and
    publishes them again, with the same certificates and verification codes.
    """
    # Two publications of one session at once would both create certificates: one waits.
    ExamSession.objects.select_for_update().filter(pk=session.pk).first()
    courses = list(
        CertificationCourse.objects.filter(candidate__session=session)
        .select_related("candidate")
        .order_by("candidate__last_name_key", "candidate__first_name_key", "pk")
    )
    existing = {c.course_id: c for c in Certificate.objects.filter(course__in=courses)}
    now = timezone.now()
    certificates: list[Certificate] = []
    for course in courses:
        result = compute_result(course)
        fields = {
            "status": result.status,
            "score": result.score,
            "level": result.level,
            "competence_levels": result.competence_levels,
            "answer_count": result.answer_count,
            "theta": result.theta,
            "visibility": Visibility.PUBLISHED,
            "issued_at": now,
            "issued_by": actor,
            "withdrawn_at": None,
            "withdrawn_by": None,
        }
        certificate = existing.get(course.pk)
        if certificate is None:
            certificate = Certificate.objects.create(
                course=course, session=session, verification_code=_new_code(), **fields
            )
        else:
            for name, value in fields.items():
                setattr(certificate, name, value)
            certificate.save(update_fields=list(fields))
        certificates.append(certificate)
    record_event(
        Tag.Jury.CERTIFICATES_ISSUE,
        actor=actor,
        session=session,
        count=len(certificates),
        reissued=len(existing),
        certificates=[
            {"id": c.pk, "candidate": c.course.candidate_id, "status": c.status, "score": c.score}
            for c in certificates
        ],
    )
    _notify(courses, "published")
    return certificates


@transaction.atomic
def do_withdraw_certificates(session: ExamSession, *, actor: User) -> int:
    """Unpublishing: the certificates stay (with their codes) but are marked withdrawn, so
    their owners no longer see them and the public page says so. Returns how many were
    withdrawn; withdrawing twice withdraws nothing more."""
    published = Certificate.objects.filter(session=session, visibility=Visibility.PUBLISHED)
    courses = list(CertificationCourse.objects.filter(certificate__in=published))
    count = published.update(
        visibility=Visibility.WITHDRAWN, withdrawn_at=timezone.now(), withdrawn_by=actor
    )
    if count:
        record_event(Tag.Jury.CERTIFICATES_WITHDRAW, actor=actor, session=session, count=count)
        _notify(courses, "withdrawn")
    return count


def do_verify(typed_code: str, *, ip: str | None) -> Certificate:
    """The published certificate with this code, for anyone; every attempt counts against
    the address's limit, so codes cannot be enumerated."""
    if not ratelimit.take([ratelimit.Rule(f"verify:ip:{ip or 'unknown'}", VERIFY_LIMIT)]):
        raise errors.TooManyVerifications
    certificate = (
        Certificate.objects.select_related("session__centre", "course__candidate")
        .filter(verification_code=canonical_code(typed_code))
        .first()
    )
    if certificate is None:
        raise errors.UnknownCertificate
    if not certificate.is_published:
        raise errors.CertificateWithdrawn
    return certificate
