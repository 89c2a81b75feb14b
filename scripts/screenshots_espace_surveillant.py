"""Screenshots of the Espace Surveillant (issue 16) on the 25-candidate demo session
(`manage.py demo`), during the test: most presences confirmed, tests under way, one report
claimed by another invigilator, one waiting, one test ended, two candidates not yet
confirmed. Phone (360 × 740, its first screen and the whole page), tablet (768 × 1024) and
desktop (1280 × 800), in French.

    .venv/bin/python scripts/screenshots_espace_surveillant.py

Runs on a fresh SQLite file, in Debian's Chromium; writes docs/screenshots/es-*.png (the
README's) and the same files to static/vigie/aide/ (the in-app « Aide » page's), each
reduced to a 256-colour palette.
"""

import datetime as dt
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

# A fresh database, chosen before Django reads its settings.
ROOT = Path(__file__).resolve().parent.parent
FOLDER = tempfile.mkdtemp(prefix="vigie-shots-")
os.environ["DATABASE_URL"] = f"sqlite:///{FOLDER}/vigie.sqlite3"
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigie.settings")
sys.path.insert(0, str(ROOT))

import django  # noqa: E402

django.setup()

import uvicorn  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402
from PIL import Image  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from accounts.models import User  # noqa: E402
from certification import actions as test_actions  # noqa: E402
from certification.models import CertificationCourse, CourseStatus, LiveAlert  # noqa: E402
from exams.models import ExamSession  # noqa: E402
from invigilation.models import InvigilatorAccess  # noqa: E402

DOCS = ROOT / "docs" / "screenshots"
STATIC = ROOT / "static" / "vigie" / "aide"
SHOTS = {
    # name: (width, height, mobile, whole page)
    "es-phone-360x740": (360, 740, True, False),
    "es-phone-360x740-page": (360, 740, True, True),
    "es-tablet-768x1024": (768, 1024, True, False),
    "es-desktop-1280x800": (1280, 800, False, False),
}


def main() -> None:
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], check=True, cwd=ROOT)  # noqa: S603
    subprocess.run([*manage, "demo"], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)  # noqa: S603
    session = max(ExamSession.objects.all(), key=lambda s: s.candidates.count())
    admin = User.objects.get(email="admin@vigie.test")
    paul = User.objects.get(email="surveillant@vigie.test")
    for user in (admin, paul):
        InvigilatorAccess.objects.get_or_create(session=session, user=user, via="membership")

    # The room twenty minutes into the test.
    candidates = list(session.candidates.order_by("last_name_key", "first_name_key"))
    now = timezone.now()
    courses = {}
    for index, candidate in enumerate(candidates):
        if index in (6, 19):
            continue  # not confirmed yet: late
        test_actions.do_confirm_presence(candidate, actor=admin)
        if index in (3, 12):
            continue  # present, not started
        user = candidate.user or User.objects.create_user(
            email=f"eleve-{candidate.pk}@demo.vigie.test",
            first_name=candidate.first_name,
            last_name=candidate.last_name,
        )
        courses[index] = CertificationCourse.objects.create(
            candidate=candidate,
            user=user,
            started_at=now - dt.timedelta(minutes=20 + index % 5),
            seed=index,
            current_item_id="1.1-002",
        )
        # Started: the presence's authorization is used up, as the start does.
        type(candidate).objects.filter(pk=candidate.pk).update(authorized_to_start_at=None)
    LiveAlert.objects.create(course=courses[1], item_id="1.1-002", question_number=7)
    claimed = LiveAlert.objects.create(course=courses[10], item_id="1.1-002", question_number=12)
    test_actions.do_claim_alert(claimed, actor=paul)
    CertificationCourse.objects.filter(pk=courses[22].pk).update(
        status=CourseStatus.COMPLETED, ended_at=now - dt.timedelta(minutes=2), current_item_id=""
    )

    client = Client()
    client.force_login(admin)
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
    DOCS.mkdir(parents=True, exist_ok=True)
    STATIC.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
        )
        for name, (width, height, mobile, whole) in SHOTS.items():
            context = browser.new_context(
                viewport={"width": width, "height": height},
                is_mobile=mobile,
                has_touch=mobile,
                locale="fr-FR",
                timezone_id="Europe/Paris",
            )
            context.add_cookies(
                [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base}]
            )
            page = context.new_page()
            page.goto(f"{base}/surveillance/sessions/{session.pk}/")
            try:
                page.locator("#link-status").filter(has_text="Mises à jour en direct.").wait_for()
            except Exception:
                print(page.locator("#link-status").text_content(), page.url)
                raise
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(500)
            path = DOCS / f"{name}.png"
            page.screenshot(path=str(path), full_page=whole)
            context.close()
            # A palette of 256 colours: a tenth of the size, no visible loss on a UI.
            image = Image.open(path).convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT)
            image.save(path, optimize=True)
            shutil.copyfile(path, STATIC / path.name)
            print(
                f"{path.relative_to(ROOT)}: {image.size[0]} × {image.size[1]}, {path.stat().st_size // 1024} KB"
            )
        browser.close()
    server.should_exit = True


if __name__ == "__main__":
    main()
