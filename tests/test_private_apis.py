"""What lib/prepared.py, accounts/sessions.py and vigie/handler.py rely on in Django's (and
asgiref's) private APIs, checked so that an upgrade changing any of it fails here, by name,
instead of giving wrong rows, silently skipping the compiled queries or serving requests
differently. Why they are worth it (the measurements): the docstrings of those modules.

If one of these fails after an upgrade: read the named Django code again, adapt the module
(or drop it for the ORM's own call), and re-measure with bench/cpu_per_answer.py before
keeping it (docs/scaling.md).
"""

import asyncio
import datetime as dt
import hashlib
import inspect
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from asgiref.sync import ThreadSensitiveContext, async_to_sync
from django.contrib.sessions.backends.db import SessionStore as DjangoSessionStore
from django.contrib.sessions.models import Session
from django.core import signals
from django.core.handlers import asgi as django_asgi
from django.core.handlers.asgi import ASGIHandler
from django.db import models, transaction
from django.db.models import query as django_query
from django.db.models.sql.compiler import SQLCompiler
from django.template import Context, RequestContext
from django.template.backends import django as template_backend
from django.template.context import make_context
from django.utils import timezone

from accounts import sessions
from accounts.sessions import SessionStore
from certification import actions, engine
from certification.models import CertificationCourse
from exams.models import Candidate
from invigilation.actions import do_add_note
from lib import prepared
from lib.templates import Templates
from tests.factories import (
    CandidateFactory,
    ExamDurationFactory,
    InvigilatorAccessFactory,
    MembershipFactory,
    RoomSuspensionFactory,
    UserFactory,
)
from tests.project import module_level
from vigie.handler import SyncChainASGIHandler


def _started(session) -> CertificationCourse:
    user = UserFactory(certifiable=True)
    candidate = CandidateFactory(session=session, user=user)
    actions.do_confirm_presence(candidate, actor=UserFactory())
    return actions.do_start_or_resume(candidate, user=user, access_code=session.access_code).course


# --- lib/prepared.py ---------------------------------------------------------------------


def test_it_finds_the_django_internals_lib_prepared_uses():
    """The names lib/prepared.py imports or calls still exist, with the same shapes."""
    assert issubclass(django_query.ModelIterable, django_query.BaseIterable)
    assert list(inspect.signature(django_query.get_related_populators).parameters) == [
        "klass_info",
        "select",
        "db",
    ]
    for name in ("as_sql", "get_converters", "apply_converters"):
        assert callable(getattr(SQLCompiler, name, None)), f"SQLCompiler.{name} is gone"
    assert list(inspect.signature(SQLCompiler.get_converters).parameters) == [
        "self",
        "expressions",
    ]
    assert list(inspect.signature(SQLCompiler.apply_converters).parameters)[1:] == [
        "rows",
        "converters",
    ]
    assert callable(django_query.RelatedPopulator.populate)


@pytest.mark.django_db
def test_it_finds_what_a_compiled_queryset_exposes(exam_session, small_bank):
    """The compiler's `select`, `col_count` and `klass_info`, and the queryset's
    `_iterable_class`, as lib/prepared.py reads them after `as_sql()`."""
    queryset = CertificationCourse.objects.select_related("candidate__session").filter(pk=1)
    compiler = queryset.query.get_compiler(using="default")
    _sql, params = compiler.as_sql()

    assert params == (1,)  # the argument reaches the SQL unchanged, in order
    assert queryset._iterable_class is django_query.ModelIterable
    info = compiler.klass_info
    assert info["model"] is CertificationCourse
    own = info["select_fields"]
    assert own == list(range(own[0], own[-1] + 1)), "the model's columns are no longer contiguous"
    names = [compiler.select[i][0].target.attname for i in own]
    assert names == [f.attname for f in CertificationCourse._meta.concrete_fields]
    assert [r["model"] for r in info["related_klass_infos"]] == [Candidate]
    assert compiler.col_count == len(compiler.select)
    assert compiler.annotation_col_map == {}
    counted = CertificationCourse.objects.annotate(n=models.Count("answers")).filter(pk=1)
    counting = counted.query.get_compiler(using="default")
    counting.as_sql()
    assert counting.annotation_col_map == {"n": len(counting.select) - 1}  # after the fields
    values = CertificationCourse.objects.values_list("pk", "status")
    assert not issubclass(values._iterable_class, django_query.ModelIterable)


