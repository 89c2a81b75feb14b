"""JSON API for the centre's actions; same access functions, forms and actions as the pages."""

import datetime as dt
from typing import Annotated, Any

from django.conf import settings
from django.forms import BaseForm
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.security import HttpBearer, django_auth
from pydantic import AfterValidator, WithJsonSchema

from accounts.permissions import Permission
from accounts.request import request_user as _user
from exams import actions, imports, levels
from exams.access import (
    access_candidate_by_centre_member,
    access_centre,
    access_centre_for_levels,
    access_session_by_centre_member,
)
from exams.forms import CandidateForm, SessionForm
from exams.levels import Eligibility
from exams.models import Candidate, ExamSession, PlatformToken
from exams.queries import (
    candidates_with_eligibility,
    pupils_with_eligibility,
    sessions_for_centre,
)
from lib.errors import FormInvalid, ImportFailed
from lib.freetext import Line, Lines
from lib.ids import Id
from lib.spreadsheets import SpreadsheetError

router = Router(tags=["centre"])


def _local_time(value: dt.time) -> dt.time:
    if value.tzinfo is not None:
        raise ValueError(_("Indiquez l'heure locale du centre, sans fuseau horaire."))
    return value


# A session's time is a local time in the centre's zone, without an offset: JSON Schema's
# "time" format (RFC 3339) requires one, so the schema states the actual format (found by
# tests/test_fuzz_api.py, as was the server error an offset caused).
LocalTime = Annotated[
    dt.time,
    AfterValidator(_local_time),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^\d{2}:\d{2}(:\d{2}(\.\d+)?)?$",
            "description": "Heure locale du centre, HH:MM[:SS], sans fuseau",
        }
    ),
]


class SessionIn(Schema):
    site_name: Line
    address: Line = ""
    room: Line
    date: dt.date
    time: LocalTime
    examiner: Line
    description: Lines = ""
    companion_required: bool = True


class SessionPatch(Schema):
    site_name: Line | None = None
    address: Line | None = None
    room: Line | None = None
    date: dt.date | None = None
    time: LocalTime | None = None
    examiner: Line | None = None
    description: Lines | None = None
    companion_required: bool | None = None


class SessionOut(Schema):
    id: int
    number: str
    site_name: str
    address: str
    room: str
    date: dt.date
    time: LocalTime
    examiner: str
    description: str
    companion_required: bool
    status: str
    centre_id: int


class SessionSecretsOut(SessionOut):
    access_code: str
    invigilator_password: str
    candidate_count: int
    max_candidates: int
    understaffed: bool


class CandidateIn(Schema):
    first_name: Line
    last_name: Line
    birthdate: dt.date
    sex: Line
    birth_city: Line
    birth_postal_code: Line = ""
    birth_country: Line = "FRANCE"
    email: Line = ""
    result_recipient_email: Line = ""
    external_id: Line = ""
    school_class: Line = ""
    extra_time_percentage: int = 0
    complementary_certification: Line = ""


class CandidatePatch(Schema):
    first_name: Line | None = None
    last_name: Line | None = None
    birthdate: dt.date | None = None
    sex: Line | None = None
    birth_city: Line | None = None
    birth_postal_code: Line | None = None
    birth_country: Line | None = None
    email: Line | None = None
    result_recipient_email: Line | None = None
    external_id: Line | None = None
    school_class: Line | None = None
    extra_time_percentage: int | None = None
    complementary_certification: Line | None = None


class CandidateOut(Schema):
    id: int
    session_id: int
    first_name: str
    last_name: str
    birthdate: dt.date
    sex: str
    birth_city: str
    birth_postal_code: str
    birth_country: str
    email: str
    result_recipient_email: str
    external_id: str
    school_class: str
    extra_time_percentage: int
    complementary_certification: str
    certifiable: bool | None = None
    # Competences at level ≥ 1 (5 needed), from the account and the centre's pupil record.
    competences_reached: int | None = None


class ImportErrorsOut(Schema):
    detail: str
    errors: list[str]


def _validated(form: BaseForm) -> dict[str, Any]:
    if not form.is_valid():
        raise FormInvalid(form)
    return form.cleaned_data


def _merged(instance: Any, patch: Schema, fields: list[str]) -> dict[str, Any]:
    data = {field: getattr(instance, field) for field in fields}
    data.update(patch.dict(exclude_unset=True, exclude_none=True))
    return data


def _session_summary(session: ExamSession) -> dict[str, Any]:
    fields = [f for f in SessionOut.model_fields if f != "status"]
    return {**{f: getattr(session, f) for f in fields}, "status": session.status.value}


def _session_out(session: ExamSession) -> dict[str, Any]:
    count = session.candidates.count()
    return {
        **_session_summary(session),
        "access_code": session.access_code,
        "invigilator_password": session.invigilator_password,
        "candidate_count": count,
        "max_candidates": session.max_candidates(),
        "understaffed": session.is_understaffed(count),
    }


