"""Writes on accounts and centres: signing up (a link sent by e-mail, the account created
when it is used) and a centre's settings."""

import datetime as dt
import json
from typing import Any

from cryptography.fernet import InvalidToken
from django.contrib.auth.hashers import make_password
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import ratelimit
from accounts.models import Centre, User
from audit.events import record_event
from audit.tags import Tag
from lib import crypto

SIGN_UP_LIMIT_PER_EMAIL = 5  # per e-mail typed, in ratelimit.WINDOW (15 minutes)
SIGN_UP_LINK_VALIDITY = dt.timedelta(days=7)
_PURPOSE = "vigie:sign-up"


class SignUpError(Exception):
    status = 400
    code = "invalid"
    message: Any = ""

    def __init__(self) -> None:
        super().__init__(str(self.message))


class TooManySignUps(SignUpError):
    status, code = 429, "too_many_attempts"
    message = _("Trop de demandes d'inscription. Réessayez dans 15 minutes.")


class InvalidSignUpLink(SignUpError):
    status, code = 400, "invalid_link"
    message = _(
        "Ce lien d'activation n'est pas valable ou a expiré (il sert pendant 7 jours). "
        "Inscrivez-vous à nouveau."
    )


class AccountAlreadyActive(SignUpError):
    status, code = 409, "account_exists"
    message = _("Ce compte est déjà activé : connectez-vous.")


def sign_up_token(data: dict[str, Any], *, password_hash: str) -> str:
    """The sign-up as an encrypted, dated token: the account exists only once the owner of
    the address opens the link, so nobody can take someone else's address. Encrypted (Fernet,
    lib/crypto.py) because it carries the password's hash."""
    return crypto.encrypt(
        json.dumps(
            {
                "purpose": _PURPOSE,
                "email": data["email"],
                "first_name": data["first_name"],
                "last_name": data["last_name"],
                "password": password_hash,
                "terms_accepted_at": timezone.now().isoformat(),
            }
        )
    )


def read_sign_up_token(token: str) -> dict[str, str]:
    """The sign-up a link carries; InvalidSignUpLink when forged, altered or expired."""
    try:
        payload = json.loads(crypto.decrypt(token, ttl=int(SIGN_UP_LINK_VALIDITY.total_seconds())))
    except (InvalidToken, ValueError) as error:
        raise InvalidSignUpLink from error
    if not isinstance(payload, dict) or payload.get("purpose") != _PURPOSE:
        raise InvalidSignUpLink
    return payload


def do_request_registration(data: dict[str, Any], *, ip: str | None, site_url: str) -> None:
    """« Je m'inscris »: the same answer whether the address has an account or not, so the
    form tells nobody which addresses do. The owner of the address gets an e-mail either way:
    the activation link for a new address, « someone tried to create an account with your
    address » for one that has an account. The password is hashed in both cases, so the
    time taken does not tell either.

    Counted per e-mail typed (5 in 15 minutes: no mail bombing of one inbox) and per address
    (a school's limit: a class signs up together), whether the address has an account or not.
    `site_url` (scheme and host the visitor used, like the password-reset e-mail) starts the
    links.
    """
    rules = [ratelimit.Rule(f"sign-up:email:{data['email']}", SIGN_UP_LIMIT_PER_EMAIL)]
    rules += ratelimit.per_address("sign-up", ip)
    if not ratelimit.take(rules):
        raise TooManySignUps
    password_hash = make_password(data["password"])
    # Nothing typed at sign-up goes into the e-mail: the address may be someone else's.
    context: dict[str, Any] = {}
    if User.objects.filter(email__iexact=data["email"]).exists():
        template = "accounts/sign_up_existing_email"
        context["login_url"] = site_url + reverse("accounts:login")
        context["reset_url"] = site_url + reverse("accounts:password_reset")
    else:
        template = "accounts/sign_up_confirm_email"
        token = sign_up_token(data, password_hash=password_hash)
        context["link"] = site_url + reverse("accounts:register_confirm", args=[token])
        context["days"] = SIGN_UP_LINK_VALIDITY.days
    subject = render_to_string(f"{template}_subject.txt", context).strip()
    send_mail(subject, render_to_string(f"{template}.txt", context), None, [data["email"]])


@transaction.atomic
def do_confirm_registration(token: str) -> User:
    """The link of the activation e-mail: creates the account as it was typed at sign-up.
    Used twice, or after the address got an account another way: AccountAlreadyActive."""
    payload = read_sign_up_token(token)
    if User.objects.filter(email__iexact=payload["email"]).exists():
        raise AccountAlreadyActive
    user = User(
        email=payload["email"],
        first_name=payload["first_name"],
        last_name=payload["last_name"],
        password=payload["password"],
        terms_accepted_at=dt.datetime.fromisoformat(payload["terms_accepted_at"]),
    )
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as error:  # the same link opened twice at once
        raise AccountAlreadyActive from error
    # When the terms were accepted is what a data-protection question will ask.
    record_event(
        Tag.Person.ACCOUNT_CREATE,
        actor=user,
        session=None,
        terms_accepted_at=payload["terms_accepted_at"],
    )
    return user


@transaction.atomic
def do_update_centre(centre: Centre, data: dict[str, Any], *, actor: User) -> Centre:
    # Re-read: a ModelForm bound to `centre` has already copied the new values onto it.
    centre = Centre.objects.select_for_update().get(pk=centre.pk)
    before = {field: getattr(centre, field) for field in data}
    for field, value in data.items():
        setattr(centre, field, value)
    centre.save(update_fields=list(data))
    changed = {k: v for k, v in data.items() if before[k] != v}
    if changed:
        record_event(
            Tag.Centre.CENTRE_UPDATE,
            actor=actor,
            session=None,
            centre=centre.pk,
            before={k: before[k] for k in changed},
            after=changed,
        )
    return centre
