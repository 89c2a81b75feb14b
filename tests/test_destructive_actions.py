"""Destructive actions: each is offered only behind a confirmation step, and doing it leaves
an audit row naming who did it.

What « confirmed » means:
- on a page, the button that does it sits either on a confirmation page of its own (reached
  by a link; opening that page changes nothing) or inside a closed <details> or <dialog> that
  must be opened first; the request is a POST carrying Django's CSRF token;
- in the Espace Surveillant (rendered by the server, htmx), the button posting it either sits
  inside a closed <dialog> (the report's dialog) or carries `hx-confirm`, which
  supervision.js answers with the page's closed confirmation <dialog>: only its « Oui »
  (`confirm-yes`) issues the request;
- on the API, the operation is never a GET (no link, prefetch or crawler can trigger it) and
  needs both the session cookie and the CSRF token, so only Vigie's own pages, which show the
  confirmations above, can send it from a browser; a script calling the API confirms by
  sending the request;
- a management command (run by cron) has `--dry-run`, which lists and deletes nothing.

Adding an entry: a new DELETE operation of the OpenAPI schema, or a new `do_*` action of an
`<app>/actions.py` whose name starts with one of DESTRUCTIVE_PREFIXES, fails
test_it_lists_every_destructive_action until DESTRUCTIVE has an entry for it.

Personas: those of tests/world.py; each action is done by the persona allowed to do it.
"""

import datetime as dt
import importlib
import importlib.util
import inspect
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.admin.models import DELETION, LogEntry
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from accounts.models import Centre, ExternalIdentity, User
from audit.models import AuditEvent
from audit.tags import AnyTag, Tag
from certification.models import CertificationCourse
from exams.actions import do_create_platform_token
from exams.models import PlatformToken
from finalization.models import SessionRecord
from tests.factories import CentreFactory
from tests.world import (
    CANDIDATE,
    CENTRE_ADMIN,
    INVIGILATOR,
    JURY,
    SUPERUSER,
    World,
    persistent_world,
)
from vigie.api import api

DESTRUCTIVE_PREFIXES = (
    "do_cancel",
    "do_delete",
    "do_end",
    "do_neutralize",
    "do_purge",
    "do_refuse",
    "do_reject",
    "do_remove",
    "do_revoke",
    "do_unpublish",
    "do_withdraw",
)
SCRIPT = "vigie/supervision.js"


# --- How a page offers an action -------------------------------------------------------------


@dataclass(frozen=True)
class ConfirmationPage:
    """A link on `origin` opens `page`, whose form (POST) does it."""

    origin: Callable[[World], str]
    page: Callable[[World], str]


@dataclass(frozen=True)
class ClosedDisclosure:
    """On `origin`, the buttons posting to `action` (with `decision` as their value, when one
    form offers several decisions) sit inside a closed <details> or <dialog>."""

    origin: Callable[[World], str]
    action: Callable[[World], str]
    decision: str | None = None


@dataclass(frozen=True)
class HtmxDialog:
    """On `origin`, every element posting (htmx) to `action` sits inside a closed <dialog>,
    or asks `hx-confirm`, answered by supervision.js with the page's confirmation <dialog>."""

    origin: Callable[[World], str]
    action: Callable[[World], str]


@dataclass(frozen=True)
class Command:
    """A management command: `--dry-run` deletes nothing."""

    name: str
    prepare: Callable[[World], None]
    args: Callable[[World], tuple[str, ...]] = lambda w: ()


@dataclass(frozen=True)
class Call:
    method: str
    url: str
    json: object = None
    form: dict[str, str] | None = None


@dataclass(frozen=True)
class Destructive:
    action: str  # module.function
    tag: AnyTag  # the audit row it writes
    actor: str | None  # the persona allowed to do it (None: the system, from cron)
    offer: ConfirmationPage | ClosedDisclosure | HtmxDialog | Command
    calls: tuple[Callable[[World], Call], ...] = ()  # every way to do it (API, page)
    operation: tuple[str, str] | None = None  # (method, OpenAPI path)


