"""Several workers (production command) sharing PostgreSQL and Redis: live events cross
workers, candidates move between workers, a Redis outage and a killed worker lose nothing.

Each test starts real uvicorn processes (scripts/serve.py) on the test database, with its
own redis-server so that stopping Redis disturbs nobody else.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.db import connection
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection
from websockets.sync.client import connect as ws_connect

from bench.common import free_port, start_server, wait_ready
from bench.sessions import create_session
from certification.models import Answer

pytestmark = [
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres")
        or not os.environ.get("REDIS_URL"),
        reason="several worker processes need a shared server database (PostgreSQL "
        "DATABASE_URL) and Redis (REDIS_URL); SQLite and the in-memory layer are per process",
    ),
    pytest.mark.postgres_only,
]

PROD_KEY = "multiworker-test-key-0123456789-abcdefghijklmnopqrstuvwxyz"


class RedisServer:
    """A private redis-server on a free port, which a test may stop and start again."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - a fixed local binary
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--daemonize", "no"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


@dataclass
class Cluster:
    urls: dict[str, str]
    servers: dict[str, subprocess.Popen]
    redis: RedisServer
    data: dict[str, Any]
    clients: list[httpx.Client] = field(default_factory=list)
    logs: dict[str, Path] = field(default_factory=dict)

    def candidate(self, index: int, worker: str) -> httpx.Client:
        """An HTTP client with candidate `index`'s log-in, talking to one worker."""
        return self._client(self.data["candidates"][index]["cookie"], worker)

    def invigilator(self, worker: str) -> httpx.Client:
        return self._client(self.data["invigilators"][0], worker)

    def _client(self, cookie: str, worker: str) -> httpx.Client:
        base = self.urls[worker]
        client = httpx.Client(
            base_url=base,
            cookies={"sessionid": cookie, "csrftoken": "t" * 32},
            headers={"X-CSRFToken": "t" * 32, "Origin": base},
            timeout=10,
        )
        self.clients.append(client)
        return client

    def watch(self, worker: str, cookie: str | None = None) -> ClientConnection:
        """The invigilators' push link, opened on one worker."""
        base = self.urls[worker]
        return ws_connect(
            base.replace("http", "ws") + f"/ws/surveillance/{self.data['session_id']}/",
            additional_headers={
                "Cookie": f"sessionid={cookie or self.data['invigilators'][0]}",
                "Origin": base,
            },
            open_timeout=5,
        )

    def candidate_id(self, index: int) -> int:
        return int(self.data["candidates"][index]["id"])


def _database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def worker_env(redis: RedisServer, **extra: str) -> dict[str, str]:
    """Production settings on the test database and a private Redis."""
    return {
        "DATABASE_URL": _database_url(),
        "REDIS_URL": redis.url,
        "DEBUG": "false",
        "SECRET_KEY": PROD_KEY,
        "LOG_LEVEL": "WARNING",
        "DB_POOL_MAX": "4",
        **extra,
    }


@pytest.fixture
def cluster(transactional_db, settings, tmp_path) -> Iterator[Cluster]:
    """Workers A and B (one process each, production settings) on the test database."""
    settings.SECRET_KEY = PROD_KEY  # the workers sign and check sessions with this key
    data = create_session(candidates=4, invigilators=1)
    redis = RedisServer()
    redis.start()
    env = worker_env(redis)
    urls, servers = {}, {}
    logs = {name: tmp_path / f"worker-{name}.log" for name in ("A", "B")}
    try:
        for name in ("A", "B"):
            port = free_port()
            servers[name] = start_server(port, env=env, log=logs[name].open("w"))
            urls[name] = f"http://127.0.0.1:{port}"
        for url in urls.values():
            wait_ready(url, path="/readyz")
        cluster = Cluster(urls=urls, servers=servers, redis=redis, data=data, logs=logs)
        yield cluster
        for client in cluster.clients:
            client.close()
    finally:
        for server in servers.values():
            if server.poll() is None:
                server.terminate()
            server.wait(timeout=20)
        redis.stop()


def start(client: httpx.Client, cluster: Cluster, index: int) -> tuple[int, str]:
    response = client.post(
        f"/api/certification/candidates/{cluster.candidate_id(index)}/start",
        json={"access_code": cluster.data["access_code"]},
    )
    assert response.status_code == 200, response.text
    return response.json()["course_id"], response.json()["run_token"]


