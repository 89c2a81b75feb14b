import datetime as dt

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import ratelimit
from accounts.models import Centre, User

LOGIN_LIMIT = 10
LOGIN_WINDOW = dt.timedelta(minutes=15)


class RegistrationForm(forms.Form):
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
        return " ".join(self.cleaned_data["first_name"].split())

    def clean_last_name(self) -> str:
        return " ".join(self.cleaned_data["last_name"].split())

    def clean_email(self) -> str:
        email: str = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("Cette adresse e-mail est déjà utilisée."))
        return email

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


class LoginForm(AuthenticationForm):
    username = forms.EmailField(
        label=gettext_lazy("Adresse e-mail"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
    error_messages = {
        "invalid_login": gettext_lazy(
            "L'adresse e-mail et/ou le mot de passe saisis sont incorrects."
        ),
        "inactive": gettext_lazy("Ce compte est désactivé."),
        "too_many_attempts": gettext_lazy(
            "Trop de tentatives de connexion. Réessayez dans 15 minutes."
        ),
    }

    def clean(self) -> dict[str, object]:
        """Failed log-ins are counted per e-mail and per address: 10 in 15 minutes lock out,
        even with the right password."""
        email = str(self.cleaned_data.get("username") or "").strip().lower()
        ip = self.request.META.get("REMOTE_ADDR") if self.request else None
        keys = ([f"login:email:{email}"] if email else []) + ([f"login:ip:{ip}"] if ip else [])
        if ratelimit.is_limited(keys, limit=LOGIN_LIMIT, window=LOGIN_WINDOW):
            raise forms.ValidationError(
                self.error_messages["too_many_attempts"], code="too_many_attempts"
            )
        try:
            return super().clean()
        except forms.ValidationError as error:
            if error.code == "invalid_login":
                ratelimit.hit(keys)
            raise


class CentreForm(forms.ModelForm):
    class Meta:
        model = Centre
        fields = ["name", "type", "time_zone", "sos_campaign_code"]
        labels = {
            "name": gettext_lazy("Nom du centre"),
            "type": gettext_lazy("Type"),
            "time_zone": gettext_lazy("Fuseau horaire"),
            "sos_campaign_code": gettext_lazy("Code de la campagne « SOS élève non certifiable »"),
        }
        help_texts = {
            "sos_campaign_code": gettext_lazy(
                "Facultatif. Imprimé dans le kit surveillant, pour un élève qui se révèle non certifiable."
            ),
        }

    def clean_sos_campaign_code(self) -> str:
        code: str = self.cleaned_data["sos_campaign_code"].strip().upper()
        if code and not code.isalnum():
            raise forms.ValidationError(_("Le code ne contient que des lettres et des chiffres."))
        return code