def _as_data(row):
    """A row as plain data: a model instance with the relations select_related filled in
    (the forward ones in Django's fields cache), or the tuple itself."""
    if row is None:  # a nullable relation without a row
        return None
    if isinstance(row, models.Model):
        forward = {f.name for f in row._meta.concrete_fields if f.is_relation}
        cached = row._state.fields_cache
        attnames = {f.attname for f in row._meta.concrete_fields}
        annotations = {k: v for k, v in vars(row).items() if k not in attnames and k != "_state"}
        return (
            type(row).__name__,
            tuple(f.value_from_object(row) for f in row._meta.concrete_fields),
            {name: _as_data(cached[name]) for name in sorted(forward & set(cached))},
            annotations,
        )
    return tuple((type(value), value) for value in row)


def _project_prepared_queries() -> dict[str, prepared.Prepared]:
    """Every Prepared query defined at the top of a module of Vigie's apps."""
    return module_level(prepared.Prepared)


@pytest.mark.django_db
def test_it_gives_every_prepared_query_of_the_project_what_the_orm_gives(
    exam_session, small_bank, client
):
    """Each Prepared query, run on real rows, gives value for value and relation for
    relation what its queryset gives through the ORM. A new one fails this test until it is
    given its arguments below."""
    course = _started(exam_session)
    candidate = course.candidate
    actions.do_authorize_resume(candidate, actor=UserFactory())
    token = actions.do_start_or_resume(
        candidate, user=course.user, access_code=exam_session.access_code
    ).token
    course.refresh_from_db()
    item = engine.current_item(course)
    assert item is not None
    actions.do_answer(course.pk, user=course.user, token=token, item_id=item.id, response=[0])
    actions.do_raise_companion_alert(course, user=course.user, token=token)
    invigilator = UserFactory()
    actions.do_add_time([candidate], minutes=5, reason="Panne", actor=invigilator)
    actions.do_suspend_course(course, reason="Malaise", actor=invigilator)
    do_add_note(exam_session, author=invigilator, text="Arrivé en retard", candidate=candidate)
    client.force_login(course.user)
    session, ids, courses = exam_session.pk, [candidate.pk], [course.pk]
    MembershipFactory(user=invigilator, centre=exam_session.centre)
    InvigilatorAccessFactory(session=exam_session, user=invigilator)
    actions.do_send_message(exam_session, text="Dix minutes", actor=invigilator)
    RoomSuspensionFactory(session=exam_session, started_by=invigilator)
    ExamDurationFactory(complementary_certification="CLEA", minutes=60)
    arguments = {
        "accounts.backends._USER": (course.user.pk,),
        "accounts.sessions._SESSION": (client.session.session_key,),
        "certification.access._COURSE": (course.pk,),
        "certification.access._LOCKED_COURSE": (course.pk,),
        "certification.engine._ANSWERS": (course.pk,),
        "certification.engine._ALERTS": (course.pk,),
        "invigilation.state._ALL_ROWS": (session,),
        "invigilation.state._ROWS": (session, ids),
        "invigilation.state._ADDITIONS": (courses,),
        "invigilation.state._OPEN_SUSPENSIONS": (courses,),
        "invigilation.state._ONGOING_ALERTS": (courses,),
        "invigilation.state._ALL_NOTES": (session,),
        "invigilation.state._NOTES": (session, ids),
        "invigilation.state._COUNTS": (session,),
        "invigilation.state._RUNNING": (session,),
        "invigilation.state._MARK": (session,),
        "invigilation.history._NEWER_EVENTS": (session, 0),
        "invigilation.history._NAMES": (session, ids),
        "invigilation.access._SESSION": (session,),
        "invigilation.access._ENTERED_WITH_PASSWORD": (session, invigilator.pk),
        "exams.access._ROLES": (invigilator.pk, exam_session.centre_id),
        "invigilation.evidence._SESSION_EVIDENCE": (session,),
        "invigilation.evidence._CANDIDATE_EVIDENCE": (session, str(candidate.pk)),
        "certification.access._CANDIDATE": (candidate.pk,),
        "certification.actions._LOCKED_CANDIDATE": (candidate.pk,),
        "certification.actions._LOCKED_COURSE_OF": (candidate.pk,),
        "certification.actions._OPEN_ROOM_SUSPENSION": (session,),
        "exams.models._DURATION": ("CLEA",),
        "certification.state._UNREAD": (candidate.pk,),
    }
    found = _project_prepared_queries()

    assert sorted(found) == sorted(arguments)
    for name, query in found.items():
        args = arguments[name]
        with transaction.atomic():
            compiled = [_as_data(row) for row in query.rows(*args)]
            expected = [_as_data(row) for row in query.build(*args)]
        assert compiled, f"{name}: no row to compare"
        assert compiled == expected, name
    course_row = _as_data(found["certification.access._COURSE"].first(course.pk))
    assert "centre" in course_row[2]["candidate"][2]["session"][2]  # relations compared too
    # A row's candidate: its counts (annotations) and its course (a reverse one-to-one).
    row = found["invigilation.state._ROWS"].first(session, ids)
    expected_row = found["invigilation.state._ROWS"].build(session, ids).get()
    assert _as_data(row)[3]["answered"] == 1
    assert _as_data(row.course) == _as_data(expected_row.course)


