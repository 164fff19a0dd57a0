"""The knowledge base at national scale (issue 11): build N provisions, serve them, load them.

    .venv/bin/python bench/scale.py [--provisions 1000000] [--work /tmp/scale11]
                                    [--requests-per-page 16] [--concurrency 8]
                                    [--skip-build] [--no-rebuilds] [--write-docs]
                                    [--num-sql-threads N] [--sql-time-limit-ms MS]
                                    [--facet-time-limit-ms MS] [--exclude KIND ...]

1. Corpus: the real corpus (`../shared/corpus`) plus copies of its saved Adilet texts
   (`adilet-text/{rus,kaz}`) under new act ids (`K1400000235` → `K0314000235`-style: first
   letter kept, digits 2–3 = copy number) until the Russian provisions reach N. Each copy's
   text is varied so that no cache (tagger chunks, SQLite pages, FTS results) sees the same
   text twice: one word of every long line is dropped (its place depends on the copy) and a
   copy-specific word is appended. Requisites of a copy are its original's (kb/data/acts.yml)
   with «(копия k)» in the title and the year moved by k. Everything is written under
   --work; no corpus text enters the repository.
2. Build: `db.build.run_build` (the path `kb build --corpus` takes) in a child process, timed:
   wall, peak RSS, database size, per stage. Then a rebuild with one act's text changed and
   a no-op rebuild (skip with --no-rebuilds). The builds run a copy of db/, kb/ and scrapers/
   taken at the start ({work}/src), so that edits in a shared working tree cannot turn a
   rebuild into a full one halfway; a rebuild whose pipeline versions differ anyway is
   reported as not measured.
3. Serve: `kb serve` (kb.serve.serve) on 127.0.0.1; after one untimed request per page, a
   bounded load at --concurrency to every human page (home, /search and /search.json, /acts,
   act contents, provisions, /coverage and its CSV, /age/N and its JSON, /indicators and an
   indicator's page, /policies) and to Datasette's
   default page of every table and view (with their metadata facets), the database page and
   the canned queries; counts errors, facet time-outs and SQL time-outs; the server's peak
   RSS (VmHWM).
4. Beside it, the raw FTS5 query for each search word (the ranked match the pages run,
   directly on the file), sequentially and at the same concurrency.

Prints p50/p95/max per page, the targets and the ratios; writes `{work}/scale-{N}.md`, and
with --write-docs the section between the scale markers in docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "bench")]

import httpx  # noqa: E402

from load import free_port, percentile, wait_ready  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus"
SEARCH_WORDS = ["детей", "опек*", "пособий", "несовершеннолетних", "буллинг OR насилие",
                '"право на образование"', "здоровья ребенка"]
MARK_BEGIN, MARK_END = "<!-- scale:begin -->", "<!-- scale:end -->"


# --- 1. corpus --------------------------------------------------------------------------------

def _count_provisions(path: Path, act_id: str) -> int:
    from scrapers.adilet.textfile import read_adilet_text

    return len(read_adilet_text(path.read_text(encoding="utf-8"), act_id=act_id,
                                lang="rus")["provisions"])


def act_sizes(work: Path) -> dict[str, int]:
    """Russian provisions per saved act text (parsed once, cached under work)."""
    cache = work / "act_sizes.json"
    if cache.exists():
        return json.loads(cache.read_text())
    sizes = {p.stem: _count_provisions(p, p.stem)
             for p in sorted((CORPUS / "adilet-text" / "rus").glob("*.txt"))}
    cache.write_text(json.dumps(sizes))
    return sizes


def copy_id(act_id: str, k: int) -> str:
    return f"{act_id[0]}{k:02d}{act_id[3:]}"


_WORD = re.compile(r"\S+")
_HEADING = re.compile(r"^\s*(Статья|Глава|Раздел|РАЗДЕЛ|Параграф|§|ОБЩАЯ|ОСОБЕННАЯ|"
                      r"Сноска|Примечание|Ескерту|ЗҚАИ|\d+[.)]?\s*$|[IVXLC]+\.?\s*$)")


def nonce(k: int, lang: str) -> str:
    letters = "бвгдзклмнпрстфх" if lang == "rus" else "бвгдзқлмнпрстғх"
    out, n = "", k + 15
    while n:
        n, r = divmod(n, len(letters))
        out += letters[r]
    return "вар" + out


def vary(text: str, k: int, lang: str) -> str:
    """One word dropped from every long body line (where depends on k), a copy word added."""
    word = nonce(k, lang)
    out = []
    for i, line in enumerate(text.split("\n")):
        if len(line) > 80 and not _HEADING.match(line):
            words = _WORD.findall(line)
            lead = line[:len(line) - len(line.lstrip())]
            if len(words) > 6:
                drop = 2 + (k * 7 + i) % (len(words) - 3)
                words = words[:drop] + words[drop + 1:]
            line = lead + " ".join(words) + " " + word
        out.append(line)
    return "\n".join(out)


def make_corpus(work: Path, provisions: int) -> tuple[Path, dict, list[str]]:
    """The corpus folder for N provisions; returns it, the copies' metadata and their ids."""
    from db.adilet_text import load_act_metadata

    sizes = act_sizes(work)
    base = sum(sizes.values())
    meta = load_act_metadata()
    originals = sorted(sizes)
    taken = set(originals)
    plan, total, k = [], base, 0
    while total < provisions:
        k += 1
        for act_id in originals:
            if total >= provisions:
                break
            new = copy_id(act_id, k)
            if new in taken:
                continue
            taken.add(new)
            plan.append((act_id, new, k))
            total += sizes[act_id]
    corpus = work / f"corpus-{provisions}"
    stamp = corpus / "PLAN.json"
    wanted = json.dumps([p[1] for p in plan])
    if not (stamp.exists() and stamp.read_text() == wanted):
        shutil.rmtree(corpus, ignore_errors=True)
        (corpus / "adilet-text").mkdir(parents=True)
        for name in ("adilet", "adilet-pdf", "indicators", "texts", "README.md"):
            if (CORPUS / name).exists():
                (corpus / name).symlink_to(CORPUS / name)
        src = CORPUS / "adilet-text"
        shutil.copy(src / "MANIFEST.tsv", corpus / "adilet-text" / "MANIFEST.tsv")
        for lang in ("rus", "kaz"):
            (corpus / "adilet-text" / lang).mkdir()
            for path in sorted((src / lang).glob("*.txt")):
                (corpus / "adilet-text" / lang / path.name).symlink_to(path)
        for orig, new, k in plan:
            for lang in ("rus", "kaz"):
                path = src / lang / f"{orig}.txt"
                if path.exists():
                    (corpus / "adilet-text" / lang / f"{new}.txt").write_text(
                        vary(path.read_text(encoding="utf-8"), k, lang), encoding="utf-8")
        stamp.write_text(wanted)
    copies = {}
    for orig, new, k in plan:
        m = dict(meta.get(orig) or {})
        if m.get("title"):
            m["title"] = f"{m['title']} (копия {k})"
        if m.get("date_adopted"):
            d = str(m["date_adopted"])
            m["date_adopted"] = f"{int(d[:4]) - k:04d}{d[4:]}"
        copies[new] = m
    (work / f"copies-{provisions}.json").write_text(json.dumps(copies, ensure_ascii=False,
                                                               default=str))
    return corpus, copies, [p[1] for p in plan]


