"""JSON API of the Espace Surveillant: every action of the page, used by its JavaScript."""

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from ninja import Router, Schema
from pydantic import StrictBool, StrictInt

from accounts.models import User
from accounts.request import client_ip
from accounts.request import request_user as _user
from certification import actions as test_actions
from certification.errors import NoSelection
from certification.models import LiveAlert
from exams.models import Candidate, ExamSession
from invigilation import actions
from invigilation.access import (
    access_alert_as_invigilator,
    access_candidate_as_invigilator,
    access_evidence_as_invigilator,
    access_session_as_invigilator,
    access_session_as_member,
    started_course,
)
from invigilation.forms import clean_note_text, clean_pv_line
from invigilation.state import session_state
from lib.errors import Refusal
from lib.freetext import Line, Lines
from lib.ids import Id

router = Router(tags=["invigilation"])

# A room's candidates (20 per invigilator; a large room has a few invigilators).
MAX_SELECTION = 500


class SuperviseIn(Schema):
    session_number: Line
    password: Line


class SessionRef(Schema):
    session_id: int
    number: str


class ValidateIn(Schema):
    reason: Line


class NoteIn(Schema):
    text: Lines
    candidate_id: Id | None = None
    # A line of the candidate's PV d'incident: its category (C1…E12), the question (E…),
    # the action taken. Without a category, a plain note.
    code: Line = ""
    question_number: StrictInt | None = None
    action_taken: Line = ""


class PvLineOut(Schema):
    detail: str
    note_id: int
    code: str
    question_number: int | None


class Done(Schema):
    detail: str


class AddTimeIn(Schema):
    candidate_ids: list[Id]
    minutes: StrictInt  # `true` is not one minute
    reason: Line


class SuspendSessionIn(Schema):
    message: Line


class ResumeSessionIn(Schema):
    # Who is back in the room: their tests go on; the others stay suspended until decided.
    present: list[Id]


class ResumedOut(Schema):
    resumed: list[int]
    still_suspended: list[int]
    minutes_lost: int


class SuspendCourseIn(Schema):
    reason: Line


class MessageIn(Schema):
    text: Line
    # None: the whole room; else these candidates of the session.
    candidate_ids: list[Id] | None = None


class RoomScreenIn(Schema):
    access_code_shown: StrictBool


class EndedOut(Schema):
    ended: int


def _selection(session: ExamSession, ids: list[int]) -> list[Candidate]:
    """Candidates of this session only, each named once (a selection from its page)."""
    wanted = set(ids)
    if not wanted or len(wanted) > MAX_SELECTION:
        raise NoSelection
    candidates = list(session.candidates.filter(pk__in=wanted).order_by("pk"))
    if len(candidates) != len(wanted):
        raise NoSelection
    return candidates


def _question_alert(user: User, alert_id: Id) -> LiveAlert:
    alert = access_alert_as_invigilator(user, alert_id)
    if alert.kind != LiveAlert.Kind.QUESTION:
        raise Refusal(message=_("Ce signalement ne concerne pas une question."))
    return alert


@router.post("/supervise", response=SessionRef, url_name="invigilation_supervise")
def supervise(request: HttpRequest, payload: SuperviseIn) -> dict[str, Any]:
    session = actions.do_supervise(
        _user(request),
        number=payload.session_number,
        password=payload.password,
        ip=client_ip(request),
    )
    return {"session_id": session.pk, "number": session.number}


@router.post("/sessions/{session_id}/enter", response=SessionRef, url_name="invigilation_enter")
def enter_as_member(request: HttpRequest, session_id: Id) -> dict[str, Any]:
    """« Surveiller cette session » for a member of the session's centre (no password)."""
    user = _user(request)
    session = access_session_as_member(user, session_id)
    actions.do_enter_as_member(user, session, ip=client_ip(request))
    return {"session_id": session.pk, "number": session.number}


@router.get("/sessions/{session_id}/state", url_name="invigilation_state")
def state(request: HttpRequest, session_id: Id) -> dict[str, Any]:
    return session_state(access_session_as_invigilator(_user(request), session_id))


@router.post(
    "/candidates/{candidate_id}/confirm-presence", response=Done, url_name="invigilation_confirm"
)
def confirm_presence(request: HttpRequest, candidate_id: Id) -> dict[str, str]:
    user = _user(request)
    test_actions.do_confirm_presence(
        access_candidate_as_invigilator(user, candidate_id), actor=user
    )
    return {"detail": str(_("ok"))}


