"""Loading a person's own account objects."""

from django.http import Http404, HttpRequest

from accounts.identities import SESSION_IDENTITY, signed_in_with_provider
from accounts.models import ExternalIdentity, User


def access_own_identity(user: User, link_id: int) -> ExternalIdentity:
    """A link to an identity provider, only for the account it signs in to (404 otherwise,
    so links cannot be enumerated)."""
    if not user.is_authenticated:
        raise Http404
    link = ExternalIdentity.objects.filter(pk=link_id).first()
    if link is None:
        raise Http404
    if link.user_id != user.pk:
        raise Http404
    return link


def signed_in_identity(request: HttpRequest) -> ExternalIdentity | None:
    """The link this browser session signed in through, if it did (and it still exists)."""
    if not request.user.is_authenticated or not signed_in_with_provider(request):
        return None
    link_id = request.session.get(SESSION_IDENTITY)
    if not isinstance(link_id, int):
        return None
    return ExternalIdentity.objects.filter(pk=link_id, user_id=request.user.pk).first()
