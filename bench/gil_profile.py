"""Where a running worker's Python CPU goes: py-spy's samples of the thread holding the GIL,
summed by function (inclusive and self), request threads and event loop together.

    # a worker of a running benchmark (bench/cpu_per_answer.py, bench/load/run.py):
    python bench/gil_profile.py --pid $(pgrep -f spawn_main | head -1) --seconds 40
    # or samples recorded before (py-spy record --gil --format raw -o worker.txt):
    python bench/gil_profile.py --raw worker.txt --within "do_answer (certification/actions.py"

cProfile (bench/profile_requests.py --profile) inflates code made of many small calls (the
item ranking, the templates) and sees neither the event loop nor the other threads; a
sampler outside the process does neither (docs/scaling.md, « One hop less per event »).
`--gil` keeps only the samples of the thread holding the GIL: the worker's Python CPU, not
its threads waiting for PostgreSQL. py-spy comes with the `dev` extra.
"""

import argparse
import collections
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# "run (asyncio/runners.py:118)" → "run (asyncio/runners.py)": one line per function.
_LINE = re.compile(r":\d+\)$")
_SITE = re.compile(r" \(/[^ ]*?/site-packages/")


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--pid", type=int, help="sample this process now")
    source.add_argument("--raw", type=Path, help="py-spy's raw (collapsed) output")
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--rate", type=int, default=100, help="samples per second")
    parser.add_argument("--within", default="", help="only the samples with this frame")
    parser.add_argument("--top", type=int, default=60)
    parser.add_argument("--out", type=Path, help="also write the shares as JSON")
    return parser.parse_args()


def record(pid: int, seconds: int, rate: int) -> Path:
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    raw = Path(tempfile.mkdtemp()) / f"gil-{pid}.txt"
    command = [spy, "record", "--pid", str(pid), "--duration", str(seconds), "--rate"]
    command += [str(rate), "--gil", "--nonblocking", "--format", "raw", "-o", str(raw)]
    subprocess.run(command, check=True, capture_output=True)  # noqa: S603 - our arguments
    return raw


def shares(raw: Path, within: str = "") -> dict[str, object]:
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit() or (within and within not in stack):
            continue
        frames = [_LINE.sub(")", _SITE.sub(" (", f)) for f in stack.split(";")]
        total += int(count)
        own[frames[-1]] += int(count)
        for frame in set(frames):
            inclusive[frame] += int(count)
    if not total:
        raise SystemExit(f"no sample in {raw}" + (f" with {within!r}" if within else ""))
    return {
        "samples": total,
        "within": within,
        "inclusive_percent": {f: round(100 * n / total, 1) for f, n in inclusive.most_common()},
        "self_percent": {f: round(100 * n / total, 1) for f, n in own.most_common()},
    }


def main() -> None:
    args = parse()
    raw = args.raw or record(args.pid, args.seconds, args.rate)
    result = shares(raw, args.within)
    print(
        f"{result['samples']} samples holding the GIL{' within ' + args.within if args.within else ''}"
    )
    for title in ("inclusive_percent", "self_percent"):
        print(f"\n{title.replace('_', ' ')}:")
        for frame, percent in list(result[title].items())[: args.top]:  # type: ignore[attr-defined]
            print(f"{percent:6.1f}  {frame}")
    if args.out:
        args.out.write_text(json.dumps({**result, "raw": str(raw)}, indent=2) + "\n")


if __name__ == "__main__":
    main()