def _finalization_form(w: World) -> dict[str, str]:
    started = CertificationCourse.objects.filter(candidate__session=w.a.session)
    return {f"c{course.candidate_id}-abort_reason": "technical" for course in started}


def _expire_records(w: World) -> None:
    SessionRecord.objects.filter(session=w.finalized).update(retain_until="2000-01-01")


def _age_accounts(w: World) -> None:
    """Every account last seen six years ago and warned long since: all due."""
    long_ago = timezone.now() - dt.timedelta(days=366 * 6)
    User.objects.update(date_joined=long_ago, last_login=long_ago, retention_warned_at=long_ago)


def _platform_token(w: World) -> None:
    do_create_platform_token(w.centre, name="ENT du lycée")


def _token_to_revoke(w: World) -> tuple[str, ...]:
    return ("revoke", "--id", str(PlatformToken.objects.get(name="ENT du lycée").pk))


def _room(w: World) -> str:
    """The Espace Surveillant of session A (its invigilator acts there)."""
    return f"/surveillance/sessions/{w.a.session.pk}/"


DESTRUCTIVE = [
    Destructive(
        "exams.actions.do_delete_session",
        Tag.Centre.SESSION_DELETE,
        CENTRE_ADMIN,
        ConfirmationPage(
            origin=lambda w: f"/sessions/{w.b.pk}/", page=lambda w: f"/sessions/{w.b.pk}/supprimer/"
        ),
        calls=(
            lambda w: Call("post", f"/sessions/{w.b.pk}/supprimer/", form={}),
            lambda w: Call("delete", f"/api/sessions/{w.b.pk}"),
        ),
        operation=("delete", "/api/sessions/{session_id}"),
    ),
    Destructive(
        "exams.actions.do_delete_candidate",
        Tag.Centre.CANDIDATE_DELETE,
        CENTRE_ADMIN,
        ClosedDisclosure(
            origin=lambda w: f"/sessions/{w.a.session.pk}/",
            action=lambda w: f"/candidats/{w.a.absent.pk}/supprimer/",
        ),
        calls=(
            lambda w: Call("post", f"/candidats/{w.a.absent.pk}/supprimer/", form={}),
            lambda w: Call("delete", f"/api/candidates/{w.a.absent.pk}"),
        ),
        operation=("delete", "/api/candidates/{candidate_id}"),
    ),
    Destructive(
        "finalization.actions.do_finalize_session",  # ends every test still running
        Tag.Centre.SESSION_FINALIZE,
        CENTRE_ADMIN,
        ConfirmationPage(
            origin=lambda w: f"/sessions/{w.a.session.pk}/",
            page=lambda w: f"/sessions/{w.a.session.pk}/finaliser/",
        ),
        calls=(
            lambda w: Call(
                "post", f"/sessions/{w.a.session.pk}/finaliser/", form=_finalization_form(w)
            ),
            lambda w: Call(
                "put",
                f"/api/sessions/{w.a.session.pk}/finalization",
                json={
                    "reports": [
                        {"candidate_id": int(key[1:].split("-")[0]), "abort_reason": value}
                        for key, value in _finalization_form(w).items()
                    ]
                },
            ),
        ),
        operation=("put", "/api/sessions/{session_id}/finalization"),
    ),
    Destructive(
        "finalization.actions.do_purge_records",
        Tag.System.RECORDS_PURGE,
        None,
        Command("purge_records", prepare=_expire_records),
    ),
    Destructive(
        "accounts.actions.do_purge_unused_accounts",
        Tag.System.ACCOUNT_DELETE,
        None,
        Command("purge_accounts", prepare=_age_accounts),
    ),
    Destructive(
        "exams.actions.do_revoke_platform_token",
        Tag.System.PLATFORM_ACCESS_REVOKE,
        None,
        Command("platform_token", prepare=_platform_token, args=_token_to_revoke),
    ),
    Destructive(
        "certification.actions.do_cancel_presence",
        Tag.Invigilator.PRESENCE_CANCEL,
        INVIGILATOR,
        HtmxDialog(
            _room, lambda w: f"{_room(w)}candidats/{w.a.confirmed.pk}/annuler-confirmation/"
        ),
        calls=(
            lambda w: Call(
                "post", f"/api/invigilation/candidates/{w.a.confirmed.pk}/cancel-presence", json={}
            ),
            lambda w: Call(
                "post", f"{_room(w)}candidats/{w.a.confirmed.pk}/annuler-confirmation/", form={}
            ),
        ),
        operation=("post", "/api/invigilation/candidates/{candidate_id}/cancel-presence"),
    ),
    Destructive(
        "certification.actions.do_end_by_invigilator",
        Tag.Invigilator.COURSE_END,
        INVIGILATOR,
        HtmxDialog(_room, lambda w: f"{_room(w)}candidats/{w.a.running.pk}/terminer/"),
        calls=(
            lambda w: Call("post", f"/api/invigilation/candidates/{w.a.running.pk}/end", json={}),
            lambda w: Call("post", f"{_room(w)}candidats/{w.a.running.pk}/terminer/", form={}),
        ),
        operation=("post", "/api/invigilation/candidates/{candidate_id}/end"),
    ),
    Destructive(
        "invigilation.actions.do_end_overtime",
        Tag.Invigilator.COURSE_END,  # one row per test ended
        INVIGILATOR,
        HtmxDialog(_room, lambda w: f"{_room(w)}terminer-temps-ecoule/"),
        calls=(
            lambda w: Call(
                "post", f"/api/invigilation/sessions/{w.a.session.pk}/end-overtime", json={}
            ),
            lambda w: Call("post", f"{_room(w)}terminer-temps-ecoule/", form={}),
        ),
        operation=("post", "/api/invigilation/sessions/{session_id}/end-overtime"),
    ),
    Destructive(
        "certification.actions.do_refuse_alert",
        Tag.Invigilator.ALERT_REFUSE,
        INVIGILATOR,
        HtmxDialog(_room, lambda w: f"{_room(w)}signalements/{w.a.alert.pk}/refuser/"),
        calls=(
            lambda w: Call("post", f"/api/invigilation/alerts/{w.a.alert.pk}/refuse", json={}),
            lambda w: Call("post", f"{_room(w)}signalements/{w.a.alert.pk}/refuser/", form={}),
        ),
        operation=("post", "/api/invigilation/alerts/{alert_id}/refuse"),
    ),
    Destructive(
        "jury.actions.do_unpublish_session",
        Tag.Jury.SESSION_UNPUBLISH,
        JURY,
        ClosedDisclosure(
            origin=lambda w: f"/jury/sessions/{w.published.pk}/",
            action=lambda w: f"/jury/sessions/{w.published.pk}/depublier/",
        ),
        calls=(
            lambda w: Call("post", f"/jury/sessions/{w.published.pk}/depublier/", form={}),
            lambda w: Call("post", f"/api/jury/sessions/{w.published.pk}/unpublish", json={}),
        ),
        operation=("post", "/api/jury/sessions/{session_id}/unpublish"),
    ),
    Destructive(
        "results.actions.do_withdraw_certificates",  # only ever called by unpublishing
        Tag.Jury.CERTIFICATES_WITHDRAW,
        JURY,
        ClosedDisclosure(
            origin=lambda w: f"/jury/sessions/{w.published.pk}/",
            action=lambda w: f"/jury/sessions/{w.published.pk}/depublier/",
        ),
        calls=(
            lambda w: Call("post", f"/jury/sessions/{w.published.pk}/depublier/", form={}),
            lambda w: Call("post", f"/api/jury/sessions/{w.published.pk}/unpublish", json={}),
        ),
    ),
    Destructive(
        "jury.actions.do_reject_report",
        Tag.Jury.REPORT_REJECT,
        JURY,
        ClosedDisclosure(
            origin=lambda w: f"/jury/sessions/{w.reviewed.pk}/",
            action=lambda w: f"/jury/signalements/{w.report.pk}/traiter/",
            decision="reject",
        ),
        calls=(
            lambda w: Call(
                "post", f"/jury/signalements/{w.report.pk}/traiter/", form={"decision": "reject"}
            ),
            lambda w: Call("post", f"/api/jury/reports/{w.report.pk}/reject", json={}),
        ),
        operation=("post", "/api/jury/reports/{report_id}/reject"),
    ),
    Destructive(
        "jury.actions.do_neutralize_question",
        Tag.Jury.REPORT_NEUTRALIZE,
        JURY,
        ClosedDisclosure(
            origin=lambda w: f"/jury/sessions/{w.reviewed.pk}/",
            action=lambda w: f"/jury/signalements/{w.report.pk}/traiter/",
            decision="neutralize",
        ),
        calls=(
            lambda w: Call(
                "post",
                f"/jury/signalements/{w.report.pk}/traiter/",
                form={"decision": "neutralize"},
            ),
            lambda w: Call("post", f"/api/jury/reports/{w.report.pk}/neutralize", json={}),
        ),
        operation=("post", "/api/jury/reports/{report_id}/neutralize"),
    ),
    Destructive(
        "jury.actions.do_refuse_identity_correction",
        Tag.Jury.IDENTITY_REFUSE,
        JURY,
        ClosedDisclosure(
            origin=lambda w: f"/jury/sessions/{w.reviewed.pk}/",
            action=lambda w: f"/jury/signalements/{w.correction_report.pk}/traiter/",
            decision="refuse_correction",
        ),
        calls=(
            lambda w: Call(
                "post",
                f"/jury/signalements/{w.correction_report.pk}/traiter/",
                form={"decision": "refuse_correction", "comment": "Pièce non présentée."},
            ),
            lambda w: Call(
                "post",
                f"/api/jury/reports/{w.correction_report.pk}/refuse-correction",
                json={"comment": "Pièce non présentée."},
            ),
        ),
        operation=("post", "/api/jury/reports/{report_id}/refuse-correction"),
    ),
]


