from typing import Any

from django.conf import settings
from django.core.checks import Error, register

from certification.bank import BankError, load_bank


@register()
def item_bank_check(app_configs: Any, **kwargs: Any) -> list[Error]:
    """A broken item bank stops `manage.py check` (and `make run`) with every problem listed."""
    # Read afresh, not through the engine's cache: the check must see the files as they are.
    try:
        load_bank(settings.ITEM_BANK_DIR)
    except BankError as error:
        return [Error(message, id="vigie.E001") for message in error.errors]
    return []
