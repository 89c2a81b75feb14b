from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from accounts import oidc, origins, saml
from accounts.access import access_own_identity
from accounts.actions import (
    LastWayToSignIn,
    SignUpError,
    do_confirm_registration,
    do_record_sign_in_refusal,
    do_remove_identity_link,
    do_request_registration,
    do_sign_in_with_identity,
    read_sign_up_token,
)
from accounts.forms import LoginForm, PasswordResetForm, RegistrationForm
from accounts.identities import (
    PROVIDER_BACKEND,
    SESSION_IDENTITY,
    SESSION_LOGOUT_HINT,
    SESSION_PROVIDER,
    Identity,
    Provider,
    SignInRefused,
    find_provider,
    providers,
)
from accounts.request import client_ip
from accounts.request import request_user as _user
from lib.identity_providers import OIDCProvider, SAMLProvider

_NEXT = "vigie_sign_in_next"
_SAML_REQUEST = "vigie_saml_request"


def _address(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def register(request: HttpRequest) -> HttpResponse:
    """Sign-up: whether the address had an account or not, the same « check your mailbox »
    page (accounts.actions.do_request_registration)."""
    if request.user.is_authenticated:
        return redirect("home")
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            do_request_registration(
                form.cleaned_data,
                ip=_address(request),
                site_url=request.build_absolute_uri("/").rstrip("/"),
            )
        except SignUpError as error:
            form.add_error(None, str(error.message))
        else:
            return redirect("accounts:register_sent")
    return render(request, "accounts/register.html", {"form": form})


def register_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The link of the activation e-mail. Opening it changes nothing (mail scanners open
    links): the button posts, creates the account and logs its owner in."""
    try:
        sign_up = read_sign_up_token(token)
        if request.method == "POST":
            user = do_confirm_registration(token)
            login(request, user, backend="accounts.backends.EmailBackend")
            messages.success(request, _("Votre compte a été créé."))
            return redirect("home")
    except SignUpError as error:
        return render(
            request, "accounts/register_confirm.html", {"error": error.message}, status=error.status
        )
    return render(request, "accounts/register_confirm.html", {"email": sign_up["email"]})


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        # The providers' addresses go into this page's Content-Security-Policy.
        origins.warm()
        return {**super().get_context_data(**kwargs), "providers": providers()}


class LogoutView(auth_views.LogoutView):
    """Ends the Vigie session; a session opened through a provider that offers it then goes
    on to the provider's log-out: OpenID Connect's end_session_endpoint (back to Vigie's
    log-in page), or SAML single log-out (its answer comes back to saml_sls)."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        provider = find_provider(str(request.session.get(SESSION_PROVIDER, "")))
        hint = str(request.session.get(SESSION_LOGOUT_HINT, ""))
        response = super().post(request, *args, **kwargs)
        url = ""
        if isinstance(provider, OIDCProvider) and hint:
            url = oidc.logout_url(
                provider,
                id_token=hint,
                post_logout_redirect_uri=request.build_absolute_uri(reverse("accounts:login")),
            )
        elif isinstance(provider, SAMLProvider) and hint:
            url = saml.logout_url(
                provider,
                hint=hint,
                acs_url=_acs_url(request, provider),
                sls_url=_sls_url(request, provider),
            )
        return HttpResponseRedirect(url) if url else response


def _provider_or_404(key: str) -> Provider:
    provider = find_provider(key)
    if provider is None:
        raise Http404
    return provider


def _refused(request: HttpRequest, error: SignInRefused) -> HttpResponse:
    do_record_sign_in_refusal(error, ip=client_ip(request))
    return render(
        request,
        "accounts/sign_in_refused.html",
        {"error": error.message, "provider": error.provider},
        status=error.status,
    )


@require_POST
def provider_sign_in(request: HttpRequest, key: str) -> HttpResponse:
    """« Se connecter avec … » (log-in page) or « Lier » (« Mon compte »): off to the
    provider. A POST: it opens a sign-in in this session."""
    provider = _provider_or_404(key)
    next_url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        request.session[_NEXT] = next_url
    try:
        if isinstance(provider, OIDCProvider):
            redirect_uri = request.build_absolute_uri(
                reverse("accounts:oidc_callback", args=[provider.key])
            )
            return oidc.begin(request, provider, redirect_uri)
        location, request_id = saml.begin(provider, _acs_url(request, provider))
        request.session[_SAML_REQUEST] = {"provider": provider.key, "id": request_id}
        return HttpResponseRedirect(location)
    except SignInRefused as error:
        return _refused(request, error)


def _acs_url(request: HttpRequest, provider: SAMLProvider) -> str:
    return request.build_absolute_uri(reverse("accounts:saml_acs", args=[provider.key]))


def _sls_url(request: HttpRequest, provider: SAMLProvider) -> str:
    return request.build_absolute_uri(reverse("accounts:saml_sls", args=[provider.key]))


def _saml_provider_or_404(key: str) -> SAMLProvider:
    provider = find_provider(key)
    if not isinstance(provider, SAMLProvider):
        raise Http404
    return provider


@csrf_exempt
@require_POST
def saml_acs(request: HttpRequest, key: str) -> HttpResponse:
    """The SAML provider's page posts its answer here, from its own site: the browser sends
    no Vigie cookie with it (SameSite=Lax), so this page checks nothing and changes
    nothing; it posts the answer on to saml_continue from Vigie's own page, where the
    session (the pending request) and the CSRF token are there. Exempt from CSRF for that
    reason: the answer's signature and its InResponseTo, bound to the session that asked,
    are what protect the sign-in."""
    _saml_provider_or_404(key)
    context = {
        "saml_response": request.POST.get("SAMLResponse", ""),
        "relay_state": request.POST.get("RelayState", ""),
        "action": reverse("accounts:saml_continue", args=[key]),
    }
    return render(request, "accounts/saml_relay.html", context)


@require_POST
def saml_continue(request: HttpRequest, key: str) -> HttpResponse:
    provider = _saml_provider_or_404(key)
    pending = request.session.pop(_SAML_REQUEST, None) or {}
    request_id = pending.get("id") if pending.get("provider") == key else None
    try:
        identity = saml.complete(
            provider,
            request.POST.get("SAMLResponse", ""),
            acs_url=_acs_url(request, provider),
            request_id=request_id,
        )
        return _signed_in(request, identity)
    except SignInRefused as error:
        return _refused(request, error)


@require_GET
def saml_sls(request: HttpRequest, key: str) -> HttpResponse:
    """The SAML provider's answer to Vigie's log-out request (the Vigie session ended before
    it left): it only says whether the provider's session ended too."""
    provider = _saml_provider_or_404(key)
    ended = saml.logout_succeeded(
        provider,
        request.GET.get("SAMLResponse", ""),
        acs_url=_acs_url(request, provider),
        sls_url=_sls_url(request, provider),
    )
    if ended:
        messages.success(
            request,
            _("Vous êtes aussi déconnecté(e) de %(provider)s.") % {"provider": provider.label},
        )
    return redirect("accounts:login")


@require_GET
def saml_metadata(request: HttpRequest) -> HttpResponse:
    """Vigie's SAML metadata, for the federations' registration (GAR, universities)."""
    urls = {p.key: _acs_url(request, p) for p in settings.SAML_PROVIDERS}
    sls = {p.key: _sls_url(request, p) for p in settings.SAML_PROVIDERS}
    try:
        xml = saml.sp_metadata(urls, sls)
    except SignInRefused as error:
        return HttpResponse(str(error.message), status=503, content_type="text/plain")
    return HttpResponse(xml, content_type="application/samlmetadata+xml")


@require_GET
def oidc_callback(request: HttpRequest, key: str) -> HttpResponse:
    """The OpenID Connect provider sends the browser back here with a code (or an error)."""
    provider = _provider_or_404(key)
    if not isinstance(provider, OIDCProvider):
        raise Http404
    try:
        return _signed_in(request, oidc.complete(request, provider))
    except SignInRefused as error:
        return _refused(request, error)


def _signed_in(request: HttpRequest, identity: Identity) -> HttpResponse:
    current = _user(request) if request.user.is_authenticated else None
    link = do_sign_in_with_identity(identity, current_user=current)
    next_url = request.session.pop(_NEXT, "")
    login(request, link.user, backend=PROVIDER_BACKEND)
    request.session[SESSION_PROVIDER] = identity.provider.key
    request.session[SESSION_LOGOUT_HINT] = identity.logout_hint
    request.session[SESSION_IDENTITY] = link.pk
    label = identity.provider.label
    if current is not None:
        messages.success(request, _("Votre compte est lié à %(provider)s.") % {"provider": label})
        return redirect(next_url or "accounts:account")
    messages.success(request, _("Vous êtes connecté(e) avec %(provider)s.") % {"provider": label})
    return redirect(next_url or "home")


@login_required
def account(request: HttpRequest) -> HttpResponse:
    """« Mon compte »: who the account is, and its links to identity providers."""
    user = _user(request)
    configured = {p.key: p for p in providers()}
    links = [(link, configured.get(link.provider)) for link in user.identities.order_by("provider")]
    linked = {link.provider for link, _provider in links}
    origins.warm()
    context = {
        "links": links,
        "available": [p for p in configured.values() if p.key not in linked],
        "current_provider": request.session.get(SESSION_PROVIDER, ""),
    }
    return render(request, "accounts/account.html", context)


@login_required
@require_POST
def remove_identity_link(request: HttpRequest, link_id: int) -> HttpResponse:
    link = access_own_identity(_user(request), link_id)
    label = getattr(find_provider(link.provider), "label", link.provider)
    try:
        do_remove_identity_link(link, actor=_user(request))
    except LastWayToSignIn as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Le lien avec %(provider)s est retiré.") % {"provider": label})
    return redirect("accounts:account")


class PasswordResetView(auth_views.PasswordResetView):
    form_class = PasswordResetForm
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def get_form_kwargs(self) -> dict[str, Any]:
        # The form counts requests per address (lock-out).
        return {**super().get_form_kwargs(), "request": self.request}


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")
