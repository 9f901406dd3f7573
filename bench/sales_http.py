"""The client side of `bench/sales.py`: gunicorn on loopback, cashiers speaking HTTP with
keep-alive (stdlib http.client, no new dependency), and the closed-loop and paced runs."""

import http.client
import itertools
import json
import os
import queue
import random
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bench.sales_world import Mix, SalesWorld, Shopper, Till

HEALTH_TIMEOUT_S = 60.0
LATE_AFTER_S = 0.005  # a paced sale that starts this much after its due time is late
SHOWN_ERRORS = 5


# --- the server ---------------------------------------------------------------------------


class Server:
    """`gunicorn linli.wsgi:application` as `scripts/run.sh` starts it, on a free port."""

    def __init__(self, *, workers: int, threads: int) -> None:
        self.workers, self.threads = workers, threads
        self.port = _free_port()
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> "Server":
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "linli.wsgi:application",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
            "--threads",
            str(self.threads),
            "--graceful-timeout",
            "5",
            "--log-level",
            "warning",
        ]
        env = dict(os.environ, LOG_LEVEL="WARNING")
        self.proc = subprocess.Popen(command, env=env)
        self._wait_healthy()
        return self

    @property
    def pid(self) -> int:
        return self.proc.pid if self.proc is not None else 0

    def __exit__(self, *exc: object) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + HEALTH_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/healthz")
                status = conn.getresponse().status
                conn.close()
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer /healthz with 200 in {HEALTH_TIMEOUT_S} s")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- members and their codes --------------------------------------------------------------


class ShopperPool:
    """Hands out members whose code for the current step (or the next, which the server
    accepts as clock skew) is still unused, one sale in flight per member."""

    def __init__(self, shoppers: list[Shopper]) -> None:
        self.shoppers = shoppers
        self.lock = threading.Lock()
        self.cursor = 0
        self.stalls = 0

    def take(self) -> tuple[Shopper, int] | None:
        from linli.commerce.cards import step_at

        with self.lock:
            now = step_at(datetime.now(UTC))
            for _ in range(len(self.shoppers)):
                shopper = self.shoppers[self.cursor]
                self.cursor = (self.cursor + 1) % len(self.shoppers)
                if shopper.busy:
                    continue
                for step in (now, now + 1):
                    if shopper.last_step < step:
                        shopper.last_step, shopper.busy = step, True
                        return shopper, step
            self.stalls += 1
            return None

    def give_back(self, shopper: Shopper) -> None:
        with self.lock:
            shopper.busy = False


# --- one cashier --------------------------------------------------------------------------


@dataclass
class Outcome:
    ok: bool
    prepare_s: float
    consume_s: float
    replayed: bool = False
    error: str = ""


class Cashier:
    """One till: a keep-alive connection, the till's bearer token, its own request numbers."""

    def __init__(self, *, port: int, slug: str, till: Till, index: int, run_id: str) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.headers = {
            "Authorization": f"Bearer {till.token}",
            "Content-Type": "application/json",
            "Accept-Language": "en",
        }
        self.base = f"/api/v1/commerce/communities/{slug}/sales"
        self.request_nos = (f"{run_id}-c{index}-{n}" for n in itertools.count())
        self.rng = random.Random(index)
        self.reconnects = 0

    def sale(self, shopper: Shopper, step: int) -> Outcome:
        from linli.commerce.cards import CODE_PREFIX, one_time_code

        body = self._mix(
            shopper, CODE_PREFIX + shopper.code_id + one_time_code(shopper.secret, step)
        )
        began = time.perf_counter()
        status, payload = self._post(self.base + "/prepare", body)
        prepared = time.perf_counter()
        if status != 200:
            return Outcome(False, prepared - began, 0.0, error=f"prepare {status} {payload!r}")
        body.update(request_no=next(self.request_nos), source="pos")
        status, payload = self._post(self.base, body)
        consumed = time.perf_counter()
        if status not in (200, 201):
            return Outcome(
                False, prepared - began, consumed - prepared, error=f"consume {status} {payload!r}"
            )
        return Outcome(True, prepared - began, consumed - prepared, replayed=status == 200)

    def _mix(self, shopper: Shopper, code: str) -> dict:
        """10–200 CNY; coin payers put 40% in coins (1 unit = 1 fen), point payers 30% in
        points (preset A: 25 fen a point), everyone pays the rest in cash."""
        amount = self.rng.randint(1_000, 20_000)
        body: dict = {"code": code, "amount_fen": amount}
        if shopper.mix == Mix.COINS:
            body["coin_units"] = amount * 4 // 10
        elif shopper.mix == Mix.POINTS:
            body["points"] = amount * 3 // 10 // 25
        return body

    def _post(self, path: str, body: dict) -> tuple[int, bytes]:
        """One POST; a keep-alive connection the server closed is reopened once (a retried
        consume is safe: the same request_no returns the first sale)."""
        data = json.dumps(body).encode()
        for attempt in (1, 2):
            try:
                self.conn.request("POST", path, body=data, headers=self.headers)
                response = self.conn.getresponse()
                return response.status, response.read()
            except (http.client.HTTPException, ConnectionError) as exc:
                self.conn.close()
                self.reconnects += 1
                if attempt == 2:
                    return 0, f"{type(exc).__name__}: {exc}".encode()
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.conn.close()


