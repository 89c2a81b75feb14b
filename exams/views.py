"""The centre's pages (the « Pix Certif » side): thin views over access functions,
forms and actions."""

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.actions import do_update_centre
from accounts.forms import CentreForm
from accounts.permissions import Permission
from accounts.request import request_user as _user
from exams import actions, documents, imports, levels
from exams.access import (
    access_candidate_by_centre_member,
    access_centre,
    access_platform_token,
    access_session_by_centre_member,
)
from exams.forms import CandidateForm, PlatformTokenForm, SessionForm
from exams.models import MAX_CANDIDATES_PER_INVIGILATOR, ExamSession, PlatformToken
from exams.queries import (
    candidates_with_eligibility,
    pupils_with_eligibility,
    sessions_for_centre,
)
from lib.framework import COMPETENCE_CODES
from lib.spreadsheets import SpreadsheetError, write_csv, write_ods


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    centres = user.centres.order_by("name")
    if len(centres) == 1:
        return redirect("exams:session_list", centre_id=centres[0].pk)
    candidacies = user.candidacies.select_related("session", "course__certificate").order_by(
        "-session__date"
    )
    # Seed 001: an invigilator who is not a member of a centre lands on the Espace
    # Surveillant's entry form. Known by what the account is, not by what it did: no
    # centre, not the jury, and not a pupil's (no candidacy, no competence profile).
    if (
        not centres
        and not user.is_staff
        and not candidacies.exists()
        and not user.competences.exists()
    ):
        return redirect("invigilation:enter")
    return render(request, "home.html", {"centres": centres, "candidacies": candidacies})


@login_required
def session_list(request: HttpRequest, centre_id: int) -> HttpResponse:
    centre = access_centre(_user(request), centre_id, Permission.CENTRE_SESSION_VIEW)
    sessions = sessions_for_centre(centre.pk)
    return render(request, "exams/session_list.html", {"centre": centre, "sessions": sessions})


@login_required
def centre_settings(request: HttpRequest, centre_id: int) -> HttpResponse:
    user = _user(request)
    centre = access_centre(user, centre_id, Permission.CENTRE_SETTINGS_MANAGE)
    form = CentreForm(request.POST or None, instance=centre)
    if request.method == "POST" and form.is_valid():
        do_update_centre(centre, form.cleaned_data, actor=user)
        messages.success(request, _("Les paramètres du centre ont été enregistrés."))
        return redirect("exams:session_list", centre_id=centre.pk)
    return render(request, "exams/centre_settings.html", {"centre": centre, "form": form})


@login_required
def session_create(request: HttpRequest, centre_id: int) -> HttpResponse:
    user = _user(request)
    centre = access_centre(user, centre_id, Permission.CENTRE_SESSION_CREATE)
    form = SessionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        session = actions.do_create_session(centre, form.cleaned_data, actor=user)
        messages.success(
            request, _("La session %(number)s a été créée.") % {"number": session.number}
        )
        return redirect("exams:session_detail", session_id=session.pk)
    return render(request, "exams/session_form.html", {"centre": centre, "form": form})


@login_required
def session_detail(request: HttpRequest, session_id: int) -> HttpResponse:
    user = _user(request)
    session = access_session_by_centre_member(user, session_id, Permission.CENTRE_SESSION_VIEW)
    candidates = candidates_with_eligibility(session)
    context = {
        "session": session,
        "centre": session.centre,
        "candidates": candidates,
        "understaffed": session.is_understaffed(len(candidates)),
        "max_candidates": session.max_candidates(),
        "invigilator_count": len(session.invigilator_names()),
        "per_invigilator": MAX_CANDIDATES_PER_INVIGILATOR,
        "events": session.events.select_related("actor").order_by("-at")[:20],
    }
    return render(request, "exams/session_detail.html", context)


@login_required
def session_edit(request: HttpRequest, session_id: int) -> HttpResponse:
    user = _user(request)
    session = access_session_by_centre_member(user, session_id, Permission.CENTRE_SESSION_MANAGE)
    if not session.is_accessible:
        messages.error(request, str(actions.SessionNotEditable()))
        return redirect("exams:session_detail", session_id=session.pk)
    form = SessionForm(request.POST or None, instance=session)
    if request.method == "POST" and form.is_valid():
        actions.do_update_session(session, form.cleaned_data, actor=user)
        messages.success(request, _("La session a été modifiée."))
        return redirect("exams:session_detail", session_id=session.pk)
    return render(
        request,
        "exams/session_form.html",
        {"centre": session.centre, "form": form, "session": session},
    )


@login_required
def session_delete(request: HttpRequest, session_id: int) -> HttpResponse:
    user = _user(request)
    session = access_session_by_centre_member(user, session_id, Permission.CENTRE_SESSION_MANAGE)
    if request.method == "POST":
        try:
            actions.do_delete_session(session, actor=user)
        except actions.SessionNotEditable as error:
            messages.error(request, str(error))
            return redirect("exams:session_detail", session_id=session.pk)
        messages.success(
            request, _("La session %(number)s a été supprimée.") % {"number": session.number}
        )
        return redirect("exams:session_list", centre_id=session.centre_id)
    started = actions.started_tests(session)
    context = {
        "session": session,
        "centre": session.centre,
        "refusal": str(actions.EvidenceKept.session(started)) if started else "",
    }
    return render(request, "exams/session_delete.html", context)


