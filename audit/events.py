"""Writing the audit trail, and reading one of its rows as a sentence.

`record_event` is called by the `do_*` actions, inside their transaction. `describe` is the
only place an event becomes words: the live timeline, the finalization page, the archived
documents and the jury's page all go through it.
"""

from typing import Any

from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.tags import LABELS, AnyTag, Tag
from lib.issue_reports import code_label


def record_event(tag: AnyTag, *, actor: Any, session: Any, **data: Any) -> AuditEvent:
    """One audit row; `actor` is a user or None (the system), `session` an ExamSession."""
    return AuditEvent.objects.create(
        tag=tag,
        actor=actor,
        session=session,
        session_number=getattr(session, "number", "") if session else "",
        data=data,
    )


def label(tag: str) -> str:
    """The tag's short label (« Signalement validé »)."""
    return str(LABELS.get(tag, tag))


def actor_name(event: AuditEvent) -> str:
    return event.actor.get_full_name() if event.actor else ""


def describe(event: AuditEvent, *, by: bool = False) -> str:
    """The event as a sentence. With `by`, the sentence names who acted (the finalization's
    record); without, it leaves the actor to a column of its own (timelines)."""
    data: dict[str, Any] = event.data
    number = data.get("question_number")
    if by:
        return _sentence_by(event.tag, data, actor_name(event))
    text = label(event.tag)
    if number:
        text += _(" — question %(n)s") % {"n": number}
    if event.tag == Tag.Invigilator.ALERT_VALIDATE and data.get("reason"):
        text += f" ({data['reason']})"
    return text


def _sentence_by(tag: str, data: dict[str, Any], actor: str) -> str:
    by = actor or _("un surveillant")
    number = data.get("question_number")
    if tag == Tag.Invigilator.ALERT_REFUSE:
        return _("Signalement sur la question %(n)s refusé par %(by)s.") % {"n": number, "by": by}
    if tag == Tag.Invigilator.ALERT_VALIDATE:
        return _("Signalement sur la question %(n)s validé par %(by)s (%(code)s).") % {
            "n": number,
            "by": by,
            "code": code_label(str(data.get("reason", ""))),
        }
    if tag == Tag.Invigilator.RESUME_AUTHORIZE:
        return _("Reprise du test autorisée par %(by)s.") % {"by": by}
    if tag == Tag.Centre.ALERT_CLOSE and data.get("kind") == "companion":
        return _(
            "Alerte « extension non détectée » close à la finalisation par %(by)s, "
            "sans décision du surveillant."
        ) % {"by": actor or "—"}
    if tag == Tag.Centre.ALERT_CLOSE:
        return _(
            "Signalement sur la question %(n)s clos à la finalisation par %(by)s, "
            "sans décision du surveillant."
        ) % {"n": number, "by": actor or "—"}
    if tag == Tag.Invigilator.COURSE_END:
        return _("Test terminé par %(by)s.") % {"by": by}
    if tag == Tag.Candidate.FOCUS_LEAVE:
        return _("Question %(n)s : sortie du cadre (mode focus), réponse comptée fausse.") % {
            "n": number
        }
    if tag == Tag.Candidate.QUESTION_TIMEOUT:
        return _("Question %(n)s : temps de la question écoulé, réponse comptée fausse.") % {
            "n": number
        }
    return _("%(what)s (%(by)s).") % {"what": label(tag), "by": actor or "—"}
