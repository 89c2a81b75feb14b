"""Signing in with a SAML 2.0 identity provider (the GAR, a university federation), through
pysaml2 as a service provider: an AuthnRequest by HTTP-Redirect, the answer by HTTP-POST.

What is checked on the answer: the assertion's signature against the certificate in the
provider's metadata (an unsigned assertion is refused, even in a signed response), the
issuer (the configured entityID), the audience (Vigie's entityID), the recipient and the
destination (this provider's assertion consumer URL), the validity window with a bounded
clock skew (IDP_CLOCK_SKEW), that it answers a request this browser made (InResponseTo; no
unsolicited answers), and that its assertion was never used before (replay).

Why pysaml2 and not python3-saml (README): it is maintained (python3-saml's last release
was in 2023) and checks signatures with Debian's xmlsec1, where python3-saml needs the
`xmlsec` binding built against the same libxml2 as lxml. djangosaml2 is not used: its
account creation by attribute would bypass Vigie's linking rules (accounts/actions.py).
"""

import datetime as dt
import functools
import hashlib
import json
import logging
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree

import requests
from django.conf import settings
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.metadata import entity_descriptor
from saml2.response import AuthnResponse, UnsolicitedResponse
from saml2.s_utils import UnknownPrincipal, UnsupportedBinding
from saml2.saml import NameID
from saml2.sigver import SignatureError

from accounts.identities import Identity, SignInRefused, parse_birthdate
from lib.identity_providers import SAMLProvider

log = logging.getLogger(__name__)

HTTP_TIMEOUT = 10
_metadata: dict[str, tuple[float, str]] = {}


def metadata_xml(provider: SAMLProvider) -> str:
    """The provider's metadata: its file, or its URL fetched at most every
    SAML_METADATA_TTL seconds (a federation's metadata changes when keys roll over)."""
    if provider.metadata_file:
        return Path(provider.metadata_file).read_text(encoding="utf-8")
    cached = _metadata.get(provider.metadata_url)
    if cached and time.monotonic() - cached[0] < settings.SAML_METADATA_TTL:
        return cached[1]
    try:
        response = requests.get(provider.metadata_url, timeout=HTTP_TIMEOUT)
        response.raise_for_status()
    except requests.RequestException as error:
        if cached:  # the provider's site is down: its last metadata still holds
            return cached[1]
        raise SignInRefused(provider, "metadata_unreachable") from error
    _metadata[provider.metadata_url] = (time.monotonic(), response.text)
    return response.text


def cached_metadata_xml(provider: SAMLProvider) -> str:
    """The metadata without going to the network: its file, or the URL's last fetch."""
    if provider.metadata_file:
        return metadata_xml(provider)
    cached = _metadata.get(provider.metadata_url)
    return cached[1] if cached else ""


@functools.lru_cache(maxsize=32)
def _endpoint_origins(xml: str) -> frozenset[str]:
    try:
        root = ElementTree.fromstring(xml)  # noqa: S314 - the configured provider's metadata
    except ElementTree.ParseError:
        return frozenset()
    origins = set()
    for element in root.iter():
        if element.tag.endswith(("}SingleSignOnService", "}SingleLogoutService")):
            parts = urlsplit(element.get("Location", ""))
            if parts.scheme and parts.netloc:
                origins.add(f"{parts.scheme}://{parts.netloc}")
    return frozenset(origins)


def form_action_origins(provider: SAMLProvider) -> frozenset[str]:
    """Where Vigie's pages send the browser for this provider (its sign-in and log-out
    addresses, from metadata already read): the pages' Content-Security-Policy allows a
    form's redirect there."""
    return _endpoint_origins(cached_metadata_xml(provider))


