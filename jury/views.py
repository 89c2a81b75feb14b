"""The jury's pages: finalized sessions, one session's review, and the decisions."""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.formats import number_format
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.models import User
from accounts.permissions import Permission
from accounts.request import request_user as _user
from certification import actions as test_actions
from certification import calibration, engine, itemstats
from certification.models import CertificationCourse
from exams.access import access_session_by_jury, has_jury_permission
from finalization import records
from invigilation.history import session_history
from jury import actions, queries
from jury.access import access_report_by_jury
from jury.forms import DecisionForm
from lib.errors import Refusal
from lib.issue_reports import IN_CHALLENGE
from lib.spreadsheets import write_csv, write_ods
from lib.text import whole_number

# The text a live-alert report is resolved with (reference §2.7, Pix's wording).
LIVE_ALERT_RESOLUTION = gettext_lazy(
    "Le signalement a été validé par le surveillant pendant la session. "
    "Une nouvelle question a été proposée au candidat."
)


@login_required
def session_list(request: HttpRequest) -> HttpResponse:
    if not has_jury_permission(_user(request), Permission.JURY_SESSION_REVIEW):
        raise Http404
    return render(request, "jury/session_list.html", {"summaries": queries.finalized_sessions()})


@login_required
def item_statistics(request: HttpRequest) -> HttpResponse:
    """How each question of the bank behaves with real candidates (staff, i.e. the jury)."""
    if not has_jury_permission(_user(request), Permission.JURY_SESSION_REVIEW):
        raise Http404
    stats = itemstats.item_statistics()
    context = {
        "headers": itemstats.HEADERS,
        "rows": itemstats.rows(stats),
        "flagged": sum(1 for s in stats if s.flags),
        "tests": CertificationCourse.objects.count(),
    }
    return render(request, "jury/item_statistics.html", context)


def _number(value: float | None, *, signed: bool = False) -> str:
    if value is None:
        return "—"
    text = number_format(value, 2)
    return f"+{text}" if signed and value > 0 else text


def _moved_row(e: calibration.Estimated, competences: dict[str, str]) -> dict[str, object]:
    return {
        "item_id": e.item_id,
        "competence": competences.get(e.item_id, ""),
        "answers": e.answers,
        "bank_a": _number(e.bank_a),
        "a": _number(e.a),
        "delta_a": _number(e.delta_a, signed=True),
        "bank_b": _number(e.bank_b),
        "b": _number(e.b),
        "delta_b": _number(e.delta_b, signed=True),
    }


@login_required
def recalibration(request: HttpRequest) -> HttpResponse:
    """« Recalibration »: the 2PL parameters estimated from the answers collected, beside the
    bank's (items that moved first, with their answer counts); « Appliquer » writes them into a
    new version of the bank (certification.actions.do_apply_recalibration), audited. The
    jury (staff) only; 404 for anyone else."""
    user = _user(request)
    if not has_jury_permission(user, Permission.JURY_SESSION_REVIEW):
        raise Http404
    if request.method == "POST":
        try:
            version, target, changed = test_actions.do_apply_recalibration(
                expected=request.POST.get("proposal", ""), actor=user
            )
        except Refusal as error:
            messages.error(request, str(error.message))
        else:
            messages.success(
                request,
                _(
                    "Version %(version)s de la banque écrite dans %(folder)s (%(count)s questions "
                    "modifiées). Pour l'utiliser : recalculez ses paramètres d'exposition, puis "
                    "pointez ITEM_BANK_DIR sur ce dossier."
                )
                % {"version": version, "folder": target, "count": len(changed)},
            )
        return redirect("jury:recalibration")
    bank = engine.get_bank()
    competences = {item.id: item.competence for item in bank.items}
    estimated = calibration.recalibrate(bank, min_answers=calibration.MIN_ANSWERS)
    context = {
        "bank_version": bank.version,
        "moved": [_moved_row(e, competences) for e in calibration.moved(estimated)],
        "estimated_count": sum(1 for e in estimated if e.a is not None),
        "kept_count": sum(1 for e in estimated if e.a is None),
        "min_answers": calibration.MIN_ANSWERS,
        "proposal": calibration.fingerprint(estimated),
    }
    return render(request, "jury/recalibration.html", context)


@login_required
def item_statistics_file(request: HttpRequest, fmt: str) -> HttpResponse:
    if not has_jury_permission(_user(request), Permission.JURY_SESSION_REVIEW):
        raise Http404
    if fmt not in ("csv", "ods"):
        raise Http404
    table = itemstats.table(itemstats.item_statistics())
    if fmt == "csv":
        data, mime = write_csv(table), "text/csv; charset=utf-8"
    else:
        data, mime = write_ods(table, "Questions"), "application/vnd.oasis.opendocument.spreadsheet"
    response = HttpResponse(data, content_type=mime)
    response["Content-Disposition"] = f'attachment; filename="statistiques-questions.{fmt}"'
    return response


