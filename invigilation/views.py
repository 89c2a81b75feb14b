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
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import User
from accounts.request import client_ip
from accounts.request import request_user as _user
from certification import actions as test_actions
from certification.errors import NoSelection
from certification.models import LiveAlert
from exams import documents
from exams.models import Candidate, ExamSession
from invigilation import actions
from invigilation.access import (
    access_alert_as_invigilator,
    access_candidate_as_invigilator,
    access_evidence_as_invigilator,
    access_fraud_line_as_invigilator,
    access_session_as_invigilator,
    access_session_as_member,
    has_entered,
    is_member_invigilator,
    started_course,
)
from invigilation.checklists import closing_checks, readiness
from invigilation.evidence import fraud_facts
from invigilation.forms import (
    AddTimeForm,
    MessageForm,
    ReasonForm,
    RoomMessageForm,
    SuperviseForm,
    clean_note_text,
    clean_pv_line,
    form_error,
)
from invigilation.rows import Group, decorate, pv_options
from invigilation.state import (
    candidate_rows,
    journal_mark,
    room_state,
    session_counts,
    session_messages,
    session_notes,
    session_state,
    timeline,
    timeline_since,
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
        "rows": decorate(state["candidates"]),
        "counts": state["counts"],
        "watchers": state["watchers"],
        "session_notes": state["session_notes"],
        "timeline": state["timeline"],
        "journal_mark": journal_mark(session),
        "sent_messages": state["messages"],
        "ready_messages": state["ready_messages"],
        "room": room_state(session),
        "server_time": state["server_time"],
        "rows_url": reverse("invigilation:rows", args=[session.pk]),
        # The page's language: the rows pushed to it are rendered in it (invigilation/push.py).
        "ws_path": f"/ws/surveillance/{session.pk}/?lang={get_language()}",
        "kit_url": reverse("invigilation:kit", args=[session.pk]),
        # Seed 001: « Extension obligatoire » with where to install it, as candidates read it.
        "companion_chrome_url": settings.COMPANION_CHROME_URL,
        "companion_firefox_url": settings.COMPANION_FIREFOX_URL,
        "pv_options": pv_options(),
        "groups": GROUPS,
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


@login_required
def fraud_report(request: HttpRequest, session_id: int, note_id: int) -> HttpResponse:
    """« PV de fraude » of a C6 line, pre-filled, to print and have signed."""
    user = _user(request)
    try:
        session = access_session_as_invigilator(user, session_id)
        note = access_fraud_line_as_invigilator(user, note_id)
    except Refusal as error:
        return _refused(request, error)
    if note.session_id != session.pk:
        raise Http404
    return HttpResponse(
        documents.fraud_report_pdf(session, fraud_facts(note)),
        content_type="application/pdf",
        headers={
            "Content-Disposition": (
                f'attachment; filename="pv-fraude-session-{session.number}-{note.pk}.pdf"'
            )
        },
    )


# The bar's filter chips, in the order of urgency (issue 16).
GROUPS = (
    (Group.TO_HANDLE.value, gettext_lazy("À traiter")),
    (Group.RUNNING.value, gettext_lazy("En cours")),
    (Group.NOT_CONFIRMED.value, gettext_lazy("Non confirmés")),
    (Group.CONFIRMED.value, gettext_lazy("Présents")),
    (Group.ENDED.value, gettext_lazy("Terminés")),
)


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
    mark: str | None = None,
    new_lines: list[dict[str, Any]] | None = None,
    flash: tuple[str, bool] | None = None,
    notes_open: int | None = None,
    status: int = 200,
) -> HttpResponse:
    """The main content (the rows, if any), then out-of-band parts: the counts, the journal
    (who is watching, the session's notes, the timeline) and a message."""
    context: dict[str, Any] = {
        "session": session,
        "rows": decorate(rows or []),
        "all_rows": all_rows,
        "counts": session_counts(session) if counts else None,
        "room": room_state(session) if counts else None,
        "flash": flash,
        "notes_open": notes_open,
        "pv_options": pv_options(),
        "oob": True,
        "new_lines": new_lines,
        "journal_mark": mark,
    }
    if journal:
        context.update(
            journal=True,
            journal_mark=journal_mark(session) if mark is None else mark,
            watchers=watchers(session),
            session_notes=session_notes(session),
            timeline=timeline(session),
            sent_messages=session_messages(session),
        )
    return render(request, "invigilation/_fragment.html", context, status=status)