def _config(
    providers: list[SAMLProvider], acs_urls: dict[str, str], sls_urls: dict[str, str] | None = None
) -> SPConfig:
    sls = sls_urls or {}
    config = SPConfig()
    config.load(
        {
            "entityid": settings.SAML_SP_ENTITY_ID,
            "xmlsec_binary": settings.SAML_XMLSEC_BINARY,
            "metadata": {"inline": [metadata_xml(p) for p in providers]},
            "accepted_time_diff": settings.IDP_CLOCK_SKEW,
            "allow_unknown_attributes": True,
            "service": {
                "sp": {
                    "name": "Vigie",
                    "endpoints": {
                        "assertion_consumer_service": [
                            (acs_urls[p.key], BINDING_HTTP_POST) for p in providers
                        ],
                        "single_logout_service": [
                            (sls[p.key], BINDING_HTTP_REDIRECT) for p in providers if p.key in sls
                        ],
                    },
                    "want_assertions_signed": True,
                    "want_response_signed": False,
                    "allow_unsolicited": False,
                    "authn_requests_signed": False,
                    "name_id_format_allow_create": True,
                }
            },
        }
    )
    return config


def _client(provider: SAMLProvider, acs_url: str) -> Saml2Client:
    return Saml2Client(config=_config([provider], {provider.key: acs_url}))


def sp_metadata(acs_urls: dict[str, str], sls_urls: dict[str, str]) -> str:
    """Vigie's own metadata (entityID, one assertion consumer URL and one log-out URL per
    provider), for the federations' registration forms."""
    providers = [p for p in settings.SAML_PROVIDERS if p.key in acs_urls]
    return str(entity_descriptor(_config(providers, acs_urls, sls_urls)))


def begin(provider: SAMLProvider, acs_url: str) -> tuple[str, str]:
    """The provider's sign-in URL (an AuthnRequest by HTTP-Redirect), and the request's ID,
    which the answer must name (kept in the session)."""
    try:
        request_id, info = _client(provider, acs_url).prepare_for_authenticate(
            entityid=provider.entity_id, binding=BINDING_HTTP_REDIRECT
        )
    except (UnknownPrincipal, UnsupportedBinding, ValueError) as error:
        raise SignInRefused(provider, "metadata_invalid") from error
    location = dict(info["headers"])["Location"]
    return str(location), str(request_id)


def complete(
    provider: SAMLProvider, saml_response: str, *, acs_url: str, request_id: str | None
) -> Identity:
    """Check the provider's answer (see the module's docstring): a checked Identity, or a
    SignInRefused naming the check that failed."""
    outstanding = {request_id: acs_url} if request_id else {}
    try:
        response = _client(provider, acs_url).parse_authn_request_response(
            saml_response,
            BINDING_HTTP_POST,
            outstanding=outstanding,
            conv_info={"entity_id": settings.SAML_SP_ENTITY_ID},
        )
    except UnsolicitedResponse as error:
        raise SignInRefused(provider, "unsolicited") from error
    except SignatureError as error:
        unsigned = "missing" in str(error).lower()
        raise SignInRefused(provider, "unsigned" if unsigned else "signature") from error
    except Exception as error:  # pysaml2 raises bare Exceptions for audience and conditions
        log.info("SAML answer refused: %s", error)
        raise SignInRefused(provider, _reason(error)) from error
    if response is None:
        # pysaml2 drops an answer whose Destination is not one of Vigie's addresses.
        raise SignInRefused(provider, "destination")
    return _identity(provider, response, acs_url=acs_url)


def _reason(error: Exception) -> str:
    text = str(error)
    for needle, reason in (
        ("AudienceRestrictions", "audience"),
        ("recipient", "recipient"),
        ("Signature missing", "unsigned"),
        ("signature", "signature"),
        ("Condition not OK", "conditions"),
        ("too old", "expired"),
        ("Unsolicited", "unsolicited"),
    ):
        if needle.lower() in text.lower():
            return reason
    return type(error).__name__


def _first(ava: dict[str, list[Any]], name: str) -> str:
    values = ava.get(name) or []
    return str(values[0]).strip() if values and name else ""