@login_required
def candidate_add(request: HttpRequest, session_id: int) -> HttpResponse:
    user = _user(request)
    session = access_session_by_centre_member(user, session_id, Permission.CENTRE_CANDIDATE_MANAGE)
    form = CandidateForm(request.POST or None, session=session)
    if request.method == "POST" and form.is_valid():
        try:
            candidate = actions.do_enrol_candidate(session, form.cleaned_data, actor=user)
        except actions.SessionNotEditable as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Candidat inscrit : %(name)s.") % {"name": candidate})
        return redirect("exams:session_detail", session_id=session.pk)
    return render(request, "exams/candidate_form.html", {"session": session, "form": form})


@login_required
def candidate_edit(request: HttpRequest, candidate_id: int) -> HttpResponse:
    user = _user(request)
    candidate = access_candidate_by_centre_member(
        user, candidate_id, Permission.CENTRE_CANDIDATE_MANAGE
    )
    session = candidate.session
    locked = actions.identity_locked_text(candidate) if candidate.has_started_test() else ""
    form = CandidateForm(
        request.POST or None, instance=candidate, session=session, identity_locked=locked
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_update_candidate(candidate, form.cleaned_data, actor=user)
        except actions.SessionNotEditable as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request, _("La fiche de %(name)s a été modifiée.") % {"name": candidate}
            )
        return redirect("exams:session_detail", session_id=session.pk)
    return render(
        request,
        "exams/candidate_form.html",
        {"session": session, "form": form, "candidate": candidate},
    )


@login_required
@require_POST
def candidate_delete(request: HttpRequest, candidate_id: int) -> HttpResponse:
    user = _user(request)
    candidate = access_candidate_by_centre_member(
        user, candidate_id, Permission.CENTRE_CANDIDATE_MANAGE
    )
    try:
        actions.do_delete_candidate(candidate, actor=user)
    except actions.SessionNotEditable as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Candidat désinscrit : %(name)s.") % {"name": candidate})
    return redirect("exams:session_detail", session_id=candidate.session_id)


def _run_import(request: HttpRequest, run: Callable[[str, bytes], int]) -> tuple[int, list[str]]:
    """Read the uploaded file and run the import: (rows created, errors to show)."""
    upload = request.FILES.get("file")
    if upload is None:
        return 0, [_("Choisissez un fichier .ods ou .csv à importer.")]
    # Read one byte past the limit: enough to refuse an oversized file without loading it.
    name, data = upload.name or "", upload.read(settings.IMPORT_MAX_BYTES + 1)
    try:
        return run(name, data), []
    except SpreadsheetError as error:
        return 0, error.errors
    except actions.SessionNotEditable as error:
        return 0, [str(error)]


@login_required
def candidate_import(request: HttpRequest, session_id: int) -> HttpResponse:
    user = _user(request)
    session = access_session_by_centre_member(user, session_id, Permission.CENTRE_CANDIDATE_MANAGE)
    errors: list[str] = []
    if request.method == "POST":

        def run(name: str, data: bytes) -> int:
            rows = imports.parse_candidates(session, name, data)
            return len(actions.do_import_candidates(session, rows, actor=user, filename=name))

        count, errors = _run_import(request, run)
        if not errors:
            messages.success(
                request,
                ngettext("%(count)s candidat importé.", "%(count)s candidats importés.", count)
                % {"count": count},
            )
            return redirect("exams:session_detail", session_id=session.pk)
    return render(
        request,
        "exams/candidate_import.html",
        {"session": session, "errors": errors},
        status=400 if errors else 200,
    )


@login_required
def session_import(request: HttpRequest, centre_id: int) -> HttpResponse:
    user = _user(request)
    centre = access_centre(user, centre_id, Permission.CENTRE_SESSION_CREATE)
    errors: list[str] = []
    if request.method == "POST":

        def run(name: str, data: bytes) -> int:
            plan = imports.parse_session_plan(name, data, today=timezone.localdate())
            return len(actions.do_import_sessions(centre, plan, actor=user, filename=name))

        count, errors = _run_import(request, run)
        if not errors:
            messages.success(
                request,
                ngettext("%(count)s session créée.", "%(count)s sessions créées.", count)
                % {"count": count},
            )
            return redirect("exams:session_list", centre_id=centre.pk)
    return render(
        request,
        "exams/session_import.html",
        {"centre": centre, "errors": errors},
        status=400 if errors else 200,
    )


