"""The Espace Surveillant's height on a phone (issue 16): the 25-candidate demo session
(`manage.py demo`) at 360 × 740, in CSS pixels and in screens, at the candidates' arrival
(no presence confirmed) and once every presence is confirmed; and the widest element.

    .venv/bin/python bench/es_page_height.py --label after

Runs on a fresh SQLite file; writes bench/results/es-page-height-<label>.json.
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WIDTH, HEIGHT = 360, 740


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--label", required=True)
    parser.add_argument("--screenshots", help="a folder for full-page screenshots")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="vigie-height-")
    os.environ["DATABASE_URL"] = f"sqlite:///{folder}/vigie.sqlite3"
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], check=True, cwd=ROOT)  # noqa: S603
    subprocess.run([*manage, "demo"], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)  # noqa: S603
    sys.path.insert(0, str(ROOT))
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigie.settings")
    django.setup()
    import uvicorn
    from django.test import Client
    from django.utils import timezone
    from playwright.sync_api import sync_playwright

    from accounts.models import User
    from exams.models import ExamSession
    from invigilation.models import InvigilatorAccess

    session = max(ExamSession.objects.all(), key=lambda s: s.candidates.count())
    admin = User.objects.get(email="admin@vigie.test")
    InvigilatorAccess.objects.get_or_create(session=session, user=admin, via="membership")
    client = Client()
    client.force_login(admin)

    # A free port, so that several worktrees can run the benchmark at once.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config("vigie.asgi:application", host="127.0.0.1", port=port, log_level="warning")
    )
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    results: dict[str, object] = {
        "label": args.label,
        "session_candidates": session.candidates.count(),
        "viewport": [WIDTH, HEIGHT],
    }
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
        )
        context = browser.new_context(
            viewport={"width": WIDTH, "height": HEIGHT}, is_mobile=True, locale="fr-FR"
        )
        context.add_cookies(
            [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base}]
        )
        page = context.new_page()
        for state in ("arrival", "all_confirmed"):
            if state == "all_confirmed":
                session.candidates.update(authorized_to_start_at=timezone.now())
            page.goto(f"{base}/surveillance/sessions/{session.pk}/")
            page.wait_for_timeout(1500)
            height = page.evaluate("document.documentElement.scrollHeight")
            widest = page.evaluate(
                "Math.max(...[...document.querySelectorAll('body *')]"
                ".map(e => e.getBoundingClientRect().right))"
            )
            if args.screenshots:
                page.screenshot(
                    path=f"{args.screenshots}/es-{args.label}-{state}.png", full_page=True
                )
            results[state] = {
                "height_px": height,
                "screens": round(height / HEIGHT, 2),
                "widest_right_px": round(widest, 1),
            }
        browser.close()
    server.should_exit = True
    out = ROOT / "bench" / "results" / f"es-page-height-{args.label}.json"
    out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