def answer(client: httpx.Client, course: int, token: str) -> httpx.Response:
    """Read the current question and answer it (first choice, or « x » when free)."""
    state = client.get(f"/api/certification/courses/{course}/state", headers={"X-Run-Token": token})
    assert state.status_code == 200, state.text
    question = state.json()["question"]
    return client.post(
        f"/api/certification/courses/{course}/answers",
        json={"item_id": question["id"], "response": "x" if question["type"] == "free" else [0]},
        headers={"X-Run-Token": token},
    )


def next_event(ws: ClientConnection, op: str, timeout: float) -> dict[str, Any]:
    import json

    deadline = time.monotonic() + timeout
    while True:
        event = json.loads(ws.recv(timeout=max(0.0, deadline - time.monotonic())))
        if event.get("op") == op:
            return event
        # Issue 17: events about a row come with it (invigilation/push.py).
        for inner in event.get("events", []) if event.get("type") == "rows" else []:
            if inner.get("op") == op:
                return inner


def reconnect(cluster: Cluster, worker: str) -> ClientConnection:
    """What live.js does after a drop: try again with a growing delay until the link is up."""
    delay, deadline = 0.5, time.monotonic() + 15
    while True:
        try:
            return cluster.watch(worker)
        except InvalidStatus:
            if time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 4)


def answered_counts(client: httpx.Client, cluster: Cluster) -> dict[int, int]:
    state = client.get(f"/api/invigilation/sessions/{cluster.data['session_id']}/state")
    assert state.status_code == 200, state.text
    return {row["id"]: row["answered"] for row in state.json()["candidates"]}


def test_it_pushes_an_action_made_on_worker_b_to_an_invigilator_on_worker_a(cluster):
    """An invigilator's page on A sees within a second an answer saved through B; a candidate cannot watch."""
    with pytest.raises(InvalidStatus, match="403"):
        cluster.watch("A", cookie=cluster.data["candidates"][0]["cookie"])
    with cluster.watch("A") as ws:
        # The client offered permessage-deflate (websockets does by default, as browsers
        # do); production workers decline it: small events, and half the memory per socket.
        assert ws.protocol.extensions == []
        client = cluster.candidate(0, "B")
        course, token = start(client, cluster, 0)
        # The first event also warms the link up (imports, Redis reader); the spec is on the next.
        assert next_event(ws, "started", timeout=5.0)["candidate_id"] == cluster.candidate_id(0)
        sent = time.monotonic()
        assert answer(client, course, token).status_code == 200
        event = next_event(ws, "answered", timeout=1.0)
        assert time.monotonic() - sent < 1.0
        assert (event["candidate_id"], event["position"]) == (cluster.candidate_id(0), 1)


def test_it_lets_a_candidate_who_started_on_a_resume_on_b(cluster):
    """Workers keep no state: the same tab goes on through B, and a resume authorized on B restarts there."""
    on_a, on_b = cluster.candidate(1, "A"), cluster.candidate(1, "B")
    course, token = start(on_a, cluster, 1)
    assert answer(on_a, course, token).status_code == 200
    assert answer(on_b, course, token).status_code == 200  # same tab, balanced to B
    refused = on_b.post(
        f"/api/certification/candidates/{cluster.candidate_id(1)}/start",
        json={"access_code": cluster.data["access_code"]},
    )
    assert refused.status_code >= 400  # a new tab needs the invigilator's authorization
    authorized = cluster.invigilator("B").post(
        f"/api/invigilation/candidates/{cluster.candidate_id(1)}/authorize-resume"
    )
    assert authorized.status_code == 200, authorized.text
    resumed = on_b.post(
        f"/api/certification/candidates/{cluster.candidate_id(1)}/start",
        json={"access_code": cluster.data["access_code"]},
    )
    assert resumed.status_code == 200, resumed.text
    assert resumed.json()["resumed"] is True
    new_token = resumed.json()["run_token"]
    state = on_a.get(
        f"/api/certification/courses/{course}/state", headers={"X-Run-Token": new_token}
    ).json()
    assert (state["answered"], state["run_ok"]) == (2, True)  # same place, nothing lost
    assert answer(on_a, course, new_token).status_code == 200
    old_tab = on_b.get(f"/api/certification/courses/{course}/state", headers={"X-Run-Token": token})
    assert (old_tab.json()["run_ok"], old_tab.json()["question"]) == (False, None)  # revoked
    assert Answer.objects.filter(course_id=course).count() == 3


