"""Repeated anchors (issue 10, row 11): ids stay unique and in order, with a linear id search.

The timing is in bench/bench_parse.py --repeated (docs/benchmarks.md); this test checks the
ids the linear search gives, which must be the ones the former search gave.
"""
from scrapers.adilet.parse import parse_document

NB = "&nbsp;&nbsp;&nbsp;&nbsp;&nbsp; "


def _page(fixtures_dir, body: str) -> bytes:
    shell = (fixtures_dir / "adilet" / "law_rus.html").read_bytes().decode("utf-8")
    head, tail = shell[: shell.index("<article>")], shell[shell.index("</article>"):]
    head = head.replace('charset="windows-1251"', 'charset="utf-8"')
    return (head + "<article>\r\n" + body + tail).encode("utf-8")


def test_many_repeated_anchors_get_unique_ids_in_order(fixtures_dir):
    n = 1500
    article = '<p><b><a name="z1"></a>Статья 1. Правило о площадке</b></p>\r\n'
    parts = "".join(f'<p id="z2">\r\n {NB}{i % 9 + 1}. Часть {i} о площадке.\r\n</p>\r\n'
                    f'<p>\r\n {NB}1) подпункт {i};\r\n</p>\r\n'
                    f'<p>\r\n {NB}1) ещё подпункт {i};\r\n</p>\r\n' for i in range(n))
    # A second anchor repeated after the first run: its own numbering starts at _2 again.
    tail = "".join(f'<p id="z3">\r\n {NB}{i + 1}. Другая часть {i}.\r\n</p>\r\n' for i in range(3))
    doc = parse_document(_page(fixtures_dir, article + parts + tail))
    ids = [p.id for p in doc.provisions]

    expected = ["z1"]
    for i in range(n):
        part = "z2" if i == 0 else f"z2_{i + 1}"
        expected += [part, f"{part}.1", f"{part}.1_2"]
    expected += ["z3", "z3_2", "z3_3"]
    assert ids == expected
    assert len(set(ids)) == len(ids) == 3 * n + 4
    # Every repeat still deep-links to the anchor it repeats, and its text is its own.
    by_id = {p.id: p for p in doc.provisions}
    assert by_id[f"z2_{n}"].anchor == "z2" and by_id[f"z2_{n}.1_2"].anchor == "z2"
    assert f"Часть {n - 1} " in by_id[f"z2_{n}"].text
    assert f"ещё подпункт {n - 1}" in by_id[f"z2_{n}.1_2"].text


def test_the_linear_search_gives_the_ids_of_the_former_search():
    # Ids of the form "z2_3" may already exist when "z2" repeats: the search must skip them
    # exactly as the former search (restart at _2, count up) did. Compared on a mixed sequence.
    import random

    from scrapers.adilet.parse import _Builder

    def former(ids, ident):
        if ident not in ids:
            return ident
        k = 2
        while f"{ident}_{k}" in ids:
            k += 1
        return f"{ident}_{k}"

    rng = random.Random(10)
    requests = [rng.choice(["z2", "z2_3", "z2_4", "z2.1", "z2.1_2", "z5", "z2_2_2"])
                for _ in range(3000)]
    builder, ids, got, want = _Builder("Z020000345_", "rus"), set(), [], []
    for ident in requests:
        a = builder._unique(ident)
        builder.ids.add(a)
        got.append(a)
        b = former(ids, ident)
        ids.add(b)
        want.append(b)
    assert got == want
    assert len(set(got)) == len(got)
