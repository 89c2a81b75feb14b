"""`{% icon "name" %}`: an SVG icon shipped with Vigie (static/vigie/icons/<name>.svg),
inlined in the page, never an emoji glyph the device may lack a font for (issue 13: « ⏱ »
showed as an empty box on phones without an emoji font).

    {% icon "timer" %}                          decorative: hidden from screen readers
    {% icon "warning" label=_("Attention") %}   meaningful: role="img" with its label

Registered as a template builtin (vigie/settings.py), so no `{% load %}` is needed.
Inlined rather than linked: it takes the text's colour (currentColor), costs no request on
a bad network, and scales with the font.
"""

import re
from functools import cache
from pathlib import Path

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

ICONS = Path(__file__).resolve().parent.parent / "static" / "vigie" / "icons"
_NAME = re.compile(r"^[a-z][a-z0-9-]*$")


@cache
def _svg(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"invalid icon name: {name!r}")
    path = ICONS / f"{name}.svg"
    if not path.is_file():
        raise ValueError(f"no icon named {name!r} in {ICONS}")
    return path.read_text(encoding="utf-8").strip()


def icon_html(name: str, label: str = "") -> SafeString:
    """The icon's markup: labelled for assistive technologies, or hidden from them."""
    if label:
        attrs = f'class="icon" role="img" aria-label="{escape(label)}" focusable="false"'
    else:
        attrs = 'class="icon" aria-hidden="true" focusable="false"'
    return mark_safe(_svg(name).replace("<svg ", f"<svg {attrs} ", 1))  # noqa: S308 - our files


@register.simple_tag
def icon(name: str, label: str = "") -> SafeString:
    return icon_html(name, str(label))
