"""The Espace Surveillant's pages: entering a session, and the live session page."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.request import client_ip
from accounts.request import request_user as _user
from exams import documents
from invigilation import actions
from invigilation.access import (
    access_session_as_invigilator,
    access_session_as_member,
    has_entered,
)
from invigilation.forms import SuperviseForm
from lib.errors import Refusal


def _strings() -> dict[str, str]:
    return {
        "counter": _("%p / %t candidats présents"),
        "confirm": _("Confirmer la présence"),
        "confirmAria": _("Confirmer la présence de l'élève %n"),
        "cancel": _("Annuler la confirmation"),
        "cancelAria": _("Annuler la confirmation de présence de l'élève %n"),
        "cancelTitle": _("Annuler la confirmation de présence de %n ?"),
        "cancelText": _(
            "Le candidat ne pourra pas commencer son test tant que sa présence n'aura pas été "
            "confirmée de nouveau."
        ),
        "cancelYes": _("Je confirme l'annulation"),
        "cancelDone": _("La confirmation de présence de %n est annulée."),
        "manage": _("Gérer le signalement"),
        "companion": _("Confirmer la présence de l'extension"),
        "companionTitle": _("Confirmer que %n a bien l'extension ?"),
        "companionText": _(
            "L'extension doit être réactivée sur l'ordinateur du candidat avant de confirmer."
        ),
        "companionYes": _("Confirmer la présence de l'extension et traiter le signalement"),
        "companionDone": _("La présence de l'extension est confirmée."),
        "resume": _("Autoriser la reprise du test"),
        "end": _("Terminer le test"),
        "resumeTitle": _("Autoriser %n à reprendre son test ?"),
        "resumeText": _(
            "Le test reprendra à la question où il s'est arrêté ; le temps continue de courir."
        ),
        "resumeYes": _("Je confirme l'autorisation"),
        "resumeDone": _("Succès ! %n peut reprendre son test de certification."),
        "endTitle": _("Terminer le test de %n ?"),
        "endText": _(
            "Attention : cette action entraîne la fin de son test de certification et est irréversible."
        ),
        "endDone": _("Le test de %n est terminé."),
        "overtimeTitle": _("Terminer les tests dont le temps est écoulé ?"),
        "overtimeText": _(
            "Attention : %c test(s) vont être terminés. Cette action est irréversible."
        ),
        "overtimeDone": _("%c test(s) terminé(s)."),
        "alertTitle": _("Signalement du candidat : %n"),
        "alertQuestion": _("Question n° %q"),
        "validated": _("Le signalement a bien été validé."),
        "refused": _("Le signalement a bien été refusé."),
        "chooseReason": _("Sélectionnez un motif pour valider le signalement."),
        "newAlert": _("Nouveau signalement : %n, question %q."),
        "start": _("Début : %s"),
        "end_": _("Fin théorique : %s"),
        "remaining": _("Temps restant : %s"),
        "timeOver": _("Temps écoulé"),
        "extra": _("Temps majoré %s %"),
        "enrolled": _("Inscription à %s"),
        "endedBy": _("par %s"),
        "progress": _("%a / %t questions"),
        "notes": _("Notes (%c)"),
        "addNote": _("Ajouter une note"),
        "noteLabel": _("Note sur %n"),
        "watchers": _("Qui surveille : %s"),
        "live": _("Mises à jour en direct."),
        "down": _("Connexion directe perdue : la page se met à jour toutes les 5 secondes."),
        "soundOn": _("Désactiver le son des alertes"),
        "soundOff": _("Activer le son des alertes"),
        "error": _("Une erreur a eu lieu. Merci de réessayer ultérieurement."),
        "title": _("Session %s · Espace Surveillant"),
    }


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
    context = {
        "session": session,
        "state_url": reverse("api:invigilation_state", args=[session.pk]),
        "api_base": "/api/invigilation",
        "ws_path": f"/ws/surveillance/{session.pk}/",
        "kit_url": reverse("invigilation:kit", args=[session.pk]),
        "strings": _strings(),
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
