"""One rule for all free text entering Vigie (lib/freetext.py): no control characters.

PostgreSQL refuses a NUL in any text value, so a NUL sent in a session number or a
comment was a server error (issue 13); a lone surrogate cannot be encoded at all. Every
form and every API operation refuses them with a clear 4xx and writes nothing; a tab, and
line breaks in multi-line comments, stay allowed.

The sweeps below walk every form of the project and every string an API operation takes
(body, path, query), so that a new field cannot forget the rule.
"""

import importlib
import inspect
import types
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

import pytest
from django import forms
from django.conf import settings
from django.test import Client
from pydantic import BaseModel, TypeAdapter, ValidationError

from certification.models import CertificationReport, IssueReport
from exams.models import Candidate
from finalization import validation
from finalization.actions import do_finalize_session
from invigilation.models import InvigilatorAccess
from lib import freetext
from tests import live_record as live
from tests.factories import CandidateFactory, UserFactory
from vigie.api import api

MESSAGE = (
    "Ce texte contient un caractère invisible non autorisé (caractère de contrôle, "
    "par exemple un caractère nul) : retirez-le puis réessayez."
)
# NUL (PostgreSQL's refusal), another C0 control, DEL, a C1 control, a lone surrogate.
REFUSED = ["1234\x00567", "a\x01b", "a\x7fb", "a\x85b", "a\ud800b"]
ROOT = Path(settings.BASE_DIR)
APPS = ["accounts", "exams", "certification", "invigilation", "finalization", "results", "jury"]


# --- The rule -----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", REFUSED)
def test_it_refuses_control_characters_in_one_line_and_multi_line_text(value):
    for rule in (freetext.validate_line, freetext.validate_lines):
        with pytest.raises(forms.ValidationError) as refused:
            rule(value)
        assert refused.value.code == "control_characters"


def test_it_keeps_tabs_everywhere_and_line_breaks_in_multi_line_text():
    freetext.validate_line("Salle\tB12 — « ² » ١٢ 😀")
    freetext.validate_lines("Alarme\tincendie.\r\nÉvacuation à 14 h 20.\n")
    with pytest.raises(forms.ValidationError):
        freetext.validate_line("deux\nlignes")


# --- Sweep: every form -----------------------------------------------------------------------


def _project_forms() -> list[type[forms.BaseForm]]:
    for app in APPS:
        for module in ("forms", "views"):
            if (ROOT / app / f"{module}.py").exists():
                importlib.import_module(f"{app}.{module}")
    found: list[type[forms.BaseForm]] = []
    pending: list[type] = [forms.BaseForm]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__module__.split(".")[0] in APPS and "base_fields" in dir(cls):
            found.append(cls)
    return sorted(set(found), key=lambda c: c.__qualname__)


FORMS = _project_forms()


def _instance(form_class, exam_session):
    known = {
        "session": exam_session,
        "request": None,
        "identity_locked": False,
        "classes": ["3e A"],  # the establishment's classes (results filter)
    }
    params = inspect.signature(form_class.__init__).parameters
    kwargs = {
        name: known[name]
        for name, p in params.items()
        if p.kind is p.KEYWORD_ONLY and name in known and p.default is p.empty
    }
    return form_class(data={}, **kwargs)


def test_it_finds_the_forms_of_the_project():
    names = {f.__name__ for f in FORMS}
    assert {"JoinForm", "SuperviseForm", "CandidateForm", "DecisionForm", "LoginForm"} <= names


@pytest.mark.django_db
@pytest.mark.parametrize("form_class", FORMS, ids=[f.__qualname__ for f in FORMS])
def test_every_form_applies_the_rule_to_each_of_its_text_fields(form_class, exam_session):
    """Each CharField (EmailField, RegexField… included) refuses control characters; a
    Textarea keeps its line breaks."""
    assert issubclass(form_class, freetext.FreeTextForm), (
        f"{form_class.__qualname__} must derive from lib.freetext.FreeTextForm"
    )
    form = _instance(form_class, exam_session)
    for name, field in form.fields.items():
        if not isinstance(field, forms.CharField):
            continue
        for value in REFUSED:
            with pytest.raises(forms.ValidationError) as refused:
                field.run_validators(value)
            codes = [e.code for e in refused.value.error_list]
            assert "control_characters" in codes, (form_class.__qualname__, name, value)
        if isinstance(field.widget, forms.Textarea):
            field.run_validators("ligne 1\nligne 2\tfin")


# --- Sweep: every API operation ------------------------------------------------------------------


def _operations() -> list[tuple[str, str, Any]]:
    found = []
    for prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                for method in operation.methods:
                    found.append((method, f"/api{prefix}{path}".replace("//", "/"), operation))
    return found