def _template_response(headers: list[str], kind: str, name: str) -> HttpResponse:
    if kind == "csv":
        return HttpResponse(
            write_csv([headers]),
            content_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    if kind == "ods":
        return HttpResponse(
            write_ods([headers], sheet_name=name),
            content_type="application/vnd.oasis.opendocument.spreadsheet",
            headers={"Content-Disposition": f'attachment; filename="{name}.ods"'},
        )
    raise Http404


@login_required
def candidate_template(request: HttpRequest, session_id: int, kind: str) -> HttpResponse:
    access_session_by_centre_member(_user(request), session_id, Permission.CENTRE_CANDIDATE_MANAGE)
    return _template_response(imports.candidate_template_headers(), kind, "modele-candidats")


@login_required
def session_template(request: HttpRequest, centre_id: int, kind: str) -> HttpResponse:
    access_centre(_user(request), centre_id, Permission.CENTRE_SESSION_CREATE)
    return _template_response(imports.session_template_headers(), kind, "modele-sessions")


DOCUMENTS: dict[str, Callable[[ExamSession], bytes]] = {
    "kit-surveillant": lambda s: documents.invigilator_kit_pdf(s, site_url=settings.SITE_URL),
    "feuille-emargement": documents.attendance_sheet_pdf,
    "pv-incident": documents.incident_report_pdf,
    # Seed 004's other day-of documents (issue 15).
    "pv-fraude": lambda s: documents.fraud_report_pdf(s),  # the blank model
    "consignes-candidats": lambda s: documents.instructions_pdf(s, site_url=settings.SITE_URL),
    "notice-eleve": lambda s: documents.student_notice_pdf(s, site_url=settings.SITE_URL),
    "verification-salle": documents.room_check_pdf,
}


@login_required
def session_document(request: HttpRequest, session_id: int, kind: str) -> HttpResponse:
    session = access_session_by_centre_member(
        _user(request), session_id, Permission.CENTRE_DOCUMENT_DOWNLOAD
    )
    if kind not in DOCUMENTS:
        raise Http404
    filename = slugify(f"{kind}-session-{session.number}")
    return HttpResponse(
        DOCUMENTS[kind](session),
        content_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}.pdf"'},
    )


# --- Pupils' competence levels: eligibility before enrolment --------------------------------


@login_required
def pupils(request: HttpRequest, centre_id: int) -> HttpResponse:
    """« Éligibilité des élèves »: the pupils the centre sent levels for, certifiable first,
    each with « n / 5 »; and the import of their levels (.ods/.csv, all or nothing)."""
    user = _user(request)
    centre = access_centre(user, centre_id, Permission.CENTRE_CANDIDATE_MANAGE)
    errors: list[str] = []
    if request.method == "POST":

        def run(name: str, data: bytes) -> int:
            rows = levels.parse_levels(name, data)
            return len(actions.do_record_levels(centre, rows, actor=user, source=f"import:{name}"))

        count, errors = _run_import(request, run)
        if not errors:
            messages.success(
                request,
                ngettext(
                    "%(count)s niveau enregistré ou modifié.",
                    "%(count)s niveaux enregistrés ou modifiés.",
                    count,
                )
                % {"count": count},
            )
            return redirect("exams:pupils", centre_id=centre.pk)
    context = {
        "centre": centre,
        "rows": pupils_with_eligibility(centre.pk),
        "competences": COMPETENCE_CODES,
        "errors": errors,
    }
    return render(request, "exams/pupils.html", context, status=400 if errors else 200)


@login_required
def pupils_template(request: HttpRequest, centre_id: int, kind: str) -> HttpResponse:
    access_centre(_user(request), centre_id, Permission.CENTRE_CANDIDATE_MANAGE)
    return _template_response(levels.template_headers(), kind, "modele-niveaux-eleves")


@login_required
def platform_tokens(request: HttpRequest, centre_id: int) -> HttpResponse:
    """« Jetons des plateformes »: the tokens the centre's learning platform presents to send
    its pupils' levels (`Authorization: Bearer`). A new token is shown in this response
    only, never stored nor sent again (Vigie keeps its SHA-256)."""
    user = _user(request)
    centre = access_centre(user, centre_id, Permission.CENTRE_SETTINGS_MANAGE)
    form = PlatformTokenForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        row, token = actions.do_create_platform_token(
            centre, name=form.cleaned_data["name"], actor=user
        )
        created = {"row": row, "token": token}
        form = PlatformTokenForm()
    context = {
        "centre": centre,
        "form": form,
        "created": created,
        "tokens": PlatformToken.objects.filter(centre=centre).order_by("-created_at", "-pk"),
    }
    status = 400 if form.errors else 200
    response = render(request, "exams/platform_tokens.html", context, status=status)
    # The token is in this page once: no cache of it anywhere.
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def platform_token_revoke(request: HttpRequest, centre_id: int, token_id: int) -> HttpResponse:
    user = _user(request)
    token = access_platform_token(user, centre_id, token_id)
    if actions.do_revoke_platform_token(token, actor=user):
        messages.success(
            request,
            _("Le jeton « %(name)s » est révoqué : la plateforme ne peut plus s'en servir.")
            % {"name": token.name},
        )
    else:
        messages.info(request, _("Ce jeton était déjà révoqué."))
    return redirect("exams:platform_tokens", centre_id=centre_id)
