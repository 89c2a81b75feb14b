"""Identity providers are read from the environment (lib/identity_providers.py): several of
each kind, every piece of the README's table, and a malformed value stops the process."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from lib.identity_providers import (
    ClaimMapping,
    read_clock_skew,
    read_oidc_providers,
    read_saml_providers,
)


@pytest.fixture
def env(monkeypatch):
    for name in ("OIDC_PROVIDERS", "SAML_PROVIDERS", "IDP_CLOCK_SKEW"):
        monkeypatch.delenv(name, raising=False)

    def set_env(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setenv(name, value)

    return set_env


def test_it_reads_several_openid_connect_providers(env, tmp_path):
    secret = tmp_path / "ent.secret"
    secret.write_text("s3cret\n", encoding="utf-8")
    env(
        OIDC_PROVIDERS="ent,academie",
        OIDC_ENT_ISSUER="https://ent.example/",
        OIDC_ENT_CLIENT_ID="vigie",
        OIDC_ENT_CLIENT_SECRET_FILE=str(secret),
        OIDC_ENT_LABEL="ENT Hauts-de-France",
        OIDC_ENT_SCOPES="openid profile",
        OIDC_ENT_CLAIM_BIRTHDATE="date_naissance",
        OIDC_ENT_CLAIM_ROLES="groups",
        OIDC_ACADEMIE_ISSUER="https://auth.ac-lille.example",
        OIDC_ACADEMIE_CLIENT_ID="vigie-lille",
        OIDC_ACADEMIE_CLIENT_SECRET="autre",
        OIDC_ACADEMIE_GRANTS="jury",
        OIDC_ACADEMIE_LOGOUT="false",
    )
    ent, academie = read_oidc_providers()
    assert (ent.key, ent.label, ent.issuer, ent.client_secret) == (
        "ent",
        "ENT Hauts-de-France",
        "https://ent.example",
        "s3cret",
    )
    assert ent.scopes == "openid profile"
    assert ent.claims == ClaimMapping(birthdate="date_naissance", roles="groups")
    assert ent.grants == frozenset() and ent.logout
    assert academie.grants == frozenset({"jury"}) and not academie.logout
    assert academie.label == "ACADEMIE"


def test_it_reads_a_saml_provider(env, tmp_path):
    metadata = tmp_path / "gar.xml"
    metadata.write_text("<md:EntityDescriptor/>", encoding="utf-8")
    env(
        SAML_PROVIDERS="gar",
        SAML_GAR_METADATA_FILE=str(metadata),
        SAML_GAR_ENTITY_ID="https://idp.gar.example",
        SAML_GAR_CLAIM_FIRST_NAME="PRE",
        SAML_GAR_CLAIM_LAST_NAME="NOM",
        SAML_GAR_CLAIM_SUBJECT="IDO",
        SAML_GAR_EMAIL_VERIFIED="true",
    )
    (gar,) = read_saml_providers()
    assert gar.metadata_file == str(metadata) and gar.entity_id == "https://idp.gar.example"
    assert (gar.claims.subject, gar.claims.first_name, gar.claims.last_name) == (
        "IDO",
        "PRE",
        "NOM",
    )
    assert gar.claims.email == "mail" and gar.email_verified


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"OIDC_PROVIDERS": "ENT!"}, "is not a provider key"),
        ({"OIDC_PROVIDERS": "ent,ent"}, "listed twice"),
        ({"OIDC_PROVIDERS": "ent"}, "OIDC_ENT_ISSUER must be set"),
        (
            {"OIDC_PROVIDERS": "ent", "OIDC_ENT_ISSUER": "http://ent.example"},
            "must be an https:// URL",
        ),
        (
            {
                "OIDC_PROVIDERS": "ent",
                "OIDC_ENT_ISSUER": "https://ent.example",
                "OIDC_ENT_CLIENT_ID": "v",
            },
            "CLIENT_SECRET_FILE",
        ),
        (
            {
                "OIDC_PROVIDERS": "ent",
                "OIDC_ENT_ISSUER": "https://ent.example",
                "OIDC_ENT_CLIENT_ID": "v",
                "OIDC_ENT_CLIENT_SECRET": "s",
                "OIDC_ENT_SCOPES": "email profile",
            },
            "must include openid",
        ),
        (
            {
                "OIDC_PROVIDERS": "ent",
                "OIDC_ENT_ISSUER": "https://ent.example",
                "OIDC_ENT_CLIENT_ID": "v",
                "OIDC_ENT_CLIENT_SECRET": "s",
                "OIDC_ENT_GRANTS": "jury,admin",
            },
            "unknown roles ['admin']",
        ),
        ({"SAML_PROVIDERS": "gar"}, "set one of _METADATA_FILE or _METADATA_URL"),
        (
            {
                "SAML_PROVIDERS": "gar",
                "SAML_GAR_METADATA_URL": "https://gar.example/md",
                "SAML_GAR_METADATA_FILE": "/etc/gar.xml",
            },
            "set one of",
        ),
        (
            {"SAML_PROVIDERS": "gar", "SAML_GAR_METADATA_FILE": "/nonexistent/gar.xml"},
            "no such file",
        ),
        (
            {"SAML_PROVIDERS": "gar", "SAML_GAR_METADATA_URL": "http://gar.example/md"},
            "must be an https:// URL",
        ),
        (
            {"SAML_PROVIDERS": "gar", "SAML_GAR_METADATA_URL": "https://gar.example/md"},
            "SAML_GAR_ENTITY_ID must be set",
        ),
    ],
)
def test_a_malformed_configuration_stops_the_process(env, values, message):
    env(**values)
    with pytest.raises(ImproperlyConfigured, match=message.replace("[", r"\[").replace("]", r"\]")):
        read_oidc_providers()
        read_saml_providers()


def test_the_clock_skew_is_bounded(env):
    assert read_clock_skew() == 60
    env(IDP_CLOCK_SKEW="300")
    assert read_clock_skew() == 300
    env(IDP_CLOCK_SKEW="301")
    with pytest.raises(ImproperlyConfigured, match="<= 300"):
        read_clock_skew()
