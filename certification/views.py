"""The candidate's pages: join, instructions, access code, the test itself."""

from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.access import signed_in_identity
from accounts.identities import signed_in_with_provider
from accounts.request import client_ip
from accounts.request import request_user as _user
from certification import actions, engine
from certification.access import access_own_candidate, access_own_course
from certification.forms import InstructionsForm, JoinForm
from certification.models import CertificationCourse
from exams.models import Candidate, ExamDuration
from lib.errors import Refusal


@login_required
def join(request: HttpRequest) -> HttpResponse:
    # Signed in through the school's identity provider: its names and birthdate are offered,
    # spelled as it spells them (the join matches them as lib/text.normalize_name reads them).
    identity = signed_in_identity(request)
    initial = (
        {
            "first_name": identity.first_name,
            "last_name": identity.last_name,
            "birthdate": identity.birthdate,
        }
        if identity
        else {}
    )
    form = JoinForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            candidate = actions.do_join(
                _user(request),
                **form.cleaned_data,
                ip=client_ip(request),
                via_identity_provider=signed_in_with_provider(request),
            )
        except Refusal as error:
            form.add_error(None, str(error.message))
        else:
            return redirect("certification:instructions", candidate_id=candidate.pk)
    return render(request, "certification/join.html", {"form": form})


@login_required
def instructions(request: HttpRequest, candidate_id: int) -> HttpResponse:
    candidate = access_own_candidate(_user(request), candidate_id)
    if candidate.instructions_accepted_at and request.method == "GET":
        return redirect("certification:start", candidate_id=candidate.pk)
    # A lone unchecked box posts nothing: bind on POST even when the data is empty.
    form = InstructionsForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        actions.do_accept_instructions(candidate, user=_user(request))
        return redirect("certification:start", candidate_id=candidate.pk)
    context = {
        "candidate": candidate,
        "form": form,
        "question_count": engine.TEST_LENGTH,
        # The duration this candidate's test will have (a complementary certification's own).
        "duration_minutes": int(
            ExamDuration.of(candidate.complementary_certification).total_seconds() // 60
        ),
        **companion_links(candidate),
    }
    return render(request, "certification/instructions.html", context)


def companion_links(candidate: Candidate) -> dict[str, object]:
    """« Extension obligatoire » and where to install it, when the session requires it."""
    return {
        "companion_required": candidate.session.companion_required,
        "companion_check_url": reverse("api:candidate_companion_check", args=[candidate.pk]),
        "companion_chrome_url": settings.COMPANION_CHROME_URL,
        "companion_firefox_url": settings.COMPANION_FIREFOX_URL,
    }


@login_required
def start(request: HttpRequest, candidate_id: int) -> HttpResponse:
    candidate = access_own_candidate(_user(request), candidate_id)
    if candidate.instructions_accepted_at is None:
        return redirect("certification:instructions", candidate_id=candidate.pk)
    course = CertificationCourse.objects.filter(candidate=candidate).first()
    context = {
        "candidate": candidate,
        "course": course,
        "end_message": None
        if course is None or course.is_running
        else engine.end_message(course.status),
        "start_url": reverse("api:candidate_start", args=[candidate.pk]),
        "status_url": reverse("api:candidate_authorization", args=[candidate.pk]),
        "ws_path": f"/ws/candidats/{candidate.pk}/",
        "data_protection_contact": settings.DATA_PROTECTION_CONTACT,
        **companion_links(candidate),
    }
    return render(request, "certification/start.html", context)


@login_required
def test(request: HttpRequest, course_id: int) -> HttpResponse:
    course = access_own_course(_user(request), course_id)
    context = {
        "course": course,
        "candidate": course.candidate,
        "state_url": reverse("api:candidate_state", args=[course.pk]),
        "answer_url": reverse("api:candidate_answer", args=[course.pk]),
        "alert_url": reverse("api:candidate_report_problem", args=[course.pk]),
        "companion_url": reverse("api:candidate_companion_alert", args=[course.pk]),
        "start_page": reverse("certification:start", args=[course.candidate_id]),
        "ws_path": f"/ws/candidats/{course.candidate_id}/",
        "messages_url": reverse("api:candidate_messages", args=[course.candidate_id]),
        "strings": {
            "message": _("Message du surveillant (%s)"),
            "read": _("J'ai lu"),
            "progress": _("Question %n / %t"),
            "question": _("Question %n"),
            "extra": _("temps majoré %s %"),
            "timer": _("Temps restant pour cette question : %s s"),
            "empty": _("Choisissez ou saisissez une réponse."),
            "error": _("Une erreur a eu lieu. Merci de réessayer ultérieurement."),
            "paused": _("En attente du surveillant…"),
            "suspended": _("Épreuve suspendue."),
            "companionMissing": _("L'extension Vigie Companion n'est pas détectée."),
            "validated": _("Votre signalement a été validé : voici une autre question."),
            "refused": _("Votre signalement a été refusé : reprenez la question."),
            "focusLost": _(
                "Vous êtes sorti(e) du cadre de la question : votre surveillant en sera informé "
                "et cette réponse sera comptée comme fausse."
            ),
        },
    }
    return render(request, "certification/test.html", context)


@login_required
def media(request: HttpRequest, name: str) -> HttpResponseBase:
    folder = Path(settings.ITEM_BANK_DIR) / "media"
    if "\x00" in name:
        raise Http404  # no file has one, and the file system refuses it (ValueError)
    path = (folder / name).resolve()
    if path.parent != folder.resolve() or not path.is_file():
        raise Http404
    response = FileResponse(path.open("rb"))
    if path.suffix == ".html":
        # Simulators run in a sandbox: no access to Vigie's cookies, pages or API.
        response["Content-Security-Policy"] = (
            "sandbox allow-scripts; default-src 'self' 'unsafe-inline' data:"
        )
        response["X-Frame-Options"] = "SAMEORIGIN"
    if path.suffix in (".csv", ".txt"):
        response["Content-Disposition"] = f'attachment; filename="{path.name}"'
    return response
