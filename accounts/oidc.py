"""Signing in with an OpenID Connect provider (an ENT, an academy's provider), through
Authlib: the authorization code flow with PKCE (S256), `state` and `nonce` kept in the
Django session and used once, the ID token's signature checked against the provider's
published keys (JWKS) with the algorithms its discovery document announces, and its issuer,
audience, expiry, issue time and nonce checked with a bounded clock skew (IDP_CLOCK_SKEW).

Why Authlib (README, « Sign-in with a school's identity provider »): it handles several
providers side by side from one registry, does PKCE, state and nonce itself and validates
the ID token with joserfc; mozilla-django-oidc is built around one provider in the settings,
and django-allauth would replace Vigie's own sign-up and log-in pages.

This module turns a provider's answer into a checked `Identity`; what to do with it (which
account, which roles) is accounts.actions.do_sign_in_with_identity.
"""

import datetime as dt
import hashlib
import logging
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client.errors import MismatchingStateError
from authlib.integrations.django_client import DjangoOAuth2App, OAuth
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from joserfc.errors import ClaimError, JoseError

from accounts.identities import Identity, SignInRefused, parse_birthdate
from lib.identity_providers import OIDCProvider

log = logging.getLogger(__name__)

HTTP_TIMEOUT = 10  # seconds, for the discovery document, the keys and the token endpoint

_clients: dict[OIDCProvider, DjangoOAuth2App] = {}


def client(provider: OIDCProvider) -> DjangoOAuth2App:
    """One Authlib client per provider and process: it keeps the discovery document and the
    keys it fetched (fetched again when a token names an unknown key)."""
    app = _clients.get(provider)
    if app is None:
        app = OAuth().register(
            name=f"oidc_{provider.key}",
            client_id=provider.client_id,
            client_secret=provider.client_secret,
            server_metadata_url=f"{provider.issuer}/.well-known/openid-configuration",
            client_kwargs={
                "scope": provider.scopes,
                "code_challenge_method": "S256",
                "default_timeout": HTTP_TIMEOUT,
            },
        )
        _clients[provider] = app
    return app


def _metadata(provider: OIDCProvider) -> dict[str, Any]:
    try:
        metadata: dict[str, Any] = client(provider).load_server_metadata()
    except (requests.RequestException, ValueError) as error:
        _clients.pop(provider, None)
        raise SignInRefused(provider, "provider_unreachable") from error
    # The discovery document must be the issuer's own (OpenID Connect Discovery §4.3).
    if str(metadata.get("issuer", "")).rstrip("/") != provider.issuer:
        _clients.pop(provider, None)
        raise SignInRefused(provider, "discovery_issuer_mismatch")
    return metadata


def begin(request: HttpRequest, provider: OIDCProvider, redirect_uri: str) -> HttpResponse:
    """Send the browser to the provider; `state`, `nonce` and the PKCE verifier wait in the
    session for the way back."""
    _metadata(provider)
    try:
        response: HttpResponse = client(provider).authorize_redirect(request, redirect_uri)
    except (AuthlibBaseError, requests.RequestException) as error:
        raise SignInRefused(provider, "provider_unreachable") from error
    return response


def complete(request: HttpRequest, provider: OIDCProvider) -> Identity:
    """The provider sent the browser back: exchange the code and check the ID token. Any
    failure is a SignInRefused naming the check that failed (audited)."""
    _metadata(provider)
    app = client(provider)
    try:
        token = app.authorize_access_token(request, leeway=settings.IDP_CLOCK_SKEW)
    except MismatchingStateError as error:
        # No pending sign-in with this `state` in this browser: a replayed or forged answer.
        raise SignInRefused(provider, "state") from error
    except ClaimError as error:
        raise SignInRefused(provider, f"{error.error}:{error.claim}") from error
    except JoseError as error:
        raise SignInRefused(provider, error.error) from error
    except AuthlibBaseError as error:
        raise SignInRefused(provider, str(error.error or "oauth_error")) from error
    except requests.RequestException as error:
        raise SignInRefused(provider, "provider_unreachable") from error
    claims = token.get("userinfo")
    if not claims:
        raise SignInRefused(provider, "missing_id_token")
    return _identity(provider, dict(claims), id_token=str(token["id_token"]))


def _strings(value: object) -> Iterable[str]:
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return []


def _identity(provider: OIDCProvider, claims: dict[str, Any], *, id_token: str) -> Identity:
    mapping = provider.claims
    subject = str(claims.get(mapping.subject or "sub") or "")
    if not subject:
        raise SignInRefused(provider, "missing_claim:sub")
    email = str(claims.get(mapping.email) or "").strip().lower() if mapping.email else ""
    verified = claims.get(mapping.email_verified) if mapping.email_verified else None
    # A nonce is used by one sign-in only: kept until the token expires (plus the skew).
    replay_key = hashlib.sha256(f"oidc:{provider.key}:{claims['nonce']}".encode()).hexdigest()
    return Identity(
        provider=provider,
        subject=subject,
        first_name=str(claims.get(mapping.first_name) or "").strip(),
        last_name=str(claims.get(mapping.last_name) or "").strip(),
        birthdate=parse_birthdate(claims.get(mapping.birthdate) if mapping.birthdate else None),
        email=email,
        # Only the JSON value true counts: "true" as a string, or absent, is not verified.
        email_verified=bool(email) and verified is True,
        roles=frozenset(_strings(claims.get(mapping.roles))) if mapping.roles else frozenset(),
        replay_key=replay_key,
        valid_until=dt.datetime.fromtimestamp(int(claims["exp"]), tz=dt.UTC)
        + dt.timedelta(seconds=settings.IDP_CLOCK_SKEW),
        logout_hint=id_token,
    )


def logout_url(provider: OIDCProvider, *, id_token: str, post_logout_redirect_uri: str) -> str:
    """The provider's end-session URL (RP-initiated logout), or "" when it offers none."""
    if not provider.logout:
        return ""
    try:
        metadata = _metadata(provider)
    except SignInRefused:
        return ""
    if not metadata.get("end_session_endpoint"):
        return ""
    result = client(provider).create_logout_url(
        post_logout_redirect_uri=post_logout_redirect_uri,
        id_token_hint=id_token,
        client_id=provider.client_id,
    )
    return str(result["url"])


def _origin(url: object) -> str:
    parts = urlsplit(str(url or ""))
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def form_action_origins(provider: OIDCProvider) -> frozenset[str]:
    """Where Vigie's pages send the browser for this provider: the issuer, and its
    authorization and end-session endpoints once its discovery document was read (the
    pages' Content-Security-Policy allows a form's redirect there)."""
    origins = {_origin(provider.issuer)}
    app = _clients.get(provider)
    metadata = getattr(app, "server_metadata", None) or {}
    for endpoint in ("authorization_endpoint", "end_session_endpoint"):
        origins.add(_origin(metadata.get(endpoint)))
    return frozenset(o for o in origins if o)


def warm(provider: OIDCProvider) -> None:
    """Read the discovery document now (the log-in page), so the endpoints are known."""
    try:
        _metadata(provider)
    except SignInRefused:
        log.warning("OpenID Connect provider %s unreachable", provider.key)