# --- accounts/sessions.py ----------------------------------------------------------------


def test_it_overrides_the_method_django_s_store_still_has():
    """`load()` calls `_get_session_from_db()` with no argument, and `_session_key` is the
    attribute behind `session_key`."""
    private = DjangoSessionStore._get_session_from_db
    assert list(inspect.signature(private).parameters) == ["self"]
    assert "self._get_session_from_db()" in inspect.getsource(DjangoSessionStore.load)
    assert SessionStore._get_session_from_db is not private
    store = DjangoSessionStore()
    store._session_key = None
    assert store.session_key is None


@pytest.mark.django_db
def test_it_reads_every_request_s_session_through_the_compiled_query(client, monkeypatch):
    """A logged-in request loads its session through accounts/sessions.py: if Django took
    another path (its async `aload`, another method), the saving would silently be lost."""
    calls = []
    original = sessions._SESSION.first

    def counted(*args, **kwargs):
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(sessions._SESSION, "first", counted)
    client.force_login(UserFactory())
    calls.clear()

    response = client.get("/")

    assert response.status_code < 400
    assert calls == [(client.session.session_key,)]


@pytest.mark.django_db
@pytest.mark.parametrize("case", ["valid", "expired", "deleted", "unknown", "malformed"])
def test_it_behaves_as_django_s_own_store(case):
    """Same data, same key afterwards (None when there is no valid session), for ours and
    Django's, sync and async."""
    store = SessionStore()
    store["answer"] = 42
    store.create()
    key = store.session_key
    if case == "expired":
        Session.objects.filter(session_key=key).update(
            expire_date=timezone.now() - dt.timedelta(seconds=1)
        )
    elif case == "deleted":
        Session.objects.filter(session_key=key).delete()
    elif case == "unknown":
        key = "z" * 32
    elif case == "malformed":
        key = "short"

    ours, django = SessionStore(key), DjangoSessionStore(key)
    loaded, expected = ours.load(), django.load()

    assert loaded == expected == ({"answer": 42} if case == "valid" else {})
    assert ours.session_key == django.session_key == (key if case == "valid" else None)
    assert async_to_sync(SessionStore(key).aload)() == expected


# --- vigie/handler.py ----------------------------------------------------------------------

# What the handler replaces or calls in Django's ASGIHandler, as of Django 5.2.19: the
# handler re-implements `handle`/`read_body` (the body read on the event loop, bounded) and
# relies on the others. A new Django release that touches one of them may carry a fix the
# handler must copy (a security release of `read_body`, say): read the change, carry it over
# to vigie/handler.py, then update the digest here.
ASGI_HANDLER_SOURCES = {
    "__call__": "f756809e9c9308dc",
    "handle": "98faeb5bef800331",
    "read_body": "cf4aa904631d5410",
    "create_request": "5eae59c6696013ff",
    "send_response": "77eda2b08689b44e",
}