# --- runs ---------------------------------------------------------------------------------


@dataclass
class Phase:
    """What one run measured; latencies in seconds."""

    name: str
    ok: int = 0
    errors: int = 0
    replayed: int = 0
    late: int = 0
    dropped: int = 0  # paced sales never started: the server was too far behind
    elapsed_s: float = 0.0
    sale_s: list[float] = field(default_factory=list)  # prepare + consume (or from due time)
    prepare_s: list[float] = field(default_factory=list)
    consume_s: list[float] = field(default_factory=list)
    error_samples: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, outcome: Outcome, sale_s: float) -> None:
        with self.lock:
            if not outcome.ok:
                self.errors += 1
                if len(self.error_samples) < SHOWN_ERRORS:
                    self.error_samples.append(outcome.error[:300])
                return
            self.ok += 1
            self.replayed += int(outcome.replayed)
            self.sale_s.append(sale_s)
            self.prepare_s.append(outcome.prepare_s)
            self.consume_s.append(outcome.consume_s)

    @property
    def per_s(self) -> float:
        return self.ok / self.elapsed_s if self.elapsed_s else 0.0


def pct_ms(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def _cashiers(port: int, world: SalesWorld, count: int, run_id: str) -> list[Cashier]:
    return [
        Cashier(port=port, slug=world.slug, till=world.tills[i], index=i, run_id=run_id)
        for i in range(count)
    ]


def _one_sale(cashier: Cashier, pool: ShopperPool, stop_at: float) -> Outcome | None:
    """A sale with a member whose code is fresh; None if the run ended while waiting."""
    while True:
        taken = pool.take()
        if taken is not None:
            break
        if time.perf_counter() >= stop_at:
            return None
        time.sleep(0.05)  # every card used for this step and the next: wait for the clock
    shopper, step = taken
    try:
        return cashier.sale(shopper, step)
    finally:
        pool.give_back(shopper)


def run_closed(
    *,
    port: int,
    world: SalesWorld,
    pool: ShopperPool,
    cashiers: int,
    seconds: float,
    count: int,
    name: str = "closed",
) -> Phase:
    """Each cashier records sales back to back until the time or the count runs out."""
    phase = Phase(name)
    tills = _cashiers(port, world, cashiers, f"{name}{time.time_ns()}")
    budget = itertools.count() if count else None
    budget_lock = threading.Lock()
    started = time.perf_counter()
    stop_at = started + seconds

    def has_budget() -> bool:
        if budget is None:
            return True
        with budget_lock:
            return next(budget) < count

    def cashier_loop(cashier: Cashier) -> None:
        while time.perf_counter() < stop_at and has_budget():
            outcome = _one_sale(cashier, pool, stop_at)
            if outcome is not None:
                phase.record(outcome, outcome.prepare_s + outcome.consume_s)

    _run_threads(cashier_loop, tills)
    phase.elapsed_s = time.perf_counter() - started
    for till in tills:
        till.close()
    return phase


def run_paced(
    *,
    port: int,
    world: SalesWorld,
    pool: ShopperPool,
    cashiers: int,
    rate: float,
    seconds: float,
    count: int,
) -> Phase:
    """An open-loop schedule: sale i is due at start + i / rate whatever happened before;
    its latency runs from the due time to the consume's answer."""
    phase = Phase("paced")
    total = int(rate * seconds)
    total = min(total, count) if count else total
    due_times: queue.Queue[float | None] = queue.Queue()
    tills = _cashiers(port, world, cashiers, f"paced{time.time_ns()}")
    late_lock = threading.Lock()

    def cashier_loop(cashier: Cashier) -> None:
        while (due := due_times.get()) is not None:
            lateness = time.perf_counter() - due
            if lateness > LATE_AFTER_S:
                with late_lock:
                    phase.late += 1
                    # A server far behind would make the run last for ever: what is not
                    # started within the schedule's length of its due time is dropped (and
                    # reported), so a paced run lasts at most twice its schedule.
                    if lateness > max(seconds, 1.0):
                        phase.dropped += 1
                        continue
            outcome = _one_sale(cashier, pool, due + 60.0)
            if outcome is not None:
                phase.record(outcome, time.perf_counter() - due)

    threads = [threading.Thread(target=cashier_loop, args=(t,), daemon=True) for t in tills]
    for thread in threads:
        thread.start()
    started = time.perf_counter() + 0.2
    for i in range(total):
        due = started + i / rate
        time.sleep(max(0.0, due - time.perf_counter()))
        due_times.put(due)
    for _ in threads:
        due_times.put(None)
    for thread in threads:
        thread.join()
    phase.elapsed_s = time.perf_counter() - started
    for till in tills:
        till.close()
    return phase


def _run_threads(target: Callable[[Cashier], None], tills: list[Cashier]) -> None:
    threads = [threading.Thread(target=target, args=(t,), daemon=True) for t in tills]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
