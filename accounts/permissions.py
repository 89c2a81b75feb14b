"""Roles → permissions, in one table. Views and access functions ask for a permission,
never for a role.

Names follow `<scope>:<resource>:<action>`. Keep the enum alphabetized.
"""

from enum import StrEnum


class Permission(StrEnum):
    CENTRE_CANDIDATE_MANAGE = "centre:candidate:manage"
    CENTRE_DOCUMENT_DOWNLOAD = "centre:document:download"
    CENTRE_RESULTS_EXPORT = "centre:results:export"
    CENTRE_SETTINGS_MANAGE = "centre:settings:manage"
    CENTRE_SESSION_CREATE = "centre:session:create"
    CENTRE_SESSION_FINALIZE = "centre:session:finalize"
    CENTRE_SESSION_MANAGE = "centre:session:manage"
    CENTRE_SESSION_READ_SECRETS = "centre:session:read-secrets"
    CENTRE_SESSION_VIEW = "centre:session:view"
    INVIGILATION_SESSION_SUPERVISE = "invigilation:session:supervise"
    JURY_REPORT_RESOLVE = "jury:report:resolve"
    JURY_SESSION_ASSIGN = "jury:session:assign"
    JURY_SESSION_PUBLISH = "jury:session:publish"
    JURY_SESSION_REVIEW = "jury:session:review"


class Role(StrEnum):
    CENTRE_ADMIN = "centre-admin"
    # Anyone who entered the session's number and password (one InvigilatorAccess row).
    INVIGILATOR = "invigilator"
    JURY = "jury"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.CENTRE_ADMIN: frozenset(
        {
            Permission.CENTRE_CANDIDATE_MANAGE,
            Permission.CENTRE_DOCUMENT_DOWNLOAD,
            Permission.CENTRE_RESULTS_EXPORT,
            Permission.CENTRE_SETTINGS_MANAGE,
            Permission.CENTRE_SESSION_CREATE,
            Permission.CENTRE_SESSION_FINALIZE,
            Permission.CENTRE_SESSION_MANAGE,
            Permission.CENTRE_SESSION_READ_SECRETS,
            Permission.CENTRE_SESSION_VIEW,
            Permission.INVIGILATION_SESSION_SUPERVISE,
        }
    ),
    Role.INVIGILATOR: frozenset({Permission.INVIGILATION_SESSION_SUPERVISE}),
    Role.JURY: frozenset(
        {
            Permission.JURY_REPORT_RESOLVE,
            Permission.JURY_SESSION_ASSIGN,
            Permission.JURY_SESSION_PUBLISH,
            Permission.JURY_SESSION_REVIEW,
        }
    ),
}

# A centre membership's role (accounts.Membership.Role) → the role in this table.
MEMBERSHIP_ROLES = {"admin": Role.CENTRE_ADMIN}


def permissions_for(roles: set[Role]) -> frozenset[Permission]:
    granted: set[Permission] = set()
    for role in roles:
        granted |= ROLE_PERMISSIONS[role]
    return frozenset(granted)
