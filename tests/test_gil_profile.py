"""bench/gil_profile.py: py-spy's raw samples summed by function, as the docs quote them."""

from pathlib import Path

import pytest

from bench.gil_profile import shares

RAW = """\
_bootstrap (threading.py:1002);run (/x/.venv/lib/python3.11/site-packages/asgiref/sync.py:562);do_answer (certification/actions.py:478);select_next (certification/irt.py:212) 6
_bootstrap (threading.py:1002);run (/x/.venv/lib/python3.11/site-packages/asgiref/sync.py:570);do_answer (certification/actions.py:536);estimate (certification/irt.py:119) 2
run (asyncio/runners.py:118) 2
a line py-spy did not finish
"""


def test_it_sums_the_samples_by_function_whatever_the_line(tmp_path: Path) -> None:
    raw = tmp_path / "worker.txt"
    raw.write_text(RAW)
    result = shares(raw)
    assert result["samples"] == 10
    assert result["inclusive_percent"] == {
        "_bootstrap (threading.py)": 80.0,
        "run (asgiref/sync.py)": 80.0,
        "do_answer (certification/actions.py)": 80.0,
        "select_next (certification/irt.py)": 60.0,
        "estimate (certification/irt.py)": 20.0,
        "run (asyncio/runners.py)": 20.0,
    }
    assert result["self_percent"] == {
        "select_next (certification/irt.py)": 60.0,
        "estimate (certification/irt.py)": 20.0,
        "run (asyncio/runners.py)": 20.0,
    }


def test_it_gives_the_shares_within_one_frame_and_says_when_there_is_none(tmp_path: Path) -> None:
    raw = tmp_path / "worker.txt"
    raw.write_text(RAW)
    within = shares(raw, "estimate (")
    assert within["samples"] == 2
    assert within["self_percent"] == {"estimate (certification/irt.py)": 100.0}
    with pytest.raises(SystemExit, match="no sample"):
        shares(raw, "render (")