def _link_path(w: World) -> str:
    """The candidate persona's link to the ENT, on « Mon compte » (the candidate also has a
    password, so the link may go)."""
    link, _created = ExternalIdentity.objects.get_or_create(
        user=w.users[CANDIDATE], provider="ent", defaults={"subject": "eleve-ent"}
    )
    return f"/compte/liens/{link.pk}/retirer/"


def _account_page(w: World) -> str:
    _link_path(w)  # the page lists the link
    return "/compte/"


DESTRUCTIVE.append(
    Destructive(
        "accounts.actions.do_remove_identity_link",
        Tag.Person.IDENTITY_UNLINK,
        CANDIDATE,
        ClosedDisclosure(origin=_account_page, action=_link_path),
        calls=(lambda w: Call("post", _link_path(w), form={}),),
    )
)


def _scan_removal(w: World) -> str:
    """F's signed attendance sheet, « Retirer ce document… » (issue 20)."""
    scan = SessionRecord.objects.get(session=w.finalized, kind=SessionRecord.Kind.SIGNED_ATTENDANCE)
    return f"/sessions/{w.finalized.pk}/archives/scans/{scan.pk}/retirer/"


def _scan_removal_api(w: World) -> str:
    scan = SessionRecord.objects.get(session=w.finalized, kind=SessionRecord.Kind.SIGNED_ATTENDANCE)
    return f"/api/sessions/{w.finalized.pk}/scans/{scan.pk}/removal"


