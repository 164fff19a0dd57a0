"""Full, one-act-changed and no-op rebuild times (goals: one act ≤ 10 %, no-op ≤ 2 % of full).

    .venv/bin/python bench/bench_rebuild.py [--corpus ../shared/corpus] [--runs 3]
        [--act K1500000414]

The corpus is laid out in a temporary folder (symlinks to the shared files, a private copy of
the changed act's text), so one act can be changed between builds without touching the
corpus. "One act changed" appends a footnote to that act's Russian text: the act is parsed,
aligned, tagged and checked against its PDF again, everything else is copied from the previous
build and the search index is updated, not rebuilt. Each build is also timed as a whole
`kb build` process (wall clock, Python start-up included) for the full build, since that is
what a user waits for. Figures go to docs/benchmarks.md.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from db.build import BuildOptions, run_build


def _lay_out(corpus: Path, into: Path, act: str) -> Path:
    """A corpus folder of symlinks, with a writable copy of `act`'s Russian text."""
    root = into / "corpus"
    root.mkdir()
    for entry in corpus.iterdir():
        if entry.name != "adilet-text":
            os.symlink(entry.resolve(), root / entry.name)
    text = root / "adilet-text"
    text.mkdir()
    for entry in (corpus / "adilet-text").iterdir():
        if entry.name != "rus":
            os.symlink(entry.resolve(), text / entry.name)
    (text / "rus").mkdir()
    for f in (corpus / "adilet-text" / "rus").iterdir():
        if f.stem == act:
            shutil.copyfile(f, text / "rus" / f.name)
        else:
            os.symlink(f.resolve(), text / "rus" / f.name)
    return root


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, default=Path("../shared/corpus"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--act", default="K1500000414", help="the act changed between builds")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        corpus = _lay_out(args.corpus.resolve(), Path(tmp), args.act)
        changed = corpus / "adilet-text" / "rus" / f"{args.act}.txt"
        db_path = Path(tmp) / "kb.db"
        t = time.perf_counter()
        subprocess.run([str(Path(sys.executable).parent / "kb"), "build", "--corpus", str(corpus),
                        "--db", str(db_path)], check=True, capture_output=True)
        process = time.perf_counter() - t
        full, one, noop = [], [], []
        for i in range(args.runs):
            t = time.perf_counter()
            report = run_build(BuildOptions(db_path=db_path, corpus_dir=corpus, force=True))
            full.append(time.perf_counter() - t)
            assert report.fatal is None and not report.unchanged, report.summary()
            with open(changed, "a", encoding="utf-8") as fh:
                fh.write(f"\n      Сноска. Проверка повторной сборки {i}.\n")
            t = time.perf_counter()
            report = run_build(BuildOptions(db_path=db_path, corpus_dir=corpus))
            one.append(time.perf_counter() - t)
            assert report.fatal is None and report.parsed_documents == 1, report.summary()
            t = time.perf_counter()
            report = run_build(BuildOptions(db_path=db_path, corpus_dir=corpus))
            noop.append(time.perf_counter() - t)
            assert report.unchanged
    f, o, n = (statistics.median(x) for x in (full, one, noop))
    print(f"kb build process (full)   {process:9.1f} s   (1 run, start-up included)")
    print(f"full build   median {f * 1000:9.1f} ms  ({args.runs} runs)")
    print(f"one act      median {o * 1000:9.1f} ms  = {o / f * 100:5.2f} % of full (goal ≤ 10 %)")
    print(f"no-op build  median {n * 1000:9.1f} ms  = {n / f * 100:5.2f} % of full (goal ≤ 2 %)")


if __name__ == "__main__":
    main()
