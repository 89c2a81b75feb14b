"""Writing the audit trail, and reading a session's history as sentences.

`record_event` is called by the `do_*` actions, inside their transaction. This module is
the only place the history becomes words: `label` and `describe` for an event, and the few
sentences about what the trail points to (an alert still waiting, a note). The live
timeline, the finalization page, the archived documents and the jury's page all read the
history through invigilation/history.py, which calls these.
"""

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from audit.models import AuditEvent
from audit.tags import LABELS, AnyTag, Tag
from lib.issue_reports import code_label
from lib.prepared import PreparedWrite


def record_event(tag: AnyTag, *, actor: Any, session: Any, **data: Any) -> AuditEvent:
    """One audit row; `actor` is a user or None (the system), `session` an ExamSession."""
    event = AuditEvent(
        tag=tag,
        actor=actor,
        session=session,
        session_number=getattr(session, "number", "") if session else "",
        data=data,
    )
    _INSERT_EVENT.save(event)
    return event


# Every action writes one (a start, an answer that lost the focus, each invigilator's
# decision): its INSERT is written as SQL once per process (lib/prepared.py).
_INSERT_EVENT = PreparedWrite(AuditEvent)


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
    if event.tag == Tag.Invigilator.ALERT_CLAIM and data.get("kind") == "companion":
        text += _(" (extension non détectée)")
    if event.tag == Tag.Invigilator.ALERT_VALIDATE and data.get("reason"):
        text += f" ({data['reason']})"
    if event.tag == Tag.Invigilator.TIME_ADD:
        text += _(" : %(minutes)s min (%(reason)s)") % {
            "minutes": data.get("minutes"),
            "reason": data.get("reason", ""),
        }
    if event.tag == Tag.Invigilator.COURSE_SUSPEND:
        text += f" ({data.get('reason', '')})"
    if event.tag == Tag.Invigilator.SESSION_SUSPEND:
        text += f" : « {data.get('message', '')} »"
    if event.tag == Tag.Invigilator.MESSAGE_SEND:
        text += f" : « {data.get('text', '')} »"
    if event.tag in (Tag.Invigilator.SESSION_RESUME, Tag.Invigilator.COURSE_CONTINUE):
        text += _(" (%(minutes)s min d'interruption)") % {"minutes": _lost_minutes(data)}
    return text


def _lost_minutes(data: dict[str, Any]) -> int:
    return round(int(data.get("seconds_lost", 0)) / 60)


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
    if tag == Tag.Invigilator.ALERT_CLAIM and data.get("kind") == "companion":
        return _("Alerte « extension non détectée » prise en charge par %(by)s.") % {"by": by}
    if tag == Tag.Invigilator.ALERT_CLAIM:
        return _("Signalement sur la question %(n)s pris en charge par %(by)s.") % {
            "n": number,
            "by": by,
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
    if tag == Tag.Invigilator.TIME_ADD:
        return _("%(minutes)s min ajoutées par %(by)s (%(reason)s).") % {
            "minutes": data.get("minutes"),
            "by": by,
            "reason": data.get("reason", ""),
        }
    if tag == Tag.Invigilator.SESSION_SUSPEND:
        return _("Session suspendue par %(by)s : « %(message)s ».") % {
            "by": by,
            "message": data.get("message", ""),
        }
    if tag == Tag.Invigilator.MESSAGE_SEND and data.get("to_everyone"):
        return _("Message de %(by)s à toute la salle : « %(text)s ».") % {
            "by": by,
            "text": data.get("text", ""),
        }
    if tag == Tag.Invigilator.MESSAGE_SEND:
        count = len(data.get("candidates", []))
        return ngettext(
            "Message de %(by)s à %(count)s candidat : « %(text)s ».",
            "Message de %(by)s à %(count)s candidats : « %(text)s ».",
            count,
        ) % {"by": by, "count": count, "text": data.get("text", "")}
    if tag == Tag.Invigilator.SESSION_RESUME:
        return _("Session reprise par %(by)s après %(minutes)s min d'interruption.") % {
            "by": by,
            "minutes": _lost_minutes(data),
        }
    if tag == Tag.Invigilator.COURSE_SUSPEND:
        return _("Test suspendu par %(by)s (%(reason)s).") % {
            "by": by,
            "reason": data.get("reason", ""),
        }
    if tag == Tag.Invigilator.COURSE_CONTINUE:
        return _("Test repris par %(by)s après %(minutes)s min de suspension.") % {
            "by": by,
            "minutes": _lost_minutes(data),
        }
    if tag == Tag.Candidate.FOCUS_LEAVE:
        return _("Question %(n)s : sortie du cadre (mode focus), réponse comptée fausse.") % {
            "n": number
        }
    if tag == Tag.Candidate.QUESTION_TIMEOUT:
        return _("Question %(n)s : temps de la question écoulé, réponse comptée fausse.") % {
            "n": number
        }
    return _("%(what)s (%(by)s).") % {"what": label(tag), "by": actor or "—"}


def describe_alert(event: AuditEvent) -> str:
    """What an alert event was about: « Extension non détectée » or « Problème signalé sur la
    question 4 » (the PV's alerts closed without a decision)."""
    if event.data.get("kind") == "companion":
        return label(Tag.Candidate.COMPANION_MISSING)
    return _("Problème signalé sur la question %(n)s") % {"n": event.data.get("question_number")}


def describe_pending_alert(kind: str, question_number: int | None) -> str:
    """An alert still waiting for an invigilator when the centre looks at the record."""
    if kind == "companion":
        return _(
            "Extension non détectée : l'alerte attend la confirmation d'un surveillant, "
            "elle sera close à la finalisation."
        )
    return _(
        "Signalement sur la question %(n)s en attente d'une décision du surveillant : "
        "il sera clos à la finalisation."
    ) % {"n": question_number}


def describe_note(author: str, text: str, *, code: str = "", question: int | None = None) -> str:
    """An invigilator's note, quoted; a line of the PV with its category and question."""
    if code and question:
        return _("%(by)s a noté au PV (%(code)s, question %(n)s) : « %(text)s »") % {
            "by": author,
            "code": code,
            "n": question,
            "text": text,
        }
    if code:
        return _("%(by)s a noté au PV (%(code)s) : « %(text)s »") % {
            "by": author,
            "code": code,
            "text": text,
        }
    return _("%(by)s a noté : « %(text)s »") % {"by": author, "text": text}