DESTRUCTIVE += [
    Destructive(
        "finalization.actions.do_remove_scan",
        Tag.Centre.SCAN_REMOVE,
        CENTRE_ADMIN,
        ClosedDisclosure(origin=lambda w: f"/sessions/{w.finalized.pk}/", action=_scan_removal),
        calls=(
            lambda w: Call("post", _scan_removal_api(w), json={"reason": "autre session"}),
            lambda w: Call("post", _scan_removal(w), form={"reason": "autre session"}),
        ),
        operation=("post", "/api/sessions/{session_id}/scans/{record_id}/removal"),
    ),
    # « Terminer les tests » of a selection (issue 15): the page only (the API ends one test).
    Destructive(
        "invigilation.actions.do_end_selection",
        Tag.Invigilator.COURSE_END,
        INVIGILATOR,
        HtmxDialog(_room, lambda w: f"{_room(w)}selection/terminer/"),
        calls=(
            lambda w: Call(
                "post", f"{_room(w)}selection/terminer/", form={"ids": str(w.a.running.pk)}
            ),
        ),
    ),
]
BY_ACTION = {entry.action: entry for entry in DESTRUCTIVE}
CALLS = [(entry.action, n) for entry in DESTRUCTIVE for n in range(len(entry.calls))]


# --- Helpers ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    with persistent_world(django_db_blocker, tmp_path_factory.mktemp("bank")) as built:
        yield built


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
Element = tuple[str, dict[str, str | None]]


