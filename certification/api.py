"""JSON API of the candidate's journey, used by the candidate pages' JavaScript."""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from accounts.identities import signed_in_with_provider
from accounts.request import client_ip
from accounts.request import request_user as _user
from certification import actions
from certification.access import access_own_candidate, access_own_course
from certification.engine import Progress
from certification.models import CertificationCourse
from certification.state import course_state, unread_messages
from lib.freetext import Line
from lib.ids import Id

router = Router(tags=["candidate"])
RUN_TOKEN_HEADER = "X-Run-Token"  # noqa: S105 - a header name


class JoinIn(Schema):
    session_number: Line
    first_name: Line
    last_name: Line
    birthdate: dt.date


class JoinOut(Schema):
    candidate_id: int
    session_number: str


class StartIn(Schema):
    access_code: Line


class StartOut(Schema):
    course_id: int
    run_token: str
    resumed: bool
    # The test page's first state, as `GET …/state` gives it: the page shows it at once
    # instead of reading it (issue 17: at nine o'clock every start cost a read more).
    state: dict[str, Any]


class AnswerIn(Schema):
    item_id: Line
    response: list[int] | Line
    focus_lost: bool = False


class AnswerOut(Schema):
    position: int
    item_id: str
    # The test page's state after this answer (the next question): no second request.
    state: dict[str, Any]


class AlertIn(Schema):
    item_id: Line


class AlertOut(Schema):
    id: int
    status: str
    question_number: int | None


def _token(request: HttpRequest) -> str:
    return request.headers.get(RUN_TOKEN_HEADER, "")


@router.post("/join", response=JoinOut, url_name="candidate_join")
def join(request: HttpRequest, payload: JoinIn) -> dict[str, Any]:
    candidate = actions.do_join(
        _user(request),
        session_number=payload.session_number,
        first_name=payload.first_name,
        last_name=payload.last_name,
        birthdate=payload.birthdate,
        ip=client_ip(request),
        via_identity_provider=signed_in_with_provider(request),
    )
    return {"candidate_id": candidate.pk, "session_number": candidate.session.number}


@router.post(
    "/candidates/{candidate_id}/instructions",
    response={204: None},
    url_name="candidate_accept_instructions",
)
def accept_instructions(request: HttpRequest, candidate_id: Id) -> Status[None]:
    candidate = access_own_candidate(_user(request), candidate_id)
    actions.do_accept_instructions(candidate, user=_user(request))
    return Status(204, None)


class AuthorizationOut(Schema):
    authorized: bool
    course_status: str | None


@router.get(
    "/candidates/{candidate_id}/authorization",
    response=AuthorizationOut,
    url_name="candidate_authorization",
)
def authorization(request: HttpRequest, candidate_id: Id) -> dict[str, Any]:
    """Polling fallback of the code screen while the push link is down."""
    candidate = access_own_candidate(_user(request), candidate_id)
    course = getattr(candidate, "course", None)
    return {
        "authorized": candidate.authorized_to_start_at is not None,
        "course_status": course.status if course else None,
    }


class CompanionCheckIn(Schema):
    detected: bool


class CompanionCheckOut(Schema):
    detected: bool
    changed: bool


@router.post(
    "/candidates/{candidate_id}/companion-check",
    response=CompanionCheckOut,
    url_name="candidate_companion_check",
)
def companion_check(request: HttpRequest, candidate_id: Id, payload: CompanionCheckIn) -> Any:
    """Before the test: whether the candidate's page detects the companion extension."""
    user = _user(request)
    candidate = access_own_candidate(user, candidate_id)
    changed = actions.do_report_companion_check(candidate, user=user, detected=payload.detected)
    return {"detected": payload.detected, "changed": changed}


@router.post("/candidates/{candidate_id}/start", response=StartOut, url_name="candidate_start")
def start(request: HttpRequest, candidate_id: Id, payload: StartIn) -> dict[str, Any]:
    user = _user(request)
    candidate = access_own_candidate(user, candidate_id)
    run = actions.do_start_or_resume(
        candidate,
        user=user,
        access_code=payload.access_code,
        ip=client_ip(request),
        via_identity_provider=signed_in_with_provider(request),
    )
    return {
        "course_id": run.course.pk,
        "run_token": run.token,
        "resumed": run.resumed,
        "state": _page_state(run.course, run.token, run.progress),
    }


def _page_state(
    course: CertificationCourse, token: str, progress: Progress | None = None
) -> dict[str, Any]:
    """The test page's state with the invigilators' unread messages. Not in the answer's
    response: an answer would pay the messages' query for nothing."""
    return {**course_state(course, token, progress), "messages": unread_messages(course.candidate)}


@router.get("/courses/{course_id}/state", url_name="candidate_state")
def state(request: HttpRequest, course_id: Id) -> dict[str, Any]:
    """The test page's state, with the invigilators' unread messages: the page reads both
    when its link comes back (and when it opens without the start's state), one request
    instead of two (`GET …/messages` stays for a `message` event)."""
    course = access_own_course(_user(request), course_id)
    return _page_state(course, _token(request))


@router.post("/courses/{course_id}/answers", response=AnswerOut, url_name="candidate_answer")
def answer(request: HttpRequest, course_id: Id, payload: AnswerIn) -> Any:
    token = _token(request)
    saved = actions.do_answer(
        course_id,
        user=_user(request),
        token=token,
        item_id=payload.item_id,
        response=payload.response,
        focus_lost=payload.focus_lost,
    )
    return {
        "position": saved.answer.position,
        "item_id": saved.answer.item_id,
        "state": course_state(saved.course, token, saved.progress),
    }


@router.post(
    "/courses/{course_id}/companion-alert", response=AlertOut, url_name="candidate_companion_alert"
)
def companion_alert(request: HttpRequest, course_id: Id) -> Any:
    """The page no longer detects the companion extension: block and alert the invigilator."""
    user = _user(request)
    course = access_own_course(user, course_id)
    return actions.do_raise_companion_alert(course, user=user, token=_token(request))


@router.post("/courses/{course_id}/alerts", response=AlertOut, url_name="candidate_report_problem")
def report_problem(request: HttpRequest, course_id: Id, payload: AlertIn) -> Any:
    user = _user(request)
    course = access_own_course(user, course_id)
    return actions.do_report_problem(
        course, user=user, token=_token(request), item_id=payload.item_id
    )


class RoomMessageOut(Schema):
    id: int
    text: str
    at: str


class MessagesOut(Schema):
    messages: list[RoomMessageOut]


@router.get(
    "/candidates/{candidate_id}/messages", response=MessagesOut, url_name="candidate_messages"
)
def messages(request: HttpRequest, candidate_id: Id) -> dict[str, Any]:
    """The invigilators' messages not acknowledged yet (banners on the candidate's page)."""
    candidate = access_own_candidate(_user(request), candidate_id)
    return {"messages": unread_messages(candidate)}


@router.post(
    "/candidates/{candidate_id}/messages/{message_id}/read",
    response={204: None},
    url_name="candidate_read_message",
)
def read_message(request: HttpRequest, candidate_id: Id, message_id: Id) -> Status[None]:
    """« J'ai lu »: the invigilators see who read it."""
    user = _user(request)
    actions.do_read_message(access_own_candidate(user, candidate_id), message_id, user=user)
    return Status(204, None)
