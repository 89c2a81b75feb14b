"""The Espace Surveillant's pages: entering a session, and the live session page."""

import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.models import User
from accounts.request import client_ip
from accounts.request import request_user as _user
from certification import actions as test_actions
from certification.models import LiveAlert
from exams import documents
from exams.models import Candidate, ExamSession
from invigilation import actions
from invigilation.access import (
    access_alert_as_invigilator,
    access_candidate_as_invigilator,
    access_session_as_invigilator,
    access_session_as_member,
    has_entered,
    is_member_invigilator,
    started_course,
)
from invigilation.checklists import closing_checks, readiness
from invigilation.forms import SuperviseForm, clean_note_text
from invigilation.rows import row_tags, shows_countdown
from invigilation.state import (
    candidate_rows,
    session_counts,
    session_notes,
    session_state,
    timeline,
    watchers,
)
from invigilation.wall import access_code_shown, wall_state
from lib.errors import Refusal


@login_required
def enter(request: HttpRequest) -> HttpResponse:
    """« Surveiller une session »: the session number and its password."""
    initial = {"session_number": request.GET.get("session", "")}
    form = SuperviseForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            session = actions.do_supervise(
                _user(request),
                number=form.cleaned_data["session_number"],
                password=form.cleaned_data["password"],
                ip=client_ip(request),
            )
        except Refusal as error:
            form.add_error(None, str(error.message))
        else:
            return redirect("invigilation:session", session_id=session.pk)
    return render(request, "invigilation/enter.html", {"form": form})


def _refused(request: HttpRequest, error: Refusal) -> HttpResponse:
    """A session no longer supervisable or an expired access: back to « Surveiller une
    session » with the reason."""
    messages.error(request, str(error.message))
    return redirect("invigilation:enter")


@login_required
def session_page(request: HttpRequest, session_id: int) -> HttpResponse:
    """The live page; a centre member who has not entered yet is first offered « Surveiller
    cette session » (a POST: opening a page records nothing)."""
    user = _user(request)
    try:
        session = access_session_as_invigilator(user, session_id)
    except Refusal as error:
        return _refused(request, error)
    if not has_entered(user, session):
        return render(request, "invigilation/enter_as_member.html", {"session": session})
    state = session_state(session)
    context = {
        "session": session,
        "rows": _decorated(state["candidates"]),
        "counts": state["counts"],
        "watchers": state["watchers"],
        "session_notes": state["session_notes"],
        "timeline": state["timeline"],
        "server_time": state["server_time"],
        "rows_url": reverse("invigilation:rows", args=[session.pk]),
        "ws_path": f"/ws/surveillance/{session.pk}/",
        "kit_url": reverse("invigilation:kit", args=[session.pk]),
        # Issue 16's panel « La salle » (templates/invigilation/_room_panel.html).
        "code_shown": access_code_shown(session),
    }
    return render(request, "invigilation/session.html", context)


@login_required
@require_POST
def enter_as_member(request: HttpRequest, session_id: int) -> HttpResponse:
    """« Surveiller cette session » for a centre member: the entry is recorded."""
    user = _user(request)
    try:
        session = access_session_as_member(user, session_id)
        actions.do_enter_as_member(user, session, ip=client_ip(request))
    except Refusal as error:
        return _refused(request, error)
    return redirect("invigilation:session", session_id=session.pk)


@login_required
@require_POST
def leave(request: HttpRequest, session_id: int) -> HttpResponse:
    """« Quitter la surveillance »: nothing changes for the candidates."""
    try:
        access_session_as_invigilator(_user(request), session_id)
    except Refusal as error:
        return _refused(request, error)
    messages.success(
        request,
        _("Vous avez quitté la surveillance. Les tests des candidats continuent normalement."),
    )
    return redirect("invigilation:enter")


@login_required
def kit(request: HttpRequest, session_id: int) -> HttpResponse:
    try:
        session = access_session_as_invigilator(_user(request), session_id)
    except Refusal as error:
        return _refused(request, error)
    return HttpResponse(
        documents.invigilator_kit_pdf(session, site_url=settings.SITE_URL),
        content_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="kit-surveillant-{session.number}.pdf"'
        },
    )


