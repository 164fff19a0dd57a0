"""What Datasette's SQL time-limit check costs under load (issue 11, kb/timelimit.py).

    .venv/bin/python bench/timelimit.py --db /tmp/scale11/db-1000000/kb.db [--busy 2]

Runs one ranking query of the age page (a window over the provisions applying at 6) with no
progress handler, with one every 1,000 SQLite instructions (Datasette's check) and with one
every 1,000,000 (kb/timelimit.py), alone and with --busy Python threads spinning beside it
(what the event loop and the other SQL threads of a loaded server do). Prints the times.
"""
from __future__ import annotations

import argparse
import sqlite3
import threading
import time
from pathlib import Path

SQL = """select count(*) from (select rowid, row_number() over (partition by primary_dimension
         order by coalesce(age_max_months, 1000000) - coalesce(age_min_months, 0), act_id,
         position) as rn from provisions where age_min_months >= 0 and age_min_months <= 72)"""


def timed(db: Path, every: int | None) -> float:
    conn = sqlite3.connect(f"file:{db}?immutable=1", uri=True, check_same_thread=False)
    try:
        if every:
            conn.set_progress_handler(lambda: 0, every)
        start = time.perf_counter()
        conn.execute(SQL).fetchall()
        return time.perf_counter() - start
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--busy", type=int, default=2)
    args = parser.parse_args()
    for busy in (0, args.busy):
        stop = threading.Event()

        def spin():
            x = 0
            while not stop.is_set():
                x += 1

        threads = [threading.Thread(target=spin) for _ in range(busy)]
        for t in threads:
            t.start()
        try:
            for every in (None, 1_000, 1_000_000):
                label = "no handler" if every is None else f"check every {every:,}"
                print(f"{busy} busy threads, {label}: {timed(args.db, every) * 1000:.0f} ms",
                      flush=True)
        finally:
            stop.set()
            for t in threads:
                t.join()


if __name__ == "__main__":
    main()
