"""The candidate's results and certificate, the public verification page, and the centre's
exports of a published session."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from accounts.request import client_ip
from accounts.request import request_user as _user
from certification.scoring import MAX_LEVEL, MAX_SCORE, level_name
from results import actions, documents, exports
from results.access import (
    access_establishment_results,
    access_own_certificate,
    access_results_by_centre_member,
)
from results.errors import (
    CertificateWithdrawn,
    ResultsNotPublished,
    TooManyVerifications,
    UnknownCertificate,
)
from results.forms import VerifyForm, establishment_filter


@login_required
def result(request: HttpRequest, certificate_id: int) -> HttpResponse:
    certificate = access_own_certificate(_user(request), certificate_id)
    context = {
        "certificate": certificate,
        "session": certificate.session,
        "level_name": level_name(certificate.level),
        "max_level": MAX_LEVEL,
        "max_score": MAX_SCORE,
        "groups": certificate.competences_by_area(),
        "verify_url": documents.verification_url(certificate, settings.SITE_URL),
    }
    return render(request, "results/result.html", context)


@login_required
def certificate_pdf(request: HttpRequest, certificate_id: int) -> HttpResponse:
    certificate = access_own_certificate(_user(request), certificate_id)
    if not certificate.is_validated:
        raise Http404  # a rejected certification has no certificate to print
    filename = slugify(f"certificat-{certificate.verification_code}")
    return HttpResponse(
        documents.certificate_pdf(certificate, site_url=settings.SITE_URL),
        content_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}.pdf"'},
    )


def verify(request: HttpRequest) -> HttpResponse:
    """Public: anyone holding a code checks the certificate (no account needed)."""
    form = VerifyForm(request.GET if "code" in request.GET else None)
    context: dict[str, object] = {"form": form, "max_score": MAX_SCORE}
    status = 200
    if form.is_bound and form.is_valid():
        try:
            certificate = actions.do_verify(form.cleaned_data["code"], ip=client_ip(request))
        except (UnknownCertificate, TooManyVerifications) as error:
            context["error"], status = error, error.status
        except CertificateWithdrawn as error:
            context["withdrawn"], status = error, error.status
        else:
            context["certificate"] = certificate
            context["level_name"] = level_name(certificate.level)
    return render(request, "results/verify.html", context, status=status)


EXPORTS = {
    "csv": (exports.results_csv, "text/csv; charset=utf-8"),
    "ods": (exports.results_ods, "application/vnd.oasis.opendocument.spreadsheet"),
}


@login_required
def session_export(request: HttpRequest, session_id: int, kind: str) -> HttpResponse:
    try:
        session = access_results_by_centre_member(_user(request), session_id)
    except ResultsNotPublished as error:
        messages.error(request, str(error.message))
        return redirect("exams:session_detail", session_id=session_id)
    if kind not in EXPORTS:
        raise Http404
    build, content_type = EXPORTS[kind]
    filename = f"resultats-session-{session.number}.{kind}"
    return HttpResponse(
        build(session),
        content_type=content_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# --- The establishment's results ---------------------------------------------------------------

# The page shows the columns up to the level's name; the exports add the 16 competences and
# the verification code.
PAGE_COLUMNS = 12
ESTABLISHMENT_EXPORTS = {
    "csv": (exports.establishment_csv, "text/csv; charset=utf-8"),
    "ods": (exports.establishment_ods, "application/vnd.oasis.opendocument.spreadsheet"),
}


@login_required
def establishment_results(request: HttpRequest, centre_id: int) -> HttpResponse:
    """« Résultats de l'établissement »: every published session's results, filtered."""
    centre = access_establishment_results(_user(request), centre_id)
    form, given = establishment_filter(centre, request.GET)
    context = {
        "centre": centre,
        "form": form,
        "headers": exports.establishment_headers()[:PAGE_COLUMNS],
        "rows": [row[:PAGE_COLUMNS] for row in exports.establishment_rows(centre, given)]
        if given
        else [],
        "query": request.GET.urlencode(),
    }
    return render(request, "results/establishment.html", context, status=200 if given else 400)


@login_required
def establishment_export(request: HttpRequest, centre_id: int, kind: str) -> HttpResponse:
    centre = access_establishment_results(_user(request), centre_id)
    if kind not in ESTABLISHMENT_EXPORTS:
        raise Http404
    form, given = establishment_filter(centre, request.GET)
    if given is None:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect(
            reverse("results:establishment", args=[centre.pk]) + "?" + request.GET.urlencode()
        )
    build, content_type = ESTABLISHMENT_EXPORTS[kind]
    filename = f"resultats-etablissement-{timezone.localdate():%Y-%m-%d}.{kind}"
    return HttpResponse(
        build(centre, given),
        content_type=content_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
