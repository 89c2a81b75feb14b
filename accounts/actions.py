from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import Centre, User
from audit.events import record_event
from audit.tags import Tag


@transaction.atomic
def do_register(data: dict[str, Any]) -> User:
    return User.objects.create_user(
        email=data["email"],
        password=data["password"],
        first_name=data["first_name"],
        last_name=data["last_name"],
        terms_accepted_at=timezone.now(),
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
