"""No-op rebuild time against a full build (goal: no-op ≤ 2% of a full build).

    .venv/bin/python bench/bench_rebuild.py [--corpus ../shared/corpus] [--runs 3]

Both are timed in one process after the first build has loaded the libraries, so the figure
compares the builds' own work, not Python start-up. Figures go to docs/benchmarks.md.
"""
import argparse
import statistics
import tempfile
import time
from pathlib import Path

from db.build import BuildOptions, run_build


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, default=Path("../shared/corpus"))
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "kb.db"
        run_build(BuildOptions(db_path=db_path, corpus_dir=args.corpus))   # warm-up
        full, noop = [], []
        for _ in range(args.runs):
            t = time.perf_counter()
            report = run_build(BuildOptions(db_path=db_path, corpus_dir=args.corpus, force=True))
            full.append(time.perf_counter() - t)
            assert not report.unchanged
            t = time.perf_counter()
            report = run_build(BuildOptions(db_path=db_path, corpus_dir=args.corpus))
            noop.append(time.perf_counter() - t)
            assert report.unchanged
    f, n = statistics.median(full), statistics.median(noop)
    print(f"full build   median {f * 1000:9.1f} ms  ({args.runs} runs)")
    print(f"no-op build  median {n * 1000:9.1f} ms  ({args.runs} runs)")
    print(f"ratio        {n / f * 100:9.2f} %  (goal ≤ 2 %)")


if __name__ == "__main__":
    main()
