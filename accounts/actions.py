"""Writes on accounts and centres: signing up (a link sent by e-mail, the account created
when it is used), signing in through an identity provider (the account found, linked or
created), removing such a link, and a centre's settings."""

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import InvalidToken
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import ratelimit
from accounts.identities import (
    AccountHasOtherLink,
    Identity,
    IdentityLinkedElsewhere,
    SignInRefused,
    UnverifiedEmailInUse,
)
from accounts.models import Centre, ExternalIdentity, UsedAssertion, User
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


# --- Signing in through an identity provider --------------------------------------------


class LinkNeedsPassword(SignInRefused):
    status, code = 409, "link_from_account_page"
    message = _(
        "Ce compte Vigie a des droits (centre de certification ou jury) : il n'est lié à un "
        "fournisseur d'identité que par son titulaire. Connectez-vous avec votre mot de passe, "
        "puis liez votre compte depuis la page « Mon compte »."
    )


class AccountDisabled(SignInRefused):
    status, code = 403, "inactive"
    message = _("Ce compte est désactivé.")


class LastWayToSignIn(Exception):
    message = _(
        "Ce lien est votre seul moyen de vous connecter à Vigie : choisissez d'abord un mot "
        "de passe (« Mot de passe oublié ? » sur la page de connexion), puis retirez-le."
    )


def _is_privileged(user: User) -> bool:
    return bool(user.is_staff or user.is_superuser or user.memberships.exists())


def _consume(identity: Identity) -> None:
    """Refuse an ID token or an assertion already used (a replay), and remember this one
    until it expires; the expired ones are forgotten on the way."""
    UsedAssertion.objects.filter(until__lt=timezone.now()).delete()
    try:
        with transaction.atomic():
            UsedAssertion.objects.create(key=identity.replay_key, until=identity.valid_until)
    except IntegrityError as error:
        raise SignInRefused(identity.provider, "replay") from error


def _link(user: User, identity: Identity, *, how: str) -> ExternalIdentity:
    try:
        with transaction.atomic():
            link = ExternalIdentity.objects.create(
                user=user, provider=identity.provider.key, subject=identity.subject
            )
    except IntegrityError as error:  # the same person signing in twice at once
        raise IdentityLinkedElsewhere(identity.provider, "linked_elsewhere") from error
    record_event(
        Tag.Person.IDENTITY_LINK,
        actor=user,
        session=None,
        provider=identity.provider.key,
        how=how,
    )
    return link


def _grant_roles(user: User, identity: Identity) -> None:
    """Roles the provider says the person holds: granted only if this provider may grant
    them (OIDC_<KEY>_GRANTS / SAML_<KEY>_GRANTS), otherwise refused and audited. A role is
    never taken away here: an administrator does that."""
    for role in sorted(identity.roles):
        if role != "jury":
            continue  # other values of the claim are the provider's own business
        if role not in identity.provider.grants:
            record_event(
                Tag.Person.ROLE_REFUSE,
                actor=user,
                session=None,
                provider=identity.provider.key,
                role=role,
            )
            continue
        if not user.is_staff:
            User.objects.filter(pk=user.pk).update(is_staff=True)
            user.is_staff = True
            record_event(
                Tag.Person.ROLE_GRANT,
                actor=user,
                session=None,
                provider=identity.provider.key,
                role=role,
            )