def _string_leaves(annotation: Any, metadata: tuple = (), where: str = "") -> list[tuple]:
    """Each str an annotation can hold, with the pydantic metadata applied to it."""
    origin = get_origin(annotation)
    if origin is Annotated:
        inner, *extra = get_args(annotation)
        return _string_leaves(inner, (*metadata, *extra), where)
    if origin in (Union, types.UnionType):
        return [
            leaf
            for arg in get_args(annotation)
            if arg is not type(None)
            for leaf in _string_leaves(arg, metadata, where)
        ]
    if origin in (list, tuple, set, frozenset):
        return [leaf for arg in get_args(annotation) for leaf in _string_leaves(arg, (), where)]
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        return [
            leaf
            for name, info in annotation.model_fields.items()
            for leaf in _string_leaves(
                info.annotation, tuple(info.metadata), f"{where}.{info.alias or name}"
            )
        ]
    if annotation is str:
        return [(where, Annotated[str, *metadata] if metadata else str)]
    return []


OPERATIONS = _operations()
STRINGS = [
    (f"{method} {path} {where}", leaf)
    for method, path, operation in OPERATIONS
    for model in operation.signature.models
    for where, leaf in _string_leaves(model, where=model.__name__)
]


def test_it_finds_the_strings_of_the_api():
    found = {name for name, _leaf in STRINGS}
    assert "POST /api/certification/join BodyParams.payload.session_number" in found
    nested = "BodyParams.payload.reports.issue_reports.description"
    assert f"PUT /api/sessions/{{session_id}}/finalization {nested}" in found
    assert "GET /api/results/verify/{code} PathParams.code" in found


@pytest.mark.parametrize(("name", "leaf"), STRINGS, ids=[name for name, _leaf in STRINGS])
def test_every_string_of_every_api_operation_applies_the_rule(name, leaf):
    adapter = TypeAdapter(leaf)
    for value in REFUSED:
        with pytest.raises(ValidationError) as refused:
            adapter.validate_python(value)
        assert [e["type"] for e in refused.value.errors()] == ["control_characters"], name
    assert adapter.validate_python("a\tb") == "a\tb"


# --- The faults of issue 13, end to end ------------------------------------------------------------


@pytest.mark.django_db
def test_it_refuses_a_nul_in_the_session_number_to_join_or_supervise(
    login, exam_session, candidate_user, invigilator
):
    """A NUL in the session number was a 500 on PostgreSQL; now a 422 naming the rule."""
    CandidateFactory(session=exam_session, first_name="Léa", last_name="Dupont")
    joined = login(candidate_user).post(
        "/api/certification/join",
        {
            "session_number": exam_session.number + "\x00",
            "first_name": "Léa",
            "last_name": "Dupont",
            "birthdate": "2008-03-14",
        },
        content_type="application/json",
    )
    supervised = login(invigilator).post(
        "/api/invigilation/supervise",
        {"session_number": "\x00" + exam_session.number, "password": "AAAA-BBBB-CCCC"},
        content_type="application/json",
    )
    page = login(invigilator).post(
        "/surveillance/", {"session_number": "12\x0034", "password": "AAAA-BBBB-CCCC"}
    )

    for response, field in ((joined, "session_number"), (supervised, "session_number")):
        assert response.status_code == 422
        error = response.json()["detail"][0]
        assert error["loc"][-1] == field and error["msg"] == MESSAGE
    assert page.status_code == 200
    assert not Candidate.objects.filter(user=candidate_user).exists()
    assert not InvigilatorAccess.objects.exists()


@pytest.fixture
def started(small_bank, exam_session, invigilator):
    lea = live.joined(exam_session, "Léa", "Dupont")
    live.answer(live.start(lea, invigilator), 32)
    hugo = live.joined(exam_session, "Hugo", "Abadi")
    hugo_run = live.start(hugo, invigilator)
    live.end(hugo_run, invigilator)
    return exam_session, lea, hugo


