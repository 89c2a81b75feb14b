"""Refusal of a write that fails Django's CSRF check (no token, a wrong one, or a foreign
Origin): a 403 in the user's language, JSON for the API and a page everywhere else."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def _is_api(request: HttpRequest) -> bool:
    match = request.resolver_match
    return match is not None and "api" in match.namespaces


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """settings.CSRF_FAILURE_VIEW. `reason` (Django's English diagnosis) is logged by Django
    under django.security.csrf; the visitor gets what to do."""
    message = _(
        "Requête refusée : elle ne vient pas d'une page de Vigie, ou la page a expiré. "
        "Rechargez la page et réessayez."
    )
    if _is_api(request):
        return JsonResponse({"detail": message, "code": "csrf_failed"}, status=403)
    return render(request, "csrf_failure.html", {"message": message}, status=403)