class _Page(HTMLParser):
    """Links, forms, submit buttons and every element's ancestors."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[Element] = []
        self.links: list[str] = []
        self.scripts: list[str] = []
        self.buttons: list[tuple[dict[str, str | None], list[Element]]] = []
        self.htmx_posts: list[tuple[dict[str, str | None], list[Element]]] = []
        self.ancestors_of: dict[str, list[Element]] = {}
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ancestors_of[str(attributes["id"])] = list(self.stack)
        if tag == "a" and attributes.get("href"):
            self.links.append(str(attributes["href"]))
        if tag == "script" and attributes.get("src"):
            self.scripts.append(str(attributes["src"]))
        if attributes.get("hx-post"):
            self.htmx_posts.append((attributes, list(self.stack)))
        default = "submit" if tag == "button" else "text"
        if tag in ("button", "input") and attributes.get("type", default) == "submit":
            self.buttons.append((attributes, list(self.stack)))
        if tag not in VOID:
            self.stack.append((tag, attributes))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, -1, -1):
            if self.stack[depth][0] == tag:
                del self.stack[depth:]
                return

    def posting_to(self, url: str, page_url: str) -> list[tuple[dict, list[Element]]]:
        """Submit buttons of the POST forms whose action is `url`."""
        found = []
        for attributes, ancestors in self.buttons:
            forms = [attrs for tag, attrs in ancestors if tag == "form"]
            if not forms or str(forms[-1].get("method", "get")).lower() != "post":
                continue
            if (forms[-1].get("action") or page_url) == url:
                found.append((attributes, ancestors))
        return found


def _closed(ancestors: list[Element]) -> bool:
    return any(tag in ("details", "dialog") and "open" not in attrs for tag, attrs in ancestors)


def _client(world: World, persona: str | None, **options: bool) -> Client:
    client = Client(**options)
    user = world.users[persona] if persona else None
    if user is not None:
        client.force_login(user)
    return client


def _send(client: Client, call: Call, headers: dict[str, str] | None = None):
    if call.form is not None:
        return client.post(call.url, call.form, headers=headers)
    body = "" if call.json is None else json.dumps(call.json)
    return client.generic(
        call.method.upper(), call.url, body, content_type="application/json", headers=headers
    )


def _page(client: Client, url: str) -> _Page:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return _Page(response.content.decode())


def _audited(entry: Destructive, world: World) -> int:
    actor = world.users[entry.actor] if entry.actor else None
    return AuditEvent.objects.filter(tag=entry.tag, actor=actor).count()


def _project_actions() -> list[str]:
    """module.function of every do_* of an <app>/actions.py of the project."""
    names = []
    for config in apps.get_app_configs():
        if not Path(config.path).is_relative_to(settings.BASE_DIR):
            continue
        if importlib.util.find_spec(f"{config.name}.actions") is None:
            continue
        module = importlib.import_module(f"{config.name}.actions")
        names += [
            f"{module.__name__}.{name}"
            for name, function in inspect.getmembers(module, inspect.isfunction)
            if function.__module__ == module.__name__ and name.startswith("do_")
        ]
    return names


# --- The list ----------------------------------------------------------------------------------


def test_it_lists_every_destructive_action():
    """Every do_* named like a destructive action and every DELETE operation has an entry;
    every entry names an action and an operation that exist, never a GET."""
    found = _project_actions()
    destructive = {
        name for name in found if name.rsplit(".", 1)[1].startswith(DESTRUCTIVE_PREFIXES)
    }
    schema = api.get_openapi_schema()["paths"]
    deletes = {("delete", path) for path, item in schema.items() if "delete" in item}

    assert sorted(destructive - set(BY_ACTION)) == [], "destructive actions without an entry"
    assert sorted(deletes - {e.operation for e in DESTRUCTIVE}) == [], "DELETE without an entry"
    assert set(BY_ACTION) <= set(found), "entries for actions that no longer exist"
    assert len(destructive) >= 10
    for entry in DESTRUCTIVE:
        if entry.operation is not None:
            method, path = entry.operation
            assert method in schema[path] and method != "get", entry.operation
        assert entry.calls or isinstance(entry.offer, Command), entry.action


# --- (a) Offered only behind a confirmation ------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "action", [e.action for e in DESTRUCTIVE if isinstance(e.offer, ConfirmationPage)]
)
def test_it_asks_for_confirmation_on_a_page_of_its_own(world, action):
    """The page offering it links to a confirmation page; opening that page changes nothing,
    and its form (POST) does it."""
    entry = BY_ACTION[action]
    offer = entry.offer
    assert isinstance(offer, ConfirmationPage)
    client = _client(world, entry.actor)
    origin, page = offer.origin(world), offer.page(world)

    offering = _page(client, origin)
    before = _audited(entry, world)
    confirmation = _page(client, page)

    assert page in offering.links
    assert offering.posting_to(page, origin) == []  # no button doing it at once
    assert confirmation.posting_to(page, page) != []
    assert _audited(entry, world) == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    "action", [e.action for e in DESTRUCTIVE if isinstance(e.offer, ClosedDisclosure)]
)
def test_it_hides_the_button_in_a_closed_disclosure(world, action):
    """Every button doing it sits in a <details> or <dialog> that is closed until opened."""
    entry = BY_ACTION[action]
    offer = entry.offer
    assert isinstance(offer, ClosedDisclosure)
    origin = offer.origin(world)

    buttons = _page(_client(world, entry.actor), origin).posting_to(offer.action(world), origin)

    if offer.decision is not None:
        buttons = [(attrs, up) for attrs, up in buttons if attrs.get("value") == offer.decision]
    assert buttons != [], "the page no longer offers it"
    assert all(_closed(ancestors) for _attrs, ancestors in buttons)


def _confirm_handler(script: str) -> str:
    """supervision.js's answer to htmx's `htmx:confirm` event."""
    start = script.index('addEventListener("htmx:confirm"')
    return script[start : script.index("\n  });\n", start)]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "action", [e.action for e in DESTRUCTIVE if isinstance(e.offer, HtmxDialog)]
)
def test_it_posts_only_from_a_dialog_in_the_espace_surveillant(world, action):
    """Every element posting it sits inside a closed <dialog>, or asks `hx-confirm`: then
    supervision.js stops htmx's request and issues it only from the « Oui » (`confirm-yes`)
    of the page's confirmation <dialog>, closed until the invigilator asks."""
    entry = BY_ACTION[action]
    offer = entry.offer
    assert isinstance(offer, HtmxDialog)
    page = _page(_client(world, entry.actor), offer.origin(world))
    path = finders.find(SCRIPT)
    assert path is not None
    handler = _confirm_handler(Path(str(path)).read_text(encoding="utf-8"))

    posting = [(a, up) for a, up in page.htmx_posts if a.get("hx-post") == offer.action(world)]

    assert any(src.endswith(SCRIPT) for src in page.scripts)
    assert posting != [], "the page no longer offers it"
    assert "event.preventDefault();" in handler
    assert 'yes = $("confirm-yes")' in handler
    assert "yes.onclick = function () { dialog.close(); event.detail.issueRequest(true); };" in (
        handler
    )
    assert handler.count("issueRequest(") == 1
    confirm_dialogs = [attrs for tag, attrs in page.ancestors_of["confirm-yes"] if tag == "dialog"]
    assert confirm_dialogs and all("open" not in attrs for attrs in confirm_dialogs)
    for attributes, ancestors in posting:
        assert _closed(ancestors) or attributes.get("hx-confirm"), attributes


