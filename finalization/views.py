"""The centre's « Finaliser la session » page and the archived documents' downloads."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.permissions import Permission
from accounts.request import request_user as _user
from certification.models import AbortReason
from exams.access import access_session_by_centre_member
from finalization import actions, records, validation
from finalization.errors import FinalizationInvalid, RemovalReasonMissing, ScanInvalid
from finalization.forms import ScanRemovalForm
from invigilation.history import session_history
from lib import issue_reports
from lib.errors import Refusal


@login_required
def session_record(request: HttpRequest, session_id: int, kind: str) -> HttpResponse:
    """A document archived at finalization, exactly as it was then."""
    session = access_session_by_centre_member(
        _user(request), session_id, Permission.CENTRE_DOCUMENT_DOWNLOAD
    )
    return records.download(records.get(session, kind))


@login_required
def session_scan(request: HttpRequest, session_id: int, record_id: int) -> HttpResponse:
    """A signed document the centre attached, exactly as sent."""
    session = access_session_by_centre_member(
        _user(request), session_id, Permission.CENTRE_DOCUMENT_DOWNLOAD
    )
    return records.download(records.get_scan(session, record_id))


@login_required
@require_POST
def scan_attach(request: HttpRequest, session_id: int) -> HttpResponse:
    """« Ajouter un document signé » on the session page: back to it with the outcome."""
    user = _user(request)
    session = access_session_by_centre_member(user, session_id, Permission.CENTRE_SESSION_FINALIZE)
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise ScanInvalid(_("Choisissez un fichier à ajouter."))
        record = actions.do_attach_scan(
            session,
            kind=request.POST.get("kind", ""),
            name=upload.name or "",
            data=upload.read(settings.SCAN_MAX_BYTES + 1),
            actor=user,
        )
    except Refusal as error:
        messages.error(request, str(error.message))
    else:
        messages.success(
            request,
            _("« %(label)s » a été ajouté aux documents archivés.")
            % {"label": record.get_kind_display()},
        )
    return redirect(reverse("exams:session_detail", args=[session.pk]) + "#records-title")


@login_required
@require_POST
def scan_remove(request: HttpRequest, session_id: int, record_id: int) -> HttpResponse:
    """« Retirer ce document » on the session page, with the reason: back to it."""
    user = _user(request)
    session = access_session_by_centre_member(user, session_id, Permission.CENTRE_SESSION_FINALIZE)
    form = ScanRemovalForm(request.POST)
    try:
        if not form.is_valid():
            errors = form.errors.get("reason") or [str(RemovalReasonMissing.message)]
            raise ScanInvalid(str(errors[0]))
        record = actions.do_remove_scan(
            session, record_id, reason=form.cleaned_data["reason"], actor=user
        )
    except Refusal as error:
        messages.error(request, str(error.message))
    else:
        messages.success(
            request,
            _("« %(label)s » a été retiré des documents archivés.")
            % {"label": record.get_kind_display()},
        )
    return redirect(reverse("exams:session_detail", args=[session.pk]) + "#records-title")


@login_required
def session_finalize(request: HttpRequest, session_id: int) -> HttpResponse:
    """« Finaliser la session », pre-filled from the session's history."""
    user = _user(request)
    session = access_session_by_centre_member(user, session_id, Permission.CENTRE_SESSION_FINALIZE)
    history = session_history(session)
    submitted = None
    errors: list[str] = []
    if request.method == "POST":
        ids = [candidate.candidate_id for candidate in history.started]
        submitted = validation.from_post(request.POST, ids)
        try:
            actions.do_finalize_session(session, submitted, actor=user)
        except FinalizationInvalid as error:
            errors = error.errors
        except Refusal as error:
            errors = [str(error.message)]
        else:
            messages.success(
                request, _("La session %(number)s a été finalisée.") % {"number": session.number}
            )
            return redirect("exams:session_detail", session_id=session.pk)
    context = {
        "session": session,
        "centre": session.centre,
        "session_lines": history.session_lines,
        "rows": validation.page_rows(history, submitted),
        "global_comment": submitted.global_comment
        if submitted
        else validation.notes_text(history.session_lines),
        "has_incident": submitted.has_incident if submitted else history.had_incident,
        "has_joining_issue": submitted.has_joining_issue if submitted else False,
        "categories": issue_reports.category_choices(),
        "abort_reasons": AbortReason.choices,
        "max_comment": validation.MAX_COMMENT,
        "max_question": validation.MAX_QUESTION_NUMBER,
        "errors": errors,
    }
    status = 400 if errors else 200
    return render(request, "finalization/finalization.html", context, status=status)