@transaction.atomic
def do_sign_in_with_identity(identity: Identity, *, current_user: User | None) -> ExternalIdentity:
    """The account an identity provider's person signs in to, and its link.

    - The provider's subject already linked: that account.
    - Someone signed in to Vigie (the « Lier » button of « Mon compte »): a link to that
      account — they proved both identities.
    - Otherwise an account with the same e-mail is linked only if the provider asserts the
      address verified, the account has no other link with this provider, and it holds no
      rights (centre, jury): such an account is linked by its holder from « Mon compte ».
      An unverified address that matches an account links nothing and creates nothing.
    - Otherwise a new account, with the address only if the provider verified it.
    The ID token or assertion is used once (replays refused)."""
    _consume(identity)
    key = identity.provider.key
    link = (
        ExternalIdentity.objects.select_for_update()
        .select_related("user")
        .filter(provider=key, subject=identity.subject)
        .first()
    )
    if link is not None:
        if current_user is not None and current_user.pk != link.user_id:
            raise IdentityLinkedElsewhere(identity.provider, "linked_elsewhere")
        user = link.user
    elif current_user is not None:
        user = current_user
        if user.identities.filter(provider=key).exists():
            raise AccountHasOtherLink(identity.provider, "account_has_other_link")
        link = _link(user, identity, how="signed_in")
    else:
        existing = (
            User.objects.filter(email__iexact=identity.email).first() if identity.email else None
        )
        if existing is not None:
            if not identity.email_verified:
                raise UnverifiedEmailInUse(identity.provider, "email_not_verified")
            if existing.identities.filter(provider=key).exists():
                raise AccountHasOtherLink(identity.provider, "account_has_other_link")
            if _is_privileged(existing):
                raise LinkNeedsPassword(identity.provider, "privileged_account")
            user = existing
            link = _link(user, identity, how="verified_email")
        else:
            user = User(
                email=identity.email if identity.email_verified else None,
                first_name=identity.first_name[:150],
                last_name=identity.last_name[:150],
            )
            user.set_unusable_password()
            user.save()
            record_event(Tag.Person.IDENTITY_CREATE, actor=user, session=None, provider=key)
            link = _link(user, identity, how="new_account")
    if not user.is_active:
        raise AccountDisabled(identity.provider, "inactive")
    # What the provider says today: the join form offers it, « Mon compte » shows it.
    link.first_name = identity.first_name[:150]
    link.last_name = identity.last_name[:150]
    link.birthdate = identity.birthdate
    link.email = identity.email[:254]
    link.last_used_at = timezone.now()
    link.save(update_fields=["first_name", "last_name", "birthdate", "email", "last_used_at"])
    _grant_roles(user, identity)
    record_event(Tag.Person.IDENTITY_SIGN_IN, actor=user, session=None, provider=key)
    return link


def do_record_sign_in_refusal(error: SignInRefused, *, ip: str | None) -> None:
    """A refused answer from a provider, kept in the audit trail with the check that refused
    it (signature, audience, expiry, replay…): the person sees one sentence, the trail says
    which."""
    record_event(
        Tag.Person.SIGN_IN_REFUSE,
        actor=None,
        session=None,
        provider=error.provider.key if error.provider else "",
        reason=error.reason,
        ip=ip or "",
    )


@transaction.atomic
def do_remove_identity_link(link: ExternalIdentity, *, actor: User) -> None:
    """« Retirer ce lien » on « Mon compte »: that provider no longer signs in to this
    account. Refused when it is the account's last way to sign in."""
    user = User.objects.select_for_update().get(pk=actor.pk)
    others = user.identities.exclude(pk=link.pk).exists()
    if not others and not user.has_usable_password():
        raise LastWayToSignIn
    deleted, _rows = ExternalIdentity.objects.filter(pk=link.pk, user=user).delete()
    if deleted:
        record_event(
            Tag.Person.IDENTITY_UNLINK,
            actor=user,
            session=None,
            provider=link.provider,
        )


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


# --- Unused accounts (seed 003: « 5 ans maximum à compter du dernier accès au compte ») ------

RETENTION_YEARS = 5
# Between the warning e-mail and the deletion: time to sign in and keep the account.
RETENTION_NOTICE = dt.timedelta(days=30)


@dataclass(frozen=True)
class RetentionStep:
    user_id: int
    action: str  # "warn", "delete" or "anonymize"
    last_access: dt.datetime