@pytest.mark.django_db
@pytest.mark.parametrize("action", [e.action for e in DESTRUCTIVE if e.operation is not None])
def test_it_refuses_the_api_operation_without_the_csrf_token(world, action):
    """Never a GET, and a cookie without the CSRF token gets 403 and changes nothing."""
    entry = BY_ACTION[action]
    api_calls = [call for call in (c(world) for c in entry.calls) if call.url.startswith("/api/")]
    client = _client(world, entry.actor, enforce_csrf_checks=True)
    before = _audited(entry, world)

    responses = [_send(client, call) for call in api_calls]

    assert api_calls and all(call.method != "get" for call in api_calls)
    assert [r.status_code for r in responses] == [403] * len(api_calls)
    assert _audited(entry, world) == before
    assert not isinstance(entry.offer, Command)
    client.get(entry.offer.origin(world))  # a page with a form sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    assert _send(client, api_calls[0], {"X-CSRFToken": token}).status_code < 400
    assert _audited(entry, world) > before


@pytest.mark.django_db
@pytest.mark.parametrize("action", [e.action for e in DESTRUCTIVE if isinstance(e.offer, Command)])
def test_it_deletes_nothing_on_a_dry_run(world, action):
    """The cron job's --dry-run lists what would go and deletes nothing."""
    entry = BY_ACTION[action]
    offer = entry.offer
    assert isinstance(offer, Command)
    offer.prepare(world)
    before = (
        SessionRecord.objects.count(),
        AuditEvent.objects.count(),
        list(User.objects.order_by("pk").values_list("pk", "email", "retention_warned_at")),
        list(PlatformToken.objects.order_by("pk").values_list("pk", "revoked_at")),
    )

    out = io.StringIO()
    call_command(offer.name, *offer.args(world), "--dry-run", stdout=out)

    assert "serai" in out.getvalue()  # it had something to do
    assert (
        SessionRecord.objects.count(),
        AuditEvent.objects.count(),
        list(User.objects.order_by("pk").values_list("pk", "email", "retention_warned_at")),
        list(PlatformToken.objects.order_by("pk").values_list("pk", "revoked_at")),
    ) == before