def _decorated(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The state's rows with what the row template shows: tags (invigilation/rows.py),
    the countdown, the name as said aloud."""
    return [
        {
            **row,
            "tags": row_tags(row),
            "countdown": shows_countdown(row),
            "name": f"{row['first_name']} {row['last_name']}",
        }
        for row in rows
    ]


# --- The rows of the live page, rendered by the server (htmx) ------------------------------
#
# The page shows the rows rendered with it; afterwards a live event makes it fetch the rows
# that changed (GET …/lignes/?ids=), and each action posts a form and gets its row back.
# These answer fragments, never a redirect: a refusal of the access is its status (404;
# 412 once the session is finalized, 403 once an access by password has expired), which
# the page answers by reloading itself (and so shows the reason).

_ID = re.compile(r"^[1-9][0-9]{0,11}$")
MAX_ROWS = 500  # a session's candidates fit in far fewer: more is no page's request


def _fragment(
    request: HttpRequest,
    session: ExamSession,
    *,
    rows: list[dict[str, Any]] | None,
    all_rows: bool = False,
    journal: bool = False,
    counts: bool = True,
    flash: tuple[str, bool] | None = None,
    notes_open: int | None = None,
    status: int = 200,
) -> HttpResponse:
    """The main content (the rows, if any), then out-of-band parts: the counts, the journal
    (who is watching, the session's notes, the timeline) and a message."""
    context: dict[str, Any] = {
        "session": session,
        "rows": _decorated(rows or []),
        "all_rows": all_rows,
        "counts": session_counts(session) if counts else None,
        "flash": flash,
        "notes_open": notes_open,
        "oob": True,
    }
    if journal:
        context.update(
            journal=True,
            watchers=watchers(session),
            session_notes=session_notes(session),
            timeline=timeline(session),
        )
    return render(request, "invigilation/_fragment.html", context, status=status)


def _refused_fragment(error: Refusal) -> HttpResponse:
    return HttpResponse(str(error.message), status=error.status, content_type="text/plain")


def _requested_ids(request: HttpRequest, session: ExamSession) -> list[int] | None:
    """`?ids=1,2`: those candidates of the session (`ids=` none); no `ids`: all of them."""
    raw = request.GET.get("ids")
    if raw is None:
        return None
    parts = [part for part in raw.split(",") if part != ""]
    if len(parts) > MAX_ROWS or not all(_ID.match(part) for part in parts):
        raise BadRequest("ids: comma-separated candidate numbers")
    ids = sorted({int(part) for part in parts})
    known = set(session.candidates.filter(pk__in=ids).values_list("pk", flat=True))
    if known != set(ids):
        raise BadRequest("ids: candidates of another session")
    return ids


@login_required
def rows(request: HttpRequest, session_id: int) -> HttpResponse:
    """The rows of `?ids=` (all without it); the counts and the journal with `journal=1`
    (the page asks for them with every event it fetches rows for; a client following only
    some rows may leave them out)."""
    try:
        session = access_session_as_invigilator(_user(request), session_id)
    except Refusal as error:
        return _refused_fragment(error)
    try:
        ids = _requested_ids(request, session)
    except BadRequest as error:
        return HttpResponseBadRequest(str(error), content_type="text/plain")
    journal = ids is None or request.GET.get("journal") == "1"
    return _fragment(
        request,
        session,
        rows=candidate_rows(session, ids) if ids is None or ids else [],
        all_rows=ids is None,
        journal=journal,
        counts=journal,
    )


CandidateDo = Callable[[User, Candidate, HttpRequest], str | None]


def _candidate_action(
    do: CandidateDo, *, opens_notes: bool = False
) -> Callable[[HttpRequest, int, int], HttpResponse]:
    """A POST on one candidate of the session: the action, then its row (and its message,
    or the refusal's, with the refusal's status)."""

    @login_required
    @require_POST
    def view(request: HttpRequest, session_id: int, candidate_id: int) -> HttpResponse:
        user = _user(request)
        try:
            session = access_session_as_invigilator(user, session_id)
            candidate = access_candidate_as_invigilator(user, candidate_id)
        except Refusal as error:
            return _refused_fragment(error)
        if candidate.session_id != session.pk:
            raise Http404
        status, flash = 200, None
        try:
            message = do(user, candidate, request)
        except Refusal as error:
            status, flash = error.status, (str(error.message), False)
        else:
            flash = (message, True) if message else None
        return _fragment(
            request,
            session,
            rows=candidate_rows(session, [candidate.pk]),
            flash=flash,
            notes_open=candidate.pk if opens_notes else None,
            status=status,
        )

    return view


def _full_name(candidate: Candidate) -> str:
    return f"{candidate.first_name} {candidate.last_name.upper()}"


def _confirm(user: User, candidate: Candidate, request: HttpRequest) -> str | None:
    test_actions.do_confirm_presence(candidate, actor=user)
    return None


def _cancel(user: User, candidate: Candidate, request: HttpRequest) -> str | None:
    test_actions.do_cancel_presence(candidate, actor=user)
    return _("La confirmation de présence de %(name)s est annulée.") % {
        "name": _full_name(candidate)
    }


def _resume(user: User, candidate: Candidate, request: HttpRequest) -> str | None:
    test_actions.do_authorize_resume(candidate, actor=user)
    return _("Succès ! %(name)s peut reprendre son test de certification.") % {
        "name": _full_name(candidate)
    }


def _end(user: User, candidate: Candidate, request: HttpRequest) -> str | None:
    test_actions.do_end_by_invigilator(started_course(candidate), actor=user)
    return _("Le test de %(name)s est terminé.") % {"name": _full_name(candidate)}


def _note(user: User, candidate: Candidate, request: HttpRequest) -> str | None:
    text = clean_note_text(request.POST.get("text", ""))
    actions.do_add_note(candidate.session, author=user, text=text, candidate=candidate)
    return None


confirm_presence = _candidate_action(_confirm)
cancel_presence = _candidate_action(_cancel)
authorize_resume = _candidate_action(_resume)
end_test = _candidate_action(_end)


candidate_note = _candidate_action(_note, opens_notes=True)


def _alert_action(
    kind: str | None, do: Callable[[User, LiveAlert, HttpRequest], str]
) -> Callable[[HttpRequest, int, int], HttpResponse]:
    """A POST on one alert of the session (of `kind`; None: either kind)."""

    @login_required
    @require_POST
    def view(request: HttpRequest, session_id: int, alert_id: int) -> HttpResponse:
        user = _user(request)
        try:
            session = access_session_as_invigilator(user, session_id)
            alert = access_alert_as_invigilator(user, alert_id)
        except Refusal as error:
            return _refused_fragment(error)
        candidate_id = alert.course.candidate_id
        if alert.course.candidate.session_id != session.pk:
            raise Http404
        status, flash = 200, None
        try:
            if kind is not None and alert.kind != kind:
                raise Refusal(message=_("Ce signalement ne concerne pas cette action."))
            flash = (do(user, alert, request), True)
        except Refusal as error:
            status, flash = error.status, (str(error.message), False)
        return _fragment(
            request,
            session,
            rows=candidate_rows(session, [candidate_id]),
            flash=flash,
            status=status,
        )

    return view


def _validate(user: User, alert: LiveAlert, request: HttpRequest) -> str:
    test_actions.do_validate_alert(alert, actor=user, reason=request.POST.get("reason", ""))
    return _("Le signalement a bien été validé.")


def _refuse(user: User, alert: LiveAlert, request: HttpRequest) -> str:
    test_actions.do_refuse_alert(alert, actor=user)
    return _("Le signalement a bien été refusé.")


def _companion(user: User, alert: LiveAlert, request: HttpRequest) -> str:
    test_actions.do_clear_companion_alert(alert, actor=user)
    return _("La présence de l'extension est confirmée.")


def _claim(user: User, alert: LiveAlert, request: HttpRequest) -> str:
    test_actions.do_claim_alert(alert, actor=user)
    return _("Vous vous occupez de ce signalement : les autres surveillants le voient.")


validate_alert = _alert_action(LiveAlert.Kind.QUESTION, _validate)
refuse_alert = _alert_action(LiveAlert.Kind.QUESTION, _refuse)
confirm_companion = _alert_action(LiveAlert.Kind.COMPANION, _companion)
claim_alert = _alert_action(None, _claim)


@login_required
@require_POST
def end_overtime(request: HttpRequest, session_id: int) -> HttpResponse:
    """« Terminer les tests dont le temps est écoulé »: every row comes back."""
    user = _user(request)
    try:
        session = access_session_as_invigilator(user, session_id)
    except Refusal as error:
        return _refused_fragment(error)
    status = 200
    try:
        ended = actions.do_end_overtime(session, actor=user)
    except Refusal as error:
        status, flash = error.status, (str(error.message), False)
    else:
        flash = (
            ngettext("%(count)s test terminé.", "%(count)s tests terminés.", ended)
            % {"count": ended},
            True,
        )
    return _fragment(
        request,
        session,
        rows=candidate_rows(session),
        all_rows=True,
        flash=flash,
        status=status,
    )


@login_required
@require_POST
def session_note(request: HttpRequest, session_id: int) -> HttpResponse:
    """A note on the session's own PV d'incident: the journal comes back."""
    user = _user(request)
    try:
        session = access_session_as_invigilator(user, session_id)
    except Refusal as error:
        return _refused_fragment(error)
    status, flash = 200, None
    try:
        text = clean_note_text(request.POST.get("text", ""))
        actions.do_add_note(session, author=user, text=text)
    except Refusal as error:
        status, flash = error.status, (str(error.message), False)
    return _fragment(request, session, rows=None, journal=True, flash=flash, status=status)


# --- « Affichage salle » (issue 16) ---------------------------------------------------------
#
# A page to project in the room, opened by an invigilator: no candidate's name. It follows the
# session's live link and re-reads its content (`…/affichage-salle/contenu/`) on each event.
# Both are pages: a refused access goes back to « Surveiller une session » with the reason.


def _wall_access(request: HttpRequest, session_id: int) -> ExamSession | HttpResponse:
    user = _user(request)
    try:
        session = access_session_as_invigilator(user, session_id)
    except Refusal as error:
        return _refused(request, error)
    if not has_entered(user, session):
        # A centre member enters first (recorded), as for the Espace Surveillant.
        return redirect("invigilation:session", session_id=session.pk)
    return session


@login_required
def wall(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _wall_access(request, session_id)
    if isinstance(session, HttpResponse):
        return session
    context = {
        "session": session,
        "wall": wall_state(session),
        "ws_path": f"/ws/surveillance/{session.pk}/",
        "content_url": reverse("invigilation:wall_content", args=[session.pk]),
    }
    return render(request, "invigilation/wall.html", context)


@login_required
def wall_content(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _wall_access(request, session_id)
    if isinstance(session, HttpResponse):
        return session
    return render(request, "invigilation/_wall.html", {"wall": wall_state(session)})


@login_required
@require_POST
def show_access_code(request: HttpRequest, session_id: int) -> HttpResponse:
    """« Afficher le code d'accès sur l'affichage salle » (`shown=1`), or hide it (`0`)."""
    user = _user(request)
    try:
        session = access_session_as_invigilator(user, session_id)
    except Refusal as error:
        return _refused(request, error)
    back = reverse("invigilation:session", args=[session.pk]) + "#salle"
    shown = request.POST.get("shown")
    if shown not in ("0", "1"):
        messages.error(request, _("Choisissez d'afficher ou de masquer le code d'accès."))
        return redirect(back)
    try:
        actions.do_show_access_code(session, shown=shown == "1", actor=user)
    except Refusal as error:
        return _refused(request, error)
    messages.success(
        request,
        _("Le code d'accès est affiché sur l'affichage salle.")
        if shown == "1"
        else _("Le code d'accès est masqué sur l'affichage salle."),
    )
    return redirect(back)


# --- Before and after (issue 16): the readiness board, the closing checklist -----------------


@login_required
def readiness_board(request: HttpRequest, session_id: int) -> HttpResponse:
    """« Avant le début »: for each candidate, joined, instructions read, extension, presence
    confirmed; and the access code shown to the room when the invigilator decides."""
    session = _wall_access(request, session_id)
    if isinstance(session, HttpResponse):
        return session
    rows = readiness(session)
    context = {
        "session": session,
        "rows": rows,
        "ready": sum(1 for row in rows if row.ready),
        "code_shown": access_code_shown(session),
    }
    return render(request, "invigilation/readiness.html", context)


@login_required
def closing_checklist(request: HttpRequest, session_id: int) -> HttpResponse:
    """« Avant de partir »: every test ended, every alert decided, absences, notes; then the
    centre's finalization (pre-filled from the session's record)."""
    user = _user(request)
    session = _wall_access(request, session_id)
    if isinstance(session, HttpResponse):
        return session
    checks = closing_checks(session)
    context = {
        "session": session,
        "checks": checks,
        "all_done": all(check.done for check in checks),
        "member": is_member_invigilator(user, session),
    }
    return render(request, "invigilation/closing.html", context)


@login_required
def help_page(request: HttpRequest) -> HttpResponse:
    """« Aide »: the invigilator's short guide (issue 16), linked from the kit and the
    Espace Surveillant."""
    return render(request, "invigilation/help.html")
