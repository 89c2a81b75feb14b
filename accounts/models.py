from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from lib.framework import COMPETENCE_CODES, MAX_LEVEL, is_certifiable


class UserManager(BaseUserManager):  # type: ignore[type-arg]
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: object) -> "User":
        if not email:
            raise ValueError("An e-mail address is required.")
        email = self.normalize_email(email).lower()
        user: User = self.model(email=email, **extra)  # type: ignore[assignment]
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractUser):
    """Anyone with an account: candidate, invigilator, centre member or jury (staff).

    Candidate and invigilator are not stored roles: any user can join a session as a
    candidate or open the Espace Surveillant with a session's number and password.
    """

    username = None  # type: ignore[assignment,misc]
    # None for an account created by an identity provider that gives no address (the GAR
    # gives none for pupils): such an account signs in only through its provider.
    email = models.EmailField(_("adresse e-mail"), unique=True, null=True, blank=True)  # type: ignore[assignment]
    terms_accepted_at = models.DateTimeField(_("CGU acceptées le"), null=True, blank=True)
    # Seed 003: data kept « 5 ans maximum à compter du dernier accès au compte »
    # (accounts/actions.py do_purge_unused_accounts): warned, then deleted or anonymized.
    retention_warned_at = models.DateTimeField(null=True, blank=True)
    anonymized_at = models.DateTimeField(null=True, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []  # type: ignore[misc]

    objects = UserManager()  # type: ignore[misc,assignment]

    class Meta:
        verbose_name = _("utilisateur")

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name} <{self.email or '-'}>"

    @property
    def is_jury(self) -> bool:
        return self.is_staff

    def competence_levels(self) -> dict[str, int]:
        return {c.competence: c.level for c in self.competences.all()}

    def is_certifiable(self) -> bool:
        return is_certifiable(self.competence_levels())


class CompetenceLevel(models.Model):
    """A competence level reached on the user's profile (positioning before certification)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="competences")
    competence = models.CharField(max_length=4, choices=[(c, c) for c in COMPETENCE_CODES])
    level = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "competence"], name="one_level_per_competence"),
            models.CheckConstraint(
                condition=models.Q(level__lte=MAX_LEVEL), name="competence_level_max"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.competence}: {self.level}"


class Centre(models.Model):
    class Type(models.TextChoices):
        SCHOOL = "SCO", _("Établissement scolaire")
        UNIVERSITY = "SUP", _("Enseignement supérieur")
        PROFESSIONAL = "PRO", _("Organisme professionnel")

    class TimeZone(models.TextChoices):
        PARIS = "Europe/Paris", _("France métropolitaine")
        GUADELOUPE = "America/Guadeloupe", _("Guadeloupe")
        MARTINIQUE = "America/Martinique", _("Martinique")
        GUYANE = "America/Cayenne", _("Guyane")
        REUNION = "Indian/Reunion", _("La Réunion")
        MAYOTTE = "Indian/Mayotte", _("Mayotte")
        SPM = "America/Miquelon", _("Saint-Pierre-et-Miquelon")
        NOUVELLE_CALEDONIE = "Pacific/Noumea", _("Nouvelle-Calédonie")
        POLYNESIE = "Pacific/Tahiti", _("Polynésie française")
        WALLIS = "Pacific/Wallis", _("Wallis-et-Futuna")

    name = models.CharField(_("nom"), max_length=200)
    type = models.CharField(_("type"), max_length=3, choices=Type.choices)
    time_zone = models.CharField(
        _("fuseau horaire"), max_length=40, choices=TimeZone.choices, default=TimeZone.PARIS
    )
    sos_campaign_code = models.CharField(
        _("code de la campagne « SOS élève non certifiable »"), max_length=20, blank=True
    )
    # Off: the centre's candidates sign in through their school's identity provider (ENT,
    # GAR) to join and start; a Vigie password is then not enough.
    candidate_password_sign_in = models.BooleanField(
        _("les candidats peuvent se connecter avec un mot de passe Vigie"), default=True
    )
    members: "models.ManyToManyField[User, Membership]" = models.ManyToManyField(
        User, through="Membership", related_name="centres"
    )

    class Meta:
        verbose_name = _("centre de certification")

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        ADMIN = "admin", _("Administrateur")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.ADMIN)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "centre"], name="one_membership_per_centre")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.centre} ({self.role})"


class RateLimitCounter(models.Model):
    """Attempts at a rate-limited action (log-in, session password, access code…) under one
    key, like `supervise:user:12` or `supervise:ip:…`, in the window ending at `until`;
    shared by every worker through the database (accounts/ratelimit.py)."""

    key = models.CharField(max_length=200, primary_key=True)
    until = models.DateTimeField(db_index=True)
    count = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.key}: {self.count} until {self.until:%H:%M:%S}"


class ExternalIdentity(models.Model):
    """A Vigie account's link to a person at an identity provider (OpenID Connect or SAML):
    that provider's `subject` (the ID token's `sub`, the assertion's NameID or the attribute
    configured) signs in to `user`. What the provider said of the person at the last sign-in
    is kept: the join form offers it, the account page shows it."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="identities")
    # The provider's key in OIDC_PROVIDERS / SAML_PROVIDERS.
    provider = models.CharField(_("fournisseur d'identité"), max_length=40)
    subject = models.CharField(_("identifiant chez le fournisseur"), max_length=255)
    first_name = models.CharField(_("prénom"), max_length=150, blank=True)
    last_name = models.CharField(_("nom"), max_length=150, blank=True)
    birthdate = models.DateField(_("date de naissance"), null=True, blank=True)
    email = models.CharField(_("adresse e-mail"), max_length=254, blank=True)
    created_at = models.DateTimeField(_("lié le"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("dernière connexion"), null=True, blank=True)

    class Meta:
        verbose_name = _("compte lié")
        constraints = [
            models.UniqueConstraint(fields=["provider", "subject"], name="one_account_per_subject"),
            models.UniqueConstraint(fields=["user", "provider"], name="one_link_per_provider"),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.subject} → {self.user_id}"


class UsedAssertion(models.Model):
    """An ID token or a SAML assertion already used to sign in, kept until it expires (plus
    the clock skew): presented again, it is a replay and is refused. `key` is a SHA-256 of
    the provider and the token's nonce or the assertion's ID."""

    key = models.CharField(max_length=64, primary_key=True)
    until = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.key[:12]}… until {self.until:%H:%M:%S}"