def test_it_keeps_candidates_answering_while_redis_is_down(cluster):
    """Redis stops: answers still save on both workers, the push link drops (pages poll), and it all resynchronizes when Redis returns."""
    invigilator = cluster.invigilator("A")
    courses = {}
    for index, worker in ((0, "A"), (1, "B")):
        client = cluster.candidate(index, worker)
        courses[index] = (client, *start(client, cluster, index))
    with cluster.watch("A") as ws:
        cluster.redis.stop()
        # The open push link is closed: the page says so and falls back to polling. (With
        # the pubsub layer nothing fails under it: the worker's probe closes it within
        # seconds, live/base.py.)
        with pytest.raises(ConnectionClosed):
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                with contextlib.suppress(TimeoutError):
                    ws.recv(timeout=1)
    with pytest.raises((InvalidStatus, ConnectionClosed)), cluster.watch("B") as refused:
        refused.recv(timeout=5)  # refused or closed at once: either way no push link
    not_ready = httpx.get(cluster.urls["A"] + "/readyz", timeout=10)
    assert not_ready.status_code == 503
    assert not_ready.json()["checks"]["channel_layer"]["ok"] is False
    for client, course, token in courses.values():
        for _ in range(2):
            assert answer(client, course, token).status_code == 200
    # Polling (the page's fallback) shows every answer saved during the outage.
    counts = answered_counts(invigilator, cluster)
    assert counts[cluster.candidate_id(0)] == counts[cluster.candidate_id(1)] == 2

    cluster.redis.start()
    wait_ready(cluster.urls["A"], path="/readyz")
    wait_ready(cluster.urls["B"], path="/readyz")
    with reconnect(cluster, "A") as ws:
        client, course, token = courses[1]  # answered through B, pushed to A
        assert answer(client, course, token).status_code == 200
        event = next_event(ws, "answered", timeout=2.0)
        assert (event["candidate_id"], event["position"]) == (cluster.candidate_id(1), 3)
    assert answered_counts(invigilator, cluster)[cluster.candidate_id(1)] == 3


def _log_messages(path: Path) -> list[str]:
    """The messages (and tracebacks) of a worker's JSON log lines."""
    import json

    lines = [json.loads(line) for line in path.read_text().splitlines() if line.startswith("{")]
    return [line["message"] + line.get("exception", "") for line in lines]


