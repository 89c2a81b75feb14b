"""The identity providers' addresses a Vigie page may send the browser to.

Chromium applies a page's `form-action` to every redirect its form leads to: « Se connecter
avec … » and « Se déconnecter » post to Vigie, which redirects to the provider, so the
pages' Content-Security-Policy (vigie/middleware.py) lists the providers' origins. Read
from what is already known (configuration, discovery documents and metadata already
fetched), never from the network: the log-in page fetches them (`warm`)."""

from django.conf import settings

from accounts import oidc, saml


def provider_origins() -> list[str]:
    origins: set[str] = set()
    for provider in settings.OIDC_PROVIDERS:
        origins |= oidc.form_action_origins(provider)
    for saml_provider in settings.SAML_PROVIDERS:
        origins |= saml.form_action_origins(saml_provider)
    return sorted(origins)


def warm() -> None:
    for provider in settings.OIDC_PROVIDERS:
        oidc.warm(provider)
    for saml_provider in settings.SAML_PROVIDERS:
        saml.warm(saml_provider)
