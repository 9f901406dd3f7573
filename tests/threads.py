"""Real threads for the PostgreSQL race tests: every target starts at one barrier, each
thread closes its own database connections, and an exception is returned, not raised, so
a test can count winners and losers."""

import threading
from collections.abc import Callable, Sequence
from typing import Any


def run_threads(targets: Sequence[Callable[[], Any]], timeout: float = 120) -> list[Any]:
    from django.db import connections

    results: list[Any] = [None] * len(targets)
    barrier = threading.Barrier(len(targets))

    def worker(i: int) -> None:
        try:
            barrier.wait()
            results[i] = targets[i]()
        except Exception as exc:
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(targets))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return results