def _read_upload(file: UploadedFile) -> tuple[str, bytes]:
    return file.name or "", file.read(settings.IMPORT_MAX_BYTES + 1)


@router.get("/centres/{centre_id}/sessions", response=list[SessionOut])
def list_sessions(request: HttpRequest, centre_id: Id) -> list[dict[str, Any]]:
    centre = access_centre(_user(request), centre_id, Permission.CENTRE_SESSION_VIEW)
    return [_session_summary(s) for s in sessions_for_centre(centre.pk)]


@router.post("/centres/{centre_id}/sessions", response={201: SessionSecretsOut})
def create_session(request: HttpRequest, centre_id: Id, payload: SessionIn) -> Status[Any]:
    user = _user(request)
    centre = access_centre(user, centre_id, Permission.CENTRE_SESSION_CREATE)
    data = _validated(SessionForm(payload.dict()))
    return Status(201, _session_out(actions.do_create_session(centre, data, actor=user)))


@router.post(
    "/centres/{centre_id}/sessions/import",
    response={201: list[SessionOut], 400: ImportErrorsOut},
)
def import_sessions(request: HttpRequest, centre_id: Id, file: File[UploadedFile]) -> Status[Any]:
    user = _user(request)
    centre = access_centre(user, centre_id, Permission.CENTRE_SESSION_CREATE)
    name, data = _read_upload(file)
    try:
        plan = imports.parse_session_plan(name, data, today=timezone.localdate())
    except SpreadsheetError as error:
        raise ImportFailed(error.errors) from error
    sessions = actions.do_import_sessions(centre, plan, actor=user, filename=name)
    return Status(201, [_session_summary(s) for s in sessions])


@router.get("/sessions/{session_id}", response=SessionSecretsOut)
def get_session(request: HttpRequest, session_id: Id) -> dict[str, Any]:
    session = access_session_by_centre_member(
        _user(request), session_id, Permission.CENTRE_SESSION_READ_SECRETS
    )
    return _session_out(session)


@router.patch("/sessions/{session_id}", response=SessionSecretsOut)
def update_session(request: HttpRequest, session_id: Id, payload: SessionPatch) -> dict[str, Any]:
    user = _user(request)
    session = access_session_by_centre_member(user, session_id, Permission.CENTRE_SESSION_MANAGE)
    if not session.is_accessible:
        raise actions.SessionNotEditable
    data = _merged(session, payload, actions.SESSION_FIELDS)
    cleaned = _validated(SessionForm(data, instance=session))
    return _session_out(actions.do_update_session(session, cleaned, actor=user))


@router.delete("/sessions/{session_id}", response={204: None})
def delete_session(request: HttpRequest, session_id: Id) -> Status[None]:
    user = _user(request)
    session = access_session_by_centre_member(user, session_id, Permission.CENTRE_SESSION_MANAGE)
    actions.do_delete_session(session, actor=user)
    return Status(204, None)


def _candidate_out(candidate: Candidate, known: Eligibility | None = None) -> dict[str, Any]:
    fields = [
        f for f in CandidateOut.model_fields if f not in ("certifiable", "competences_reached")
    ]
    return {
        **{f: getattr(candidate, f) for f in fields},
        "certifiable": known.certifiable if known is not None else None,
        "competences_reached": known.reached if known is not None else None,
    }


@router.get("/sessions/{session_id}/candidates", response=list[CandidateOut])
def list_candidates(request: HttpRequest, session_id: Id) -> list[dict[str, Any]]:
    session = access_session_by_centre_member(
        _user(request), session_id, Permission.CENTRE_SESSION_VIEW
    )
    return [_candidate_out(c, ok) for c, ok in candidates_with_eligibility(session)]


@router.post("/sessions/{session_id}/candidates", response={201: CandidateOut})
def enrol_candidate(request: HttpRequest, session_id: Id, payload: CandidateIn) -> Status[Any]:
    user = _user(request)
    session = access_session_by_centre_member(user, session_id, Permission.CENTRE_CANDIDATE_MANAGE)
    data = _validated(CandidateForm(payload.dict(), session=session))
    candidate = actions.do_enrol_candidate(session, data, actor=user)
    return Status(201, _candidate_out(candidate, None))


@router.post(
    "/sessions/{session_id}/candidates/import",
    response={201: list[CandidateOut], 400: ImportErrorsOut},
)
def import_candidates(
    request: HttpRequest, session_id: Id, file: File[UploadedFile]
) -> Status[Any]:
    user = _user(request)
    session = access_session_by_centre_member(user, session_id, Permission.CENTRE_CANDIDATE_MANAGE)
    name, data = _read_upload(file)
    try:
        rows = imports.parse_candidates(session, name, data)
    except SpreadsheetError as error:
        raise ImportFailed(error.errors) from error
    created = actions.do_import_candidates(session, rows, actor=user, filename=name)
    return Status(201, [_candidate_out(c, None) for c in created])