# --- 2. build ---------------------------------------------------------------------------------

BUILD_CHILD = r"""
import json, resource, sys, time
from contextlib import contextmanager
from pathlib import Path
sys.path.insert(0, {repo!r})
import db.adilet_text as at
import db.build as b
copies = json.loads(Path({copies!r}).read_text())
original = at.load_act_metadata
def load_act_metadata(path=None):
    meta = original(path)
    meta.update(copies)
    return meta
at.load_act_metadata = load_act_metadata
stages, peaks = {{}}, {{}}
inner = b._stage
@contextmanager
def _stage(name):
    t = time.perf_counter()
    try:
        with inner(name):
            yield
    finally:
        stages[name] = stages.get(name, 0) + time.perf_counter() - t
        # peak RSS so far, after this stage: the first stage where it jumps is the one
        peaks[name] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
b._stage = _stage
options = b.BuildOptions(db_path=Path({db!r}), corpus_dir=Path({corpus!r}), force={force})
previous = b.previous_build_info(options.db_path).get("versions")
same = previous == json.dumps(b.pipeline_versions(options), sort_keys=True)
if {need_same} and not same:
    # the code or kb/data changed since the full build (a shared tree): this rebuild would
    # redo everything and measure nothing of reuse
    print(json.dumps({{"skipped": "pipeline versions changed since the previous build",
                      "previous": previous, "now": b.pipeline_versions(options)}}))
    sys.exit(0)
t = time.perf_counter()
report = b.run_build(options)
wall = time.perf_counter() - t
print(report.summary(), file=sys.stderr)
print(json.dumps({{"wall": wall, "fatal": report.fatal, "unchanged": report.unchanged,
                  "provisions": report.provisions, "acts": report.acts,
                  "parsed": report.parsed_documents, "reused": report.reused_documents,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "stages": stages, "peak_after": peaks}}))
"""


