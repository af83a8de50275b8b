"""Running the same work in two threads at once, as two workers would (PostgreSQL tests)."""

import threading


def run_at_once(work, copies=2):
    """Call `work()` in `copies` threads released together by a barrier; returns (results, errors).
    Each thread closes its own database connections when done."""
    from django.db import connections

    results, errors = [], []
    barrier = threading.Barrier(copies)

    def run():
        try:
            barrier.wait()
            results.append(work())
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(copies)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results, errors