def _identity(provider: SAMLProvider, response: AuthnResponse, *, acs_url: str) -> Identity:
    # pysaml2 leaves out the assertion of an answer addressed to another service.
    if response.response.destination and response.response.destination != acs_url:
        raise SignInRefused(provider, "destination")
    assertion = response.assertion
    if assertion is None or assertion.issuer is None:
        raise SignInRefused(provider, "missing_assertion")
    if assertion.issuer.text.strip() != provider.entity_id:
        raise SignInRefused(provider, "issuer")
    # pysaml2 accepts Vigie's entityID as a recipient too: only this provider's address is.
    for confirmation in assertion.subject.subject_confirmation:
        data = confirmation.subject_confirmation_data
        if data is None or data.recipient != acs_url:
            raise SignInRefused(provider, "recipient")
    ava: dict[str, list[Any]] = response.get_identity()
    mapping = provider.claims
    subject = _first(ava, mapping.subject) if mapping.subject else response.name_id.text
    if not subject:
        raise SignInRefused(provider, "missing_subject")
    email = _first(ava, mapping.email).lower() if mapping.email else ""
    roles = frozenset(str(v) for v in ava.get(mapping.roles, [])) if mapping.roles else frozenset()
    not_on_or_after = response.not_on_or_after or (time.time() + 3600)
    return Identity(
        provider=provider,
        subject=subject.strip(),
        first_name=_first(ava, mapping.first_name),
        last_name=_first(ava, mapping.last_name),
        birthdate=parse_birthdate(_first(ava, mapping.birthdate) if mapping.birthdate else None),
        email=email,
        email_verified=bool(email) and provider.email_verified,
        roles=roles,
        replay_key=hashlib.sha256(f"saml:{provider.key}:{assertion.id}".encode()).hexdigest(),
        valid_until=dt.datetime.fromtimestamp(int(not_on_or_after), tz=dt.UTC)
        + dt.timedelta(seconds=settings.IDP_CLOCK_SKEW),
        logout_hint=json.dumps(
            {
                "name_id": response.name_id.text,
                "format": response.name_id.format or "",
                "session_index": next(
                    (a.session_index for a in assertion.authn_statement if a.session_index), ""
                ),
            }
        ),
    )


def logout_url(provider: SAMLProvider, *, hint: str, acs_url: str, sls_url: str) -> str:
    """The provider's single log-out (a LogoutRequest by HTTP-Redirect for the NameID and
    session of this sign-in), or "" when its metadata offers none."""
    try:
        data = json.loads(hint)
        client = Saml2Client(
            config=_config([provider], {provider.key: acs_url}, {provider.key: sls_url})
        )
        services = client.metadata.single_logout_service(
            provider.entity_id, BINDING_HTTP_REDIRECT, "idpsso"
        )
    except (ValueError, TypeError, SignInRefused):
        return ""
    if not services:
        return ""
    destination = services[0]["location"]
    _request_id, request = client.create_logout_request(
        destination,
        provider.entity_id,
        name_id=NameID(text=data["name_id"], format=data["format"] or None),
        session_indexes=[data["session_index"]] if data["session_index"] else None,
    )
    info = client.apply_binding(BINDING_HTTP_REDIRECT, str(request), destination)
    return str(dict(info["headers"])["Location"])


def logout_succeeded(
    provider: SAMLProvider, saml_response: str, *, acs_url: str, sls_url: str
) -> bool:
    """Whether the provider's LogoutResponse says its session ended (Success)."""
    client = Saml2Client(
        config=_config([provider], {provider.key: acs_url}, {provider.key: sls_url})
    )
    try:
        response = client.parse_logout_request_response(saml_response, BINDING_HTTP_REDIRECT)
    except Exception:  # pysaml2 raises bare Exceptions; the Vigie session is over anyway
        log.info("SAML LogoutResponse from %s not understood", provider.key)
        return False
    return bool(response is not None and response.status_ok())


def warm(provider: SAMLProvider) -> None:
    """Read the metadata now (the log-in page), so its endpoints are known."""
    try:
        metadata_xml(provider)
    except SignInRefused:
        log.warning("SAML provider %s: metadata unreachable", provider.key)