def snapshot(work: Path) -> Path:
    """The build's code and data as they are now, so that edits others make in a shared
    working tree during a long run change neither the full build nor the rebuilds."""
    src = work / "src"
    shutil.rmtree(src, ignore_errors=True)
    for name in ("db", "kb", "scrapers"):
        shutil.copytree(REPO / name, src / name,
                        ignore=shutil.ignore_patterns("__pycache__", "gold", "templates",
                                                      "static"))
    return src


def run_build(db: Path, corpus: Path, work: Path, provisions: int, force: bool,
              code_dir: Path = REPO, need_same: bool = False) -> dict:
    code = BUILD_CHILD.format(repo=str(code_dir), copies=str(work / f"copies-{provisions}.json"),
                              db=str(db), corpus=str(corpus), force=force, need_same=need_same)
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code], cwd=code_dir, capture_output=True,
                          text=True)
    if proc.returncode:
        raise SystemExit(f"build failed:\n{proc.stderr[-4000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    if "skipped" in result:
        return result
    if result["fatal"]:
        raise SystemExit(f"build failed: {result['fatal']}")
    result["process_wall"] = time.perf_counter() - started
    result["db_mb"] = db.stat().st_size / 1e6 if db.exists() else 0
    return result


def change_one_act(corpus: Path, act_ids: list[str]) -> str:
    """Append a sentence to one line of one copy's Russian text (a real edit of one act)."""
    act_id = act_ids[len(act_ids) // 2] if act_ids else "Z020000345_"
    path = corpus / "adilet-text" / "rus" / f"{act_id}.txt"
    text = path.read_text(encoding="utf-8") if not path.is_symlink() else None
    if text is None:
        text = path.read_text(encoding="utf-8")
        path.unlink()
    lines = text.split("\n")
    i = next(i for i, ln in enumerate(lines) if len(ln) > 80 and not _HEADING.match(ln))
    lines[i] += f" Изменено {time.time_ns()}."
    path.write_text("\n".join(lines), encoding="utf-8")
    return act_id


# --- 3. serve and load ------------------------------------------------------------------------

def page_plan(db: Path, per_page: int, seed: int = 11) -> list[tuple[str, str]]:
    from datasette.utils import tilde_encode  # noqa: F401  (readable paths need none)

    from kb.web import slugs

    rng = random.Random(seed)
    conn = sqlite3.connect(f"file:{db}?immutable=1", uri=True)
    acts = [r[0] for r in conn.execute("select id from acts order by id")]
    indicators = [r[0] for r in conn.execute("select code from indicators order by code")]
    n = conn.execute("select max(rowid) from provisions").fetchone()[0]
    provs = []
    while len(provs) < per_page:
        row = conn.execute("select act_id, slug from provisions where rowid = ?",
                           (rng.randint(1, n),)).fetchone()
        if row:
            provs.append(f"/acts/{row[0]}/{slugs.slug_to_path(row[1])}")
    hidden = {"provisions_fts", "provision_texts_fts"}
    tables = [r[0] for r in conn.execute(
        "select name from sqlite_master where type in ('table', 'view') order by type, name")
        if r[0] not in hidden and not r[0].startswith(("provisions_fts_", "provision_texts_fts_",
                                                       "sqlite_"))]
    conn.close()
    kinds: dict[str, list[str]] = {
        "home": ["/"],
        "search": ["/search?" + urllib.parse.urlencode({"q": w}) for w in SEARCH_WORDS],
        "search facet": ["/search?" + urllib.parse.urlencode({"q": w}) + "&dimension=PRO"
                         for w in SEARCH_WORDS[:4]],
        "search.json": ["/search.json?" + urllib.parse.urlencode({"q": w}) for w in SEARCH_WORDS],
        "acts": ["/acts"],
        "act": [f"/acts/{a}" for a in acts],
        "provision": provs,
        "coverage": ["/coverage"],
        "coverage.csv": ["/coverage.csv"],
        "age": [f"/age/{a}" for a in range(0, 19)],
        "age.json": [f"/age/{a}.json" for a in range(0, 19)],
        # kb/web/indicators.py (issue 13): the list and each indicator's page
        "indicators": ["/indicators"],
        "indicator": [f"/indicators/{urllib.parse.quote(c, safe='')}" for c in indicators]
        or ["/indicators"],
        # kb/web/policies.py (issue 13): the measures, all and at an age
        "policies": ["/policies", "/policies?age=3", "/policies?age=16&kind=cash"],
        "db /kb": ["/kb"],
        "kb/search": ["/kb/search?" + urllib.parse.urlencode({"q": w}) for w in SEARCH_WORDS],
        "kb/coverage_gaps": ["/kb/coverage_gaps", "/kb/coverage_gaps?dimension=PRO&only_gaps=1"],
        "kb/by_dimension_age": ["/kb/by_dimension_age?dimension=EDU&age_band=AG_PRI",
                                "/kb/by_dimension_age?dimension=PRO&age_band=",
                                "/kb/by_dimension_age?dimension=&age_band=AG_AD1"],
        "kb/at_age": [f"/kb/at_age?age={a}" for a in (3, 7, 14, 16)],
        "arraycontains": ["/kb/provisions?dimension_codes__arraycontains=PRO",
                          "/kb/provisions?age_group_codes__arraycontains=AG_AD1"],
    }
    for t in tables:
        kinds[f"table {t}"] = [f"/kb/{t}"]
    plan = []
    for kind, paths in kinds.items():
        for i in range(per_page):
            plan.append((kind, paths[i % len(paths)] if i < len(paths) else rng.choice(paths)))
    rng.shuffle(plan)
    return plan


HUMAN = ("home", "search", "search facet", "search.json", "acts", "act", "provision", "coverage",
         "coverage.csv", "age", "age.json", "indicators", "indicator", "policies")


async def load(base: str, plan, concurrency: int, time_limit: float, request_timeout: float):
    results = []    # (kind, seconds, status, facet_timeouts, sql_timeout, path)
    queue: asyncio.Queue = asyncio.Queue()
    for item in plan:
        queue.put_nowait(item)

    async def worker(client):
        while True:
            try:
                kind, path = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            start = time.perf_counter()
            body = ""
            try:
                response = await client.get(base + path, timeout=request_timeout)
                status, body = response.status_code, response.text
            except httpx.HTTPError as exc:
                status = type(exc).__name__
            elapsed = time.perf_counter() - start
            m = re.search(r'class="facets-timed-out">These facets timed out: ([^<]*)<', body)
            facets = len(m.group(1).split(",")) if m else 0
            results.append((kind, elapsed, status, facets, "took too long" in body, path))

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits) as client:
        started = time.perf_counter()
        try:
            await asyncio.wait_for(asyncio.gather(*(worker(client) for _ in range(concurrency))),
                                   timeout=time_limit)
            timed_out = False
        except asyncio.TimeoutError:
            timed_out = True
    return results, time.perf_counter() - started, timed_out


def vm_hwm_mb(pid: int) -> float:
    """Peak resident memory of the server process and its children, MB."""
    total = 0.0
    pids = [pid] + [int(c) for c in
                    Path(f"/proc/{pid}/task/{pid}/children").read_text().split()] \
        if Path(f"/proc/{pid}/task/{pid}/children").exists() else [pid]
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            pass
    return total


# --- 4. raw FTS5 ------------------------------------------------------------------------------

def raw_fts(db: Path, words: list[str], reps: int, concurrency: int) -> dict:
    """The ranked FTS5 match alone, per word: `match` + bm25 order, first 20 rowids."""
    from kb.search import build_fts_query

    sql = ("select rowid from provisions_fts where provisions_fts match ? "
           "order by bm25(provisions_fts, 4.0, 1.0, 1.0) limit 20")
    queries = [build_fts_query(w) for w in words]

    def one(q):
        conn = sqlite3.connect(f"file:{db}?immutable=1", uri=True, check_same_thread=False)
        try:
            t = time.perf_counter()
            conn.execute(sql, (q,)).fetchall()
            return time.perf_counter() - t
        finally:
            conn.close()

    for q in queries:
        one(q)   # warm, like the server's untimed pass
    seq = [one(q) for _ in range(reps) for q in queries]
    with ThreadPoolExecutor(concurrency) as pool:
        conc = list(pool.map(one, [q for _ in range(reps) for q in queries]))
    return {"sequential": [s * 1000 for s in seq], "concurrent": [s * 1000 for s in conc]}


# --- report -----------------------------------------------------------------------------------

def summarise(results, elapsed, planned) -> list[dict]:
    rows = []
    kinds = list(dict.fromkeys(r[0] for r in sorted(results, key=lambda r: (r[0] not in HUMAN,
                                                                           r[0]))))
    for kind in kinds + ["all"]:
        rs = [r for r in results if kind == "all" or r[0] == kind]
        times = [r[1] * 1000 for r in rs]
        rows.append({"page": kind, "n": len(rs), "p50": percentile(times, 50),
                     "p95": percentile(times, 95), "max": max(times, default=float("nan")),
                     "errors": sum(1 for r in rs if r[2] != 200),
                     "facet_timeouts": sum(r[3] for r in rs),
                     "sql_timeouts": sum(1 for r in rs if r[4])})
    return rows


def markdown(args, build: dict | None, rebuilds: dict, rows, raw, server_mb, elapsed, n_results,
             timed_out) -> str:
    out = []
    if build:
        st = ", ".join(f"{k} {v:.0f} s" for k, v in sorted(build["stages"].items(),
                                                         key=lambda kv: -kv[1]) if v >= 1)
        out += [f"Build: {build['acts']} acts, **{build['provisions']:,} provisions** in "
                f"**{build['wall']:.0f} s** (process {build['process_wall']:.0f} s), peak RSS "
                f"**{build['rss_mb']:.0f} MB**, database {build['db_mb']:.0f} MB; by stage: {st}.",
                ""]
        if build.get("peak_after"):
            seen, jumps = 0.0, []
            for stage, mb in build["peak_after"].items():
                if mb > seen + 50:
                    jumps.append(f"{stage} {mb:.0f} MB")
                seen = max(seen, mb)
            out += ["Peak RSS after each stage where it grew: " + ", ".join(jumps) + ".", ""]
        for name, r in rebuilds.items():
            if "skipped" in r:
                out.append(f"{name}: not measured ({r['skipped']}).")
                continue
            out.append(f"{name}: {r['wall']:.1f} s = **{100 * r['wall'] / build['wall']:.1f} %** "
                       f"of the full build (parsed {r['parsed']}, reused {r['reused']}, peak RSS "
                       f"{r['rss_mb']:.0f} MB)" + (", nothing changed" if r["unchanged"] else "") + ".")
        if rebuilds:
            out.append("")
    overrides = ", ".join([f"{k} {getattr(args, k)}" for k in
                           ("num_sql_threads", "sql_time_limit_ms", "facet_time_limit_ms")
                           if getattr(args, k) is not None]
                          + [f"without the {k} pages" for k in args.exclude])
    out += [f"Load: {n_results} requests in {elapsed:.0f} s at concurrency {args.concurrency}"
            f"{' (' + overrides + ')' if overrides else ''}"
            f"{' (HARD TIME LIMIT HIT)' if timed_out else ''}; `kb serve` peak RSS "
            f"**{server_mb:.0f} MB**.", "",
            "| page | n | p50 ms | p95 ms | max ms | errors | facet time-outs | SQL time-outs |",
            "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        name = f"**{r['page']}**" if r["page"] == "all" else f"`{r['page']}`" \
            if r["page"].startswith(("table", "kb/", "db")) else r["page"]
        out.append(f"| {name} | {r['n']} | {r['p50']:.0f} | {r['p95']:.0f} | {r['max']:.0f} | "
                   f"{r['errors']} | {r['facet_timeouts']} | {r['sql_timeouts']} |")
    seq, conc = raw["sequential"], raw["concurrent"]
    by = {r["page"]: r for r in rows}
    out += ["", f"Raw FTS5 (match + bm25, first 20, {len(SEARCH_WORDS)} queries): p50 "
            f"{percentile(seq, 50):.0f} ms, p95 {percentile(seq, 95):.0f} ms alone; p50 "
            f"{percentile(conc, 50):.0f} ms, p95 {percentile(conc, 95):.0f} ms at concurrency "
            f"{args.concurrency}."]
    for page in ("search", "search.json", "kb/search"):
        if page in by:
            out.append(f"`{page}` p95 / raw FTS5 p95: **{by[page]['p95'] / percentile(seq, 95):.1f}×** "
                       f"(alone), {by[page]['p95'] / percentile(conc, 95):.1f}× (at concurrency "
                       f"{args.concurrency}).")
    return "\n".join(out) + "\n"


def write_docs(text: str, command: str) -> None:
    path = REPO / "docs" / "benchmarks.md"
    doc = path.read_text(encoding="utf-8")
    block = f"{MARK_BEGIN}\n```bash\n{command}\n```\n\n{text}{MARK_END}"
    if MARK_BEGIN in doc and MARK_END in doc:
        doc = re.sub(re.escape(MARK_BEGIN) + ".*?" + re.escape(MARK_END), lambda m: block, doc,
                     flags=re.S)
    else:
        doc = doc.rstrip("\n") + "\n\n## At national scale (issue 11)\n\n" + block + "\n"
    path.write_text(doc, encoding="utf-8")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--provisions", type=int, default=1_000_000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/scale11"))
    parser.add_argument("--requests-per-page", type=int, default=16)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--time-limit", type=float, default=900.0, help="load phase, seconds")
    parser.add_argument("--request-timeout", type=float, default=60.0)
    parser.add_argument("--skip-build", action="store_true", help="serve the existing database")
    parser.add_argument("--no-rebuilds", action="store_true")
    parser.add_argument("--no-load", action="store_true")
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument("--num-sql-threads", type=int, default=None,
                        help="serve with this many SQL threads instead of kb serve's setting")
    parser.add_argument("--sql-time-limit-ms", type=int, default=None)
    parser.add_argument("--facet-time-limit-ms", type=int, default=None)
    parser.add_argument("--exclude", action="append", default=[], metavar="KIND",
                        help="leave out the pages of this kind (e.g. 'indicator'); repeatable")
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    db = args.work / f"db-{args.provisions}" / "kb.db"
    db.parent.mkdir(exist_ok=True)
    command = ".venv/bin/python bench/scale.py " + " ".join(argv if argv is not None else sys.argv[1:])

    corpus, copies, copy_ids = make_corpus(args.work, args.provisions)
    print(f"corpus {corpus}: {len(copy_ids)} copied acts", flush=True)
    build, rebuilds = None, {}
    code_dir = snapshot(args.work)
    if not args.skip_build:
        build = run_build(db, corpus, args.work, args.provisions, force=True, code_dir=code_dir)
        print(f"full build: {json.dumps(build)}", flush=True)
        if not args.no_rebuilds:
            changed = change_one_act(corpus, copy_ids)
            rebuilds[f"Rebuild with one act changed (`{changed}`)"] = run_build(
                db, corpus, args.work, args.provisions, force=False, code_dir=code_dir,
                need_same=True)
            rebuilds["No-op rebuild"] = run_build(db, corpus, args.work, args.provisions,
                                                  force=False, code_dir=code_dir, need_same=True)
            for k, v in rebuilds.items():
                print(f"{k}: {json.dumps(v)}", flush=True)
    if args.no_load:
        return 0
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    plan = [(k, p) for k, p in page_plan(db, args.requests_per_page) if k not in args.exclude]
    log = tempfile.NamedTemporaryFile("w+", prefix="kb-scale-", suffix=".log", delete=False,
                                      dir=args.work)
    # kb serve's own settings unless one is overridden (to choose them from measurement)
    settings = {k: v for k, v in (("num_sql_threads", args.num_sql_threads),
                                  ("facet_time_limit_ms", args.facet_time_limit_ms))
                if v is not None}
    limit = f", sql_time_limit_ms={args.sql_time_limit_ms}" if args.sql_time_limit_ms else ""
    proc = subprocess.Popen([sys.executable, "-c",
                             f"from kb.serve import serve, SETTINGS; SETTINGS.update({settings!r}); "
                             f"serve({str(db)!r}, '127.0.0.1', {port}{limit})"],
                            cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    try:
        asyncio.run(wait_ready(base, proc, timeout=600))
        warm = list({k: (k, p) for k, p in plan}.values())
        asyncio.run(load(base, warm, 1, 900, args.request_timeout))
        print(f"server {base}: {len(plan)} requests, concurrency {args.concurrency}", flush=True)
        results, elapsed, timed_out = asyncio.run(
            load(base, plan, args.concurrency, args.time_limit, args.request_timeout))
        server_mb = vm_hwm_mb(proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
    raw = raw_fts(db, SEARCH_WORDS, 5, args.concurrency)
    rows = summarise(results, elapsed, len(plan))
    text = markdown(args, build, rebuilds, rows, raw, server_mb, elapsed, len(results), timed_out)
    print(text)
    for kind, _, status, _, _, path in [r for r in results if r[2] != 200][:10]:
        print(f"  error {status}: {path}")
    print("slowest requests:")
    for kind, seconds, _, _, _, path in sorted(results, key=lambda r: -r[1])[:12]:
        print(f"  {seconds * 1000:6.0f} ms  {kind}: {urllib.parse.unquote(path)}")
    out = args.work / f"scale-{args.provisions}.md"
    out.write_text(text, encoding="utf-8")
    if args.write_docs:
        write_docs(text, command)
    print(f"written {out}" + (" and docs/benchmarks.md" if args.write_docs else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
