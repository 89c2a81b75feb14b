"""Real identity providers on the loopback, started and configured by the test suite:
node's `oidc-provider` (tests/idp/oidc_provider.mjs) for OpenID Connect and a SAML 2.0
identity provider built on node's `samlp` (tests/idp/saml_idp.js). Both come from npm
(package.json; `make install-test` installs them), nothing is mocked: Vigie fetches their
discovery document, metadata and keys and exchanges codes over HTTP like in production.

`sign_in_oidc` / `sign_in_saml` drive the provider's pages with an HTTP client (the browser
tests use Chromium instead) and hand the provider's answer to Vigie's test client.
"""

import datetime as dt
import json
import re
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.test import Client
from django.urls import reverse

from lib.identity_providers import ClaimMapping, OIDCProvider, SAMLProvider

ROOT = Path(__file__).resolve().parents[1]
IDP_DIR = ROOT / "tests" / "idp"
NODE = "node"

# People at the test providers (the ENT's spelling: capitals, no accents).
OIDC_ACCOUNTS: dict[str, dict[str, Any]] = {
    "jf-delafontaine": {
        "given_name": "JEAN-FRANCOIS",
        "family_name": "DE LA FONTAINE",
        "birthdate": "2008-03-14",
        "email": "jean-francois.delafontaine@ent.example",
        "email_verified": True,
    },
    "lea-dupont": {
        # The address of an existing Vigie account, which the provider does not vouch for.
        "given_name": "Léa",
        "family_name": "Dupont",
        "birthdate": "2008-05-02",
        "email": "eleve@lycee.fr",
        "email_verified": False,
    },
    "lea-dupont-verified": {
        "given_name": "Léa",
        "family_name": "Dupont",
        "birthdate": "2008-05-02",
        "email": "eleve@lycee.fr",
        "email_verified": True,
    },
    "m-martin": {
        "given_name": "Marc",
        "family_name": "Martin",
        "email": "marc.martin@ent.example",
        "email_verified": True,
    },
    "jury-ent": {
        "given_name": "Julie",
        "family_name": "Rey",
        "email": "julie.rey@ent.example",
        "email_verified": True,
        "roles": ["jury"],
    },
    "sans-email": {"given_name": "Nour", "family_name": "Benali", "birthdate": "2008-01-09"},
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class NodeServer:
    """A node script serving on a free loopback port until stop()."""

    def __init__(self, script: str, config: dict[str, Any], workdir: Path) -> None:
        self.port = free_port()
        config = {**config, "port": self.port}
        workdir.mkdir(parents=True, exist_ok=True)
        config_file = workdir / f"{Path(script).stem}-{self.port}.json"
        config_file.write_text(json.dumps(config), encoding="utf-8")
        self.process = subprocess.Popen(  # noqa: S603 - our own script
            [NODE, str(IDP_DIR / script), str(config_file)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert self.process.stdout is not None
        deadline = time.monotonic() + 30
        line = ""
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if line.startswith("ready "):
                self.url = line.split()[1]
                return
            if not line and self.process.poll() is not None:
                break
        self.stop()
        raise RuntimeError(f"{script} did not start: {line}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


@dataclass
class OIDCTestProvider:
    key: str
    label: str
    server: NodeServer
    client_id: str = "vigie"
    client_secret: str = "secret-de-test-vigie-0123456789"
    grants: frozenset[str] = field(default_factory=frozenset)

    @property
    def issuer(self) -> str:
        return self.server.url

    def config(self, **changes: Any) -> OIDCProvider:
        values: dict[str, Any] = {
            "key": self.key,
            "label": self.label,
            "issuer": self.issuer,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "scopes": "openid email profile roles",
            "claims": ClaimMapping(roles="roles"),
            "grants": self.grants,
        }
        values.update(changes)
        return OIDCProvider(**values)

    def tamper(self, mode: str, **options: Any) -> None:
        """The next token response carries a doctored ID token (tests/idp/oidc_provider.mjs)."""
        response = requests.post(
            f"{self.issuer}/__test__/tamper", json={"mode": mode, **options}, timeout=5
        )
        response.raise_for_status()

    def last_id_token(self) -> str:
        return str(requests.get(f"{self.issuer}/__test__/last", timeout=5).json()["id_token"])


def start_oidc_provider(
    key: str,
    label: str,
    redirect_bases: list[str],
    workdir: Path,
    *,
    grants: frozenset[str] = frozenset(),
    id_token_ttl: int = 600,
) -> OIDCTestProvider:
    client = {
        "client_id": "vigie",
        "client_secret": OIDCTestProvider.client_secret,
        "redirect_uris": [f"{base}/compte/oidc/{key}/retour/" for base in redirect_bases],
        "post_logout_redirect_uris": [f"{base}/compte/connexion/" for base in redirect_bases],
        "grant_types": ["authorization_code"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "client_secret_basic",
    }
    server = NodeServer(
        "oidc_provider.mjs",
        {"clients": [client], "accounts": OIDC_ACCOUNTS, "idTokenTTL": id_token_ttl},
        workdir,
    )
    return OIDCTestProvider(key=key, label=label, server=server, grants=grants)


TEST_SERVER = "http://testserver"


def follow_to_vigie(session: requests.Session, response: requests.Response) -> str:
    """Follow the provider's redirects until one goes back to Vigie; that URL's path."""
    for _hop in range(10):
        location = response.headers.get("Location", "")
        if not location:
            raise AssertionError(
                f"no redirect back to Vigie: {response.status_code} {response.url}"
            )
        if location.startswith(TEST_SERVER):
            parts = urlsplit(location)
            return f"{parts.path}?{parts.query}"
        response = session.get(
            requests.compat.urljoin(response.url, location), allow_redirects=False, timeout=10
        )
    raise AssertionError("too many redirects")


def oidc_authorize(client: Client, provider: OIDCTestProvider, login: str) -> str:
    """Vigie's « Se connecter avec … », then the person signs in at the provider: the URL
    the provider sends the browser back to (Vigie's callback, with its code and state)."""
    start = client.post(reverse("accounts:provider_sign_in", args=[provider.key]))
    assert start.status_code == 302, start.content[:500]
    assert start["Location"].startswith(provider.issuer)
    session = requests.Session()
    page = session.get(start["Location"], timeout=10)
    assert page.status_code == 200, page.text[:500]
    action = re.search(r'action="([^"]+)"', page.text)
    assert action, page.text[:500]
    answer = session.post(
        requests.compat.urljoin(page.url, action.group(1)),
        data={"login": login},
        allow_redirects=False,
        timeout=10,
    )
    return follow_to_vigie(session, answer)


def sign_in_oidc(client: Client, provider: OIDCTestProvider, login: str) -> Any:
    """The whole sign-in: Vigie's answer to the provider's redirect."""
    return client.get(oidc_authorize(client, provider, login))


# --- SAML 2.0 --------------------------------------------------------------------------------

# People at the test SAML provider, with the GAR's kind of attributes (no e-mail for pupils).
SAML_USERS: dict[str, dict[str, str]] = {
    "gar-7f3a9c": {
        "prenom": "JEAN-FRANCOIS",
        "nom": "DE LA FONTAINE",
        "dateNaissance": "14/03/2008",
    },
    "gar-b81e44": {
        "prenom": "Léa",
        "nom": "DUPONT",
        "dateNaissance": "02/05/2008",
        "mail": "eleve@lycee.fr",
    },
}
SAML_CLAIMS = ClaimMapping(
    first_name="prenom", last_name="nom", birthdate="dateNaissance", email="mail", email_verified=""
)


def self_signed_certificate() -> tuple[str, str]:
    """A key and certificate (PEM) for the test identity provider's signatures."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "idp.test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    return key_pem, cert.public_bytes(serialization.Encoding.PEM).decode()


@dataclass
class SAMLTestProvider:
    key: str
    label: str
    server: NodeServer

    @property
    def entity_id(self) -> str:
        return f"{self.server.url}/metadata"

    def config(self, **changes: Any) -> SAMLProvider:
        values: dict[str, Any] = {
            "key": self.key,
            "label": self.label,
            "metadata_url": self.entity_id,
            "entity_id": self.entity_id,
            "claims": SAML_CLAIMS,
        }
        values.update(changes)
        return SAMLProvider(**values)

    def next_response(self, **options: Any) -> None:
        """Options for the provider's next answer only (tests/idp/saml_idp.js)."""
        requests.post(
            f"{self.server.url}/__test__/next", json=options, timeout=5
        ).raise_for_status()

    def logouts(self) -> list[str]:
        return list(requests.get(f"{self.server.url}/__test__/logouts", timeout=5).json())

    def last_response(self) -> dict[str, str]:
        return dict(requests.get(f"{self.server.url}/__test__/last", timeout=5).json())


def start_saml_provider(
    key: str, label: str, workdir: Path, *, vigie: str = TEST_SERVER
) -> SAMLTestProvider:
    """`vigie`: the Vigie it serves (its entityID and log-out URL follow from it)."""
    key_pem, cert_pem = self_signed_certificate()
    sp_logout = {f"{vigie}/compte/saml/metadata/": f"{vigie}/compte/saml/{key}/sls/"}
    server = NodeServer(
        "saml_idp.js",
        {"cert": cert_pem, "key": key_pem, "users": SAML_USERS, "spLogout": sp_logout},
        workdir,
    )
    return SAMLTestProvider(key=key, label=label, server=server)


def saml_authorize(
    client: Client,
    provider: SAMLTestProvider,
    login: str,
    session: requests.Session | None = None,
) -> dict[str, str]:
    """Vigie's « Se connecter avec … », then the person signs in at the provider: the form
    the provider's page posts back to Vigie ({"SAMLResponse", "RelayState"}). `session`:
    the browser's cookies at the provider (its own session)."""
    start = client.post(reverse("accounts:provider_sign_in", args=[provider.key]))
    assert start.status_code == 302, start.content[:500]
    assert start["Location"].startswith(f"{provider.server.url}/sso?SAMLRequest=")
    session = session or requests.Session()
    page = session.get(start["Location"], timeout=10)
    assert page.status_code == 200, page.text[:500]
    action = re.search(r'action="([^"]+)"', page.text)
    assert action, page.text[:500]
    answer = session.post(
        requests.compat.urljoin(page.url, action.group(1)), data={"login": login}, timeout=10
    )
    assert answer.status_code == 200, answer.text[:500]
    target = re.search(r'<form method="post" action="([^"]+)"', answer.text)
    assert target and target.group(1) == f"{TEST_SERVER}/compte/saml/{provider.key}/acs/"
    fields = dict(re.findall(r'name="(SAMLResponse|RelayState)" value="([^"]*)"', answer.text))
    return fields


def post_saml(client: Client, provider_key: str, fields: dict[str, str]) -> Any:
    """The provider's answer posted to Vigie, then relayed by Vigie's page (as its script
    does) to the step that checks it."""
    relay = client.post(reverse("accounts:saml_acs", args=[provider_key]), fields)
    assert relay.status_code == 200
    return client.post(reverse("accounts:saml_continue", args=[provider_key]), fields)


def sign_in_saml(
    client: Client,
    provider: SAMLTestProvider,
    login: str,
    session: requests.Session | None = None,
) -> Any:
    return post_saml(client, provider.key, saml_authorize(client, provider, login, session))


def idp_metadata(entity_id: str, sso_url: str, cert_pem: str) -> str:
    """A SAML identity provider's metadata, for tests that never reach the provider."""
    body = "".join(line for line in cert_pem.splitlines() if "-----" not in line)
    return f"""<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"
    xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{entity_id}">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data>
      <ds:X509Certificate>{body}</ds:X509Certificate>
    </ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
        Location="{sso_url}"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>"""