def _refused_fragment(error: Refusal) -> HttpResponse:
    return HttpResponse(str(error.message), status=error.status, content_type="text/plain")


def _requested_ids(request: HttpRequest) -> list[int] | None:
    """`?ids=1,2` (`ids=` none); no `ids`: all of them. Whether they are the session's is
    checked against the rows read (one query less per fetch)."""
    raw = request.GET.get("ids")
    if raw is None:
        return None
    parts = [part for part in raw.split(",") if part != ""]
    if len(parts) > MAX_ROWS or not all(_ID.match(part) for part in parts):
        raise BadRequest("ids: comma-separated candidate numbers")
    return sorted({int(part) for part in parts})


@login_required
def rows(request: HttpRequest, session_id: int) -> HttpResponse:
    """The rows of `?ids=` (all without it). The counts and the journal: always with
    `journal=1` (or without `ids`); with `since=<mark>` (the `data-mark` of the page's
    timeline) only if the session's journal has moved on since that mark — an event that
    wrote no audit row (an answer's, most of them) changed neither, and the page then costs
    its rows alone (issue 14: the counts and journal were 7 of a fetch's 17 queries and
    three quarters of its CPU)."""
    try:
        session = access_session_as_invigilator(_user(request), session_id)
    except Refusal as error:
        return _refused_fragment(error)
    try:
        ids = _requested_ids(request)
    except BadRequest as error:
        return HttpResponseBadRequest(str(error), content_type="text/plain")
    found = candidate_rows(session, ids) if ids is None or ids else []
    if ids is not None and len(found) != len(ids):
        return HttpResponseBadRequest(
            "ids: candidates of another session", content_type="text/plain"
        )
    journal, mark, new_lines = ids is None or request.GET.get("journal") == "1", None, None
    since = request.GET.get("since")
    if not journal and since is not None:
        mark = journal_mark(session)  # before the counts and the timeline are read
        if since != mark:
            new_lines = timeline_since(session, since, mark)
            journal = new_lines is None
    return _fragment(
        request,
        session,
        rows=found,
        all_rows=ids is None,
        journal=journal,
        counts=journal or new_lines is not None,
        mark=mark,
        new_lines=new_lines,
    )


# The action on the candidate, given the URL's other ids (the evidence's, for « Au PV »).
CandidateDo = Callable[..., str | None]


def _candidate_action(do: CandidateDo, *, opens_notes: bool = False) -> Callable[..., HttpResponse]:
    """A POST on one candidate of the session: the action, then its row (and its message,
    or the refusal's, with the refusal's status)."""

    @login_required
    @require_POST
    def view(request: HttpRequest, session_id: int, candidate_id: int, **ids: int) -> HttpResponse:
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
            message = do(user, candidate, request, **ids)
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
    """A note on the candidate; with a category, a line of their PV d'incident."""
    text = clean_note_text(request.POST.get("text", ""))
    line = clean_pv_line(
        request.POST.get("code", ""),
        request.POST.get("question_number", ""),
        request.POST.get("action_taken", ""),
    )
    actions.do_add_note(candidate.session, author=user, text=text, candidate=candidate, line=line)
    return _("Ligne ajoutée au PV d'incident.") if line.code else None


confirm_presence = _candidate_action(_confirm)
cancel_presence = _candidate_action(_cancel)
authorize_resume = _candidate_action(_resume)
end_test = _candidate_action(_end)


candidate_note = _candidate_action(_note, opens_notes=True)


