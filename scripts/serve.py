"""Serve Vigie in production: N uvicorn workers on one port (README, « Production »).

    DEBUG=false SECRET_KEY=… DATABASE_URL=postgres://… REDIS_URL=redis://… \
        python scripts/serve.py --workers 2 --port 8000

Before the workers start it runs Django's deployment checks, the migrations and
collectstatic (compressed, cache-busted files that WhiteNoise serves from memory-mapped
files with far-future cache headers); `--skip-setup` leaves those to a release step.
Workers share nothing but PostgreSQL and Redis: a balancer may send any request or
WebSocket to any worker, and a worker that dies is restarted by uvicorn's supervisor.
Health: GET /healthz (process alive), GET /readyz (database and channel layer reachable).
"""

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("WEB_CONCURRENCY", str(os.cpu_count() or 1))),
        help="uvicorn worker processes (default: WEB_CONCURRENCY or the number of CPUs)",
    )
    parser.add_argument(
        "--skip-setup", action="store_true", help="no checks, migrations nor collectstatic"
    )
    return parser.parse_args(argv)


def manage(*args: str) -> None:
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], cwd=ROOT, check=True)  # noqa: S603


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    # Production unless told otherwise: settings then refuse the default secret key and
    # turn on secure cookies, HSTS and JSON logs.
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigie.settings")
    if not os.environ.get("REDIS_URL") and args.workers > 1:
        sys.exit("REDIS_URL is required with several workers: live events must reach them all.")
    if not args.skip_setup:
        manage("check", "--deploy", "--fail-level", "ERROR")
        manage("migrate", "--noinput")
        manage("collectstatic", "--noinput", "--verbosity", "0")
    sys.path.insert(0, str(ROOT))
    import django
    import uvicorn

    from vigie.serving import HeaderTimeoutProtocol, run_workers

    django.setup()  # reads the settings (refusing unsafe ones) and configures logging
    # Several workers: each listens on a socket of its own (vigie/serving.py).
    serve = run_workers if args.workers > 1 else uvicorn.run
    serve(
        "vigie.asgi:application",
        host=args.host,
        port=args.port,
        workers=args.workers,
        lifespan="off",  # Django has no lifespan handler
        http=HeaderTimeoutProtocol,  # httptools, closing connections that never send their headers
        log_config=None,  # uvicorn's loggers go through Django's LOGGING (JSON lines)
        proxy_headers=True,  # trust X-Forwarded-* from FORWARDED_ALLOW_IPS (default local)
        timeout_graceful_shutdown=20,
        # Events are ~200-byte JSON: compressing them saves nothing on the wire and costs a
        # zlib context per socket (memory) and per message (CPU), on both ends.
        ws_per_message_deflate=False,
    )


if __name__ == "__main__":
    main()
