"""Datasette's SQL time limit, checked less often (issue 11).

Datasette enforces `sql_time_limit_ms` with a SQLite progress handler: a Python function called
every 1,000 virtual machine instructions (about 0.08 ms of SQLite work). Alone that costs
nothing. Under load it is ruinous: each call must take the GIL back from the event loop and the
other SQL threads, and waits for it up to the interpreter's switch interval (5 ms). Measured on
the 1,000,000-provision build (docs/benchmarks.md): a 48 ms ranking query took 24 s with two
busy Python threads beside it; with the check every 1,000,000 instructions, 84 ms (90 ms with no
handler at all). The SQL queries of every page slowed down the same way, which is why pages
that take 100–300 ms alone took seconds at concurrency 8.

`install()` replaces Datasette's `sqlite_timelimit` with the same limit checked every
CHECK_EVERY instructions (about 80 ms of SQLite work: a query may overrun the limit by that
much). Limits of 20 ms or less keep Datasette's check on every instruction (its tests use them).
"""
from __future__ import annotations

import time
from contextlib import contextmanager

CHECK_EVERY = 1_000_000


@contextmanager
def sqlite_timelimit(conn, ms):
    deadline = time.perf_counter() + (ms / 1000)
    n = 1 if ms <= 20 else CHECK_EVERY

    def handler():
        if time.perf_counter() >= deadline:
            return 1        # terminates the query: Datasette reports it as too long

    conn.set_progress_handler(handler, n)
    try:
        yield
    finally:
        conn.set_progress_handler(None, n)


def install() -> None:
    """Use this module's time limit in Datasette's query path (idempotent)."""
    import datasette.database

    datasette.database.sqlite_timelimit = sqlite_timelimit
