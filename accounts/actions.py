from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import User


@transaction.atomic
def do_register(data: dict[str, Any]) -> User:
    return User.objects.create_user(
        email=data["email"],
        password=data["password"],
        first_name=data["first_name"],
        last_name=data["last_name"],
        terms_accepted_at=timezone.now(),
    )
