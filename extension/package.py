"""Build the store packages:
`python extension/package.py --origin https://vigie.example.fr` → dist/vigie-companion-<version>.zip.

The same zip is accepted by the Chrome Web Store and by addons.mozilla.org (Manifest V3
with `browser_specific_settings.gecko`). The content script runs only on the Vigie origins
the package is built for (`--origin`, repeatable; seed 001 issue 20: never on every HTTPS
page a pupil visits); the manifest in this folder lists only the loopback, for development.
Run `python extension/package.py --check` to validate the manifest without writing
anything.
"""

import argparse
import json
import sys
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

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
    for script in manifest.get("content_scripts", []):
        for pattern in script.get("matches", []):
            host = pattern.split("://", 1)[1].split("/", 1)[0] if "://" in pattern else "*"
            if "*" in host:
                problems.append(f"content script on too many pages: {pattern}")
    if problems:
        sys.exit("\n".join(problems))
    return manifest


def match_pattern(origin: str) -> str:
    """« https://vigie.lycee.fr » → « https://vigie.lycee.fr/* »; refuses anything but an
    https origin with a host and no wildcard (http only for the loopback)."""
    parts = urlsplit(origin.strip())
    loopback = parts.hostname in ("127.0.0.1", "localhost")
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        sys.exit(f"not an https origin: {origin}")
    if not parts.netloc or "*" in parts.netloc or parts.path not in ("", "/"):
        sys.exit(f"not an origin (scheme://host[:port]): {origin}")
    return f"{parts.scheme}://{parts.netloc}/*"


def for_origins(manifest: dict, origins: list[str]) -> dict:
    """The manifest whose content script runs only on these Vigie origins."""
    built = json.loads(json.dumps(manifest))
    for script in built["content_scripts"]:
        script["matches"] = [match_pattern(origin) for origin in origins]
    return built


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--out", default=str(HERE.parent / "dist"))
    parser.add_argument(
        "--origin",
        action="append",
        default=[],
        help="a Vigie origin the content script runs on (https://…); repeat for several",
    )
    args = parser.parse_args()
    manifest = check()
    if args.check:
        print(f"manifest OK (version {manifest['version']})")
        return
    if not args.origin:
        sys.exit("give the Vigie origin(s) the package is for: --origin https://…")
    built = for_origins(manifest, args.origin)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"vigie-companion-{manifest['version']}.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(HERE.rglob("*")):
            relative = path.relative_to(HERE)
            if path.is_file() and relative.name not in ("package.py", "README.md"):
                if relative.as_posix() == "manifest.json":
                    archive.writestr("manifest.json", json.dumps(built, indent=2) + "\n")
                else:
                    archive.write(path, relative.as_posix())
    print(target)


if __name__ == "__main__":
    main()