def _evidence_to_pv(
    user: User, candidate: Candidate, request: HttpRequest, event_id: int
) -> str | None:
    """« Ajouter au PV » on one thing Vigie saw: the candidate's row comes back."""
    note = actions.do_evidence_to_pv(
        candidate, access_evidence_as_invigilator(user, event_id), actor=user
    )
    return _("Ajouté au PV d'incident de %(name)s (%(code)s).") % {
        "name": _full_name(candidate),
        "code": note.code,
    }


evidence_to_pv = _candidate_action(_evidence_to_pv)


def _add_time(user: User, candidate: Candidate, request: HttpRequest) -> str | None:
    form = AddTimeForm(request.POST)
    if not form.is_valid():
        raise form_error(form)
    minutes, reason = form.cleaned_data["minutes"], form.cleaned_data["reason"]
    test_actions.do_add_time([candidate], minutes=minutes, reason=reason, actor=user)
    return _("%(minutes)s min ajoutées au test de %(name)s (%(reason)s).") % {
        "minutes": minutes,
        "name": _full_name(candidate),
        "reason": reason,
    }


def _suspend_test(user: User, candidate: Candidate, request: HttpRequest) -> str | None:
    form = ReasonForm(request.POST)
    if not form.is_valid():
        raise form_error(form)
    test_actions.do_suspend_course(
        started_course(candidate), reason=form.cleaned_data["reason"], actor=user
    )
    return _("Le test de %(name)s est suspendu : son temps est arrêté.") % {
        "name": _full_name(candidate)
    }


def _continue_test(user: User, candidate: Candidate, request: HttpRequest) -> str | None:
    test_actions.do_resume_course(started_course(candidate), actor=user)
    return _("Le test de %(name)s reprend là où il s'était arrêté.") % {
        "name": _full_name(candidate)
    }


def _message(user: User, candidate: Candidate, request: HttpRequest) -> str | None:
    form = MessageForm(request.POST)
    if not form.is_valid():
        raise form_error(form)
    test_actions.do_send_message(
        candidate.session, text=form.cleaned_data["text"], actor=user, candidates=[candidate]
    )
    return _("Message envoyé à %(name)s.") % {"name": _full_name(candidate)}


add_time = _candidate_action(_add_time)
suspend_test = _candidate_action(_suspend_test)
continue_test = _candidate_action(_continue_test)
candidate_message = _candidate_action(_message)


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


# --- The whole room (issue 15): suspend, resume with who is back, a message to everyone ----


def _room_action(
    do: Callable[[User, ExamSession, HttpRequest], str], *, journal: bool = True
) -> Callable[[HttpRequest, int], HttpResponse]:
    """A POST on the whole session: the action, then every row, the room's bar, the journal
    (unless `journal` is False) and its message (or the refusal's, with the refusal's status)."""

    @login_required
    @require_POST
    def view(request: HttpRequest, session_id: int) -> HttpResponse:
        user = _user(request)
        try:
            session = access_session_as_invigilator(user, session_id)
        except Refusal as error:
            return _refused_fragment(error)
        status = 200
        try:
            flash = (do(user, session, request), True)
        except Refusal as error:
            status, flash = error.status, (str(error.message), False)
        return _fragment(
            request,
            session,
            rows=candidate_rows(session),
            all_rows=True,
            journal=journal,
            flash=flash,
            status=status,
        )

    return view


def _end_overtime(user: User, session: ExamSession, request: HttpRequest) -> str:
    return _tests_ended(actions.do_end_overtime(session, actor=user))


def _tests_ended(count: int) -> str:
    return ngettext("%(count)s test terminé.", "%(count)s tests terminés.", count) % {
        "count": count
    }


# « Terminer les tests dont le temps est écoulé »: every row comes back, not the journal.
end_overtime = _room_action(_end_overtime, journal=False)


def _posted_ids(request: HttpRequest, name: str) -> list[int]:
    """Candidate numbers posted as a list (checkboxes); anything else is refused."""
    raw = request.POST.getlist(name)
    if len(raw) > MAX_ROWS or not all(_ID.match(part) for part in raw):
        raise Refusal(message=_("La liste des candidats n'est pas valide."))
    return sorted({int(part) for part in raw})


