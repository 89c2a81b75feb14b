"""What an identity provider said about a person, once checked, and the refusals of a
sign-in. Shared by the OpenID Connect (accounts/oidc.py) and SAML (accounts/saml.py)
sign-ins and by the action that links or creates the account (accounts/actions.py)."""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from lib.errors import Refusal
from lib.identity_providers import OIDCProvider, SAMLProvider

Provider = OIDCProvider | SAMLProvider

# The authentication backend a provider's sign-in logs in with: the session remembers it,
# so a centre that turned passwords off for its candidates can tell how they signed in.
PROVIDER_BACKEND = "accounts.backends.IdentityProviderBackend"
# Session keys: the provider of this sign-in, and what its log-out needs (the ID token).
SESSION_PROVIDER = "vigie_identity_provider"
SESSION_LOGOUT_HINT = "vigie_identity_logout_hint"
SESSION_IDENTITY = "vigie_identity_id"


def providers() -> list[Provider]:
    return [*settings.OIDC_PROVIDERS, *settings.SAML_PROVIDERS]


def find_provider(key: str) -> Provider | None:
    return next((p for p in providers() if p.key == key), None)


def signed_in_with_provider(request: HttpRequest) -> bool:
    """Whether this browser session was opened through an identity provider."""
    return bool(request.session.get(BACKEND_SESSION_KEY) == PROVIDER_BACKEND)


@dataclass(frozen=True)
class Identity:
    """A person as a provider vouched for them, every check passed."""

    provider: Provider
    subject: str
    first_name: str
    last_name: str
    birthdate: dt.date | None
    email: str
    # The provider asserted that the address is the person's (OIDC `email_verified: true`,
    # or a SAML federation configured as vouching for its addresses).
    email_verified: bool
    roles: frozenset[str]
    # Used once: the ID token's nonce or the assertion's ID, until `valid_until`.
    replay_key: str
    valid_until: dt.datetime
    # What the provider's log-out needs (the ID token for OIDC, the NameID for SAML).
    logout_hint: str = ""


class SignInRefused(Refusal):
    """A provider's answer refused by a check; `reason` names it (audited, never shown)."""

    status, code = 403, "sign_in_refused"
    message = _(
        "La connexion avec votre fournisseur d'identité n'a pas abouti. "
        "Réessayez depuis la page de connexion ; si cela se reproduit, prévenez votre établissement."
    )

    def __init__(self, provider: Provider | None, reason: str, message: object = None) -> None:
        self.provider = provider
        self.reason = reason
        super().__init__(message)


class UnverifiedEmailInUse(SignInRefused):
    status, code = 409, "email_not_verified"
    message = _(
        "Un compte Vigie existe déjà avec l'adresse e-mail que votre fournisseur d'identité "
        "a transmise, mais ce fournisseur ne garantit pas qu'elle est la vôtre : les comptes "
        "n'ont pas été liés. Connectez-vous avec votre mot de passe Vigie, puis liez votre "
        "compte depuis la page « Mon compte »."
    )


class AccountHasOtherLink(SignInRefused):
    status, code = 409, "account_has_other_link"
    message = _(
        "Ce compte Vigie est déjà lié à une autre personne chez ce fournisseur d'identité : "
        "les comptes n'ont pas été liés. Prévenez votre établissement."
    )


class IdentityLinkedElsewhere(SignInRefused):
    status, code = 409, "identity_linked_elsewhere"
    message = _(
        "Ce compte de votre fournisseur d'identité est déjà lié à un autre compte Vigie. "
        "Retirez d'abord ce lien depuis la page « Mon compte » de l'autre compte."
    )


def parse_birthdate(value: object) -> dt.date | None:
    """A birthdate as providers send it: ISO (2008-03-14, the OIDC standard) or French
    (14/03/2008). Anything else is ignored rather than guessed."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%Y%m%d"):
        try:
            return dt.datetime.strptime(text, pattern).date()  # noqa: DTZ007 - a date, no time
        except ValueError:
            continue
    return None
