"""The apps import one another in one direction only (pyproject.toml's layers contract), and
no import is deferred into a function to dodge a circle. Run by `make test` (so by CI) as
well as `make lint`."""

import re
import subprocess
import sys
from pathlib import Path

from tests.project import LAYERS

ROOT = Path(__file__).resolve().parent.parent
APPS = LAYERS
DEFERRED = re.compile(rf"^\s+(from|import) ({'|'.join(APPS)})\b")


def test_it_keeps_the_layers_contract():
    """lint-imports exits 0 only when no app imports from an app above it."""
    lint = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run(  # noqa: S603 - our own venv's lint-imports
        [str(lint), "--no-logo", "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_it_has_no_import_of_an_app_deferred_into_a_function():
    """`from exams… ` indented inside a function is how a circle hides; there must be none.
    The benchmark scripts import models after setting Django up, which is not an app."""
    files = [
        path
        for path in ROOT.rglob("*.py")
        if not {".venv", "node_modules", "migrations", "bench"} & set(path.relative_to(ROOT).parts)
    ]
    deferred = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in files
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if DEFERRED.match(line)
    ]
    assert deferred == []