@router.post(
    "/candidates/{candidate_id}/cancel-presence", response=Done, url_name="invigilation_cancel"
)
def cancel_presence(request: HttpRequest, candidate_id: Id) -> dict[str, str]:
    user = _user(request)
    test_actions.do_cancel_presence(access_candidate_as_invigilator(user, candidate_id), actor=user)
    return {"detail": str(_("ok"))}


@router.post(
    "/candidates/{candidate_id}/authorize-resume", response=Done, url_name="invigilation_resume"
)
def authorize_resume(request: HttpRequest, candidate_id: Id) -> dict[str, str]:
    user = _user(request)
    test_actions.do_authorize_resume(
        access_candidate_as_invigilator(user, candidate_id), actor=user
    )
    return {"detail": str(_("ok"))}


@router.post("/candidates/{candidate_id}/end", response=Done, url_name="invigilation_end")
def end_test(request: HttpRequest, candidate_id: Id) -> dict[str, str]:
    user = _user(request)
    course = started_course(access_candidate_as_invigilator(user, candidate_id))
    test_actions.do_end_by_invigilator(course, actor=user)
    return {"detail": str(_("ok"))}


@router.post("/sessions/{session_id}/add-time", response=Done, url_name="invigilation_add_time")
def add_time(request: HttpRequest, session_id: Id, payload: AddTimeIn) -> dict[str, str]:
    """« Ajouter du temps » to one candidate or a selection (all or nothing)."""
    user = _user(request)
    session = access_session_as_invigilator(user, session_id)
    courses = test_actions.do_add_time(
        _selection(session, payload.candidate_ids),
        minutes=payload.minutes,
        reason=payload.reason,
        actor=user,
    )
    return {
        "detail": ngettext(
            "%(minutes)s min ajoutées au test de %(count)s candidat.",
            "%(minutes)s min ajoutées aux tests de %(count)s candidats.",
            len(courses),
        )
        % {"minutes": payload.minutes, "count": len(courses)}
    }


@router.post("/sessions/{session_id}/suspend", response=Done, url_name="invigilation_suspend")
def suspend_session(
    request: HttpRequest, session_id: Id, payload: SuspendSessionIn
) -> dict[str, str]:
    user = _user(request)
    session = access_session_as_invigilator(user, session_id)
    test_actions.do_suspend_session(session, message=payload.message, actor=user)
    return {"detail": str(_("La session est suspendue : le temps de chaque test est arrêté."))}


@router.post(
    "/sessions/{session_id}/resume", response=ResumedOut, url_name="invigilation_resume_session"
)
def resume_session(
    request: HttpRequest, session_id: Id, payload: ResumeSessionIn
) -> dict[str, Any]:
    user = _user(request)
    session = access_session_as_invigilator(user, session_id)
    if len(payload.present) > MAX_SELECTION:
        raise NoSelection
    done = test_actions.do_resume_session(session, present=payload.present, actor=user)
    return {
        "resumed": done.resumed,
        "still_suspended": done.still_suspended,
        "minutes_lost": round(done.lost.total_seconds() / 60),
    }


@router.post(
    "/candidates/{candidate_id}/suspend", response=Done, url_name="invigilation_suspend_test"
)
def suspend_test(
    request: HttpRequest, candidate_id: Id, payload: SuspendCourseIn
) -> dict[str, str]:
    user = _user(request)
    course = started_course(access_candidate_as_invigilator(user, candidate_id))
    test_actions.do_suspend_course(course, reason=payload.reason, actor=user)
    return {"detail": str(_("Le test est suspendu : son temps est arrêté."))}


@router.post(
    "/candidates/{candidate_id}/continue", response=Done, url_name="invigilation_continue_test"
)
def continue_test(request: HttpRequest, candidate_id: Id) -> dict[str, str]:
    user = _user(request)
    course = started_course(access_candidate_as_invigilator(user, candidate_id))
    test_actions.do_resume_course(course, actor=user)
    return {"detail": str(_("Le test reprend là où il s'était arrêté."))}


@router.post(
    "/sessions/{session_id}/end-overtime", response=EndedOut, url_name="invigilation_end_overtime"
)
def end_overtime(request: HttpRequest, session_id: Id) -> dict[str, int]:
    user = _user(request)
    session = access_session_as_invigilator(user, session_id)
    return {"ended": actions.do_end_overtime(session, actor=user)}


