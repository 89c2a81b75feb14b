from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register

from certification.bank import EXPOSURE_FILE, BankError, load_bank


@register()
def item_bank_check(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """A broken item bank stops `manage.py check` (and `make run`) with every problem listed;
    exposure parameters computed for other items are a warning: the engine still runs, but
    the exposure bound of docs/scoring.md no longer holds until they are recomputed."""
    # Read afresh, not through the engine's cache: the check must see the files as they are.
    try:
        bank = load_bank(settings.ITEM_BANK_DIR)
    except BankError as error:
        return [Error(message, id="vigie.E001") for message in error.errors]
    if not bank.exposure_current:
        return [
            Warning(
                f"{EXPOSURE_FILE} was computed for other items or parameters",
                hint="python scripts/simulate_adaptive.py --calibrate-exposure",
                id="vigie.W001",
            )
        ]
    return []
