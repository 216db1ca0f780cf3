"""Releasing several threads at once against PostgreSQL, for the race tests."""

from __future__ import annotations

import threading

from django.db import connection


def race(target, args_list):
    """Start one thread per args, all released at once; collect results and errors.

    Each thread closes its own database connection, so the test database can be dropped.
    """
    barrier = threading.Barrier(len(args_list))
    results, errors = [], []

    def run(args):
        try:
            barrier.wait()
            results.append(target(*args))
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(a,)) for a in args_list]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results, errors