def test_it_closes_push_links_with_4503_during_a_redis_outage_and_logs_it_once(cluster):
    """Issue 13: during a Redis outage each handshake answered 500 with a full traceback in
    the log, for every reconnect of every page. Now the link is accepted and closed with
    4503 (live.js then polls and tries again later), the worker logs the outage once and
    its end once, and no traceback at all; answers saved meanwhile publish nothing noisy."""
    client = cluster.candidate(0, "A")
    course, token = start(client, cluster, 0)
    candidate_link = (
        cluster.urls["A"].replace("http", "ws") + f"/ws/candidats/{cluster.candidate_id(0)}/"
    )
    cluster.redis.stop()
    for attempt in range(6):
        if attempt % 2:
            link = ws_connect(
                candidate_link,
                additional_headers={
                    "Cookie": f"sessionid={cluster.data['candidates'][0]['cookie']}",
                    "Origin": cluster.urls["A"],
                },
                open_timeout=5,
            )
        else:
            link = cluster.watch("A")
        with link, pytest.raises(ConnectionClosed) as closed:
            link.recv(timeout=5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4503
        assert answer(client, course, token).status_code == 200  # events cannot be sent
    not_ready = httpx.get(cluster.urls["A"] + "/readyz", timeout=10)
    assert not_ready.status_code == 503

    cluster.redis.start()
    wait_ready(cluster.urls["A"], path="/readyz")
    with reconnect(cluster, "A") as ws:
        assert answer(client, course, token).status_code == 200
        assert next_event(ws, "answered", timeout=2.0)["position"] == 7
    messages = _log_messages(cluster.logs["A"])
    assert not [m for m in messages if "Traceback" in m or "Exception in ASGI" in m], messages
    outages = [m for m in messages if m.startswith("channel layer unavailable")]
    assert len(outages) == 1, messages
    assert "WebSockets closed with code 4503" in outages[0]
    assert len([m for m in messages if m.startswith("channel layer available again")]) == 1


def _terminate_database_connections() -> int:
    """What a PostgreSQL restart does to the workers' connections, without restarting the
    server others share: every backend of the test database but this test's is killed."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        killed = int(cursor.fetchone()[0])
    connection.pool.check()  # this process's idle pooled connections were killed too
    return killed


def _answer_as_the_page_does(
    client: httpx.Client, course: int, token: str, refusals: list[httpx.Response]
) -> httpx.Response:
    """test.js: read the question, send the answer; on a 503, Vigie.api sends the same
    request again a moment later (an answer sent twice is recognised as one)."""

    def retrying(send: Any) -> httpx.Response:
        for _ in range(50):
            response = send()
            if response.status_code != 503:
                return response
            refusals.append(response)
            time.sleep(0.2)
        raise AssertionError("still 503 after 10 s")

    headers = {"X-Run-Token": token}
    state = retrying(
        lambda: client.get(f"/api/certification/courses/{course}/state", headers=headers)
    )
    assert state.status_code == 200, state.text
    question = state.json()["question"]
    body = {"item_id": question["id"], "response": "x" if question["type"] == "free" else [0]}
    return retrying(
        lambda: client.post(
            f"/api/certification/courses/{course}/answers", json=body, headers=headers
        )
    )


def test_it_answers_503_while_postgresql_drops_its_connections_and_loses_nothing(cluster):
    """Issue 13: PostgreSQL restarted in the middle of a session (here its connections are
    terminated, as a restart does). Each pooled connection was dead and its next request a
    500 with a traceback. Now a request on a dead connection fails at once with a 503 in
    French (JSON) that the pages retry; the pool replaces its connections by itself, the
    outage is logged once per worker and its end once; every answer that got a 200 is in
    the database, exactly once."""
    runs = []
    for index, worker in ((0, "A"), (1, "B"), (2, "A"), (3, "B")):
        client = cluster.candidate(index, worker)
        runs.append((client, *start(client, cluster, index)))
    acknowledged = Counter[int]()
    refusals: list[httpx.Response] = []
    for round_ in range(6):
        if round_ in (1, 4):
            assert _terminate_database_connections() >= 2  # at least one pool per worker
            # The push link's handshake reads the database too: 4503 or open, never a 500.
            try:
                with cluster.watch("A") as ws, contextlib.suppress(TimeoutError):
                    ws.recv(timeout=0.5)
            except ConnectionClosed as closed:
                assert closed.rcvd is not None and closed.rcvd.code == 4503
        for client, course, token in runs:
            response = _answer_as_the_page_does(client, course, token, refusals)
            assert response.status_code == 200, response.text
            acknowledged[course] += 1
    assert refusals, "no request met a terminated connection"
    for refused in refusals:
        assert refused.elapsed.total_seconds() < 5  # at once, not after the pool's timeout
        assert refused.headers["Retry-After"] == "5"
        assert refused.json() == {
            "detail": "Vigie ne parvient pas à joindre sa base de données. Réessayez dans "
            "quelques secondes : rien de ce qui a été confirmé n’est perdu.",
            "code": "database_unavailable",
        }
    for _client, course, _token in runs:
        assert Answer.objects.filter(course_id=course).count() == acknowledged[course] == 6
    for worker in ("A", "B"):
        assert httpx.get(cluster.urls[worker] + "/readyz", timeout=10).status_code == 200
        messages = _log_messages(cluster.logs[worker])
        assert not [m for m in messages if "Traceback" in m], messages
        outages = [m for m in messages if m.startswith("database unavailable")]
        ends = [m for m in messages if m.startswith("database available again")]
        assert 1 <= len(outages) <= 2 and len(ends) == len(outages), messages


def test_it_loses_no_saved_answer_when_a_worker_is_killed(cluster):
    """SIGKILL on A while candidates answer: every acknowledged answer is in the database, and they go on through B."""
    runs = []
    for index in range(4):
        client = cluster.candidate(index, "A")
        runs.append([index, client, *start(client, cluster, index)])
    acknowledged = dict.fromkeys(range(4), 0)
    for round_ in range(3):
        for run in runs:
            index, client, course, token = run
            if round_ == 1 and index == 2:
                cluster.servers["A"].send_signal(signal.SIGKILL)
                cluster.servers["A"].wait(timeout=10)
            try:
                response = answer(client, course, token)
            except httpx.TransportError:
                # What the page does on a network error: retry; the balancer sends it to B.
                run[1] = client = cluster.candidate(index, "B")
                response = answer(client, course, token)
            assert response.status_code == 200, response.text
            acknowledged[index] += 1
    for index, _client, course, _token in runs:
        assert Answer.objects.filter(course_id=course).count() == acknowledged[index] == 3
    assert all(run[1].base_url == httpx.URL(cluster.urls["B"]) for run in runs)


def _served_by(log_path: Any, path: str) -> list[int]:
    """Worker pids of the access-log lines (JSON) of `path`."""
    import json

    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")]
    return [line["pid"] for line in lines if line.get("path") == path]


def _listening_sockets(port: int) -> int:
    """LISTEN entries (state 0A) of a local TCP port, from the kernel's table."""
    rows = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return sum(
        1
        for row in rows
        if (fields := row.split())[3] == "0A" and int(fields[1].split(":")[1], 16) == port
    )


def test_it_spreads_new_connections_over_the_workers_of_one_port(tmp_path):
    """vigie/serving.py: with one shared socket Linux woke one worker twice as often as the
    other under load; each worker now listens on its own socket (SO_REUSEPORT). A worker
    killed with SIGKILL is replaced by the supervisor, on a socket of its own too."""
    port, log_path = free_port(), tmp_path / "workers.log"
    env = {"DEBUG": "false", "SECRET_KEY": PROD_KEY, "LOG_LEVEL": "INFO"}
    server = start_server(port, workers=2, env=env, log=log_path.open("w"))
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base)
        for _ in range(80):  # a new connection each time, as 80 candidates' browsers
            assert httpx.get(base + "/healthz?round=1", timeout=5).status_code == 200
        first = _served_by(log_path, "/healthz?round=1")
        counts = sorted(Counter(first).values())
        assert len(counts) == 2 and counts[0] >= 20, counts  # 40 each on average
        assert _listening_sockets(port) == 2  # one per worker (uvicorn alone: 1, shared)

        os.kill(first[0], signal.SIGKILL)
        deadline = time.monotonic() + 30
        while not set(_served_by(log_path, "/healthz?round=2")) - set(first):
            assert time.monotonic() < deadline, "the killed worker was not replaced"
            with contextlib.suppress(httpx.TransportError):
                httpx.get(base + "/healthz?round=2", timeout=5)
            time.sleep(0.05)
        assert _listening_sockets(port) == 2
    finally:
        server.terminate()
        server.wait(timeout=20)


