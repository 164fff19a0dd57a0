"""How fast is parse_document compared with just building a bs4+lxml tree of the same page?

    .venv/bin/python bench/bench_parse.py [--runs N] [--articles N]

Offline: a synthetic law page is built from tests/fixtures/adilet/law_rus.html (its shell and
markup, invented text) with --articles articles, each with parts, subparts and footnotes, plus
chapters; and the largest real page in ../shared/corpus/adilet is timed as it is. Goal: the
full parse takes at most 2x the time BeautifulSoup(html, "lxml") needs to build its tree.

    .venv/bin/python bench/bench_parse.py --repeated 5000,10000,20000,40000

Repeated anchors (issue 10, row 11): pages where one anchor (and one subpart number under
it) repeats N times, timed at each N; the time per anchor must stay flat (linear parse).
With --quadratic the former id search (`_unique` restarting at _2 each time) is timed too.
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

from bs4 import BeautifulSoup

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from scrapers.adilet.parse import parse_document  # noqa: E402

FIXTURE = REPO / "tests" / "fixtures" / "adilet" / "law_rus.html"
CORPUS = (REPO / ".." / "shared" / "corpus" / "adilet").resolve()
NB = "&nbsp;&nbsp;&nbsp;&nbsp;&nbsp; "


def synthetic_law(articles: int) -> bytes:
    """A law page with `articles` articles in the fixture's shell, CRLF like the real pages."""
    shell = FIXTURE.read_bytes().decode("utf-8")
    head, tail = shell[: shell.index("<article>")], shell[shell.index("</article>"):]
    out = ['<article>\r\n<h3 id="z1">ОБЩАЯ ЧАСТЬ<br><a name="z2"></a>РАЗДЕЛ 1. ОБЩИЕ ПОЛОЖЕНИЯ</h3>\r\n']
    z = 3
    for n in range(1, articles + 1):
        if n % 30 == 1:
            out.append(f'<h3 id="z{z}">Глава {n // 30 + 1}. ВЫМЫШЛЕННЫЕ НОРМЫ ГРУППЫ {n}</h3>\r\n')
            z += 1
        number = f"{n // 2}-1" if n % 17 == 0 else str(n)
        out.append(f'<p><b><a name="z{z}"></a>Статья {number}. Правило о площадке номер {n}</b></p>\r\n')
        z += 1
        if n % 5 == 0:
            out.append(f'<p class="note">\r\n {NB}Сноска. Статья {number} с изменениями, внесенными '
                       f'законами РК от 23.11.2020 № {n}-VI; от 10.07.2022 <a href="/rus/docs/'
                       f'Z2200000036#z5">№ {n}-VII</a> (вводится в действие с 01.01.2023).\r\n</p>\r\n')
        for part in range(1, 4):
            out.append(f'<p id="z{z}">\r\n {NB}{part}. Посетитель площадки {n} соблюдает '
                       f'правило {part}, если иное не установлено <a href="/rus/docs/Z2500000777#z5">'
                       f'статьей 1</a> настоящего Закона и уставом площадки:\r\n</p>\r\n')
            z += 1
            if part < 3:
                for sub in range(1, 4):
                    anchored = f' id="z{z}"' if sub != 3 else ""
                    out.append(f'<p{anchored}>\r\n {NB}{sub}) условие {sub} для правила {part} '
                               f'статьи {number} о качелях, горках и песочницах;\r\n</p>\r\n')
                    z += 1
        if n % 7 == 0:
            out.append(f"<p>\r\n {NB}Положения настоящей статьи применяются и к площадке {n}.\r\n</p>\r\n")
        if n % 11 == 0:
            out.append(f'<p id="z{z}"><font color="#FF0000">{NB}Примечание ИЗПИ!<br>{NB}Статья '
                       f'{number} предусмотрена в редакции Закона РК от 01.01.2026 № 1-VIII.</font></p>\r\n')
            z += 1
    # The fixture declares a wrong charset on purpose (a parser test); bs4 would believe it
    # and build an empty tree, so the benchmark page declares the truth.
    head = head.replace('charset="windows-1251"', 'charset="utf-8"')
    return ("\r\n" + head + "".join(out) + tail).encode("utf-8")


