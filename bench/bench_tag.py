"""Benchmark `kb tag` against bare spaCy tokenisation, as whole processes.

    .venv/bin/python bench/bench_tag.py [--corpus ../shared/corpus] [--mb 5] [--ungated]

Builds a JSON-lines input of at least --mb megabytes from real provision text in the shared
corpus (texts/: Constitution articles, Constitutional Court paragraphs, norm fragments, the
bullying rules, repeated) in a temporary directory, then times

  (a) `python -m kb.cli tag < input.jsonl > out.jsonl`          (the whole tagger)
  (b) `python -c …`: spacy.blank("ru") + nlp.pipe over the same texts (bare tokenizer)

and prints chars/s for each and the ratio (goal: tagger >= 0.5 x bare tokenizer). Process
start-up (imports, pymorphy3 dictionaries, building the matchers) is included in both.

`kb tag` skips spaCy for the texts its TextGate rules out (they cannot get any tag; the output
is identical either way), while the bare process tokenises every text. --ungated runs (a) with
the gate off (`Tagger(gated=False)`), to measure what the gate saves.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def corpus_texts(corpus: Path) -> list[str]:
    t = corpus / "texts"
    out: list[str] = []
    const = json.loads((t / "K950001000_constitution_ru.json").read_text(encoding="utf-8"))
    for v in const.values():
        if isinstance(v, str):
            out.append(v)
        else:
            out.extend(v["статьи"].values())
    cc = json.loads((t / "constitutional_court_77-NP_2026_family_property_ru.json").read_text(encoding="utf-8"))
    out.extend(line for line in cc["text"].split("\n") if line.strip())
    frags = json.loads((t / "norm_fragments_59_acts_ru.json").read_text(encoding="utf-8"))
    seen = set()
    for f in frags["findings"]:
        for k in ("norm_a", "norm_b"):
            n = f.get(k)
            if n and n["id"] not in seen:
                seen.add(n["id"])
                out.append(n["text"])
    for name in ("V2200031180_bullying_rules_ru.txt", "V2400034817_bullying_rules_amendment_2024_ru.txt"):
        out.extend(line.strip() for line in (t / name).read_text(encoding="utf-8").splitlines()
                   if len(line.strip()) > 25)
    return out


BARE = r"""
import json, sys, spacy
nlp = spacy.blank("ru")
texts = (json.loads(line)["text"] for line in open(sys.argv[1], encoding="utf-8"))
n = 0
for doc in nlp.pipe(texts, batch_size=256):
    n += len(doc)
print(n)
"""

UNGATED = r"""
import kb.tagging as t
t.get_tagger = lambda: t.Tagger(gated=False)
from kb.cli import cli
cli(["tag"])
"""


def run(cmd, stdin=None, stdout=None) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, stdin=stdin, stdout=stdout or subprocess.DEVNULL, check=True, cwd=REPO)
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus")
    ap.add_argument("--mb", type=float, default=5.0, help="input size in MB of JSON lines")
    ap.add_argument("--ungated", action="store_true",
                    help="run kb tag with the text gate off (every text through spaCy)")
    args = ap.parse_args()

    texts = corpus_texts(args.corpus)
    with tempfile.TemporaryDirectory(prefix="bench_tag_") as tmp:
        inp = Path(tmp) / "input.jsonl"
        out = Path(tmp) / "out.jsonl"
        size = chars = lines = 0
        with inp.open("w", encoding="utf-8") as fp:
            while size < args.mb * 1_000_000:
                for text in texts:
                    line = json.dumps({"id": f"b{lines}", "text": text, "lang": "ru"},
                                      ensure_ascii=False) + "\n"
                    fp.write(line)
                    size += len(line.encode("utf-8"))
                    chars += len(text)
                    lines += 1
        print(f"input: {lines} lines, {size / 1e6:.1f} MB, {chars} chars of text")
        py = sys.executable
        env_cmd = [py, "-m", "kb.cli", "tag"] if not args.ungated else [py, "-c", UNGATED]
        with inp.open("rb") as fin, out.open("wb") as fout:
            t_tag = run(env_cmd, stdin=fin, stdout=fout)
        n_out = sum(1 for _ in out.open(encoding="utf-8"))
        assert n_out == lines, f"kb tag wrote {n_out} lines for {lines}"
        t_bare = run([py, "-c", BARE, str(inp)])
    tag_cps, bare_cps = chars / t_tag, chars / t_bare
    print(f"(a) kb tag{' ungated' if args.ungated else '        '} : {t_tag:6.2f} s  {tag_cps:>12,.0f} chars/s")
    print(f"(b) bare tokenizer : {t_bare:6.2f} s  {bare_cps:>12,.0f} chars/s")
    ratio = tag_cps / bare_cps
    print(f"ratio tagger/bare  : {ratio:.2f}  (goal >= 0.5: {'OK' if ratio >= 0.5 else 'NOT MET'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