@pytest.mark.django_db
@pytest.mark.parametrize("where", ["global_comment", "comment", "description"])
def test_it_refuses_control_characters_in_the_finalization_api_and_page(
    login, started, centre_admin, where
):
    session, lea, hugo = started
    bad = "Alarme\x00 incendie"
    report = {
        "candidate_id": hugo.pk,
        "abort_reason": "candidate",
        "comment": "",
        "issue_reports": [],
    }
    payload: dict[str, Any] = {"global_comment": "", "reports": [report]}
    post = {f"c{hugo.pk}-abort_reason": "candidate", f"c{lea.pk}-has_seen_end_screen": "on"}
    if where == "global_comment":
        payload["global_comment"] = bad
        post["global_comment"] = bad
    elif where == "comment":
        report["comment"] = bad
        post[f"c{hugo.pk}-comment"] = bad
    else:
        report["issue_reports"] = [{"subcategory": "C7", "description": bad}]
        post[f"c{hugo.pk}-r1-subcategory"] = "C7"
        post[f"c{hugo.pk}-r1-description"] = bad
    admin = login(centre_admin)

    api = admin.put(
        f"/api/sessions/{session.pk}/finalization", payload, content_type="application/json"
    )
    page = admin.post(f"/sessions/{session.pk}/finaliser/", post)

    assert api.status_code == 422
    assert api.json()["detail"][0]["msg"] == MESSAGE
    assert page.status_code == 400
    label = {
        "global_comment": "Commentaire global",
        "comment": "ABADI Hugo — Commentaire",
        "description": "ABADI Hugo — Signalement 1",
    }[where]
    assert f"{label} : {MESSAGE}".replace("'", "&#x27;") in page.content.decode()
    session.refresh_from_db()
    assert session.finalized_at is None
    assert not CertificationReport.objects.exists()


@pytest.mark.django_db
def test_it_keeps_tabs_and_line_breaks_in_the_finalization_comments(login, started, centre_admin):
    session, lea, hugo = started
    comment = "Alarme incendie :\r\n\t- évacuation à 14 h 20\n\t- retour à 14 h 35"
    response = login(centre_admin).post(
        f"/sessions/{session.pk}/finaliser/",
        {
            f"c{hugo.pk}-abort_reason": "candidate",
            f"c{hugo.pk}-comment": comment,
            f"c{lea.pk}-has_seen_end_screen": "on",
            "global_comment": comment,
        },
    )
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.finalized_at is not None
    assert CertificationReport.objects.get(course__candidate=hugo).comment == comment.replace(
        "\r\n", "\n"
    )


@pytest.fixture
def fraud(started, centre_admin):
    session, lea, hugo = started
    data = validation.FinalizationInput(
        reports=[
            validation.CandidateReportInput(candidate_id=lea.pk, has_seen_end_screen=True),
            validation.CandidateReportInput(
                candidate_id=hugo.pk,
                abort_reason="candidate",
                issue_reports=[validation.IssueReportInput(subcategory="C6")],
            ),
        ]
    )
    do_finalize_session(session, data, actor=centre_admin)
    return IssueReport.objects.get(subcategory="C6")


@pytest.mark.django_db
def test_it_refuses_control_characters_in_the_jury_comment(login, fraud, jury, centre_admin):
    client = login(jury)

    api = client.post(
        f"/api/jury/reports/{fraud.pk}/resolve",
        {"comment": "Vu\x00."},
        content_type="application/json",
    )
    page = client.post(
        f"/jury/signalements/{fraud.pk}/traiter/",
        {"decision": "resolve", "comment": "Vu\x00."},
        follow=True,
    )
    outsider = login(centre_admin).post(
        f"/api/jury/reports/{fraud.pk}/resolve", {"comment": "Vu."}, content_type="application/json"
    )

    assert api.status_code == 422 and api.json()["detail"][0]["msg"] == MESSAGE
    assert page.status_code == 200
    assert MESSAGE.replace("'", "&#x27;") in page.content.decode()
    assert outsider.status_code == 404
    fraud.refresh_from_db()
    assert fraud.resolved_at is None

    done = client.post(
        f"/jury/signalements/{fraud.pk}/traiter/",
        {"decision": "resolve", "comment": "Vu :\n\t- rien à signaler."},
    )
    assert done.status_code == 302
    fraud.refresh_from_db()
    assert fraud.resolution == "Vu :\n\t- rien à signaler." and fraud.resolved_by == jury


@pytest.mark.django_db
def test_it_refuses_a_nul_in_a_verification_code(client):
    # A path naming nothing that can exist is not found (vigie/api.py), as an unknown code.
    response = client.get("/api/results/verify/V-ABC%00DEF")
    assert response.status_code == 404
    page = client.get("/verifier/", {"code": "V-ABC\x00DEF"})
    assert page.status_code == 200
    assert MESSAGE.replace("'", "&#x27;") in page.content.decode()


def test_the_registration_api_refuses_a_nul_before_anything_else(db):
    response = Client().post(
        "/api/accounts/register",
        {"first_name": "Léa\x00", "last_name": "Dupont", "email": "a@b.fr", "password": "x"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert not UserFactory._meta.model.objects.filter(email="a@b.fr").exists()
