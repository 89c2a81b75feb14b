from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_protect
from ninja import NinjaAPI
from ninja.errors import ValidationError
from ninja.security import django_auth

from accounts.api import router as accounts_router
from accounts.sessions import SessionStore
from certification.api import router as certification_router
from exams.actions import SessionNotEditable
from exams.api import router as exams_router
from finalization.api import router as finalization_router
from finalization.errors import FinalizationInvalid
from invigilation.api import router as invigilation_router
from jury.api import router as jury_router
from lib.errors import FormInvalid, ImportFailed, Refusal
from results.api import router as results_router

api = NinjaAPI(
    title="Vigie API",
    version="1",
    description="Every action of Vigie's pages, as JSON. Cookie session auth with CSRF.",
    auth=django_auth,
    urls_namespace="api",
)


# django-ninja exempts its views from Django's CSRF middleware and checks the token only for
# cookie auth (django_auth), so an `auth=None` write was open to any site: a cross-site
# sign-up logged the victim's browser in to the attacker's account. Every write of the API
# now passes Django's check (token and Origin) before anything else, whatever its auth, and
# a refusal answers through settings.CSRF_FAILURE_VIEW (French JSON).
#
# One exception: a request carrying `Authorization: Bearer` (a learning platform's token,
# exams.PlatformToken). A browser cannot add that header to a cross-site request without a
# CORS preflight Vigie never grants, so forging one is not possible; and such a request is
# never authenticated by the session cookie it may also carry: no part of the cookie's
# session is reachable — `request.user`, `request.auser()` (Django 5's async accessor, which
# reads the session again) and `request.session` itself, replaced by an empty one, so an
# operation without auth cannot read, flush or rotate the cookie's session either.
def is_bearer(request: HttpRequest) -> bool:
    """The scheme as django-ninja's HttpBearer reads it: the header's first word, any case."""
    return request.headers.get("Authorization", "").split(" ")[0].lower() == "bearer"


async def _anonymous() -> AnonymousUser:
    return AnonymousUser()


def _without_cookie_session(request: HttpRequest) -> None:
    request.user = AnonymousUser()
    request.auser = _anonymous  # type: ignore[attr-defined]
    request.__dict__.pop("_cached_user", None)
    request.__dict__.pop("_acached_user", None)
    request.session = SessionStore()  # type: ignore[assignment]


def _csrf_unless_bearer(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    protected = csrf_protect(view)

    @wraps(view)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if is_bearer(request):
            _without_cookie_session(request)
            return view(request, *args, **kwargs)
        return protected(request, *args, **kwargs)

    return checked


api.add_decorator(_csrf_unless_bearer, mode="view")


@api.exception_handler(PermissionDenied)
def permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(request, {"detail": _("Accès refusé.")}, status=403)


def _not_found(request: HttpRequest) -> HttpResponse:
    # ninja's own answer is the English « Not Found » whatever the user's language.
    return api.create_response(request, {"detail": _("Introuvable.")}, status=404)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _not_found(request)


@api.exception_handler(ValidationError)
def invalid_request(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    # An id in the path that no row can have (negative, beyond 64 bits: lib/ids.py) names
    # nothing: 404, as an id that does not exist. Any other invalid input: 422.
    if exc.errors and all(error.get("loc", ("",))[0] == "path" for error in exc.errors):
        return _not_found(request)
    return api.create_response(request, {"detail": exc.errors}, status=422)


@api.exception_handler(SessionNotEditable)
def not_editable(request: HttpRequest, exc: SessionNotEditable) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc)}, status=409)


@api.exception_handler(FormInvalid)
def form_invalid(request: HttpRequest, exc: FormInvalid) -> HttpResponse:
    return api.create_response(request, {"detail": exc.message, "errors": exc.errors}, status=400)


@api.exception_handler(ImportFailed)
def import_failed(request: HttpRequest, exc: ImportFailed) -> HttpResponse:
    return api.create_response(request, {"detail": exc.message, "errors": exc.errors}, status=400)


@api.exception_handler(FinalizationInvalid)
def finalization_invalid(request: HttpRequest, exc: FinalizationInvalid) -> HttpResponse:
    return api.create_response(
        request,
        {"detail": str(exc.message), "code": exc.code, "errors": exc.errors},
        status=exc.status,
    )


@api.exception_handler(Refusal)
def journey_error(request: HttpRequest, exc: Refusal) -> HttpResponse:
    return api.create_response(
        request, {"detail": str(exc.message), "code": exc.code}, status=exc.status
    )


api.add_router("/accounts", accounts_router)
api.add_router("/certification", certification_router)
api.add_router("/invigilation", invigilation_router)
api.add_router("/jury", jury_router)
api.add_router("/results", results_router)
api.add_router("/", exams_router)
api.add_router("/", finalization_router)
