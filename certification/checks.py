from typing import Any

from django.core.checks import Error, register

from certification.bank import BankError


@register()
def item_bank_check(app_configs: Any, **kwargs: Any) -> list[Error]:
    """A broken item bank stops `manage.py check` (and `make run`) with every problem listed."""
    from certification import engine

    engine.get_bank.cache_clear()
    try:
        engine.get_bank()
    except BankError as error:
        return [Error(message, id="vigie.E001") for message in error.errors]
    return []
