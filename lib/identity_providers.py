"""The identity providers a school signs its people in with, read from the environment.

Two kinds: OpenID Connect (an ENT, an academy's or a company's provider) and SAML 2.0 (the
GAR and other federations). Each provider has a short key (`OIDC_PROVIDERS=ent,academie`,
`SAML_PROVIDERS=gar`) and its own variables, `OIDC_<KEY>_…` / `SAML_<KEY>_…` (README,
« Configuration »). A malformed value stops the process (ImproperlyConfigured), like every
other setting.

Plain data only: the sign-in itself is in accounts (oidc.py, saml.py, actions.py).
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from lib.env import envbool, envint, envlist, envsecret, envstr

# Roles a provider may grant (OIDC_<KEY>_GRANTS / SAML_<KEY>_GRANTS). Candidate and
# invigilator are not stored roles (anyone joins with the session's number); a centre's
# administrators are named by the centre itself.
GRANTABLE_ROLES = frozenset({"jury"})

# Clock skew accepted on ID tokens and SAML assertions, in seconds: bounded, so a token
# expired an hour ago is never taken for a late clock.
CLOCK_SKEW_DEFAULT = 60
CLOCK_SKEW_MAX = 300

_KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


@dataclass(frozen=True)
class ClaimMapping:
    """Which claim (OIDC) or attribute (SAML) carries each piece of the person's identity.
    `subject` empty: the ID token's `sub` (OIDC) or the assertion's NameID (SAML)."""

    subject: str = ""
    first_name: str = "given_name"
    last_name: str = "family_name"
    birthdate: str = "birthdate"
    email: str = "email"
    email_verified: str = "email_verified"
    roles: str = ""


# SAML attributes by their usual LDAP names (eduPerson, supann); the GAR's differ: set them.
SAML_DEFAULT_CLAIMS = ClaimMapping(
    first_name="givenName", last_name="sn", birthdate="", email="mail", email_verified=""
)


@dataclass(frozen=True)
class OIDCProvider:
    key: str
    label: str
    issuer: str
    client_id: str
    client_secret: str
    scopes: str = "openid email profile"
    claims: ClaimMapping = field(default_factory=ClaimMapping)
    grants: frozenset[str] = frozenset()
    # Offer the provider's own log-out (end_session_endpoint) when Vigie's ends.
    logout: bool = True

    kind = "oidc"


@dataclass(frozen=True)
class SAMLProvider:
    key: str
    label: str
    # The IdP's metadata: a file, or a URL fetched (and kept SAML_METADATA_TTL seconds).
    metadata_file: str = ""
    metadata_url: str = ""
    # The IdP's entityID in that metadata (a federation's metadata lists many).
    entity_id: str = ""
    claims: ClaimMapping = field(default_factory=lambda: SAML_DEFAULT_CLAIMS)
    grants: frozenset[str] = frozenset()
    # SAML carries no « verified » flag: a federation that vouches for its addresses says so.
    email_verified: bool = False

    kind = "saml"


def _env_key(key: str) -> str:
    return key.upper().replace("-", "_")


def _keys(variable: str) -> list[str]:
    keys = envlist(variable, [])
    for key in keys:
        if not _KEY.match(key):
            raise ImproperlyConfigured(
                f"{variable}: {key!r} is not a provider key (lower-case letters, digits, '-')"
            )
    if len(set(keys)) != len(keys):
        raise ImproperlyConfigured(f"{variable}: a provider is listed twice")
    return keys


def _required(name: str) -> str:
    value = envstr(name, "").strip()
    if not value:
        raise ImproperlyConfigured(f"{name} must be set")
    return value


def _grants(name: str) -> frozenset[str]:
    grants = frozenset(envlist(name, []))
    unknown = grants - GRANTABLE_ROLES
    if unknown:
        raise ImproperlyConfigured(
            f"{name}: unknown roles {sorted(unknown)} (known: {sorted(GRANTABLE_ROLES)})"
        )
    return grants


def _claims(prefix: str, default: ClaimMapping) -> ClaimMapping:
    values = {}
    for name in ClaimMapping.__dataclass_fields__:
        values[name] = envstr(f"{prefix}_CLAIM_{name.upper()}", getattr(default, name)).strip()
    return ClaimMapping(**values)


def read_oidc_providers() -> list[OIDCProvider]:
    providers = []
    for key in _keys("OIDC_PROVIDERS"):
        prefix = f"OIDC_{_env_key(key)}"
        issuer = _required(f"{prefix}_ISSUER").rstrip("/")
        if not issuer.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise ImproperlyConfigured(f"{prefix}_ISSUER must be an https:// URL")
        secret = envsecret(f"{prefix}_CLIENT_SECRET", "")
        if not secret:
            raise ImproperlyConfigured(
                f"{prefix}_CLIENT_SECRET_FILE (or _CLIENT_SECRET) must be set"
            )
        scopes = envstr(f"{prefix}_SCOPES", "openid email profile").split()
        if "openid" not in scopes:
            raise ImproperlyConfigured(f"{prefix}_SCOPES must include openid")
        providers.append(
            OIDCProvider(
                key=key,
                label=envstr(f"{prefix}_LABEL", key.upper()),
                issuer=issuer,
                client_id=_required(f"{prefix}_CLIENT_ID"),
                client_secret=secret,
                scopes=" ".join(scopes),
                claims=_claims(prefix, ClaimMapping()),
                grants=_grants(f"{prefix}_GRANTS"),
                logout=envbool(f"{prefix}_LOGOUT", True),
            )
        )
    return providers


def read_saml_providers() -> list[SAMLProvider]:
    providers = []
    for key in _keys("SAML_PROVIDERS"):
        prefix = f"SAML_{_env_key(key)}"
        metadata_file = envstr(f"{prefix}_METADATA_FILE", "").strip()
        metadata_url = envstr(f"{prefix}_METADATA_URL", "").strip()
        if bool(metadata_file) == bool(metadata_url):
            raise ImproperlyConfigured(f"{prefix}: set one of _METADATA_FILE or _METADATA_URL")
        if metadata_file and not Path(metadata_file).is_file():
            raise ImproperlyConfigured(f"{prefix}_METADATA_FILE: no such file {metadata_file}")
        if metadata_url and not metadata_url.startswith(
            ("https://", "http://127.0.0.1", "http://localhost")
        ):
            raise ImproperlyConfigured(f"{prefix}_METADATA_URL must be an https:// URL")
        providers.append(
            SAMLProvider(
                key=key,
                label=envstr(f"{prefix}_LABEL", key.upper()),
                metadata_file=metadata_file,
                metadata_url=metadata_url,
                entity_id=_required(f"{prefix}_ENTITY_ID"),
                claims=_claims(prefix, SAML_DEFAULT_CLAIMS),
                grants=_grants(f"{prefix}_GRANTS"),
                email_verified=envbool(f"{prefix}_EMAIL_VERIFIED", False),
            )
        )
    return providers


def read_clock_skew() -> int:
    skew = envint("IDP_CLOCK_SKEW", CLOCK_SKEW_DEFAULT, minimum=0)
    if skew > CLOCK_SKEW_MAX:
        raise ImproperlyConfigured(f"IDP_CLOCK_SKEW must be <= {CLOCK_SKEW_MAX} seconds")
    return skew