@dataclass
class Production:
    """The production command with 2 workers on one port (SO_REUSEPORT)."""

    url: str
    port: int
    data: dict[str, Any]

    def candidate(self, index: int) -> httpx.Client:
        """A candidate's client opening a new connection per request, so that its requests
        are spread over both workers as new visitors' are."""
        return httpx.Client(
            base_url=self.url,
            cookies={"sessionid": self.data["candidates"][index]["cookie"], "csrftoken": "t" * 32},
            headers={"X-CSRFToken": "t" * 32, "Origin": self.url},
            limits=httpx.Limits(max_keepalive_connections=0),
            timeout=10,
        )


@pytest.fixture
def production(transactional_db, settings, tmp_path) -> Iterator[Production]:
    settings.SECRET_KEY = PROD_KEY
    data = create_session(candidates=2, invigilators=1)
    redis = RedisServer()
    redis.start()
    port = free_port()
    # Long enough for the measures to be taken while the slow connections are there, even
    # on a loaded machine.
    env = worker_env(redis, REQUEST_BODY_TIMEOUT="15", REQUEST_HEADER_TIMEOUT="8")
    # The pages need the collected static files' manifest (the production command's set-up).
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=Path(__file__).resolve().parent.parent,
        env={**os.environ, **env},
        check=True,
    )
    server = start_server(port, workers=2, env=env, log=(tmp_path / "workers.log").open("w"))
    try:
        wait_ready(f"http://127.0.0.1:{port}", path="/readyz")
        yield Production(url=f"http://127.0.0.1:{port}", port=port, data=data)
    finally:
        server.terminate()
        server.wait(timeout=30)
        redis.stop()