def _names(session: ExamSession, ids: list[int]) -> str:
    return ", ".join(
        _full_name(candidate)
        for candidate in session.candidates.filter(pk__in=ids).order_by(
            "last_name_key", "first_name_key"
        )
    )


def _suspend_session(user: User, session: ExamSession, request: HttpRequest) -> str:
    form = RoomMessageForm(request.POST)
    if not form.is_valid():
        raise form_error(form)
    test_actions.do_suspend_session(session, message=form.cleaned_data["text"], actor=user)
    return _("La session est suspendue : le temps de chaque test est arrêté.")


def _resume_session(user: User, session: ExamSession, request: HttpRequest) -> str:
    present = _posted_ids(request, "present")
    done = test_actions.do_resume_session(session, present=present, actor=user)
    minutes = round(done.lost.total_seconds() / 60)
    text = ngettext(
        "La session reprend après %(minutes)s minute d'arrêt.",
        "La session reprend après %(minutes)s minutes d'arrêt.",
        minutes,
    ) % {"minutes": minutes}
    if done.still_suspended:
        text += " " + ngettext(
            "Reste suspendu : %(names)s.",
            "Restent suspendus : %(names)s.",
            len(done.still_suspended),
        ) % {"names": _names(session, done.still_suspended)}
    return text


def _room_message(user: User, session: ExamSession, request: HttpRequest) -> str:
    form = MessageForm(request.POST)
    if not form.is_valid():
        raise form_error(form)
    test_actions.do_send_message(session, text=form.cleaned_data["text"], actor=user)
    return _("Message envoyé à tous les candidats.")


suspend_session = _room_action(_suspend_session)
resume_session = _room_action(_resume_session)
room_message = _room_action(_room_message)


# --- A selection (issue 15): checkboxes, one confirmation naming how many and who ----------


def _selected(session: ExamSession, request: HttpRequest) -> list[Candidate]:
    """The ticked candidates (`ids`), every one of this session."""
    ids = _posted_ids(request, "ids")
    candidates = list(
        session.candidates.filter(pk__in=ids).order_by("last_name_key", "first_name_key")
    )
    if not ids or len(candidates) != len(ids):
        raise NoSelection
    return candidates


def _confirm_selection(user: User, session: ExamSession, request: HttpRequest) -> str:
    count = actions.do_confirm_selection(_selected(session, request), actor=user)
    return ngettext("%(count)s présence confirmée.", "%(count)s présences confirmées.", count) % {
        "count": count
    }


def _add_time_selection(user: User, session: ExamSession, request: HttpRequest) -> str:
    candidates = _selected(session, request)
    form = AddTimeForm(request.POST)
    if not form.is_valid():
        raise form_error(form)
    minutes = form.cleaned_data["minutes"]
    test_actions.do_add_time(
        candidates, minutes=minutes, reason=form.cleaned_data["reason"], actor=user
    )
    return ngettext(
        "%(minutes)s min ajoutées au test de %(count)s candidat.",
        "%(minutes)s min ajoutées aux tests de %(count)s candidats.",
        len(candidates),
    ) % {"minutes": minutes, "count": len(candidates)}


def _message_selection(user: User, session: ExamSession, request: HttpRequest) -> str:
    candidates = _selected(session, request)
    form = MessageForm(request.POST)
    if not form.is_valid():
        raise form_error(form)
    test_actions.do_send_message(
        session, text=form.cleaned_data["text"], actor=user, candidates=candidates
    )
    return ngettext(
        "Message envoyé à %(count)s candidat.",
        "Message envoyé à %(count)s candidats.",
        len(candidates),
    ) % {"count": len(candidates)}


def _end_selection(user: User, session: ExamSession, request: HttpRequest) -> str:
    return _tests_ended(actions.do_end_selection(_selected(session, request), actor=user))


confirm_selection = _room_action(_confirm_selection)
add_time_selection = _room_action(_add_time_selection)
message_selection = _room_action(_message_selection)
end_selection = _room_action(_end_selection)


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
        "ws_path": f"/ws/surveillance/{session.pk}/salle/",
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