@login_required
def session_detail(request: HttpRequest, session_id: int) -> HttpResponse:
    user = _user(request)
    session = access_session_by_jury(user, session_id, Permission.JURY_SESSION_REVIEW)
    history = session_history(session)
    context = {
        "session": session,
        "centre": session.centre,
        "candidates": queries.candidates_for_review(history),
        "timeline": history.timeline(),
        "officers": User.objects.filter(is_staff=True, is_active=True).order_by(
            "last_name", "first_name"
        ),
        "in_challenge": IN_CHALLENGE,
        "live_alert_resolution": LIVE_ALERT_RESOLUTION,
    }
    return render(request, "jury/session_detail.html", context)


@login_required
def session_record(request: HttpRequest, session_id: int, kind: str) -> HttpResponse:
    """A document the centre's finalization archived, exactly as it was then."""
    session = access_session_by_jury(_user(request), session_id, Permission.JURY_SESSION_REVIEW)
    return records.download(records.get(session, kind))


@login_required
def session_scan(request: HttpRequest, session_id: int, record_id: int) -> HttpResponse:
    """A signed document the centre attached to the session's records."""
    session = access_session_by_jury(_user(request), session_id, Permission.JURY_SESSION_REVIEW)
    return records.download(records.get_scan(session, record_id))


def _done(
    request: HttpRequest, session_id: int, call: Callable[[], object], success: str
) -> HttpResponse:
    try:
        call()
    except Refusal as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, success)
    return redirect("jury:session_detail", session_id=session_id)


@login_required
@require_POST
def session_assign(request: HttpRequest, session_id: int) -> HttpResponse:
    user = _user(request)
    session = access_session_by_jury(user, session_id, Permission.JURY_SESSION_ASSIGN)
    officer_id = whole_number(request.POST.get("officer") or str(user.pk))
    officer = User.objects.filter(pk=officer_id).first() if officer_id else None
    if officer is None:
        messages.error(request, str(actions.e.NotJuryMember.message))
        return redirect("jury:session_detail", session_id=session.pk)
    name = officer.get_full_name()
    return _done(
        request,
        session.pk,
        lambda: actions.do_assign_session(session, officer=officer, actor=user),
        _("Session attribuée à %(name)s : elle est en cours de traitement.") % {"name": name},
    )


@login_required
@require_POST
def session_publish(request: HttpRequest, session_id: int) -> HttpResponse:
    user = _user(request)
    session = access_session_by_jury(user, session_id, Permission.JURY_SESSION_PUBLISH)
    return _done(
        request,
        session.pk,
        lambda: actions.do_publish_session(session, actor=user),
        _("Les résultats de la session %(number)s sont publiés.") % {"number": session.number},
    )


@login_required
@require_POST
def session_unpublish(request: HttpRequest, session_id: int) -> HttpResponse:
    user = _user(request)
    session = access_session_by_jury(user, session_id, Permission.JURY_SESSION_PUBLISH)
    return _done(
        request,
        session.pk,
        lambda: actions.do_unpublish_session(session, actor=user),
        _("Les résultats de la session %(number)s sont dépubliés.") % {"number": session.number},
    )


DECISIONS: dict[str, tuple[Callable[..., object], str | Promise]] = {
    "neutralize": (actions.do_neutralize_question, gettext_lazy("La question est neutralisée.")),
    "reject": (actions.do_reject_report, gettext_lazy("Le signalement est rejeté.")),
    "resolve": (actions.do_resolve_report, gettext_lazy("Le signalement est résolu.")),
    "accept_correction": (
        actions.do_accept_identity_correction,
        gettext_lazy("La modification des informations du candidat est acceptée."),
    ),
    "refuse_correction": (
        actions.do_refuse_identity_correction,
        gettext_lazy("La modification des informations du candidat est refusée."),
    ),
}


@login_required
@require_POST
def report_resolve(request: HttpRequest, report_id: int) -> HttpResponse:
    user = _user(request)
    report = access_report_by_jury(user, report_id, Permission.JURY_REPORT_RESOLVE)
    decision = request.POST.get("decision", "")
    if decision not in DECISIONS:
        raise Http404
    action, success = DECISIONS[decision]
    form = DecisionForm(request.POST)
    session_id = report.course.candidate.session_id
    if not form.is_valid():
        for message in form.errors["comment"]:
            messages.error(request, str(message))
        return redirect("jury:session_detail", session_id=session_id)
    comment = form.cleaned_data["comment"]
    return _done(
        request, session_id, lambda: action(report, actor=user, comment=comment), str(success)
    )
