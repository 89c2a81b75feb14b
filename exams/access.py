"""The only way views and the API load a protected object for a user.

Each condition sits on its own line so the tests can prove every branch.
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404

from accounts.models import Centre, Membership, User
from accounts.permissions import MEMBERSHIP_ROLES, Permission, Role, permissions_for
from exams.models import Candidate, ExamSession, PlatformToken
from lib.prepared import Prepared

# Read on every request of the Espace Surveillant (a fetch per live event): compiled once.
_ROLES: Prepared[Any] = Prepared(
    lambda user_id, centre_id: Membership.objects.filter(
        user_id=user_id, centre_id=centre_id
    ).values_list("role"),
    kinds=(int, int),
)


def roles_in_centre(user: User, centre_id: int) -> set[Role]:
    roles: set[Role] = set()
    if not user.is_authenticated:
        return roles
    for (membership_role,) in _ROLES.rows(user.pk, centre_id):
        roles.add(MEMBERSHIP_ROLES[membership_role])
    return roles


def has_centre_permission(user: User, centre_id: int, permission: Permission) -> bool:
    return permission in permissions_for(roles_in_centre(user, centre_id))


def access_centre(user: User, centre_id: int, permission: Permission) -> Centre:
    """A centre the user belongs to; 404 for a non-member so centres cannot be enumerated."""
    if not user.is_authenticated:
        raise Http404
    roles = roles_in_centre(user, centre_id)
    if not roles:
        raise Http404
    if permission not in permissions_for(roles):
        raise PermissionDenied
    return Centre.objects.get(pk=centre_id)


def access_platform_token(user: User, centre_id: int, token_id: int) -> PlatformToken:
    """One of the centre's platform tokens, for its admin (CENTRE_SETTINGS_MANAGE); 404 for a
    token of another centre, as for a centre the user is not a member of."""
    centre = access_centre(user, centre_id, Permission.CENTRE_SETTINGS_MANAGE)
    token = PlatformToken.objects.filter(pk=token_id, centre=centre).first()
    if token is None:
        raise Http404
    return token


def access_session_by_centre_member(
    user: User, session_id: int, permission: Permission
) -> ExamSession:
    try:
        session = ExamSession.objects.select_related("centre").get(pk=session_id)
    except ExamSession.DoesNotExist:
        raise Http404 from None
    access_centre(user, session.centre_id, permission)
    return session


def access_candidate_by_centre_member(
    user: User, candidate_id: int, permission: Permission
) -> Candidate:
    try:
        candidate = Candidate.objects.select_related("session__centre").get(pk=candidate_id)
    except Candidate.DoesNotExist:
        raise Http404 from None
    access_centre(user, candidate.session.centre_id, permission)
    return candidate


# --- The jury (staff) reaches finalized sessions -----------------------------------------


def jury_roles(user: User) -> set[Role]:
    if not user.is_authenticated:
        return set()
    return {Role.JURY} if user.is_jury else set()


def has_jury_permission(user: User, permission: Permission) -> bool:
    return permission in permissions_for(jury_roles(user))


def access_session_by_jury(user: User, session_id: int, permission: Permission) -> ExamSession:
    """A session the centre finalized; 404 for a non-jury user or a session not finalized."""
    if not has_jury_permission(user, permission):
        raise Http404
    session = (
        ExamSession.objects.select_related("centre", "assigned_officer")
        .filter(pk=session_id)
        .first()
    )
    if session is None:
        raise Http404
    if session.finalized_at is None:
        raise Http404
    return session


def access_centre_for_levels(auth: object, centre_id: int) -> Centre:
    """The centre whose pupils' levels the caller may read and send: its own platform (a
    token not revoked, authenticated by the API) or a member who manages candidates; 404
    for any other centre."""
    if isinstance(auth, PlatformToken):
        if auth.centre_id != centre_id:
            raise Http404
        return auth.centre
    assert isinstance(auth, User)
    return access_centre(auth, centre_id, Permission.CENTRE_CANDIDATE_MANAGE)