def _years_before(now: dt.datetime, years: int) -> dt.datetime:
    try:
        return now.replace(year=now.year - years)
    except ValueError:  # 29 February
        return now.replace(year=now.year - years, day=28)


def _last_access(user: User) -> dt.datetime:
    return max(user.last_login or user.date_joined, user.date_joined)


def _anonymize(user: User, now: dt.datetime) -> None:
    """What the archived records must keep stays (the candidate lines carry their own
    identity; tests and Espace Surveillant entries keep pointing to this row); everything
    that identifies the person goes, and nobody can sign in to it again."""
    ExternalIdentity.objects.filter(user=user).delete()
    user.competences.all().delete()
    user.memberships.all().delete()
    User.objects.filter(pk=user.pk).update(
        email=None,
        first_name="",
        last_name="",
        password=make_password(None),
        is_active=False,
        is_staff=False,
        is_superuser=False,
        terms_accepted_at=None,
        anonymized_at=now,
    )


def retention_plan(now: dt.datetime) -> list[RetentionStep]:
    """What `do_purge_unused_accounts` would do now: warn the accounts unused for 5 years,
    delete (or anonymize) those warned RETENTION_NOTICE ago and still unused. Staff accounts
    are the administrators' to manage."""
    cutoff = _years_before(now, RETENTION_YEARS)
    steps = []
    candidates = User.objects.filter(anonymized_at__isnull=True, is_staff=False).filter(
        date_joined__lte=cutoff
    )
    for user in candidates.exclude(last_login__gt=cutoff).order_by("pk"):
        last = _last_access(user)
        warned = user.retention_warned_at
        if warned is None or warned < last:
            steps.append(RetentionStep(user.pk, "warn", last))
        elif now >= warned + RETENTION_NOTICE:
            steps.append(RetentionStep(user.pk, "delete", last))
    return steps


@transaction.atomic
def do_purge_unused_accounts(*, now: dt.datetime, dry_run: bool = False) -> list[RetentionStep]:
    """Warns, then deletes the accounts unused for RETENTION_YEARS; an account the archived
    records still point to (a test taken, an Espace Surveillant entered) is anonymized
    instead. One audit row per account, naming only its number. Running it again does
    nothing more; `dry_run` only says what would happen."""
    steps = retention_plan(now)
    if dry_run:
        return steps
    done = []
    for step in steps:
        user = User.objects.select_for_update().filter(pk=step.user_id).first()
        if user is None:
            continue
        if step.action == "warn":
            User.objects.filter(pk=user.pk).update(retention_warned_at=now)
            if user.email:
                _send_retention_warning(user, now)
            record_event(
                Tag.System.ACCOUNT_WARN,
                actor=None,
                session=None,
                user=user.pk,
                last_access=step.last_access.isoformat(),
                e_mail_sent=bool(user.email),
            )
            done.append(step)
            continue
        try:
            with transaction.atomic():
                User.objects.filter(pk=user.pk).delete()
            action = "delete"
        except ProtectedError:
            _anonymize(user, now)
            action = "anonymize"
        record_event(
            Tag.System.ACCOUNT_DELETE if action == "delete" else Tag.System.ACCOUNT_ANONYMIZE,
            actor=None,
            session=None,
            user=step.user_id,
            last_access=step.last_access.isoformat(),
        )
        done.append(RetentionStep(step.user_id, action, step.last_access))
    return done


def _send_retention_warning(user: User, now: dt.datetime) -> None:
    context = {
        "user": user,
        "deadline": timezone.localdate(now + RETENTION_NOTICE),
        "site_url": settings.SITE_URL,
        "years": RETENTION_YEARS,
    }
    subject = render_to_string("accounts/retention_warning_subject.txt", context).strip()
    body = render_to_string("accounts/retention_warning.txt", context)
    email = user.email
    assert email is not None
    transaction.on_commit(lambda: send_mail(subject, body, None, [email]))
