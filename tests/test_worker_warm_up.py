"""A worker reads what every start needs before its first request (issue 17: at nine
o'clock every room starts at once)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_it_reads_the_item_bank_when_the_worker_loads_the_application():
    code = (
        "import vigie.asgi; from certification import engine; "
        "print(engine.get_bank.cache_info().currsize, '_by_id' in engine.get_bank().__dict__)"
    )
    done = subprocess.run(  # noqa: S603 - our interpreter
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-2:] == ["1", "True"]