def median_time(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def bench(name: str, html: bytes, runs: int) -> tuple:
    doc = parse_document(html)                     # warm-up, and the counts to report
    ours = median_time(lambda: parse_document(html), runs)
    soup = median_time(lambda: BeautifulSoup(html, "lxml"), runs)
    return (name, len(html) / 1e6, len(doc.provisions), len(doc.amendments), ours, soup, ours / soup)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--articles", type=int, default=1500)
    ap.add_argument("--repeated", help="comma-separated N: time pages with N repeated anchors")
    ap.add_argument("--quadratic", action="store_true",
                    help="with --repeated: also time the former quadratic id search")
    args = ap.parse_args(argv)
    if args.repeated:
        return bench_repeated([int(n) for n in args.repeated.split(",")], args.runs, args.quadratic)

    rows = [bench(f"synthetic law ({args.articles} articles)", synthetic_law(args.articles), args.runs)]
    pages = sorted(CORPUS.glob("*/*.html"), key=lambda p: p.stat().st_size, reverse=True)
    pages = [p for p in pages if "new-site" not in p.parts]
    if pages:
        largest = pages[0]
        rows.append(bench(f"real {largest.parent.name}/{largest.name}", largest.read_bytes(), args.runs))
    else:
        print(f"(no real pages found under {CORPUS})")

    header = ("page", "MB", "provisions", "amendments", "parse_document s", "bs4+lxml tree s", "ratio")
    print(f"{header[0]:<34} {header[1]:>5} {header[2]:>10} {header[3]:>10} {header[4]:>16} "
          f"{header[5]:>15} {header[6]:>6}")
    for name, mb, nprov, namend, ours, soup, ratio in rows:
        print(f"{name:<34} {mb:>5.2f} {nprov:>10} {namend:>10} {ours:>16.4f} {soup:>15.4f} "
              f"{ratio:>5.2f}x")
    print(f"median of {args.runs} runs; goal: ratio <= 2x")
    return 0 if all(r[-1] <= 2 for r in rows) else 1


def repeated_anchors(n: int) -> bytes:
    """One article; n parts all carrying id="z2", each with a subpart numbered 1)."""
    shell = FIXTURE.read_bytes().decode("utf-8")
    head, tail = shell[: shell.index("<article>")], shell[shell.index("</article>"):]
    head = head.replace('charset="windows-1251"', 'charset="utf-8"')
    parts = "".join(f'<p id="z2">\r\n {NB}{i % 9 + 1}. Часть {i} о площадке.\r\n</p>\r\n'
                    f'<p>\r\n {NB}1) подпункт части {i};\r\n</p>\r\n' for i in range(n))
    body = '<article>\r\n<p><b><a name="z1"></a>Статья 1. Правило о площадке</b></p>\r\n'
    return ("\r\n" + head + body + parts + tail).encode("utf-8")


def _quadratic_unique(self, ident: str) -> str:
    # The id search before issue 10: every repeat restarts at _2.
    if ident not in self.ids:
        return ident
    k = 2
    while f"{ident}_{k}" in self.ids:
        k += 1
    return f"{ident}_{k}"


def bench_repeated(sizes: list[int], runs: int, quadratic: bool) -> int:
    from scrapers.adilet import parse as parse_module

    linear = parse_module._Builder._unique
    print(f"{'repeated anchors':>16} {'MB':>6} {'provisions':>10} {'parse s':>9} {'us/anchor':>10}"
          + (f" {'former s':>9} {'former us/anchor':>17}" if quadratic else ""))
    per_anchor = []
    for n in sizes:
        html = repeated_anchors(n)
        doc = parse_document(html)
        ids = [p.id for p in doc.provisions]
        assert len(ids) == len(set(ids)) == 2 * n + 1, "ids not unique"
        t = median_time(lambda: parse_document(html), runs)
        per_anchor.append(t / n)
        line = f"{n:>16} {len(html) / 1e6:>6.2f} {len(ids):>10} {t:>9.3f} {t / n * 1e6:>10.1f}"
        if quadratic:
            parse_module._Builder._unique = _quadratic_unique
            try:
                q = median_time(lambda: parse_document(html), 1)
            finally:
                parse_module._Builder._unique = linear
            line += f" {q:>9.3f} {q / n * 1e6:>17.1f}"
        print(line)
    growth = per_anchor[-1] / per_anchor[0]
    print(f"median of {runs} runs; time per anchor, largest vs smallest page: {growth:.2f}x "
          "(goal: <= 1.5x, i.e. linear)")
    return 0 if growth <= 1.5 else 1


if __name__ == "__main__":
    sys.exit(main())