@router.patch("/candidates/{candidate_id}", response=CandidateOut)
def update_candidate(
    request: HttpRequest, candidate_id: Id, payload: CandidatePatch
) -> dict[str, Any]:
    user = _user(request)
    candidate = access_candidate_by_centre_member(
        user, candidate_id, Permission.CENTRE_CANDIDATE_MANAGE
    )
    fields = [f for f in CandidateIn.model_fields]
    data = _merged(candidate, payload, fields)
    cleaned = _validated(CandidateForm(data, instance=candidate, session=candidate.session))
    return _candidate_out(actions.do_update_candidate(candidate, cleaned, actor=user), None)


@router.delete("/candidates/{candidate_id}", response={204: None})
def delete_candidate(request: HttpRequest, candidate_id: Id) -> Status[None]:
    user = _user(request)
    candidate = access_candidate_by_centre_member(
        user, candidate_id, Permission.CENTRE_CANDIDATE_MANAGE
    )
    actions.do_delete_candidate(candidate, actor=user)
    return Status(204, None)


# --- Pupils' competence levels -------------------------------------------------------------


class PupilLevelIn(Schema):
    student: Line  # the pupil's e-mail or « identifiant externe »
    first_name: Line = ""
    last_name: Line = ""
    school_class: Line = ""
    competence: Line  # « 1.1 » … « 5.2 »
    level: int  # 0–8
    reached_on: Line  # AAAA-MM-JJ or JJ/MM/AAAA


class PupilLevelsIn(Schema):
    levels: list[PupilLevelIn]


class LevelOut(Schema):
    competence: str
    level: int
    reached_on: dt.date


class PupilOut(Schema):
    student: str
    first_name: str
    last_name: str
    school_class: str
    competences_reached: int
    certifiable: bool
    levels: list[LevelOut]


class LevelChangeOut(Schema):
    student: str
    competence: str
    before: dict[str, Any] | None
    after: dict[str, Any]


class LevelsRecordedOut(Schema):
    rows: int
    changes: list[LevelChangeOut]


class LevelsInvalid(ImportFailed):
    def __init__(self, errors: list[str]) -> None:
        super().__init__(errors)
        self.message = gettext_lazy("Aucun niveau n'a été enregistré")


class PlatformBearer(HttpBearer):
    """`Authorization: Bearer <token>`: the centre's learning platform (exams.PlatformToken).
    Such a request is never authenticated by a session cookie (vigie/api.py)."""

    def authenticate(self, request: HttpRequest, token: str) -> PlatformToken | None:
        return (
            PlatformToken.objects.select_related("centre")
            .filter(token_hash=actions.platform_token_hash(token), revoked_at__isnull=True)
            .first()
        )


LEVELS_AUTH = [PlatformBearer(), django_auth]


@router.get(
    "/centres/{centre_id}/pupils",
    response=list[PupilOut],
    url_name="exams_pupils",
    auth=LEVELS_AUTH,
)
def list_pupils(request: HttpRequest, centre_id: Id) -> list[dict[str, Any]]:
    """The centre's pupils with their levels, certifiable first (« n / 5 »). For a centre
    member, or the centre's platform (`Authorization: Bearer`)."""
    centre = access_centre_for_levels(request.auth, centre_id)  # type: ignore[attr-defined]
    return [
        {
            "student": row.student.key,
            "first_name": row.student.first_name,
            "last_name": row.student.last_name,
            "school_class": row.student.school_class,
            "competences_reached": row.eligibility.reached,
            "certifiable": row.eligibility.certifiable,
            "levels": [
                {"competence": c, "level": lv.level, "reached_on": lv.reached_on}
                for c, lv in row.levels.items()
            ],
        }
        for row in pupils_with_eligibility(centre.pk)
    ]


@router.post(
    "/centres/{centre_id}/competence-levels",
    response=LevelsRecordedOut,
    url_name="exams_record_levels",
    auth=LEVELS_AUTH,
)
def record_levels(request: HttpRequest, centre_id: Id, payload: PupilLevelsIn) -> dict[str, Any]:
    """Levels reached by the centre's pupils, as its learning platform knows them: all or
    nothing (400 with one message per « Niveau n » and field); every change audited. For
    the centre's platform (`Authorization: Bearer <token>`) or a centre member."""
    auth = request.auth  # type: ignore[attr-defined]
    centre = access_centre_for_levels(auth, centre_id)
    platform = auth if isinstance(auth, PlatformToken) else None
    given = [
        (number, {**item.dict(), "key": item.student})
        for number, item in enumerate(payload.levels, start=1)
    ]
    try:
        rows = levels.validate_rows(given, where=_("Niveau %(line)s"))
    except SpreadsheetError as error:
        raise LevelsInvalid(error.errors) from error
    changes = actions.do_record_levels(
        centre,
        rows,
        actor=None if platform else auth,
        source=f"platform:{platform.name}" if platform else "api",
    )
    return {"rows": len(rows), "changes": changes}
