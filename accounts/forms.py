from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import ratelimit
from accounts.models import Centre, User
from lib.freetext import FreeTextForm
from lib.text import has_letter

# Per e-mail, in ratelimit.WINDOW (15 minutes); per address: ratelimit.SCHOOL_ADDRESS_LIMIT.
LOGIN_LIMIT = 10
LOGIN_LOCKED = gettext_lazy("Trop de tentatives de connexion. Réessayez dans 15 minutes.")
RESET_LIMIT_PER_EMAIL = 5
RESET_LOCKED = gettext_lazy(
    "Trop de demandes de réinitialisation du mot de passe. Réessayez dans 15 minutes."
)


NO_LETTER = gettext_lazy("Ce nom doit contenir au moins une lettre.")


def person_name(value: str) -> str:
    """A person's name as typed, spaces collapsed; refused without a letter
    (`lib.text.has_letter`). Every form where a name enters uses it: sign-up, candidate
    (page, API, imports) and joining a session."""
    value = " ".join(value.split())
    if not has_letter(value):
        raise forms.ValidationError(NO_LETTER)
    return value


class RegistrationForm(FreeTextForm, forms.Form):
    """Seed 003: « Tous les champs sont obligatoires »."""

    first_name = forms.CharField(label=gettext_lazy("Prénom"), max_length=150)
    last_name = forms.CharField(label=gettext_lazy("Nom"), max_length=150)
    email = forms.EmailField(
        label=gettext_lazy("Adresse e-mail (ex. : nom@exemple.fr)"),
        error_messages={"invalid": gettext_lazy("Saisissez une adresse e-mail valide.")},
    )
    password = forms.CharField(
        label=gettext_lazy(
            "Mot de passe (8 caractères minimum, dont une majuscule, une minuscule et un chiffre)"
        ),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    accept_terms = forms.BooleanField(
        label=gettext_lazy(
            "J'accepte les conditions d'utilisation et la politique de confidentialité de Vigie"
        ),
        error_messages={
            "required": gettext_lazy("Vous devez accepter les conditions d'utilisation.")
        },
    )

    def clean_first_name(self) -> str:
        return person_name(self.cleaned_data["first_name"])

    def clean_last_name(self) -> str:
        return person_name(self.cleaned_data["last_name"])

    def clean_email(self) -> str:
        # Whether the address already has an account is not said here: the answer would
        # tell anyone which addresses have one. accounts.actions.do_request_registration
        # answers the same for both and writes to the address instead.
        return str(self.cleaned_data["email"]).strip().lower()

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        password = data.get("password")
        if password:
            candidate = User(
                email=data.get("email", ""),
                first_name=data.get("first_name", ""),
                last_name=data.get("last_name", ""),
            )
            try:
                password_validation.validate_password(str(password), candidate)
            except forms.ValidationError as error:
                self.add_error("password", error)
        return data


def _address(request: HttpRequest | None) -> str | None:
    return request.META.get("REMOTE_ADDR") if request else None


class LockedOutAfterFailures(FreeTextForm, AuthenticationForm):
    """Failed log-ins are counted per e-mail (10 in 15 minutes lock out, even with the right
    password) and per address (a school's limit). The site's and the Django admin's log-in
    forms share the counters, so guessing on one locks the other too."""

    def clean(self) -> dict[str, object]:
        email = str(self.cleaned_data.get("username") or "").strip().lower()
        rules = [ratelimit.Rule(f"login:email:{email}", LOGIN_LIMIT)] if email else []
        rules += ratelimit.per_address("login", _address(self.request))
        # The admin's form also refuses a right password of a non-staff account as
        # « invalid_login »: that counts as a failure there.
        with ratelimit.attempt(
            rules,
            locked=forms.ValidationError(LOGIN_LOCKED, code="too_many_attempts"),
            failures=lambda error: (
                isinstance(error, forms.ValidationError) and error.code == "invalid_login"
            ),
        ):
            return super().clean()


class LoginForm(LockedOutAfterFailures):
    username = forms.EmailField(
        label=gettext_lazy("Adresse e-mail"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
    error_messages = {
        "invalid_login": gettext_lazy(
            "L'adresse e-mail et/ou le mot de passe saisis sont incorrects."
        ),
        "inactive": gettext_lazy("Ce compte est désactivé."),
    }


class AdminLoginForm(LockedOutAfterFailures, AdminAuthenticationForm):
    """The Django admin's log-in (staff only), with the site's lock-out."""


class PasswordResetForm(FreeTextForm, auth_forms.PasswordResetForm):
    """Reset requests are counted per e-mail typed and per address: 5 per e-mail (no mail
    bombing of one inbox) and a school's limit per address (no spraying) in 15 minutes.

    Every request counts, whether an account exists or not, so the lock-out message depends
    only on how often this e-mail or this address was used and reveals nothing about
    accounts; otherwise the page is the same « e-mail sent » for both. A message rather than
    a silent « e-mail sent » page: a real user learns why no e-mail comes, and when to retry."""

    def __init__(self, *args: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request = request

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        email = str(data.get("email") or "").strip().lower()
        if not email:
            return data
        rules = [ratelimit.Rule(f"reset:email:{email}", RESET_LIMIT_PER_EMAIL)]
        rules += ratelimit.per_address("reset", _address(self.request))
        if not ratelimit.take(rules):
            raise forms.ValidationError(RESET_LOCKED, code="too_many_attempts")
        return data


class CentreForm(FreeTextForm, forms.ModelForm):
    class Meta:
        model = Centre
        fields = ["name", "type", "time_zone", "sos_campaign_code", "candidate_password_sign_in"]
        labels = {
            "name": gettext_lazy("Nom du centre"),
            "type": gettext_lazy("Type"),
            "time_zone": gettext_lazy("Fuseau horaire"),
            "sos_campaign_code": gettext_lazy("Code de la campagne « SOS élève non certifiable »"),
            "candidate_password_sign_in": gettext_lazy(
                "Les candidats peuvent se connecter avec un mot de passe Vigie"
            ),
        }
        help_texts = {
            "sos_campaign_code": gettext_lazy(
                "Facultatif. Imprimé dans le kit surveillant, pour un élève qui se révèle non certifiable."
            ),
            "candidate_password_sign_in": gettext_lazy(
                "Décochez pour que vos candidats se connectent uniquement avec le compte de "
                "votre établissement (ENT, GAR) pour rejoindre une session et commencer leur "
                "test. Les surveillants et l'Espace Surveillant ne changent pas."
            ),
        }

    def clean_sos_campaign_code(self) -> str:
        code: str = self.cleaned_data["sos_campaign_code"].strip().upper()
        if code and not code.isalnum():
            raise forms.ValidationError(_("Le code ne contient que des lettres et des chiffres."))
        return code
