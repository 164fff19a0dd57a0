"""How fast is parse_document compared with just building a bs4+lxml tree of the same page?

    .venv/bin/python bench/bench_parse.py [--runs N] [--articles N]

Offline: a synthetic law page is built from tests/fixtures/adilet/law_rus.html (its shell and
markup, invented text) with --articles articles, each with parts, subparts and footnotes, plus
chapters; and the largest real page in ../shared/corpus/adilet is timed as it is. Goal: the
full parse takes at most 2x the time BeautifulSoup(html, "lxml") needs to build its tree.
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
    args = ap.parse_args(argv)

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


if __name__ == "__main__":
    sys.exit(main())