@router.post("/alerts/{alert_id}/validate", response=Done, url_name="invigilation_validate")
def validate_alert(request: HttpRequest, alert_id: Id, payload: ValidateIn) -> dict[str, str]:
    user = _user(request)
    test_actions.do_validate_alert(
        _question_alert(user, alert_id), actor=user, reason=payload.reason
    )
    return {"detail": str(_("Le signalement a bien été validé."))}


@router.post("/alerts/{alert_id}/companion", response=Done, url_name="invigilation_companion")
def confirm_companion(request: HttpRequest, alert_id: Id) -> dict[str, str]:
    user = _user(request)
    alert = access_alert_as_invigilator(user, alert_id)
    if alert.kind != LiveAlert.Kind.COMPANION:
        raise Refusal(message=_("Ce signalement ne concerne pas l'extension."))
    test_actions.do_clear_companion_alert(alert, actor=user)
    return {"detail": str(_("La présence de l'extension est confirmée."))}


@router.post("/alerts/{alert_id}/claim", response=Done, url_name="invigilation_claim")
def claim_alert(request: HttpRequest, alert_id: Id) -> dict[str, str]:
    """« Je m'en occupe » on a question report or a companion alert: 409 while another
    invigilator's claim holds, or once the alert is decided."""
    user = _user(request)
    test_actions.do_claim_alert(access_alert_as_invigilator(user, alert_id), actor=user)
    return {
        "detail": str(_("Vous vous occupez de ce signalement : les autres surveillants le voient."))
    }


@router.post("/alerts/{alert_id}/refuse", response=Done, url_name="invigilation_refuse")
def refuse_alert(request: HttpRequest, alert_id: Id) -> dict[str, str]:
    user = _user(request)
    test_actions.do_refuse_alert(_question_alert(user, alert_id), actor=user)
    return {"detail": str(_("Le signalement a bien été refusé."))}


@router.post("/sessions/{session_id}/notes", response=Done, url_name="invigilation_note")
def add_note(request: HttpRequest, session_id: Id, payload: NoteIn) -> dict[str, str]:
    user = _user(request)
    session = access_session_as_invigilator(user, session_id)
    candidate = None
    if payload.candidate_id is not None:
        candidate = access_candidate_as_invigilator(user, payload.candidate_id)
        if candidate.session_id != session.pk:
            raise Refusal(message=_("Ce candidat n'appartient pas à cette session."))
    text = clean_note_text(payload.text)
    line = clean_pv_line(payload.code, payload.question_number, payload.action_taken)
    actions.do_add_note(session, author=user, text=text, candidate=candidate, line=line)
    return {"detail": str(_("ok"))}


@router.post(
    "/candidates/{candidate_id}/evidence/{event_id}/pv",
    response=PvLineOut,
    url_name="invigilation_evidence_pv",
)
def evidence_to_pv(request: HttpRequest, candidate_id: Id, event_id: Id) -> dict[str, Any]:
    """« Ajouter au PV »: something Vigie saw (`evidence` in the state's rows) becomes a line
    of the candidate's PV d'incident; calling it again gives the same line."""
    user = _user(request)
    candidate = access_candidate_as_invigilator(user, candidate_id)
    note = actions.do_evidence_to_pv(
        candidate, access_evidence_as_invigilator(user, event_id), actor=user
    )
    return {
        "detail": str(_("Ajouté au PV d'incident.")),
        "note_id": note.pk,
        "code": note.code,
        "question_number": note.question_number,
    }


@router.post("/sessions/{session_id}/messages", response=Done, url_name="invigilation_message")
def send_message(request: HttpRequest, session_id: Id, payload: MessageIn) -> dict[str, str]:
    """« Envoyer un message » to the room, a selection or one candidate."""
    user = _user(request)
    session = access_session_as_invigilator(user, session_id)
    to = None if payload.candidate_ids is None else _selection(session, payload.candidate_ids)
    test_actions.do_send_message(session, text=payload.text, actor=user, candidates=to)
    return {"detail": str(_("Message envoyé."))}


@router.post(
    "/sessions/{session_id}/room-screen", response=Done, url_name="invigilation_room_screen"
)
def room_screen(request: HttpRequest, session_id: Id, payload: RoomScreenIn) -> dict[str, str]:
    """« Affichage salle »: show the candidates' access code on the room's screen, or hide it."""
    user = _user(request)
    session = access_session_as_invigilator(user, session_id)
    actions.do_show_access_code(session, shown=payload.access_code_shown, actor=user)
    return {
        "detail": str(
            _("Le code d'accès est affiché sur l'affichage salle.")
            if payload.access_code_shown
            else _("Le code d'accès est masqué sur l'affichage salle.")
        )
    }