def _slow_post(port: int) -> socket.socket:
    """A slowloris: the headers of a sign-up announcing 100,000 bytes, then 5 of them."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(
        b"POST /api/accounts/register HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b'Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"a":'
    )
    return sock


def _timed_answers(production: Production, index: int, count: int) -> list[float]:
    """Seconds taken by each of `count` answers of a candidate (a new connection each)."""
    client = production.candidate(index)
    candidate_id = production.data["candidates"][index]["id"]
    started = client.post(
        f"/api/certification/candidates/{candidate_id}/start",
        json={"access_code": production.data["access_code"]},
    )
    assert started.status_code == 200, started.text
    course, token = started.json()["course_id"], started.json()["run_token"]
    question = (
        started.json().get("question")
        or client.get(
            f"/api/certification/courses/{course}/state", headers={"X-Run-Token": token}
        ).json()["question"]
    )
    took = []
    for _ in range(count):
        sent = time.perf_counter()
        response = client.post(
            f"/api/certification/courses/{course}/answers",
            json={
                "item_id": question["id"],
                "response": "x" if question["type"] == "free" else [0],
            },
            headers={"X-Run-Token": token},
        )
        took.append(time.perf_counter() - sent)
        assert response.status_code == 200, response.text
        question = response.json()["state"]["question"]
    client.close()
    return took


def test_it_keeps_serving_a_candidate_while_200_clients_send_their_bodies_slowly(production):
    """Issue 13, « a slow client freezes a worker »: 200 connections announce a 100 kB body
    and send 5 bytes. Before, each held one of a worker's HTTP_THREADS threads (4 here), and
    /healthz, the pages and the answers stopped until the sockets closed. Now the bodies are
    awaited on the event loop: the candidate answers with a p95 under 200 ms, and each slow
    client gets a 408 after REQUEST_BODY_TIMEOUT (15 s here)."""
    opened = time.monotonic()
    slow = [_slow_post(production.port) for _ in range(200)]
    time.sleep(0.5)  # every one of them accepted and waiting for its body
    for path in ("/healthz", "/compte/connexion/", "/api/openapi.json"):
        for _ in range(4):  # new connections: both workers
            assert httpx.get(production.url + path, timeout=5).status_code == 200
    took = _timed_answers(production, 0, 30)
    assert time.monotonic() - opened < 15, "measured after the slow clients were refused"
    p95 = sorted(took)[int(0.95 * (len(took) - 1))]
    assert p95 < 0.2, [round(t * 1000) for t in took]
    for sock in slow:
        sock.settimeout(30)
        head = sock.recv(64)
        assert head.startswith(b"HTTP/1.1 408 "), head
        sock.close()
    assert time.monotonic() - opened >= 15


def test_it_closes_connections_that_never_finish_their_headers(production):
    """Half a request line, or half a WebSocket upgrade, then nothing: uvicorn kept such
    connections open for good (each a file descriptor of the worker; thousands of them and
    it accepts no more). They hold no thread, so a candidate answers meanwhile, and the
    production command closes them after REQUEST_HEADER_TIMEOUT (8 s here)."""
    partial, opened = [], time.monotonic()
    for n in range(200):
        sock = socket.create_connection(("127.0.0.1", production.port), timeout=5)
        sock.sendall(
            b"GET /ws/surveillance/1/ HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
            if n % 2
            else b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
        )
        partial.append(sock)
    assert httpx.get(production.url + "/healthz", timeout=5).status_code == 200
    _timed_answers(production, 1, 10)
    assert time.monotonic() - opened < 8, "measured while the connections were open"
    for sock in partial:
        sock.settimeout(15)
        assert sock.recv(64) == b""  # closed by the server
        sock.close()
    assert time.monotonic() - opened >= 7.9