# --- (b) Audited, with who did it --------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("action", "way"), CALLS, ids=[f"{a.rsplit('.', 1)[1]}-{n}" for a, n in CALLS]
)
def test_it_writes_an_audit_row_naming_the_actor(world, action, way):
    """Done through each of its pages and API operations, it records the tag with the actor."""
    entry = BY_ACTION[action]
    call = entry.calls[way](world)
    client = _client(world, entry.actor)
    before = _audited(entry, world)

    response = _send(client, call)

    assert response.status_code < 400, response.content[:300]
    assert _audited(entry, world) > before


@pytest.mark.django_db
@pytest.mark.parametrize("action", [e.action for e in DESTRUCTIVE if isinstance(e.offer, Command)])
def test_it_audits_the_cron_job_as_the_system(world, action):
    """A command has no user: its audit row has no actor and a `system:` tag."""
    entry = BY_ACTION[action]
    offer = entry.offer
    assert isinstance(offer, Command)
    offer.prepare(world)
    before = _audited(entry, world)

    call_command(offer.name, *offer.args(world), stdout=io.StringIO())

    assert entry.actor is None and entry.tag.startswith("system:")
    assert _audited(entry, world) > before


# --- Django's admin ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_confirms_and_logs_deletions_in_the_django_admin(world):
    """The admin asks on a page of its own, then records the deletion and who made it in its
    history (LogEntry): staff work is audited there, not in the sessions' timeline."""
    superuser = world.users[SUPERUSER]
    assert superuser is not None
    client = _client(world, SUPERUSER)
    centre = CentreFactory(name="Centre fermé")
    url = f"/admin/accounts/centre/{centre.pk}/delete/"

    asked = client.get(url)
    assert asked.status_code == 200 and Centre.objects.filter(pk=centre.pk).exists()
    done = client.post(url, {"post": "yes"})

    assert done.status_code == 302
    assert not Centre.objects.filter(pk=centre.pk).exists()
    entry = LogEntry.objects.get(
        content_type__model="centre", object_id=str(centre.pk), action_flag=DELETION
    )
    assert entry.user_id == superuser.pk
