"""The check-in benchmark's load driver (``bench.checkin``, step 3): client threads with keep-alive
connections sending one phase of requests, the check-ins' (one tap per member) or the bare view's."""

from __future__ import annotations

import http.client
import json
import queue
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.checkin_setup import Fixture

CHECKIN_PATH = "/api/v1/check-ins"


@dataclass
class Phase:
    label: str
    requests: int = 0
    seconds: float = 0.0
    statuses: Counter = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def add(self, other: Phase) -> None:
        self.requests += other.requests
        self.seconds += other.seconds
        self.statuses.update(other.statuses)
        self.latencies += other.latencies
        self.errors += other.errors


@dataclass
class Job:
    path: str
    member: int  # index into the fixture
    nonce: str


def _token(activity) -> str:
    from activities.tokens import current_token

    return current_token(activity)


def run_phase(label: str, jobs: list[Job], *, port: int, fixture: Fixture, clients: int) -> tuple[Phase, list]:
    """Send ``jobs`` from ``clients`` threads with keep-alive connections; returns the phase and the answers."""
    phase = Phase(label, requests=len(jobs))
    answers: list = [None] * len(jobs)
    work: queue.Queue = queue.Queue()
    for i, job in enumerate(jobs):
        work.put((i, job))
    lock = threading.Lock()

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        latencies, statuses, errors = [], Counter(), []
        while True:
            try:
                i, job = work.get_nowait()
            except queue.Empty:
                break
            body = json.dumps({"token": _token(fixture.activity), "nonce": job.nonce}).encode()
            headers = {
                "Content-Type": "application/json",
                "Cookie": fixture.cookies[job.member],
                "X-CSRFToken": fixture.csrf[job.member],
            }
            start = time.perf_counter()
            for attempt in (1, 2):  # one reconnect if the server closed the kept-alive connection
                try:
                    conn.request("POST", job.path, body=body, headers=headers)
                    response = conn.getresponse()
                    data = response.read()
                    break
                except (http.client.HTTPException, OSError) as exc:
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                    if attempt == 2:
                        response, data = None, str(exc).encode()
            latencies.append(time.perf_counter() - start)
            status = response.status if response is not None else 0
            statuses[status] += 1
            answers[i] = (status, data)
            if status not in (200, 201):
                errors.append(f"{status} {data[:120]!r}")
        conn.close()
        with lock:
            phase.latencies.extend(latencies)
            phase.statuses.update(statuses)
            phase.errors.extend(errors)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    phase.seconds = time.perf_counter() - start
    return phase, answers


def checkin_jobs(members: range) -> list[Job]:
    """One tap per member: every request a first check-in that writes."""
    return [Job(CHECKIN_PATH, m, f"m{m}") for m in members]


def bare_jobs(count: int, members: int, offset: int) -> list[Job]:
    from bench.checkin_bare import BARE_PATH

    return [Job(BARE_PATH, (offset + i) % members, f"b{offset + i}") for i in range(count)]