@pytest.mark.parametrize("name", ASGI_HANDLER_SOURCES)
def test_it_knows_the_asgi_handler_code_vigie_handler_replaces(name):
    source = inspect.getsource(getattr(ASGIHandler, name))
    digest = hashlib.sha256(source.encode()).hexdigest()[:16]
    assert digest == ASGI_HANDLER_SOURCES[name], (
        f"django.core.handlers.asgi.ASGIHandler.{name} changed: compare it with "
        "vigie/handler.py, carry any fix over, then update ASGI_HANDLER_SOURCES"
    )


def test_it_finds_the_handler_internals_it_calls():
    assert list(inspect.signature(ASGIHandler.create_request).parameters) == [
        "self",
        "scope",
        "body_file",
    ]
    assert isinstance(ASGIHandler.chunk_size, int)
    assert callable(ASGIHandler.chunk_bytes) and callable(django_asgi.get_script_prefix)
    assert "executor" in inspect.signature(ThreadSensitiveContext).parameters
    handler = SyncChainASGIHandler()
    # load_middleware(is_async=False) builds the sync chain that _respond calls once.
    assert callable(handler._middleware_chain)
    assert not asyncio.iscoroutinefunction(handler._middleware_chain)


@pytest.mark.django_db(transaction=True)
def test_it_runs_a_request_s_synchronous_work_on_the_borrowed_thread():
    """request_started, the view and request_finished on one `http-N` thread, none new."""
    seen: list[str] = []

    def note(**kwargs):
        seen.append(threading.current_thread().name)

    async def fetch() -> int:
        transport = httpx.ASGITransport(app=SyncChainASGIHandler())
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
            return (await client.get("/healthz")).status_code

    signals.request_started.connect(note)
    signals.request_finished.connect(note)
    try:
        with ThreadPoolExecutor(1) as pool:
            status = pool.submit(asyncio.run, fetch()).result()
    finally:
        signals.request_started.disconnect(note)
        signals.request_finished.disconnect(note)
    assert status == 200
    assert len(seen) == 2 and seen[0] == seen[1] and seen[0].startswith("http-"), seen


# lib/templates.py copies Django's template backend's render, get_template and from_string
# to empty the context after a render: if Django changes them, read the change, carry it
# over to lib/templates.py, then update the digest here.
TEMPLATE_BACKEND_SOURCES = {
    "Template.render": "4a1ec275ca1ac350",
    "DjangoTemplates.get_template": "01480fb11fa0c984",
    "DjangoTemplates.from_string": "29dbf317d48ac80b",
}


@pytest.mark.parametrize("name", TEMPLATE_BACKEND_SOURCES)
def test_it_knows_the_template_backend_code_lib_templates_replaces(name):
    owner, method = name.split(".")
    source = inspect.getsource(getattr(getattr(template_backend, owner), method))
    digest = hashlib.sha256(source.encode()).hexdigest()[:16]
    assert digest == TEMPLATE_BACKEND_SOURCES[name], (
        f"django.template.backends.django.{name} changed: compare it with lib/templates.py, "
        "carry the change over, then update TEMPLATE_BACKEND_SOURCES"
    )


def test_it_finds_the_template_internals_lib_templates_calls(rf):
    assert list(inspect.signature(make_context).parameters) == ["context", "request", "kwargs"]
    context = make_context({"a": 1}, rf.get("/"))
    assert isinstance(context, RequestContext) and isinstance(context.dicts, list)
    # The cycle lib/templates.py breaks: a pushed dict points back to its context.
    assert any(getattr(d, "context", None) is context for d in context.dicts)
    assert isinstance(make_context({"a": 1}), Context)
    backend = Templates({"NAME": "t", "DIRS": [], "APP_DIRS": False, "OPTIONS": {}})
    assert backend.from_string("{{ a }}!").render({"a": "ok"}) == "ok!"
