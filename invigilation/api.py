"""JSON API of the Espace Surveillant: every action of the page, used by its JavaScript."""

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema

from accounts.models import User
from accounts.request import client_ip
from accounts.request import request_user as _user
from certification import actions as test_actions
from certification.models import CertificationCourse, LiveAlert
from invigilation import actions
from invigilation.access import (
    access_alert_as_invigilator,
    access_candidate_as_invigilator,
    access_session_as_invigilator,
    access_session_as_member,
)
from invigilation.forms import clean_note_text
from invigilation.state import session_state
from lib.errors import Refusal
from lib.freetext import Line, Lines
from lib.ids import Id

router = Router(tags=["invigilation"])


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


class Done(Schema):
    detail: str


class EndedOut(Schema):
    ended: int


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
    candidate = access_candidate_as_invigilator(user, candidate_id)
    course = CertificationCourse.objects.filter(candidate=candidate).first()
    if course is None:
        raise Refusal(message=_("Ce candidat n'a pas commencé son test."))
    test_actions.do_end_by_invigilator(course, actor=user)
    return {"detail": str(_("ok"))}


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
    actions.do_add_note(session, author=user, text=text, candidate=candidate)
    return {"detail": str(_("ok"))}
