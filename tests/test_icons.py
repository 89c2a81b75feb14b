"""Icons are SVG files shipped with Vigie (`{% icon %}`, lib/icons.py), never emoji: a phone
without an emoji font showed « ⏱ » as an empty box (issue 13)."""

import re
from pathlib import Path

import pytest
from django.template import Context, Template

from lib.icons import ICONS, icon_html

ROOT = Path(__file__).resolve().parent.parent
# Pictographs, dingbats, arrows-and-symbols blocks, variation selector 16, and the glyphs
# Vigie used to show (✓ ✗ ⚠ ⏱ ▶ ■).
EMOJI = re.compile("[\u2300-\u23ff\u25a0-\u25ff\u2600-\u27bf\ufe0f\U0001f000-\U0001faff]")


def _shipped_sources() -> list[Path]:
    files = [*(ROOT / "templates").rglob("*.html"), *(ROOT / "static" / "vigie").rglob("*.js")]
    files += [*(ROOT / "static" / "vigie").rglob("*.css")]
    return files


def test_it_ships_no_emoji_in_any_template_script_or_style():
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in _shipped_sources()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if EMOJI.search(line)
    ]
    assert found == []


def test_it_ships_every_icon_a_template_names():
    named = {
        name
        for path in (ROOT / "templates").rglob("*.html")
        for name in re.findall(r'{% icon "([a-z0-9-]+)"', path.read_text(encoding="utf-8"))
    }
    named |= {"check", "play", "stop", "timer", "warning", "eye-off"}  # invigilation/rows.py
    assert named <= {path.stem for path in ICONS.glob("*.svg")}


def test_it_labels_a_meaningful_icon_and_hides_a_decorative_one():
    labelled = Template('{% icon "timer" label=label %}').render(
        Context({"label": 'Temps "écoulé" <b>'})
    )
    assert labelled.startswith(
        '<svg class="icon" role="img" aria-label="Temps &quot;écoulé&quot; &lt;b&gt;"'
    )
    decorative = Template('{% icon "timer" %}').render(Context())
    assert 'aria-hidden="true"' in decorative and "aria-label" not in decorative
    assert decorative.rstrip().endswith("</svg>")


@pytest.mark.parametrize("name", ["nope", "../settings", "Timer", ""])
def test_it_refuses_an_icon_it_does_not_ship(name):
    with pytest.raises(ValueError):
        icon_html(name)
