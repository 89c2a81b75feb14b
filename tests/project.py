"""What the project's modules define at their top level, found by walking its apps: the
guards of tests/test_private_apis.py and tests/test_answer_writes.py check every compiled
query and every compiled write, including those added later."""

import importlib
import pkgutil
from typing import Any

from django.conf import settings

# The layers, from the bottom up: `lib` (plain modules), then the installed apps in their
# order; `vigie`, the project, above them all.
LAYERS = ("lib", *settings.VIGIE_APPS)
APPS = [*LAYERS, "vigie"]
# Entry points that build the ASGI/WSGI application or start servers when imported.
SKIPPED = {"vigie.asgi", "vigie.wsgi", "vigie.serving"}


def module_level(kind: type) -> dict[str, Any]:
    """`module.NAME` → each object of this type defined at the top of a module of Vigie."""
    found = {}
    for app in APPS:
        package = importlib.import_module(app)
        for module in pkgutil.walk_packages(package.__path__, f"{app}."):
            if ".migrations" in module.name or module.name in SKIPPED:
                continue
            for name, value in vars(importlib.import_module(module.name)).items():
                if isinstance(value, kind):
                    found[f"{module.name}.{name}"] = value
    return found
