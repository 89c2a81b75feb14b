"""Build the store packages: `python extension/package.py` → dist/vigie-companion-<version>.zip.

The same zip is accepted by the Chrome Web Store and by addons.mozilla.org (Manifest V3
with `browser_specific_settings.gecko`). Run `python extension/package.py --check` to
validate the manifest without writing anything.
"""

import argparse
import json
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
FILES = ["manifest.json", "content.js", "popup.html", "popup.js", "popup.css"]


def check() -> dict:
    manifest = json.loads((HERE / "manifest.json").read_text(encoding="utf-8"))
    problems = []
    if manifest.get("manifest_version") != 3:
        problems.append("manifest_version must be 3")
    for path in list(manifest.get("icons", {}).values()) + FILES:
        if not (HERE / path).is_file():
            problems.append(f"missing file: {path}")
    for script in manifest.get("content_scripts", []):
        for path in script.get("js", []):
            if not (HERE / path).is_file():
                problems.append(f"missing content script: {path}")
    if "gecko" not in manifest.get("browser_specific_settings", {}):
        problems.append("Firefox needs browser_specific_settings.gecko.id")
    if problems:
        sys.exit("\n".join(problems))
    return manifest


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--out", default=str(HERE.parent / "dist"))
    args = parser.parse_args()
    manifest = check()
    if args.check:
        print(f"manifest OK (version {manifest['version']})")
        return
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"vigie-companion-{manifest['version']}.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(HERE.rglob("*")):
            relative = path.relative_to(HERE)
            if path.is_file() and relative.name not in ("package.py", "README.md"):
                archive.write(path, relative.as_posix())
    print(target)


if __name__ == "__main__":
    main()
