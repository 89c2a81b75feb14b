from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from accounts.models import User
from lib.prepared import Prepared

# Every request loads its user: compiled once (lib/prepared.py).
_USER = Prepared(lambda pk: User.objects.filter(pk=pk))


class EmailBackend(ModelBackend):
    """Log in with the e-mail address, whatever its case."""

    def authenticate(  # type: ignore[override]
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: object,
    ) -> User | None:
        email = (username or str(kwargs.get("email") or "")).strip().lower()
        if not email or password is None:
            return None
        try:
            user = User.objects.get(email__iexact=email)
        except User.DoesNotExist:
            # Hash anyway so timing does not reveal which addresses have an account.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def get_user(self, user_id: int) -> User | None:  # type: ignore[override]
        user = _USER.first(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


class IdentityProviderBackend(EmailBackend):
    """The backend a sign-in through an identity provider logs in with (accounts/views.py):
    it authenticates nothing by itself (the provider did, accounts/oidc.py and saml.py), and
    the session remembers it, so Vigie knows how this session was opened."""

    def authenticate(  # type: ignore[override]
        self, request: HttpRequest | None, **kwargs: object
    ) -> User | None:
        return None
